/*
 * registry.c — the table of connectors by format name: the one list of formats. Add a row per
 * connector; the config accepts exactly the formats listed here.
 */
#include <string.h>

#include "connectors/connector.h"

static const sp_connector *const connectors[] = {
	&sp_connector_companies_house,
	&sp_connector_sirene,
	&sp_connector_gleif,
	&sp_connector_feed,
	&sp_connector_csv,
	&sp_connector_json,
	NULL,
};

const sp_connector *sp_connector_find(const char *format)
{
	for (size_t i = 0; connectors[i]; i++)
		if (!strcmp(connectors[i]->format, format))
			return connectors[i];
	return NULL;
}

const char *sp_connector_format_at(size_t i)
{
	return i < SP_ARRAY_LEN(connectors) - 1 ? connectors[i]->format : NULL;
}
