/* sink_sqlite.c: the SQLite sink (the default). One transaction holds whole chunks: their rows,
 * checkpoints, block hashes and provenance; prepared inserts. Besides the dataset's tables the
 * file has _m2c_meta(key, value), _m2c_checkpoints(from_block, to_block) and
 * _m2c_blocks(number, hash); see docs/datasets.md.
 *
 * Two ways to write, both safe against a kill at any point and, with synchronous=NORMAL,
 * against power loss (which may lose the last commits but never leaves a broken file):
 * - live (the default; `extract --follow`): WAL journal, one transaction per chunk, so readers
 *   never wait and see every chunk as soon as it is written. WAL checkpoints (copying committed
 *   pages from the WAL into the database) run on a second connection in a thread of their own,
 *   so the writer keeps inserting while the last chunks' pages are copied.
 * - bulk (M2C_SINK_BULK): a rollback journal, with chunks committed in groups (SQ_GROUP_BYTES
 *   of rows, or SQ_GROUP_SECONDS, or m2c_sink_flush). Appended pages need no journal, so every
 *   page is written once instead of to the WAL and then again into the database, and a group
 *   pays its fsyncs once. A chunk that fails takes its group with it (the sink then refuses
 *   more: the caller stops), so the file keeps its last commit; per-chunk savepoints would
 *   cost 5 % of a run's CPU, copying the pages each chunk changes again. Readers may meet
 *   "database is locked" while a group is written. */
#include "sink_impl.h"
#include "ml2chain/clock.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    sqlite3 *db;
    sqlite3_stmt **ins;  /* one INSERT per table */
    sqlite3_stmt **insk; /* per table: an INSERT of batch[t] rows at once */
    size_t *batch;       /* per table: rows per multi-row INSERT */
    sqlite3_stmt *ins_block, *ins_ckpt, *put_meta;
    int lockfd; /* flock'd: one writer per output */
    /* the checkpointer: its connection and thread, woken by the writer's WAL hook */
    sqlite3 *ck;
    pthread_t ck_th;
    int ck_started, ck_want, ck_stop;
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cv;
    int ck_frames; /* WAL frames that wake it (SQ_CKPT_BYTES of pages) */
    /* the open transaction: in bulk mode it holds a group of committed chunks */
    int group;       /* bulk mode: chunks are committed in groups */
    int tx_open;     /* a transaction is open */
    int tx_chunks;   /* chunks committed into it (bulk) */
    int broken;      /* a group's COMMIT failed: its chunks are gone, the sink is unusable */
    size_t tx_bytes; /* bytes of row cells in it */
    double tx_t0;    /* when it began (CLOCK_MONOTONIC seconds) */
} sq_impl;

#define SQ_CKPT_BYTES  ((int64_t)16 << 20) /* WAL size that starts a checkpoint */
#define SQ_BATCH_ROWS  32                  /* rows per multi-row INSERT */
#define SQ_BATCH_VARS  30000               /* and never more parameters than SQLite takes */
#define SQ_CKPT_BEHIND 8                   /* this many times that: the writer checkpoints itself */
#define SQ_BUSY_MS       5000                /* how long a statement waits for other connections */
#define SQ_GROUP_BYTES   ((size_t)16 << 20)  /* bulk: row bytes that end a group of chunks */
#define SQ_GROUP_SECONDS 1.0                 /* bulk: nor is a group kept open longer than this */

/* Runs after every commit with the WAL's size in frames: wakes the checkpointer; if it has
 * fallen far behind (the WAL keeps growing), checkpoints here as SQLite's default hook does. */
static int sq_wal_hook(void *ud, sqlite3 *db, const char *name, int frames) {
    sq_impl *q = ud;
    if (frames >= q->ck_frames) {
        pthread_mutex_lock(&q->ck_mu);
        q->ck_want = 1;
        pthread_cond_signal(&q->ck_cv);
        pthread_mutex_unlock(&q->ck_mu);
    }
    if (frames >= SQ_CKPT_BEHIND * q->ck_frames)
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

static void *sq_ckpt_main(void *arg) {
    sq_impl *q = arg;
    pthread_mutex_lock(&q->ck_mu);
    for (;;) {
        while (!q->ck_want && !q->ck_stop)
            pthread_cond_wait(&q->ck_cv, &q->ck_mu);
        if (q->ck_stop) break;
        q->ck_want = 0;
        pthread_mutex_unlock(&q->ck_mu);
        /* PASSIVE: copies what is committed without waiting for the writer; a busy or failed
         * checkpoint is harmless (the pages stay in the WAL for the next one or for close) */
        (void)sqlite3_wal_checkpoint_v2(q->ck, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&q->ck_mu);
    }
    pthread_mutex_unlock(&q->ck_mu);
    return NULL;
}

/* Starts the checkpointer; without it (it could not start) SQLite's own hook checkpoints. */
static void sq_ckpt_start(sq_impl *q, const char *target) {
    int page = 4096;
    sqlite3_stmt *ps = NULL;
    if (sqlite3_prepare_v2(q->db, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK &&
        sqlite3_step(ps) == SQLITE_ROW && sqlite3_column_int(ps, 0) > 0)
        page = sqlite3_column_int(ps, 0);
    sqlite3_finalize(ps);
    q->ck_frames = (int)(SQ_CKPT_BYTES / page);
    /* the connection must have read the database once, or it does not know it is in WAL
     * mode and its checkpoints do nothing */
    if (sqlite3_open_v2(target, &q->ck, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(q->ck, "PRAGMA journal_mode", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(q->ck);
        q->ck = NULL;
        return;
    }
    pthread_mutex_init(&q->ck_mu, NULL);
    pthread_cond_init(&q->ck_cv, NULL);
    if (pthread_create(&q->ck_th, NULL, sq_ckpt_main, q) != 0) {
        pthread_mutex_destroy(&q->ck_mu);
        pthread_cond_destroy(&q->ck_cv);
        sqlite3_close(q->ck);
        q->ck = NULL;
        return;
    }
    q->ck_started = 1;
    sqlite3_wal_hook(q->db, sq_wal_hook, q);
}

static void sq_ckpt_stop(sq_impl *q) {
    if (!q->ck_started) return;
    sqlite3_wal_hook(q->db, NULL, NULL);
    pthread_mutex_lock(&q->ck_mu);
    q->ck_stop = 1;
    pthread_cond_signal(&q->ck_cv);
    pthread_mutex_unlock(&q->ck_mu);
    pthread_join(q->ck_th, NULL);
    pthread_mutex_destroy(&q->ck_mu);
    pthread_cond_destroy(&q->ck_cv);
    sqlite3_close(q->ck);
    q->ck = NULL;
    q->ck_started = 0;
}

static m2c_status sq_fail(m2c_err *err, sqlite3 *db, const char *what, const char *target) {
    return m2c_err_set(err, M2C_ERR_DB, "%s: %s: %s", target, what,
                       db ? sqlite3_errmsg(db) : "cannot allocate");
}

static m2c_status sq_exec(m2c_sink *s, const char *sql, m2c_err *err) {
    sq_impl *q = s->impl;
    char *msg = NULL;
    if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        m2c_status st =
            m2c_err_set(err, M2C_ERR_DB, "%s: %s", s->target, msg ? msg : sqlite3_errmsg(q->db));
        sqlite3_free(msg);
        return st;
    }
    return M2C_OK;
}

static const char *sq_type(m2c_col_type t) {
    switch (t) {
    case M2C_COL_INT:
    case M2C_COL_BOOL: return "INTEGER";
    case M2C_COL_REAL: return "REAL";
    case M2C_COL_TEXT:
    case M2C_COL_NUMERIC: return "TEXT";
    }
    return "TEXT";
}

static m2c_status sq_prepare(m2c_sink *s, sqlite3_stmt **out, const char *sql, m2c_err *err) {
    sq_impl *q = s->impl;
    if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
        return sq_fail(err, q->db, "prepare", s->target);
    return M2C_OK;
}

/* Loads identity/schema/meta, checkpoints; fails if the output holds another dataset. */
static m2c_status sq_load(m2c_sink *s, m2c_err *err) {
    sq_impl *q = s->impl;
    sqlite3_stmt *st_ = NULL;
    m2c_status st = M2C_OK;
    if (sqlite3_prepare_v2(q->db, "SELECT key, value FROM _m2c_meta", -1, &st_, NULL) != SQLITE_OK)
        return sq_fail(err, q->db, "read metadata", s->target);
    int rc;
    while ((rc = sqlite3_step(st_)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st_, 0);
        const char *v = (const char *)sqlite3_column_text(st_, 1);
        if (k && v && m2c_sink_set_meta_(s, k, v) != M2C_OK) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        st = sq_fail(err, q->db, "read metadata", s->target);
        goto out;
    }
    if ((st = m2c_sink_check_same_(s, m2c_sink_get_meta_(s, "identity"),
                                   m2c_sink_get_meta_(s, "schema"), s->target, "another --out",
                                   err)) != M2C_OK)
        goto out;
    m2c_sink_load_rows_(s);
    sqlite3_finalize(st_);
    st_ = NULL;
    if (sqlite3_prepare_v2(q->db, "SELECT from_block, to_block FROM _m2c_checkpoints", -1, &st_,
                           NULL) != SQLITE_OK) {
        st = sq_fail(err, q->db, "read checkpoints", s->target);
        goto out;
    }
    while ((rc = sqlite3_step(st_)) == SQLITE_ROW) {
        if (m2c_sink_add_done_(s, (uint64_t)sqlite3_column_int64(st_, 0),
                               (uint64_t)sqlite3_column_int64(st_, 1)) != M2C_OK) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
            goto out;
        }
    }
    if (rc != SQLITE_DONE) st = sq_fail(err, q->db, "read checkpoints", s->target);
out:
    sqlite3_finalize(st_);
    return st;
}

static m2c_status sq_create(m2c_sink *s, m2c_err *err) {
    m2c_status st;
    sq_impl *q = s->impl;
    sqlite3_stmt *put = NULL;
    m2c_buf b;
    m2c_buf_init(&b, 1 << 20);
    st = sq_exec(s,
                 "BEGIN IMMEDIATE;"
                 "CREATE TABLE _m2c_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                 "CREATE TABLE _m2c_checkpoints(from_block INTEGER NOT NULL, "
                 "to_block INTEGER NOT NULL);"
                 "CREATE TABLE _m2c_blocks(number INTEGER PRIMARY KEY, hash TEXT NOT NULL);",
                 err);
    if (st != M2C_OK) goto out;
    for (size_t t = 0; t < s->schema->ntables; t++) {
        const m2c_sink_table *tb = &s->schema->tables[t];
        m2c_buf_reset(&b);
        st = m2c_buf_append_str(&b, "CREATE TABLE ");
        if (st == M2C_OK) st = m2c_sql_ident_(&b, tb->name);
        if (st == M2C_OK) st = m2c_buf_append_byte(&b, '(');
        for (size_t c = 0; st == M2C_OK && c < tb->ncols; c++) {
            if (c) st = m2c_buf_append_str(&b, ", ");
            if (st == M2C_OK) st = m2c_sql_ident_(&b, tb->cols[c].name);
            if (st == M2C_OK) st = m2c_buf_printf(&b, " %s", sq_type(tb->cols[c].type));
        }
        if (st == M2C_OK) st = m2c_buf_append_str(&b, ")");
        if (st != M2C_OK) {
            st = m2c_err_set(err, st, "sink: out of memory");
            goto out;
        }
        if ((st = sq_exec(s, (char *)b.p, err)) != M2C_OK) goto out;
    }
    if ((st = sq_prepare(s, &put, "INSERT INTO _m2c_meta VALUES (?, ?)", err)) != M2C_OK) goto out;
    sqlite3_bind_text(put, 1, "identity", -1, SQLITE_STATIC);
    sqlite3_bind_text(put, 2, s->identity, -1, SQLITE_STATIC);
    int rc = sqlite3_step(put);
    sqlite3_reset(put);
    sqlite3_bind_text(put, 1, "schema", -1, SQLITE_STATIC);
    sqlite3_bind_text(put, 2, s->schema_text, -1, SQLITE_STATIC);
    if (rc == SQLITE_DONE) rc = sqlite3_step(put);
    sqlite3_finalize(put);
    if (rc != SQLITE_DONE) {
        st = sq_fail(err, q->db, "write metadata", s->target);
        goto out;
    }
    if ((st = sq_exec(s, "COMMIT", err)) != M2C_OK) goto out;
    if (m2c_sink_set_meta_(s, "identity", s->identity) != M2C_OK ||
        m2c_sink_set_meta_(s, "schema", s->schema_text) != M2C_OK)
        st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
out:
    if (st != M2C_OK) sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    m2c_buf_free(&b);
    return st;
}

static m2c_status sq_prepare_inserts(m2c_sink *s, m2c_err *err) {
    sq_impl *q = s->impl;
    m2c_status st = M2C_OK;
    m2c_buf b;
    m2c_buf_init(&b, 1 << 20);
    size_t nt = s->schema->ntables;
    if (!(q->ins = calloc(nt, sizeof *q->ins)) || !(q->insk = calloc(nt, sizeof *q->insk)) ||
        !(q->batch = calloc(nt, sizeof *q->batch))) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
        goto out;
    }
    /* per table: INSERT INTO t VALUES (?,..), and the same with batch[t] row tuples: one
     * statement run per many rows costs much less than a run per row */
    for (size_t t = 0; t < nt; t++) {
        const m2c_sink_table *tb = &s->schema->tables[t];
        size_t k = tb->ncols ? SQ_BATCH_VARS / tb->ncols : SQ_BATCH_ROWS;
        q->batch[t] = k > SQ_BATCH_ROWS ? SQ_BATCH_ROWS : k ? k : 1;
        for (int multi = 0; multi < 2; multi++) {
            m2c_buf_reset(&b);
            st = m2c_buf_append_str(&b, "INSERT INTO ");
            if (st == M2C_OK) st = m2c_sql_ident_(&b, tb->name);
            if (st == M2C_OK) st = m2c_buf_append_str(&b, " VALUES ");
            for (size_t r = 0; st == M2C_OK && r < (multi ? q->batch[t] : 1); r++) {
                st = m2c_buf_append_str(&b, r ? ",(" : "(");
                for (size_t c = 0; st == M2C_OK && c < tb->ncols; c++)
                    st = m2c_buf_append_str(&b, c ? ",?" : "?");
                if (st == M2C_OK) st = m2c_buf_append_byte(&b, ')');
            }
            if (st != M2C_OK) {
                st = m2c_err_set(err, st, "sink: out of memory");
                goto out;
            }
            if ((st = sq_prepare(s, multi ? &q->insk[t] : &q->ins[t], (char *)b.p, err)) != M2C_OK)
                goto out;
        }
    }
    if ((st = sq_prepare(s, &q->ins_block, "INSERT OR REPLACE INTO _m2c_blocks VALUES (?, ?)",
                         err)) != M2C_OK)
        goto out;
    if ((st = sq_prepare(s, &q->ins_ckpt, "INSERT INTO _m2c_checkpoints VALUES (?, ?)", err)) !=
        M2C_OK)
        goto out;
    st = sq_prepare(s, &q->put_meta, "INSERT OR REPLACE INTO _m2c_meta VALUES (?, ?)", err);
out:
    m2c_buf_free(&b);
    return st;
}

/* Discards the open chunk with its transaction: in bulk mode, with the group's earlier
 * chunks, which the sink had reported committed, so it accepts no more. */
static void sq_undo_chunk(m2c_sink *s) {
    sq_impl *q = s->impl;
    sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    q->tx_open = 0;
    q->broken = q->tx_chunks > 0;
}

/* Commits the open transaction (in bulk mode: the group of chunks it holds); a failed
 * COMMIT loses the group as sq_undo_chunk does. */
static m2c_status sq_end(m2c_sink *s, m2c_err *err) {
    sq_impl *q = s->impl;
    if (!q->tx_open) return M2C_OK;
    m2c_status st = sq_exec(s, "COMMIT", err);
    if (st != M2C_OK)
        sq_undo_chunk(s);
    else
        q->tx_open = 0;
    return st;
}

static void sq_close(m2c_sink *s) {
    sq_impl *q = s->impl;
    if (!q) return;
    if (q->db && s->in_chunk) sq_undo_chunk(s);
    /* the group's chunks are complete: keep them (callers that must know flush first) */
    if (q->db && q->tx_open) sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
    sq_ckpt_stop(q); /* closing the writer's connection then checkpoints what is left */
    for (size_t t = 0; t < s->schema->ntables; t++) {
        if (q->ins) sqlite3_finalize(q->ins[t]);
        if (q->insk) sqlite3_finalize(q->insk[t]);
    }
    free(q->ins);
    free(q->insk);
    free(q->batch);
    sqlite3_finalize(q->ins_block);
    sqlite3_finalize(q->ins_ckpt);
    sqlite3_finalize(q->put_meta);
    sqlite3_close(q->db);
    if (q->lockfd >= 0) close(q->lockfd);
    free(q);
    s->impl = NULL;
}

/* The journal mode's current name ("wal", "delete", ...) into out, after running sql. */
static int sq_pragma_mode(sqlite3 *db, const char *sql, char out[16]) {
    sqlite3_stmt *ps = NULL;
    int ok = sqlite3_prepare_v2(db, sql, -1, &ps, NULL) == SQLITE_OK &&
             sqlite3_step(ps) == SQLITE_ROW && sqlite3_column_text(ps, 0);
    if (ok) snprintf(out, 16, "%s", (const char *)sqlite3_column_text(ps, 0));
    sqlite3_finalize(ps);
    return ok;
}

/* Live: WAL. Bulk: a rollback journal, if the file can be switched to one (not while another
 * connection has a WAL file open: it stays in WAL then, committing chunk by chunk). */
static m2c_status sq_journal(m2c_sink *s, int existed, m2c_err *err) {
    sq_impl *q = s->impl;
    char mode[16] = "";
    m2c_status st;
    /* a new file gets 64 KiB pages (before WAL fixes the size): a bulk load then makes ~16x
     * fewer write/read syscalls than with 4 KiB pages */
    if (!existed && (st = sq_exec(s, "PRAGMA page_size=65536;", err)) != M2C_OK) return st;
    if ((st = sq_exec(s, "PRAGMA synchronous=NORMAL;", err)) != M2C_OK) return st;
    if (s->flags & M2C_SINK_BULK) {
        sqlite3_busy_timeout(q->db, 0); /* a reader holding the WAL open: do not wait for it */
        if (sq_pragma_mode(q->db, "PRAGMA journal_mode=DELETE", mode) && !strcmp(mode, "delete"))
            q->group = 1;
        sqlite3_busy_timeout(q->db, SQ_BUSY_MS);
        if (q->group) return M2C_OK;
    }
    if (!sq_pragma_mode(q->db, "PRAGMA journal_mode=WAL", mode) || strcmp(mode, "wal"))
        return sq_fail(err, q->db, "cannot set the WAL journal", s->target);
    return M2C_OK;
}

static m2c_status sq_open(m2c_sink *s, const char *target, m2c_err *err) {
    m2c_status st;
    struct stat sb;
    int existed = stat(target, &sb) == 0 && sb.st_size > 0;
    sq_impl *q = calloc(1, sizeof *q);
    if (!q) return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    s->impl = q;
    q->lockfd = -1;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (existed ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(target, &q->db, flags, NULL) != SQLITE_OK) {
        st = sq_fail(err, q->db, "cannot open", target);
        goto out;
    }
    sqlite3_busy_timeout(q->db, SQ_BUSY_MS);
    q->lockfd = open(target, O_RDONLY | O_CLOEXEC);
    if (q->lockfd < 0 || flock(q->lockfd, LOCK_EX | LOCK_NB) != 0) {
        st = m2c_err_set(err, M2C_ERR_STATE, "%s is being written by another ml2chain process",
                         target);
        existed = 1; /* not ours to remove */
        goto out;
    }
    if (existed) {
        /* an existing file must be an ml2chain output; anything else is left untouched */
        sqlite3_stmt *chk = NULL;
        int rc = sqlite3_prepare_v2(q->db,
                                    "SELECT (SELECT count(*) FROM sqlite_master WHERE "
                                    "name='_m2c_meta'), (SELECT count(*) FROM sqlite_master)",
                                    -1, &chk, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_step(chk);
        if (rc != SQLITE_ROW) {
            sqlite3_finalize(chk);
            st = m2c_err_set(err, M2C_ERR_STATE, "%s exists and is not an SQLite database (%s)",
                             target, sqlite3_errmsg(q->db));
            goto out;
        }
        int has_meta = sqlite3_column_int(chk, 0), nobj = sqlite3_column_int(chk, 1);
        sqlite3_finalize(chk);
        if (!has_meta && nobj > 0) {
            st = m2c_err_set(err, M2C_ERR_STATE,
                             "%s exists and is not an ml2chain dataset; choose another --out",
                             target);
            goto out;
        }
        existed = has_meta;
    }
    if ((st = sq_journal(s, existed, err)) != M2C_OK) goto out;
    if (existed)
        st = sq_load(s, err);
    else
        st = sq_create(s, err);
    if (st != M2C_OK) goto out;
    st = sq_prepare_inserts(s, err);
    if (st == M2C_OK && !q->group) sq_ckpt_start(q, target);
out:
    if (st != M2C_OK) {
        sq_close(s);
        if (!existed) unlink(target); /* created here: leave nothing behind */
    }
    return st;
}

static m2c_status sq_begin(m2c_sink *s, m2c_err *err) {
    sq_impl *q = s->impl;
    m2c_status st;
    if (q->broken)
        return m2c_err_set(err, M2C_ERR_STATE,
                           "%s: an earlier commit failed; reopen the output to go on", s->target);
    if (!q->tx_open) {
        if ((st = sq_exec(s, "BEGIN IMMEDIATE", err)) != M2C_OK) return st;
        q->tx_open = 1;
        q->tx_chunks = 0;
        q->tx_bytes = 0;
        q->tx_t0 = m2c_clock_mono_s();
    }
    return M2C_OK;
}

/* Binds one row's cells to parameters base+1 .. base+ncols of ins; returns the bytes of text. */
static size_t sq_bind_row(sqlite3_stmt *ins, const m2c_sink_table *tb, const m2c_sink_val *v,
                          int base) {
    size_t bytes = 0;
    for (size_t c = 0; c < tb->ncols; c++) {
        int i = base + (int)c + 1;
        if (v[c].null) {
            sqlite3_bind_null(ins, i);
            continue;
        }
        switch (tb->cols[c].type) {
        case M2C_COL_INT:
        case M2C_COL_BOOL: sqlite3_bind_int64(ins, i, v[c].i); break;
        case M2C_COL_REAL:
            if (v[c].d == v[c].d && v[c].d - v[c].d == 0)
                sqlite3_bind_double(ins, i, v[c].d);
            else
                sqlite3_bind_null(ins, i);
            break;
        case M2C_COL_TEXT:
        case M2C_COL_NUMERIC:
            sqlite3_bind_text(ins, i, v[c].s ? v[c].s : "", (int)v[c].n, SQLITE_STATIC);
            bytes += v[c].n;
            break;
        }
    }
    return bytes + 8 * tb->ncols;
}

static m2c_status sq_run(m2c_sink *s, sqlite3_stmt *ins, m2c_err *err) {
    sq_impl *q = s->impl;
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE) return sq_fail(err, q->db, "insert", s->target);
    return M2C_OK;
}

static m2c_status sq_row(m2c_sink *s, size_t t, const m2c_sink_val *v, m2c_err *err) {
    sq_impl *q = s->impl;
    q->tx_bytes += sq_bind_row(q->ins[t], &s->schema->tables[t], v, 0);
    return sq_run(s, q->ins[t], err);
}

/* The rows' cells come from memory the workers filled long before (not in cache): the writer
 * starts loading a row's cells four rows before it binds them. (Loading their text ahead as
 * well did not pay: SQLite copies it in one pass.) */
static void sq_prefetch(const m2c_sink_table *tb, const m2c_sink_val *row) {
    const char *p = (const char *)row, *end = p + tb->ncols * sizeof *row;
    for (; p < end; p += 64)
        __builtin_prefetch(p);
}

static m2c_status sq_rows(m2c_sink *s, size_t t, const m2c_sink_val *const *v, size_t n,
                          m2c_err *err) {
    sq_impl *q = s->impl;
    const m2c_sink_table *tb = &s->schema->tables[t];
    size_t k = q->batch[t], i = 0;
    m2c_status st = M2C_OK;
    for (size_t r = 0; r < 4 && r < n; r++)
        sq_prefetch(tb, v[r]);
    for (; st == M2C_OK && n - i >= k; i += k) {
        for (size_t r = 0; r < k; r++) {
            if (i + r + 4 < n) sq_prefetch(tb, v[i + r + 4]);
            q->tx_bytes += sq_bind_row(q->insk[t], tb, v[i + r], (int)(r * tb->ncols));
        }
        st = sq_run(s, q->insk[t], err);
    }
    for (; st == M2C_OK && i < n; i++)
        st = sq_row(s, t, v[i], err);
    return st;
}

static m2c_status sq_put_meta(m2c_sink *s, m2c_err *err) {
    sq_impl *q = s->impl;
    for (size_t i = 0; i < s->nmeta; i++) {
        sqlite3_bind_text(q->put_meta, 1, s->meta[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q->put_meta, 2, s->meta[i].value, -1, SQLITE_STATIC);
        int rc = sqlite3_step(q->put_meta);
        sqlite3_reset(q->put_meta);
        if (rc != SQLITE_DONE) return sq_fail(err, q->db, "write metadata", s->target);
    }
    return M2C_OK;
}

static m2c_status sq_commit(m2c_sink *s, uint64_t from, uint64_t to, m2c_err *err) {
    sq_impl *q = s->impl;
    m2c_status st;
    int rc;
    for (size_t i = 0; i < s->nblocks; i++) {
        sqlite3_bind_int64(q->ins_block, 1, (sqlite3_int64)s->blocks[i].number);
        sqlite3_bind_text(q->ins_block, 2, s->blocks[i].hash, 66, SQLITE_STATIC);
        rc = sqlite3_step(q->ins_block);
        sqlite3_reset(q->ins_block);
        if (rc != SQLITE_DONE) {
            st = sq_fail(err, q->db, "write block hashes", s->target);
            goto fail;
        }
    }
    sqlite3_bind_int64(q->ins_ckpt, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(q->ins_ckpt, 2, (sqlite3_int64)to);
    rc = sqlite3_step(q->ins_ckpt);
    sqlite3_reset(q->ins_ckpt);
    if (rc != SQLITE_DONE) {
        st = sq_fail(err, q->db, "write checkpoint", s->target);
        goto fail;
    }
    if ((st = sq_put_meta(s, err)) != M2C_OK) goto fail;
    if (!q->group) return sq_end(s, err);
    q->tx_chunks++;
    if (q->tx_bytes >= SQ_GROUP_BYTES || m2c_clock_mono_s() - q->tx_t0 >= SQ_GROUP_SECONDS)
        return sq_end(s, err);
    return M2C_OK;
fail:
    sq_undo_chunk(s);
    return st;
}

static m2c_status sq_flush(m2c_sink *s, m2c_err *err) {
    return sq_end(s, err);
}

static m2c_status sq_rewind(m2c_sink *s, uint64_t from, m2c_err *err) {
    sq_impl *q = s->impl;
    m2c_status st;
    m2c_buf b;
    m2c_buf_init(&b, 1 << 20);
    if ((st = sq_end(s, err)) != M2C_OK) goto out; /* the chunks before it stay */
    if ((st = sq_exec(s, "BEGIN IMMEDIATE", err)) != M2C_OK) goto out;
    for (size_t t = 0; t < s->schema->ntables; t++) {
        const m2c_sink_table *tb = &s->schema->tables[t];
        m2c_buf_reset(&b);
        st = m2c_buf_append_str(&b, "DELETE FROM ");
        if (st == M2C_OK) st = m2c_sql_ident_(&b, tb->name);
        if (st == M2C_OK) st = m2c_buf_append_str(&b, " WHERE ");
        if (st == M2C_OK) st = m2c_sql_ident_(&b, tb->cols[tb->block_col].name);
        if (st == M2C_OK) st = m2c_buf_printf(&b, " >= %llu", (unsigned long long)from);
        if (st != M2C_OK) {
            st = m2c_err_set(err, st, "sink: out of memory");
            goto fail;
        }
        if ((st = sq_exec(s, (char *)b.p, err)) != M2C_OK) goto fail;
        sqlite3_int64 n = sqlite3_changes64(q->db);
        s->pending[t] = (uint64_t)n; /* rows removed, applied below after COMMIT */
    }
    m2c_buf_reset(&b);
    if ((st = m2c_sink_rewind_sql_(&b, from, err)) != M2C_OK) goto fail;
    if ((st = sq_exec(s, (char *)b.p, err)) != M2C_OK) goto fail;
    if ((st = m2c_sink_rewind_meta_(s, s->pending, err)) != M2C_OK) goto fail;
    if ((st = sq_put_meta(s, err)) != M2C_OK) goto fail;
    if ((st = sq_exec(s, "COMMIT", err)) != M2C_OK) goto fail;
    for (size_t t = 0; t < s->schema->ntables; t++)
        s->rows[t] -= s->pending[t];
    memset(s->pending, 0, s->schema->ntables * sizeof *s->pending);
    m2c_sink_trim_done_(s, from);
    goto out;
fail:
    memset(s->pending, 0, s->schema->ntables * sizeof *s->pending);
    sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
out:
    m2c_buf_free(&b);
    return st;
}

static m2c_status sq_block_query(m2c_sink *s, const char *sql, uint64_t arg, char *hash_out,
                                 uint64_t *num_out, m2c_err *err) {
    sq_impl *q = s->impl;
    sqlite3_stmt *st_ = NULL;
    m2c_status st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st_, NULL) != SQLITE_OK)
        return sq_fail(err, q->db, "read block hashes", s->target);
    sqlite3_bind_int64(st_, 1, (sqlite3_int64)arg);
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) {
        if (num_out) *num_out = (uint64_t)sqlite3_column_int64(st_, 0);
        if (hash_out) {
            const char *h = (const char *)sqlite3_column_text(st_, 1);
            snprintf(hash_out, 67, "%s", h ? h : "");
        }
        st = M2C_OK;
    } else if (rc == SQLITE_DONE) {
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "%s: no stored hash for block %llu", s->target,
                         (unsigned long long)arg);
    } else {
        st = sq_fail(err, q->db, "read block hashes", s->target);
    }
    sqlite3_finalize(st_);
    return st;
}

static m2c_status sq_block_hash(m2c_sink *s, char out[67], uint64_t number, m2c_err *err) {
    return sq_block_query(s, "SELECT number, hash FROM _m2c_blocks WHERE number = ?", number, out,
                          NULL, err);
}

static m2c_status sq_block_before(m2c_sink *s, uint64_t *out, uint64_t at_most, m2c_err *err) {
    return sq_block_query(s,
                          "SELECT max(number), NULL FROM _m2c_blocks WHERE number <= ? "
                          "HAVING count(*) > 0",
                          at_most, NULL, out, err);
}

const m2c_sink_ops m2c_sink_sqlite_ops = {
    "sqlite", sq_open,   sq_begin,      sq_row,          sq_rows,  sq_commit,
    sq_flush, sq_rewind, sq_block_hash, sq_block_before, sq_close,
};
