/*
 * store_pg_sql.c — SQLite-dialect SQL to PostgreSQL, for store_pg.c (see store_pg.h for the
 * rules). Pure functions: no connection, no globals; tests/unit/test_store_pg.c checks them.
 *
 * How: one pass over the tokens (strings, quoted names and comments are copied untouched), a
 * word at a time, with a look at the next word or the parenthesised arguments where a rule needs
 * them. Arguments that are rewritten (group_concat, round) are translated recursively.
 *
 * What is not translated (callers write the portable form instead; see store.h): INSERT OR
 * REPLACE (ON CONFLICT(key) DO UPDATE), sum() of a comparison, an integer used as a boolean,
 * date functions other than julianday() (a SQL function store_pg.c creates), printf().
 */
#include "core/store_pg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct tr {
	sp_buf out;
	int maxp;     /* highest parameter number so far */
	int ddl;      /* a migration: identity columns, triggers */
	int ignore;   /* INSERT OR IGNORE seen in the statement: ON CONFLICT DO NOTHING at its end */
	int stmt_start; /* the next word starts a statement */
	char prev[32]; /* the previous word (lower case) */
	int nsub;      /* subqueries given an alias */
};

static int is_word_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* The end of the token at p that is copied whole (string, quoted name, comment), else NULL. */
static const char *opaque_end(const char *p, const char *end)
{
	if (*p == '\'' || *p == '"') {
		char q = *p++;
		while (p < end) {
			if (*p == q && p + 1 < end && p[1] == q)
				p += 2;
			else if (*p++ == q)
				return p;
		}
		return end;
	}
	if (*p == '-' && p + 1 < end && p[1] == '-') {
		while (p < end && *p != '\n')
			p++;
		return p;
	}
	if (*p == '/' && p + 1 < end && p[1] == '*') {
		const char *e = strstr(p + 2, "*/");
		return e && e + 2 <= end ? e + 2 : end;
	}
	return NULL;
}

/* p past white space and comments. */
static const char *skip_ws(const char *p, const char *end)
{
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *e = p < end && *p != '\'' && *p != '"' ? opaque_end(p, end) : NULL;
		if (!e)
			return p;
		p = e;
	}
}

/* The word at p is w (any case): its end, else NULL. */
static const char *word_is(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(end - p) < n || strncasecmp(p, w, n) || (p + n < end && is_word_char(p[n])))
		return NULL;
	return p + n;
}

/* The closing parenthesis matching the '(' at p (strings skipped), else end. The top-level
 * commas' positions go in commas (up to max), their number in *ncommas. */
static const char *match_paren(const char *p, const char *end, const char **commas, int max, int *ncommas)
{
	int depth = 0;
	*ncommas = 0;
	while (p < end) {
		const char *e = opaque_end(p, end);
		if (e) {
			p = e;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
		else if (*p == ',' && depth == 1) {
			if (*ncommas < max)
				commas[*ncommas] = p;
			(*ncommas)++;
		}
		p++;
	}
	return end;
}

static void tr_range(struct tr *t, const char *p, const char *end);

/* Translate [p, end) as a piece of an expression (keeps the statement state). */
static void tr_piece(struct tr *t, const char *p, const char *end)
{
	int start = t->stmt_start;
	t->stmt_start = 0;
	tr_range(t, p, end);
	t->stmt_start = start;
}

/* group_concat(x[, sep]) at the '(' open: string_agg(CAST(x AS TEXT), sep or ','). */
static const char *tr_group_concat(struct tr *t, const char *open, const char *end)
{
	const char *commas[2];
	int nc;
	const char *close = match_paren(open, end, commas, 2, &nc);
	if (close >= end || nc > 1)
		return NULL;
	const char *a = skip_ws(open + 1, close), *a_end = nc ? commas[0] : close;
	sp_buf_addf(&t->out, "string_agg(");
	const char *d = word_is(a, a_end, "DISTINCT");
	if (d) {
		sp_buf_addf(&t->out, "DISTINCT ");
		a = skip_ws(d, a_end);
	}
	sp_buf_addf(&t->out, "CAST(");
	tr_piece(t, a, a_end);
	sp_buf_addf(&t->out, " AS TEXT),");
	if (nc)
		tr_piece(t, commas[0] + 1, close);
	else
		sp_buf_addf(&t->out, " ','");
	sp_buf_addf(&t->out, ")");
	return close + 1;
}

/* round(x, n) at the '(' open: PostgreSQL rounds to n places only a numeric. */
static const char *tr_round(struct tr *t, const char *open, const char *end)
{
	const char *commas[1];
	int nc;
	const char *close = match_paren(open, end, commas, 1, &nc);
	if (close >= end || nc != 1)
		return NULL;
	sp_buf_addf(&t->out, "CAST(round(CAST(");
	tr_piece(t, open + 1, commas[0]);
	sp_buf_addf(&t->out, " AS NUMERIC),");
	tr_piece(t, commas[0] + 1, close);
	sp_buf_addf(&t->out, ") AS DOUBLE PRECISION)");
	return close + 1;
}

/* Copy one word token [p, q) into buf (lower case, truncated). */
static void word_lower(const char *p, const char *q, char *buf, size_t n)
{
	size_t i = 0;
	for (; p < q && i + 1 < n; p++)
		buf[i++] = (char)tolower((unsigned char)*p);
	buf[i] = '\0';
}

/*
 * CREATE TRIGGER name BEFORE|AFTER event ON table BEGIN SELECT RAISE(ABORT, 'msg'); END at p
 * (after CREATE): a plpgsql function raising msg and a trigger calling it for each row. Returns
 * past END, or NULL when the trigger is not of that form.
 */
static const char *tr_trigger(struct tr *t, const char *p, const char *end)
{
	char w[5][64];
	const char *q = skip_ws(p, end);
	if (!(q = word_is(q, end, "TRIGGER")))
		return NULL;
	for (int i = 0; i < 5; i++) { /* name, timing, event, ON, table */
		q = skip_ws(q, end);
		const char *s = q;
		while (q < end && is_word_char(*q))
			q++;
		if (q == s || (size_t)(q - s) >= sizeof(w[i]))
			return NULL;
		memcpy(w[i], s, (size_t)(q - s));
		w[i][q - s] = '\0';
	}
	const char *raise = strstr(q, "RAISE(ABORT,");
	if (strcasecmp(w[3], "ON") || !raise || raise >= end)
		return NULL;
	const char *msg = skip_ws(raise + strlen("RAISE(ABORT,"), end);
	const char *msg_end = *msg == '\'' ? opaque_end(msg, end) : NULL;
	const char *fin = msg_end ? strstr(msg_end, "END") : NULL;
	if (!fin || fin >= end)
		return NULL;
	sp_buf_addf(&t->out,
		    "CREATE FUNCTION %s_fn() RETURNS trigger LANGUAGE plpgsql AS $sp$ BEGIN RAISE EXCEPTION %.*s; END $sp$;"
		    " CREATE TRIGGER %s %s %s ON %s FOR EACH ROW EXECUTE FUNCTION %s_fn()",
		    w[0], (int)(msg_end - msg), msg, w[0], w[1], w[2], w[4], w[0]);
	return fin + 3;
}

/* INTEGER PRIMARY KEY of a column named id, not REFERENCES another table: an identity. q is
 * past INTEGER; returns past PRIMARY KEY when it is one, else NULL. */
static const char *tr_identity(struct tr *t, const char *q, const char *end)
{
	const char *k = skip_ws(q, end);
	if (strcmp(t->prev, "id") || !(k = word_is(k, end, "PRIMARY")) || !(k = word_is(skip_ws(k, end), end, "KEY")))
		return NULL;
	const char *r = skip_ws(k, end);
	if (word_is(r, end, "REFERENCES"))
		return NULL;
	sp_buf_addf(&t->out, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
	return k;
}

/* a IS b (b not NULL, TRUE, FALSE): IS NOT DISTINCT FROM; IS NOT b: IS DISTINCT FROM. q past IS. */
static const char *tr_is(struct tr *t, const char *q, const char *end)
{
	const char *n = skip_ws(q, end), *after_not = word_is(n, end, "NOT");
	const char *b = after_not ? skip_ws(after_not, end) : n;
	if (word_is(b, end, "NULL") || word_is(b, end, "TRUE") || word_is(b, end, "FALSE") || word_is(b, end, "DISTINCT"))
		return NULL;
	sp_buf_addf(&t->out, after_not ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM");
	return after_not ? after_not : q;
}

/* A name follows at a (an alias), not a clause's keyword. */
static int alias_follows(const char *a, const char *end)
{
	static const char *const clause[] = { "WHERE", "GROUP", "ORDER", "JOIN", "LEFT", "INNER", "CROSS", "ON", "LIMIT",
					      "UNION", "HAVING", "WINDOW", "USING", "NATURAL", "FULL", "RIGHT",
					      "EXCEPT", "INTERSECT", "RETURNING", NULL };
	if (a >= end || !is_word_start(*a))
		return 0;
	for (int i = 0; clause[i]; i++)
		if (word_is(a, end, clause[i]))
			return 0;
	return 1;
}

/* FROM|JOIN (subquery) without an alias: PostgreSQL (before 16) wants one. open is at '('. */
static const char *tr_subquery(struct tr *t, const char *p, const char *open, const char *end)
{
	const char *commas[1];
	int nc;
	const char *close = match_paren(open, end, commas, 1, &nc);
	if (close >= end)
		return NULL;
	sp_buf_add(&t->out, p, (size_t)(open - p));
	tr_piece(t, open, close + 1);
	if (!alias_follows(skip_ws(close + 1, end), end))
		sp_buf_addf(&t->out, " AS sp_sub%d", ++t->nsub);
	return close + 1;
}

/* CAST(?N AS type) at open ('('): the parameter is text (every parameter is bound as text), so
 * that its other uses in the statement may compare it as text ("substr(date, 1, 4) = ?1"). */
static const char *tr_cast_param(struct tr *t, const char *open, const char *end)
{
	const char *v = skip_ws(open + 1, end);
	if (v >= end || *v != '?')
		return NULL;
	char *num_end;
	long n = strtol(v + 1, &num_end, 10);
	const char *as = word_is(skip_ws(num_end, end), end, "AS");
	if (num_end == v + 1 || !as)
		return NULL;
	if (n > t->maxp)
		t->maxp = (int)n;
	sp_buf_addf(&t->out, "CAST(CAST($%ld AS TEXT) AS", n);
	return as;
}

/* REFERENCES table(cols) in a migration, q past REFERENCES: the same, DEFERRABLE (still checked
 * at once unless a transaction defers it: `sparker migrate` copies tables in any order). */
static const char *tr_references(struct tr *t, const char *q, const char *end)
{
	const char *n = skip_ws(q, end), *e = n;
	while (e < end && is_word_char(*e))
		e++;
	if (e == n)
		return NULL;
	const char *o = skip_ws(e, end), *after = e;
	if (o < end && *o == '(') {
		const char *commas[1];
		int nc;
		after = match_paren(o, end, commas, 1, &nc);
		if (after >= end)
			return NULL;
		after++;
	}
	sp_buf_addf(&t->out, "REFERENCES");
	tr_piece(t, q, after);
	sp_buf_addf(&t->out, " DEFERRABLE");
	return after;
}

/* One word [p, q): its translation; returns where to go on. */
static const char *tr_word(struct tr *t, const char *p, const char *q, const char *end)
{
	char w[32];
	word_lower(p, q, w, sizeof(w));
	int start = t->stmt_start;
	t->stmt_start = 0;
	const char *open = skip_ws(q, end), *r = NULL;
	int call = open < end && *open == '(';
	if (start && !strcmp(w, "pragma")) { /* SQLite's settings: nothing on PostgreSQL */
		while (q < end && *q != ';')
			q++;
		t->stmt_start = 1;
		return q < end ? q + 1 : q;
	}
	if (!strcmp(w, "or") && !strcmp(t->prev, "insert") && (r = word_is(open, end, "IGNORE"))) {
		t->ignore = 1;
		snprintf(t->prev, sizeof(t->prev), "insert");
		return skip_ws(r, end);
	}
	if (!strcmp(w, "immediate") && !strcmp(t->prev, "begin"))
		return q;
	if (call && !strcmp(w, "group_concat") && (r = tr_group_concat(t, open, end)))
		return r;
	if (call && !strcmp(w, "round") && (r = tr_round(t, open, end)))
		return r;
	if (call && !strcmp(w, "cast") && (r = tr_cast_param(t, open, end)))
		return r;
	if (call && (!strcmp(w, "from") || !strcmp(w, "join")) && (r = tr_subquery(t, p, open, end))) {
		snprintf(t->prev, sizeof(t->prev), "%s", w);
		return r;
	}
	if (t->ddl && start && !strcmp(w, "create") && (r = tr_trigger(t, q, end)))
		return r;
	if (t->ddl && !strcmp(w, "integer") && (r = tr_identity(t, q, end)))
		return r;
	if (t->ddl && !strcmp(w, "references") && (r = tr_references(t, q, end)))
		return r;
	if (t->ddl && !strcmp(w, "text")) { /* compared and sorted byte by byte, as SQLite does */
		sp_buf_addf(&t->out, "TEXT COLLATE \"C\"");
		return q;
	}
	if (!strcmp(w, "is") && (r = tr_is(t, q, end)))
		return r;
	const char *to = NULL;
	if (call && (!strcmp(w, "min") || !strcmp(w, "max"))) {
		const char *commas[1];
		int nc;
		match_paren(open, end, commas, 1, &nc);
		if (nc)
			to = w[1] == 'i' ? "least" : "greatest";
	}
	static const char *const words[][2] = {
		{ "ifnull", "coalesce" }, { "instr", "strpos" }, { "like", "ILIKE" }, { "integer", "BIGINT" },
		{ "real", "DOUBLE PRECISION" }, { "rowid", "ctid" }, { "fetch", "\"fetch\"" }, { "user", "\"user\"" },
	};
	for (size_t i = 0; !to && i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(w, words[i][0]))
			to = words[i][1];
	if (to)
		sp_buf_addf(&t->out, "%s", to);
	else
		sp_buf_addf(&t->out, "%.*s", (int)(q - p), p);
	snprintf(t->prev, sizeof(t->prev), "%s", w);
	return q;
}

static void end_statement(struct tr *t)
{
	if (t->ignore)
		sp_buf_addf(&t->out, " ON CONFLICT DO NOTHING");
	t->ignore = 0;
	t->stmt_start = 1;
}

static void tr_range(struct tr *t, const char *p, const char *end)
{
	while (p < end) {
		const char *e = opaque_end(p, end);
		if (e) {
			sp_buf_addf(&t->out, "%.*s", (int)(e - p), p);
			p = e;
		} else if (*p == '?') {
			char *num_end;
			long n = strtol(p + 1, &num_end, 10);
			if (num_end == p + 1)
				n = t->maxp + 1;
			if (n > t->maxp)
				t->maxp = (int)n;
			sp_buf_addf(&t->out, "$%ld", n);
			p = num_end;
		} else if (is_word_start(*p)) {
			const char *q = p;
			while (q < end && is_word_char(*q))
				q++;
			p = tr_word(t, p, q, end);
		} else if (isdigit((unsigned char)*p)) {
			const char *q = p;
			while (q < end && (is_word_char(*q) || *q == '.'))
				q++;
			sp_buf_addf(&t->out, "%.*s", (int)(q - p), p);
			p = q;
		} else {
			if (*p == ';' && t->stmt_start == 0) {
				/* trailing white space stays after the clause */
				end_statement(t);
			} else if (!isspace((unsigned char)*p)) {
				t->prev[0] = '\0';
			}
			sp_buf_addf(&t->out, "%c", *p);
			p++;
		}
	}
}

/* Whole-text rewrites of the migrations that the token rules cannot make (documented in
 * store_pg.h): judgement_place's carries is a comparison, an integer on SQLite. */
static const char *const ddl_fixes[][2] = {
	{ "rk = 1 AS carries", "CASE WHEN rk = 1 THEN 1 ELSE 0 END AS carries" },
};

static char *translate(const char *sql, int ddl, int *nparams)
{
	char *src = sp_xstrdup(sql);
	for (size_t i = 0; ddl && i < sizeof(ddl_fixes) / sizeof(ddl_fixes[0]); i++) {
		char *hit = strstr(src, ddl_fixes[i][0]);
		if (!hit)
			continue;
		sp_buf b = SP_BUF_INIT;
		sp_buf_addf(&b, "%.*s%s%s", (int)(hit - src), src, ddl_fixes[i][1], hit + strlen(ddl_fixes[i][0]));
		free(src);
		src = sp_buf_detach(&b);
	}
	struct tr t = { .out = SP_BUF_INIT, .ddl = ddl, .stmt_start = 1 };
	sp_buf_addf(&t.out, "%s", "");
	tr_range(&t, src, src + strlen(src));
	if (t.ignore) {
		/* the clause goes before trailing white space */
		size_t n = t.out.len;
		while (n && isspace((unsigned char)t.out.buf[n - 1]))
			n--;
		t.out.len = n;
		t.out.buf[n] = '\0';
		end_statement(&t);
	}
	free(src);
	if (nparams)
		*nparams = t.maxp;
	return sp_buf_detach(&t.out);
}

char *sp_pg_translate(const char *sql, int *nparams)
{
	return translate(sql, 0, nparams);
}

char *sp_pg_translate_ddl(const char *sql)
{
	return translate(sql, 1, NULL);
}
