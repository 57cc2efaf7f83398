/*
 * migrate.c — copy a database table by table into another (see migrate.h). Only store.h's API:
 * the SQL is the common subset, and each backend's catalogue is asked through the store.
 */
#include "pipeline/migrate.h"

#include <stdlib.h>

#include "core/store.h"

struct copy {
	sp_store *from, *to;
	sp_migrate_counts *n;
	sp_err *err;
};

/* The destination's table is empty. */
static int check_empty(const char *table, void *arg)
{
	struct copy *c = arg;
	sp_buf q = SP_BUF_INIT;
	sp_buf_addf(&q, "SELECT count(*) FROM %s", table);
	int64_t n = 0;
	int rc = sp_store_int(c->to, q.buf, &n, c->err);
	sp_buf_release(&q);
	if (rc == SP_OK && n > 0)
		rc = sp_err_set(c->err, SP_EUSAGE, "%s is not empty (table %s holds %lld rows): migrate copies into an empty database",
				sp_store_path(c->to), table, (long long)n);
	return rc;
}

/* INSERT INTO table (the columns of s) VALUES (?1, ...). */
static int insert_for(struct copy *c, const char *table, sp_stmt *s, sp_stmt **ins)
{
	sp_buf q = SP_BUF_INIT;
	int n = sp_col_count(s);
	sp_buf_addf(&q, "INSERT INTO %s (", table);
	for (int i = 0; i < n; i++)
		sp_buf_addf(&q, "%s%s", i ? ", " : "", sp_col_name(s, i));
	sp_buf_addf(&q, ") VALUES (");
	for (int i = 0; i < n; i++)
		sp_buf_addf(&q, "%s?%d", i ? ", " : "", i + 1);
	sp_buf_addf(&q, ")");
	int rc = sp_store_prepare(c->to, q.buf, ins, c->err);
	sp_buf_release(&q);
	return rc;
}

static void bind_as_is(sp_stmt *ins, sp_stmt *s, int i)
{
	switch (sp_col_kind(s, i)) {
	case SP_COL_NULL: sp_bind_null(ins, i + 1); break;
	case SP_COL_INT: sp_bind_int64(ins, i + 1, sp_col_int64(s, i)); break;
	case SP_COL_REAL: sp_bind_double(ins, i + 1, sp_col_double(s, i)); break;
	default: sp_bind_textn(ins, i + 1, sp_col_text(s, i), -1); break;
	}
}

static int copy_table(const char *table, void *arg)
{
	struct copy *c = arg;
	sp_buf q = SP_BUF_INIT;
	sp_buf_addf(&q, "SELECT * FROM %s", table);
	sp_stmt *s = NULL, *ins = NULL;
	int rc = sp_store_prepare(c->from, q.buf, &s, c->err), st = SP_DONE;
	sp_buf_release(&q);
	while (rc == SP_OK && (st = sp_step(s)) == SP_ROW) {
		if (!ins && (rc = insert_for(c, table, s, &ins)) != SP_OK)
			break;
		for (int i = 0; i < sp_col_count(s); i++)
			bind_as_is(ins, s, i);
		if ((rc = sp_store_step_done(c->to, ins, c->err)) == SP_OK)
			c->n->rows++;
	}
	if (rc == SP_OK && st != SP_DONE)
		rc = sp_store_error(c->from, c->err, table);
	sp_finalize(ins);
	sp_finalize(s);
	if (rc == SP_OK)
		c->n->tables++;
	return rc != SP_OK ? sp_err_prefix(c->err, "table %s", table) : SP_OK;
}

int sp_migrate(const char *from, const char *to, sp_migrate_counts *out, sp_err *err)
{
	*out = (sp_migrate_counts){ 0 };
	struct copy c = { .n = out, .err = err };
	int rc = sp_store_open_existing(from, &c.from, err);
	if (rc == SP_OK)
		rc = sp_store_open(to, &c.to, err);
	if (rc == SP_OK)
		rc = sp_store_each_table(c.to, check_empty, &c, err);
	if (rc == SP_OK && (rc = sp_store_begin(c.to, err)) == SP_OK) {
		if ((rc = sp_store_defer_keys(c.to, err)) == SP_OK && (rc = sp_store_each_table(c.from, copy_table, &c, err)) == SP_OK &&
		    (rc = sp_store_sync_ids(c.to, err)) == SP_OK)
			rc = sp_store_commit(c.to, err);
		if (rc != SP_OK)
			sp_store_rollback(c.to);
	}
	sp_store_close(c.from);
	sp_store_close(c.to);
	return rc;
}
