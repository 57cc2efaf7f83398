/*
 * cmd_accept.c — `sparker accept SOURCE`: apply the snapshot the quality gates held for a source,
 * once, bypassing the gates, when an analyst has checked that it is right (connectors/gate.h).
 *
 * It is a run of the parse stage for that source with ctx->accept set (pipeline/run.c): under the
 * run lock, with a run row (args "accept SOURCE") and a stage_run row, as of the logical date of
 * the run that held the snapshot (so first_seen/last_seen read as that night's). The parse stage
 * reads the hold, applies that snapshot (records marked gone as it says) and drops the hold;
 * normalise, dedupe and score carry it further at the next run, or at once with `sparker run
 * --from normalise`. Exit 0 when applied; 1 when nothing is held (said clearly) or the snapshot
 * cannot be applied (an unreadable file); 2 for a bad argument; 75 when a run holds the lock.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "connectors/gate.h"
#include "pipeline/run.h"

static int cmd_accept(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_accept_entry = {
	.name = "accept",
	.fn = cmd_accept,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "apply the snapshot a quality gate held for a source, once",
	.usage = "usage: sparker [-c CONFIG] accept SOURCE\n\n"
	         "A snapshot that fails a quality gate (min_rows, max_gone_pct, max_reject_pct,\n"
	         "max_age_days; `sparker status` shows it) is kept in the raw store but not applied.\n"
	         "When it is right after all, accept applies it once, bypassing the gates, as of the\n"
	         "logical date of the run that held it: its records are stored, those it lacks are\n"
	         "marked gone. Entities and the shortlist follow at the next run, or now with\n"
	         "`sparker run --from normalise`. Takes the run lock.\n"
};

struct accept_out {
	char note[256];
};

static void on_stage(void *user, const sp_stage_result *r)
{
	struct accept_out *o = user;
	if (r->rc >= 0)
		snprintf(o->note, sizeof(o->note), "%s", r->counts.note);
}

static int cmd_accept(int argc, char **argv, sp_env *env)
{
	if (argc != 2 || argv[1][0] == '-') {
		sp_cmd_error("accept: name one source (see `sparker accept --help`)");
		return SP_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!sp_config_source(env->cfg, name)) {
		sp_cmd_error("accept: no source named '%s' in %s", name, env->cfg->path);
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_gate_hold h;
	sp_err err;
	int rc = sp_gate_hold_get(db, name, &h, &err);
	sp_store_close(db);
	if (rc == SP_ENOTFOUND || (rc == SP_OK && !h.fetch_id)) {
		if (rc == SP_OK)
			sp_cmd_error("accept: source %s holds no snapshot to apply (its gate %s failed on freshness: %s)",
				     name, h.gate, h.message);
		else
			sp_cmd_error("accept: source %s holds no snapshot: nothing to accept (`sparker status` lists "
				     "held snapshots)", name);
		return SP_EXIT_FAIL;
	}
	if (rc != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EXIT_FAIL;
	}
	const char *sources[1] = { name };
	char args[512];
	snprintf(args, sizeof(args), "accept %s", name);
	sp_run_opts o = { .stage = "parse", .sources = sources, .nsources = 1, .as_of = *h.as_of ? h.as_of : NULL,
			  .args = args, .accept = 1, .verbose = env->verbose, .quiet = env->quiet };
	struct accept_out out = { "" };
	sp_run_summary sum;
	rc = sp_run_execute(env->cfg, &o, on_stage, &out, &sum, &err);
	if (rc != SP_OK) {
		sp_cmd_error("accept: %s", err.msg);
		return rc == SP_ELOCKED ? SP_EXIT_LOCKED : SP_EXIT_FAIL;
	}
	if (!env->quiet)
		printf("source %s: held snapshot (gate %s) applied in run %lld as of %s: %s\n"
		       "entities and the shortlist follow at the next run, or now: sparker run --from normalise\n",
		       name, h.gate, (long long)sum.run_id, h.as_of, out.note);
	return SP_EXIT_OK;
}
