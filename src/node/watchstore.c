/* watchstore.c: the challenge watcher's SQLite state (see watchstore.h). */
#include "ml2chain/watchstore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/clock.h"
#include "sqlstore.h"

#define STORE "watch state"

struct m2c_watchstore {
    sqlite3 *db;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS wcursor(k INTEGER PRIMARY KEY CHECK (k = 0),"
    " block INTEGER NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS wblocks(number INTEGER PRIMARY KEY, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS wmodels(id BLOB PRIMARY KEY, hash BLOB NOT NULL,"
    " block INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS wrequests(id BLOB PRIMARY KEY, model TEXT NOT NULL,"
    " req BLOB NOT NULL, input BLOB NOT NULL, block INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS wfulfilments(id BLOB PRIMARY KEY, tx BLOB NOT NULL,"
    " code INTEGER NOT NULL, output_hash BLOB NOT NULL, block INTEGER NOT NULL,"
    " log_index INTEGER NOT NULL, verdict TEXT NOT NULL DEFAULT 'pending',"
    " at REAL NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS wfulfilments_verdict ON wfulfilments(verdict, block, log_index);"
    "CREATE TABLE IF NOT EXISTS wchallenges(rowid INTEGER PRIMARY KEY, id BLOB NOT NULL,"
    " nonce INTEGER NOT NULL, tx_hash BLOB NOT NULL, raw BLOB NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, block INTEGER NOT NULL DEFAULT 0,"
    " sent_time REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS wchallenges_id ON wchallenges(id, state);";

static m2c_status dberr(m2c_watchstore *s, m2c_err *err, const char *what) {
    return m2c_sqlstore_err(s->db, STORE, what, err);
}

static m2c_status prep(m2c_watchstore *s, sqlite3_stmt **st, const char *sql, m2c_err *err) {
    return m2c_sqlstore_prep(s->db, STORE, st, sql, err);
}

static m2c_status exec(m2c_watchstore *s, const char *sql, m2c_err *err) {
    return m2c_sqlstore_exec(s->db, STORE, sql, err);
}

static m2c_status step_done(m2c_watchstore *s, sqlite3_stmt *st, m2c_err *err) {
    return m2c_sqlstore_step(s->db, STORE, st, err);
}

static m2c_status finish(m2c_watchstore *s, m2c_status st, m2c_err *err) {
    if (!st) return exec(s, "COMMIT", err);
    m2c_status ignored = exec(s, "ROLLBACK", NULL);
    (void)ignored;
    return st;
}

static void col_hash(m2c_hash32 *h, sqlite3_stmt *st, int i) { m2c_sqlstore_col_hash(h, st, i); }

static uint8_t *col_dup(sqlite3_stmt *st, int i, size_t *len) {
    return m2c_sqlstore_col_dup(st, i, len);
}

m2c_status m2c_watchstore_open(m2c_watchstore **out, const char *path, m2c_err *err) {
    *out = NULL;
    m2c_watchstore *s = calloc(1, sizeof *s);
    if (!s) return m2c_err_set(err, M2C_ERR_NOMEM, "watch state: out of memory");
    m2c_status st = m2c_sqlstore_open(&s->db, STORE, path, schema, 0, err);
    if (st) goto out;
    *out = s;
    s = NULL;
out:
    m2c_watchstore_close(s);
    return st;
}

void m2c_watchstore_close(m2c_watchstore *s) {
    if (!s) return;
    sqlite3_close(s->db);
    free(s);
}

/* ---- cursor and blocks ---- */

m2c_status m2c_watchstore_cursor(m2c_watchstore *s, uint64_t *block, m2c_hash32 *hash,
                                 m2c_err *err) {
    *block = 0;
    memset(hash, 0, sizeof *hash);
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT block, hash FROM wcursor WHERE k = 0", err);
    if (st) return st;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *block = (uint64_t)sqlite3_column_int64(q, 0);
        col_hash(hash, q, 1);
    } else if (rc == SQLITE_DONE) {
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "watch state: no cursor yet");
    } else {
        st = dberr(s, err, "read cursor");
    }
    sqlite3_finalize(q);
    return st;
}

static m2c_status set_cursor(m2c_watchstore *s, uint64_t block, const m2c_hash32 *hash,
                             m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "INSERT OR REPLACE INTO wcursor(k, block, hash) VALUES(0,?,?)", err);
    if (st) return st;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)block);
    sqlite3_bind_blob(q, 2, hash->b, 32, SQLITE_TRANSIENT);
    st = step_done(s, q, err);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_watchstore_blocks(m2c_watchstore *s, uint64_t below, uint64_t *nums,
                                 m2c_hash32 *hashes, size_t cap, size_t *n, m2c_err *err) {
    *n = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT number, hash FROM wblocks WHERE number <= ?"
                                " ORDER BY number DESC LIMIT ?", err);
    if (st) return st;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)below);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)cap);
    int rc;
    while (*n < cap && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        nums[*n] = (uint64_t)sqlite3_column_int64(q, 0);
        col_hash(&hashes[*n], q, 1);
        (*n)++;
    }
    sqlite3_finalize(q);
    return M2C_OK;
}

m2c_status m2c_watchstore_record_range(m2c_watchstore *s, const m2c_noderec *reqs, size_t nr,
                                       const m2c_watch_model *models, size_t nm,
                                       const m2c_watch_fulfilment *fuls, size_t nf,
                                       const uint64_t *block_nums,
                                       const m2c_hash32 *block_hashes, size_t nb,
                                       uint64_t to_block, const m2c_hash32 *to_hash,
                                       m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = exec(s, "BEGIN IMMEDIATE", err);
    if (st) return st;
    st = prep(s, &q, "INSERT OR REPLACE INTO wrequests(id, model, req, input, block)"
                     " VALUES(?,?,?,?,?)", err);
    for (size_t i = 0; i < nr && !st; i++) {
        sqlite3_reset(q);
        sqlite3_bind_blob(q, 1, reqs[i].id.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, reqs[i].model, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(q, 3, reqs[i].req, sizeof reqs[i].req, SQLITE_TRANSIENT);
        sqlite3_bind_blob(q, 4, reqs[i].input ? (const void *)reqs[i].input : (const void *)"",
                          (int)reqs[i].input_len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 5, (sqlite3_int64)reqs[i].block);
        st = step_done(s, q, err);
    }
    sqlite3_finalize(q);
    q = NULL;
    if (!st) st = prep(s, &q, "INSERT OR REPLACE INTO wmodels(id, hash, block) VALUES(?,?,?)", err);
    for (size_t i = 0; i < nm && !st; i++) {
        sqlite3_reset(q);
        sqlite3_bind_blob(q, 1, models[i].model_id.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(q, 2, models[i].model_hash.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 3, (sqlite3_int64)models[i].block);
        st = step_done(s, q, err);
    }
    sqlite3_finalize(q);
    q = NULL;
    if (!st)
        st = prep(s, &q, "INSERT OR IGNORE INTO wfulfilments(id, tx, code, output_hash, block,"
                         " log_index) VALUES(?,?,?,?,?,?)", err);
    for (size_t i = 0; i < nf && !st; i++) {
        sqlite3_reset(q);
        sqlite3_bind_blob(q, 1, fuls[i].id.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(q, 2, fuls[i].tx.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 3, fuls[i].code);
        sqlite3_bind_blob(q, 4, fuls[i].output_hash.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 5, (sqlite3_int64)fuls[i].block);
        sqlite3_bind_int64(q, 6, (sqlite3_int64)fuls[i].log_index);
        st = step_done(s, q, err);
    }
    sqlite3_finalize(q);
    q = NULL;
    if (!st) st = prep(s, &q, "INSERT OR REPLACE INTO wblocks(number, hash) VALUES(?,?)", err);
    for (size_t i = 0; i <= nb && !st; i++) {
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, (sqlite3_int64)(i < nb ? block_nums[i] : to_block));
        sqlite3_bind_blob(q, 2, (i < nb ? &block_hashes[i] : to_hash)->b, 32, SQLITE_TRANSIENT);
        st = step_done(s, q, err);
    }
    sqlite3_finalize(q);
    q = NULL;
    /* a bounded window of hashes: reorgs deeper than this are not followed */
    if (!st) st = prep(s, &q, "DELETE FROM wblocks WHERE number + 4096 < ?", err);
    if (!st) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)to_block);
        st = step_done(s, q, err);
    }
    sqlite3_finalize(q);
    if (!st) st = set_cursor(s, to_block, to_hash, err);
    return finish(s, st, err);
}

m2c_status m2c_watchstore_rewind(m2c_watchstore *s, uint64_t to_block, const m2c_hash32 *to_hash,
                                 size_t *dropped, m2c_err *err) {
    if (dropped) *dropped = 0;
    size_t count = 0;
    m2c_status st = exec(s, "BEGIN IMMEDIATE", err);
    if (st) return st;
    static const char *const sql[] = {
        "DELETE FROM wfulfilments WHERE block > ?1 AND verdict = 'pending'",
        "DELETE FROM wblocks WHERE number > ?1",
        "DELETE FROM wrequests WHERE block > ?1",
        "DELETE FROM wmodels WHERE block > ?1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0] && !st; i++) {
        sqlite3_stmt *q = NULL;
        st = prep(s, &q, sql[i], err);
        if (st) break;
        sqlite3_bind_int64(q, 1, (sqlite3_int64)to_block);
        st = step_done(s, q, err);
        if (i == 0) count = (size_t)sqlite3_changes(s->db);
        sqlite3_finalize(q);
    }
    if (!st) st = set_cursor(s, to_block, to_hash, err);
    st = finish(s, st, err);
    if (!st && dropped) *dropped = count;
    return st;
}

/* ---- registrations, requests, fulfilments ---- */

m2c_status m2c_watchstore_models(m2c_watchstore *s, m2c_watch_model **out, size_t *n,
                                 m2c_err *err) {
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT id, hash, block FROM wmodels ORDER BY block", err);
    if (st) return st;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            m2c_watch_model *nv = realloc(*out, nc * sizeof *nv);
            if (!nv) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "watch state: out of memory");
                break;
            }
            *out = nv;
            cap = nc;
        }
        m2c_watch_model *m = &(*out)[(*n)++];
        col_hash(&m->model_id, q, 0);
        col_hash(&m->model_hash, q, 1);
        m->block = (uint64_t)sqlite3_column_int64(q, 2);
    }
    if (!st && rc != SQLITE_DONE) st = dberr(s, err, "read models");
    sqlite3_finalize(q);
    if (st) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

m2c_status m2c_watchstore_request(m2c_watchstore *s, const m2c_hash32 *id, m2c_noderec *out,
                                  m2c_err *err) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT model, req, input, block FROM wrequests WHERE id = ?", err);
    if (st) return st;
    sqlite3_bind_blob(q, 1, id->b, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        out->id = *id;
        const unsigned char *m = sqlite3_column_text(q, 0);
        snprintf(out->model, sizeof out->model, "%s", m ? (const char *)m : "");
        if (sqlite3_column_bytes(q, 1) == (int)sizeof out->req) {
            memcpy(out->req, sqlite3_column_blob(q, 1), sizeof out->req);
            out->has_req = 1;
        }
        out->input = col_dup(q, 2, &out->input_len);
        out->block = (uint64_t)sqlite3_column_int64(q, 3);
        if (!out->input) st = m2c_err_set(err, M2C_ERR_NOMEM, "watch state: out of memory");
    } else if (rc == SQLITE_DONE) {
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "watch state: unknown request");
    } else {
        st = dberr(s, err, "read request");
    }
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_watchstore_pending(m2c_watchstore *s, size_t cap, m2c_watch_fulfilment **out,
                                  size_t *n, m2c_err *err) {
    *out = NULL;
    *n = 0;
    if (cap == 0) return M2C_OK;
    m2c_watch_fulfilment *v = calloc(cap, sizeof *v);
    if (!v) return m2c_err_set(err, M2C_ERR_NOMEM, "watch state: out of memory");
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT id, tx, code, output_hash, block, log_index, verdict"
                                " FROM wfulfilments WHERE verdict = 'pending'"
                                " ORDER BY block, log_index LIMIT ?", err);
    if (st) {
        free(v);
        return st;
    }
    sqlite3_bind_int64(q, 1, (sqlite3_int64)cap);
    size_t k = 0;
    int rc;
    while (k < cap && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        m2c_watch_fulfilment *f = &v[k++];
        col_hash(&f->id, q, 0);
        col_hash(&f->tx, q, 1);
        f->code = (uint32_t)sqlite3_column_int64(q, 2);
        col_hash(&f->output_hash, q, 3);
        f->block = (uint64_t)sqlite3_column_int64(q, 4);
        f->log_index = (uint64_t)sqlite3_column_int64(q, 5);
        const unsigned char *t = sqlite3_column_text(q, 6);
        snprintf(f->verdict, sizeof f->verdict, "%s", t ? (const char *)t : "");
    }
    sqlite3_finalize(q);
    *out = v;
    *n = k;
    return M2C_OK;
}

static m2c_status update_verdict(m2c_watchstore *s, const m2c_hash32 *id, const char *from,
                                 const char *to, m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "UPDATE wfulfilments SET verdict = ?, at = ? WHERE id = ?"
                                " AND verdict = ?", err);
    if (st) return st;
    sqlite3_bind_text(q, 1, to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(q, 2, m2c_clock_wall_s());
    sqlite3_bind_blob(q, 3, id->b, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 4, from, -1, SQLITE_TRANSIENT);
    st = step_done(s, q, err);
    if (!st && sqlite3_changes(s->db) != 1)
        st = m2c_err_set(err, M2C_ERR_STATE, "watch state: fulfilment is not %s", from);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_watchstore_set_verdict(m2c_watchstore *s, const m2c_hash32 *id,
                                      const char *verdict, m2c_err *err) {
    if (strlen(verdict) >= sizeof((m2c_watch_fulfilment *)0)->verdict)
        return m2c_err_set(err, M2C_ERR_INVALID, "watch state: verdict too long");
    return update_verdict(s, id, "pending", verdict, err);
}

m2c_status m2c_watchstore_verdict(m2c_watchstore *s, const m2c_hash32 *id, char out[24],
                                  m2c_err *err) {
    out[0] = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT verdict FROM wfulfilments WHERE id = ?", err);
    if (st) return st;
    sqlite3_bind_blob(q, 1, id->b, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(q, 0);
        snprintf(out, 24, "%s", t ? (const char *)t : "");
    } else if (rc == SQLITE_DONE) {
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "watch state: no fulfilment");
    } else {
        st = dberr(s, err, "read verdict");
    }
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_watchstore_verdict_counts(m2c_watchstore *s,
                                         void (*fn)(void *ctx, const char *verdict, uint64_t count),
                                         void *ctx, m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT verdict, count(*) FROM wfulfilments GROUP BY verdict", err);
    if (st) return st;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(q, 0);
        fn(ctx, t ? (const char *)t : "", (uint64_t)sqlite3_column_int64(q, 1));
    }
    if (rc != SQLITE_DONE) st = dberr(s, err, "count verdicts");
    sqlite3_finalize(q);
    return st;
}

/* ---- challenges ---- */

/* Inserts c as the request's open challenge (state sent), inside the caller's transaction. */
static m2c_status insert_open(m2c_watchstore *s, const m2c_watch_challenge *c, m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "INSERT INTO wchallenges(id, nonce, tx_hash, raw, state, sent_time)"
                                " VALUES(?,?,?,?,0,?)", err);
    if (st) return st;
    sqlite3_bind_blob(q, 1, c->id.b, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)c->nonce);
    sqlite3_bind_blob(q, 3, c->tx_hash.b, 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(q, 4, c->raw, (int)c->raw_len, SQLITE_TRANSIENT);
    sqlite3_bind_double(q, 5, c->sent_time ? c->sent_time : m2c_clock_wall_s());
    st = step_done(s, q, err);
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_watchstore_record_challenge(m2c_watchstore *s, const m2c_watch_challenge *c,
                                           m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = exec(s, "BEGIN IMMEDIATE", err);
    if (st) return st;
    st = prep(s, &q, "SELECT count(*) FROM wchallenges WHERE id = ? AND state = 0", err);
    if (!st) {
        sqlite3_bind_blob(q, 1, c->id.b, 32, SQLITE_TRANSIENT);
        if (sqlite3_step(q) != SQLITE_ROW) st = dberr(s, err, "read challenges");
        else if (sqlite3_column_int64(q, 0) != 0)
            st = m2c_err_set(err, M2C_ERR_STATE, "watch state: a challenge is already open");
    }
    sqlite3_finalize(q);
    if (!st) st = update_verdict(s, &c->id, "pending", "challenging", err);
    if (!st) st = insert_open(s, c, err);
    return finish(s, st, err);
}

void m2c_watchstore_challenges_free(m2c_watch_challenge *c, size_t n) {
    if (!c) return;
    for (size_t i = 0; i < n; i++) free(c[i].raw);
    free(c);
}

m2c_status m2c_watchstore_open_challenges(m2c_watchstore *s, m2c_watch_challenge **out,
                                          size_t *n, m2c_err *err) {
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT id, nonce, tx_hash, raw, state, block, sent_time"
                                " FROM wchallenges WHERE state = 0 ORDER BY nonce", err);
    if (st) return st;
    size_t cap = 0;
    m2c_watch_challenge *v = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            m2c_watch_challenge *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "watch state: out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        m2c_watch_challenge *c = &v[*n];
        memset(c, 0, sizeof *c);
        col_hash(&c->id, q, 0);
        c->nonce = (uint64_t)sqlite3_column_int64(q, 1);
        col_hash(&c->tx_hash, q, 2);
        c->raw = col_dup(q, 3, &c->raw_len);
        if (!c->raw) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "watch state: out of memory");
            break;
        }
        c->state = sqlite3_column_int(q, 4);
        c->block = (uint64_t)sqlite3_column_int64(q, 5);
        c->sent_time = sqlite3_column_double(q, 6);
        (*n)++;
    }
    if (!st && rc != SQLITE_DONE) st = dberr(s, err, "read challenges");
    sqlite3_finalize(q);
    if (st) {
        m2c_watchstore_challenges_free(v, *n);
        *n = 0;
        return st;
    }
    *out = v;
    return M2C_OK;
}

m2c_status m2c_watchstore_settle_challenge(m2c_watchstore *s, const m2c_hash32 *id, int state,
                                           uint64_t block, m2c_err *err) {
    const char *verdict = state == M2C_CHALLENGE_MINED      ? "challenged"
                          : state == M2C_CHALLENGE_REVERTED ? "challenge-failed"
                          : state == M2C_CHALLENGE_DROPPED  ? "pending"
                                                            : NULL;
    if (!verdict) return m2c_err_set(err, M2C_ERR_INVALID, "watch state: bad challenge state %d", state);
    sqlite3_stmt *q = NULL;
    m2c_status st = exec(s, "BEGIN IMMEDIATE", err);
    if (st) return st;
    st = prep(s, &q, "UPDATE wchallenges SET state = ?, block = ? WHERE id = ? AND state = 0", err);
    if (!st) {
        sqlite3_bind_int(q, 1, state);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)block);
        sqlite3_bind_blob(q, 3, id->b, 32, SQLITE_TRANSIENT);
        st = step_done(s, q, err);
        if (!st && sqlite3_changes(s->db) != 1)
            st = m2c_err_set(err, M2C_ERR_STATE, "watch state: no open challenge for the request");
    }
    sqlite3_finalize(q);
    if (!st) st = update_verdict(s, id, "challenging", verdict, err);
    return finish(s, st, err);
}

m2c_status m2c_watchstore_replace_challenge(m2c_watchstore *s, const m2c_watch_challenge *c,
                                            m2c_err *err) {
    sqlite3_stmt *q = NULL;
    m2c_status st = exec(s, "BEGIN IMMEDIATE", err);
    if (st) return st;
    st = prep(s, &q, "UPDATE wchallenges SET state = 4 WHERE id = ? AND nonce = ? AND state = 0",
              err);
    if (!st) {
        sqlite3_bind_blob(q, 1, c->id.b, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)c->nonce);
        st = step_done(s, q, err);
        if (!st && sqlite3_changes(s->db) != 1)
            st = m2c_err_set(err, M2C_ERR_STATE,
                             "watch state: no open challenge for the request at nonce %llu",
                             (unsigned long long)c->nonce);
    }
    sqlite3_finalize(q);
    if (!st) st = insert_open(s, c, err);
    return finish(s, st, err);
}

m2c_status m2c_watchstore_challenge_hashes(m2c_watchstore *s, const m2c_hash32 *id,
                                           uint64_t nonce, m2c_hash32 *out, size_t cap, size_t *n,
                                           m2c_err *err) {
    *n = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT tx_hash FROM wchallenges WHERE id = ? AND nonce = ?"
                                " AND state IN (0, 4) ORDER BY rowid DESC", err);
    if (st) return st;
    sqlite3_bind_blob(q, 1, id->b, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)nonce);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < cap)
        col_hash(&out[(*n)++], q, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) st = dberr(s, err, "read challenges");
    sqlite3_finalize(q);
    return st;
}

m2c_status m2c_watchstore_next_nonce(m2c_watchstore *s, uint64_t *out, m2c_err *err) {
    *out = 0;
    sqlite3_stmt *q = NULL;
    m2c_status st = prep(s, &q, "SELECT max(nonce) FROM wchallenges", err);
    if (st) return st;
    if (sqlite3_step(q) == SQLITE_ROW) {
        if (sqlite3_column_type(q, 0) != SQLITE_NULL)
            *out = (uint64_t)sqlite3_column_int64(q, 0) + 1;
    } else {
        st = dberr(s, err, "read nonces");
    }
    sqlite3_finalize(q);
    return st;
}
