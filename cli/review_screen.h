/*
 * review_screen.h — the terminal screens of `sparker review` (ncursesw), for cli/cmd_review.c.
 *
 * Each function takes over the terminal (standard input and output), shows its queue one item
 * at a time, records what the analyst decides through pipeline/judgement.h (user, origin
 * "review"), each write under the run lock taken for that write only (cfg names the lock; a
 * nightly run is never kept out by an open screen, and a key pressed while a run holds the lock
 * is refused on the screen), and gives the terminal back (endwin) before it returns — on quit
 * and on error.
 * The queue arrays are the caller's; the screens only mark what was decided in memory.
 *
 * Failure: SP_OK; SP_EIO when the terminal cannot be used (err says why); SP_EDB when writing a
 * judgement failed (the screen ends; what was recorded before stays). A judgement the rules
 * refuse (SP_EUSAGE, SP_ENOTFOUND) is shown on the screen and the session goes on.
 */
#ifndef SP_REVIEW_SCREEN_H
#define SP_REVIEW_SCREEN_H

#include <stddef.h>

#include "core/config.h"
#include "core/store.h"
#include "pipeline/audit.h"
#include "pipeline/review.h"

typedef struct sp_review_tally {
	int recorded; /* judgements written in the session */
	int undone;   /* of which undone (z) */
} sp_review_tally;

/* The pair queue: s same, d different, u unsure, n/space skip, p back, z undo, q quit, ? keys. */
int sp_review_screen_pairs(sp_store *db, const sp_config *cfg, sp_review_pair *v, size_t n, const char *user,
			   const char *hub, sp_review_tally *t, sp_err *err);

/* The startups around the cut: i pin in, o pin out, c clear, n next, p back, z undo, q, ?. */
int sp_review_screen_selection(sp_store *db, const sp_config *cfg, const sp_review_cohort *c, sp_review_startup *v,
			       size_t n, const char *user, const char *hub, sp_review_tally *t, sp_err *err);

/* An audit sample of cohort year (audit.h): y label yes, n label no, s/space skip, p back, z undo
 * (the label before comes back, or the new one is removed), q quit, ? keys. */
int sp_review_screen_audit(sp_store *db, const sp_config *cfg, int64_t year, sp_audit_item *v, size_t n,
			   const char *user, const char *hub, sp_review_tally *t, sp_err *err);

#endif
