/* extract_logparse.c: a one-pass parser for eth_getLogs response bodies, specialised for the
 * extractor's hot path (the generic JSON-tree parser in src/eth costs more than the fetch).
 * It reads the envelope and the log objects straight from the bytes, decoding hex in place
 * into an arena, with the same caps as the generic parser. Anything it does not expect (an
 * error object, escapes in keys, a missing field, odd quantities) makes it return
 * M2C_ERR_UNSUPPORTED, and the caller falls back to m2c_rpc_parse_logs_body, which then
 * gives the authoritative answer and message. So this parser may be stricter than the
 * generic one, never looser. */
#include <stdlib.h>
#include <string.h>

#include "extract_logparse.h"

#define LP_MAX_DEPTH 64

typedef struct {
    const char *p, *end;
} lp;

static void ws(lp *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int eat(lp *s, char c) {
    ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

/* A string of printable ASCII without escapes: [*a, *n). Anything else (escapes, UTF-8,
 * control characters) is left to the generic parser. */
static int str(lp *s, const char **a, size_t *n) {
    ws(s);
    if (s->p >= s->end || *s->p != '"') return 0;
    const char *q = ++s->p;
    const char *e = q;
    while (e < s->end && *e != '"') {
        unsigned char c = (unsigned char)*e;
        if (c < 0x20 || c >= 0x7f || c == '\\') return 0;
        e++;
    }
    if (e >= s->end) return 0;
    *a = q;
    *n = (size_t)(e - q);
    s->p = e + 1;
    return 1;
}

static int digits(lp *s) {
    const char *q = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
    return s->p > q;
}

/* A JSON number, by the grammar. */
static int number(lp *s) {
    if (s->p < s->end && *s->p == '-') s->p++;
    if (s->p < s->end && *s->p == '0') {
        s->p++;
    } else if (!digits(s)) {
        return 0;
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s)) return 0;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!digits(s)) return 0;
    }
    return 1;
}

static int literal(lp *s, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n)) return 0;
    s->p += n;
    return 1;
}

/* Skips any JSON value (strings may have escapes). */
static int skip(lp *s, int depth) {
    ws(s);
    if (s->p >= s->end || depth > LP_MAX_DEPTH) return 0;
    char c = *s->p;
    if (c == '"') {
        const char *a;
        size_t n;
        return str(s, &a, &n);
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        s->p++;
        if (eat(s, close)) return 1;
        for (;;) {
            if (c == '{') {
                if (!skip(s, depth + 1) || !eat(s, ':')) return 0;
            }
            if (!skip(s, depth + 1)) return 0;
            if (eat(s, ',')) continue;
            return eat(s, close);
        }
    }
    if (c == 't') return literal(s, "true");
    if (c == 'f') return literal(s, "false");
    if (c == 'n') return literal(s, "null");
    return number(s);
}

static inline int hv(unsigned char c) {
    if ((unsigned)(c - '0') < 10u) return c - '0';
    c |= 0x20;
    if ((unsigned)(c - 'a') < 6u) return c - 'a' + 10;
    return -1;
}

/* "0x" + 2n hex digits into out[n]. */
static int fixed_hex(lp *s, uint8_t *out, size_t n) {
    const char *a;
    size_t len;
    if (!str(s, &a, &len) || len != 2 + 2 * n || a[0] != '0' || a[1] != 'x') return 0;
    for (size_t i = 0; i < n; i++) {
        int hi = hv((unsigned char)a[2 + 2 * i]), lo = hv((unsigned char)a[3 + 2 * i]);
        if (hi < 0 || lo < 0) return 0;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 1;
}

/* A QUANTITY ("0x0", "0x1a"; no leading zeros) into a uint64. */
static int quantity(lp *s, uint64_t *out) {
    const char *a;
    size_t len;
    if (!str(s, &a, &len) || len < 3 || len > 18 || a[0] != '0' || a[1] != 'x') return 0;
    if (a[2] == '0' && len != 3) return 0;
    uint64_t v = 0;
    for (size_t i = 2; i < len; i++) {
        int d = hv((unsigned char)a[i]);
        if (d < 0) return 0;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 1;
}

enum {
    F_ADDRESS = 1 << 0, F_TOPICS = 1 << 1, F_DATA = 1 << 2, F_BNUM = 1 << 3, F_BHASH = 1 << 4,
    F_TXHASH = 1 << 5, F_TXIDX = 1 << 6, F_LOGIDX = 1 << 7, F_ALL = (1 << 8) - 1,
};

static int key_is(const char *k, size_t n, const char *lit) {
    return strlen(lit) == n && !memcmp(k, lit, n);
}

static int one_log(lp *s, m2c_rpc_log *l, m2c_arena *a) {
    unsigned seen = 0, removed_seen = 0;
    const char *other[8]; /* unknown keys, to refuse duplicates as the generic parser does */
    size_t other_n[8], nother = 0;
    if (!eat(s, '{')) return 0;
    if (eat(s, '}')) return 0;
    for (;;) {
        const char *k;
        size_t kn;
        if (!str(s, &k, &kn) || !eat(s, ':')) return 0;
        unsigned flag = key_is(k, kn, "address")            ? F_ADDRESS
                        : key_is(k, kn, "topics")           ? F_TOPICS
                        : key_is(k, kn, "data")             ? F_DATA
                        : key_is(k, kn, "blockNumber")      ? F_BNUM
                        : key_is(k, kn, "blockHash")        ? F_BHASH
                        : key_is(k, kn, "transactionHash")  ? F_TXHASH
                        : key_is(k, kn, "transactionIndex") ? F_TXIDX
                        : key_is(k, kn, "logIndex")         ? F_LOGIDX
                                                            : 0;
        if (flag & seen) return 0; /* a duplicate key */
        if (key_is(k, kn, "address")) {
            if (!fixed_hex(s, l->address.b, 20)) return 0;
            seen |= F_ADDRESS;
        } else if (key_is(k, kn, "topics")) {
            if (!eat(s, '[')) return 0;
            l->n_topics = 0;
            if (!eat(s, ']')) {
                for (;;) {
                    if (l->n_topics >= 4 || !fixed_hex(s, l->topics[l->n_topics].b, 32)) return 0;
                    l->n_topics++;
                    if (eat(s, ',')) continue;
                    if (!eat(s, ']')) return 0;
                    break;
                }
            }
            seen |= F_TOPICS;
        } else if (key_is(k, kn, "data")) {
            const char *d;
            size_t dn;
            if (!str(s, &d, &dn) || dn < 2 || d[0] != '0' || d[1] != 'x' || (dn & 1)) return 0;
            size_t n = (dn - 2) / 2;
            if (n > M2C_RPC_MAX_DATA) return 0;
            uint8_t *out = m2c_arena_alloc(a, n);
            if (!out) return 0;
                    for (size_t i = 0; i < n; i++) {
                int hi = hv((unsigned char)d[2 + 2 * i]), lo = hv((unsigned char)d[3 + 2 * i]);
                if (hi < 0 || lo < 0) return 0;
                out[i] = (uint8_t)(hi << 4 | lo);
            }
            l->data = out;
            l->data_len = n;
            seen |= F_DATA;
        } else if (key_is(k, kn, "blockNumber")) {
            if (!quantity(s, &l->block_number)) return 0;
            seen |= F_BNUM;
        } else if (key_is(k, kn, "blockHash")) {
            if (!fixed_hex(s, l->block_hash.b, 32)) return 0;
            seen |= F_BHASH;
        } else if (key_is(k, kn, "transactionHash")) {
            if (!fixed_hex(s, l->transaction_hash.b, 32)) return 0;
            seen |= F_TXHASH;
        } else if (key_is(k, kn, "transactionIndex")) {
            if (!quantity(s, &l->transaction_index)) return 0;
            seen |= F_TXIDX;
        } else if (key_is(k, kn, "logIndex")) {
            if (!quantity(s, &l->log_index)) return 0;
            seen |= F_LOGIDX;
        } else if (key_is(k, kn, "removed")) {
            if (removed_seen++) return 0;
            ws(s);
            if (s->end - s->p >= 4 && !memcmp(s->p, "true", 4)) {
                l->removed = 1;
                s->p += 4;
            } else if (s->end - s->p >= 5 && !memcmp(s->p, "false", 5)) {
                l->removed = 0;
                s->p += 5;
            } else {
                return 0;
            }
        } else {
            for (size_t i = 0; i < nother; i++)
                if (other_n[i] == kn && !memcmp(other[i], k, kn)) return 0;
            if (nother == 8) return 0;
            other[nother] = k;
            other_n[nother++] = kn;
            if (!skip(s, 1)) return 0; /* e.g. blockTimestamp from newer nodes */
        }
        if (eat(s, ',')) continue;
        if (!eat(s, '}')) return 0;
        return seen == F_ALL;
    }
}

m2c_status m2c_extract_parse_logs_fast(m2c_rpc_logs *out, const char *body, size_t len, uint64_t id) {
    lp s = {body, body + len};
    m2c_rpc_log *tmp = NULL;
    size_t n = 0, cap = 0;
    int have_id = 0, have_result = 0, have_version = 0;
    memset(out, 0, sizeof *out);
    m2c_arena_init(&out->arena, M2C_RPC_MAX_ARENA);
    if (!eat(&s, '{')) goto unsupported;
    for (;;) {
        const char *k;
        size_t kn;
        if (!str(&s, &k, &kn) || !eat(&s, ':')) goto unsupported;
        if (key_is(k, kn, "jsonrpc")) {
            const char *v;
            size_t vn;
            if (have_version || !str(&s, &v, &vn) || !key_is(v, vn, "2.0")) goto unsupported;
            have_version = 1;
        } else if (key_is(k, kn, "id")) {
            ws(&s);
            uint64_t v = 0;
            const char *q = s.p;
            while (s.p < s.end && *s.p >= '0' && *s.p <= '9' && s.p - q < 19)
                v = v * 10 + (uint64_t)(*s.p++ - '0');
            if (have_id || s.p == q || v != id || (q[0] == '0' && s.p - q > 1)) goto unsupported;
            have_id = 1;
        } else if (key_is(k, kn, "result")) {
            if (have_result || !eat(&s, '[')) goto unsupported;
            have_result = 1;
            if (!eat(&s, ']')) {
                for (;;) {
                    if (n == cap) {
                        size_t nc = cap ? cap * 2 : 256;
                        if (nc > M2C_RPC_MAX_LOGS) nc = M2C_RPC_MAX_LOGS;
                        if (n >= nc) goto unsupported;
                        m2c_rpc_log *nt = realloc(tmp, nc * sizeof *nt);
                        if (!nt) goto unsupported;
                        tmp = nt;
                        cap = nc;
                    }
                    memset(&tmp[n], 0, sizeof tmp[n]);
                    if (!one_log(&s, &tmp[n], &out->arena)) goto unsupported;
                    n++;
                    if (eat(&s, ',')) continue;
                    if (!eat(&s, ']')) goto unsupported;
                    break;
                }
            }
        } else {
            goto unsupported; /* "error" and anything else: the generic parser decides */
        }
        if (eat(&s, ',')) continue;
        if (!eat(&s, '}')) goto unsupported;
        break;
    }
    ws(&s);
    if (s.p != s.end || !have_id || !have_result || !have_version) goto unsupported;
    out->v = m2c_arena_calloc(&out->arena, n ? n : 1, sizeof *out->v);
    if (!out->v) goto unsupported;
    if (n) memcpy(out->v, tmp, n * sizeof *tmp);
    out->n = n;
    free(tmp);
    return M2C_OK;
unsupported:
    free(tmp);
    m2c_rpc_logs_free(out);
    return M2C_ERR_UNSUPPORTED;
}

m2c_status m2c_xget_logs(m2c_rpc *c, m2c_rpc_logs *out, const m2c_rpc_filter *f, m2c_err *err) {
    memset(out, 0, sizeof *out);
    json_t *filter = NULL, *params = NULL;
    m2c_buf body;
    m2c_buf_init(&body, 0);
    uint64_t id;
    m2c_status st = m2c_rpc_filter_json(&filter, f, err);
    if (st) goto out;
    params = json_pack("[O]", filter);
    if (!params) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = m2c_rpc_call_raw(c, &body, &id, "eth_getLogs", params, err);
    if (st) goto out;
    st = m2c_extract_parse_logs_fast(out, (const char *)body.p, body.len, id);
    if (st == M2C_OK) goto out;
    st = m2c_rpc_parse_logs_body(out, (const char *)body.p, body.len, id, err);
    if (st) m2c_err_prefix(err, "eth_getLogs");
out:
    json_decref(filter);
    json_decref(params);
    m2c_buf_free(&body);
    return st;
}
