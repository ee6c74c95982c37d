/* abi_text.c: ABI values as text, in the forms `cast` takes as arguments (abi-encode,
 * calldata) and prints as results (abi-decode, decode-event); see abi.h and docs/abi.md. */
#include "ml2chain/abi.h"

#include <stdio.h>
#include <string.h>

#include "ml2chain/hex.h"
#include "ml2chain/u256.h"

#include "abi_unicode.h"

/* ---- parsing ---- */

typedef struct {
    m2c_arena *a;
    const char *s;
    size_t len;
    size_t pos;
    m2c_err *err;
} pcur;

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(pcur *p) {
    while (p->pos < p->len && is_space(p->s[p->pos]))
        p->pos++;
}

static m2c_status perr(pcur *p, m2c_status code, size_t at, const char *fmt, const char *what) {
    char m[200];
    snprintf(m, sizeof m, fmt, what);
    return m2c_err_at(p->err, code, at, "abi value: %s at char %zu", m, at);
}

static m2c_status pnomem(pcur *p) {
    return m2c_err_at(p->err, M2C_ERR_NOMEM, p->pos, "abi value: out of memory");
}

static m2c_u256 pow10_u256(unsigned e, int *overflow) {
    m2c_u256 r = m2c_u256_from_u64(1), ten = m2c_u256_from_u64(10);
    *overflow = 0;
    for (unsigned i = 0; i < e; i++)
        if (m2c_u256_mul(&r, &r, &ten)) *overflow = 1;
    return r;
}

/* Parses an integer token: [-]digits[.digits][e digits][ ]unit or [-]0x hex. */
static m2c_status parse_int_token(pcur *p, m2c_abi_value *v, const m2c_abi_type *t, const char *s,
                                  size_t n, size_t at) {
    int neg = 0;
    size_t i = 0;
    m2c_status st;
    m2c_u256 mag;
    if (n && s[0] == '-') {
        if (t->kind == M2C_ABI_UINT)
            return perr(p, M2C_ERR_RANGE, at, "negative value for %s", "an unsigned integer");
        neg = 1;
        i = 1;
    }
    if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        m2c_err e;
        if (n - i == 2) return perr(p, M2C_ERR_INVALID, at + i + 2, "expected %s", "hex digits");
        char tmp[80];
        if (n - i > sizeof tmp - 1) return perr(p, M2C_ERR_RANGE, at, "%s too large", "integer");
        tmp[0] = '0', tmp[1] = 'x';
        memcpy(tmp + 2, s + i + 2, n - i - 2);
        if ((st = m2c_u256_parse(&mag, tmp, n - i, &e)))
            return m2c_err_at(p->err, st, at + i + (e.offset == (size_t)-1 ? 0 : e.offset),
                              "abi value: bad integer '%.*s' at char %zu (%s)", (int)n, s, at,
                              e.msg);
    } else {
        size_t d0 = i;
        char digits[100];
        size_t nd = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd >= 90) return perr(p, M2C_ERR_RANGE, at, "%s too large", "integer");
            digits[nd++] = s[i++];
        }
        if (nd == 0) return perr(p, M2C_ERR_INVALID, at + i, "expected %s", "a digit");
        size_t frac = 0;
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (nd >= 90) return perr(p, M2C_ERR_RANGE, at, "%s too large", "integer");
                digits[nd++] = s[i++];
                frac++;
            }
            if (frac == 0) return perr(p, M2C_ERR_INVALID, at + i, "expected %s", "a digit");
        }
        unsigned exp = 0;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            i++;
            size_t e0 = i;
            while (i < n && s[i] >= '0' && s[i] <= '9' && exp < 1000)
                exp = exp * 10 + (unsigned)(s[i++] - '0');
            if (i == e0) return perr(p, M2C_ERR_INVALID, at + i, "expected %s", "an exponent");
        }
        while (i < n && s[i] == ' ')
            i++;
        if (i < n) {
            const char *u = s + i;
            size_t un = n - i;
            if (un == 3 && !memcmp(u, "wei", 3))
                exp += 0;
            else if (un == 4 && !memcmp(u, "gwei", 4))
                exp += 9;
            else if (un == 5 && !memcmp(u, "ether", 5))
                exp += 18;
            else
                return perr(p, M2C_ERR_INVALID, at + i, "expected %s",
                            "a digit or a unit (wei, gwei, ether)");
        }
        (void)d0;
        if (frac > exp)
            return perr(p, M2C_ERR_INVALID, at, "%s", "not an integer (fraction too long)");
        m2c_err e;
        if ((st = m2c_u256_parse(&mag, digits, nd, &e)))
            return perr(p, M2C_ERR_RANGE, at, "%s too large", "integer");
        int of;
        m2c_u256 scale = pow10_u256(exp - (unsigned)frac, &of);
        if ((!m2c_u256_is_zero(&mag) && of) || m2c_u256_mul(&mag, &mag, &scale))
            return perr(p, M2C_ERR_RANGE, at, "%s too large", "integer");
    }
    /* Range: uintN holds < 2^N; intN holds [-2^(N-1), 2^(N-1)). */
    unsigned bl = m2c_u256_bitlen(&mag);
    if (t->kind == M2C_ABI_UINT) {
        if (bl > t->bits)
            return m2c_err_at(p->err, M2C_ERR_RANGE, at,
                              "abi value: '%.*s' does not fit uint%u at char %zu", (int)n, s,
                              t->bits, at);
        v->word = mag;
    } else {
        m2c_u256 lim = m2c_u256_from_u64(1);
        lim = m2c_u256_shl(&lim, t->bits - 1);
        int c = m2c_u256_cmp(&mag, &lim);
        if (bl > t->bits || (neg ? c > 0 : c >= 0))
            return m2c_err_at(p->err, M2C_ERR_RANGE, at,
                              "abi value: '%.*s' does not fit int%u at char %zu", (int)n, s,
                              t->bits, at);
        v->word = neg ? m2c_i256_neg(&mag) : mag;
    }
    return M2C_OK;
}

/* Converts one elementary token (already delimited and trimmed) to a value. */
static m2c_status parse_token(pcur *p, m2c_abi_value *v, const m2c_abi_type *t, const char *s,
                              size_t n, size_t at) {
    m2c_err e;
    m2c_status st;
    m2c_err_clear(&e);
    switch (t->kind) {
    case M2C_ABI_UINT:
    case M2C_ABI_INT: return parse_int_token(p, v, t, s, n, at);
    case M2C_ABI_BOOL:
        if (n == 4 && !memcmp(s, "true", 4))
            v->word = m2c_u256_from_u64(1);
        else if (n == 5 && !memcmp(s, "false", 5))
            v->word = m2c_u256_from_u64(0);
        else
            return perr(p, M2C_ERR_INVALID, at, "expected %s", "true or false");
        return M2C_OK;
    case M2C_ABI_ADDRESS: {
        char tmp[64];
        m2c_addr20 ad;
        if (n >= sizeof tmp) return perr(p, M2C_ERR_INVALID, at, "expected %s", "an address");
        memcpy(tmp, s, n);
        tmp[n] = 0;
        if ((st = m2c_addr_parse(&ad, tmp, &e)))
            return m2c_err_at(p->err, st, at, "abi value: bad address at char %zu (%s)", at, e.msg);
        uint8_t *b = m2c_arena_alloc(p->a, 20);
        if (!b) return pnomem(p);
        memcpy(b, ad.b, 20);
        v->bytes = b;
        v->len = 20;
        return M2C_OK;
    }
    case M2C_ABI_FBYTES:
    case M2C_ABI_BYTES: {
        if (n == 0) return perr(p, M2C_ERR_INVALID, at, "expected %s", "hex bytes (0x for none)");
        uint8_t *b = m2c_arena_alloc(p->a, n / 2 + 1);
        size_t got = 0;
        if (!b) return pnomem(p);
        if ((st = m2c_hex_decode(b, n / 2 + 1, &got, s, n, M2C_HEX_PREFIX_OPTIONAL, &e)))
            return m2c_err_at(p->err, st, at + (e.offset == (size_t)-1 ? 0 : e.offset),
                              "abi value: bad hex at char %zu (%s)", at, e.msg);
        if (t->kind == M2C_ABI_FBYTES && got != t->size)
            return m2c_err_at(p->err, M2C_ERR_INVALID, at,
                              "abi value: bytes%zu needs %zu bytes, got %zu at char %zu", t->size,
                              t->size, got, at);
        v->bytes = b;
        v->len = got;
        return M2C_OK;
    }
    case M2C_ABI_STRING: {
        char *b = m2c_arena_strndup(p->a, s, n);
        if (!b) return pnomem(p);
        v->bytes = (const uint8_t *)b;
        v->len = n;
        return M2C_OK;
    }
    default: break;
    }
    return perr(p, M2C_ERR_INVALID, at, "%s", "bad type");
}

static m2c_status parse_nested(pcur *p, m2c_abi_value *v, const m2c_abi_type *t);

/* '[' v (',' v)* ']' or '(' ... ')': items into v->items. */
static m2c_status parse_list(pcur *p, m2c_abi_value *v, const m2c_abi_type *t) {
    int tuple = t->kind == M2C_ABI_TUPLE;
    char open = tuple ? '(' : '[', close = tuple ? ')' : ']';
    m2c_status st;
    if (p->pos >= p->len || p->s[p->pos] != open) {
        char what[4] = {'\'', open, '\'', 0};
        return perr(p, M2C_ERR_INVALID, p->pos, "expected %s", what);
    }
    size_t at = p->pos++;
    size_t n = 0, cap = 4;
    m2c_abi_value *items = m2c_arena_calloc(p->a, cap, sizeof *items);
    if (!items) return pnomem(p);
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
    } else {
        for (;;) {
            const m2c_abi_type *et = tuple ? (n < t->n_fields ? t->fields[n].type : NULL) : t->elem;
            if (!et)
                return m2c_err_at(p->err, M2C_ERR_INVALID, p->pos,
                                  "abi value: tuple has more than %zu components at char %zu",
                                  t->n_fields, p->pos);
            if (n == cap) {
                m2c_abi_value *ni = m2c_arena_calloc(p->a, cap * 2, sizeof *ni);
                if (!ni) return pnomem(p);
                memcpy(ni, items, n * sizeof *items);
                items = ni;
                cap *= 2;
            }
            if ((st = parse_nested(p, &items[n], et))) return st;
            n++;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == close) {
                p->pos++;
                break;
            }
            char what[16];
            snprintf(what, sizeof what, "',' or '%c'", close);
            return perr(p, M2C_ERR_INVALID, p->pos, "expected %s", what);
        }
    }
    if (tuple && n != t->n_fields)
        return m2c_err_at(p->err, M2C_ERR_INVALID, at,
                          "abi value: tuple needs %zu components, got %zu at char %zu", t->n_fields,
                          n, at);
    if (t->kind == M2C_ABI_FARRAY && n != t->size)
        return m2c_err_at(p->err, M2C_ERR_INVALID, at,
                          "abi value: fixed array needs %zu elements, got %zu at char %zu", t->size,
                          n, at);
    v->items = items;
    v->n = n;
    return M2C_OK;
}

/* A value inside [..] or (..): leading spaces skipped; strings quoted or bare. */
static m2c_status parse_nested(pcur *p, m2c_abi_value *v, const m2c_abi_type *t) {
    skip_ws(p);
    v->type = t;
    if (t->kind == M2C_ABI_ARRAY || t->kind == M2C_ABI_FARRAY || t->kind == M2C_ABI_TUPLE)
        return parse_list(p, v, t);
    size_t at = p->pos;
    if (t->kind == M2C_ABI_STRING && p->pos < p->len && p->s[p->pos] == '"') {
        size_t q = p->pos + 1;
        while (q < p->len && p->s[q] != '"')
            q++;
        if (q >= p->len) return perr(p, M2C_ERR_INVALID, at, "%s", "unterminated string");
        p->pos = q + 1;
        return parse_token(p, v, t, p->s + at + 1, q - at - 1, at + 1);
    }
    size_t e = p->pos;
    while (e < p->len && p->s[e] != ',' && p->s[e] != ']' && p->s[e] != ')') {
        /* A bare string may contain spaces; other tokens end at one (integers may carry a
         * unit after a space: "1 ether"). */
        if (t->kind != M2C_ABI_STRING && t->kind != M2C_ABI_UINT && t->kind != M2C_ABI_INT &&
            is_space(p->s[e]))
            break;
        e++;
    }
    p->pos = e;
    while (e > at && is_space(p->s[e - 1]))
        e--;
    return parse_token(p, v, t, p->s + at, e - at, at);
}

m2c_status m2c_abi_value_parse(m2c_arena *a, m2c_abi_value *out, const m2c_abi_type *t,
                               const char *s, m2c_err *err) {
    memset(out, 0, sizeof *out);
    size_t len = strlen(s);
    while (len && is_space(s[len - 1]))
        len--; /* as cast: trailing space is dropped */
    pcur p = {a, s, len, 0, err};
    m2c_status st;
    out->type = t;
    if (t->kind == M2C_ABI_ARRAY || t->kind == M2C_ABI_FARRAY || t->kind == M2C_ABI_TUPLE) {
        st = parse_list(&p, out, t);
        if (!st && p.pos != len)
            st = perr(&p, M2C_ERR_INVALID, p.pos, "%s", "unexpected text after the value");
    } else if (t->kind == M2C_ABI_STRING && len && s[0] == '"') {
        if (len < 2 || s[len - 1] != '"')
            st = perr(&p, M2C_ERR_INVALID, 0, "%s", "unterminated string");
        else
            st = parse_token(&p, out, t, s + 1, len - 2, 1);
    } else {
        st = parse_token(&p, out, t, s, len, 0);
    }
    if (st) memset(out, 0, sizeof *out);
    return st;
}

/* ---- formatting ---- */

/* cast's exponent hint: the first 4 significant digits, truncated, trailing zeros dropped. */
static m2c_status put_exp_hint(m2c_buf *b, const char *dec, int neg) {
    size_t n = strlen(dec);
    char mant[8];
    size_t m = n < 4 ? n : 4;
    memcpy(mant, dec, m);
    while (m > 1 && mant[m - 1] == '0')
        m--;
    m2c_status st = m2c_buf_printf(b, " [%s%c", neg ? "-" : "", mant[0]);
    if (!st && m > 1) st = m2c_buf_printf(b, ".%.*s", (int)(m - 1), mant + 1);
    if (!st) st = m2c_buf_printf(b, "e%zu]", n - 1);
    return st;
}

static m2c_status put_hex(m2c_buf *b, const uint8_t *p, size_t n) {
    m2c_status st = m2c_buf_reserve(b, 2 * n + 3);
    if (st) return st;
    b->len += m2c_hex_encode((char *)b->p + b->len, p, n, 1);
    return M2C_OK;
}

static int escape_unicode(uint32_t cp) {
    size_t lo = 0, hi = sizeof abi_escape_ranges / sizeof abi_escape_ranges[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < abi_escape_ranges[mid][0])
            hi = mid;
        else if (cp > abi_escape_ranges[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* Decodes one UTF-8 sequence at p[0..n); returns its length, or 0 when invalid, in which case
 * *bad is the length of the maximal invalid prefix to replace with U+FFFD (as Rust's
 * from_utf8_lossy does). */
static size_t utf8_next(const uint8_t *p, size_t n, uint32_t *cp, size_t *bad) {
    uint8_t c = p[0];
    size_t need;
    uint32_t v, min;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        need = 1, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2, v = c & 0x0f, min = 0x800;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3, v = c & 0x07, min = 0x10000;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        *bad = 1;
        return 0;
    }
    (void)min;
    for (size_t i = 1; i <= need; i++) {
        uint8_t lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xbf;
        if (i >= n || p[i] < lo_i || p[i] > hi_i) {
            *bad = i;
            return 0;
        }
        v = (v << 6) | (p[i] & 0x3f);
    }
    *cp = v;
    return need + 1;
}

/* A string as Rust's `{:?}` prints it, after lossy UTF-8 decoding. */
static m2c_status put_debug_str(m2c_buf *b, const uint8_t *p, size_t n) {
    m2c_status st = m2c_buf_append_byte(b, '"');
    size_t i = 0;
    while (!st && i < n) {
        uint32_t cp;
        size_t bad = 0;
        size_t k = utf8_next(p + i, n - i, &cp, &bad);
        if (k == 0) {
            st = m2c_buf_append_str(b, "\xef\xbf\xbd");
            i += bad;
            continue;
        }
        switch (cp) {
        case '\t': st = m2c_buf_append_str(b, "\\t"); break;
        case '\r': st = m2c_buf_append_str(b, "\\r"); break;
        case '\n': st = m2c_buf_append_str(b, "\\n"); break;
        case '\\': st = m2c_buf_append_str(b, "\\\\"); break;
        case '"': st = m2c_buf_append_str(b, "\\\""); break;
        case 0: st = m2c_buf_append_str(b, "\\0"); break;
        default:
            if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && escape_unicode(cp)))
                st = m2c_buf_printf(b, "\\u{%x}", (unsigned)cp);
            else
                st = m2c_buf_append(b, p + i, k);
        }
        i += k;
    }
    if (!st) st = m2c_buf_append_byte(b, '"');
    return st;
}

static m2c_status fmt_value(m2c_buf *b, const m2c_abi_value *v) {
    const m2c_abi_type *t = v->type;
    m2c_status st = M2C_OK;
    char dec[96];
    if (v->hashed) return put_hex(b, v->bytes, v->len);
    switch (t->kind) {
    case M2C_ABI_UINT:
        m2c_u256_to_dec(dec, sizeof dec, &v->word);
        st = m2c_buf_append_str(b, dec);
        if (!st && strlen(dec) >= 5) st = put_exp_hint(b, dec, 0);
        return st;
    case M2C_ABI_INT: {
        int neg = m2c_i256_is_neg(&v->word);
        m2c_u256 mag = neg ? m2c_i256_neg(&v->word) : v->word;
        m2c_u256_to_dec(dec, sizeof dec, &mag); /* INT256_MIN's magnitude is its own bits */
        st = m2c_buf_printf(b, "%s%s", neg ? "-" : "", dec);
        if (!st && strlen(dec) >= 5) st = put_exp_hint(b, dec, neg);
        return st;
    }
    case M2C_ABI_BOOL: return m2c_buf_append_str(b, m2c_u256_is_zero(&v->word) ? "false" : "true");
    case M2C_ABI_ADDRESS: {
        m2c_addr20 ad;
        char cs[43];
        memcpy(ad.b, v->bytes, 20);
        m2c_addr_checksum(cs, &ad);
        return m2c_buf_append_str(b, cs);
    }
    case M2C_ABI_FBYTES:
    case M2C_ABI_BYTES: return put_hex(b, v->bytes, v->len);
    case M2C_ABI_STRING: return put_debug_str(b, v->bytes, v->len);
    case M2C_ABI_ARRAY:
    case M2C_ABI_FARRAY:
    case M2C_ABI_TUPLE: {
        int tuple = t->kind == M2C_ABI_TUPLE;
        st = m2c_buf_append_byte(b, tuple ? '(' : '[');
        for (size_t i = 0; !st && i < v->n; i++) {
            if (i) st = m2c_buf_append_str(b, ", ");
            if (!st) st = fmt_value(b, &v->items[i]);
        }
        if (!st) st = m2c_buf_append_byte(b, tuple ? ')' : ']');
        return st;
    }
    }
    return M2C_ERR_INVALID;
}

/* ---- JSON and table cells (for dataset sinks) ---- */

static m2c_status put_json_str(m2c_buf *b, const uint8_t *p, size_t n) {
    m2c_status st = m2c_buf_append_byte(b, '"');
    size_t i = 0;
    while (!st && i < n) {
        uint32_t cp;
        size_t bad = 0;
        size_t k = utf8_next(p + i, n - i, &cp, &bad);
        if (k == 0) {
            st = m2c_buf_append_str(b, "\xef\xbf\xbd");
            i += bad;
            continue;
        }
        if (cp == '"')
            st = m2c_buf_append_str(b, "\\\"");
        else if (cp == '\\')
            st = m2c_buf_append_str(b, "\\\\");
        else if (cp == '\n')
            st = m2c_buf_append_str(b, "\\n");
        else if (cp < 0x20 || cp == 0x7f)
            st = m2c_buf_printf(b, "\\u%04x", (unsigned)cp);
        else
            st = m2c_buf_append(b, p + i, k);
        i += k;
    }
    if (!st) st = m2c_buf_append_byte(b, '"');
    return st;
}

/* Integers in plain decimal (no hint). */
static m2c_status put_dec(m2c_buf *b, const m2c_abi_value *v) {
    char dec[96];
    if (v->type->kind == M2C_ABI_INT) {
        m2c_i256_to_dec(dec, sizeof dec, &v->word);
    } else {
        m2c_u256_to_dec(dec, sizeof dec, &v->word);
    }
    return m2c_buf_append_str(b, dec);
}

static int names_usable(const m2c_abi_type *t) {
    for (size_t i = 0; i < t->n_fields; i++) {
        if (!t->fields[i].name[0]) return 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->fields[i].name, t->fields[j].name)) return 0;
    }
    return t->n_fields > 0;
}

static m2c_status json_value(m2c_buf *b, const m2c_abi_value *v) {
    const m2c_abi_type *t = v->type;
    m2c_status st = M2C_OK;
    if (v->hashed) {
        if ((st = m2c_buf_append_byte(b, '"'))) return st;
        if ((st = put_hex(b, v->bytes, v->len))) return st;
        return m2c_buf_append_byte(b, '"');
    }
    switch (t->kind) {
    case M2C_ABI_UINT:
    case M2C_ABI_INT:
        if ((st = m2c_buf_append_byte(b, '"'))) return st;
        if ((st = put_dec(b, v))) return st;
        return m2c_buf_append_byte(b, '"');
    case M2C_ABI_BOOL: return m2c_buf_append_str(b, m2c_u256_is_zero(&v->word) ? "false" : "true");
    case M2C_ABI_ADDRESS:
    case M2C_ABI_FBYTES:
    case M2C_ABI_BYTES:
        if ((st = m2c_buf_append_byte(b, '"'))) return st;
        if ((st = fmt_value(b, v))) return st;
        return m2c_buf_append_byte(b, '"');
    case M2C_ABI_STRING: return put_json_str(b, v->bytes, v->len);
    case M2C_ABI_ARRAY:
    case M2C_ABI_FARRAY:
    case M2C_ABI_TUPLE: {
        int obj = t->kind == M2C_ABI_TUPLE && names_usable(t);
        st = m2c_buf_append_byte(b, obj ? '{' : '[');
        for (size_t i = 0; !st && i < v->n; i++) {
            if (i) st = m2c_buf_append_byte(b, ',');
            if (!st && obj)
                st = put_json_str(b, (const uint8_t *)t->fields[i].name, strlen(t->fields[i].name));
            if (!st && obj) st = m2c_buf_append_byte(b, ':');
            if (!st) st = json_value(b, &v->items[i]);
        }
        if (!st) st = m2c_buf_append_byte(b, obj ? '}' : ']');
        return st;
    }
    }
    return M2C_ERR_INVALID;
}

static m2c_status cell_value(m2c_buf *b, const m2c_abi_value *v) {
    if (v->hashed) return put_hex(b, v->bytes, v->len);
    switch (v->type->kind) {
    case M2C_ABI_UINT:
    case M2C_ABI_INT: return put_dec(b, v);
    case M2C_ABI_STRING: return v->len ? m2c_buf_append(b, v->bytes, v->len) : M2C_OK;
    case M2C_ABI_ARRAY:
    case M2C_ABI_FARRAY:
    case M2C_ABI_TUPLE: return json_value(b, v);
    default: return fmt_value(b, v);
    }
}

/* ---- revert data ---- */

static const char *panic_text(uint64_t code) {
    switch (code) {
    case 0x00: return "generic compiler panic";
    case 0x01: return "assertion failed";
    case 0x11: return "arithmetic overflow or underflow";
    case 0x12: return "division or modulo by zero";
    case 0x21: return "invalid enum value";
    case 0x22: return "invalid storage byte array encoding";
    case 0x31: return "pop on an empty array";
    case 0x32: return "array index out of bounds";
    case 0x41: return "out of memory";
    case 0x51: return "call to an uninitialised internal function";
    default: return "unknown panic code";
    }
}

static m2c_status revert_impl(m2c_buf *b, const uint8_t *data, size_t len,
                              const m2c_abi_sig *errors, size_t n) {
    static const uint8_t sel_error[4] = {0x08, 0xc3, 0x79, 0xa0}; /* Error(string) */
    static const uint8_t sel_panic[4] = {0x4e, 0x48, 0x7b, 0x71}; /* Panic(uint256) */
    m2c_status st = M2C_OK;
    if (len == 0) return m2c_buf_append_str(b, "(no revert data)");
    if (len >= 4) {
        m2c_arena a;
        m2c_arena_init(&a, (size_t)16 << 20);
        m2c_abi_value v;
        const m2c_abi_type *t = NULL;
        int done = 0;
        if (!memcmp(data, sel_error, 4)) {
            if (m2c_abi_type_parse(&a, &t, "(string)", 8, NULL) == M2C_OK &&
                m2c_abi_decode(&a, &v, t, data + 4, len - 4, M2C_ABI_LENIENT, NULL) == M2C_OK) {
                st = v.items[0].len ? m2c_buf_append(b, v.items[0].bytes, v.items[0].len) : M2C_OK;
                done = 1;
            }
        } else if (!memcmp(data, sel_panic, 4)) {
            if (m2c_abi_type_parse(&a, &t, "(uint256)", 9, NULL) == M2C_OK &&
                m2c_abi_decode(&a, &v, t, data + 4, len - 4, 0, NULL) == M2C_OK) {
                char hex[80];
                uint64_t code = UINT64_MAX;
                m2c_u256_to_hex(hex, sizeof hex, &v.items[0].word);
                if (!m2c_u256_to_u64(&code, &v.items[0].word)) code = UINT64_MAX;
                st = m2c_buf_printf(b, "panic %s: %s", hex, panic_text(code));
                done = 1;
            }
        } else {
            for (size_t i = 0; i < n && !done; i++) {
                if (errors[i].kind != M2C_ABI_ERROR || memcmp(data, errors[i].selector, 4))
                    continue;
                if (m2c_abi_decode(&a, &v, errors[i].inputs, data + 4, len - 4, 0, NULL) != M2C_OK)
                    continue;
                st = m2c_buf_printf(b, "%s(", errors[i].name);
                for (size_t k = 0; !st && k < v.n; k++) {
                    if (k) st = m2c_buf_append_str(b, ", ");
                    if (!st) st = fmt_value(b, &v.items[k]);
                }
                if (!st) st = m2c_buf_append_byte(b, ')');
                done = 1;
            }
        }
        m2c_arena_free(&a);
        if (done) return st;
    }
    return put_hex(b, data, len);
}

/* ---- public entry points: on failure the buffer is left as it was ---- */

static m2c_status restore(m2c_buf *b, size_t len0, m2c_status st) {
    if (st) {
        b->len = len0;
        if (b->p) b->p[len0] = 0;
    }
    return st;
}

m2c_status m2c_abi_value_format(m2c_buf *b, const m2c_abi_value *v) {
    size_t len0 = b->len; /* before the call: argument order is unspecified */
    return restore(b, len0, fmt_value(b, v));
}

m2c_status m2c_abi_value_json(m2c_buf *b, const m2c_abi_value *v) {
    size_t len0 = b->len; /* before the call: argument order is unspecified */
    return restore(b, len0, json_value(b, v));
}

m2c_status m2c_abi_value_cell(m2c_buf *b, const m2c_abi_value *v) {
    size_t len0 = b->len; /* before the call: argument order is unspecified */
    return restore(b, len0, cell_value(b, v));
}

m2c_status m2c_abi_revert_reason(m2c_buf *b, const uint8_t *data, size_t len,
                                 const m2c_abi_sig *errors, size_t n) {
    size_t len0 = b->len;
    return restore(b, len0, revert_impl(b, data, len, errors, n));
}
