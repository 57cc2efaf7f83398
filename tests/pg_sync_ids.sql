-- tests/pg_sync_ids.sql — PostgreSQL only: moves every identity sequence past the largest id in
-- its table. Run after a test fixture inserts rows with explicit ids (tests/lib.sh sql_file,
-- tests/dbq.py commit), so the program's next insert does not collide with them.
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT table_name t, column_name c FROM information_schema.columns
           WHERE table_schema = 'public' AND is_identity = 'YES' LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), COALESCE((SELECT max(%I) FROM %I), 0) + 1, false)',
                   r.t, r.c, r.c, r.t);
  END LOOP; END $$;
