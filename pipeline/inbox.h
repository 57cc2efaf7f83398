/*
 * inbox.h — the analysts' inbox on SQLite: judgements made while a run holds the lock, applied by
 * the next run, so an analyst never waits for (nor fails on) the nightly run.
 *
 * Why: a SQLite file has one writer, and a run's stages hold write transactions for a whole stage
 * (the parse of a file, the dedupe write, the score), so a judgement written into the database
 * during a run would wait for the busy timeout and fail. The inbox is a small SQLite file of its
 * own beside the database ("<database>.inbox", WAL, one short transaction per entry): a command
 * that finds the run lock held (core/lock.h) writes its judgement there and exits 0; a run
 * applies the entries at its start, under its lock, before any stage reads judgements; a command
 * that takes the lock applies them before its own write, so the order of judgements is kept.
 * On PostgreSQL there is no inbox: analysts write directly (core/lock.h).
 *
 * An entry carries all sp_judgement_record needs to record the judgement later exactly as if it
 * had been made at that moment (a replay, pipeline/judgement.h): kind, value, date, a, b, note,
 * user, hub, origin, the time it was made (not the time it is applied), and for a judgement on a
 * startup (pin, decision, note, label; and `pin ... clear`) the entity, its name and the records
 * it had then, read from the database when the command runs (a WAL reader does not wait for the
 * writer). The judgement is checked when it is made (sp_judgement_check: its value, its records,
 * its entity), so a command refuses then what would be refused later. Only judgement.c's rules
 * decide what is recorded; this module stores, lists and replays.
 *
 * An import (decisions import, judgements import, audit import during a run) queues all its rows
 * in ONE transaction of the inbox (sp_inbox_begin .. sp_inbox_commit: all or nothing); the entries
 * added inside carry the transaction's batch token, and a run applies a batch's entries together,
 * in one transaction of the database, as the import would have. A row of `judgements import` is
 * queued verbatim (sp_inbox_add_verbatim: its time, user and records as in the file; recorded by
 * judgement.c's import rule, so importing the same file again records nothing); its removes name
 * the entry of the earlier row they remove, mapped to that row's judgement when applied.
 *
 * A report's row (table `report`, and its edition, written by `sparker report` beside a run: reports/report_stage.c)
 * is an entry of a second kind, applied the same way (sp_report_row_write).
 *
 * Applying is idempotent and kill-safe across the two files (a transaction does not span them):
 * each entry has a unique token; its judgement rows are written with origin "ORIGIN inbox:TOKEN"
 * in one transaction of the database, and the entry is deleted from the inbox after that commit.
 * An entry whose token is already in the database (killed between the two) is only deleted. So a
 * kill -9 at any point loses nothing and records nothing twice. (An entry whose judgement was
 * already in force writes nothing and is simply judged again: still nothing.) A report entry is
 * matched by its year, checksum and time instead. An entry the rules refuse when it is applied
 * (the judgement it removes is gone: rare, as entries are checked when made) stays in the inbox,
 * marked failed with the reason, listed by `judgements`, and never applied.
 *
 * Test hook: SPARKER_TEST_STALL=drain:SECONDS sleeps that long after each entry is committed to
 * the database and before it leaves the inbox (pipeline/run.h), so a test can kill a run there.
 *
 * Ownership: sp_inbox belongs to its opener; sp_inbox_close(NULL) is a no-op. Strings of an
 * sp_inbox_row live until fn returns.
 *
 * Failure: SP_OK; SP_EDB (either file); what sp_judgement_check refuses (SP_EUSAGE,
 * SP_ENOTFOUND), with err saying which.
 */
#ifndef SP_INBOX_H
#define SP_INBOX_H

#include <stdint.h>

#include "core/store.h"
#include "pipeline/judgement.h"
#include "pipeline/stage.h"

typedef struct sp_inbox sp_inbox;

/* Open (creating) the inbox beside the SQLite database at path. */
int sp_inbox_open(const char *database, sp_inbox **out, sp_err *err);
void sp_inbox_close(sp_inbox *ib);

/* Record j as made now: into db by sp_judgement_record when ib is NULL; else, after
 * sp_judgement_check against db (read only), as a pending entry of ib (out->pending its id). */
int sp_inbox_record(sp_store *db, sp_inbox *ib, const sp_judgement *j, sp_judgement_out *out, sp_err *err);
/* `pin ENTITY clear` made now (by: user, hub, note, origin): sp_judgement_clear_pins_by into db
 * when ib is NULL (*n removed); else a pending entry (*pending its id, *n 0). */
int sp_inbox_clear_pins(sp_store *db, sp_inbox *ib, int64_t entity, const sp_judgement *by, int *n, int64_t *pending,
			sp_err *err);
/* One transaction of the inbox: the entries added until sp_inbox_commit form one batch (above);
 * sp_inbox_rollback (NULL: a no-op) queues none of them. */
int sp_inbox_begin(sp_inbox *ib, sp_err *err);
int sp_inbox_commit(sp_inbox *ib, sp_err *err);
void sp_inbox_rollback(sp_inbox *ib);
/* A row of `judgements import` (j->created and j->user given; j->records for an anchored kind; a
 * remove: j->target is the pending entry, of this batch, of the row it removes) as an entry of the
 * batch begun; *id the entry. Checked now as the import checks it (kind, value, records, target). */
int sp_inbox_add_verbatim(sp_inbox *ib, const sp_judgement *j, int64_t *id, sp_err *err);
/* A report's row, to be written by the next run (stage.h: sp_report_row; its run_id is ignored). */
int sp_inbox_add_report(sp_inbox *ib, const sp_report_row *r, sp_err *err);

/* Apply every pending entry to db, in the order made (the caller holds the run lock, and no
 * transaction). No inbox file: nothing to do. */
typedef struct sp_inbox_drained {
	int applied; /* entries recorded (or found recorded by a killed drain) and removed */
	int failed;  /* entries the rules refused now: kept, marked failed */
} sp_inbox_drained;
int sp_inbox_drain(const char *database, sp_store *db, sp_inbox_drained *out, sp_err *err);

/* One pending entry as `judgements` lists it. what: a judgement kind name, "clear" (a pin
 * cleared) or "report". */
typedef struct sp_inbox_row {
	int64_t id, entity, target, year;
	const char *what, *value, *date, *a, *b, *name, *note, *user, *hub, *created, *origin;
	const char *records; /* space-separated, each percent-encoded (sp_judgement_ref_encode) */
	const char *path;    /* report: the PDF */
	const char *failed;  /* NULL, or why applying it was refused */
	int64_t removes;     /* an imported remove: the entry it removes */
} sp_inbox_row;
/* fn for each entry in the order made; no inbox file: none. fn returning non-zero stops. */
int sp_inbox_each(const char *database, int (*fn)(const sp_inbox_row *r, void *user), void *user, sp_err *err);

#endif
