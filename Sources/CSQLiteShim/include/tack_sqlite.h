#ifndef TACK_SQLITE_H
#define TACK_SQLITE_H

/* sqlite3_db_config is a C variadic, which Swift cannot call; this gives the one setting tackd needs a typed entry
   point. `db` is a handle of SQLiteNIO's bundled SQLite (its symbols are prefixed sqlite_nio_). */

/* Turns on the query planner stability guarantee: plans no longer depend on bound values, so a statement kept
   prepared is not prepared again each time a LIMIT or a range bound is bound anew. 0 on success. */
int tack_sqlite_enable_qpsg(void *db);

#endif
