/*
 * stop.h — a request to stop work early (SIGINT/SIGTERM), as a flag the long loops look at.
 *
 * What it does: cli/ installs the signal handlers (it prints "stopping after the current batch",
 * decides the exit code, and exits at once on a second signal); its handler calls
 * sp_stop_request(sig). Everything below looks at sp_stop_requested() at its batch boundaries
 * (a parsed row, a normalised record, a dedupe block, a scored entity, curl's progress callback,
 * a retry backoff, between stage calls) and, when it is set, gives up with SP_EINTERRUPTED and
 * the message sp_stop_err() leaves, after rolling back its open transaction: the database keeps
 * its last committed state, exactly as after a kill.
 *
 * Invariants: sp_stop_request() only stores to a volatile sig_atomic_t, so it is safe in a signal
 * handler and from any thread; the flag is process-wide (one run per process), cleared by
 * sp_stop_reset() when cli/ installs its handlers. Nothing here prints or exits.
 */
#ifndef SP_STOP_H
#define SP_STOP_H

#include "core/common.h"

/* Note a stop request (async-signal-safe). sig: the signal number (> 0). */
void sp_stop_request(int sig);
/* The signal of the pending stop request, or 0 when none. */
int sp_stop_requested(void);
void sp_stop_reset(void);
/* Set err to SP_EINTERRUPTED "interrupted by SIGTERM" (the pending signal); returns SP_EINTERRUPTED. */
int sp_stop_err(sp_err *err);

#endif
