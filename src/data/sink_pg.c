/* sink_pg.c: the PostgreSQL sink (libpq). Rows of a chunk are buffered in COPY text format per
 * table; commit sends them with COPY ... FROM STDIN inside one transaction that also writes the
 * checkpoint, block hashes and provenance (tables _m2c_meta, _m2c_checkpoints, _m2c_blocks, as
 * in SQLite). Tables are created in the connection's current schema (choose one with the URL's
 * `options=-csearch_path%3D<schema>`). */
#include "sink_impl.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/dynlib.h"

/* libpq is loaded when a postgres:// output is first opened (dynlib.h); its functions are
 * called as PQ(name)(...). */
#define PQ_FNS(X)                                                                                  \
    X(PQclear)                                                                                     \
    X(PQcmdTuples)                                                                                 \
    X(PQconnectdb)                                                                                 \
    X(PQerrorMessage)                                                                              \
    X(PQexec)                                                                                      \
    X(PQexecParams)                                                                                \
    X(PQfinish)                                                                                    \
    X(PQgetResult)                                                                                 \
    X(PQgetisnull)                                                                                 \
    X(PQgetvalue)                                                                                  \
    X(PQntuples)                                                                                   \
    X(PQputCopyData)                                                                               \
    X(PQputCopyEnd)                                                                                \
    X(PQresultErrorMessage)                                                                        \
    X(PQresultStatus)                                                                              \
    X(PQstatus)
M2C_DYNLIB(pq_lib, "libpq.so.5", "libpq5", PQ_FNS);
#define PQ(f) M2C_DYNFN(pq_lib, f)

typedef struct {
    PGconn *conn;
    m2c_buf *pend; /* per table, COPY text rows */
} pg_impl;

static m2c_status pg_fail(m2c_sink *s, m2c_err *err, const char *what) {
    pg_impl *p = s->impl;
    const char *m = p && p->conn ? PQ(PQerrorMessage)(p->conn) : "no connection";
    size_t n = strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    /* libpq messages can span lines; keep the first */
    const char *nl = memchr(m, '\n', n);
    if (nl) n = (size_t)(nl - m);
    return m2c_err_set(err, M2C_ERR_DB, "postgres: %s: %.*s", what, (int)n, m);
}

static m2c_status pg_exec(m2c_sink *s, const char *sql, m2c_err *err) {
    pg_impl *p = s->impl;
    PGresult *r = PQ(PQexec)(p->conn, sql);
    ExecStatusType k = PQ(PQresultStatus)(r);
    m2c_status st = M2C_OK;
    if (k != PGRES_COMMAND_OK && k != PGRES_TUPLES_OK) {
        const char *m = PQ(PQresultErrorMessage)(r);
        size_t n = strcspn(m, "\n");
        st = m2c_err_set(err, M2C_ERR_DB, "postgres: %.*s", (int)n, m);
    }
    PQ(PQclear)(r);
    return st;
}

static const char *pg_type(m2c_col_type t) {
    switch (t) {
    case M2C_COL_INT: return "BIGINT";
    case M2C_COL_REAL: return "DOUBLE PRECISION";
    case M2C_COL_TEXT: return "TEXT";
    case M2C_COL_NUMERIC: return "NUMERIC(78,0)";
    case M2C_COL_BOOL: return "BOOLEAN";
    }
    return "TEXT";
}

static void pg_close(m2c_sink *s) {
    pg_impl *p = s->impl;
    if (!p) return;
    if (p->pend)
        for (size_t t = 0; t < s->schema->ntables; t++)
            m2c_buf_free(&p->pend[t]);
    free(p->pend);
    if (p->conn) PQ(PQfinish)(p->conn);
    free(p);
    s->impl = NULL;
}

/* Runs a one-parameter query returning rows; the result is the caller's to PQclear. */
static PGresult *pg_query(m2c_sink *s, const char *sql, const char *arg) {
    pg_impl *p = s->impl;
    const char *params[1] = {arg};
    return PQ(PQexecParams)(p->conn, sql, arg ? 1 : 0, NULL, arg ? params : NULL, NULL, NULL, 0);
}

static m2c_status pg_load(m2c_sink *s, m2c_err *err) {
    m2c_status st = M2C_OK;
    PGresult *r = pg_query(s, "SELECT key, value FROM _m2c_meta", NULL);
    if (PQ(PQresultStatus)(r) != PGRES_TUPLES_OK) {
        PQ(PQclear)(r);
        return pg_fail(s, err, "read metadata");
    }
    for (int i = 0; i < PQ(PQntuples)(r); i++)
        if (m2c_sink_set_meta_(s, PQ(PQgetvalue)(r, i, 0), PQ(PQgetvalue)(r, i, 1)) != M2C_OK) {
            PQ(PQclear)(r);
            return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
        }
    PQ(PQclear)(r);
    st = m2c_sink_check_same_(s, m2c_sink_get_meta_(s, "identity"), m2c_sink_get_meta_(s, "schema"),
                              "postgres output", "another database or schema", err);
    if (st != M2C_OK) return st;
    m2c_sink_load_rows_(s);
    r = pg_query(s, "SELECT from_block, to_block FROM _m2c_checkpoints", NULL);
    if (PQ(PQresultStatus)(r) != PGRES_TUPLES_OK) {
        PQ(PQclear)(r);
        return pg_fail(s, err, "read checkpoints");
    }
    for (int i = 0; i < PQ(PQntuples)(r) && st == M2C_OK; i++)
        if (m2c_sink_add_done_(s, strtoull(PQ(PQgetvalue)(r, i, 0), NULL, 10),
                               strtoull(PQ(PQgetvalue)(r, i, 1), NULL, 10)) != M2C_OK)
            st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    PQ(PQclear)(r);
    return st;
}

static m2c_status pg_create(m2c_sink *s, m2c_err *err) {
    m2c_status st;
    m2c_buf b;
    m2c_buf_init(&b, 1 << 20);
    /* refuse to adopt tables someone else made */
    for (size_t t = 0; t < s->schema->ntables; t++) {
        m2c_buf_reset(&b);
        if (m2c_sql_ident_(&b, s->schema->tables[t].name) != M2C_OK) goto nomem;
        PGresult *r = pg_query(s, "SELECT to_regclass($1) IS NOT NULL", (char *)b.p);
        int exists = PQ(PQresultStatus)(r) == PGRES_TUPLES_OK && PQ(PQntuples)(r) == 1 &&
                     PQ(PQgetvalue)(r, 0, 0)[0] == 't';
        PQ(PQclear)(r);
        if (exists) {
            st = m2c_err_set(err, M2C_ERR_STATE,
                             "postgres: table %s exists and is not part of an ml2chain dataset",
                             (char *)b.p);
            goto out;
        }
    }
    if ((st = pg_exec(s,
                      "BEGIN;"
                      "CREATE TABLE _m2c_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                      "CREATE TABLE _m2c_checkpoints(from_block BIGINT NOT NULL, "
                      "to_block BIGINT NOT NULL);"
                      "CREATE TABLE _m2c_blocks(number BIGINT PRIMARY KEY, hash TEXT NOT NULL);",
                      err)) != M2C_OK)
        goto out;
    for (size_t t = 0; t < s->schema->ntables; t++) {
        const m2c_sink_table *tb = &s->schema->tables[t];
        m2c_buf_reset(&b);
        if (m2c_buf_append_str(&b, "CREATE TABLE ") != M2C_OK ||
            m2c_sql_ident_(&b, tb->name) != M2C_OK || m2c_buf_append_byte(&b, '(') != M2C_OK)
            goto nomem;
        for (size_t c = 0; c < tb->ncols; c++)
            if ((c && m2c_buf_append_str(&b, ", ") != M2C_OK) ||
                m2c_sql_ident_(&b, tb->cols[c].name) != M2C_OK ||
                m2c_buf_printf(&b, " %s", pg_type(tb->cols[c].type)) != M2C_OK)
                goto nomem;
        if (m2c_buf_append_byte(&b, ')') != M2C_OK) goto nomem;
        if ((st = pg_exec(s, (char *)b.p, err)) != M2C_OK) goto fail;
    }
    const char *vals[4] = {"identity", s->identity, "schema", s->schema_text};
    pg_impl *p = s->impl;
    PGresult *r = PQ(PQexecParams)(p->conn, "INSERT INTO _m2c_meta VALUES ($1, $2), ($3, $4)", 4,
                                   NULL, vals, NULL, NULL, 0);
    int ok = PQ(PQresultStatus)(r) == PGRES_COMMAND_OK;
    PQ(PQclear)(r);
    if (!ok) {
        st = pg_fail(s, err, "write metadata");
        goto fail;
    }
    if ((st = pg_exec(s, "COMMIT", err)) != M2C_OK) goto fail;
    if (m2c_sink_set_meta_(s, "identity", s->identity) != M2C_OK ||
        m2c_sink_set_meta_(s, "schema", s->schema_text) != M2C_OK)
        goto nomem;
    goto out;
nomem:
    st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
fail:
    (void)pg_exec(s, "ROLLBACK", NULL);
out:
    m2c_buf_free(&b);
    return st;
}

static m2c_status pg_open(m2c_sink *s, const char *target, m2c_err *err) {
    m2c_status st = m2c_dynlib_load(&pq_lib, err);
    if (st != M2C_OK) return m2c_err_prefix(err, "postgres output");
    pg_impl *p = calloc(1, sizeof *p);
    if (!p) return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    s->impl = p;
    if (!(p->pend = calloc(s->schema->ntables, sizeof *p->pend))) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
        goto out;
    }
    for (size_t t = 0; t < s->schema->ntables; t++)
        m2c_buf_init(&p->pend[t], 0);
    p->conn = PQ(PQconnectdb)(target);
    if (!p->conn || PQ(PQstatus)(p->conn) != CONNECTION_OK) {
        st = pg_fail(s, err, "cannot connect");
        goto out;
    }
    if ((st = pg_exec(s, "SET client_min_messages = warning", err)) != M2C_OK) goto out;
    PGresult *r = pg_query(s, "SELECT to_regclass('_m2c_meta') IS NOT NULL", NULL);
    if (PQ(PQresultStatus)(r) != PGRES_TUPLES_OK || PQ(PQntuples)(r) != 1) {
        PQ(PQclear)(r);
        st = pg_fail(s, err, "inspect database");
        goto out;
    }
    int exists = PQ(PQgetvalue)(r, 0, 0)[0] == 't';
    PQ(PQclear)(r);
    /* one writer per dataset: a session advisory lock keyed by the identity */
    const char *id[1] = {s->identity};
    r = PQ(PQexecParams)(p->conn, "SELECT pg_try_advisory_lock(hashtext($1))", 1, NULL, id, NULL,
                         NULL, 0);
    int locked = PQ(PQresultStatus)(r) == PGRES_TUPLES_OK && PQ(PQgetvalue)(r, 0, 0)[0] == 't';
    PQ(PQclear)(r);
    if (!locked) {
        st = m2c_err_set(err, M2C_ERR_STATE,
                         "postgres: the dataset is being written by another ml2chain process");
        goto out;
    }
    st = exists ? pg_load(s, err) : pg_create(s, err);
out:
    if (st != M2C_OK) pg_close(s);
    return st;
}

static m2c_status pg_begin(m2c_sink *s, m2c_err *err) {
    (void)err;
    pg_impl *p = s->impl;
    for (size_t t = 0; t < s->schema->ntables; t++)
        m2c_buf_reset(&p->pend[t]);
    return M2C_OK;
}

static m2c_status copy_text(m2c_buf *b, const char *s, size_t n) {
    m2c_status st = m2c_buf_reserve(b, n);
    for (size_t i = 0; st == M2C_OK && i < n; i++) {
        char c = s[i];
        const char *esc = c == '\\'   ? "\\\\"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        st = esc ? m2c_buf_append(b, esc, 2) : m2c_buf_append_byte(b, (uint8_t)c);
    }
    return st;
}

static m2c_status pg_row(m2c_sink *s, size_t t, const m2c_sink_val *v, m2c_err *err) {
    pg_impl *p = s->impl;
    const m2c_sink_table *tb = &s->schema->tables[t];
    m2c_buf *b = &p->pend[t];
    size_t mark = b->len;
    m2c_status st = M2C_OK;
    char num[32];
    for (size_t c = 0; st == M2C_OK && c < tb->ncols; c++) {
        if (c) st = m2c_buf_append_byte(b, '\t');
        if (st != M2C_OK) break;
        m2c_col_type ty = tb->cols[c].type;
        if (v[c].null || (ty == M2C_COL_REAL && !(v[c].d == v[c].d && v[c].d - v[c].d == 0))) {
            st = m2c_buf_append_str(b, "\\N");
            continue;
        }
        switch (ty) {
        case M2C_COL_INT: st = m2c_buf_printf(b, "%lld", (long long)v[c].i); break;
        case M2C_COL_BOOL: st = m2c_buf_append_byte(b, v[c].i ? 't' : 'f'); break;
        case M2C_COL_REAL: st = m2c_buf_append(b, num, m2c_fmt_double_(num, v[c].d)); break;
        case M2C_COL_TEXT:
        case M2C_COL_NUMERIC:
            if (v[c].n && memchr(v[c].s, 0, v[c].n)) {
                b->len = mark;
                return m2c_err_set(err, M2C_ERR_INVALID,
                                   "postgres: column %s: text with a NUL byte", tb->cols[c].name);
            }
            st = copy_text(b, v[c].s ? v[c].s : "", v[c].n);
            break;
        }
    }
    if (st == M2C_OK) st = m2c_buf_append_byte(b, '\n');
    if (st != M2C_OK) {
        b->len = mark;
        return m2c_err_set(err, st, "postgres: chunk too large for memory");
    }
    return M2C_OK;
}

static m2c_status pg_copy(m2c_sink *s, const char *table, const m2c_buf *data, m2c_err *err) {
    pg_impl *p = s->impl;
    m2c_buf sql;
    m2c_buf_init(&sql, 1 << 16);
    m2c_status st = M2C_OK;
    if (m2c_buf_append_str(&sql, "COPY ") != M2C_OK || m2c_sql_ident_(&sql, table) != M2C_OK ||
        m2c_buf_append_str(&sql, " FROM STDIN") != M2C_OK) {
        m2c_buf_free(&sql);
        return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    }
    PGresult *r = PQ(PQexec)(p->conn, (char *)sql.p);
    m2c_buf_free(&sql);
    int ok = PQ(PQresultStatus)(r) == PGRES_COPY_IN;
    PQ(PQclear)(r);
    if (!ok) return pg_fail(s, err, "start COPY");
    size_t off = 0;
    while (off < data->len) {
        size_t n = data->len - off > (1u << 20) ? (1u << 20) : data->len - off;
        if (PQ(PQputCopyData)(p->conn, (const char *)data->p + off, (int)n) != 1) {
            st = pg_fail(s, err, "COPY data");
            break;
        }
        off += n;
    }
    if (PQ(PQputCopyEnd)(p->conn, st == M2C_OK ? NULL : "aborted") != 1 && st == M2C_OK)
        st = pg_fail(s, err, "end COPY");
    while ((r = PQ(PQgetResult)(p->conn)) != NULL) {
        if (PQ(PQresultStatus)(r) != PGRES_COMMAND_OK && st == M2C_OK) {
            const char *m = PQ(PQresultErrorMessage)(r);
            st = m2c_err_set(err, M2C_ERR_DB, "postgres: COPY into %s: %.*s", table,
                             (int)strcspn(m, "\n"), m);
        }
        PQ(PQclear)(r);
    }
    return st;
}

static m2c_status pg_put_meta(m2c_sink *s, m2c_err *err) {
    pg_impl *p = s->impl;
    for (size_t i = 0; i < s->nmeta; i++) {
        const char *vals[2] = {s->meta[i].key, s->meta[i].value};
        PGresult *r = PQ(PQexecParams)(p->conn,
                                       "INSERT INTO _m2c_meta VALUES ($1, $2) ON CONFLICT (key) DO "
                                       "UPDATE SET value = EXCLUDED.value",
                                       2, NULL, vals, NULL, NULL, 0);
        int ok = PQ(PQresultStatus)(r) == PGRES_COMMAND_OK;
        PQ(PQclear)(r);
        if (!ok) return pg_fail(s, err, "write metadata");
    }
    return M2C_OK;
}

static m2c_status pg_commit(m2c_sink *s, uint64_t from, uint64_t to, m2c_err *err) {
    pg_impl *p = s->impl;
    m2c_status st;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if ((st = pg_exec(s, "BEGIN", err)) != M2C_OK) goto out;
    for (size_t t = 0; t < s->schema->ntables; t++) {
        if (p->pend[t].len == 0) continue;
        if ((st = pg_copy(s, s->schema->tables[t].name, &p->pend[t], err)) != M2C_OK) goto fail;
    }
    if (m2c_buf_printf(&b, "INSERT INTO _m2c_checkpoints VALUES (%llu, %llu);",
                       (unsigned long long)from, (unsigned long long)to) != M2C_OK)
        goto nomem;
    if (s->nblocks) {
        if (m2c_buf_append_str(&b, "INSERT INTO _m2c_blocks VALUES ") != M2C_OK) goto nomem;
        for (size_t i = 0; i < s->nblocks; i++)
            if (m2c_buf_printf(&b, "%s(%llu, '%s')", i ? "," : "",
                               (unsigned long long)s->blocks[i].number,
                               s->blocks[i].hash) != M2C_OK)
                goto nomem;
        if (m2c_buf_append_str(&b, " ON CONFLICT (number) DO UPDATE SET hash = EXCLUDED.hash") !=
            M2C_OK)
            goto nomem;
    }
    if ((st = pg_exec(s, (char *)b.p, err)) != M2C_OK) goto fail;
    if ((st = pg_put_meta(s, err)) != M2C_OK) goto fail;
    if ((st = pg_exec(s, "COMMIT", err)) != M2C_OK) goto fail;
    goto out;
nomem:
    st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
fail:
    (void)pg_exec(s, "ROLLBACK", NULL);
out:
    for (size_t t = 0; t < s->schema->ntables; t++)
        m2c_buf_reset(&p->pend[t]);
    m2c_buf_free(&b);
    return st;
}

static m2c_status pg_rewind(m2c_sink *s, uint64_t from, m2c_err *err) {
    m2c_status st;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    uint64_t *removed = calloc(s->schema->ntables, sizeof *removed);
    if (!removed) return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    if ((st = pg_exec(s, "BEGIN", err)) != M2C_OK) goto out;
    for (size_t t = 0; t < s->schema->ntables; t++) {
        const m2c_sink_table *tb = &s->schema->tables[t];
        m2c_buf_reset(&b);
        if (m2c_buf_append_str(&b, "DELETE FROM ") != M2C_OK ||
            m2c_sql_ident_(&b, tb->name) != M2C_OK || m2c_buf_append_str(&b, " WHERE ") != M2C_OK ||
            m2c_sql_ident_(&b, tb->cols[tb->block_col].name) != M2C_OK ||
            m2c_buf_printf(&b, " >= %llu", (unsigned long long)from) != M2C_OK) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
            goto fail;
        }
        pg_impl *p = s->impl;
        PGresult *r = PQ(PQexec)(p->conn, (char *)b.p);
        int ok = PQ(PQresultStatus)(r) == PGRES_COMMAND_OK;
        if (ok) removed[t] = strtoull(PQ(PQcmdTuples)(r), NULL, 10);
        PQ(PQclear)(r);
        if (!ok) {
            st = pg_fail(s, err, "delete orphaned rows");
            goto fail;
        }
    }
    m2c_buf_reset(&b);
    if ((st = m2c_sink_rewind_sql_(&b, from, err)) != M2C_OK) goto fail;
    if ((st = pg_exec(s, (char *)b.p, err)) != M2C_OK) goto fail;
    if ((st = m2c_sink_rewind_meta_(s, removed, err)) != M2C_OK) goto fail;
    if ((st = pg_put_meta(s, err)) != M2C_OK) goto fail;
    if ((st = pg_exec(s, "COMMIT", err)) != M2C_OK) goto fail;
    for (size_t t = 0; t < s->schema->ntables; t++)
        s->rows[t] -= removed[t];
    m2c_sink_trim_done_(s, from);
    goto out;
fail:
    (void)pg_exec(s, "ROLLBACK", NULL);
out:
    free(removed);
    m2c_buf_free(&b);
    return st;
}

static m2c_status pg_block_hash(m2c_sink *s, char out[67], uint64_t number, m2c_err *err) {
    char arg[32];
    snprintf(arg, sizeof arg, "%llu", (unsigned long long)number);
    PGresult *r = pg_query(s, "SELECT hash FROM _m2c_blocks WHERE number = $1", arg);
    m2c_status st;
    if (PQ(PQresultStatus)(r) != PGRES_TUPLES_OK)
        st = pg_fail(s, err, "read block hashes");
    else if (PQ(PQntuples)(r) == 0)
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "postgres: no stored hash for block %s", arg);
    else {
        snprintf(out, 67, "%s", PQ(PQgetvalue)(r, 0, 0));
        st = M2C_OK;
    }
    PQ(PQclear)(r);
    return st;
}

static m2c_status pg_block_before(m2c_sink *s, uint64_t *out, uint64_t at_most, m2c_err *err) {
    char arg[32];
    snprintf(arg, sizeof arg, "%llu", (unsigned long long)at_most);
    PGresult *r = pg_query(s, "SELECT max(number) FROM _m2c_blocks WHERE number <= $1", arg);
    m2c_status st;
    if (PQ(PQresultStatus)(r) != PGRES_TUPLES_OK)
        st = pg_fail(s, err, "read block hashes");
    else if (PQ(PQgetisnull)(r, 0, 0))
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "postgres: no stored block hash at or below %s",
                         arg);
    else {
        *out = strtoull(PQ(PQgetvalue)(r, 0, 0), NULL, 10);
        st = M2C_OK;
    }
    PQ(PQclear)(r);
    return st;
}

const m2c_sink_ops m2c_sink_pg_ops = {
    "postgres", pg_open,   pg_begin,      pg_row,          NULL,     pg_commit,
    NULL,       pg_rewind, pg_block_hash, pg_block_before, pg_close,
};
