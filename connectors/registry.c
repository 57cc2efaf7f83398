/*
 * registry.c — the table of connectors by format name: the one list of formats. Add a row per
 * connector; the config accepts exactly the formats listed here, and in a [source] of a format
 * exactly the keys every format has (common_keys) plus the connector's own (sp_connector.keys).
 */
#include <string.h>

#include "connectors/auth.h"
#include "connectors/connector.h"
#include "connectors/filter.h"

/* What a source is (connector.h): one key of every format, its default by format below. */
const sp_config_key sp_kind_keys[] = {
	{ "source *", "kind", SP_KEY_ENUM, .choices = "directory|registry|news" },
	{ 0 },
};
const char *const sp_source_kind_names[] = { "directory", "registry", "news" }; /* as in the choices */

/* The formats that are company registers: a source of one is `kind = registry` unless it says. */
static const char *const registry_formats[] = { "companies_house", "sirene", "gleif" };

sp_source_kind sp_source_kind_of(const sp_config *cfg, const sp_source *src)
{
	int k = sp_config_choice(cfg, src->section, sp_kind_keys, "kind");
	if (k >= 0)
		return (sp_source_kind)k;
	for (size_t i = 0; i < SP_ARRAY_LEN(registry_formats); i++)
		if (!strcmp(src->format, registry_formats[i]))
			return SP_KIND_REGISTRY;
	return SP_KIND_DIRECTORY;
}

/* The [source] keys of every format: fetching, its credential, the pushdown filter, parsing, the
 * kind. */
static const sp_config_key *const common_keys[] = { sp_fetch_keys, sp_auth_keys, sp_filter_keys, sp_parse_keys,
						    sp_kind_keys };

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
