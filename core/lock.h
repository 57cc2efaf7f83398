/*
 * lock.h — the run lock: one writer of the pipeline's and the analysts' tables at a time.
 *
 * What it does: on SQLite, flock() on "<database>.lock". The holder writes one line into the file
 * ("pid N on HOST since TIME: what"), which a refused taker quotes in its message. A killed
 * holder never leaves a stale lock: the kernel drops a flock with the process. On PostgreSQL
 * (store.h: sp_store_is_server), a session advisory lock on a fixed key in the database (one run
 * per database, across machines), held by a connection of its own whose application_name is the
 * holder line; the server drops it when that session ends (a killed holder included).
 *
 * Who takes it: a run (pipeline/run.c), a backfill (for all its dates), `score --preview` and
 * `migrate` with sp_lock_take; the commands that write analysts' tables (link, unlink, pin,
 * decide, note, review, audit label, judgements remove/import, decisions import, audit
 * sample/import) with sp_lock_take_analyst.
 *
 * Waiting: sp_lock_take_analyst never waits. On SQLite it marks its holder line " (an analyst's
 * write)"; when it is refused, the judgement commands write to the inbox instead
 * (pipeline/inbox.h) and the next run applies it, so an analyst never waits for a run. An
 * analyst holds the lock only for a brief direct write, so sp_lock_take waits up to
 * SP_LOCK_RUN_WAIT seconds while the holder is an analyst (or has not written its line yet) and
 * fails at once when it is another run. On PostgreSQL sp_lock_take_analyst takes nothing
 * (*out = NULL): a judgement is a short transaction of its own that never waits for a run's
 * (rows of other tables), and the next run applies it; sp_lock_take does not wait.
 * Ownership: the sp_lock belongs to the taker; sp_lock_release(NULL) is a no-op.
 *
 * Failure: SP_ELOCKED with the holder named in err when another process holds it; SP_EIO when
 * the lock file cannot be opened.
 */
#ifndef SP_LOCK_H
#define SP_LOCK_H

#include "core/common.h"
#include "core/config.h"

enum { SP_LOCK_RUN_WAIT = 5 }; /* seconds a run waits for an analyst's brief write */

typedef struct sp_lock sp_lock;
int sp_lock_take(const sp_config *cfg, const char *what, sp_lock **out, sp_err *err);
int sp_lock_take_analyst(const sp_config *cfg, const char *what, sp_lock **out, sp_err *err);
void sp_lock_release(sp_lock *l);

#endif
