#include "tack_sqlite.h"

/* Declared here rather than included: the header belongs to SQLiteNIO's VaporCSQLite target, which is not a product
   another package can depend on. The symbol is linked in with SQLiteNIO. */
int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

enum { TACK_SQLITE_DBCONFIG_ENABLE_QPSG = 1007 }; /* SQLITE_DBCONFIG_ENABLE_QPSG in sqlite3.h */

int tack_sqlite_enable_qpsg(void *db) {
    int enabled = 0;
    int status = sqlite_nio_sqlite3_db_config(db, TACK_SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
    return status == 0 && enabled == 1 ? 0 : -1;
}
