/*
 * startup.c — the startup rule (see startup.h for the rule and its keys).
 */
#include <stdio.h>
#include <string.h>

#include "pipeline/startup.h"

#define WORDS (SP_KEY_REPEAT)
const sp_config_key sp_startup_keys[] = {
	{ "startup", "max_age_years", SP_KEY_INT, .def = "10", .min = 0, .max = 1000 },
	{ "startup", "technology", SP_KEY_STRING, .flags = WORDS },
	{ 0 },
};

static int young(const sp_startup_facts *f)
{
	return f->founded_year > 0 && f->as_of_year > 0 && f->founded_year <= f->as_of_year &&
	       f->as_of_year - f->founded_year <= f->max_age_years;
}

/* "; founded 2019 (within 10 years)" or "; founded 1998 (more than 10 years before 2017)" */
static void age_words(const sp_startup_facts *f, sp_buf *why)
{
	if (f->founded_year <= 0)
		sp_buf_adds(why, "; founding year unknown");
	else if (young(f))
		sp_buf_addf(why, "; founded %d (within %ld years)", f->founded_year, f->max_age_years);
	else
		sp_buf_addf(why, "; founded %d (more than %ld years before %d)", f->founded_year, f->max_age_years,
			    f->as_of_year);
}

int sp_startup_judge(const sp_startup_facts *f, sp_buf *why)
{
	if (f->active == 0) {
		sp_buf_addf(why, "Closed (status \"%s\" in %s): a closed, dissolved or acquired company never "
				 "qualifies unless pinned",
			    f->status ? f->status : "inactive", f->status_ref ? f->status_ref : "its records");
		return SP_STARTUP_CLOSED;
	}
	int yes = f->directory || (f->registry && young(f) && f->technology) || (!f->registry && !f->directory);
	sp_buf_adds(why, yes ? "Startup: " : "Not a startup: ");
	if (f->directory)
		sp_buf_addf(why, "seen in a startup source (%s)", f->directory);
	else if (f->registry)
		sp_buf_addf(why, "only in registries (%s), so it needs to be young and to name a technology", f->registry);
	else
		sp_buf_adds(why, "no source kind known");
	age_words(f, why);
	if (f->technology)
		sp_buf_addf(why, "; technology word \"%s\"", f->technology);
	else
		sp_buf_adds(why, "; no technology word");
	if (f->website && *f->website)
		sp_buf_addf(why, "; website %s", f->website);
	if (f->news > 0)
		sp_buf_addf(why, "; in the news %ld time%s in %d", f->news, f->news == 1 ? "" : "s", f->as_of_year);
	return yes ? SP_STARTUP_YES : SP_STARTUP_NO;
}
