/*
 * stop.c — the stop request of stop.h: one volatile flag holding the signal number.
 */
#include "core/stop.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_sig;

void sp_stop_request(int sig)
{
	stop_sig = sig > 0 ? sig : SIGTERM;
}

int sp_stop_requested(void)
{
	return stop_sig;
}

void sp_stop_reset(void)
{
	stop_sig = 0;
}

int sp_stop_err(sp_err *err)
{
	int sig = stop_sig;
	const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : NULL;
	if (name)
		return sp_err_set(err, SP_EINTERRUPTED, "interrupted by %s", name);
	return sp_err_set(err, SP_EINTERRUPTED, "interrupted by signal %d", sig);
}
