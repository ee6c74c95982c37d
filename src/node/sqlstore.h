/* sqlstore.h: what the node's state store and the watcher's store share (internal to
 * src/node): opening an SQLite database for crash-safe use, and statement helpers whose
 * errors name the store ("state store: write: disk I/O error"). */
#ifndef ML2CHAIN_NODE_SQLSTORE_H
#define ML2CHAIN_NODE_SQLSTORE_H

#include <sqlite3.h>

#include "ml2chain/err.h"
#include "ml2chain/types.h"

/* Opens (creating) path in WAL mode with synchronous=FULL, a 30 s busy timeout, and runs
 * schema (idempotent DDL). `extra_flags` are added to sqlite3_open_v2's (e.g.
 * SQLITE_OPEN_NOMUTEX). On failure *db is NULL and err names the store and the path. */
M2C_WUR m2c_status m2c_sqlstore_open(sqlite3 **db, const char *store, const char *path,
                                     const char *schema, int extra_flags, m2c_err *err);

/* "<store>: <what>: <sqlite's message>" as M2C_ERR_DB. */
m2c_status m2c_sqlstore_err(sqlite3 *db, const char *store, const char *what, m2c_err *err);
M2C_WUR m2c_status m2c_sqlstore_prep(sqlite3 *db, const char *store, sqlite3_stmt **st,
                                     const char *sql, m2c_err *err);
M2C_WUR m2c_status m2c_sqlstore_exec(sqlite3 *db, const char *store, const char *sql,
                                     m2c_err *err);
/* Steps a write (or a statement whose row is not read): DONE or ROW is success. */
M2C_WUR m2c_status m2c_sqlstore_step(sqlite3 *db, const char *store, sqlite3_stmt *st,
                                     m2c_err *err);
/* *h = column i when it is a 32-byte blob, else all zero. */
void m2c_sqlstore_col_hash(m2c_hash32 *h, sqlite3_stmt *st, int i);
/* A malloc'd copy of blob column i (*len its size; an empty blob is a 1-byte allocation with
 * *len 0). NULL for an SQL NULL and when out of memory: for a NOT NULL column, NULL means out
 * of memory. */
uint8_t *m2c_sqlstore_col_dup(sqlite3_stmt *st, int i, size_t *len);

#endif
