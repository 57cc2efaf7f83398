/*
 * startup.h — is this company a startup? The rule the score stage applies before a company with
 * thesis evidence may qualify, and the words it gives in `explain`.
 *
 * What it does: sp_startup_judge() takes the facts the score stage gathered about one entity
 * (sp_startup_facts) and says whether it is a startup, a closed company or neither, with the
 * signals that counted, as a sentence for the score's reasons.
 *
 * The rule (one place):
 *   closed    a company known inactive (closed, dissolved, acquired, struck off: normalise's
 *             sp_norm_active) and never seen active is never a startup; only an analyst's pin
 *             brings it into the selection (select.h).
 *   startup   otherwise, when it is seen in a startup source (a source of kind directory:
 *             connectors/connector.h), or, known only from registries, when it is young (founded
 *             within [startup] max_age_years of the run's date) AND carries a technology word
 *             ([startup] technology, matched like the taxonomy's keywords in its names,
 *             description and categories). A registry record with an activity code and a word in
 *             its name is a company, not yet a startup: a garage, a tyre shop or a car wash does
 *             not qualify.
 *   A website and being in the news (mentions in the run's year) are signals shown in the
 *   sentence that decide nothing: registries have no website, and a garage can be in the news.
 *
 * [startup] keys (sp_startup_keys; the built-in taxonomy sets them): max_age_years (10),
 * technology (word items as in the taxonomy: "software, platform, app*, ...").
 *
 * Ownership: facts point into the caller's strings; the sentence is appended to the caller's buffer.
 */
#ifndef SP_STARTUP_H
#define SP_STARTUP_H

#include "core/common.h"
#include "core/config.h"

typedef struct sp_startup_facts {
	const char *directory;  /* the first startup source it is seen in, NULL when none */
	const char *registry;   /* the first registry it is seen in, NULL when none */
	const char *website;    /* NULL or "" when none */
	int founded_year;       /* 0 when unknown */
	int as_of_year;         /* the run's year */
	const char *technology; /* the first technology word found, NULL when none */
	int active;             /* 1 seen active, 0 known inactive, -1 unknown */
	const char *status;     /* the inactive record's status as written, NULL when none */
	const char *status_ref; /* that record's SOURCE:KEY */
	long max_age_years;
	long news;              /* news items naming it in the run's year (a signal shown, pipeline/mention.h) */
} sp_startup_facts;

enum { SP_STARTUP_NO = 0, SP_STARTUP_YES = 1, SP_STARTUP_CLOSED = 2 };

extern const sp_config_key sp_startup_keys[];

/* SP_STARTUP_YES, _NO or _CLOSED for the facts; appends the sentence ("Startup: ...", "Not a
 * startup: ..." or "Closed (...): ...") to why. */
int sp_startup_judge(const sp_startup_facts *f, sp_buf *why);

#endif
