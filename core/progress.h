/*
 * progress.h — progress of long work, drawn by whoever cli/ installed as the sink.
 *
 * Long work (a download, a 5-million-row parse, dedupe) reports progress through here. This
 * module keeps the state (label, total, rate, ETA), rate-limits to 5 lines a second and formats
 * one line of text; it never writes to a stream. main installs a sink only when stderr is a
 * terminal and --quiet was not given, so logs and cron mail never see progress. Without a sink
 * every call is a no-op and sp_progress_enabled() is 0 (callers skip the bookkeeping).
 *
 * The sink gets a line without line end to draw in place of the previous one, or NULL when the
 * task ended and the line should be erased.
 */
#ifndef SP_PROGRESS_H
#define SP_PROGRESS_H

#include <stdint.h>

typedef void (*sp_progress_sink)(const char *line);

/* Install the sink (NULL: progress off). */
void sp_progress_set_sink(sp_progress_sink sink);
int sp_progress_enabled(void);
/* Begin a task: label, and total units (bytes or rows) or 0 when unknown. unit is "B" (shown as
 * KB, MB...) or a word ("rows", "records", "entities"); with a total the line has a percentage and an
 * ETA. */
void sp_progress_start(const char *label, int64_t total, const char *unit);
void sp_progress_update(int64_t done);
void sp_progress_end(void);

#endif
