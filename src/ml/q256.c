/* q256.c: signed 256-bit helpers for the qmodel runtime and encoding; see q256.h. */
#include "q256.h"

#include <math.h>
#include <string.h>

typedef unsigned __int128 u128;

m2c_u256 m2c_q256_from_i64(int64_t v) {
    m2c_u256 r;
    uint64_t fill = v < 0 ? ~(uint64_t)0 : 0;
    r.w[0] = (uint64_t)v;
    r.w[1] = r.w[2] = r.w[3] = fill;
    return r;
}

m2c_u256 m2c_q256_from_be32(const uint8_t in[32]) {
    m2c_u256 r;
    for (int l = 0; l < 4; l++) {
        uint64_t x = 0;
        for (int k = 0; k < 8; k++)
            x = (x << 8) | in[(3 - l) * 8 + k];
        r.w[l] = x;
    }
    return r;
}

void m2c_q256_to_be32(uint8_t out[32], const m2c_u256 *a) {
    for (int l = 0; l < 4; l++)
        for (int k = 0; k < 8; k++)
            out[(3 - l) * 8 + k] = (uint8_t)(a->w[l] >> (56 - 8 * k));
}

int m2c_q256_is_neg(const m2c_u256 *a) {
    return (int)(a->w[3] >> 63);
}

int m2c_q256_is_zero(const m2c_u256 *a) {
    return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

int m2c_q256_fits_i192(const m2c_u256 *a) {
    /* bits 255..191: all of limb 3 and the top bit of limb 2 */
    uint64_t top = a->w[3];
    uint64_t b191 = a->w[2] >> 63;
    return (top == 0 && b191 == 0) || (top == ~(uint64_t)0 && b191 == 1);
}

int m2c_q256_cmp(const m2c_u256 *a, const m2c_u256 *b) {
    int na = m2c_q256_is_neg(a), nb = m2c_q256_is_neg(b);
    if (na != nb) return na ? -1 : 1;
    for (int l = 3; l >= 0; l--)
        if (a->w[l] != b->w[l]) return a->w[l] < b->w[l] ? -1 : 1;
    return 0;
}

m2c_u256 m2c_q256_add(const m2c_u256 *a, const m2c_u256 *b) {
    m2c_u256 r;
    u128 c = 0;
    for (int l = 0; l < 4; l++) {
        c += (u128)a->w[l] + b->w[l];
        r.w[l] = (uint64_t)c;
        c >>= 64;
    }
    return r;
}

m2c_u256 m2c_q256_neg(const m2c_u256 *a) {
    m2c_u256 r;
    u128 c = 1;
    for (int l = 0; l < 4; l++) {
        c += (u128)(~a->w[l]);
        r.w[l] = (uint64_t)c;
        c >>= 64;
    }
    return r;
}

m2c_u256 m2c_q256_sub(const m2c_u256 *a, const m2c_u256 *b) {
    m2c_u256 nb = m2c_q256_neg(b);
    return m2c_q256_add(a, &nb);
}

/* Unsigned product mod 2^256. */
static m2c_u256 mul_u(const m2c_u256 *a, const m2c_u256 *b) {
    uint64_t r[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        for (int j = 0; i + j < 4; j++) {
            c += (u128)a->w[i] * b->w[j] + r[i + j];
            r[i + j] = (uint64_t)c;
            c >>= 64;
        }
    }
    m2c_u256 out;
    memcpy(out.w, r, sizeof r);
    return out;
}

/* Two's complement makes the low 256 bits of a signed product equal to the unsigned one. */
m2c_u256 m2c_q256_mul(const m2c_u256 *a, const m2c_u256 *b) {
    return mul_u(a, b);
}

m2c_u256 m2c_q256_mul_i64(const m2c_u256 *a, int64_t m) {
    m2c_u256 b = m2c_q256_from_i64(m);
    return mul_u(a, &b);
}

m2c_u256 m2c_q256_sar(const m2c_u256 *a, unsigned s) {
    uint64_t fill = m2c_q256_is_neg(a) ? ~(uint64_t)0 : 0;
    uint64_t src[8] = {a->w[0], a->w[1], a->w[2], a->w[3], fill, fill, fill, fill};
    m2c_u256 r;
    s &= 255;
    unsigned q = s / 64, b = s % 64;
    for (unsigned l = 0; l < 4; l++) {
        uint64_t lo = src[l + q], hi = src[l + q + 1];
        r.w[l] = b ? (lo >> b) | (hi << (64 - b)) : lo;
    }
    return r;
}

m2c_u256 m2c_q256_rshr(const m2c_u256 *a, unsigned s) {
    if (s == 0) return *a;
    m2c_u256 half = {{0, 0, 0, 0}};
    half.w[(s - 1) / 64] = (uint64_t)1 << ((s - 1) % 64);
    m2c_u256 t = m2c_q256_add(a, &half);
    return m2c_q256_sar(&t, s);
}

int m2c_q256_to_i64(int64_t *out, const m2c_u256 *a) {
    uint64_t fill = (a->w[0] >> 63) ? ~(uint64_t)0 : 0;
    if (a->w[1] != fill || a->w[2] != fill || a->w[3] != fill) return 0;
    *out = (int64_t)a->w[0];
    return 1;
}

int32_t m2c_q256_sat32(const m2c_u256 *a) {
    int64_t v;
    if (!m2c_q256_to_i64(&v, a)) return m2c_q256_is_neg(a) ? INT32_MIN : INT32_MAX;
    if (v < INT32_MIN) return INT32_MIN;
    if (v > INT32_MAX) return INT32_MAX;
    return (int32_t)v;
}

int m2c_q256_mul10_add(m2c_u256 *a, unsigned d) {
    u128 c = d;
    for (int l = 0; l < 4; l++) {
        c += (u128)a->w[l] * 10;
        a->w[l] = (uint64_t)c;
        c >>= 64;
    }
    return c != 0;
}

int m2c_q256_muladd_u64(m2c_u256 *a, uint64_t m, uint64_t d) {
    u128 c = d;
    for (int l = 0; l < 4; l++) {
        c += (u128)a->w[l] * m;
        a->w[l] = (uint64_t)c;
        c >>= 64;
    }
    return c != 0;
}

unsigned m2c_q256_div10(m2c_u256 *a) {
    u128 rem = 0;
    for (int l = 3; l >= 0; l--) {
        u128 cur = (rem << 64) | a->w[l];
        a->w[l] = (uint64_t)(cur / 10);
        rem = cur % 10;
    }
    return (unsigned)rem;
}

m2c_u256 m2c_q256_from_double(double v) {
    m2c_u256 r = {{0, 0, 0, 0}};
    if (!isfinite(v)) return r;
    double a = round(fabs(v)); /* C round(): halves away from zero */
    if (a >= ldexp(1.0, 255)) return r;
    /* a is an integer < 2^255: peel off 32-bit chunks exactly from the top. */
    for (int l = 3; l >= 0; l--) {
        double unit = ldexp(1.0, 64 * l);
        double hi = floor(a / unit);
        /* hi < 2^64 and a - hi*unit is exact for doubles that are integers */
        if (hi >= ldexp(1.0, 64)) hi = ldexp(1.0, 64) - 1;
        r.w[l] = (uint64_t)hi;
        a -= hi * unit;
    }
    return v < 0 ? m2c_q256_neg(&r) : r;
}

double m2c_q256_to_double(const m2c_u256 *a) {
    int neg = m2c_q256_is_neg(a);
    m2c_u256 m = neg ? m2c_q256_neg(a) : *a;
    double d = 0;
    for (int l = 3; l >= 0; l--)
        d = d * 18446744073709551616.0 + (double)m.w[l];
    return neg ? -d : d;
}
