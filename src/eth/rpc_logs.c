/* rpc_logs.c: the eth_getLogs fast path. One pass over the response text straight into
 * m2c_rpc_log structs in an arena: no JSON tree, no per-log malloc. It handles the shape
 * nodes actually send (ASCII strings without escapes, no numbers besides the id) and, on
 * anything else (an error object, an escape, a bad field, a duplicate key, malformed text),
 * hands the body to the tree parser (m2c_rpc_parse_response + m2c_rpc_parse_logs). So it
 * accepts exactly what the tree parser accepts, and failures get the tree parser's message. */
#include <string.h>

#include "ml2chain/hex.h"
#include "ml2chain/json.h"
#include "ml2chain/rpc.h"

#define FAST_MAX_DEPTH   64 /* nesting allowed in skipped values */
#define FAST_MAX_UNKNOWN 8  /* unknown keys per object tracked for duplicates */

typedef struct {
    const char *p, *end;
    m2c_arena *arena;
} cur;

/* A string token: its content, which has no escapes, control or non-ASCII bytes. */
typedef struct {
    const char *s;
    size_t n;
} str;

static inline void ws(cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static inline int eat(cur *c, char ch) {
    ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* 1 for bytes a plain string may hold: printable ASCII except '"' and '\\'. */
// clang-format off
static const uint8_t plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
// clang-format on

/* Reads a plain string; 0 (fall back) on escapes, control or non-ASCII bytes, or EOF. */
static int get_str(cur *c, str *out) {
    ws(c);
    if (c->p >= c->end || *c->p != '"') return 0;
    const char *s = ++c->p, *t = s;
    while (t < c->end && plain[(unsigned char)*t])
        t++;
    if (t >= c->end || *t != '"') return 0;
    out->s = s;
    out->n = (size_t)(t - s);
    c->p = t + 1;
    return 1;
}

static int lit(cur *c, const char *w, size_t n) {
    ws(c);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* Skips any value made of plain strings, literals, arrays and objects (no numbers). */
static int skip_value(cur *c, int depth) {
    if (depth > FAST_MAX_DEPTH) return 0;
    ws(c);
    if (c->p >= c->end) return 0;
    str s;
    switch (*c->p) {
    case '"': return get_str(c, &s);
    case 't': return lit(c, "true", 4);
    case 'f': return lit(c, "false", 5);
    case 'n': return lit(c, "null", 4);
    case '[':
        c->p++;
        if (eat(c, ']')) return 1;
        do {
            if (!skip_value(c, depth + 1)) return 0;
        } while (eat(c, ','));
        return eat(c, ']');
    case '{': {
        c->p++;
        if (eat(c, '}')) return 1;
        str seen[FAST_MAX_UNKNOWN];
        int k = 0;
        do {
            if (!get_str(c, &s) || !eat(c, ':')) return 0;
            for (int i = 0; i < k; i++)
                if (seen[i].n == s.n && !memcmp(seen[i].s, s.s, s.n)) return 0;
            if (k == FAST_MAX_UNKNOWN) return 0;
            seen[k++] = s;
            if (!skip_value(c, depth + 1)) return 0;
        } while (eat(c, ','));
        return eat(c, '}');
    }
    default: return 0;
    }
}

static inline int key_is(const str *k, const char *name, size_t n) {
    return k->n == n && memcmp(k->s, name, n) == 0;
}
#define KEY(k, lit_) key_is((k), lit_, sizeof lit_ - 1)

/* A QUANTITY ("0x" + 1..16 hex digits) or null (left zero), decoded in place. */
static int get_u64_or_null(cur *c, uint64_t *out) {
    ws(c);
    if (c->p < c->end && *c->p == 'n') return lit(c, "null", 4);
    const unsigned char *p = (const unsigned char *)c->p, *end = (const unsigned char *)c->end;
    if (end - p < 5 || p[0] != '"' || p[1] != '0' || (p[2] != 'x' && p[2] != 'X')) return 0;
    p += 3;
    uint64_t v = 0;
    int digits = 0;
    for (; p < end && m2c_hex_digit_value[*p] != 0xff; p++, digits++) {
        if (v >> 60) return 0;
        v = v << 4 | m2c_hex_digit_value[*p];
    }
    if (!digits || p >= end || *p != '"') return 0;
    *out = v;
    c->p = (const char *)p + 1;
    return 1;
}

/* Exactly n bytes of "0x" hex (or null when null_ok), decoded straight from the text. */
static int get_fixed_or_null(cur *c, uint8_t *out, size_t n, int null_ok) {
    ws(c);
    if (null_ok && c->p < c->end && *c->p == 'n') return lit(c, "null", 4);
    const unsigned char *p = (const unsigned char *)c->p;
    if ((size_t)(c->end - c->p) < 2 * n + 4 || p[0] != '"' || p[1] != '0' ||
        (p[2] != 'x' && p[2] != 'X') || p[2 * n + 3] != '"')
        return 0;
    if (!m2c_hex_to_bytes(out, (const char *)p + 3, n)) return 0;
    c->p += 2 * n + 4;
    return 1;
}

static int get_data(cur *c, m2c_rpc_log *l) {
    ws(c);
    const unsigned char *p = (const unsigned char *)c->p, *end = (const unsigned char *)c->end;
    if (end - p < 4 || p[0] != '"' || p[1] != '0' || (p[2] != 'x' && p[2] != 'X')) return 0;
    p += 3;
    const unsigned char *h = p;
    /* the digits run to the closing quote; any other byte before it fails the decode */
    p = memchr(h, '"', (size_t)(end - h));
    if (!p || (p - h) % 2) return 0;
    size_t n = (size_t)(p - h) / 2;
    if (n > M2C_RPC_MAX_DATA) return 0;
    uint8_t *d = m2c_arena_alloc_uninit(c->arena, n); /* every byte written below */
    if (!d || !m2c_hex_to_bytes(d, (const char *)h, n)) return 0;
    l->data = d;
    l->data_len = n;
    c->p = (const char *)p + 1;
    return 1;
}

enum {
    F_ADDRESS = 1,
    F_TOPICS = 2,
    F_DATA = 4,
    F_BN = 8,
    F_BH = 16,
    F_TH = 32,
    F_TI = 64,
    F_LI = 128,
    F_RM = 256,
    F_TS = 512
};

static int get_log(cur *c, m2c_rpc_log *l) {
    if (!eat(c, '{')) return 0;
    memset(l, 0, sizeof *l);
    unsigned seen = 0;
    str unknown[FAST_MAX_UNKNOWN];
    int nu = 0;
    if (eat(c, '}')) return 0; /* address, topics and data are required */
    do {
        str k;
        if (!get_str(c, &k) || !eat(c, ':')) return 0;
        unsigned f = 0;
        int ok;
        if (KEY(&k, "address")) {
            f = F_ADDRESS;
            ok = get_fixed_or_null(c, l->address.b, 20, 0);
        } else if (KEY(&k, "topics")) {
            f = F_TOPICS;
            ok = eat(c, '[');
            if (ok && !eat(c, ']')) {
                do {
                    if (l->n_topics == 4) return 0;
                    if (!get_fixed_or_null(c, l->topics[l->n_topics].b, 32, 0)) return 0;
                    l->n_topics++;
                } while (eat(c, ','));
                ok = eat(c, ']');
            }
        } else if (KEY(&k, "data")) {
            f = F_DATA;
            ok = get_data(c, l);
        } else if (KEY(&k, "blockNumber")) {
            f = F_BN;
            ok = get_u64_or_null(c, &l->block_number);
        } else if (KEY(&k, "blockHash")) {
            f = F_BH;
            ok = get_fixed_or_null(c, l->block_hash.b, 32, 1);
        } else if (KEY(&k, "transactionHash")) {
            f = F_TH;
            ok = get_fixed_or_null(c, l->transaction_hash.b, 32, 1);
        } else if (KEY(&k, "transactionIndex")) {
            f = F_TI;
            ok = get_u64_or_null(c, &l->transaction_index);
        } else if (KEY(&k, "logIndex")) {
            f = F_LI;
            ok = get_u64_or_null(c, &l->log_index);
        } else if (KEY(&k, "blockTimestamp")) {
            /* a quantity is read; null or a non-string is ignored (as the tree parser does);
             * a string that is not a plain quantity goes to the tree parser */
            f = F_TS;
            ws(c);
            if (c->p < c->end && *c->p == '"') {
                ok = get_u64_or_null(c, &l->block_timestamp);
                l->has_block_timestamp = 1;
            } else {
                ok = skip_value(c, 2);
            }
        } else if (KEY(&k, "removed")) {
            f = F_RM;
            ws(c);
            if (lit(c, "true", 4))
                l->removed = 1, ok = 1;
            else
                ok = lit(c, "false", 5) || lit(c, "null", 4);
        } else {
            for (int i = 0; i < nu; i++)
                if (unknown[i].n == k.n && !memcmp(unknown[i].s, k.s, k.n)) return 0;
            if (nu == FAST_MAX_UNKNOWN) return 0;
            unknown[nu++] = k;
            ok = skip_value(c, 2);
        }
        if (!ok || (seen & f)) return 0;
        seen |= f;
    } while (eat(c, ','));
    return eat(c, '}') &&
           (seen & (F_ADDRESS | F_TOPICS | F_DATA)) == (F_ADDRESS | F_TOPICS | F_DATA);
}

/* The fast pass; 0 means "fall back to the tree parser". */
static int fast(m2c_rpc_logs *out, const char *body, size_t len, uint64_t id) {
    cur c = {body, body + len, &out->arena};
    int have_id = 0, have_result = 0;
    str unknown[FAST_MAX_UNKNOWN];
    int nu = 0;
    if (!eat(&c, '{')) return 0;
    do {
        str k;
        if (!get_str(&c, &k) || !eat(&c, ':')) return 0;
        if (KEY(&k, "id")) {
            if (have_id) return 0;
            have_id = 1;
            ws(&c);
            uint64_t v = 0;
            int digits = 0;
            while (c.p < c.end && *c.p >= '0' && *c.p <= '9' && digits < 18) {
                if (digits && v == 0) return 0; /* leading zero */
                v = v * 10 + (uint64_t)(*c.p++ - '0');
                digits++;
            }
            if (!digits || v != id ||
                (c.p < c.end &&
                 ((*c.p >= '0' && *c.p <= '9') || *c.p == '.' || *c.p == 'e' || *c.p == 'E')))
                return 0;
        } else if (KEY(&k, "result")) {
            if (have_result) return 0;
            have_result = 1;
            if (!eat(&c, '[')) return 0;
            size_t cap = len / 256 + 16, n = 0; /* a log's JSON is 250+ bytes: no regrowth */
            if (cap > M2C_RPC_MAX_LOGS) cap = M2C_RPC_MAX_LOGS;
            /* not zeroed: get_log clears each entry it fills */
            m2c_rpc_log *v = m2c_arena_alloc_uninit(&out->arena, cap * sizeof *v);
            if (!v) return 0;
            if (!eat(&c, ']')) {
                do {
                    if (n == cap) {
                        if (cap >= M2C_RPC_MAX_LOGS) return 0;
                        size_t ncap = cap * 2 > M2C_RPC_MAX_LOGS ? M2C_RPC_MAX_LOGS : cap * 2;
                        m2c_rpc_log *nv = m2c_arena_alloc_uninit(&out->arena, ncap * sizeof *nv);
                        if (!nv) return 0;
                        memcpy(nv, v, n * sizeof *v);
                        v = nv;
                        cap = ncap;
                    }
                    if (!get_log(&c, &v[n])) return 0;
                    n++;
                } while (eat(&c, ','));
                if (!eat(&c, ']')) return 0;
            }
            out->v = v;
            out->n = n;
        } else if (KEY(&k, "error")) {
            return 0; /* the tree parser reports node errors */
        } else {
            for (int i = 0; i < nu; i++)
                if (unknown[i].n == k.n && !memcmp(unknown[i].s, k.s, k.n)) return 0;
            if (nu == FAST_MAX_UNKNOWN) return 0;
            unknown[nu++] = k;
            if (!skip_value(&c, 1)) return 0;
        }
    } while (eat(&c, ','));
    if (!eat(&c, '}')) return 0;
    ws(&c);
    return c.p == c.end && have_id && have_result;
}

m2c_status m2c_rpc_parse_logs_fast(m2c_rpc_logs *out, const char *body, size_t len, uint64_t id) {
    memset(out, 0, sizeof *out);
    m2c_arena_init(&out->arena, M2C_RPC_MAX_ARENA);
    if (fast(out, body, len, id)) return M2C_OK;
    m2c_rpc_logs_free(out);
    return M2C_ERR_UNSUPPORTED;
}

m2c_status m2c_rpc_parse_logs_body(m2c_rpc_logs *out, const char *body, size_t len, uint64_t id,
                                   m2c_err *err) {
    if (m2c_rpc_parse_logs_fast(out, body, len, id) == M2C_OK) return M2C_OK;
    json_t *r = NULL;
    m2c_status st = m2c_rpc_parse_response(&r, body, len, id, err);
    if (!st) st = m2c_rpc_parse_logs(out, r, err);
    json_decref(r);
    return st;
}
