/*
 * date.h — the one date parser: every date sparker reads from a source goes through it.
 *
 * What it does: sp_date_parse() turns the date text of any source into ISO 8601 at the precision
 * the text has: "YYYY-MM-DD", "YYYY-MM" or "YYYY". It reads
 *   yyyy                               -> "YYYY"
 *   yyyy-mm, yyyy/mm, yyyy.mm          -> "YYYY-MM"
 *   yyyy-mm-dd (also '/' or '.', one or two digits for month and day), optionally followed by
 *     'T', 't' or ' ' and anything (RFC 3339 "2006-01-02T15:04:05+02:00")   -> "YYYY-MM-DD"
 *   yyyymmdd                           -> "YYYY-MM-DD"
 *   nn/nn/yyyy, nn.nn.yyyy, nn-nn-yyyy (one or two digits each; optionally followed by ' ' or
 *     'T' and anything), in the day/month order given by sp_date_order  -> "YYYY-MM-DD"
 *   words: RFC 822 "Mon, 02 Jan 2006 15:04:05 +0000" (two-digit years: < 50 is 20xx),
 *     "2 January 2020", "2nd Jan 2020", "Jan 2, 2020" -> "YYYY-MM-DD"; "March 2019" -> "YYYY-MM"
 *     (English month names, first three letters; weekday names ignored; a time ends the date).
 * Leading and trailing white space is ignored.
 *
 * Invariants: an output is always a real calendar day (29/02/2023 and 31/02/2024 are no date)
 * with a year in 1000..2999; the same text and order give the same output in every caller (the
 * pushdown filter, the connectors that convert dates, the normalise stage), so a record is never
 * in scope for one and out of scope for another. The parser is pure: no allocation, no state.
 *
 * Failure: text that is not a date we know gives 0 and out = "" (never a partial or impossible
 * date). Nothing else can fail.
 */
#ifndef SP_DATE_H
#define SP_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/* Room for any output of sp_date_parse and sp_date_first_day: "YYYY-MM-DD" and the NUL. */
#define SP_DATE_ISO_SIZE 11

/*
 * How to read nn/nn/yyyy. The plain orders read an impossible day/month the other way round when
 * that is a date (03/25/2024 is 25 March in either order): right for sources whose order is a
 * default or a habit. The _ONLY orders do not: for sources whose format fixes the order
 * (Companies House writes dd/mm/yyyy, so 01/13/2020 is a broken field, not 13 January).
 * Only nn/nn/yyyy depends on the order; every other form reads the same in all four.
 */
typedef enum sp_date_order {
	SP_DATE_DMY = 0,      /* day first; month first when only that is a date */
	SP_DATE_MDY = 1,      /* month first; day first when only that is a date */
	SP_DATE_DMY_ONLY = 2, /* day first or no date */
	SP_DATE_MDY_ONLY = 3, /* month first or no date */
} sp_date_order;

/*
 * Parse raw (may be NULL) into out (n bytes, SP_DATE_ISO_SIZE is always enough; a shorter buffer
 * gets a truncated, NUL-terminated string; n = 0 writes nothing). Returns 1 with the ISO date, or
 * 0 with out = "".
 */
int sp_date_parse(const char *raw, sp_date_order order, char *out, size_t n);

/*
 * The first day the date can mean, as "YYYY-MM-DD" in out (SP_DATE_ISO_SIZE bytes): a missing
 * month or day reads as 01 ("2019" -> "2019-01-01"). For comparing dates of any precision with a
 * day. Returns 1, or 0 with out = "" when sp_date_parse() finds no date.
 */
int sp_date_first_day(const char *raw, sp_date_order order, char out[SP_DATE_ISO_SIZE]);

/*
 * 1 when s is exactly "YYYY-MM-DD", a real calendar day, with a year in 1900..2200 (the window of
 * run dates, --as-of, backfill ranges and committee decision dates); else 0. NULL gives 0.
 */
int sp_date_is_iso_valid(const char *s);

/* Day number (days since 1970-01-01) of a date sp_date_is_iso_valid() accepts, and back. */
int64_t sp_date_days(const char *iso);
void sp_date_from_days(int64_t days, char out[SP_DATE_ISO_SIZE]);

/*
 * The order a source declares for its nn/nn/yyyy dates: `date_order = dmy | mdy` (any case), or
 * mdy for `preset = crunchbase` without a date_order key; SP_DATE_DMY otherwise. *declared (may be
 * NULL) is set to 1 when the source's own keys chose the order, 0 when it is the default.
 * Returns SP_DATE_DMY or SP_DATE_MDY (a connector that must not swap asks for the _ONLY order).
 */
sp_date_order sp_date_order_config(const sp_config *cfg, const char *section, int *declared);
/* The [source] key sp_date_order_config reads (date_order = dmy | mdy), valid for every format. */
extern const sp_config_key sp_date_keys[];

#endif
