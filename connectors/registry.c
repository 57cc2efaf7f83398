/*
 * registry.c — the table of connectors by format name: the one list of formats. Add a row per
 * connector; the config accepts exactly the formats listed here, and in a [source] of a format
 * exactly the keys every format has (common_keys) plus the connector's own (sp_connector.keys).
 */
#include <string.h>

#include "connectors/auth.h"
#include "connectors/connector.h"
#include "connectors/filter.h"

/* The [source] keys of every format: fetching, its credential, the pushdown filter, parsing. */
static const sp_config_key *const common_keys[] = { sp_fetch_keys, sp_auth_keys, sp_filter_keys, sp_parse_keys };

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

const sp_config_key *sp_connector_keys_at(const char *format, size_t i)
{
	if (i < SP_ARRAY_LEN(common_keys))
		return common_keys[i];
	i -= SP_ARRAY_LEN(common_keys);
	const sp_connector *c = sp_connector_find(format);
	if (!c || !c->keys)
		return NULL;
	for (size_t k = 0; c->keys[k]; k++)
		if (k == i)
			return c->keys[k];
	return NULL;
}
