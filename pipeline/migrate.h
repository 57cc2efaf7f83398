/*
 * migrate.h — `sparker migrate`: copy a whole database to another backend (SQLite file to
 * PostgreSQL and back), every table, history, judgements and raw-store references alike.
 *
 * sp_migrate() opens from (it must exist) and to (created and brought to the same schema
 * version), refuses a destination that holds any row (SP_EUSAGE naming the table), then copies
 * every table of the schema (store.h: sp_store_each_table) in one transaction on the
 * destination, foreign keys checked at commit, each value bound as what it is (integer, real,
 * text, NULL: no rounding), and sets the destination's next ids after the largest copied. On
 * failure nothing is left in the destination (rolled back). Streams: the source is read a row
 * at a time (a cursor on PostgreSQL).
 *
 * Owns nothing after it returns; never prints. The caller takes the run lock of the source.
 */
#ifndef SP_MIGRATE_H
#define SP_MIGRATE_H

#include <stdint.h>

#include "core/common.h"

typedef struct sp_migrate_counts {
	int tables;
	int64_t rows;
} sp_migrate_counts;

int sp_migrate(const char *from, const char *to, sp_migrate_counts *out, sp_err *err);

#endif
