/*
 * fuzz_normalise.c — libFuzzer target for the pure functions of pipeline/normalise.h: names
 * (with and without a country), cities, countries, dates (core/date.h, every order), domains and
 * shared hosts, activity codes, status, registry numbers, GLEIF RA keys and LEIs.
 *
 * The input is split at the first NUL byte (if any): before it is the text, after it a second
 * text used as country / code system / RA entity id. Every function must return, never read
 * out of bounds, and give NUL-terminated output that fits the documented buffer.
 * Build with -DFUZZ_ONLY=name|date|domain to fuzz one function family (fuzz_name, fuzz_date,
 * fuzz_domain in run_fuzz.sh); without it every family runs on every input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "pipeline/normalise.h"

#define ONLY(x) (!defined_only || strcmp(only, x) == 0)
#ifdef FUZZ_ONLY
static const int defined_only = 1;
static const char *only = FUZZ_ONLY;
#else
static const int defined_only = 0;
static const char *only = "";
#endif

static void check_str(const char *s, size_t max)
{
	if (s && strlen(s) >= max)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	char *a = malloc(size + 1);
	memcpy(a, data, size);
	a[size] = 0;
	size_t alen = strlen(a);
	const char *b = alen < size ? a + alen + 1 : "";

	if (ONLY("name")) {
		sp_name n;
		sp_norm_name(a, NULL, &n);
		sp_name_release(&n);
		sp_norm_name(a, *b ? b : "FR", &n);
		if (!n.key || !n.display)
			abort();
		sp_name_release(&n);
		free(sp_norm_fold(a));
		free(sp_norm_city(a));
		(void)sp_norm_country(a);
		(void)sp_norm_active(a);
	}
	if (ONLY("date")) {
		char out[16];
		memset(out, 'x', sizeof(out));
		sp_date_parse(a, SP_DATE_DMY, out, SP_DATE_ISO_SIZE);
		check_str(out, SP_DATE_ISO_SIZE);
		sp_date_parse(a, SP_DATE_MDY, out, sizeof(out));
		check_str(out, sizeof(out));
		sp_date_parse(a, SP_DATE_DMY_ONLY, out, 5);
		check_str(out, 5);
		sp_date_first_day(a, SP_DATE_MDY_ONLY, out);
		check_str(out, SP_DATE_ISO_SIZE);
	}
	if (ONLY("domain")) {
		free(sp_norm_domain(a));
		(void)sp_norm_shared_host(a);
	}
	if (!defined_only) {
		char code[8];
		sp_norm_code(a, b, code, 6);
		free(sp_norm_codes(a, b));
		free(sp_norm_regnum(a, b));
		free(sp_norm_ra_key(a, b));
		free(sp_norm_lei(a));
	}
	free(a);
	return 0;
}
