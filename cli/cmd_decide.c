/*
 * cmd_decide.c — committee decisions: `sparker decide`, `sparker decisions import|list`.
 *
 * decide ENTITY accompanied|cocreation|invested|declined [--date YYYY-MM-DD] [--note TEXT]
 *     ENTITY is an entity id or SOURCE:KEY (a merged entity is followed); the date must be a real
 *     calendar date (default: today, UTC; SOURCE_DATE_EPOCH honoured). One row in `decision`
 *     (origin "cli"). Recording the same entity, decision and date again updates the note.
 * decisions import FILE.csv
 *     Header row `entity_id,decision,date,note` (note optional; any order; case-insensitive).
 *     Every bad line is reported as "FILE:LINE: reason" on stderr; the valid lines are imported
 *     (one transaction; origin "import:FILE"; an existing entity+decision+date gets the new note,
 *     so importing a file twice is importing it once); exit 1 when any line was bad.
 * decisions list [--year Y]
 *     Every decision (of year Y), with the entity's name.
 *
 * The writers take the run lock (run.h), so they never interleave with a nightly run.
 */
#include <csv.h>
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cmd.h"
#include "pipeline/entity.h"
#include "pipeline/run.h"
#include "core/date.h"

static int cmd_decide(int argc, char **argv, sp_env *env);
static int cmd_decisions(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_decide_entry = {
	.name = "decide",
	.fn = cmd_decide,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "record a committee decision",
	.usage = "usage: sparker [-c CONFIG] decide ENTITY_ID accompanied|cocreation|invested|declined [--date D] [--note N]\n"
};

const sp_cmd sp_cmd_decisions_entry = {
	.name = "decisions",
	.fn = cmd_decisions,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "import or list committee decisions",
	.usage = "usage: sparker [-c CONFIG] decisions import FILE.csv | list\n\n"
	         "FILE.csv columns: entity_id,decision,date,note (header row required).\n"
};

static const char *const DECISIONS[] = { "accompanied", "cocreation", "invested", "declined" };

static int decision_valid(const char *d)
{
	for (size_t i = 0; i < SP_ARRAY_LEN(DECISIONS); i++)
		if (!strcmp(d, DECISIONS[i]))
			return 1;
	return 0;
}

static void today(char out[11])
{
	char iso[32];
	sp_time_iso(sp_now(), iso, sizeof(iso));
	snprintf(out, 11, "%.10s", iso);
}

/* Insert, or update the note of an identical (entity, decision, date) row. */
static int record_decision(sp_store *db, int64_t id, const char *decision, const char *date, const char *note,
			   const char *origin, int *updated, sp_err *err)
{
	int64_t existing = 0;
	char idbuf[32];
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	int rc = sp_store_int(db,
			      "SELECT COALESCE(max(id), 0) FROM decision WHERE entity_id = ? AND decision = ? AND date = ?",
			      &existing, err, idbuf, decision, date);
	if (rc != SP_OK)
		return rc;
	sqlite3_stmt *s = NULL;
	char now[32];
	sp_time_iso(sp_now(), now, sizeof(now));
	if (existing) {
		rc = sp_store_prepare(db, "UPDATE decision SET note = ?, origin = ? WHERE id = ?", &s, err);
		if (rc == SP_OK) {
			sp_bind_text(s, 1, note);
			sp_bind_text(s, 2, origin);
			sqlite3_bind_int64(s, 3, existing);
		}
	} else {
		rc = sp_store_prepare(db, "INSERT INTO decision(entity_id, decision, date, note, created, origin) VALUES (?,?,?,?,?,?)",
				      &s, err);
		if (rc == SP_OK) {
			sqlite3_bind_int64(s, 1, id);
			sp_bind_text(s, 2, decision);
			sp_bind_text(s, 3, date);
			sp_bind_text(s, 4, note);
			sp_bind_text(s, 5, now);
			sp_bind_text(s, 6, origin);
		}
	}
	if (rc == SP_OK)
		rc = sp_store_step_done(db, s, err);
	sqlite3_finalize(s);
	if (updated)
		*updated = existing != 0;
	return rc;
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
	if (!decision_valid(decision)) {
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
	sp_err err;
	sp_lock *lock;
	int open_code;
	sp_store *db = sp_cmd_open_db_locked(env, "decide", &lock, &open_code);
	if (!db)
		return open_code;
	int code = SP_EXIT_OK;
	int64_t id;
	int rc = sp_cmd_resolve_entity(db, ent, &id, 0);
	if (rc != SP_OK) {
		code = rc == SP_EUSAGE ? SP_EXIT_USAGE : SP_EXIT_FAIL;
	} else {
		int updated = 0;
		if (record_decision(db, id, decision, day, note, "cli", &updated, &err) != SP_OK) {
			sp_cmd_error("%s", err.msg);
			code = SP_EXIT_FAIL;
		} else if (!env->quiet) {
			printf("entity %lld: %s on %s%s\n", (long long)id, decision, day, updated ? " (already recorded; note updated)" : "");
		}
	}
	sp_store_close(db);
	sp_lock_release(lock);
	return code;
}

/* ---- CSV import ---- */

struct imp {
	const char *file;
	sp_store *db;
	sp_buf fields[8];
	int nf;
	int overflow;
	long line;       /* physical line being fed */
	long row;        /* rows seen */
	int col_entity, col_decision, col_date, col_note;
	int header_done;
	int bad, imported, updated, fatal;
	char origin[300];
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
			if (!strcasecmp(h, "entity_id") || !strcasecmp(h, "entity"))
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
			fprintf(stderr, "%s:%ld: header must name the columns entity_id,decision,date[,note]\n", im->file, im->line);
			im->bad++;
			im->fatal = 1;
		}
		return;
	}
	im->row++;
	if (im->overflow) {
		im->overflow = 0;
		bad_line(im, "%s", "too many columns (expected entity_id,decision,date,note)");
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
		bad_line(im, "only %s column(s) (expected entity_id,decision,date,note)", msg);
		return;
	}
	char *ent = trim(im->fields[im->col_entity].buf);
	char *dec = trim(im->fields[im->col_decision].buf ? im->fields[im->col_decision].buf : (char *)"");
	char *date = trim(im->fields[im->col_date].buf ? im->fields[im->col_date].buf : (char *)"");
	const char *note = im->col_note >= 0 && im->col_note < nf && im->fields[im->col_note].buf
				   ? trim(im->fields[im->col_note].buf) : NULL;
	for (char *p = dec; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	char *end;
	long long id = strtoll(ent, &end, 10);
	if (!*ent || *end || id <= 0) {
		bad_line(im, "entity_id '%s' is not a positive integer", ent);
		return;
	}
	int64_t live = 0; /* a merged entity stands for the entity it joined */
	sp_err lerr;      /* im->err is only for fatal errors: a missing entity is a bad line */
	int rc = sp_entity_live(im->db, id, &live, &lerr);
	if (rc == SP_ENOTFOUND) {
		bad_line(im, "no entity %s", ent);
		return;
	}
	if (rc != SP_OK) {
		im->err = lerr;
		im->fatal = 1;
		return;
	}
	if (!decision_valid(dec)) {
		bad_line(im, "unknown decision '%s' (accompanied, cocreation, invested or declined)", dec);
		return;
	}
	if (!sp_date_is_iso_valid(date)) {
		bad_line(im, "bad date '%s' (expected a real date YYYY-MM-DD)", date);
		return;
	}
	int updated = 0;
	if (record_decision(im->db, live, dec, date, note && *note ? note : NULL, im->origin, &updated,
			    &im->err) != SP_OK) {
		im->fatal = 1;
		return;
	}
	if (updated)
		im->updated++;
	else
		im->imported++;
}

static int decisions_import(sp_env *env, const char *file)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		sp_cmd_error("cannot read %s: %m", file);
		return SP_EXIT_FAIL;
	}
	sp_err err;
	sp_lock *lock;
	int open_code;
	sp_store *db = sp_cmd_open_db_locked(env, "decisions import", &lock, &open_code);
	if (!db) {
		fclose(f);
		return open_code;
	}
	struct imp im;
	memset(&im, 0, sizeof(im));
	im.file = file;
	im.db = db;
	snprintf(im.origin, sizeof(im.origin), "import:%s", file);
	sp_err_clear(&im.err);
	struct csv_parser p;
	csv_init(&p, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL);
	int code = SP_EXIT_OK;
	if (sp_store_begin(db, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		code = SP_EXIT_FAIL;
		goto out;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while (!im.fatal && (len = getline(&line, &cap, f)) > 0) {
		im.line++;
		if (csv_parse(&p, line, (size_t)len, on_field, on_row, &im) != (size_t)len) {
			fprintf(stderr, "%s:%ld: %s\n", file, im.line, csv_strerror(csv_error(&p)));
			im.bad++;
			im.fatal = 1;
		}
	}
	free(line);
	if (!im.fatal)
		csv_fini(&p, on_field, on_row, &im);
	if (!im.header_done) {
		fprintf(stderr, "%s: empty file (expected the header entity_id,decision,date,note)\n", file);
		im.bad++;
	}
	if (*im.err.msg) {
		sp_store_rollback(db);
		sp_cmd_error("%s: %s", file, im.err.msg);
		code = SP_EXIT_FAIL;
		goto out;
	}
	if (sp_store_commit(db, &err) != SP_OK) {
		sp_store_rollback(db);
		sp_cmd_error("%s", err.msg);
		code = SP_EXIT_FAIL;
		goto out;
	}
	if (!env->quiet || im.bad)
		fprintf(im.bad ? stderr : stdout, "%s: %d decision%s imported, %d updated, %d bad line%s\n", file, im.imported,
			im.imported == 1 ? "" : "s", im.updated, im.bad, im.bad == 1 ? "" : "s");
	if (im.bad)
		code = SP_EXIT_FAIL;
out:
	csv_free(&p);
	for (size_t i = 0; i < SP_ARRAY_LEN(im.fields); i++)
		sp_buf_release(&im.fields[i]);
	fclose(f);
	sp_store_close(db);
	sp_lock_release(lock);
	return code;
}

static const char *col(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return v ? v : "";
}

static int decisions_list(sp_env *env, const char *year)
{
	sp_store *db = sp_cmd_open_db(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_err err;
	sqlite3_stmt *s = NULL;
	if (sp_store_prepare(db,
			     "SELECT d.id, d.entity_id, e.name, d.decision, d.date, d.note, d.origin FROM decision d"
			     " LEFT JOIN entity e ON e.id = d.entity_id WHERE (?1 IS NULL OR substr(d.date, 1, 4) = ?1)"
			     " ORDER BY d.date, d.id",
			     &s, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		sp_store_close(db);
		return SP_EXIT_FAIL;
	}
	sp_bind_text(s, 1, year);
	printf("%-6s %-8s %-36s %-12s %-10s %s\n", "id", "entity", "name", "decision", "date", "note");
	while (sqlite3_step(s) == SQLITE_ROW)
		printf("%-6lld %-8lld %-36s %-12s %-10s %s\n", (long long)sqlite3_column_int64(s, 0),
		       (long long)sqlite3_column_int64(s, 1), col(s, 2), col(s, 3), col(s, 4), col(s, 5));
	sqlite3_finalize(s);
	sp_store_close(db);
	return SP_EXIT_OK;
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
		return decisions_list(env, year);
	}
	sp_cmd_error("%s", usage);
	return SP_EXIT_USAGE;
}
