/* sink.c: the backend-independent half of the sink (see sink.h): dispatch by target, the
 * committed ranges, row counts, provenance keys and the chunk's block hashes. */
#include "sink_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(m2c_col_type t) {
    switch (t) {
    case M2C_COL_INT: return "int";
    case M2C_COL_REAL: return "real";
    case M2C_COL_TEXT: return "text";
    case M2C_COL_NUMERIC: return "numeric";
    case M2C_COL_BOOL: return "bool";
    }
    return "?";
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static const m2c_sink_ops *pick_ops(const char *target) {
    if (!strncmp(target, "postgres://", 11) || !strncmp(target, "postgresql://", 13))
        return &m2c_sink_pg_ops;
    if (ends_with(target, ".csv")) return &m2c_sink_csv_ops;
    if (ends_with(target, ".jsonl")) return &m2c_sink_jsonl_ops;
    return &m2c_sink_sqlite_ops;
}

static m2c_status check_schema(const m2c_sink_schema *sc, m2c_err *err) {
    if (!sc || !sc->identity || !sc->tables || sc->ntables == 0)
        return m2c_err_set(err, M2C_ERR_INVALID, "sink: empty schema");
    for (size_t t = 0; t < sc->ntables; t++) {
        const m2c_sink_table *tb = &sc->tables[t];
        if (!tb->name || !*tb->name || tb->ncols == 0 || tb->block_col >= tb->ncols)
            return m2c_err_set(err, M2C_ERR_INVALID, "sink: table %zu is malformed", t);
        if (tb->name[0] == '_')
            return m2c_err_set(err, M2C_ERR_INVALID,
                               "sink: table name '%s' is reserved (leading '_')", tb->name);
        for (size_t u = 0; u < t; u++)
            if (!strcmp(sc->tables[u].name, tb->name))
                return m2c_err_set(err, M2C_ERR_INVALID, "sink: table '%s' appears twice",
                                   tb->name);
        for (size_t c = 0; c < tb->ncols; c++) {
            if (!tb->cols[c].name || !*tb->cols[c].name)
                return m2c_err_set(err, M2C_ERR_INVALID, "sink: table '%s' column %zu unnamed",
                                   tb->name, c);
            for (size_t d = 0; d < c; d++)
                if (!strcmp(tb->cols[d].name, tb->cols[c].name))
                    return m2c_err_set(err, M2C_ERR_INVALID,
                                       "sink: table '%s' has column '%s' twice", tb->name,
                                       tb->cols[c].name);
        }
    }
    return M2C_OK;
}

m2c_status m2c_sink_open(m2c_sink **out, const char *target, const m2c_sink_schema *schema,
                         m2c_err *err) {
    return m2c_sink_open_ex(out, target, schema, 0, err);
}

m2c_status m2c_sink_open_ex(m2c_sink **out, const char *target, const m2c_sink_schema *schema,
                            unsigned flags, m2c_err *err) {
    m2c_status st;
    m2c_sink *s = NULL;
    m2c_buf b;
    m2c_buf_init(&b, 1 << 20);
    *out = NULL;
    if ((st = check_schema(schema, err)) != M2C_OK) goto out;
    if (!target || !*target) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "sink: empty output name");
        goto out;
    }
    st = M2C_ERR_NOMEM;
    if (!(s = calloc(1, sizeof *s))) goto out;
    s->ops = pick_ops(target);
    s->schema = schema;
    s->flags = flags;
    if (!(s->target = strdup(target)) || !(s->identity = strdup(schema->identity))) goto out;
    if (!(s->rows = calloc(schema->ntables, sizeof *s->rows))) goto out;
    if (!(s->pending = calloc(schema->ntables, sizeof *s->pending))) goto out;
    for (size_t t = 0; t < schema->ntables; t++) {
        const m2c_sink_table *tb = &schema->tables[t];
        if (m2c_buf_printf(&b, "%s%s(", t ? ";" : "", tb->name) != M2C_OK) goto out;
        for (size_t c = 0; c < tb->ncols; c++)
            if (m2c_buf_printf(&b, "%s%s %s", c ? "," : "", tb->cols[c].name,
                               type_name(tb->cols[c].type)) != M2C_OK)
                goto out;
        if (m2c_buf_append_byte(&b, ')') != M2C_OK) goto out;
    }
    if (!(s->schema_text = (char *)m2c_buf_take(&b, NULL))) goto out;
    if ((st = s->ops->open(s, target, err)) != M2C_OK) goto out;
    *out = s;
    s = NULL;
    st = M2C_OK;
out:
    if (st == M2C_ERR_NOMEM && err && err->code == M2C_OK)
        m2c_err_set(err, st, "sink: out of memory");
    m2c_buf_free(&b);
    if (s) {
        s->ops = NULL; /* the backend failed to open: nothing of it to close */
        m2c_sink_close(s);
    }
    return st;
}

void m2c_sink_close(m2c_sink *s) {
    if (!s) return;
    if (s->ops && s->ops->close) s->ops->close(s);
    for (size_t i = 0; i < s->nmeta; i++) {
        free(s->meta[i].key);
        free(s->meta[i].value);
    }
    free(s->meta);
    free(s->blocks);
    free(s->done);
    free(s->rows);
    free(s->pending);
    free(s->schema_text);
    free(s->identity);
    free(s->target);
    free(s);
}

const char *m2c_sink_kind(const m2c_sink *s) {
    return s->ops->kind;
}

const m2c_block_range *m2c_sink_done(const m2c_sink *s, size_t *n) {
    *n = s->ndone;
    return s->done;
}

uint64_t m2c_sink_rows(const m2c_sink *s, size_t t) {
    return t < s->schema->ntables ? s->rows[t] : 0;
}

m2c_status m2c_sink_block_hash(m2c_sink *s, char out[67], uint64_t number, m2c_err *err) {
    out[0] = 0;
    return s->ops->block_hash(s, out, number, err);
}

m2c_status m2c_sink_block_before(m2c_sink *s, uint64_t *out, uint64_t at_most, m2c_err *err) {
    *out = 0;
    return s->ops->block_before(s, out, at_most, err);
}

m2c_status m2c_sink_begin(m2c_sink *s, m2c_err *err) {
    if (s->in_chunk) return m2c_err_set(err, M2C_ERR_STATE, "sink: chunk already open");
    m2c_status st = s->ops->begin(s, err);
    if (st != M2C_OK) return st;
    s->in_chunk = 1;
    s->nblocks = 0;
    memset(s->pending, 0, s->schema->ntables * sizeof *s->pending);
    return M2C_OK;
}

m2c_status m2c_sink_row(m2c_sink *s, size_t t, const m2c_sink_val *vals, m2c_err *err) {
    if (!s->in_chunk) return m2c_err_set(err, M2C_ERR_STATE, "sink: row outside a chunk");
    if (t >= s->schema->ntables) return m2c_err_set(err, M2C_ERR_INVALID, "sink: no table %zu", t);
    m2c_status st = s->ops->row(s, t, vals, err);
    if (st == M2C_OK) s->pending[t]++;
    return st;
}

m2c_status m2c_sink_row_batch(m2c_sink *s, size_t t, const m2c_sink_val *const *rows, size_t n,
                              m2c_err *err) {
    if (!s->in_chunk) return m2c_err_set(err, M2C_ERR_STATE, "sink: row outside a chunk");
    if (t >= s->schema->ntables) return m2c_err_set(err, M2C_ERR_INVALID, "sink: no table %zu", t);
    if (!s->ops->rows) {
        for (size_t i = 0; i < n; i++) {
            m2c_status st = m2c_sink_row(s, t, rows[i], err);
            if (st) return st;
        }
        return M2C_OK;
    }
    m2c_status st = s->ops->rows(s, t, rows, n, err);
    if (st == M2C_OK) s->pending[t] += n;
    return st;
}

m2c_status m2c_sink_block(m2c_sink *s, uint64_t number, const char *hash, m2c_err *err) {
    if (!s->in_chunk) return m2c_err_set(err, M2C_ERR_STATE, "sink: block outside a chunk");
    int ok = hash && strlen(hash) == 66 && hash[0] == '0' && hash[1] == 'x';
    for (size_t i = 2; ok && i < 66; i++)
        ok = strchr("0123456789abcdefABCDEF", hash[i]) != NULL;
    if (!ok)
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "sink: block %llu: hash must be 0x + 64 hex digits",
                           (unsigned long long)number);
    if (s->nblocks == s->capblocks) {
        size_t nc = s->capblocks ? s->capblocks * 2 : 64;
        m2c_sink_blockhash *nb = realloc(s->blocks, nc * sizeof *nb);
        if (!nb) return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
        s->blocks = nb;
        s->capblocks = nc;
    }
    s->blocks[s->nblocks].number = number;
    memcpy(s->blocks[s->nblocks].hash, hash, 67);
    s->nblocks++;
    return M2C_OK;
}

m2c_status m2c_sink_set_meta_(m2c_sink *s, const char *key, const char *value) {
    for (size_t i = 0; i < s->nmeta; i++) {
        if (strcmp(s->meta[i].key, key)) continue;
        char *v = strdup(value);
        if (!v) return M2C_ERR_NOMEM;
        free(s->meta[i].value);
        s->meta[i].value = v;
        return M2C_OK;
    }
    if (s->nmeta == s->capmeta) {
        size_t nc = s->capmeta ? s->capmeta * 2 : 16;
        m2c_sink_kv *nm = realloc(s->meta, nc * sizeof *nm);
        if (!nm) return M2C_ERR_NOMEM;
        s->meta = nm;
        s->capmeta = nc;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return M2C_ERR_NOMEM;
    }
    s->meta[s->nmeta].key = k;
    s->meta[s->nmeta].value = v;
    s->nmeta++;
    return M2C_OK;
}

const char *m2c_sink_get_meta_(const m2c_sink *s, const char *key) {
    for (size_t i = 0; i < s->nmeta; i++)
        if (!strcmp(s->meta[i].key, key)) return s->meta[i].value;
    return NULL;
}

m2c_status m2c_sink_check_same_(const m2c_sink *s, const char *id, const char *sc, const char *what,
                                const char *instead, m2c_err *err) {
    if (!id || strcmp(id, s->identity))
        return m2c_err_set(err, M2C_ERR_STATE, "%s holds another dataset (%s), not %s; choose %s",
                           what, id ? id : "unknown", s->identity, instead);
    if (!sc || strcmp(sc, s->schema_text))
        return m2c_err_set(err, M2C_ERR_STATE,
                           "%s holds the same filter with other tables/columns (%s); choose %s",
                           what, sc ? sc : "unknown", instead);
    return M2C_OK;
}

void m2c_sink_load_rows_(m2c_sink *s) {
    for (size_t t = 0; t < s->schema->ntables; t++) {
        char key[300];
        snprintf(key, sizeof key, "rows.%s", s->schema->tables[t].name);
        const char *v = m2c_sink_get_meta_(s, key);
        s->rows[t] = v ? strtoull(v, NULL, 10) : 0;
    }
}

m2c_status m2c_sink_rewind_sql_(m2c_buf *b, uint64_t from, m2c_err *err) {
    if (m2c_buf_printf(b,
                       "DELETE FROM _m2c_blocks WHERE number >= %llu;"
                       "DELETE FROM _m2c_checkpoints WHERE from_block >= %llu;"
                       "UPDATE _m2c_checkpoints SET to_block = %llu WHERE to_block >= %llu;",
                       (unsigned long long)from, (unsigned long long)from,
                       (unsigned long long)(from - 1), (unsigned long long)from) != M2C_OK)
        return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    return M2C_OK;
}

m2c_status m2c_sink_rewind_meta_(m2c_sink *s, const uint64_t *removed, m2c_err *err) {
    for (size_t t = 0; t < s->schema->ntables; t++) {
        char key[300], num[32];
        snprintf(key, sizeof key, "rows.%s", s->schema->tables[t].name);
        snprintf(num, sizeof num, "%llu", (unsigned long long)(s->rows[t] - removed[t]));
        if (m2c_sink_set_meta_(s, key, num) != M2C_OK)
            return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    }
    return M2C_OK;
}

const char *m2c_sink_meta_get(const m2c_sink *s, const char *key) {
    return m2c_sink_get_meta_(s, key);
}

m2c_status m2c_sink_meta(m2c_sink *s, const char *key, const char *value, m2c_err *err) {
    if (!key || !*key || !value)
        return m2c_err_set(err, M2C_ERR_INVALID, "sink: empty provenance key");
    if (!strncmp(key, "rows.", 5) || !strcmp(key, "identity") || !strcmp(key, "schema"))
        return m2c_err_set(err, M2C_ERR_INVALID, "sink: provenance key '%s' is reserved", key);
    if (m2c_sink_set_meta_(s, key, value) != M2C_OK)
        return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    return M2C_OK;
}

m2c_status m2c_sink_commit(m2c_sink *s, uint64_t from, uint64_t to, m2c_err *err) {
    if (!s->in_chunk) return m2c_err_set(err, M2C_ERR_STATE, "sink: commit outside a chunk");
    if (from > to)
        return m2c_err_set(err, M2C_ERR_INVALID, "sink: reversed checkpoint %llu..%llu",
                           (unsigned long long)from, (unsigned long long)to);
    char num[32];
    for (size_t t = 0; t < s->schema->ntables; t++) {
        char key[300];
        snprintf(key, sizeof key, "rows.%s", s->schema->tables[t].name);
        snprintf(num, sizeof num, "%llu", (unsigned long long)(s->rows[t] + s->pending[t]));
        if (m2c_sink_set_meta_(s, key, num) != M2C_OK)
            return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    }
    m2c_status st = s->ops->commit(s, from, to, err);
    s->in_chunk = 0;
    s->nblocks = 0;
    if (st != M2C_OK) {
        memset(s->pending, 0, s->schema->ntables * sizeof *s->pending);
        return st;
    }
    for (size_t t = 0; t < s->schema->ntables; t++)
        s->rows[t] += s->pending[t];
    memset(s->pending, 0, s->schema->ntables * sizeof *s->pending);
    if (m2c_sink_add_done_(s, from, to) != M2C_OK)
        return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    return M2C_OK;
}

m2c_status m2c_sink_flush(m2c_sink *s, m2c_err *err) {
    if (s->in_chunk) return m2c_err_set(err, M2C_ERR_STATE, "sink: flush inside a chunk");
    return s->ops->flush ? s->ops->flush(s, err) : M2C_OK;
}

m2c_status m2c_sink_rewind(m2c_sink *s, uint64_t from, m2c_err *err) {
    if (s->in_chunk) return m2c_err_set(err, M2C_ERR_STATE, "sink: rewind inside a chunk");
    return s->ops->rewind(s, from, err);
}

m2c_status m2c_sink_add_done_(m2c_sink *s, uint64_t from, uint64_t to) {
    if (s->ndone == s->capdone) {
        size_t nc = s->capdone ? s->capdone * 2 : 16;
        m2c_block_range *nd = realloc(s->done, nc * sizeof *nd);
        if (!nd) return M2C_ERR_NOMEM;
        s->done = nd;
        s->capdone = nc;
    }
    /* insert sorted by from, then merge overlapping or adjacent neighbours */
    size_t i = s->ndone;
    while (i > 0 && s->done[i - 1].from > from) {
        s->done[i] = s->done[i - 1];
        i--;
    }
    s->done[i].from = from;
    s->done[i].to = to;
    s->ndone++;
    size_t w = 0;
    for (size_t r = 1; r < s->ndone; r++) {
        if (s->done[w].to == UINT64_MAX || s->done[r].from <= s->done[w].to + 1) {
            if (s->done[r].to > s->done[w].to) s->done[w].to = s->done[r].to;
        } else {
            s->done[++w] = s->done[r];
        }
    }
    s->ndone = w + 1;
    return M2C_OK;
}

void m2c_sink_trim_done_(m2c_sink *s, uint64_t from) {
    size_t w = 0;
    for (size_t r = 0; r < s->ndone; r++) {
        if (s->done[r].from >= from) continue;
        s->done[w] = s->done[r];
        if (s->done[w].to >= from) s->done[w].to = from - 1;
        w++;
    }
    s->ndone = w;
}

m2c_status m2c_json_quote_(m2c_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    m2c_status st = m2c_buf_reserve(b, n + 2);
    if (st != M2C_OK) return st;
    b->p[b->len++] = '"';
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            size_t j = i;
            while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\')
                j++;
            if ((st = m2c_buf_append(b, p + i, j - i)) != M2C_OK) return st;
            i = j;
            continue;
        }
        if (c >= 0x80) {
            /* copy a well-formed UTF-8 sequence as is; escape a stray byte */
            size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            int ok = len > 0 && i + len <= n;
            for (size_t k = 1; ok && k < len; k++)
                ok = (p[i + k] & 0xc0) == 0x80;
            if (ok && len == 3 && c == 0xe0 && p[i + 1] < 0xa0) ok = 0;
            if (ok && len == 3 && c == 0xed && p[i + 1] >= 0xa0) ok = 0;
            if (ok && len == 4 && c == 0xf0 && p[i + 1] < 0x90) ok = 0;
            if (ok && len == 4 && c == 0xf4 && p[i + 1] >= 0x90) ok = 0;
            if (ok) {
                if ((st = m2c_buf_append(b, p + i, len)) != M2C_OK) return st;
                i += len;
                continue;
            }
        }
        char esc[8];
        size_t en = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            en = 6;
        }
        if ((st = m2c_buf_append(b, esc, en)) != M2C_OK) return st;
        i++;
    }
    return m2c_buf_append_byte(b, '"');
}

m2c_status m2c_sql_ident_(m2c_buf *b, const char *name) {
    m2c_status st = m2c_buf_append_byte(b, '"');
    for (const char *p = name; st == M2C_OK && *p; p++) {
        if (*p == '"') st = m2c_buf_append_byte(b, '"');
        if (st == M2C_OK) st = m2c_buf_append_byte(b, (uint8_t)*p);
    }
    return st == M2C_OK ? m2c_buf_append_byte(b, '"') : st;
}

size_t m2c_fmt_double_(char out[32], double d) {
    int n = snprintf(out, 32, "%.17g", d);
    return n < 0 ? 0 : (size_t)n;
}
