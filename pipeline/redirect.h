/*
 * redirect.h — where each candidate's website ends after redirects, for dedupe's redirect evidence.
 *
 * What it does: with [dedupe] resolve_redirects = yes, sp_redirect_refresh() asks, politely, the
 * home page of every candidate website (registrable domain) that the `redirect` table does not
 * know or knew more than redirect_ttl_days ago: one HEAD request (https://DOMAIN/, then
 * http://DOMAIN/ when https gives no answer; connectors/http.h), at most redirect_per_second
 * requests a second and redirect_max per run (the rest waits for the next run, oldest first), and
 * caches the registrable domain of the final URL (or no answer) with the time asked. The dedupe
 * stage then reads the cache (pipeline/dedupe.h: a website redirecting to another record's
 * website links the two when the names are compatible — a rebrand — and makes them a group
 * otherwise — an acquisition).
 *
 * Invariants: one request per domain per TTL, whatever the number of records carrying it; a domain
 * that gave no answer is cached too (not asked again before the TTL). [dedupe] redirect_connect_to
 * = HOST:PORT sends every connection there (tests: 127.0.0.1; never the internet in tests).
 *
 * Failure: SP_OK when every domain was asked or cached (single failures are answers: "none");
 * SP_EDB with ctx->err set; SP_EINTERRUPTED on a stop request (the answers so far are kept).
 */
#ifndef SP_REDIRECT_H
#define SP_REDIRECT_H

#include "core/config.h"
#include "pipeline/stage.h"

/* [dedupe] resolve_redirects, redirect_ttl_days, redirect_per_second, redirect_max,
 * redirect_timeout, redirect_connect_to. */
extern const sp_config_key sp_redirect_keys[];

/* 1 when [dedupe] resolve_redirects = yes. */
int sp_redirect_enabled(const sp_config *cfg);

/* Refresh the cache; *asked: domains asked this run, *moved: of those, ending on another domain. */
int sp_redirect_refresh(sp_ctx *ctx, long *asked, long *moved);

#endif
