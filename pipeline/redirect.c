/*
 * redirect.c — the redirect cache behind [dedupe] resolve_redirects (contract in redirect.h).
 *
 * What it does: lists the candidate domains the `redirect` table lacks or holds for longer than
 * the TTL (oldest first, at most redirect_max), asks each one's home page with one HEAD request
 * (connectors/http.h: sp_http_final_url) spaced by the rate limit, and writes the registrable
 * domain of the final URL (pipeline/normalise.h: sp_norm_domain) with the HTTP status and the
 * time, committing every 50 answers so a stopped run keeps what it learnt.
 *
 * Ownership: everything allocated here is freed here. Never prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/http.h"
#include "core/stop.h"
#include "core/store.h"
#include "pipeline/normalise.h"
#include "pipeline/redirect.h"

const sp_config_key sp_redirect_keys[] = {
	{ "dedupe", "resolve_redirects", SP_KEY_BOOL, .def = "no" },
	{ "dedupe", "redirect_ttl_days", SP_KEY_INT, .def = "30", .min = 1, .max = 3650 },
	{ "dedupe", "redirect_per_second", SP_KEY_INT, .def = "5", .min = 1, .max = 100 },
	{ "dedupe", "redirect_max", SP_KEY_INT, .def = "2000", .min = 0, .max = SP_KEY_ANY },
	{ "dedupe", "redirect_timeout", SP_KEY_INT, .def = "10", .min = 1, .max = 300 },
	{ "dedupe", "redirect_connect_to", SP_KEY_STRING, .def = "" },
	{ 0 },
};

int sp_redirect_enabled(const sp_config *cfg)
{
	return sp_config_bool(cfg, "dedupe", sp_redirect_keys, "resolve_redirects");
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

/* Wait until `next` (monotonic ms), looking at stop requests every 100 ms. 0, or 1 when stopped. */
static int wait_until(double next)
{
	for (double left; (left = next - now_ms()) > 0;) {
		if (sp_stop_requested())
			return 1;
		long ms = left > 100 ? 100 : (long)left + 1;
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return sp_stop_requested();
}

/* The domains to ask: unknown or older than the TTL, oldest first, at most max. */
static int due_domains(sp_ctx *ctx, long ttl, long max, char ***out, size_t *n)
{
	sp_stmt *s;
	*out = NULL, *n = 0;
	int rc = sp_store_prepare(ctx->db,
				  "SELECT c.domain FROM (SELECT DISTINCT domain FROM candidate WHERE domain IS NOT NULL) c"
				  " LEFT JOIN redirect r ON r.domain = c.domain"
				  " WHERE r.domain IS NULL OR julianday('now') - julianday(r.checked_at) > ?1"
				  " ORDER BY r.checked_at IS NOT NULL, r.checked_at, c.domain LIMIT ?2",
				  &s, ctx->err);
	if (rc != SP_OK)
		return rc;
	sp_bind_int64(s, 1, ttl);
	sp_bind_int64(s, 2, max);
	size_t cap = 0;
	while ((rc = sp_step(s)) == SP_ROW) {
		if (*n == cap)
			*out = sp_xrealloc(*out, (cap = cap ? cap * 2 : 64) * sizeof(**out));
		(*out)[(*n)++] = sp_xstrdup(sp_col_text(s, 0));
	}
	rc = rc == SP_DONE ? SP_OK : sp_store_error(ctx->db, ctx->err, "redirects: listing domains");
	sp_finalize(s);
	return rc;
}

/* Ask one domain's home page: https first, http when https gives no answer. The registrable
 * domain it ends on (caller frees; NULL: no answer or a shared host), *status the last status. */
static char *ask(const sp_config *cfg, const char *domain, long *status, int *stopped)
{
	sp_http_head_req req = {
		.timeout = sp_config_int(cfg, "dedupe", sp_redirect_keys, "redirect_timeout"),
		.max_redirects = 10,
		.connect_to = sp_config_str(cfg, "dedupe", sp_redirect_keys, "redirect_connect_to"),
	};
	char url[300], *final = NULL;
	sp_err err;
	for (int k = 0; k < 2 && !final; k++) {
		snprintf(url, sizeof(url), "%s://%s/", k ? "http" : "https", domain);
		req.url = url;
		int rc = sp_http_final_url(&req, &final, status, &err);
		if (rc == SP_EINTERRUPTED) {
			*stopped = 1;
			return NULL;
		}
	}
	char *dom = final && *status ? sp_norm_domain(final) : NULL; /* any answer: a 405 to HEAD still ended there */
	free(final);
	return dom;
}

static int store(sp_ctx *ctx, sp_stmt *ins, const char *domain, const char *final, long status)
{
	sp_bind_text(ins, 1, domain);
	sp_bind_text(ins, 2, final);
	sp_bind_int64(ins, 3, status);
	char now[32];
	sp_time_iso(sp_now(), now, sizeof(now)); /* the clock of the program, not of the database */
	now[19] = '\0';                          /* YYYY-MM-DDTHH:MM:SS, as julianday() reads it */
	sp_bind_text(ins, 4, now);
	return sp_store_step_done(ctx->db, ins, ctx->err);
}

int sp_redirect_refresh(sp_ctx *ctx, long *asked, long *moved)
{
	*asked = *moved = 0;
	if (!sp_redirect_enabled(ctx->cfg))
		return SP_OK;
	const sp_config *cfg = ctx->cfg;
	long ttl = sp_config_int(cfg, "dedupe", sp_redirect_keys, "redirect_ttl_days");
	long max = sp_config_int(cfg, "dedupe", sp_redirect_keys, "redirect_max");
	double gap = 1000.0 / (double)sp_config_int(cfg, "dedupe", sp_redirect_keys, "redirect_per_second");
	char **dom;
	size_t n;
	int rc = due_domains(ctx, ttl, max, &dom, &n);
	sp_stmt *ins = NULL;
	if (rc == SP_OK && n)
		rc = sp_store_prepare(ctx->db,
				      "INSERT INTO redirect (domain, final_domain, status, checked_at) VALUES (?1, ?2, ?3, ?4)"
				      " ON CONFLICT (domain) DO UPDATE SET final_domain = excluded.final_domain,"
				      " status = excluded.status, checked_at = excluded.checked_at",
				      &ins, ctx->err);
	int open = 0, stopped = 0;
	double next = now_ms();
	for (size_t i = 0; i < n && rc == SP_OK; i++) {
		if (wait_until(next)) { /* the rate limit: one request per gap */
			stopped = 1;
			break;
		}
		next = now_ms() + gap;
		long status = 0;
		char *fin = ask(cfg, dom[i], &status, &stopped);
		if (stopped)
			break;
		if (!open && (rc = sp_store_begin(ctx->db, ctx->err)) == SP_OK)
			open = 1;
		if (rc == SP_OK)
			rc = store(ctx, ins, dom[i], fin, status);
		(*asked)++;
		*moved += fin && strcmp(fin, dom[i]) != 0;
		free(fin);
		if (rc == SP_OK && open && (*asked % 50 == 0 || i + 1 == n)) {
			rc = sp_store_commit(ctx->db, ctx->err);
			open = 0;
		}
	}
	if (open && rc == SP_OK)
		rc = sp_store_commit(ctx->db, ctx->err);
	else if (open)
		sp_store_rollback(ctx->db);
	if (rc == SP_OK && stopped)
		rc = sp_stop_err(ctx->err);
	sp_finalize(ins);
	for (size_t i = 0; i < n; i++)
		free(dom[i]);
	free(dom);
	return rc;
}
