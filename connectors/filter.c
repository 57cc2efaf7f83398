/*
 * filter.c — the pushdown filter. See filter.h.
 */
#include "connectors/filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each word of filter.code_prefixes is an activity code or a prefix of one: digits, dots, letters. */
static int check_prefixes(const char *v, sp_err *err)
{
	const char *p = v;
	while (*p) {
		p += strspn(p, " \t,;");
		size_t n = strcspn(p, " \t,;"), digits = 0, ok = 1;
		for (size_t i = 0; i < n; i++) {
			digits += isdigit((unsigned char)p[i]) != 0;
			ok &= isalnum((unsigned char)p[i]) || p[i] == '.';
		}
		if (n && (!digits || !ok || n >= 32))
			return sp_err_set(err, SP_ECONFIG, "'%.*s' is not an activity code prefix (like 62, 29.10 or 45.2)",
					  (int)n, p);
		p += n;
	}
	return SP_OK;
}

const sp_config_key sp_filter_keys[] = {
	{ "source *", "filter.active", SP_KEY_BOOL, .def = "no" },
	{ "source *", "filter.max_age_years", SP_KEY_INT, .min = 0, .max = 1000 },
	{ "source *", "filter.code_prefixes", SP_KEY_LIST, .check = check_prefixes },
	{ 0 },
};

int sp_filter_init(sp_filter *f, const sp_config *cfg, const sp_source *src, const char *as_of, sp_err *err)
{
	memset(f, 0, sizeof(*f));
	const char *sec = src->section;
	f->active = sp_config_bool(cfg, sec, sp_filter_keys, "filter.active");
	f->date_order = sp_date_order_config(cfg, sec, NULL);
	if (sp_config_str(cfg, sec, sp_filter_keys, "filter.max_age_years")) {
		long n = sp_config_int(cfg, sec, sp_filter_keys, "filter.max_age_years"); /* checked at load */
		int y = 0, m = 1, d = 1;
		if (!as_of || sscanf(as_of, "%d-%d-%d", &y, &m, &d) != 3)
			return sp_err_set(err, SP_ECONFIG, "source %s: no valid as-of date for filter.max_age_years", src->name);
		y -= (int)n;
		if (m == 2 && d == 29)
			d = 28;
		snprintf(f->min_date, sizeof(f->min_date), "%04d-%02d-%02d", y, m, d);
		f->has_min_date = 1;
	}
	const char *pre = sp_config_str(cfg, sec, sp_filter_keys, "filter.code_prefixes");
	if (pre) {
		const char *p = pre;
		while (*p) {
			while (*p && (isspace((unsigned char)*p) || *p == ',' || *p == ';'))
				p++;
			if (!*p)
				break;
			char tmp[32];
			size_t k = 0;
			while (*p && !isspace((unsigned char)*p) && *p != ',' && *p != ';') {
				if (*p != '.' && k + 1 < sizeof(tmp))
					tmp[k++] = (char)toupper((unsigned char)*p);
				p++;
			}
			tmp[k] = 0;
			if (!k)
				continue;
			f->prefixes = sp_xrealloc(f->prefixes, (size_t)(f->nprefixes + 1) * sizeof(char *));
			f->prefixes[f->nprefixes++] = sp_xstrdup(tmp);
		}
	}
	return SP_OK;
}

void sp_filter_release(sp_filter *f)
{
	for (int i = 0; i < f->nprefixes; i++)
		free(f->prefixes[i]);
	free(f->prefixes);
	memset(f, 0, sizeof(*f));
}

static int contains_ci(const char *s, const char *w)
{
	return strcasestr(s, w) != NULL;
}

int sp_status_inactive(const char *s)
{
	while (*s == ' ')
		s++;
	if (!*s || !strcmp(s, "Active") || !strcmp(s, "A"))
		return 0; /* the common cases, fast */
	if ((s[0] == 'C' || s[0] == 'F') && (!s[1] || s[1] == ' '))
		return 1; /* SIRENE etatAdministratif C (cessée), F (fermé, établissements) */
	static const char *const words[] = {
		"dissolved", "closed", "ceased", "liquidation", "struck off", "removed", "inactive",
		"defunct", "deadpooled", "cessée", "radiée", "retired", "annulled",
	};
	for (size_t i = 0; i < SP_ARRAY_LEN(words); i++)
		if (contains_ci(s, words[i]))
			return 1;
	return 0;
}

const char *sp_filter_reason(const sp_filter *f, const sp_record *r)
{
	if (f->active && sp_status_inactive(sp_record_get(r, SP_F_STATUS)))
		return "inactive status (filter.active)";
	if (f->has_min_date) {
		char d[SP_DATE_ISO_SIZE];
		if (sp_date_first_day(sp_record_get(r, SP_F_FOUNDED), f->date_order, d) && strcmp(d, f->min_date) < 0)
			return "founded too long ago (filter.max_age_years)";
	}
	if (f->nprefixes) {
		const char *c = sp_record_get(r, SP_F_CODES);
		if (!*c)
			return NULL;
		while (*c) {
			char code[32];
			size_t k = 0;
			while (*c && *c != ';') {
				if (*c != '.' && *c != ' ' && k + 1 < sizeof(code))
					code[k++] = (char)toupper((unsigned char)*c);
				c++;
			}
			code[k] = 0;
			if (*c == ';')
				c++;
			for (int i = 0; i < f->nprefixes; i++)
				if (!strncmp(code, f->prefixes[i], strlen(f->prefixes[i])))
					return NULL;
		}
		return "no activity code in filter.code_prefixes";
	}
	return NULL;
}

int sp_filter_keep(const sp_filter *f, const sp_record *r)
{
	return sp_filter_reason(f, r) == NULL;
}

void sp_filter_settings(const sp_config *cfg, const sp_source *src, sp_buf *out)
{
	static const char *const keys[] = { "filter.active", "filter.max_age_years", "filter.code_prefixes", "date_order",
					    "preset" };
	sp_buf_reset(out);
	for (size_t i = 0; i < SP_ARRAY_LEN(keys); i++) {
		const char *v = sp_config_get(cfg, src->section, keys[i], NULL);
		if (v)
			sp_buf_addf(out, "%s%s=%s", out->len ? "; " : "", keys[i], v);
	}
}
