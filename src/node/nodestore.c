/* nodestore.c: the node's SQLite state (see nodestore.h for the state machine). */
#include "ml2chain/nodestore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/clock.h"
#include "ml2chain/u256.h"

#include "sqlstore.h"

#define STORE "state store"

struct m2c_nodestore {
    sqlite3 *db;
    unsigned depth; /* open transaction levels: 0 none, 1 BEGIN, more: savepoints */
};

static const char *const state_names[M2C_REQ_STATES] = {"seen",      "computed", "submitted",
                                                        "confirmed", "failed",   "orphaned"};

const char *m2c_req_state_str(int s) {
    return s >= 0 && s < M2C_REQ_STATES ? state_names[s] : "?";
}

static m2c_status dberr(m2c_nodestore *s, m2c_err *err, const char *what) {
    return m2c_sqlstore_err(s->db, STORE, what, err);
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS cursor(chain TEXT PRIMARY KEY, block INTEGER NOT NULL,"
    " hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS blocks(chain TEXT NOT NULL, number INTEGER NOT NULL,"
    " hash BLOB NOT NULL, PRIMARY KEY(chain, number));"
    "CREATE TABLE IF NOT EXISTS requests(chain TEXT NOT NULL, id BLOB NOT NULL,"
    " model TEXT NOT NULL, req BLOB, input BLOB NOT NULL, block INTEGER NOT NULL,"
    " block_hash BLOB NOT NULL, log_index INTEGER NOT NULL, state INTEGER NOT NULL,"
    " output BLOB, error_code INTEGER NOT NULL DEFAULT 0, nonce INTEGER NOT NULL DEFAULT -1,"
    " tx_hash BLOB, done_block INTEGER NOT NULL DEFAULT 0, seen_time REAL NOT NULL,"
    " done_time REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
    " reason TEXT NOT NULL DEFAULT '', PRIMARY KEY(chain, id));"
    "CREATE INDEX IF NOT EXISTS requests_state ON requests(chain, state, block, log_index);"
    "CREATE INDEX IF NOT EXISTS requests_nonce ON requests(chain, nonce);"
    "CREATE TABLE IF NOT EXISTS txs(chain TEXT NOT NULL, nonce INTEGER NOT NULL,"
    " hash BLOB NOT NULL, raw BLOB NOT NULL, max_fee BLOB NOT NULL, prio_fee BLOB NOT NULL,"
    " gas INTEGER NOT NULL, sent_block INTEGER NOT NULL, sent_time REAL NOT NULL,"
    " is_cancel INTEGER NOT NULL, PRIMARY KEY(chain, hash));"
    "CREATE INDEX IF NOT EXISTS txs_nonce ON txs(chain, nonce);"
    "CREATE TABLE IF NOT EXISTS nonces(chain TEXT NOT NULL, nonce INTEGER NOT NULL,"
    " settled INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(chain, nonce));"
    /* Final-only requests (FINAL_ONLY, bit 31 of callbackGasLimit: byte 188 of the Request
     * words, i.e. substr position 189) with a callback (address: bytes 108..127) get a
     * delivery row in the same SQL transaction that confirms them, whichever code path
     * confirms them. */
    "CREATE TABLE IF NOT EXISTS deliveries(chain TEXT NOT NULL, id BLOB NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, nonce INTEGER NOT NULL DEFAULT -1, tx_hash BLOB,"
    " done_block INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
    " reason TEXT NOT NULL DEFAULT '', PRIMARY KEY(chain, id));"
    "CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries(chain, state);"
    "CREATE INDEX IF NOT EXISTS deliveries_nonce ON deliveries(chain, nonce);"
    "CREATE TRIGGER IF NOT EXISTS requests_final_only AFTER UPDATE OF state ON requests"
    " WHEN NEW.state = 3 AND OLD.state <> 3 AND NEW.req IS NOT NULL AND length(NEW.req) = 288"
    " AND substr(NEW.req, 189, 1) >= x'80' AND substr(NEW.req, 109, 20) <> zeroblob(20)"
    " BEGIN INSERT OR IGNORE INTO deliveries(chain, id) VALUES(NEW.chain, NEW.id); END;";

m2c_status m2c_nodestore_open(m2c_nodestore **out, const char *path, m2c_err *err) {
    *out = NULL;
    m2c_nodestore *s = calloc(1, sizeof *s);
    if (!s) return m2c_err_set(err, M2C_ERR_NOMEM, "state store: out of memory");
    m2c_status st = m2c_sqlstore_open(&s->db, STORE, path, schema, SQLITE_OPEN_NOMUTEX, err);
    if (st) goto out;
    *out = s;
    s = NULL;
out:
    m2c_nodestore_close(s);
    return st;
}

void m2c_nodestore_close(m2c_nodestore *s) {
    if (!s) return;
    sqlite3_close(s->db);
    free(s);
}

/* ---- small helpers ---- */

static m2c_status prep(m2c_nodestore *s, sqlite3_stmt **st, const char *sql, m2c_err *err) {
    return m2c_sqlstore_prep(s->db, STORE, st, sql, err);
}

static m2c_status exec(m2c_nodestore *s, const char *sql, m2c_err *err) {
    return m2c_sqlstore_exec(s->db, STORE, sql, err);
}

/* Nestable transactions: the outermost level is BEGIN IMMEDIATE (the write lock is taken up
 * front, so a second connection waits in busy_timeout instead of failing an upgrade), inner
 * levels are savepoints, so a function that is atomic on its own (submit, record_range)
 * stays atomic inside a caller's group and a failure inside it undoes only its part. */
static m2c_status tx_begin(m2c_nodestore *s, m2c_err *err) {
    m2c_status st = exec(s, s->depth ? "SAVEPOINT m2c_inner" : "BEGIN IMMEDIATE", err);
    if (!st) s->depth++;
    return st;
}

static m2c_status tx_commit(m2c_nodestore *s, m2c_err *err) {
    m2c_status st = exec(s, s->depth > 1 ? "RELEASE m2c_inner" : "COMMIT", err);
    if (!st) s->depth--;
    return st;
}

static void tx_rollback(m2c_nodestore *s) {
    if (!s->depth) return;
    m2c_status ignored;
    if (s->depth > 1) {
        ignored = exec(s, "ROLLBACK TO m2c_inner", NULL);
        ignored = exec(s, "RELEASE m2c_inner", NULL);
    } else {
        ignored = exec(s, "ROLLBACK", NULL);
    }
    (void)ignored;
    s->depth--;
}

m2c_status m2c_nodestore_begin(m2c_nodestore *s, m2c_err *err) { return tx_begin(s, err); }

m2c_status m2c_nodestore_commit(m2c_nodestore *s, m2c_err *err) {
    if (!s->depth) return m2c_err_set(err, M2C_ERR_STATE, "state store: commit without begin");
    return tx_commit(s, err);
}

void m2c_nodestore_rollback(m2c_nodestore *s) { tx_rollback(s); }

static m2c_status step_done(m2c_nodestore *s, sqlite3_stmt *st, m2c_err *err) {
    return m2c_sqlstore_step(s->db, STORE, st, err);
}

static void col_hash(m2c_hash32 *h, sqlite3_stmt *st, int i) { m2c_sqlstore_col_hash(h, st, i); }

static void col_u256(m2c_u256 *v, sqlite3_stmt *st, int i) {
    m2c_hash32 h;
    col_hash(&h, st, i);
    *v = m2c_u256_from_be32(h.b);
}

static uint8_t *col_dup(sqlite3_stmt *st, int i, size_t *len) {
    return m2c_sqlstore_col_dup(st, i, len);
}

/* ---- cursor and blocks ---- */

m2c_status m2c_nodestore_cursor(m2c_nodestore *s, const char *chain, uint64_t *block,
                                m2c_hash32 *hash, m2c_err *err) {
    *block = 0;
    memset(hash, 0, sizeof *hash);
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT block, hash FROM cursor WHERE chain = ?", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *block = (uint64_t)sqlite3_column_int64(q, 0);
        col_hash(hash, q, 1);
    } else if (rc == SQLITE_DONE) {
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "state store: no cursor for chain %s", chain);
    } else {
        st = dberr(s, err, "read cursor");
    }
    sqlite3_finalize(q);
    return st;
}

static m2c_status set_cursor(m2c_nodestore *s, const char *chain, uint64_t block,
                             const m2c_hash32 *hash, m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "INSERT INTO cursor(chain, block, hash) VALUES(?,?,?)"
                                " ON CONFLICT(chain) DO UPDATE SET block=excluded.block,"
                                " hash=excluded.hash", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)block);
    sqlite3_bind_blob(q, 3, hash->b, 32, SQLITE_TRANSIENT);
    st = step_done(s, q, err);
    sqlite3_finalize(q);
    return st;
}

static m2c_status put_block(m2c_nodestore *s, sqlite3_stmt *q, const char *chain, uint64_t n,
                            const m2c_hash32 *h, m2c_err *err) {
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)n);
    sqlite3_bind_blob(q, 3, h->b, 32, SQLITE_TRANSIENT);
    return step_done(s, q, err);
}

m2c_status m2c_nodestore_record_range(m2c_nodestore *s, const char *chain,
                                      const m2c_noderec *recs, size_t n,
                                      const uint64_t *block_nums,
                                      const m2c_hash32 *block_hashes, size_t nb,
                                      uint64_t to_block, const m2c_hash32 *to_hash,
                                      size_t *added, m2c_err *err) {
    size_t count = 0;
    if (added) *added = 0;
    sqlite3_stmt *ins = NULL, *blk = NULL;
    m2c_status st = tx_begin(s, err);
    if (st) return st;
    /* A known request keeps its state; an orphaned one that shows up again (re-included by
     * the reorg) becomes seen with its new block. */
    st = prep(s, &ins,
              "INSERT INTO requests(chain, id, model, req, input, block, block_hash, log_index,"
              " state, seen_time) VALUES(?,?,?,?,?,?,?,?,0,?)"
              " ON CONFLICT(chain, id) DO UPDATE SET block=excluded.block,"
              " block_hash=excluded.block_hash, log_index=excluded.log_index, state=0,"
              " output=NULL, error_code=0, nonce=-1, tx_hash=NULL, reason=''"
              " WHERE requests.state = 5",
              err);
    if (st) goto out;
    st = prep(s, &blk, "INSERT OR REPLACE INTO blocks(chain, number, hash) VALUES(?,?,?)", err);
    if (st) goto out;
    double t = m2c_clock_wall_s();
    for (size_t i = 0; i < n; i++) {
        const m2c_noderec *r = &recs[i];
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, chain, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(ins, 2, r->id.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, r->model, -1, SQLITE_TRANSIENT);
        if (r->has_req) sqlite3_bind_blob(ins, 4, r->req, sizeof r->req, SQLITE_TRANSIENT);
        else sqlite3_bind_null(ins, 4);
        sqlite3_bind_blob(ins, 5, r->input ? (const void *)r->input : (const void *)"",
                          (int)r->input_len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 6, (sqlite3_int64)r->block);
        sqlite3_bind_blob(ins, 7, r->block_hash.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 8, (sqlite3_int64)r->log_index);
        sqlite3_bind_double(ins, 9, t);
        st = step_done(s, ins, err);
        if (st) goto out;
        count += (size_t)sqlite3_changes(s->db);
    }
    for (size_t i = 0; i < nb; i++) {
        st = put_block(s, blk, chain, block_nums[i], &block_hashes[i], err);
        if (st) goto out;
    }
    st = put_block(s, blk, chain, to_block, to_hash, err);
    if (st) goto out;
    /* Keep a bounded window of hashes: reorgs deeper than this are not followed. */
    {
        sqlite3_stmt *del = NULL;
        st = prep(s, &del, "DELETE FROM blocks WHERE chain = ? AND number + 4096 < ?", err);
        if (st) goto out;
        sqlite3_bind_text(del, 1, chain, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(del, 2, (sqlite3_int64)to_block);
        st = step_done(s, del, err);
        sqlite3_finalize(del);
        if (st) goto out;
    }
    st = set_cursor(s, chain, to_block, to_hash, err);
    if (st) goto out;
    st = tx_commit(s, err);
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(blk);
    if (st) {
        tx_rollback(s);
        return st;
    }
    if (added) *added = count;
    return M2C_OK;
}

m2c_status m2c_nodestore_blocks(m2c_nodestore *s, const char *chain, uint64_t below,
                                uint64_t *nums, m2c_hash32 *hashes, size_t cap, size_t *n,
                                m2c_err *err) {
    *n = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT number, hash FROM blocks WHERE chain = ? AND number <= ?"
                                " ORDER BY number DESC LIMIT ?", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)below);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)cap);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < cap) {
        nums[*n] = (uint64_t)sqlite3_column_int64(q, 0);
        col_hash(&hashes[*n], q, 1);
        (*n)++;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) st = dberr(s, err, "read blocks");
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_nodestore_rewind(m2c_nodestore *s, const char *chain, uint64_t to_block,
                                const m2c_hash32 *to_hash, size_t *orphaned, m2c_err *err) {
    if (orphaned) *orphaned = 0;
    size_t count = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = tx_begin(s, err);
    if (st) return st;
    st = prep(s, &q, "DELETE FROM blocks WHERE chain = ? AND number > ?", err);
    if (st) goto out;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)to_block);
    st = step_done(s, q, err);
    sqlite3_finalize(q);
    q = NULL;
    if (st) goto out;
    /* Confirmed and failed requests keep their state (a confirmation is re-checked by the
     * transaction manager); the rest wait to be seen again. */
    st = prep(s, &q, "UPDATE requests SET state = 5 WHERE chain = ? AND block > ?"
                     " AND state IN (0, 1, 2)", err);
    if (st) goto out;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)to_block);
    st = step_done(s, q, err);
    count = (size_t)sqlite3_changes(s->db);
    sqlite3_finalize(q);
    q = NULL;
    if (st) goto out;
    st = set_cursor(s, chain, to_block, to_hash, err);
    if (st) goto out;
    st = tx_commit(s, err);
out:
    sqlite3_finalize(q);
    if (st) {
        tx_rollback(s);
        return st;
    }
    if (orphaned) *orphaned = count;
    return M2C_OK;
}

/* ---- requests ---- */

#define REC_COLS                                                                           \
    "id, model, req, input, block, block_hash, log_index, state, output, error_code, nonce," \
    " tx_hash, done_block, seen_time, done_time, attempts, reason"

static m2c_status read_rec(m2c_noderec *r, sqlite3_stmt *q) {
    memset(r, 0, sizeof *r);
    col_hash(&r->id, q, 0);
    const unsigned char *m = sqlite3_column_text(q, 1);
    snprintf(r->model, sizeof r->model, "%s", m ? (const char *)m : "");
    const void *req = sqlite3_column_blob(q, 2);
    if (req && sqlite3_column_bytes(q, 2) == (int)sizeof r->req) {
        memcpy(r->req, req, sizeof r->req);
        r->has_req = 1;
    }
    r->input = col_dup(q, 3, &r->input_len);
    r->block = (uint64_t)sqlite3_column_int64(q, 4);
    col_hash(&r->block_hash, q, 5);
    r->log_index = (uint64_t)sqlite3_column_int64(q, 6);
    r->state = sqlite3_column_int(q, 7);
    r->output = col_dup(q, 8, &r->output_len);
    r->error_code = (uint32_t)sqlite3_column_int64(q, 9);
    r->nonce = sqlite3_column_int64(q, 10);
    col_hash(&r->tx_hash, q, 11);
    r->done_block = (uint64_t)sqlite3_column_int64(q, 12);
    r->seen_time = sqlite3_column_double(q, 13);
    r->done_time = sqlite3_column_double(q, 14);
    r->attempts = (uint32_t)sqlite3_column_int64(q, 15);
    const unsigned char *why = sqlite3_column_text(q, 16);
    snprintf(r->reason, sizeof r->reason, "%s", why ? (const char *)why : "");
    if ((sqlite3_column_type(q, 3) != SQLITE_NULL && !r->input) ||
        (sqlite3_column_type(q, 8) != SQLITE_NULL && !r->output)) {
        m2c_noderec_free(r);
        return M2C_ERR_NOMEM;
    }
    return M2C_OK;
}

void m2c_noderec_free(m2c_noderec *r) {
    if (!r) return;
    free(r->input);
    free(r->output);
    r->input = r->output = NULL;
    r->input_len = r->output_len = 0;
}

void m2c_nodestore_recs_free(m2c_noderec *recs, size_t n) {
    if (!recs) return;
    for (size_t i = 0; i < n; i++) m2c_noderec_free(&recs[i]);
    free(recs);
}

static m2c_status list_query(m2c_nodestore *s, sqlite3_stmt *q, size_t cap, m2c_noderec **recs,
                             size_t *n, m2c_err *err) {
    *recs = NULL;
    *n = 0;
    size_t have = 0, alloc = 0;
    m2c_noderec *v = NULL;
    m2c_status st = M2C_OK;
    int rc;
    while (have < cap && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (have == alloc) {
            size_t na = alloc ? alloc * 2 : 16;
            m2c_noderec *nv = realloc(v, na * sizeof *nv);
            if (!nv) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "state store: out of memory");
                goto out;
            }
            v = nv;
            alloc = na;
        }
        if (read_rec(&v[have], q) != M2C_OK) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "state store: out of memory");
            goto out;
        }
        have++;
    }
    if (have < cap && rc != SQLITE_DONE) st = dberr(s, err, "read requests");
out:
    if (st) {
        m2c_nodestore_recs_free(v, have);
        return st;
    }
    *recs = v;
    *n = have;
    return M2C_OK;
}

/* Requests that `sql` selects with ?1 = chain, ?2 = key and, when it has a ?3, ?3 = cap. */
static m2c_status list_by(m2c_nodestore *s, const char *sql, const char *chain, int64_t key,
                          size_t cap, m2c_noderec **recs, size_t *n, m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, sql, err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, key);
    if (sqlite3_bind_parameter_count(q) >= 3)
        sqlite3_bind_int64(q, 3, (sqlite3_int64)(cap > INT64_MAX ? INT64_MAX : cap));
    st = list_query(s, q, cap, recs, n, err);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_nodestore_list(m2c_nodestore *s, const char *chain, int state, size_t cap,
                              m2c_noderec **recs, size_t *n, m2c_err *err) {
    return list_by(s, "SELECT " REC_COLS " FROM requests WHERE chain = ? AND state = ?"
                      " ORDER BY block, log_index LIMIT ?",
                   chain, state, cap, recs, n, err);
}

m2c_status m2c_nodestore_list_nonce(m2c_nodestore *s, const char *chain, uint64_t nonce,
                                    m2c_noderec **recs, size_t *n, m2c_err *err) {
    return list_by(s, "SELECT " REC_COLS " FROM requests WHERE chain = ? AND nonce = ?"
                      " AND state = 2 ORDER BY block, log_index",
                   chain, (int64_t)nonce, SIZE_MAX, recs, n, err);
}

m2c_status m2c_nodestore_get(m2c_nodestore *s, const char *chain, const m2c_hash32 *id,
                             m2c_noderec *out, m2c_err *err) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT " REC_COLS " FROM requests WHERE chain = ? AND id = ?",
                         err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 2, id->b, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        if (read_rec(out, q) != M2C_OK) st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "state store: no such request");
    } else {
        st = dberr(s, err, "read request");
    }
    sqlite3_finalize(q);
    return st;
}

/* Runs an UPDATE on one request and checks that exactly one row changed. */
static m2c_status update_one(m2c_nodestore *s, sqlite3_stmt *q, const char *what, m2c_err *err) {
    m2c_status st = step_done(s, q, err);
    if (st) return st;
    if (sqlite3_changes(s->db) != 1)
        return m2c_err_set(err, M2C_ERR_STATE, "state store: %s: request not in a state that allows it",
                           what);
    return M2C_OK;
}

m2c_status m2c_nodestore_set_computed(m2c_nodestore *s, const char *chain, const m2c_hash32 *id,
                                      const uint8_t *output, size_t output_len,
                                      uint32_t error_code, m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "UPDATE requests SET state = 1, output = ?, error_code = ?"
                                " WHERE chain = ? AND id = ? AND state = 0", err);
    if (st) return st;
    sqlite3_bind_blob(q, 1, output ? (const void *)output : (const void *)"", (int)output_len,
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, error_code);
    sqlite3_bind_text(q, 3, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 4, id->b, 32, SQLITE_TRANSIENT);
    st = update_one(s, q, "set computed", err);
    sqlite3_finalize(q);
    return st;
}

/* Inserts the transaction and its nonce (inside the caller's SQL transaction). */
static m2c_status insert_tx(m2c_nodestore *s, const char *chain, const m2c_nodetx *tx,
                            m2c_err *err) {
    sqlite3_stmt *q = NULL;
    uint8_t fee[32];
    m2c_status st = prep(s, &q, "INSERT INTO txs(chain, nonce, hash, raw, max_fee, prio_fee, gas,"
                                " sent_block, sent_time, is_cancel) VALUES(?,?,?,?,?,?,?,?,?,?)",
                         err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)tx->nonce);
    sqlite3_bind_blob(q, 3, tx->hash.b, 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 4, tx->raw, (int)tx->raw_len, SQLITE_TRANSIENT);
    m2c_u256_to_be32(fee, &tx->max_fee);
    sqlite3_bind_blob(q, 5, fee, 32, SQLITE_TRANSIENT);
    m2c_u256_to_be32(fee, &tx->prio_fee);
    sqlite3_bind_blob(q, 6, fee, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 7, (sqlite3_int64)tx->gas);
    sqlite3_bind_int64(q, 8, (sqlite3_int64)tx->sent_block);
    sqlite3_bind_double(q, 9, tx->sent_time);
    sqlite3_bind_int(q, 10, tx->is_cancel);
    st = step_done(s, q, err);
    sqlite3_finalize(q);
    q = NULL;
    if (st) return st;
    st = prep(s, &q, "INSERT OR IGNORE INTO nonces(chain, nonce) VALUES(?,?)", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)tx->nonce);
    st = step_done(s, q, err);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_nodestore_submit(m2c_nodestore *s, const char *chain, const m2c_nodetx *tx,
                                const m2c_hash32 *ids, size_t n, m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = tx_begin(s, err);
    if (st) return st;
    st = insert_tx(s, chain, tx, err);
    if (st) goto out;
    st = prep(s, &q, "UPDATE requests SET state = 2, nonce = ?1, tx_hash = ?2,"
                     " attempts = attempts + 1 WHERE chain = ?3 AND id = ?4"
                     " AND (state = 1 OR (state = 2 AND nonce = ?1))", err);
    if (st) goto out;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, (sqlite3_int64)tx->nonce);
        sqlite3_bind_blob(q, 2, tx->hash.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 3, chain, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(q, 4, ids[i].b, 32, SQLITE_TRANSIENT);
        st = update_one(s, q, "submit", err);
        if (st) goto out;
    }
    st = tx_commit(s, err);
out:
    sqlite3_finalize(q);
    if (st) {
        tx_rollback(s);
    }
    return st;
}

m2c_status m2c_nodestore_set_confirmed(m2c_nodestore *s, const char *chain, const m2c_hash32 *id,
                                       const m2c_hash32 *tx_hash, uint64_t done_block,
                                       m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "UPDATE requests SET state = 3, tx_hash = coalesce(?, tx_hash),"
                                " done_block = ?, done_time = ? WHERE chain = ? AND id = ?"
                                " AND state IN (0, 1, 2)", err);
    if (st) return st;
    if (tx_hash) sqlite3_bind_blob(q, 1, tx_hash->b, 32, SQLITE_TRANSIENT);
    else sqlite3_bind_null(q, 1);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)done_block);
    sqlite3_bind_double(q, 3, m2c_clock_wall_s());
    sqlite3_bind_text(q, 4, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 5, id->b, 32, SQLITE_TRANSIENT);
    st = update_one(s, q, "set confirmed", err);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_nodestore_set_failed(m2c_nodestore *s, const char *chain, const m2c_hash32 *id,
                                    const char *reason, m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "UPDATE requests SET state = 4, reason = ?, done_time = ?"
                                " WHERE chain = ? AND id = ? AND state IN (0, 1, 2)", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(q, 2, m2c_clock_wall_s());
    sqlite3_bind_text(q, 3, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 4, id->b, 32, SQLITE_TRANSIENT);
    st = update_one(s, q, "set failed", err);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_nodestore_unsubmit(m2c_nodestore *s, const char *chain, const m2c_hash32 *id,
                                  m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "UPDATE requests SET state = 1, nonce = -1"
                                " WHERE chain = ? AND id = ? AND state = 2", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 2, id->b, 32, SQLITE_TRANSIENT);
    st = update_one(s, q, "unsubmit", err);
    sqlite3_finalize(q);
    return st;
}

/* counts[k] = rows of `chain` in state k (0 <= k < n) from a "SELECT state, count(*) ...
 * WHERE chain = ? GROUP BY state" query. */
static m2c_status state_counts(m2c_nodestore *s, const char *sql, const char *chain,
                               uint64_t *counts, int n, const char *what, m2c_err *err) {
    memset(counts, 0, sizeof(uint64_t) * (size_t)n);
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, sql, err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int k = sqlite3_column_int(q, 0);
        if (k >= 0 && k < n) counts[k] = (uint64_t)sqlite3_column_int64(q, 1);
    }
    if (rc != SQLITE_DONE) st = dberr(s, err, what);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_nodestore_counts(m2c_nodestore *s, const char *chain,
                                uint64_t counts[M2C_REQ_STATES], m2c_err *err) {
    return state_counts(s, "SELECT state, count(*) FROM requests WHERE chain = ? GROUP BY state",
                        chain, counts, M2C_REQ_STATES, "count requests", err);
}

/* ---- transactions ---- */

m2c_status m2c_nodestore_open_nonces(m2c_nodestore *s, const char *chain, uint64_t *nonces,
                                     size_t cap, size_t *n, m2c_err *err) {
    *n = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT nonce FROM nonces WHERE chain = ? AND settled = 0"
                                " ORDER BY nonce LIMIT ?", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)cap);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < cap)
        nonces[(*n)++] = (uint64_t)sqlite3_column_int64(q, 0);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) st = dberr(s, err, "read nonces");
    sqlite3_finalize(q);
    return st;
}

void m2c_nodestore_txs_free(m2c_nodetx *txs, size_t n) {
    if (!txs) return;
    for (size_t i = 0; i < n; i++) free(txs[i].raw);
    free(txs);
}

m2c_status m2c_nodestore_txs(m2c_nodestore *s, const char *chain, uint64_t nonce,
                             m2c_nodetx **txs, size_t *n, m2c_err *err) {
    *txs = NULL;
    *n = 0;
    sqlite3_stmt *q = NULL;
    m2c_nodetx *v = NULL;
    size_t have = 0, alloc = 0;
    m2c_status st = prep(s, &q, "SELECT hash, raw, max_fee, prio_fee, gas, sent_block,"
                                " sent_time, is_cancel FROM txs WHERE chain = ? AND nonce = ?"
                                " ORDER BY sent_time, rowid", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)nonce);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (have == alloc) {
            size_t na = alloc ? alloc * 2 : 4;
            m2c_nodetx *nv = realloc(v, na * sizeof *nv);
            if (!nv) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "state store: out of memory");
                goto out;
            }
            v = nv;
            alloc = na;
        }
        m2c_nodetx *t = &v[have];
        memset(t, 0, sizeof *t);
        t->nonce = nonce;
        col_hash(&t->hash, q, 0);
        t->raw = col_dup(q, 1, &t->raw_len);
        if (!t->raw) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "state store: out of memory");
            goto out;
        }
        have++;
        col_u256(&t->max_fee, q, 2);
        col_u256(&t->prio_fee, q, 3);
        t->gas = (uint64_t)sqlite3_column_int64(q, 4);
        t->sent_block = (uint64_t)sqlite3_column_int64(q, 5);
        t->sent_time = sqlite3_column_double(q, 6);
        t->is_cancel = sqlite3_column_int(q, 7);
    }
    if (rc != SQLITE_DONE) st = dberr(s, err, "read txs");
out:
    sqlite3_finalize(q);
    if (st) {
        m2c_nodestore_txs_free(v, have);
        return st;
    }
    *txs = v;
    *n = have;
    return M2C_OK;
}

m2c_status m2c_nodestore_settle_nonce(m2c_nodestore *s, const char *chain, uint64_t nonce,
                                      m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "UPDATE nonces SET settled = 1 WHERE chain = ? AND nonce = ?", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)nonce);
    st = step_done(s, q, err);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_nodestore_next_nonce(m2c_nodestore *s, const char *chain, uint64_t *out,
                                    m2c_err *err) {
    *out = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT max(nonce) FROM nonces WHERE chain = ?", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, chain, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(q, 0) != SQLITE_NULL)
            *out = (uint64_t)sqlite3_column_int64(q, 0) + 1;
    } else {
        st = dberr(s, err, "read nonces");
    }
    sqlite3_finalize(q);
    return st;
}

/* ---- final-only deliveries ---- */

static const char *const delivery_names[M2C_DELIVERY_STATES] = {"due", "submitted", "delivered",
                                                                "failed"};

const char *m2c_delivery_state_str(int s) {
    return s >= 0 && s < M2C_DELIVERY_STATES ? delivery_names[s] : "?";
}

m2c_status m2c_nodestore_deliveries(m2c_nodestore *s, const char *chain, int state, size_t cap,
                                    m2c_noderec **recs, size_t *n, m2c_err *err) {
    return list_by(s, "SELECT " REC_COLS " FROM requests WHERE chain = ?1 AND id IN"
                      " (SELECT id FROM deliveries WHERE chain = ?1 AND state = ?2)"
                      " ORDER BY block, log_index LIMIT ?3",
                   chain, state, cap, recs, n, err);
}

m2c_status m2c_nodestore_deliveries_nonce(m2c_nodestore *s, const char *chain, uint64_t nonce,
                                          m2c_noderec **recs, size_t *n, m2c_err *err) {
    return list_by(s, "SELECT " REC_COLS " FROM requests WHERE chain = ?1 AND id IN"
                      " (SELECT id FROM deliveries WHERE chain = ?1 AND state = 1"
                      " AND nonce = ?2) ORDER BY block, log_index",
                   chain, (int64_t)nonce, SIZE_MAX, recs, n, err);
}

m2c_status m2c_nodestore_submit_delivery(m2c_nodestore *s, const char *chain,
                                         const m2c_nodetx *tx, const m2c_hash32 *id,
                                         m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = tx_begin(s, err);
    if (st) return st;
    st = insert_tx(s, chain, tx, err);
    if (st) goto out;
    st = prep(s, &q, "UPDATE deliveries SET state = 1, nonce = ?1, tx_hash = ?2,"
                     " attempts = attempts + 1 WHERE chain = ?3 AND id = ?4"
                     " AND (state = 0 OR (state = 1 AND nonce = ?1))", err);
    if (st) goto out;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)tx->nonce);
    sqlite3_bind_blob(q, 2, tx->hash.b, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 4, id->b, 32, SQLITE_TRANSIENT);
    st = update_one(s, q, "submit delivery", err);
    if (st) goto out;
    st = tx_commit(s, err);
out:
    sqlite3_finalize(q);
    if (st) tx_rollback(s);
    return st;
}

m2c_status m2c_nodestore_set_delivery(m2c_nodestore *s, const char *chain, const m2c_hash32 *id,
                                      int state, const m2c_hash32 *tx_hash, uint64_t done_block,
                                      const char *reason, m2c_err *err) {
    if (state != M2C_DELIVERY_DUE && state != M2C_DELIVERY_DONE && state != M2C_DELIVERY_FAILED)
        return m2c_err_set(err, M2C_ERR_INVALID, "state store: set delivery: bad state %d", state);
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "UPDATE deliveries SET state = ?1,"
                                " nonce = CASE WHEN ?1 = 0 THEN -1 ELSE nonce END,"
                                " tx_hash = coalesce(?2, tx_hash), done_block = ?3, reason = ?4"
                                " WHERE chain = ?5 AND id = ?6 AND state IN (0, 1)", err);
    if (st) return st;
    sqlite3_bind_int(q, 1, state);
    if (tx_hash) sqlite3_bind_blob(q, 2, tx_hash->b, 32, SQLITE_TRANSIENT);
    else sqlite3_bind_null(q, 2);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)done_block);
    sqlite3_bind_text(q, 4, reason ? reason : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 5, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 6, id->b, 32, SQLITE_TRANSIENT);
    st = update_one(s, q, "set delivery", err);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_nodestore_delivery_counts(m2c_nodestore *s, const char *chain,
                                         uint64_t counts[M2C_DELIVERY_STATES], m2c_err *err) {
    return state_counts(s,
                        "SELECT state, count(*) FROM deliveries WHERE chain = ? GROUP BY state",
                        chain, counts, M2C_DELIVERY_STATES, "count deliveries", err);
}
