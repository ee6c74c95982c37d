/* extract_rows.c: the tables of each dataset kind (see docs/datasets.md) and the conversion
 * of fetched logs, blocks and transactions into sink rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract_impl.h"
#include "ml2chain/hex.h"
#include "ml2chain/u256.h"

#define XMAX_COLS 4096

static const char *const log_raw_cols[] = {
    "block_number",
    "block_timestamp",
    "block_hash",
    "transaction_hash",
    "transaction_index",
    "log_index",
    "address",
    "topic0",
    "topic1",
    "topic2",
    "topic3",
    "data",
};
static const m2c_col_type log_raw_types[] = {
    M2C_COL_INT,  M2C_COL_INT,  M2C_COL_TEXT, M2C_COL_TEXT, M2C_COL_INT,  M2C_COL_INT,
    M2C_COL_TEXT, M2C_COL_TEXT, M2C_COL_TEXT, M2C_COL_TEXT, M2C_COL_TEXT, M2C_COL_TEXT,
};
#define N_LOG_RAW 12

static const m2c_sink_col block_cols[] = {
    {"number", M2C_COL_INT},
    {"hash", M2C_COL_TEXT},
    {"parent_hash", M2C_COL_TEXT},
    {"timestamp", M2C_COL_INT},
    {"miner", M2C_COL_TEXT},
    {"gas_used", M2C_COL_INT},
    {"gas_limit", M2C_COL_INT},
    {"base_fee_per_gas", M2C_COL_NUMERIC},
    {"base_fee_per_gas_f", M2C_COL_REAL},
    {"transaction_count", M2C_COL_INT},
};
#define N_BLOCK_COLS 10

static const m2c_sink_col tx_cols[] = {
    {"block_number", M2C_COL_INT},
    {"block_timestamp", M2C_COL_INT},
    {"block_hash", M2C_COL_TEXT},
    {"transaction_index", M2C_COL_INT},
    {"hash", M2C_COL_TEXT},
    {"type", M2C_COL_INT},
    {"from", M2C_COL_TEXT},
    {"to", M2C_COL_TEXT},
    {"value", M2C_COL_NUMERIC},
    {"value_f", M2C_COL_REAL},
    {"nonce", M2C_COL_INT},
    {"gas", M2C_COL_INT},
    {"gas_price", M2C_COL_NUMERIC},
    {"max_fee_per_gas", M2C_COL_NUMERIC},
    {"max_priority_fee_per_gas", M2C_COL_NUMERIC},
    {"input", M2C_COL_TEXT},
    {"status", M2C_COL_INT},
    {"gas_used", M2C_COL_INT},
    {"cumulative_gas_used", M2C_COL_INT},
    {"effective_gas_price", M2C_COL_NUMERIC},
    {"effective_gas_price_f", M2C_COL_REAL},
    {"contract_address", M2C_COL_TEXT},
};
#define N_TX_COLS 22

void m2c_xschema_free(xschema *x) {
    if (!x) return;
    m2c_arena_free(&x->arena);
    memset(x, 0, sizeof *x);
}

static xparam_kind param_kind(const m2c_abi_field *f) {
    const m2c_abi_type *t = f->type;
    if (f->indexed &&
        (t->kind == M2C_ABI_STRING || t->kind == M2C_ABI_BYTES || t->kind == M2C_ABI_ARRAY ||
         t->kind == M2C_ABI_FARRAY || t->kind == M2C_ABI_TUPLE))
        return XP_BYTES; /* only the topic hash is on chain */
    switch (t->kind) {
    case M2C_ABI_UINT: return t->bits <= 56 ? XP_INT : XP_BIG;
    case M2C_ABI_INT: return t->bits <= 64 ? XP_INT : XP_BIG;
    case M2C_ABI_BOOL: return XP_BOOL;
    case M2C_ABI_ADDRESS: return XP_ADDRESS;
    case M2C_ABI_FBYTES:
    case M2C_ABI_BYTES: return XP_BYTES;
    case M2C_ABI_STRING: return XP_STRING;
    default: return XP_OTHER;
    }
}

/* Appends column `name` (made unique within cols[0..*n) by suffixes) to cols. */
static m2c_status add_col(xschema *x, m2c_sink_col *cols, size_t *n, const char *name,
                          m2c_col_type type, m2c_err *err) {
    if (*n >= XMAX_COLS)
        return m2c_err_set(err, M2C_ERR_RANGE, "too many columns (max %d)", XMAX_COLS);
    char buf[300];
    snprintf(buf, sizeof buf, "%s", name);
    for (int k = 2;; k++) {
        int clash = 0;
        for (size_t i = 0; i < *n && !clash; i++)
            clash = !strcmp(cols[i].name, buf);
        if (!clash) break;
        snprintf(buf, sizeof buf, "%s_%d", name, k);
    }
    char *nm = m2c_arena_strndup(&x->arena, buf, strlen(buf));
    if (!nm) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    cols[*n].name = nm;
    cols[*n].type = type;
    (*n)++;
    return M2C_OK;
}

static m2c_status ident_printf(m2c_buf *b, m2c_err *err, const char *fmt, const char *s) {
    if (m2c_buf_printf(b, fmt, s) != M2C_OK)
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    return M2C_OK;
}

static m2c_status build_identity(xschema *x, const m2c_extract_opts *o, uint64_t chain_id,
                                 m2c_err *err) {
    m2c_buf b;
    m2c_buf_init(&b, 1 << 24);
    m2c_status st = M2C_OK;
    const char *kind = o->kind == M2C_EXTRACT_LOGS     ? "logs"
                       : o->kind == M2C_EXTRACT_BLOCKS ? "blocks"
                                                       : "transactions";
    if (m2c_buf_printf(&b, "%s chain_id=%llu", kind, (unsigned long long)chain_id) != M2C_OK)
        goto nomem;
    if (o->kind == M2C_EXTRACT_LOGS) {
        char h[67];
        if (m2c_buf_append_str(&b, " address=[") != M2C_OK) goto nomem;
        for (size_t i = 0; i < o->n_addresses; i++) {
            m2c_hex_encode(h, o->addresses[i].b, 20, 1);
            if (m2c_buf_printf(&b, "%s%s", i ? "," : "", h) != M2C_OK) goto nomem;
        }
        if (m2c_buf_append_str(&b, "]") != M2C_OK) goto nomem;
        for (int t = 0; t < 4; t++) {
            if (!o->n_topic_or[t]) continue;
            if (m2c_buf_printf(&b, " topic%d=[", t) != M2C_OK) goto nomem;
            for (size_t i = 0; i < o->n_topic_or[t]; i++) {
                m2c_hex_encode(h, o->topics[t][i].b, 32, 1);
                if (m2c_buf_printf(&b, "%s%s", i ? "," : "", h) != M2C_OK) goto nomem;
            }
            if (m2c_buf_append_str(&b, "]") != M2C_OK) goto nomem;
        }
        for (size_t e = 0; e < o->n_events; e++) {
            const m2c_abi_sig *sg = &o->events[e];
            if ((st = ident_printf(&b, err, " event=%s(", sg->name)) != M2C_OK) goto out;
            for (size_t i = 0; i < sg->inputs->n_fields; i++) {
                const m2c_abi_field *f = &sg->inputs->fields[i];
                if (i && m2c_buf_append_byte(&b, ',') != M2C_OK) goto nomem;
                if (m2c_abi_type_canonical(&b, f->type) != M2C_OK) goto nomem;
                if (f->indexed && m2c_buf_append_str(&b, " indexed") != M2C_OK) goto nomem;
                if (f->name[0] && (st = ident_printf(&b, err, " %s", f->name)) != M2C_OK) goto out;
            }
            if (m2c_buf_append_str(&b, sg->anonymous ? ") anonymous" : ")") != M2C_OK) goto nomem;
        }
    }
    if (o->decimals >= 0 && m2c_buf_printf(&b, " decimals=%d", o->decimals) != M2C_OK) goto nomem;
    if (!(x->identity = m2c_arena_strndup(&x->arena, (char *)b.p, b.len))) goto nomem;
    goto out;
nomem:
    st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
out:
    m2c_buf_free(&b);
    return st;
}

m2c_status m2c_xschema_build(xschema *x, const m2c_extract_opts *o, uint64_t chain_id,
                             m2c_err *err) {
    memset(x, 0, sizeof *x);
    m2c_arena_init(&x->arena, 64 << 20);
    x->undecoded_table = (size_t)-1;
    m2c_status st = build_identity(x, o, chain_id, err);
    if (st) goto fail;
    size_t nt = o->kind == M2C_EXTRACT_LOGS && o->n_events ? o->n_events + 1 : 1;
    x->tables = m2c_arena_calloc(&x->arena, nt, sizeof *x->tables);
    if (!x->tables) goto nomem;
    x->ntables = nt;
    if (o->kind == M2C_EXTRACT_BLOCKS) {
        x->tables[0] = (m2c_sink_table){"blocks", block_cols, N_BLOCK_COLS, 0};
        x->maxcols = N_BLOCK_COLS;
    } else if (o->kind == M2C_EXTRACT_TRANSACTIONS) {
        x->tables[0] = (m2c_sink_table){"transactions", tx_cols, N_TX_COLS, 0};
        x->maxcols = N_TX_COLS;
    } else {
        /* raw columns, shared by `logs` and `undecoded_logs` */
        m2c_sink_col *raw = m2c_arena_calloc(&x->arena, N_LOG_RAW + 1, sizeof *raw);
        if (!raw) goto nomem;
        for (size_t i = 0; i < N_LOG_RAW; i++)
            raw[i] = (m2c_sink_col){log_raw_cols[i], log_raw_types[i]};
        raw[N_LOG_RAW] = (m2c_sink_col){"error", M2C_COL_TEXT};
        x->maxcols = N_LOG_RAW + 1;
        if (!o->n_events) {
            x->tables[0] = (m2c_sink_table){"logs", raw, N_LOG_RAW, 0};
        } else {
            x->events = m2c_arena_calloc(&x->arena, o->n_events, sizeof *x->events);
            if (!x->events) goto nomem;
            x->nevents = o->n_events;
            for (size_t e = 0; e < o->n_events; e++) {
                const m2c_abi_sig *sg = &o->events[e];
                xevent *xe = &x->events[e];
                size_t np = sg->inputs->n_fields, n = 0;
                m2c_sink_col *cols = m2c_arena_calloc(&x->arena, N_LOG_RAW + 2 * np, sizeof *cols);
                xe->pk = m2c_arena_calloc(&x->arena, np ? np : 1, sizeof *xe->pk);
                xe->pcol = m2c_arena_calloc(&x->arena, np ? np : 1, sizeof *xe->pcol);
                if (!cols || !xe->pk || !xe->pcol) goto nomem;
                xe->sig = sg;
                xe->table = e;
                for (size_t i = 0; i < N_LOG_RAW; i++)
                    if ((st = add_col(x, cols, &n, log_raw_cols[i], log_raw_types[i], err)))
                        goto fail;
                for (size_t i = 0; i < np; i++) {
                    const m2c_abi_field *f = &sg->inputs->fields[i];
                    char nm[280];
                    if (f->name[0])
                        snprintf(nm, sizeof nm, "%.200s", f->name);
                    else
                        snprintf(nm, sizeof nm, "arg%zu", i);
                    xe->pk[i] = param_kind(f);
                    xe->pcol[i] = n;
                    m2c_col_type ty = xe->pk[i] == XP_INT    ? M2C_COL_INT
                                      : xe->pk[i] == XP_BIG  ? M2C_COL_NUMERIC
                                      : xe->pk[i] == XP_BOOL ? M2C_COL_BOOL
                                                             : M2C_COL_TEXT;
                    if ((st = add_col(x, cols, &n, nm, ty, err))) goto fail;
                    if (xe->pk[i] == XP_BIG) {
                        char nf[300];
                        snprintf(nf, sizeof nf, "%s_f", cols[n - 1].name);
                        if ((st = add_col(x, cols, &n, nf, M2C_COL_REAL, err))) goto fail;
                    }
                }
                /* table named after the event; overloads get a suffix */
                char tn[280];
                snprintf(tn, sizeof tn, "%.200s", sg->name);
                for (int k = 2;; k++) {
                    int clash = !strcmp(tn, "undecoded_logs");
                    for (size_t u = 0; u < e && !clash; u++)
                        clash = !strcmp(x->tables[u].name, tn);
                    if (!clash) break;
                    snprintf(tn, sizeof tn, "%.200s_%d", sg->name, k);
                }
                char *tname = m2c_arena_strndup(&x->arena, tn, strlen(tn));
                if (!tname) goto nomem;
                x->tables[e] = (m2c_sink_table){tname, cols, n, 0};
                if (n > x->maxcols) x->maxcols = n;
            }
            x->undecoded_table = o->n_events;
            x->tables[o->n_events] = (m2c_sink_table){"undecoded_logs", raw, N_LOG_RAW + 1, 0};
        }
    }
    x->schema.identity = x->identity;
    x->schema.tables = x->tables;
    x->schema.ntables = x->ntables;
    return M2C_OK;
nomem:
    st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
fail:
    m2c_xschema_free(x);
    return st;
}

void m2c_xchunk_clear(xchunk *c) {
    for (size_t i = 0; i < c->nparts; i++)
        m2c_rpc_logs_free(&c->parts[i]);
    free(c->parts);
    for (size_t i = 0; i < c->nblocks; i++)
        m2c_rpc_block_free(&c->blocks[i]);
    free(c->blocks);
    for (size_t i = 0; i < c->nreceipts; i++)
        m2c_rpc_receipt_free(&c->receipts[i]);
    free(c->receipts);
    for (size_t i = 0; i < c->capslices; i++)
        m2c_xbatch_free(&c->slices[i]);
    free(c->slices);
    memset(c, 0, sizeof *c);
}

/* ---- rows ------------------------------------------------------------------------------ */

/* The last value written by put_hex_memo for one column: rows of a block (and of a transaction)
 * repeat its hash and address, so their cells share one copy of the text. */
typedef struct {
    uint8_t key[32];
    size_t at; /* its text in b->text; valid while below the row's base (a kept row's) */
    uint32_t n;
    int ok;
} xmemo;

/* A row under construction, built in place at the end of batch b: its cells at
 * b->vals + b->nvals, its text appended to b->text. row_write keeps it; the next row_reset
 * drops whatever a row left unfinished. A text cell keeps its offset in b->text (+ 1) in `i`
 * until the batch is complete (xbatch_finish), since the text may move as it grows. */
typedef struct {
    xbatch *b;
    m2c_sink_val *v;
    size_t n;
    size_t base; /* b->text.len after the last row kept */
    xmemo block_hash, tx_hash, address;
} xrow;

/* Room in b for `vals` cells, and for `rows` rows; 0 when out of memory. */
static int xbatch_cap_vals(xbatch *b, size_t vals) {
    if (vals <= b->capvals) return 1;
    m2c_sink_val *nv = realloc(b->vals, vals * sizeof *nv);
    if (!nv) return 0;
    b->vals = nv;
    b->capvals = vals;
    return 1;
}

static int xbatch_cap_rows(xbatch *b, size_t rows) {
    if (rows <= b->caprows) return 1;
    size_t *nt = realloc(b->tables, rows * sizeof *nt);
    if (!nt) return 0;
    b->tables = nt;
    size_t *nf = realloc(b->first, rows * sizeof *nf);
    if (!nf) return 0;
    b->first = nf;
    b->caprows = rows;
    return 1;
}

static m2c_status row_reset(xrow *r, size_t n) {
    xbatch *b = r->b;
    if (b->nvals + n > b->capvals) {
        size_t nc = b->capvals ? b->capvals * 2 : 4096;
        while (nc < b->nvals + n)
            nc *= 2;
        if (!xbatch_cap_vals(b, nc)) return M2C_ERR_NOMEM;
    }
    r->v = b->vals + b->nvals;
    memset(r->v, 0, n * sizeof *r->v);
    r->n = n;
    b->text.len = r->base;
    /* a memo into text of a row that was not kept goes with it */
    xmemo *m[] = {&r->block_hash, &r->tx_hash, &r->address};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (m[i]->at >= r->base) m[i]->ok = 0;
    return M2C_OK;
}

/* A cell holds at most INT32_MAX bytes (SQLite's limit is lower still). */
static m2c_status put_text(xrow *r, size_t c, const char *s, size_t n) {
    if (n > INT32_MAX) return M2C_ERR_RANGE;
    size_t at = r->b->text.len;
    m2c_status st = m2c_buf_append(&r->b->text, s, n);
    if (st) return st;
    r->v[c].i = (int64_t)at + 1;
    r->v[c].n = (uint32_t)n;
    return M2C_OK;
}

static m2c_status put_hex(xrow *r, size_t c, const uint8_t *p, size_t n) {
    if (n > INT32_MAX / 2 - 2) return M2C_ERR_RANGE;
    m2c_buf *t = &r->b->text;
    size_t at = t->len;
    m2c_status st = m2c_buf_reserve(t, 2 * n + 3);
    if (st) return st;
    size_t w = m2c_hex_encode((char *)t->p + at, p, n, 1);
    t->len += w;
    t->p[t->len] = 0;
    r->v[c].i = (int64_t)at + 1;
    r->v[c].n = (uint32_t)w;
    return M2C_OK;
}

/* put_hex of at most 32 bytes, sharing the text of the previous call with the same memo when
 * the bytes are the same. */
static m2c_status put_hex_memo(xrow *r, size_t c, const uint8_t *p, size_t n, xmemo *m) {
    if (m->ok && m->n == 2 * n + 2 && !memcmp(m->key, p, n)) {
        r->v[c].i = (int64_t)m->at + 1;
        r->v[c].n = m->n;
        return M2C_OK;
    }
    size_t at = r->b->text.len;
    m2c_status st = put_hex(r, c, p, n);
    if (st) return st;
    m->ok = n <= sizeof m->key;
    if (m->ok) {
        memcpy(m->key, p, n);
        m->at = at;
        m->n = r->v[c].n;
    }
    return M2C_OK;
}

static void put_int(xrow *r, size_t c, int64_t i) {
    r->v[c].i = i;
}

/* NUMERIC (decimal text) at c and, when real_col != -1, its scaled double there. */
static m2c_status put_num(xrow *r, size_t c, long real_col, const m2c_u256 *v, int sign,
                          int decimals) {
    char dec[90];
    size_t n = sign ? m2c_i256_to_dec(dec, sizeof dec, v) : m2c_u256_to_dec(dec, sizeof dec, v);
    m2c_status st = put_text(r, c, dec, n);
    if (st) return st;
    if (real_col >= 0)
        r->v[real_col].d = decimals > 0 ? m2c_extract_scaled(dec, n, decimals)
                           : sign       ? m2c_i256_to_double(v) /* both round like strtod */
                                        : m2c_u256_to_double(v);
    return M2C_OK;
}

/* Makes room in b for rows rows of vals cells in all and text bytes of text. */
static m2c_status xbatch_reserve(xbatch *b, size_t rows, size_t vals, size_t text, m2c_err *err) {
    if (!xbatch_cap_vals(b, vals) || !xbatch_cap_rows(b, rows)) goto nomem;
    /* the text size is an estimate (the rows grow the buffer if they need more): never the
     * whole cap, so a failure here means out of memory */
    if (text > b->text.max / 2) text = b->text.max / 2;
    if (text > b->text.len && m2c_buf_reserve(&b->text, text - b->text.len) != M2C_OK) goto nomem;
    return M2C_OK;
nomem:
    return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory building rows");
}

/* Keeps the row under construction as a row of table t. */
static m2c_status row_write(xrow *r, size_t t, m2c_err *err) {
    xbatch *b = r->b;
    if (b->nrows == b->caprows && !xbatch_cap_rows(b, b->caprows ? b->caprows * 2 : 256))
        goto nomem;
    b->tables[b->nrows] = t;
    b->first[b->nrows] = b->nvals;
    b->nrows++;
    b->nvals += r->n;
    r->base = b->text.len;
    return M2C_OK;
nomem:
    return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory building rows");
}

/* Once every row is built (the text no longer moves): points the text cells into it and
 * orders the rows table by table, each table's in chain order, for m2c_xrows_write. Done by
 * the worker, so the writer only inserts. */
static m2c_status xbatch_finish(xbatch *b, const m2c_sink_table *tables, size_t ntables,
                                m2c_err *err) {
    for (size_t i = 0; i < b->nrows; i++) {
        const m2c_sink_table *tb = &tables[b->tables[i]];
        m2c_sink_val *v = b->vals + b->first[i];
        for (size_t c = 0; c < tb->ncols; c++)
            if ((tb->cols[c].type == M2C_COL_TEXT || tb->cols[c].type == M2C_COL_NUMERIC) &&
                v[c].i > 0)
                v[c].s = (const char *)b->text.p + v[c].i - 1;
    }
    b->tstart = calloc(ntables + 1, sizeof *b->tstart);
    b->run = malloc((b->nrows ? b->nrows : 1) * sizeof *b->run);
    if (!b->tstart || !b->run) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < b->nrows; i++)
        b->tstart[b->tables[i] + 1]++;
    for (size_t t = 0; t < ntables; t++)
        b->tstart[t + 1] += b->tstart[t];
    for (size_t i = 0; i < b->nrows; i++) /* tstart[t] moves on as table t's rows are placed */
        b->run[b->tstart[b->tables[i]]++] = b->vals + b->first[i];
    for (size_t t = ntables; t > 0; t--) /* each ended where the next began: shift back */
        b->tstart[t] = b->tstart[t - 1];
    b->tstart[0] = 0;
    b->ntables = ntables;
    return M2C_OK;
}

void m2c_xbatch_free(xbatch *b) {
    free(b->run);
    free(b->tstart);
    free(b->vals);
    free(b->tables);
    free(b->first);
    m2c_buf_free(&b->text);
    memset(b, 0, sizeof *b);
}

static int valid_text(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c == 0) return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len = c >= 0xf0 && c < 0xf5   ? 4
                     : c >= 0xe0 && c < 0xf0 ? 3
                     : c >= 0xc2 && c < 0xe0 ? 2
                                             : 0;
        if (!len || i + len > n) return 0;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80) return 0;
        if (len == 3 && c == 0xe0 && p[i + 1] < 0xa0) return 0;
        if (len == 3 && c == 0xed && p[i + 1] >= 0xa0) return 0;
        if (len == 4 && c == 0xf0 && p[i + 1] < 0x90) return 0;
        if (len == 4 && c == 0xf4 && p[i + 1] >= 0x90) return 0;
        i += len;
    }
    return 1;
}

static const m2c_rpc_block *find_block(const xchunk *c, uint64_t number) {
    size_t lo = 0, hi = c->nblocks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->blocks[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nblocks && c->blocks[lo].number == number ? &c->blocks[lo] : NULL;
}

static m2c_status raw_log_cells(xrow *r, const m2c_rpc_log *l, const m2c_rpc_block *b) {
    m2c_status st;
    put_int(r, 0, (int64_t)l->block_number);
    put_int(r, 1, (int64_t)b->timestamp);
    if ((st = put_hex_memo(r, 2, l->block_hash.b, 32, &r->block_hash))) return st;
    if ((st = put_hex_memo(r, 3, l->transaction_hash.b, 32, &r->tx_hash))) return st;
    put_int(r, 4, (int64_t)l->transaction_index);
    put_int(r, 5, (int64_t)l->log_index);
    if ((st = put_hex_memo(r, 6, l->address.b, 20, &r->address))) return st;
    for (size_t t = 0; t < 4; t++) {
        if (t < l->n_topics) {
            if ((st = put_hex(r, 7 + t, l->topics[t].b, 32))) return st;
        } else {
            r->v[7 + t].null = 1;
        }
    }
    return put_hex(r, 11, l->data, l->data_len);
}

static m2c_status param_cells(xrow *r, const xevent *xe, size_t i, const m2c_abi_value *v,
                              int decimals, m2c_buf *scratch) {
    size_t c = xe->pcol[i];
    switch (xe->pk[i]) {
    case XP_INT: {
        int64_t s64;
        uint64_t u64;
        if (v->type->kind == M2C_ABI_INT) {
            if (!m2c_i256_to_i64(&s64, &v->word)) return M2C_ERR_RANGE;
            put_int(r, c, s64);
        } else {
            if (!m2c_u256_to_u64(&u64, &v->word) || u64 > INT64_MAX) return M2C_ERR_RANGE;
            put_int(r, c, (int64_t)u64);
        }
        return M2C_OK;
    }
    case XP_BIG:
        return put_num(r, c, (long)c + 1, &v->word, v->type->kind == M2C_ABI_INT,
                       decimals < 0 ? 0 : decimals);
    case XP_BOOL: put_int(r, c, !m2c_u256_is_zero(&v->word)); return M2C_OK;
    case XP_ADDRESS:
    case XP_BYTES: return put_hex(r, c, v->bytes, v->len);
    case XP_STRING:
        if (v->hashed || !valid_text(v->bytes, v->len)) return put_hex(r, c, v->bytes, v->len);
        return put_text(r, c, (const char *)v->bytes, v->len);
    case XP_OTHER: {
        m2c_buf_reset(scratch);
        m2c_status st = m2c_abi_value_format(scratch, v);
        if (st) return st;
        return put_text(r, c, (const char *)scratch->p, scratch->len);
    }
    }
    return M2C_ERR_INVALID;
}

/* Starts slice c->nslices, with room for the rows of `logs` logs of about `per` bytes of text
 * each: rows go there from now on, and the shared text of the slice before is not reused. */
static m2c_status slice_start(const xschema *x, xchunk *c, xrow *r, size_t logs, size_t per,
                              m2c_err *err) {
    xbatch *b = &c->slices[c->nslices];
    m2c_buf_init(&b->text, 1u << 30);
    r->b = b;
    r->base = 0;
    r->block_hash.ok = r->tx_hash.ok = r->address.ok = 0;
    return logs ? xbatch_reserve(b, logs, logs * x->maxcols, logs * per, err) : M2C_OK;
}

/* Completes the slice being built, then tells `ready` (which may be NULL). */
static m2c_status slice_done(const xschema *x, xchunk *c, xrow *r, const xready *ready,
                             m2c_err *err) {
    xbatch *b = r->b;
    b->text.len = r->base; /* nothing of a row not kept */
    m2c_status st = xbatch_finish(b, x->tables, x->ntables, err);
    if (st) return st;
    c->nrows += b->nrows;
    c->nslices++;
    if (ready && ready->fn) ready->fn(ready->ctx, c->nslices);
    return M2C_OK;
}

static m2c_status write_logs(const xschema *x, const m2c_extract_opts *o, xchunk *c, xrow *r,
                             const xready *ready, m2c_err *err) {
    m2c_status st = M2C_OK;
    m2c_arena a;
    m2c_buf scratch;
    m2c_arena_init(&a, 64 << 20);
    m2c_buf_init(&scratch, 16 << 20);
    /* the text of a slice is reserved from its share of an estimate made once: it only has to
     * be close (a slice grows its text if it needs more) */
    size_t text = 0, in_slice = 0;
    for (size_t p = 0; p < c->nparts; p++)
        for (size_t i = 0; i < c->parts[p].n; i++)
            text += 4 * c->parts[p].v[i].data_len + 66 * c->parts[p].v[i].n_topics + 400;
    size_t per = c->nlogs ? text / (size_t)c->nlogs + 1 : 0, left = (size_t)c->nlogs;
    if ((st = slice_start(x, c, r, left < X_SLICE_LOGS ? left : X_SLICE_LOGS, per, err))) goto out;
    for (size_t p = 0; p < c->nparts; p++) {
        for (size_t i = 0; i < c->parts[p].n; i++) {
            if (in_slice == X_SLICE_LOGS) {
                left -= in_slice;
                in_slice = 0;
                if ((st = slice_done(x, c, r, ready, err)) ||
                    (st =
                         slice_start(x, c, r, left < X_SLICE_LOGS ? left : X_SLICE_LOGS, per, err)))
                    goto out;
            }
            in_slice++;
            const m2c_rpc_log *l = &c->parts[p].v[i];
            const m2c_rpc_block *b = find_block(c, l->block_number);
            if (!b) {
                st = m2c_err_set(err, M2C_ERR_STATE, "no block %llu fetched for log %zu",
                                 (unsigned long long)l->block_number, i);
                goto out;
            }
            if (!x->nevents) {
                if ((st = row_reset(r, N_LOG_RAW)) || (st = raw_log_cells(r, l, b))) goto nomem;
                if ((st = row_write(r, 0, err))) goto out;
                continue;
            }
            /* the first event that decodes the log wins: named events by topic0 first,
             * then anonymous ones */
            int done = 0;
            m2c_err derr; /* why the log did not decode: only msg is read, when set */
            derr.msg[0] = 0;
            for (int pass = 0; pass < 2 && !done; pass++) {
                for (size_t e = 0; e < x->nevents && !done; e++) {
                    const xevent *xe = &x->events[e];
                    if (xe->sig->anonymous != pass) continue;
                    if (!pass &&
                        (l->n_topics == 0 || memcmp(l->topics[0].b, xe->sig->topic0.b, 32) != 0))
                        continue;
                    m2c_abi_value v;
                    m2c_err e1;
                    /* the decoded values only live until the row is built: the arena starts
                     * over for each attempt in the same (cache-hot) memory */
                    m2c_arena_reset(&a);
                    if (m2c_abi_decode_log(&a, &v, xe->sig, l->topics, l->n_topics, l->data,
                                           l->data_len, 0, &e1) != M2C_OK) {
                        if (!derr.msg[0] || !pass) derr = e1;
                        continue;
                    }
                    const m2c_sink_table *tb = &x->tables[xe->table];
                    if ((st = row_reset(r, tb->ncols)) || (st = raw_log_cells(r, l, b))) goto nomem;
                    int bad = 0;
                    for (size_t k = 0; k < v.n && !bad; k++) {
                        m2c_status pst = param_cells(r, xe, k, &v.items[k], o->decimals, &scratch);
                        if (pst == M2C_ERR_NOMEM) goto nomem;
                        if (pst) {
                            bad = 1;
                            m2c_err_set(&derr, pst, "%s: parameter %zu does not fit its column",
                                        xe->sig->name, k);
                        }
                    }
                    if (bad) continue;
                    if ((st = row_write(r, xe->table, err))) goto out;
                    done = 1;
                }
            }
            if (!done) {
                if ((st = row_reset(r, N_LOG_RAW + 1)) || (st = raw_log_cells(r, l, b))) goto nomem;
                const char *m = derr.msg[0] ? derr.msg : "no event of the ABI matches topic0";
                if ((st = put_text(r, N_LOG_RAW, m, strlen(m)))) goto nomem;
                if ((st = row_write(r, x->undecoded_table, err))) goto out;
                r->b->undecoded++;
            }
        }
    }
    st = slice_done(x, c, r, ready, err);
    goto out;
nomem:
    st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory building rows");
out:
    m2c_arena_free(&a);
    m2c_buf_free(&scratch);
    return st;
}

static m2c_status write_blocks(const m2c_extract_opts *o, const xchunk *c, xrow *r, m2c_err *err) {
    m2c_status st;
    for (size_t i = 0; i < c->nblocks; i++) {
        const m2c_rpc_block *b = &c->blocks[i];
        if (b->number < c->from || b->number > c->to) continue;
        if ((st = row_reset(r, N_BLOCK_COLS))) goto nomem;
        put_int(r, 0, (int64_t)b->number);
        if ((st = put_hex(r, 1, b->hash.b, 32)) || (st = put_hex(r, 2, b->parent_hash.b, 32)))
            goto nomem;
        put_int(r, 3, (int64_t)b->timestamp);
        if ((st = put_hex(r, 4, b->miner.b, 20))) goto nomem;
        put_int(r, 5, (int64_t)b->gas_used);
        put_int(r, 6, (int64_t)b->gas_limit);
        if (b->has_base_fee) {
            if ((st = put_num(r, 7, 8, &b->base_fee_per_gas, 0, o->decimals < 0 ? 0 : o->decimals)))
                goto nomem;
        } else {
            r->v[7].null = r->v[8].null = 1;
        }
        put_int(r, 9, (int64_t)b->tx_count);
        if ((st = row_write(r, 0, err))) return st;
    }
    return M2C_OK;
nomem:
    return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory building rows");
}

static m2c_status write_txs(const m2c_extract_opts *o, const xchunk *c, xrow *r, m2c_err *err) {
    m2c_status st;
    size_t k = 0; /* receipt index */
    int dec = o->decimals < 0 ? 18 : o->decimals;
    for (size_t i = 0; i < c->nblocks; i++) {
        const m2c_rpc_block *b = &c->blocks[i];
        if (b->number < c->from || b->number > c->to) continue;
        for (size_t j = 0; j < b->tx_count; j++, k++) {
            const m2c_rpc_tx *t = &b->txs[j];
            if (k >= c->nreceipts || memcmp(c->receipts[k].transaction_hash.b, t->hash.b, 32) != 0)
                return m2c_err_set(err, M2C_ERR_PROTOCOL,
                                   "block %llu: receipt %zu does not match transaction %zu",
                                   (unsigned long long)b->number, k, j);
            const m2c_rpc_receipt *rc = &c->receipts[k];
            if ((st = row_reset(r, N_TX_COLS))) goto nomem;
            put_int(r, 0, (int64_t)b->number);
            put_int(r, 1, (int64_t)b->timestamp);
            if ((st = put_hex_memo(r, 2, b->hash.b, 32, &r->block_hash))) goto nomem;
            put_int(r, 3, (int64_t)t->transaction_index);
            if ((st = put_hex(r, 4, t->hash.b, 32))) goto nomem;
            put_int(r, 5, t->type);
            if ((st = put_hex(r, 6, t->from.b, 20))) goto nomem;
            if (t->has_to) {
                if ((st = put_hex(r, 7, t->to.b, 20))) goto nomem;
            } else {
                r->v[7].null = 1;
            }
            if ((st = put_num(r, 8, 9, &t->value, 0, dec))) goto nomem;
            put_int(r, 10, (int64_t)t->nonce);
            put_int(r, 11, (int64_t)t->gas);
            if (t->has_gas_price) {
                if ((st = put_num(r, 12, -1, &t->gas_price, 0, 0))) goto nomem;
            } else {
                r->v[12].null = 1;
            }
            if (t->has_1559_fees) {
                if ((st = put_num(r, 13, -1, &t->max_fee_per_gas, 0, 0)) ||
                    (st = put_num(r, 14, -1, &t->max_priority_fee_per_gas, 0, 0)))
                    goto nomem;
            } else {
                r->v[13].null = r->v[14].null = 1;
            }
            if ((st = put_hex(r, 15, t->input, t->input_len))) goto nomem;
            if (rc->status >= 0)
                put_int(r, 16, rc->status);
            else
                r->v[16].null = 1;
            put_int(r, 17, (int64_t)rc->gas_used);
            put_int(r, 18, (int64_t)rc->cumulative_gas_used);
            if (rc->has_effective_gas_price) {
                if ((st = put_num(r, 19, 20, &rc->effective_gas_price, 0, 0))) goto nomem;
            } else {
                r->v[19].null = r->v[20].null = 1;
            }
            if (rc->has_contract_address) {
                if ((st = put_hex(r, 21, rc->contract_address.b, 20))) goto nomem;
            } else {
                r->v[21].null = 1;
            }
            if ((st = row_write(r, 0, err))) return st;
        }
    }
    return M2C_OK;
nomem:
    return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory building rows");
}

m2c_status m2c_xrows_build(const xschema *x, const m2c_extract_opts *o, xchunk *c,
                           const xready *ready, m2c_err *err) {
    xrow r = {0};
    for (size_t i = 0; i < c->capslices; i++)
        m2c_xbatch_free(&c->slices[i]);
    free(c->slices);
    c->nslices = 0;
    c->nrows = 0;
    c->capslices = o->kind == M2C_EXTRACT_LOGS && c->nlogs > X_SLICE_LOGS
                       ? (size_t)((c->nlogs + X_SLICE_LOGS - 1) / X_SLICE_LOGS)
                       : 1;
    c->slices = calloc(c->capslices, sizeof *c->slices);
    if (!c->slices) {
        c->capslices = 0;
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory building rows");
    }
    if (o->kind == M2C_EXTRACT_LOGS) return write_logs(x, o, c, &r, ready, err);
    m2c_status st = slice_start(x, c, &r, 0, 0, err);
    if (st) return st;
    st = o->kind == M2C_EXTRACT_BLOCKS ? write_blocks(o, c, &r, err) : write_txs(o, c, &r, err);
    return st ? st : slice_done(x, c, &r, ready, err);
}

m2c_status m2c_xrows_write(const xschema *x, m2c_sink *s, const xbatch *b, uint64_t *rows,
                           uint64_t *undecoded, m2c_err *err) {
    /* table by table (each in chain order), so the sink can store many rows at once */
    for (size_t t = 0; t < x->ntables && t < b->ntables; t++) {
        size_t n = b->tstart[t + 1] - b->tstart[t];
        m2c_status st = n ? m2c_sink_row_batch(s, t, b->run + b->tstart[t], n, err) : M2C_OK;
        if (st) return st;
    }
    *rows += b->nrows;
    *undecoded += b->undecoded;
    return M2C_OK;
}
