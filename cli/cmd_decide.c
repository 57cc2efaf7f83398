/*
 * cmd_decide.c — committee decisions: `sparker decide`, `sparker decisions import|list`.
 *
 * decide ENTITY accompanied|cocreation|invested|declined [--date YYYY-MM-DD] [--note TEXT]
 *     ENTITY is an entity id or SOURCE:KEY (a merged entity is followed, and said). The date
 *     must be a real calendar date (default: today, UTC; SOURCE_DATE_EPOCH honoured); a date in
 *     the future is recorded with a warning. The decision is a judgement (pipeline/judgement.h)
 *     anchored to the startup's records, with who and when. The same decision and date again
 *     with the same note is already recorded; with another note it replaces the earlier one.
 * decisions import FILE.csv
 *     Header row naming the columns entity (or entity_id, or record), decision, date and
 *     optionally note, in any order. The entity column holds an entity id or SOURCE:KEY. Every
 *     bad line is reported as "FILE:LINE: reason" on stderr; the valid lines are imported in one
 *     transaction (origin "import:FILE"), so importing a file twice is importing it once; exit 1
 *     when any line was bad. Warnings (stderr, exit unchanged): dates in the future, and a
 *     startup that ends up both declined and accompanied/co-created/invested.
 * decisions list [--year Y]
 *     The decisions in force (of year Y): where each lands now, who recorded it and when.
 *
 * The writers never wait for a nightly run (cli/cmd.h: sp_cmd_analyst_open): during a run on
 * SQLite, decide queues its judgement in the inbox (pipeline/inbox.h), and decisions import checks
 * every line as above and queues them all in one transaction of the inbox, or none when a line is
 * bad (exit 1); the next run records them together.
 */
#include <csv.h>
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cmd.h"
#include "core/date.h"
#include "pipeline/entity.h"
#include "pipeline/inbox.h"
#include "pipeline/judgement.h"
#include "pipeline/run.h"

static int cmd_decide(int argc, char **argv, sp_env *env);
static int cmd_decisions(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_decide_entry = {
	.name = "decide",
	.fn = cmd_decide,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "record a committee decision",
	.usage = "usage: sparker [-c CONFIG] decide ENTITY accompanied|cocreation|invested|declined [--date D] [--note N]\n\n"
	         "ENTITY is an entity id or SOURCE:KEY. The decision stays with the startup's records\n"
	         "through every later link, unlink and rerun.\n"
};

const sp_cmd sp_cmd_decisions_entry = {
	.name = "decisions",
	.fn = cmd_decisions,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "import or list committee decisions",
	.usage = "usage: sparker [-c CONFIG] decisions import FILE.csv | list [--year Y]\n\n"
	         "FILE.csv columns: entity,decision,date[,note] with a header row; entity is an entity id\n"
	         "or SOURCE:KEY (the column may also be named entity_id or record).\n"
};

static void today(char out[11])
{
	char iso[32];
	sp_time_iso(sp_now(), iso, sizeof(iso));
	snprintf(out, 11, "%.10s", iso);
}

/* Record one decision on a live entity as a judgement (into the inbox when ib: pipeline/inbox.h). */
static int record_decision(sp_store *db, sp_inbox *ib, int64_t id, const char *decision, const char *date,
			   const char *note, const char *user, const char *hub, const char *origin, sp_judgement_out *out,
			   sp_err *err)
{
	sp_judgement j = { .kind = SP_J_DECISION, .value = decision, .date = date, .entity = id, .note = note,
			   .user = user, .hub = hub, .origin = origin };
	return sp_inbox_record(db, ib, &j, out, err);
}

static int cmd_decide(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' }, { "note", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 }
	};
	const char *date = NULL, *note = NULL;
	int o;
	optind = 0; /* full re-initialisation: main's getopt used REQUIRE_ORDER ('+') */
	while ((o = getopt_long(argc, argv, "d:n:", opts, NULL)) != -1) {
		switch (o) {
		case 'd': date = optarg; break;
		case 'n': note = optarg; break;
		default:
			sp_cmd_error("usage: sparker decide ENTITY_ID accompanied|cocreation|invested|declined [--date D] [--note N]");
			return SP_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		sp_cmd_error("usage: sparker decide ENTITY_ID accompanied|cocreation|invested|declined [--date D] [--note N]");
		return SP_EXIT_USAGE;
	}
	const char *ent = argv[optind], *decision = argv[optind + 1];
	if (!sp_decision_valid(decision)) {
		sp_cmd_error("decide: unknown decision '%s' (accompanied, cocreation, invested or declined)", decision);
		return SP_EXIT_USAGE;
	}
	char day[11];
	if (date) {
		if (!sp_date_is_iso_valid(date)) {
			sp_cmd_error("decide: bad date '%s' (expected a real date YYYY-MM-DD)", date);
			return SP_EXIT_USAGE;
		}
		snprintf(day, sizeof(day), "%s", date);
	} else {
		today(day);
	}
	char now[11];
	today(now);
	if (strcmp(day, now) > 0)
		fprintf(stderr, "sparker: warning: decision date %s is in the future\n", day);
	sp_err err;
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "decide", &an);
	if (code != SP_EXIT_OK)
		return code;
	sp_store *db = an.db;
	int64_t id;
	int rc = sp_cmd_resolve_entity(db, ent, &id, 0);
	if (rc != SP_OK) {
		code = rc == SP_EUSAGE ? SP_EXIT_USAGE : SP_EXIT_FAIL;
	} else {
		sp_judgement_out out;
		sp_judgement j = { .kind = SP_J_DECISION, .value = decision, .date = day, .entity = id, .note = note,
				   .user = sp_cmd_user(env), .hub = sp_cmd_hub(env), .origin = "cli" };
		if (sp_inbox_record(db, an.inbox, &j, &out, &err) != SP_OK) {
			sp_cmd_error("decide: %s", err.msg);
			code = sp_cmd_exit_code(err.code);
		} else if (!sp_cmd_analyst_pending(env, &an, out.pending) && !env->quiet) {
			printf("entity %lld: %s on %s (judgement %lld%s)\n", (long long)id, decision, day, (long long)out.id,
			       out.same ? ", already recorded" : out.superseded ? ", replaces the earlier note" : "");
		}
	}
	sp_cmd_analyst_close(&an);
	return code;
}

/* ---- CSV import ---- */

struct imp {
	const char *file;
	sp_store *db;
	sp_inbox *inbox; /* during a run (SQLite): the rows are queued there */
	sp_buf fields[8];
	int nf;
	int overflow;
	long line;       /* physical line being fed */
	long row;        /* rows seen */
	int col_entity, col_decision, col_date, col_note;
	int header_done;
	int bad, imported, updated, same, queued, fatal;
	char origin[300];
	char today[11];
	const char *user, *hub;
	int64_t *touched; /* live entities decided on, for the contradiction check */
	size_t ntouched;
	sp_err err;
};

static void on_field(void *s, size_t len, void *data)
{
	struct imp *im = data;
	if (im->nf >= (int)SP_ARRAY_LEN(im->fields)) {
		im->overflow = 1;
		return;
	}
	sp_buf *b = &im->fields[im->nf++];
	sp_buf_reset(b);
	sp_buf_add(b, s ? (const char *)s : "", s ? len : 0);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void bad_line(struct imp *im, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s:%ld: ", im->file, im->line);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	im->bad++;
}

static void on_row(int c, void *data)
{
	(void)c;
	struct imp *im = data;
	int nf = im->nf;
	im->nf = 0;
	if (im->fatal)
		return;
	if (!im->header_done) {
		im->col_entity = im->col_decision = im->col_date = im->col_note = -1;
		for (int i = 0; i < nf; i++) {
			char *h = trim(im->fields[i].buf ? im->fields[i].buf : (char *)"");
			if (!strncmp(h, "\xEF\xBB\xBF", 3)) /* BOM */
				h += 3;
			if (!strcasecmp(h, "entity_id") || !strcasecmp(h, "entity") || !strcasecmp(h, "record"))
				im->col_entity = i;
			else if (!strcasecmp(h, "decision"))
				im->col_decision = i;
			else if (!strcasecmp(h, "date"))
				im->col_date = i;
			else if (!strcasecmp(h, "note"))
				im->col_note = i;
		}
		im->header_done = 1;
		if (im->col_entity < 0 || im->col_decision < 0 || im->col_date < 0) {
			fprintf(stderr, "%s:%ld: header must name the columns entity,decision,date[,note]\n", im->file, im->line);
			im->bad++;
			im->fatal = 1;
		}
		return;
	}
	im->row++;
	if (im->overflow) {
		im->overflow = 0;
		bad_line(im, "%s", "too many columns (expected entity,decision,date,note)");
		return;
	}
	int need = im->col_entity > im->col_decision ? im->col_entity : im->col_decision;
	if (im->col_date > need)
		need = im->col_date;
	if (nf == 1 && im->fields[0].len == 0)
		return; /* blank line */
	if (nf <= need) {
		char msg[64];
		snprintf(msg, sizeof(msg), "%d", nf);
		bad_line(im, "only %s column(s) (expected entity,decision,date,note)", msg);
		return;
	}
	char *ent = trim(im->fields[im->col_entity].buf);
	char *dec = trim(im->fields[im->col_decision].buf ? im->fields[im->col_decision].buf : (char *)"");
	char *date = trim(im->fields[im->col_date].buf ? im->fields[im->col_date].buf : (char *)"");
	const char *note = im->col_note >= 0 && im->col_note < nf && im->fields[im->col_note].buf
				   ? trim(im->fields[im->col_note].buf) : NULL;
	for (char *p = dec; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	int64_t asked = 0, live = 0; /* a merged entity stands for the entity it joined */
	sp_err lerr;                 /* im->err is only for fatal errors: a missing entity is a bad line */
	int rc = sp_entity_resolve(im->db, ent, &asked, &live, &lerr);
	if (rc == SP_ENOTFOUND || rc == SP_EUSAGE) {
		bad_line(im, "%s", lerr.msg);
		return;
	}
	if (rc != SP_OK) {
		im->err = lerr;
		im->fatal = 1;
		return;
	}
	if (!sp_decision_valid(dec)) {
		bad_line(im, "unknown decision '%s' (accompanied, cocreation, invested or declined)", dec);
		return;
	}
	if (!sp_date_is_iso_valid(date)) {
		bad_line(im, "bad date '%s' (expected a real date YYYY-MM-DD)", date);
		return;
	}
	if (asked != live)
		fprintf(stderr, "%s:%ld: entity %lld was merged into %lld; using %lld\n", im->file, im->line, (long long)asked,
			(long long)live, (long long)live);
	if (strcmp(date, im->today) > 0)
		fprintf(stderr, "%s:%ld: warning: date %s is in the future\n", im->file, im->line, date);
	sp_judgement_out out;
	if (record_decision(im->db, im->inbox, live, dec, date, note && *note ? note : NULL, im->user, im->hub, im->origin,
			    &out, &lerr) != SP_OK) {
		if (lerr.code == SP_EDB) {
			im->err = lerr;
			im->fatal = 1;
		} else {
			bad_line(im, "%s", lerr.msg);
		}
		return;
	}
	if (out.pending)
		im->queued++;
	else if (out.same)
		im->same++;
	else if (out.superseded)
		im->updated++;
	else
		im->imported++;
	if (im->ntouched % 64 == 0)
		im->touched = sp_xrealloc(im->touched, (im->ntouched + 64) * sizeof(int64_t));
	im->touched[im->ntouched++] = live;
}

/* A startup the committee both declined and took on: said, not refused (the later may be right). */
static void warn_contradictions(struct imp *im)
{
	sp_stmt *s;
	sp_err err;
	if (!im->ntouched ||
	    sp_store_prepare(im->db,
			     "SELECT e.id, COALESCE(e.name, ''), group_concat(DISTINCT j.value) FROM judgement_active j"
			     " JOIN judgement_place p ON p.judgement_id = j.id AND p.carries = 1 JOIN entity e ON e.id = p.entity_id"
			     " WHERE j.kind = 'decision' AND p.entity_id = ?1 GROUP BY e.id"
			     " HAVING max(CASE WHEN j.value = 'declined' THEN 1 ELSE 0 END) = 1"
			     " AND max(CASE WHEN j.value <> 'declined' THEN 1 ELSE 0 END) = 1",
			     &s, &err) != SP_OK)
		return;
	for (size_t i = 0; i < im->ntouched; i++) {
		int dup = 0;
		for (size_t k = 0; k < i && !dup; k++)
			dup = im->touched[k] == im->touched[i];
		if (dup)
			continue;
		sp_bind_int64(s, 1, im->touched[i]);
		if (sp_step(s) == SP_ROW)
			fprintf(stderr, "%s: warning: entity %lld (%s) has contradicting decisions: %s\n", im->file,
				(long long)sp_col_int64(s, 0), sp_col_text(s, 1),
				sp_col_text(s, 2));
		sp_reset(s);
	}
	sp_finalize(s);
}

/* Feed the file through libcsv into im (inside the caller's transaction). */
static void import_read(struct imp *im, FILE *f)
{
	const char *why = sp_cmd_csv_feed(f, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL, on_field, on_row, im, &im->line, &im->fatal);
	if (why) {
		fprintf(stderr, "%s:%ld: %s\n", im->file, im->line, why);
		im->bad++;
		im->fatal = 1;
	}
	if (!im->header_done) {
		fprintf(stderr, "%s: empty file (expected the header entity_id,decision,date,note)\n", im->file);
		im->bad++;
	}
}

/* The end of an import: committed (queued: nothing when a line was bad) or rolled back; said. */
static int import_end(sp_env *env, sp_cmd_analyst *an, struct imp *im)
{
	sp_err err;
	int ok = !*im->err.msg && !(an->inbox && im->bad);
	if (sp_cmd_import_end(an, ok, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EXIT_FAIL;
	}
	if (*im->err.msg) {
		sp_cmd_error("%s: %s", im->file, im->err.msg);
		return SP_EXIT_FAIL;
	}
	if (an->inbox) {
		sp_cmd_import_queued(an, im->file, im->queued, im->bad);
		return im->bad ? SP_EXIT_FAIL : SP_EXIT_OK;
	}
	warn_contradictions(im);
	if (!env->quiet || im->bad)
		fprintf(im->bad ? stderr : stdout, "%s: %d decision%s imported, %d with a new note, %d already recorded, %d bad line%s\n",
			im->file, im->imported, im->imported == 1 ? "" : "s", im->updated, im->same, im->bad, im->bad == 1 ? "" : "s");
	return im->bad ? SP_EXIT_FAIL : SP_EXIT_OK;
}

static int decisions_import(sp_env *env, const char *file)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		sp_cmd_error("cannot read %s: %m", file);
		return SP_EXIT_FAIL;
	}
	sp_err err;
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "decisions import", &an);
	struct imp im;
	memset(&im, 0, sizeof(im));
	im.file = file;
	im.db = an.db;
	im.inbox = an.inbox;
	im.user = sp_cmd_user(env);
	im.hub = sp_cmd_hub(env);
	today(im.today);
	snprintf(im.origin, sizeof(im.origin), "import:%s", file);
	sp_err_clear(&im.err);
	if (code == SP_EXIT_OK && sp_cmd_import_begin(&an, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		code = SP_EXIT_FAIL;
	}
	if (code == SP_EXIT_OK) {
		import_read(&im, f);
		code = import_end(env, &an, &im);
	}
	for (size_t i = 0; i < SP_ARRAY_LEN(im.fields); i++)
		sp_buf_release(&im.fields[i]);
	free(im.touched);
	fclose(f);
	sp_cmd_analyst_close(&an);
	return code;
}

struct list_ctx {
	const char *year;
	int n, split;
};

static int list_one(const sp_judgement_row *r, void *user)
{
	struct list_ctx *lc = user;
	if (r->kind != SP_J_DECISION || (lc->year && strncmp(r->date ? r->date : "", lc->year, 4)))
		return 0;
	if (!lc->n++)
		printf("%-6s %-8s %-32s %-12s %-10s %-12s %-8s %s\n", "id", "entity", "name (when decided)", "decision", "date",
		       "by", "hub", "note");
	char where[32];
	lc->split += r->parts > 1;
	if (r->carrier)
		snprintf(where, sizeof(where), "%lld%s", (long long)r->carrier, r->parts > 1 ? "*" : "");
	else
		snprintf(where, sizeof(where), "-");
	printf("%-6lld %-8s %-32.32s %-12s %-10s %-12.12s %-8.8s %s\n", (long long)r->id, where,
	       r->name_then ? r->name_then : "",
	       r->value ? r->value : "", r->date ? r->date : "", r->user ? r->user : "", r->hub ? r->hub : "-",
	       r->note ? r->note : "");
	return 0;
}

static int decisions_list(sp_env *env, const char *year)
{
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_err err;
	struct list_ctx lc = { year, 0, 0 };
	int rc = sp_judgement_each(db, SP_J_LIST_ACTIVE, 0, list_one, &lc, &err);
	if (rc != SP_OK)
		sp_cmd_error("%s", err.msg);
	else if (!lc.n)
		printf("no decisions%s%s\n", year ? " in " : "", year ? year : "");
	else if (lc.split)
		printf("(* the startup's records are split across entities: see `sparker judgements list`)\n");
	sp_store_close(db);
	return rc == SP_OK ? SP_EXIT_OK : SP_EXIT_FAIL;
}

static int cmd_decisions(int argc, char **argv, sp_env *env)
{
	static const char usage[] = "usage: sparker decisions import FILE.csv | list [--year Y]";
	if (argc >= 3 && !strcmp(argv[1], "import")) {
		if (argc != 3) {
			sp_cmd_error("%s", usage);
			return SP_EXIT_USAGE;
		}
		return decisions_import(env, argv[2]);
	}
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		const char *year = NULL;
		if (argc == 4 && !strcmp(argv[2], "--year"))
			year = argv[3];
		else if (argc == 3 && !strncmp(argv[2], "--year=", 7))
			year = argv[2] + 7;
		else if (argc != 2) {
			sp_cmd_error("%s", usage);
			return SP_EXIT_USAGE;
		}
		if (year && (strlen(year) != 4 || strspn(year, "0123456789") != 4 || atoi(year) < 1900)) {
			sp_cmd_error("decisions list: --year '%s' is not a year (%s)", year, usage);
			return SP_EXIT_USAGE;
		}
		return decisions_list(env, year);
	}
	sp_cmd_error("%s", usage);
	return SP_EXIT_USAGE;
}
