/* abi_codec.c: the ABI binary codec (strict decoder, encoder) and event log decoding; see
 * abi.h. The decoder treats its input as hostile: every offset, length and count is checked
 * against the bytes that remain before anything is allocated, and the number of value nodes
 * one decode may create is capped, so aliasing offsets cannot amplify work without bound. */
#include "ml2chain/abi.h"

#include <string.h>

#include "ml2chain/keccak.h"

/* Value nodes one decode may create (arrays of zero-size elements, or offsets pointing at the
 * same data many times, could otherwise turn a few bytes into unbounded work). */
#define MAX_NODES ((size_t)1 << 20)

typedef struct {
    m2c_arena *a;
    const uint8_t *d;
    size_t len;
    unsigned flags;
    size_t nodes;
    m2c_err *err;
} dctx;

static m2c_u256 word_from_be(const uint8_t *p) {
    m2c_u256 v;
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++) w = (w << 8) | p[(3 - i) * 8 + j];
        v.w[i] = w;
    }
    return v;
}

static void word_to_be(uint8_t *p, const m2c_u256 *v) {
    for (int i = 0; i < 4; i++) {
        uint64_t w = v->w[i];
        for (int j = 7; j >= 0; j--) {
            p[(3 - i) * 8 + j] = (uint8_t)w;
            w >>= 8;
        }
    }
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t b) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != b) return 0;
    return 1;
}

static const char *kind_name(const m2c_abi_type *t) {
    switch (t->kind) {
    case M2C_ABI_UINT: return "uint";
    case M2C_ABI_INT: return "int";
    case M2C_ABI_ADDRESS: return "address";
    case M2C_ABI_BOOL: return "bool";
    case M2C_ABI_FBYTES: return "bytesN";
    case M2C_ABI_BYTES: return "bytes";
    case M2C_ABI_STRING: return "string";
    case M2C_ABI_ARRAY: return "array";
    case M2C_ABI_FARRAY: return "fixed array";
    case M2C_ABI_TUPLE: return "tuple";
    }
    return "?";
}

static m2c_status need(dctx *c, size_t at, size_t n, const char *what) {
    if (at > c->len || n > c->len - at)
        return m2c_err_at(c->err, M2C_ERR_TRUNCATED, at,
                          "abi decode: %s at offset %zu needs %zu bytes, data has %zu", what, at,
                          n, c->len);
    return M2C_OK;
}

/* Reads a word that must hold an offset or length small enough to index the data. */
static m2c_status read_size(dctx *c, size_t at, size_t *out, const char *what) {
    m2c_status st = need(c, at, 32, what);
    if (st) return st;
    const uint8_t *p = c->d + at;
    if (!all_bytes(p, 24, 0))
        return m2c_err_at(c->err, M2C_ERR_RANGE, at, "abi decode: %s at offset %zu is too large",
                          what, at);
    uint64_t v = 0;
    for (int i = 24; i < 32; i++) v = (v << 8) | p[i];
    if (v > c->len)
        return m2c_err_at(c->err, M2C_ERR_RANGE, at,
                          "abi decode: %s %llu at offset %zu exceeds the data (%zu bytes)", what,
                          (unsigned long long)v, at, c->len);
    *out = (size_t)v;
    return M2C_OK;
}

static m2c_status decode_value(dctx *c, m2c_abi_value *v, const m2c_abi_type *t, size_t at);

static m2c_status count_nodes(dctx *c, size_t n, size_t at) {
    if (n > MAX_NODES - c->nodes)
        return m2c_err_at(c->err, M2C_ERR_NOMEM, at,
                          "abi decode: more than %zu values at offset %zu", MAX_NODES, at);
    c->nodes += n;
    return M2C_OK;
}

/* Decodes n items laid out head/tail from `base` (offsets are relative to base). */
static m2c_status decode_seq(dctx *c, m2c_abi_value *items, size_t n, const m2c_abi_type *elem,
                             const m2c_abi_field *fields, size_t base) {
    m2c_status st;
    size_t pos = base;
    for (size_t i = 0; i < n; i++) {
        const m2c_abi_type *t = fields ? fields[i].type : elem;
        if (t->dynamic) {
            size_t off;
            if ((st = read_size(c, pos, &off, "offset"))) return st;
            if (off > c->len - base)
                return m2c_err_at(c->err, M2C_ERR_RANGE, pos,
                                  "abi decode: offset %zu at %zu points past end of data (%zu "
                                  "bytes)",
                                  off, pos, c->len);
            if ((st = decode_value(c, &items[i], t, base + off))) return st;
            pos += 32;
        } else {
            if ((st = decode_value(c, &items[i], t, pos))) return st;
            pos += t->head_size;
        }
    }
    return M2C_OK;
}

static m2c_status decode_word(dctx *c, m2c_abi_value *v, const m2c_abi_type *t, size_t at) {
    m2c_status st = need(c, at, 32, kind_name(t));
    if (st) return st;
    const uint8_t *p = c->d + at;
    int strict = !(c->flags & M2C_ABI_LENIENT);
    switch (t->kind) {
    case M2C_ABI_UINT:
        if (strict && !all_bytes(p, 32 - t->bits / 8, 0))
            return m2c_err_at(c->err, M2C_ERR_NONCANONICAL, at,
                              "abi decode: uint%u at offset %zu has non-zero padding", t->bits,
                              at);
        v->word = word_from_be(p);
        break;
    case M2C_ABI_INT: {
        size_t padn = 32 - t->bits / 8;
        uint8_t fill = (p[padn] & 0x80) ? 0xff : 0x00;
        if (strict && !all_bytes(p, padn, fill))
            return m2c_err_at(c->err, M2C_ERR_NONCANONICAL, at,
                              "abi decode: int%u at offset %zu is not sign-extended", t->bits,
                              at);
        v->word = word_from_be(p);
        break;
    }
    case M2C_ABI_ADDRESS:
        if (strict && !all_bytes(p, 12, 0))
            return m2c_err_at(c->err, M2C_ERR_NONCANONICAL, at,
                              "abi decode: address at offset %zu has non-zero padding", at);
        v->bytes = p + 12;
        v->len = 20;
        break;
    case M2C_ABI_BOOL:
        if (strict && (!all_bytes(p, 31, 0) || p[31] > 1))
            return m2c_err_at(c->err, M2C_ERR_NONCANONICAL, at,
                              "abi decode: bool at offset %zu is neither 0 nor 1", at);
        v->word.w[0] = !all_bytes(p, 32, 0);
        break;
    case M2C_ABI_FBYTES:
        if (strict && !all_bytes(p + t->size, 32 - t->size, 0))
            return m2c_err_at(c->err, M2C_ERR_NONCANONICAL, at,
                              "abi decode: bytes%zu at offset %zu has non-zero padding", t->size,
                              at);
        v->bytes = p;
        v->len = t->size;
        break;
    default: break;
    }
    return M2C_OK;
}

static m2c_status decode_value(dctx *c, m2c_abi_value *v, const m2c_abi_type *t, size_t at) {
    m2c_status st;
    v->type = t;
    switch (t->kind) {
    case M2C_ABI_UINT:
    case M2C_ABI_INT:
    case M2C_ABI_ADDRESS:
    case M2C_ABI_BOOL:
    case M2C_ABI_FBYTES: return decode_word(c, v, t, at);
    case M2C_ABI_BYTES:
    case M2C_ABI_STRING: {
        size_t n;
        if ((st = read_size(c, at, &n, "length"))) return st;
        size_t body = at + 32;
        if (n > c->len - body)
            return m2c_err_at(c->err, M2C_ERR_TRUNCATED, at,
                              "abi decode: %s length %zu at offset %zu runs past end of data "
                              "(%zu bytes)",
                              kind_name(t), n, at, c->len);
        if (!(c->flags & M2C_ABI_LENIENT)) {
            size_t padded = (n + 31) / 32 * 32;
            if (padded > c->len - body)
                return m2c_err_at(c->err, M2C_ERR_TRUNCATED, body + n,
                                  "abi decode: %s at offset %zu lacks its padding", kind_name(t),
                                  at);
            if (!all_bytes(c->d + body + n, padded - n, 0))
                return m2c_err_at(c->err, M2C_ERR_NONCANONICAL, body + n,
                                  "abi decode: %s at offset %zu has non-zero padding",
                                  kind_name(t), at);
        }
        v->bytes = c->d + body;
        v->len = n;
        return M2C_OK;
    }
    case M2C_ABI_ARRAY: {
        size_t n;
        if ((st = read_size(c, at, &n, "array length"))) return st;
        size_t base = at + 32;
        size_t per = t->elem->dynamic ? 32 : t->elem->head_size;
        /* Every element takes `per` bytes of head: a count the data cannot hold fails here,
         * before anything is allocated. */
        if (per && n > (c->len - base) / per)
            return m2c_err_at(c->err, M2C_ERR_TRUNCATED, at,
                              "abi decode: array length %zu at offset %zu needs %zu bytes per "
                              "element, %zu remain",
                              n, at, per, c->len - base);
        if ((st = count_nodes(c, n, at))) return st;
        v->items = m2c_arena_calloc(c->a, n, sizeof *v->items);
        if (!v->items)
            return m2c_err_at(c->err, M2C_ERR_NOMEM, at,
                              "abi decode: out of memory for %zu elements at offset %zu", n, at);
        v->n = n;
        return decode_seq(c, v->items, n, t->elem, NULL, base);
    }
    case M2C_ABI_FARRAY:
    case M2C_ABI_TUPLE: {
        size_t n = t->kind == M2C_ABI_FARRAY ? t->size : t->n_fields;
        if ((st = count_nodes(c, n, at))) return st;
        v->items = m2c_arena_calloc(c->a, n, sizeof *v->items);
        if (!v->items)
            return m2c_err_at(c->err, M2C_ERR_NOMEM, at,
                              "abi decode: out of memory for %zu elements at offset %zu", n, at);
        v->n = n;
        return decode_seq(c, v->items, n, t->elem, t->kind == M2C_ABI_TUPLE ? t->fields : NULL,
                          at);
    }
    }
    return m2c_err_at(c->err, M2C_ERR_INVALID, at, "abi decode: bad type");
}

m2c_status m2c_abi_decode(m2c_arena *a, m2c_abi_value *out, const m2c_abi_type *t,
                          const uint8_t *data, size_t len, unsigned flags, m2c_err *err) {
    memset(out, 0, sizeof *out);
    dctx c = {a, data, len, flags, 0, err};
    static const uint8_t empty[1];
    if (!data) c.d = empty;
    m2c_status st;
    /* A dynamic top-level value other than a tuple sits behind an offset, as if it were the one
     * component of a parameter list; a tuple is the parameter list itself. */
    if (t->dynamic && t->kind != M2C_ABI_TUPLE) {
        m2c_abi_field f = {t, "", 0};
        out->type = t;
        st = decode_seq(&c, out, 1, NULL, &f, 0);
    } else {
        st = decode_value(&c, out, t, 0);
    }
    if (st) memset(out, 0, sizeof *out);
    return st;
}

/* ---- encoding ---- */

static m2c_status encode_value(m2c_buf *b, const m2c_abi_value *v, m2c_err *err);

static m2c_status enc_nomem(m2c_err *err) {
    return m2c_err_set(err, M2C_ERR_NOMEM, "abi encode: output too large");
}

static m2c_status put_word(m2c_buf *b, const uint8_t w[32], m2c_err *err) {
    if (m2c_buf_append(b, w, 32)) return enc_nomem(err);
    return M2C_OK;
}

static m2c_status put_u64(m2c_buf *b, uint64_t x, m2c_err *err) {
    uint8_t w[32] = {0};
    for (int i = 31; i >= 24; i--, x >>= 8) w[i] = (uint8_t)x;
    return put_word(b, w, err);
}

/* Head/tail layout of n items; offsets are relative to where the head starts. */
static m2c_status encode_seq(m2c_buf *b, const m2c_abi_value *items, size_t n, m2c_err *err) {
    m2c_status st;
    size_t start = b->len;
    for (size_t i = 0; i < n; i++) {
        if (items[i].type->dynamic) {
            if ((st = put_u64(b, 0, err))) return st;
        } else if ((st = encode_value(b, &items[i], err))) {
            return st;
        }
    }
    size_t head = start;
    for (size_t i = 0; i < n; i++) {
        const m2c_abi_type *t = items[i].type;
        if (!t->dynamic) {
            head += t->head_size;
            continue;
        }
        uint64_t off = b->len - start;
        for (int k = 31; k >= 24; k--, off >>= 8) b->p[head + k] = (uint8_t)off;
        head += 32;
        if ((st = encode_value(b, &items[i], err))) return st;
    }
    return M2C_OK;
}

static m2c_status bad_value(m2c_err *err, const m2c_abi_type *t, const char *why) {
    return m2c_err_set(err, M2C_ERR_INVALID, "abi encode: %s value %s", kind_name(t), why);
}

static m2c_status encode_value(m2c_buf *b, const m2c_abi_value *v, m2c_err *err) {
    const m2c_abi_type *t = v->type;
    uint8_t w[32] = {0};
    m2c_status st;
    if (v->hashed) return bad_value(err, t, "is a topic hash and cannot be encoded");
    switch (t->kind) {
    case M2C_ABI_UINT:
    case M2C_ABI_INT:
    case M2C_ABI_BOOL:
        word_to_be(w, &v->word);
        if (t->kind == M2C_ABI_BOOL && (!all_bytes(w, 31, 0) || w[31] > 1))
            return bad_value(err, t, "is neither 0 nor 1");
        if (t->kind == M2C_ABI_UINT && !all_bytes(w, 32 - t->bits / 8, 0))
            return bad_value(err, t, "does not fit its width");
        if (t->kind == M2C_ABI_INT &&
            !all_bytes(w, 32 - t->bits / 8, (w[32 - t->bits / 8] & 0x80) ? 0xff : 0))
            return bad_value(err, t, "does not fit its width");
        return put_word(b, w, err);
    case M2C_ABI_ADDRESS:
        if (v->len != 20 || !v->bytes) return bad_value(err, t, "is not 20 bytes");
        memcpy(w + 12, v->bytes, 20);
        return put_word(b, w, err);
    case M2C_ABI_FBYTES:
        if (v->len != t->size || !v->bytes) return bad_value(err, t, "has the wrong length");
        memcpy(w, v->bytes, t->size);
        return put_word(b, w, err);
    case M2C_ABI_BYTES:
    case M2C_ABI_STRING: {
        if ((st = put_u64(b, v->len, err))) return st;
        if (v->len && m2c_buf_append(b, v->bytes, v->len)) return enc_nomem(err);
        size_t pad = (32 - v->len % 32) % 32;
        if (pad && m2c_buf_append(b, w, pad)) return enc_nomem(err);
        return M2C_OK;
    }
    case M2C_ABI_ARRAY:
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i].type != t->elem) return bad_value(err, t, "has a mistyped element");
        if ((st = put_u64(b, v->n, err))) return st;
        return encode_seq(b, v->items, v->n, err);
    case M2C_ABI_FARRAY:
        if (v->n != t->size) return bad_value(err, t, "has the wrong number of elements");
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i].type != t->elem) return bad_value(err, t, "has a mistyped element");
        return encode_seq(b, v->items, v->n, err);
    case M2C_ABI_TUPLE:
        if (v->n != t->n_fields) return bad_value(err, t, "has the wrong number of components");
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i].type != t->fields[i].type)
                return bad_value(err, t, "has a mistyped component");
        return encode_seq(b, v->items, v->n, err);
    }
    return bad_value(err, t, "has an unknown type");
}

m2c_status m2c_abi_encode(m2c_buf *b, const m2c_abi_value *v, m2c_err *err) {
    size_t len0 = b->len;
    m2c_status st;
    if (v->type->dynamic && v->type->kind != M2C_ABI_TUPLE)
        st = encode_seq(b, v, 1, err); /* as the one component of a parameter list */
    else
        st = encode_value(b, v, err);
    if (st) {
        b->len = len0; /* nothing half-written is left behind */
        if (b->p) b->p[len0] = 0;
    }
    return st;
}

m2c_status m2c_abi_encode_call(m2c_buf *b, const m2c_abi_sig *sig, const m2c_abi_value *args,
                               m2c_err *err) {
    size_t len0 = b->len;
    if (args->type != sig->inputs)
        return m2c_err_set(err, M2C_ERR_INVALID, "abi encode: arguments are not of %s's type",
                           sig->name);
    if (m2c_buf_append(b, sig->selector, 4)) return enc_nomem(err);
    m2c_status st = encode_value(b, args, err);
    if (st) {
        b->len = len0;
        if (b->p) b->p[len0] = 0;
    }
    return st;
}

/* ---- event logs ---- */

/* Indexed parameters of these kinds are stored in their topic as a word; all others (bytes,
 * string, arrays, tuples) as the keccak-256 of their encoding. */
static int topic_is_value(const m2c_abi_type *t) {
    return t->kind == M2C_ABI_UINT || t->kind == M2C_ABI_INT || t->kind == M2C_ABI_ADDRESS ||
           t->kind == M2C_ABI_BOOL || t->kind == M2C_ABI_FBYTES;
}

m2c_status m2c_abi_decode_log(m2c_arena *a, m2c_abi_value *out, const m2c_abi_sig *ev,
                              const m2c_hash32 *topics, size_t n_topics, const uint8_t *data,
                              size_t len, unsigned flags, m2c_err *err) {
    memset(out, 0, sizeof *out);
    m2c_status st;
    const m2c_abi_type *in = ev->inputs;
    size_t n_idx = 0;
    for (size_t i = 0; i < in->n_fields; i++) n_idx += in->fields[i].indexed ? 1 : 0;
    size_t first = ev->anonymous ? 0 : 1;
    if (!ev->anonymous) {
        if (n_topics == 0)
            return m2c_err_set(err, M2C_ERR_NOTFOUND, "abi log: no topics, %s expects topic0",
                               ev->name);
        if (memcmp(topics[0].b, ev->topic0.b, 32) != 0)
            return m2c_err_set(err, M2C_ERR_NOTFOUND, "abi log: topic0 is not %s's",
                               ev->canonical);
    }
    if (n_topics != n_idx + first)
        return m2c_err_set(err, M2C_ERR_PROTOCOL,
                           "abi log: %s expects %zu topics, log has %zu", ev->canonical,
                           n_idx + first, n_topics);
    if (n_topics > 4)
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "abi log: %zu topics (at most 4)", n_topics);
    /* The data holds the non-indexed parameters as one tuple. */
    m2c_abi_field dfs[M2C_ABI_MAX_FIELDS];
    size_t nd = 0;
    for (size_t i = 0; i < in->n_fields; i++)
        if (!in->fields[i].indexed) dfs[nd++] = in->fields[i];
    const m2c_abi_type *dt;
    if ((st = m2c_abi_tuple_make(a, &dt, dfs, nd, err))) return st;
    m2c_abi_value dv;
    if ((st = m2c_abi_decode(a, &dv, dt, data, len, flags, err))) {
        m2c_err_prefix(err, "%s data", ev->name);
        return st;
    }
    m2c_abi_value *items = m2c_arena_calloc(a, in->n_fields ? in->n_fields : 1, sizeof *items);
    uint8_t *tcopy = m2c_arena_alloc(a, 32 * (n_idx ? n_idx : 1));
    if (!items || !tcopy) return m2c_err_set(err, M2C_ERR_NOMEM, "abi log: out of memory");
    size_t ti = 0, di = 0;
    for (size_t i = 0; i < in->n_fields; i++) {
        const m2c_abi_type *t = in->fields[i].type;
        if (!in->fields[i].indexed) {
            items[i] = dv.items[di++];
            continue;
        }
        uint8_t *tp = tcopy + 32 * ti;
        memcpy(tp, topics[first + ti].b, 32); /* values point into the arena, not the caller */
        ti++;
        if (topic_is_value(t)) {
            dctx c = {a, tp, 32, flags, 0, err};
            if ((st = decode_value(&c, &items[i], t, 0))) {
                m2c_err_prefix(err, "%s topic %zu (%s)", ev->name, first + ti - 1,
                               in->fields[i].name[0] ? in->fields[i].name : "unnamed");
                return st;
            }
        } else {
            items[i].type = t;
            items[i].hashed = 1;
            items[i].bytes = tp;
            items[i].len = 32;
        }
    }
    out->type = in;
    out->items = items;
    out->n = in->n_fields;
    return M2C_OK;
}
