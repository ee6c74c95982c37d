/* u256.c: 256-bit unsigned and two's-complement signed arithmetic on four 64-bit limbs.
 * Products and quotients use unsigned __int128 (GCC and Clang on 64-bit targets); general
 * division is Knuth's algorithm D on 64-bit digits, with a one-limb fast path that decimal
 * formatting relies on. */
#include "ml2chain/u256.h"

#include <math.h>
#include <string.h>

typedef unsigned __int128 u128;

#define SIGN_BIT (1ULL << 63)

m2c_u256 m2c_u256_from_u64(uint64_t v) {
    m2c_u256 r = {{v, 0, 0, 0}};
    return r;
}

m2c_u256 m2c_u256_from_i64(int64_t v) {
    uint64_t ext = v < 0 ? UINT64_MAX : 0;
    m2c_u256 r = {{(uint64_t)v, ext, ext, ext}};
    return r;
}

int m2c_u256_is_zero(const m2c_u256 *a) {
    return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

int m2c_u256_to_u64(uint64_t *out, const m2c_u256 *a) {
    if (a->w[1] | a->w[2] | a->w[3]) return 0;
    *out = a->w[0];
    return 1;
}

int m2c_i256_to_i64(int64_t *out, const m2c_u256 *a) {
    /* Fits when the upper limbs are pure sign extension of bit 63 of w[0]. */
    uint64_t ext = (a->w[0] & SIGN_BIT) ? UINT64_MAX : 0;
    if (a->w[1] != ext || a->w[2] != ext || a->w[3] != ext) return 0;
    *out = (int64_t)a->w[0];
    return 1;
}

m2c_u256 m2c_u256_from_be32(const uint8_t in[32]) {
    m2c_u256 r;
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++)
            v = v << 8 | in[(3 - i) * 8 + j];
        r.w[i] = v;
    }
    return r;
}

void m2c_u256_to_be32(uint8_t out[32], const m2c_u256 *a) {
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            out[(3 - i) * 8 + j] = (uint8_t)(a->w[i] >> (56 - 8 * j));
}

m2c_status m2c_u256_from_be(m2c_u256 *out, const uint8_t *in, size_t n) {
    memset(out, 0, sizeof *out);
    if (n > 32) return M2C_ERR_RANGE;
    uint8_t buf[32] = {0};
    if (n) memcpy(buf + 32 - n, in, n);
    *out = m2c_u256_from_be32(buf);
    return M2C_OK;
}

size_t m2c_u256_to_be_min(uint8_t out[32], const m2c_u256 *a) {
    uint8_t buf[32];
    m2c_u256_to_be32(buf, a);
    size_t z = 0;
    while (z < 32 && buf[z] == 0)
        z++;
    memcpy(out, buf + z, 32 - z);
    return 32 - z;
}

int m2c_u256_cmp(const m2c_u256 *a, const m2c_u256 *b) {
    for (int i = 3; i >= 0; i--)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

int m2c_i256_is_neg(const m2c_u256 *a) {
    return (a->w[3] & SIGN_BIT) != 0;
}

int m2c_i256_cmp(const m2c_u256 *a, const m2c_u256 *b) {
    int na = m2c_i256_is_neg(a), nb = m2c_i256_is_neg(b);
    if (na != nb) return na ? -1 : 1;
    return m2c_u256_cmp(a, b); /* same sign: two's complement orders like unsigned */
}

int m2c_u256_add(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b) {
    uint64_t carry = 0;
    m2c_u256 r;
    for (int i = 0; i < 4; i++) {
        u128 s = (u128)a->w[i] + b->w[i] + carry;
        r.w[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    *out = r;
    return (int)carry;
}

int m2c_u256_sub(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b) {
    uint64_t borrow = 0;
    m2c_u256 r;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->w[i], y = b->w[i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x == y && borrow);
        r.w[i] = d;
    }
    *out = r;
    return (int)borrow;
}

/* Full 512-bit product into p[8]. */
static void mul_full(uint64_t p[8], const m2c_u256 *a, const m2c_u256 *b) {
    memset(p, 0, 8 * sizeof p[0]);
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            u128 t = (u128)a->w[i] * b->w[j] + p[i + j] + carry;
            p[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        p[i + 4] = carry;
    }
}

int m2c_u256_mul(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b) {
    uint64_t p[8];
    mul_full(p, a, b);
    m2c_u256 r = {{p[0], p[1], p[2], p[3]}};
    *out = r;
    return (p[4] | p[5] | p[6] | p[7]) != 0;
}

m2c_u256 m2c_i256_neg(const m2c_u256 *a) {
    m2c_u256 z = {{0, 0, 0, 0}}, r;
    (void)m2c_u256_sub(&r, &z, a);
    return r;
}

int m2c_i256_add(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b) {
    int na = m2c_i256_is_neg(a), nb = m2c_i256_is_neg(b);
    (void)m2c_u256_add(out, a, b);
    return na == nb && m2c_i256_is_neg(out) != na;
}

int m2c_i256_sub(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b) {
    int na = m2c_i256_is_neg(a), nb = m2c_i256_is_neg(b);
    (void)m2c_u256_sub(out, a, b);
    return na != nb && m2c_i256_is_neg(out) != na;
}

static m2c_u256 i256_abs(const m2c_u256 *a) {
    return m2c_i256_is_neg(a) ? m2c_i256_neg(a) : *a;
}

int m2c_i256_mul(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b) {
    int neg = m2c_i256_is_neg(a) != m2c_i256_is_neg(b);
    m2c_u256 ma = i256_abs(a), mb = i256_abs(b), mag;
    int ovf = m2c_u256_mul(&mag, &ma, &mb);
    (void)m2c_u256_mul(out, a, b); /* the wrapped result is the same bits either way */
    if (ovf) return 1;
    if (!(mag.w[3] & SIGN_BIT)) return 0; /* magnitude < 2^255 always fits */
    /* Magnitude >= 2^255: only exactly 2^255 with a negative sign fits (INT256_MIN). */
    int is_pow = mag.w[3] == SIGN_BIT && !(mag.w[2] | mag.w[1] | mag.w[0]);
    return !(neg && is_pow);
}

static int limbs(const m2c_u256 *a) {
    int n = 4;
    while (n > 0 && a->w[n - 1] == 0)
        n--;
    return n;
}

static int clz64(uint64_t x) {
    return x ? __builtin_clzll(x) : 64;
}

/* Divides a by the one-limb d (d != 0), returning the remainder. */
static uint64_t divmod_small(m2c_u256 *q, const m2c_u256 *a, uint64_t d) {
    u128 rem = 0;
    m2c_u256 r;
    for (int i = 3; i >= 0; i--) {
        u128 cur = rem << 64 | a->w[i];
        r.w[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    *q = r;
    return (uint64_t)rem;
}

/* Knuth, TAOCP vol. 2, 4.3.1, algorithm D, with 64-bit digits; b has n >= 2 limbs. */
static void divmod_knuth(m2c_u256 *q, m2c_u256 *r, const m2c_u256 *a, const m2c_u256 *b, int n) {
    int m = limbs(a) - n; /* quotient has m + 1 digits; caller ensures a >= b so m >= 0 */
    int s = clz64(b->w[n - 1]);
    uint64_t bn[4] = {0}, an[5] = {0}, qd[4] = {0};
    for (int i = n - 1; i > 0; i--)
        bn[i] = (b->w[i] << s) | (s ? b->w[i - 1] >> (64 - s) : 0);
    bn[0] = b->w[0] << s;
    an[4] = s ? a->w[3] >> (64 - s) : 0;
    for (int i = 3; i > 0; i--)
        an[i] = (a->w[i] << s) | (s ? a->w[i - 1] >> (64 - s) : 0);
    an[0] = a->w[0] << s;

    for (int j = m; j >= 0; j--) {
        u128 num = (u128)an[j + n] << 64 | an[j + n - 1];
        u128 qhat = num / bn[n - 1], rhat = num % bn[n - 1];
        while (qhat >> 64 || qhat * bn[n - 2] > (rhat << 64 | an[j + n - 2])) {
            qhat--;
            rhat += bn[n - 1];
            if (rhat >> 64) break;
        }
        /* an[j..j+n] -= qhat * bn[0..n) */
        uint64_t borrow = 0, carry = 0;
        for (int i = 0; i < n; i++) {
            u128 p = qhat * bn[i] + carry;
            carry = (uint64_t)(p >> 64);
            uint64_t lo = (uint64_t)p, x = an[i + j];
            uint64_t d = x - lo - borrow;
            borrow = (x < lo) || (x == lo && borrow);
            an[i + j] = d;
        }
        uint64_t x = an[j + n];
        an[j + n] = x - carry - borrow;
        int neg = (x < carry) || (x == carry && borrow);
        if (neg) { /* qhat was one too large: add b back */
            qhat--;
            uint64_t c = 0;
            for (int i = 0; i < n; i++) {
                u128 t = (u128)an[i + j] + bn[i] + c;
                an[i + j] = (uint64_t)t;
                c = (uint64_t)(t >> 64);
            }
            an[j + n] += c;
        }
        qd[j] = (uint64_t)qhat;
    }
    if (q) {
        m2c_u256 t = {{qd[0], qd[1], qd[2], qd[3]}};
        *q = t;
    }
    if (r) {
        m2c_u256 t;
        for (int i = 0; i < 4; i++)
            t.w[i] = i < n ? (an[i] >> s) | (s && i + 1 < n ? an[i + 1] << (64 - s) : 0) : 0;
        *r = t;
    }
}

m2c_status m2c_u256_divmod(m2c_u256 *q, m2c_u256 *r, const m2c_u256 *a, const m2c_u256 *b) {
    m2c_u256 zero = {{0, 0, 0, 0}};
    int n = limbs(b);
    if (n == 0) {
        if (q) *q = zero;
        if (r) *r = zero;
        return M2C_ERR_RANGE;
    }
    if (m2c_u256_cmp(a, b) < 0) {
        m2c_u256 aa = *a;
        if (q) *q = zero;
        if (r) *r = aa;
        return M2C_OK;
    }
    if (n == 1) {
        m2c_u256 qq;
        uint64_t rem = divmod_small(&qq, a, b->w[0]);
        if (q) *q = qq;
        if (r) *r = m2c_u256_from_u64(rem);
        return M2C_OK;
    }
    m2c_u256 aa = *a, bb = *b; /* outputs may alias the inputs */
    divmod_knuth(q, r, &aa, &bb, n);
    return M2C_OK;
}

m2c_status m2c_i256_divmod(m2c_u256 *q, m2c_u256 *r, const m2c_u256 *a, const m2c_u256 *b) {
    int na = m2c_i256_is_neg(a), nb = m2c_i256_is_neg(b);
    m2c_u256 ma = i256_abs(a), mb = i256_abs(b), qq, rr;
    m2c_status st = m2c_u256_divmod(&qq, &rr, &ma, &mb);
    if (st != M2C_OK) {
        if (q) *q = qq;
        if (r) *r = rr;
        return st;
    }
    /* |INT256_MIN| / 1 = 2^255, and negating 2^255 gives INT256_MIN again: the EVM's wrap. */
    if (q) *q = na != nb ? m2c_i256_neg(&qq) : qq;
    if (r) *r = na ? m2c_i256_neg(&rr) : rr;
    return M2C_OK;
}

m2c_u256 m2c_u256_shl(const m2c_u256 *a, unsigned n) {
    m2c_u256 r = {{0, 0, 0, 0}};
    if (n >= 256) return r;
    unsigned lw = n / 64, bits = n % 64;
    for (int i = 3; i >= (int)lw; i--) {
        uint64_t v = a->w[i - lw] << bits;
        if (bits && i - (int)lw - 1 >= 0) v |= a->w[i - lw - 1] >> (64 - bits);
        r.w[i] = v;
    }
    return r;
}

m2c_u256 m2c_u256_shr(const m2c_u256 *a, unsigned n) {
    m2c_u256 r = {{0, 0, 0, 0}};
    if (n >= 256) return r;
    unsigned lw = n / 64, bits = n % 64;
    for (unsigned i = 0; i + lw < 4; i++) {
        uint64_t v = a->w[i + lw] >> bits;
        if (bits && i + lw + 1 < 4) v |= a->w[i + lw + 1] << (64 - bits);
        r.w[i] = v;
    }
    return r;
}

m2c_u256 m2c_i256_sar(const m2c_u256 *a, unsigned n) {
    if (!m2c_i256_is_neg(a)) return m2c_u256_shr(a, n);
    /* sar(a) = ~shr(~a) for negative a */
    m2c_u256 na = m2c_u256_not(a), s = m2c_u256_shr(&na, n);
    return m2c_u256_not(&s);
}

m2c_u256 m2c_u256_and(const m2c_u256 *a, const m2c_u256 *b) {
    m2c_u256 r;
    for (int i = 0; i < 4; i++)
        r.w[i] = a->w[i] & b->w[i];
    return r;
}

m2c_u256 m2c_u256_or(const m2c_u256 *a, const m2c_u256 *b) {
    m2c_u256 r;
    for (int i = 0; i < 4; i++)
        r.w[i] = a->w[i] | b->w[i];
    return r;
}

m2c_u256 m2c_u256_not(const m2c_u256 *a) {
    m2c_u256 r;
    for (int i = 0; i < 4; i++)
        r.w[i] = ~a->w[i];
    return r;
}

unsigned m2c_u256_bitlen(const m2c_u256 *a) {
    for (int i = 3; i >= 0; i--)
        if (a->w[i]) return (unsigned)(64 * i + 64 - clz64(a->w[i]));
    return 0;
}

static m2c_status bad_char(m2c_err *err, const char *what, const char *kind, unsigned char c,
                           size_t off) {
    if (c >= 0x20 && c < 0x7f)
        return m2c_err_at(err, M2C_ERR_INVALID, off, "%s: invalid %s '%c' at offset %zu", what,
                          kind, c, off);
    return m2c_err_at(err, M2C_ERR_INVALID, off, "%s: invalid %s \\x%02x at offset %zu", what, kind,
                      c, off);
}

static int hex_digit(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* v = v * m + add; returns the limb carried out of the top (non-zero means overflow). */
static uint64_t mul_add_small(m2c_u256 *v, uint64_t m, uint64_t add) {
    uint64_t carry = add;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)v->w[i] * m + carry;
        v->w[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
    return carry;
}

/* Parses unsigned digits s[from..len) (decimal or 0x hex); `base` is the offset of s within
 * the caller's string, so error offsets are absolute. */
static m2c_status parse_mag(m2c_u256 *out, const char *s, size_t len, size_t base, const char *what,
                            m2c_err *err) {
    m2c_u256 v = {{0, 0, 0, 0}};
    *out = v;
    if (len == 0) return m2c_err_at(err, M2C_ERR_INVALID, base, "%s: no digits", what);
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (len == 2)
            return m2c_err_at(err, M2C_ERR_INVALID, base + 2, "%s: no digits after 0x", what);
        /* Validate left to right (so the first problem is the one reported), then place each
         * nibble straight into its limb. */
        size_t first = 0; /* index of the first significant digit, 0 while none seen */
        for (size_t i = 2; i < len; i++) {
            int d = hex_digit((unsigned char)s[i]);
            if (d < 0) return bad_char(err, what, "hex digit", (unsigned char)s[i], base + i);
            if (!first && d) first = i;
            if (first && i - first >= 64)
                return m2c_err_at(err, M2C_ERR_RANGE, base + i,
                                  "%s: value exceeds 2^256-1 at offset %zu", what, base + i);
        }
        for (size_t i = len, j = 0; first && i-- > first; j++)
            v.w[j / 16] |= (uint64_t)hex_digit((unsigned char)s[i]) << (4 * (j % 16));
    } else {
        /* Up to 19 digits at a time fit a uint64: v = v * 10^k + chunk. A chunk with a bad
         * character or an overflow is redone digit by digit to find the exact offset. */
        size_t i = 0;
        while (i < len) {
            size_t k = len - i < 19 ? len - i : 19;
            uint64_t chunk = 0, pow = 1;
            int ok = 1;
            for (size_t j = 0; j < k; j++) {
                unsigned c = (unsigned char)s[i + j];
                if (c - '0' > 9) {
                    ok = 0;
                    break;
                }
                chunk = chunk * 10 + (c - '0');
                pow *= 10;
            }
            m2c_u256 nv = v;
            if (ok && mul_add_small(&nv, pow, chunk) == 0) {
                v = nv;
                i += k;
                continue;
            }
            for (size_t j = i; j < i + k; j++) {
                unsigned c = (unsigned char)s[j];
                if (c - '0' > 9) return bad_char(err, what, "decimal digit", c, base + j);
                if (mul_add_small(&v, 10, c - '0'))
                    return m2c_err_at(err, M2C_ERR_RANGE, base + j,
                                      "%s: value exceeds 2^256-1 at offset %zu", what, base + j);
            }
            i += k; /* not reached: a chunk that fails as a whole fails digit by digit */
        }
    }
    *out = v;
    return M2C_OK;
}

m2c_status m2c_u256_parse(m2c_u256 *out, const char *s, size_t len, m2c_err *err) {
    m2c_status st = parse_mag(out, s, len, 0, "uint256", err);
    if (st != M2C_OK) memset(out, 0, sizeof *out);
    return st;
}

m2c_status m2c_i256_parse(m2c_u256 *out, const char *s, size_t len, m2c_err *err) {
    int neg = len > 0 && s[0] == '-';
    size_t skip = neg ? 1 : 0;
    m2c_u256 mag;
    memset(out, 0, sizeof *out);
    m2c_status st = parse_mag(&mag, s + skip, len - skip, skip, "int256", err);
    if (st != M2C_OK) return st;
    /* Positive values stop at 2^255 - 1, negative magnitudes at 2^255. */
    int top = (mag.w[3] & SIGN_BIT) != 0;
    int is_pow = mag.w[3] == SIGN_BIT && !(mag.w[2] | mag.w[1] | mag.w[0]);
    if (top && !(neg && is_pow))
        return m2c_err_at(err, M2C_ERR_RANGE, 0, "int256: value %s at offset 0",
                          neg ? "below -2^255" : "exceeds 2^255-1");
    *out = neg ? m2c_i256_neg(&mag) : mag;
    return M2C_OK;
}

/* Writes s[0..n) and a NUL into out if it fits; returns n, or 0 (with out[0] = 0 when cap
 * allows) when it does not. */
static size_t emit(char *out, size_t cap, const char *s, size_t n) {
    if (n + 1 > cap) {
        if (cap) out[0] = 0;
        return 0;
    }
    memcpy(out, s, n);
    out[n] = 0;
    return n;
}

static size_t dec_digits(char buf[80], const m2c_u256 *a) {
    /* Peel off 19 decimal digits at a time with one-limb divisions; fill from the end. A value
     * that fits one limb (most token amounts) needs no division of the wide value. */
    char *p = buf + 80;
    m2c_u256 v = *a;
    if (!(v.w[1] | v.w[2] | v.w[3])) {
        uint64_t x = v.w[0];
        while (x >= 100) {
            unsigned d = (unsigned)(x % 100);
            x /= 100;
            *--p = (char)('0' + d % 10);
            *--p = (char)('0' + d / 10);
        }
        if (x >= 10) {
            *--p = (char)('0' + x % 10);
            x /= 10;
        }
        *--p = (char)('0' + x);
        size_t n = (size_t)(buf + 80 - p);
        memmove(buf, p, n);
        return n;
    }
    do {
        uint64_t chunk = divmod_small(&v, &v, 10000000000000000000ULL);
        int more = !m2c_u256_is_zero(&v);
        for (int i = 0; i < 19 && (more || chunk); i++) {
            *--p = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    } while (!m2c_u256_is_zero(&v));
    if (p == buf + 80) *--p = '0';
    size_t n = (size_t)(buf + 80 - p);
    memmove(buf, p, n);
    return n;
}

size_t m2c_u256_to_dec(char *out, size_t cap, const m2c_u256 *a) {
    char buf[80];
    size_t n = dec_digits(buf, a);
    return emit(out, cap, buf, n);
}

size_t m2c_i256_to_dec(char *out, size_t cap, const m2c_u256 *a) {
    if (!m2c_i256_is_neg(a)) return m2c_u256_to_dec(out, cap, a);
    char buf[81];
    m2c_u256 m = m2c_i256_neg(a);
    buf[0] = '-';
    size_t n = dec_digits(buf + 1, &m);
    return emit(out, cap, buf, n + 1);
}

size_t m2c_u256_to_hex(char *out, size_t cap, const m2c_u256 *a) {
    static const char D[] = "0123456789abcdef";
    char buf[67] = "0x";
    size_t n = 2;
    unsigned bits = m2c_u256_bitlen(a);
    int nib = bits ? (int)((bits + 3) / 4) : 1;
    for (int i = nib - 1; i >= 0; i--)
        buf[n++] = D[(a->w[i / 16] >> (4 * (i % 16))) & 15];
    return emit(out, cap, buf, n);
}

double m2c_u256_to_double(const m2c_u256 *a) {
    unsigned bits = m2c_u256_bitlen(a);
    if (bits <= 64) return (double)a->w[0];
    /* Keep the top 64 bits and fold every lower bit into a sticky bit: 64 > 53 + 2, so the
     * hardware's conversion of `top` then rounds exactly as the full value would. */
    unsigned sh = bits - 64;
    m2c_u256 t = m2c_u256_shr(a, sh);
    uint64_t top = t.w[0];
    m2c_u256 back = m2c_u256_shl(&t, sh);
    if (m2c_u256_cmp(&back, a) != 0) top |= 1;
    return ldexp((double)top, (int)sh);
}

double m2c_i256_to_double(const m2c_u256 *a) {
    if (!m2c_i256_is_neg(a)) return m2c_u256_to_double(a);
    m2c_u256 m = m2c_i256_neg(a);
    return -m2c_u256_to_double(&m);
}
