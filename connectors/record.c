/*
 * record.c — the sp_record baton passed through connectors. See connector.h.
 */
#include "connectors/connector.h"

#include <ctype.h>
#include <string.h>

const char *const sp_field_names[SP_F__COUNT] = {
	"source_key", "name", "legal_form", "other_names", "country", "city", "postcode", "website",
	"founded", "status", "description", "categories", "codes", "code_system", "regnum", "lei",
	"ra_id", "ra_entity_id", "published",
};

const char *sp_field_config_name(size_t i)
{
	return i == SP_F_KEY ? "key" : i < SP_F__COUNT ? sp_field_names[i] : NULL;
}

void sp_record_init(sp_record *r)
{
	memset(r, 0, sizeof(*r));
	r->in_scope = 1;
}

void sp_record_release(sp_record *r)
{
	for (int i = 0; i < SP_F__COUNT; i++)
		sp_buf_release(&r->f[i]);
	sp_buf_release(&r->reject_reason);
	sp_buf_release(&r->excerpt);
}

void sp_record_clear(sp_record *r)
{
	for (int i = 0; i < SP_F__COUNT; i++)
		sp_buf_reset(&r->f[i]);
	sp_buf_reset(&r->reject_reason);
	sp_buf_reset(&r->excerpt);
	r->line = 0;
	r->in_scope = 1;
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

void sp_record_set(sp_record *r, sp_field f, const char *s, size_t n)
{
	sp_buf_reset(&r->f[f]);
	if (!s)
		return;
	trim(&s, &n);
	sp_buf_add(&r->f[f], s, n);
}

void sp_record_sets(sp_record *r, sp_field f, const char *s)
{
	sp_record_set(r, f, s, s ? strlen(s) : 0);
}

void sp_record_append(sp_record *r, sp_field f, const char *s, size_t n)
{
	if (!s)
		return;
	trim(&s, &n);
	if (!n)
		return;
	if (r->f[f].len)
		sp_buf_addc(&r->f[f], ';');
	sp_buf_add(&r->f[f], s, n);
}

const char *sp_record_get(const sp_record *r, sp_field f)
{
	return r->f[f].buf ? r->f[f].buf : "";
}

int sp_record_reject(sp_record *r, const char *reason, const char *excerpt, size_t n)
{
	sp_buf_reset(&r->reject_reason);
	sp_buf_adds(&r->reject_reason, reason);
	sp_buf_reset(&r->excerpt);
	if (excerpt) {
		if (n > 200)
			n = 200;
		sp_buf_add(&r->excerpt, excerpt, n);
	}
	return SP_REJECT;
}
