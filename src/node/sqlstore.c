/* sqlstore.c: shared SQLite plumbing of the node's stores (see sqlstore.h). */
#include "sqlstore.h"

#include <stdlib.h>
#include <string.h>

m2c_status m2c_sqlstore_err(sqlite3 *db, const char *store, const char *what, m2c_err *err) {
    return m2c_err_set(err, M2C_ERR_DB, "%s: %s: %s", store, what,
                       db ? sqlite3_errmsg(db) : "out of memory");
}

m2c_status m2c_sqlstore_open(sqlite3 **db, const char *store, const char *path,
                             const char *schema, int extra_flags, m2c_err *err) {
    *db = NULL;
    sqlite3 *d = NULL;
    if (sqlite3_open_v2(path, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | extra_flags,
                        NULL) != SQLITE_OK) {
        m2c_status st = m2c_err_set(err, M2C_ERR_DB, "%s: cannot open %s: %s", store, path,
                                    d ? sqlite3_errmsg(d) : "out of memory");
        sqlite3_close(d);
        return st;
    }
    sqlite3_busy_timeout(d, 30000);
    char *emsg = NULL;
    if (sqlite3_exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
                     &emsg) != SQLITE_OK ||
        sqlite3_exec(d, schema, NULL, NULL, &emsg) != SQLITE_OK) {
        m2c_status st = m2c_err_set(err, M2C_ERR_DB, "%s: cannot initialise %s: %s", store, path,
                                    emsg ? emsg : "?");
        sqlite3_free(emsg);
        sqlite3_close(d);
        return st;
    }
    *db = d;
    return M2C_OK;
}

m2c_status m2c_sqlstore_prep(sqlite3 *db, const char *store, sqlite3_stmt **st, const char *sql,
                             m2c_err *err) {
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return m2c_sqlstore_err(db, store, "prepare", err);
    return M2C_OK;
}

m2c_status m2c_sqlstore_exec(sqlite3 *db, const char *store, const char *sql, m2c_err *err) {
    char *emsg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &emsg) != SQLITE_OK) {
        m2c_status st = m2c_err_set(err, M2C_ERR_DB, "%s: %s: %s", store, sql, emsg ? emsg : "?");
        sqlite3_free(emsg);
        return st;
    }
    return M2C_OK;
}

m2c_status m2c_sqlstore_step(sqlite3 *db, const char *store, sqlite3_stmt *st, m2c_err *err) {
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return m2c_sqlstore_err(db, store, "write", err);
    return M2C_OK;
}

void m2c_sqlstore_col_hash(m2c_hash32 *h, sqlite3_stmt *st, int i) {
    memset(h, 0, sizeof *h);
    const void *p = sqlite3_column_blob(st, i);
    if (p && sqlite3_column_bytes(st, i) == 32) memcpy(h->b, p, 32);
}

uint8_t *m2c_sqlstore_col_dup(sqlite3_stmt *st, int i, size_t *len) {
    *len = 0;
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
    const void *p = sqlite3_column_blob(st, i); /* NULL for an empty blob */
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    uint8_t *d = malloc(n ? n : 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, n);
    *len = n;
    return d;
}
