/*
 * cmd_judgements.c — `sparker judgements list|remove|export|import` and `sparker note`: the
 * analysts' log of judgements (pipeline/judgement.h), looked at, taken back and carried over.
 *
 * judgements list [--all] [ENTITY]
 *     The judgements in force (--all: the whole history, removed ones and removals too), or only
 *     those placed on ENTITY: id, kind, what it says, where it lands now, who, when, note. A
 *     judgement whose records are split across entities is marked "needs review"; one whose
 *     records are in no entity (not deduplicated yet) "pending".
 * judgements remove ID [--note TEXT]
 *     Takes a judgement back. The removal is itself recorded (who, when, why): nothing is deleted.
 * judgements export [-o FILE]
 *     The whole history as CSV (header: EXPORT_HEADER, the hub last), for another database or a
 *     version-controlled file, as nomenklatura's dump-resolver.
 * judgements import FILE
 *     Replays an export, in order: each row is written unless the same judgement (kind, what,
 *     note, who, when) is already in the history, so importing twice is importing once; removals
 *     are matched to the judgements they remove by the file's ids. Bad rows are "FILE:LINE:
 *     reason" (exit 1); the others are imported in one transaction. A file written before
 *     judgements carried a hub (EXPORT_HEADER_V1, no hub column) imports with no hub.
 * note ENTITY TEXT
 *     A note on a startup, anchored to its records like a decision.
 *
 * Writers never wait for a run (cli/cmd.h: sp_cmd_analyst_open): during a run on SQLite they queue
 * into the inbox (pipeline/inbox.h); import queues every row verbatim in one transaction of it, or
 * none when a row is bad (exit 1), a removal naming the entry of the row it removes; the next run
 * records them together by the same rules. sp_cmd_judgements_on() prints the judgements placed on one
 * entity for `show` and `explain`.
 */
#include <csv.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "pipeline/inbox.h"
#include "pipeline/judgement.h"
#include "pipeline/run.h"
#include "reports/csv_out.h"

static int cmd_judgements(int argc, char **argv, sp_env *env);
static int cmd_note(int argc, char **argv, sp_env *env);

const sp_cmd sp_cmd_judgements_entry = {
	.name = "judgements",
	.fn = cmd_judgements,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "list, remove, export or import analysts' judgements",
	.usage = "usage: sparker [-c CONFIG] judgements list [--all] [ENTITY]\n"
	         "       sparker [-c CONFIG] judgements remove ID [--note TEXT]\n"
	         "       sparker [-c CONFIG] judgements export [-o FILE]\n"
	         "       sparker [-c CONFIG] judgements import FILE\n\n"
	         "Every link, unlink, pin, decision, note and audit label, with who made it and when. The history is\n"
	         "append-only: remove records a removal. export/import carry the history to another\n"
	         "database (CSV; importing twice imports once). On SQLite, judgements made while a run\n"
	         "holds the lock are listed as PN [pending] until the next run records them; they\n"
	         "cannot be removed before.\n"
};

const sp_cmd sp_cmd_note_entry = {
	.name = "note",
	.fn = cmd_note,
	.flags = SP_CMD_NEEDS_CONFIG,
	.summary = "attach a note to a startup",
	.usage = "usage: sparker [-c CONFIG] note ENTITY TEXT\n\n"
	         "ENTITY is an entity id or SOURCE:KEY; the note stays with the startup's records.\n"
};

#define EXPORT_HEADER_V1 "id,kind,value,date,a,b,records,entity,name,note,user,created,origin,target"
#define EXPORT_HEADER EXPORT_HEADER_V1 ",hub"
enum { X_ID, X_KIND, X_VALUE, X_DATE, X_A, X_B, X_RECORDS, X_ENTITY, X_NAME, X_NOTE, X_USER, X_CREATED, X_ORIGIN,
       X_TARGET, X_HUB, X_NCOLS };

/* ---------------------------------------------------------------- list */

/* What a judgement says, in one line: "link A B", "pin in", "decision invested on D". */
static void say(const sp_judgement_row *r, sp_buf *b)
{
	sp_buf_adds(b, sp_judgement_kind_names[r->kind]);
	if (r->a)
		sp_buf_addf(b, " %s", r->a);
	if (r->b)
		sp_buf_addf(b, " %s", r->b);
	if (r->value)
		sp_buf_addf(b, " %s", r->value);
	if (r->date)
		sp_buf_addf(b, " on %s", r->date);
	if (r->kind == SP_J_REMOVE)
		sp_buf_addf(b, " #%lld", (long long)r->target);
}

/* Where an anchored judgement lands now. */
static void where(const sp_judgement_row *r, sp_buf *b)
{
	if (!sp_judgement_anchored(r->kind))
		return;
	if (!r->carrier)
		sp_buf_adds(b, "pending (its records are in no entity yet)");
	else
		sp_buf_addf(b, "entity %lld%s", (long long)r->carrier,
			    r->parts > 1 ? ", NEEDS REVIEW: its records are split across entities" : "");
	if (r->entity_then && r->entity_then != r->carrier)
		sp_buf_addf(b, "%smade on entity %lld", b->len ? "; " : "", (long long)r->entity_then);
}

struct list_ctx {
	int n;
	int64_t entity; /* the inbox's entries: only those made on it (0: all) */
};

static int list_one(const sp_judgement_row *r, void *user)
{
	struct list_ctx *lc = user;
	sp_buf what = SP_BUF_INIT, at = SP_BUF_INIT;
	say(r, &what);
	where(r, &at);
	lc->n++;
	printf("#%-5lld %s%s\n       by %s%s%s%s, %s%s%s%s%s%s%s\n", (long long)r->id, sp_buf_str(&what),
	       r->removed_by ? "  [removed]" : "", r->user ? r->user : "?", r->hub ? " (hub " : "", r->hub ? r->hub : "",
	       r->hub ? ")" : "", r->created ? r->created : "?",
	       r->name_then ? " — " : "", r->name_then ? r->name_then : "", at.len ? "\n       " : "", sp_buf_str(&at),
	       r->note ? "\n       note: " : "", r->note ? r->note : "");
	sp_buf_release(&what);
	sp_buf_release(&at);
	return 0;
}

/* An entry of the inbox (pipeline/inbox.h): made during a run, applied by the next one. */
static int list_pending(const sp_inbox_row *r, void *user)
{
	struct list_ctx *lc = user;
	if (lc->entity && r->entity != lc->entity)
		return 0;
	sp_buf what = SP_BUF_INIT;
	if (!strcmp(r->what, "report"))
		sp_buf_addf(&what, "report %lld %s", (long long)r->year, r->path ? r->path : "");
	else if (!strcmp(r->what, "clear"))
		sp_buf_addf(&what, "pin clear");
	else if (r->removes) /* an imported removal: of the entry of an earlier row */
		sp_buf_addf(&what, "remove P%lld", (long long)r->removes);
	else {
		sp_judgement_row j = { .kind = sp_judgement_kind_parse(r->what), .a = r->a, .b = r->b, .value = r->value,
				       .date = r->date, .target = r->target };
		say(&j, &what);
	}
	lc->n++;
	printf("P%-5lld %s  [pending%s%s]\n       by %s%s%s%s, %s%s%s\n", (long long)r->id, sp_buf_str(&what),
	       r->failed ? ": refused when applied: " : ": the next run applies it", r->failed ? r->failed : "",
	       r->user ? r->user : "-", r->hub ? " (hub " : "", r->hub ? r->hub : "", r->hub ? ")" : "", r->created,
	       r->name ? " — " : "", r->name ? r->name : "");
	if (r->entity)
		printf("       made on entity %lld\n", (long long)r->entity);
	if (r->note)
		printf("       note: %s\n", r->note);
	sp_buf_release(&what);
	return 0;
}

static int judgements_list(sp_env *env, int all, const char *entity)
{
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	int64_t id = 0;
	int code = SP_EXIT_OK;
	if (entity) {
		int rc = sp_cmd_resolve_entity(db, entity, &id, 0);
		if (rc != SP_OK) {
			sp_store_close(db);
			return rc == SP_EUSAGE ? SP_EXIT_USAGE : SP_EXIT_FAIL;
		}
	}
	sp_err err;
	struct list_ctx lc = { 0 };
	lc.entity = id;
	if (sp_judgement_each(db, all ? SP_J_LIST_ALL : SP_J_LIST_ACTIVE, id, list_one, &lc, &err) != SP_OK ||
	    (!sp_store_is_server(env->cfg->database) && sp_inbox_each(env->cfg->database, list_pending, &lc, &err) != SP_OK)) {
		sp_cmd_error("%s", err.msg);
		code = SP_EXIT_FAIL;
	} else if (!lc.n) {
		printf("no judgements%s\n", all ? "" : " in force");
	}
	sp_store_close(db);
	return code;
}

/* For show and explain: the judgements in force placed on one live entity. */
struct placed {
	int64_t entity;
	int n;
};

static int print_placed(const sp_judgement_row *r, void *user)
{
	struct placed *pl = user;
	sp_buf what = SP_BUF_INIT;
	say(r, &what);
	if (!pl->n++)
		printf("judgements:\n");
	printf("  #%lld %s (by %s%s%s, %.10s)%s%s\n", (long long)r->id, sp_buf_str(&what), r->user ? r->user : "?",
	       r->hub ? ", hub " : "", r->hub ? r->hub : "", r->created ? r->created : "", r->note ? " — " : "",
	       r->note ? r->note : "");
	sp_buf_release(&what);
	if (r->parts > 1 && r->carrier == pl->entity)
		printf("    needs review: some records it was made on are now in other entities; this one holds most\n");
	else if (r->carrier && r->carrier != pl->entity)
		printf("    needs review: made on records now split across entities; entity %lld carries it\n",
		       (long long)r->carrier);
	return 0;
}

int sp_cmd_judgements_on(sp_store *db, int64_t entity)
{
	sp_err err;
	struct placed pl = { entity, 0 };
	if (sp_judgement_each(db, SP_J_LIST_ACTIVE, entity, print_placed, &pl, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EDB;
	}
	if (!pl.n)
		printf("judgements: none\n");
	return SP_OK;
}

/* ---------------------------------------------------------------- remove, note */

static int judgements_remove(sp_env *env, const char *arg, const char *note)
{
	char *end;
	if ((arg[0] == 'P' || arg[0] == 'p') && arg[1] >= '1' && arg[1] <= '9' && strtoll(arg + 1, &end, 10) > 0 && !*end) {
		sp_cmd_error("judgements remove: %s is pending: it was made during a run and the next run records it;"
			     " remove it once it is recorded (it then has a number in `sparker judgements list`)", arg);
		return SP_EXIT_USAGE;
	}
	long long id = strtoll(arg, &end, 10);
	if (!*arg || *end || id <= 0) {
		sp_cmd_error("judgements remove: '%s' is not a judgement id (see `sparker judgements list`)", arg);
		return SP_EXIT_USAGE;
	}
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "judgements remove", &an);
	if (code != SP_EXIT_OK)
		return code;
	sp_store *db = an.db;
	sp_err err;
	sp_judgement j = { .kind = SP_J_REMOVE, .target = id, .note = note, .user = sp_cmd_user(env), .hub = sp_cmd_hub(env),
			   .origin = "cli" };
	sp_judgement_out out;
	code = SP_EXIT_OK;
	if (sp_inbox_record(db, an.inbox, &j, &out, &err) != SP_OK) {
		sp_cmd_error("judgements remove: %s", err.msg);
		code = sp_cmd_exit_code(err.code);
	} else if (!sp_cmd_analyst_pending(env, &an, out.pending) && !env->quiet) {
		if (out.same)
			printf("judgement %lld was already removed (by #%lld)\n", id, (long long)out.id);
		else
			printf("judgement %lld removed (recorded as #%lld); it stops applying at the next run\n", id,
			       (long long)out.id);
	}
	sp_cmd_analyst_close(&an);
	return code;
}

static int cmd_note(int argc, char **argv, sp_env *env)
{
	if (argc != 3 || !*argv[2]) {
		sp_cmd_usage(stderr, &sp_cmd_note_entry);
		return SP_EXIT_USAGE;
	}
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "note", &an);
	if (code != SP_EXIT_OK)
		return code;
	sp_store *db = an.db;
	int64_t id;
	int rc = sp_cmd_resolve_entity(db, argv[1], &id, 0);
	code = rc == SP_OK ? SP_EXIT_OK : rc == SP_EUSAGE ? SP_EXIT_USAGE : SP_EXIT_FAIL;
	if (rc == SP_OK) {
		sp_err err;
		sp_judgement j = { .kind = SP_J_NOTE, .entity = id, .note = argv[2], .user = sp_cmd_user(env),
				   .hub = sp_cmd_hub(env), .origin = "cli" };
		sp_judgement_out out;
		if (sp_inbox_record(db, an.inbox, &j, &out, &err) != SP_OK) {
			sp_cmd_error("note: %s", err.msg);
			code = sp_cmd_exit_code(err.code);
		} else if (!sp_cmd_analyst_pending(env, &an, out.pending) && !env->quiet) {
			printf("entity %lld: note %s (judgement %lld)\n", (long long)id, out.same ? "already recorded" : "recorded",
			       (long long)out.id);
		}
	}
	sp_cmd_analyst_close(&an);
	return code;
}

/* ---------------------------------------------------------------- export */

static int export_one(const sp_judgement_row *r, void *user)
{
	FILE *f = user;
	char id[24], ent[24], tgt[24];
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	snprintf(ent, sizeof(ent), "%lld", (long long)r->entity_then);
	snprintf(tgt, sizeof(tgt), "%lld", (long long)r->target);
	const char *v[X_NCOLS] = { id, sp_judgement_kind_names[r->kind], r->value, r->date, r->a, r->b, r->records,
				   r->entity_then ? ent : NULL, r->name_then, r->note, r->user, r->created, r->origin,
				   r->target ? tgt : NULL, r->hub };
	for (int i = 0; i < X_NCOLS; i++)
		sp_csv_field(f, v[i], i == X_NCOLS - 1);
	return 0;
}

static int judgements_export(sp_env *env, const char *path)
{
	sp_store *db = sp_cmd_open_db_existing(env);
	if (!db)
		return SP_EXIT_FAIL;
	FILE *f = sp_cmd_open_out(path);
	if (!f) {
		sp_store_close(db);
		return SP_EXIT_FAIL;
	}
	fprintf(f, "%s\n", EXPORT_HEADER);
	sp_err err;
	int code = SP_EXIT_OK;
	if (sp_judgement_each(db, SP_J_LIST_ALL, 0, export_one, f, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		code = SP_EXIT_FAIL;
	}
	if (f != stdout && (ferror(f) | fclose(f))) {
		sp_cmd_error("cannot write %s", path);
		code = SP_EXIT_FAIL;
	}
	sp_store_close(db);
	return code;
}

/* ---------------------------------------------------------------- import */

struct imp {
	const char *file;
	sp_store *db;
	sp_inbox *inbox; /* during a run (SQLite): the rows are queued there, verbatim */
	sp_buf f[X_NCOLS + 1];
	int nf, ncols; /* fields in the row; columns of the file (X_NCOLS, or X_HUB: no hub column) */
	long line, row_line; /* physical line being read; line where the current row started */
	int header_done, bad, added, same, queued, fatal;
	int64_t *from, *to; /* the file's ids -> this database's (queued: the inbox's entries) */
	size_t nmap;
	sp_err err;
};

static void on_field(void *s, size_t len, void *data)
{
	struct imp *im = data;
	if (im->nf == 0)
		im->row_line = im->line; /* the row starts on the line its first field ends on */
	if (im->nf <= X_NCOLS) {
		sp_buf_reset(&im->f[im->nf]);
		sp_buf_add(&im->f[im->nf], s ? (const char *)s : "", s ? len : 0);
	}
	im->nf++;
}

static const char *fv(struct imp *im, int i)
{
	return im->f[i].len ? sp_buf_str(&im->f[i]) : NULL;
}

static void bad(struct imp *im, const char *why, const char *arg)
{
	fprintf(stderr, "%s:%ld: ", im->file, im->row_line);
	fprintf(stderr, why, arg ? arg : "");
	fputc('\n', stderr);
	im->bad++;
}

static int64_t mapped(const struct imp *im, int64_t from)
{
	for (size_t i = im->nmap; i-- > 0;)
		if (im->from[i] == from)
			return im->to[i];
	return 0;
}

/* The records column back into a list of references. */
static size_t split_records(const char *s, char ***out)
{
	size_t n = 0, cap = 0;
	*out = NULL;
	while (s && *s) {
		size_t len = strcspn(s, " ");
		if (len) {
			if (n == cap)
				*out = sp_xrealloc(*out, (cap = cap ? cap * 2 : 8) * sizeof(char *));
			(*out)[n++] = sp_judgement_ref_decode(s, len);
		}
		s += len + (s[len] == ' ');
	}
	return n;
}

static void import_row(struct imp *im)
{
	int kind = sp_judgement_kind_parse(fv(im, X_KIND));
	long long fid = fv(im, X_ID) ? atoll(fv(im, X_ID)) : 0;
	if (kind < 0)
		return bad(im, "unknown judgement kind '%s'", fv(im, X_KIND));
	if (fid <= 0)
		return bad(im, "id '%s' is not a positive integer", fv(im, X_ID));
	if (!fv(im, X_USER) || !fv(im, X_CREATED))
		return bad(im, "%sa judgement needs its user and created columns", NULL);
	sp_judgement j = { .kind = kind, .value = fv(im, X_VALUE), .date = fv(im, X_DATE), .a = fv(im, X_A),
			   .b = fv(im, X_B), .note = fv(im, X_NOTE), .user = fv(im, X_USER),
			   .hub = im->ncols > X_HUB ? fv(im, X_HUB) : NULL,
			   .created = fv(im, X_CREATED), .origin = fv(im, X_ORIGIN), .taken = im->to, .ntaken = im->nmap };
	if (kind == SP_J_REMOVE) {
		int64_t t = fv(im, X_TARGET) ? mapped(im, atoll(fv(im, X_TARGET))) : 0;
		if (!t)
			return bad(im, "removes judgement %s, which is not earlier in the file", fv(im, X_TARGET));
		j.target = t;
	}
	char **recs = NULL;
	j.nrecords = split_records(fv(im, X_RECORDS), &recs);
	j.records = (const char *const *)recs;
	if (sp_judgement_anchored(kind) && !j.nrecords) {
		bad(im, "a %s needs the records it was made on", sp_judgement_kind_names[kind]);
	} else {
		sp_judgement_out out = { 0 };
		sp_err e;
		int rc = im->inbox ? sp_inbox_add_verbatim(im->inbox, &j, &out.pending, &e) : sp_judgement_record(im->db, &j, &out, &e);
		if (rc != SP_OK) {
			if (e.code == SP_EDB)
				im->err = e, im->fatal = 1;
			else
				bad(im, "%s", e.msg);
		} else {
			if (im->nmap % 256 == 0) {
				im->from = sp_xrealloc(im->from, (im->nmap + 256) * sizeof(int64_t));
				im->to = sp_xrealloc(im->to, (im->nmap + 256) * sizeof(int64_t));
			}
			im->from[im->nmap] = fid, im->to[im->nmap] = out.pending ? out.pending : out.id, im->nmap++;
			out.pending ? im->queued++ : out.same ? im->same++ : im->added++;
		}
	}
	for (size_t i = 0; i < j.nrecords; i++)
		free(recs[i]);
	free(recs);
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
		im->header_done = 1;
		sp_buf h = SP_BUF_INIT;
		for (int i = 0; i < nf && i < X_NCOLS; i++)
			sp_buf_addf(&h, "%s%s", i ? "," : "", sp_buf_str(&im->f[i]));
		im->ncols = nf;
		if (!(nf == X_NCOLS && !strcmp(sp_buf_str(&h), EXPORT_HEADER)) &&
		    !(nf == X_HUB && !strcmp(sp_buf_str(&h), EXPORT_HEADER_V1)))
			bad(im, "the header must be %s (a file from `sparker judgements export`)", EXPORT_HEADER), im->fatal = 1;
		sp_buf_release(&h);
		return;
	}
	if (nf == 1 && !im->f[0].len)
		return; /* blank line */
	if (nf != im->ncols) {
		char n[40];
		snprintf(n, sizeof(n), "%d columns, expected %d", nf, im->ncols);
		return bad(im, "%s", n);
	}
	import_row(im);
}

/* Feed the file through libcsv into im (inside the caller's transaction). */
static void import_read(struct imp *im, FILE *f)
{
	const char *why = sp_cmd_csv_feed(f, CSV_APPEND_NULL, on_field, on_row, im, &im->line, &im->fatal);
	if (why) {
		im->row_line = im->line;
		bad(im, "%s", why);
		im->fatal = 1;
	}
}

/* The end of an import: committed (nothing when fatal; queued: nothing when a row was bad) or
 * rolled back; said. */
static int import_end(sp_env *env, sp_cmd_analyst *an, struct imp *im)
{
	sp_err err;
	int ok = !im->fatal && !(an->inbox && im->bad);
	if (sp_cmd_import_end(an, ok, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		return SP_EXIT_FAIL;
	}
	if (*im->err.msg) {
		sp_cmd_error("%s: %s", im->file, im->err.msg);
		return SP_EXIT_FAIL;
	}
	if (an->inbox)
		sp_cmd_import_queued(an, im->file, ok ? im->queued : 0, im->bad);
	else if (!env->quiet || im->bad)
		fprintf(im->bad ? stderr : stdout, "%s: %d judgement%s imported, %d already here, %d bad line%s%s\n", im->file,
			im->fatal ? 0 : im->added, im->added == 1 ? "" : "s", im->fatal ? 0 : im->same, im->bad,
			im->bad == 1 ? "" : "s", im->fatal ? " (nothing imported)" : "");
	return im->bad ? SP_EXIT_FAIL : SP_EXIT_OK;
}

static int judgements_import(sp_env *env, const char *file)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		sp_cmd_error("cannot read %s: %m", file);
		return SP_EXIT_FAIL;
	}
	sp_cmd_analyst an;
	int code = sp_cmd_analyst_open(env, "judgements import", &an);
	struct imp im = { .file = file, .db = an.db, .inbox = an.inbox };
	sp_err err;
	if (code == SP_EXIT_OK && sp_cmd_import_begin(&an, &err) != SP_OK) {
		sp_cmd_error("%s", err.msg);
		code = SP_EXIT_FAIL;
	}
	if (code == SP_EXIT_OK) {
		import_read(&im, f);
		code = import_end(env, &an, &im);
	}
	for (int i = 0; i <= X_NCOLS; i++)
		sp_buf_release(&im.f[i]);
	free(im.from), free(im.to);
	fclose(f);
	sp_cmd_analyst_close(&an);
	return code;
}

/* ---------------------------------------------------------------- dispatch */

static int cmd_judgements(int argc, char **argv, sp_env *env)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { "note", required_argument, NULL, 'n' },
					      { "output", required_argument, NULL, 'o' },
					      { NULL, 0, NULL, 0 } };
	int all = 0, o;
	const char *note = NULL, *out = NULL;
	optind = 0;
	while ((o = getopt_long(argc, argv, "an:o:", opts, NULL)) != -1) {
		switch (o) {
		case 'a': all = 1; break;
		case 'n': note = optarg; break;
		case 'o': out = optarg; break;
		default: sp_cmd_usage(stderr, &sp_cmd_judgements_entry); return SP_EXIT_USAGE;
		}
	}
	int n = argc - optind;
	const char *sub = n ? argv[optind] : "list";
	if (!strcmp(sub, "list") && n <= 2)
		return judgements_list(env, all, n == 2 ? argv[optind + 1] : NULL);
	if (!strcmp(sub, "remove") && n == 2)
		return judgements_remove(env, argv[optind + 1], note);
	if (!strcmp(sub, "export") && n == 1)
		return judgements_export(env, out);
	if (!strcmp(sub, "import") && n == 2)
		return judgements_import(env, argv[optind + 1]);
	sp_cmd_usage(stderr, &sp_cmd_judgements_entry);
	return SP_EXIT_USAGE;
}
