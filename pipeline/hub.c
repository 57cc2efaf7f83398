/*
 * hub.c — the [hub NAME] sections: a startup's hub by its country, an analyst's hub by name, and
 * the checks the key specs cannot make (contract in hub.h).
 *
 * A hub's countries are read from the config each time they are asked for (a handful of hubs of a
 * few codes each): there is no copy to keep in step with the config.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pipeline/hub.h"
#include "pipeline/normalise.h"

/* Walk the codes of a list value ("GB IE", "GB, IE"): each call gives the next in code[3]
 * (upper case) and its length in the text, 0 at the end. */
static size_t next_code(const char **p, char code[3], size_t *len)
{
	const char *s = *p;
	while (*s && (isspace((unsigned char)*s) || *s == ',' || *s == ';'))
		s++;
	size_t n = 0;
	while (s[n] && !isspace((unsigned char)s[n]) && s[n] != ',' && s[n] != ';')
		n++;
	*p = s + n;
	*len = n;
	if (!n)
		return 0;
	code[0] = (char)toupper((unsigned char)s[0]);
	code[1] = n > 1 ? (char)toupper((unsigned char)s[1]) : 0;
	code[2] = 0;
	return n;
}

/* Every word an ISO 3166-1 alpha-2 code ("UK" is not one: GB is); the message names each that is not. */
static int check_countries(const char *value, sp_err *err)
{
	const char *p = value;
	char code[3], word[48];
	size_t len;
	int bad = 0;
	sp_buf msg = SP_BUF_INIT;
	while (next_code(&p, code, &len)) {
		snprintf(word, sizeof(word), "%.*s", (int)(len < 40 ? len : 40), p - len);
		const char *iso = sp_norm_country(word); /* also reads names and alpha-3: to say which code */
		if (len == 2 && iso && !strcmp(iso, code))
			continue;
		sp_buf_addf(&msg, "%s'%s'", bad++ ? ", " : "", word);
		if (iso)
			sp_buf_addf(&msg, " (%s?)", iso);
	}
	int rc = SP_OK;
	if (bad)
		rc = sp_err_set(err, SP_ECONFIG, "%s %s not ISO 3166-1 alpha-2 country code%s", sp_buf_str(&msg),
				bad > 1 ? "are" : "is", bad > 1 ? "s" : "");
	sp_buf_release(&msg);
	return rc;
}

const sp_config_key sp_hub_keys[] = {
	{ "hub *", "countries", SP_KEY_LIST, .check = check_countries },
	{ "hub *", "label", SP_KEY_STRING, .def = NULL },
	{ "sparker", "hub", SP_KEY_STRING, .def = NULL },
	{ 0 },
};

static const char *name_of(const char *section)
{
	section += 3; /* "hub" */
	while (*section == ' ')
		section++;
	return section;
}

const char *sp_hub_next(const sp_config *cfg, int *it)
{
	const char *s = cfg ? sp_config_section_next(cfg, "hub ", it) : NULL;
	return s ? name_of(s) : NULL;
}

int sp_hub_count(const sp_config *cfg)
{
	int it = 0, n = 0;
	while (sp_hub_next(cfg, &it))
		n++;
	return n;
}

const char *sp_hub_find(const sp_config *cfg, const char *name)
{
	int it = 0;
	const char *h;
	while (name && (h = sp_hub_next(cfg, &it)))
		if (!strcasecmp(h, name))
			return h;
	return NULL;
}

void sp_hub_section(const char *hub, char *out, size_t n)
{
	snprintf(out, n, "hub %s", hub);
}

const char *sp_hub_label(const sp_config *cfg, const char *hub)
{
	char sec[256];
	sp_hub_section(hub, sec, sizeof(sec));
	const char *l = sp_config_str(cfg, sec, sp_hub_keys, "label");
	return l && *l ? l : hub;
}

/* Does the hub list country (upper case)? */
static int hub_has(const sp_config *cfg, const char *hub, const char *country)
{
	char sec[256], code[3];
	sp_hub_section(hub, sec, sizeof(sec));
	const char *p = sp_config_str(cfg, sec, sp_hub_keys, "countries");
	size_t len;
	while (p && next_code(&p, code, &len))
		if (len == 2 && !strcmp(code, country))
			return 1;
	return 0;
}

const char *sp_hub_of_country(const sp_config *cfg, const char *country)
{
	if (!country || strlen(country) != 2)
		return SP_HUB_OTHER;
	char cc[3] = { (char)toupper((unsigned char)country[0]), (char)toupper((unsigned char)country[1]), 0 };
	int it = 0;
	const char *h;
	while ((h = sp_hub_next(cfg, &it)))
		if (hub_has(cfg, h, cc))
			return h;
	return SP_HUB_OTHER;
}

const char *sp_hub_default(const sp_config *cfg)
{
	return sp_hub_find(cfg, sp_config_str(cfg, "sparker", sp_hub_keys, "hub"));
}

/* A hub's name: a word of [A-Za-z0-9_.-], not "other" (the startups in no hub). */
static void check_name(const sp_config *cfg, const char *hub, sp_config_problems *p)
{
	char sec[256];
	sp_hub_section(hub, sec, sizeof(sec));
	int line = sp_config_section_line(cfg, sec);
	if (sp_hub_find(cfg, hub) != hub)
		sp_config_problem_at(p, cfg, line, "[hub %s]: the same hub as [hub %s] (names are compared in any case)", hub,
				     sp_hub_find(cfg, hub));
	else if (!strcasecmp(hub, SP_HUB_OTHER))
		sp_config_problem_at(p, cfg, line, "[hub %s]: '%s' names the startups of no hub; call the hub otherwise", hub, hub);
	else if (strspn(hub, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(hub))
		sp_config_problem_at(p, cfg, line, "[hub %s]: a hub's name is letters, digits, '_', '.' or '-'", hub);
}

/* No country in two hubs: each code of each hub against the hubs before it. */
static void check_overlap(const sp_config *cfg, const char *hub, int upto, sp_config_problems *p)
{
	char sec[256], code[3];
	sp_hub_section(hub, sec, sizeof(sec));
	const sp_kv *kv = sp_config_find(cfg, sec, "countries");
	const char *s = kv ? kv->value : NULL;
	size_t len;
	while (s && next_code(&s, code, &len)) {
		int it = 0;
		const char *h;
		for (int k = 0; k < upto && (h = sp_hub_next(cfg, &it)); k++)
			if (len == 2 && hub_has(cfg, h, code)) {
				sp_config_problem_at(p, cfg, kv->line, "[hub %s]: country %s is already in [hub %s]; a country "
						     "belongs to one hub", hub, code, h);
				break;
			}
	}
}

void sp_hub_check(const sp_config *cfg, sp_config_problems *p)
{
	int it = 0, i = 0;
	const char *h;
	while ((h = sp_hub_next(cfg, &it))) {
		check_name(cfg, h, p);
		check_overlap(cfg, h, i++, p);
	}
	const sp_kv *kv = sp_config_find(cfg, "sparker", "hub");
	if (kv && *kv->value && !sp_hub_find(cfg, kv->value)) {
		sp_buf names = SP_BUF_INIT;
		it = 0;
		while ((h = sp_hub_next(cfg, &it)))
			sp_buf_addf(&names, "%s%s", names.len ? " " : "", h);
		sp_config_problem_at(p, cfg, kv->line, "[sparker] hub = %s: no [hub %s] section (%s%s)", kv->value, kv->value,
				     names.len ? "hubs: " : "no hub is configured", sp_buf_str(&names));
		sp_buf_release(&names);
	}
}
