/*
 * cmd_export.c — `sparker export KIND`: CSV with a header row to stdout or -o FILE.
 *
 * The exports are the analysts' (and the checks') view of the database; their columns are a
 * contract (README): change them only by adding columns at the end.
 * Fields are quoted per RFC 4180 when they contain a comma, quote, CR or LF.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "reports/csv_out.h"

static int cmd_export(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_export_entry = {
	.name = "export",
	.fn = cmd_export,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "CSV exports: members, entities, qualified, rejects",
	.usage = "usage: sparker [-c CONFIG] export members|entities|qualified|rejects [--year Y] [-o FILE]\n\n"
	         "  members    source,source_key,entity_id\n"
	         "  entities   entity_id,name,country,founded,website,first_seen,members\n"
	         "  qualified  entity_id,name,country,score,domains,reasons   (--year Y: that cohort)\n"
	         "  rejects    source,fetch_id,line,reason,excerpt\n"
};


struct export_kind {
	const char *name;
	const char *header;
	const char *sql; /* ?1 = year (NULL = all) */
};

static const struct export_kind kinds[] = {
	{ "members", "source,source_key,entity_id",
	  "SELECT r.source, r.source_key, m.entity_id FROM member m JOIN record r ON r.id = m.record_id"
	  " ORDER BY r.source, r.source_key" },
	{ "entities", "entity_id,name,country,founded,website,first_seen,members",
	  "SELECT e.id, e.name, e.country, e.founded, e.website, e.first_seen,"
	  " (SELECT count(*) FROM member m WHERE m.entity_id = e.id)"
	  " FROM entity_live e WHERE (e.cohort = ?1 OR ?1 IS NULL) ORDER BY e.id" },
	{ "qualified", "entity_id,name,country,score,domains,reasons",
	  "SELECT e.id, e.name, e.country, printf('%.2f', sc.score), sc.domains, sc.reasons"
	  " FROM selection s JOIN entity e ON e.id = s.entity_id LEFT JOIN score sc ON sc.entity_id = e.id"
	  " WHERE s.qualified = 1 AND (s.cohort = ?1 OR ?1 IS NULL) ORDER BY sc.score DESC, e.id" },
	{ "rejects", "source,fetch_id,line,reason,excerpt",
	  "SELECT source, fetch_id, line, reason, excerpt FROM reject ORDER BY source, fetch_id, line" },
};

static int cmd_export(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = {
		{ "year", required_argument, NULL, 'y' }, { "output", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *year = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:y:", opts, NULL)) != -1) {
		switch (c) {
		case 'y': year = optarg; break;
		case 'o': out = optarg; break;
		default: sp_cmd_error("export: bad option (see `sparker export --help`)"); return SP_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		sp_cmd_error("export: name one of members, entities, qualified, rejects");
		return SP_EXIT_USAGE;
	}
	const struct export_kind *k = NULL;
	for (size_t i = 0; i < SP_ARRAY_LEN(kinds); i++)
		if (!strcmp(kinds[i].name, argv[optind]))
			k = &kinds[i];
	if (!k) {
		sp_cmd_error("export: unknown export '%s' (members, entities, qualified, rejects)", argv[optind]);
		return SP_EXIT_USAGE;
	}
	if (year && atoi(year) <= 0) {
		sp_cmd_error("export: --year '%s' is not a year", year);
		return SP_EXIT_USAGE;
	}
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	sp_stmt *s;
	sp_err err;
	if (sp_store_prepare(db, k->sql, &s, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		sp_store_close(db);
		return SP_EXIT_FAIL;
	}
	if (year && sp_stmt_params(s) >= 1)
		sp_bind_int(s, 1, atoi(year));
	FILE *f = sp_cmd_open_out(out);
	if (!f) {
		sp_finalize(s);
		sp_store_close(db);
		return SP_EXIT_FAIL;
	}
	fprintf(f, "%s\n", k->header);
	int rc, ncol = sp_col_count(s);
	while ((rc = sp_step(s)) == SP_ROW)
		for (int i = 0; i < ncol; i++)
			sp_csv_field(f, sp_col_text(s, i), i == ncol - 1);
	int code = SP_EXIT_OK;
	if (rc != SP_DONE) {
		sp_store_error(db, &err, "export");
		sp_cmd_error("%s", err.msg);
		code = SP_EXIT_FAIL;
	}
	if (f != stdout && fclose(f) != 0) {
		sp_cmd_error("cannot write %s: %m", out);
		code = SP_EXIT_FAIL;
	}
	sp_finalize(s);
	sp_store_close(db);
	return code;
}
