/*
 * progress.h — progress lines on a terminal, nothing anywhere else.
 *
 * The one exception to "lower layers never print": long work (a download, a 5-million-row parse,
 * dedupe) reports progress through here, and this module draws it on stderr only when main has
 * enabled it (stderr is a terminal and --quiet was not given). It is rate-limited (5 per second)
 * and erases its line when done, so logs and cron mail never see it.
 */
#ifndef SP_PROGRESS_H
#define SP_PROGRESS_H

#include <stdint.h>

void sp_progress_enable(int on);
int sp_progress_enabled(void);
/* Begin a task: label, and total units (bytes or rows) or 0 when unknown. unit is "B" or "rows". */
void sp_progress_start(const char *label, int64_t total, const char *unit);
void sp_progress_update(int64_t done);
void sp_progress_end(void);

#endif
