/* keccak.c: Keccak-256 (rate 136 bytes, capacity 512 bits, padding 0x01 ... 0x80).
 * The permutation keeps the lanes in locals with two unrolled rounds per loop iteration; lanes
 * are little-endian per the Keccak spec. */
#include "ml2chain/keccak.h"

#include <string.h>

#define RATE       136
#define ROTL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Keccak-f[1600]. Each round computes theta, then for one output row at a time the five
 * rho+pi lanes and their chi, reading state a and writing state e; the next round goes from e
 * back to a, so two rounds per iteration need no copies and few values are live at once. */
static void keccakf(uint64_t st[25]) {
    uint64_t a0 = st[0], a1 = st[1], a2 = st[2], a3 = st[3], a4 = st[4];
    uint64_t a5 = st[5], a6 = st[6], a7 = st[7], a8 = st[8], a9 = st[9];
    uint64_t a10 = st[10], a11 = st[11], a12 = st[12], a13 = st[13], a14 = st[14];
    uint64_t a15 = st[15], a16 = st[16], a17 = st[17], a18 = st[18], a19 = st[19];
    uint64_t a20 = st[20], a21 = st[21], a22 = st[22], a23 = st[23], a24 = st[24];
    uint64_t e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15, e16, e17, e18,
        e19, e20, e21, e22, e23, e24;
    uint64_t b0, b1, b2, b3, b4, c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    for (int i = 0; i < 24; i += 2) {
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
        d0 = c4 ^ ROTL(c1, 1);
        d1 = c0 ^ ROTL(c2, 1);
        d2 = c1 ^ ROTL(c3, 1);
        d3 = c2 ^ ROTL(c4, 1);
        d4 = c3 ^ ROTL(c0, 1);
        b0 = a0 ^ d0;
        b1 = ROTL(a6 ^ d1, 44);
        b2 = ROTL(a12 ^ d2, 43);
        b3 = ROTL(a18 ^ d3, 21);
        b4 = ROTL(a24 ^ d4, 14);
        e0 = b0 ^ (~b1 & b2);
        e1 = b1 ^ (~b2 & b3);
        e2 = b2 ^ (~b3 & b4);
        e3 = b3 ^ (~b4 & b0);
        e4 = b4 ^ (~b0 & b1);
        b0 = ROTL(a3 ^ d3, 28);
        b1 = ROTL(a9 ^ d4, 20);
        b2 = ROTL(a10 ^ d0, 3);
        b3 = ROTL(a16 ^ d1, 45);
        b4 = ROTL(a22 ^ d2, 61);
        e5 = b0 ^ (~b1 & b2);
        e6 = b1 ^ (~b2 & b3);
        e7 = b2 ^ (~b3 & b4);
        e8 = b3 ^ (~b4 & b0);
        e9 = b4 ^ (~b0 & b1);
        b0 = ROTL(a1 ^ d1, 1);
        b1 = ROTL(a7 ^ d2, 6);
        b2 = ROTL(a13 ^ d3, 25);
        b3 = ROTL(a19 ^ d4, 8);
        b4 = ROTL(a20 ^ d0, 18);
        e10 = b0 ^ (~b1 & b2);
        e11 = b1 ^ (~b2 & b3);
        e12 = b2 ^ (~b3 & b4);
        e13 = b3 ^ (~b4 & b0);
        e14 = b4 ^ (~b0 & b1);
        b0 = ROTL(a4 ^ d4, 27);
        b1 = ROTL(a5 ^ d0, 36);
        b2 = ROTL(a11 ^ d1, 10);
        b3 = ROTL(a17 ^ d2, 15);
        b4 = ROTL(a23 ^ d3, 56);
        e15 = b0 ^ (~b1 & b2);
        e16 = b1 ^ (~b2 & b3);
        e17 = b2 ^ (~b3 & b4);
        e18 = b3 ^ (~b4 & b0);
        e19 = b4 ^ (~b0 & b1);
        b0 = ROTL(a2 ^ d2, 62);
        b1 = ROTL(a8 ^ d3, 55);
        b2 = ROTL(a14 ^ d4, 39);
        b3 = ROTL(a15 ^ d0, 41);
        b4 = ROTL(a21 ^ d1, 2);
        e20 = b0 ^ (~b1 & b2);
        e21 = b1 ^ (~b2 & b3);
        e22 = b2 ^ (~b3 & b4);
        e23 = b3 ^ (~b4 & b0);
        e24 = b4 ^ (~b0 & b1);
        e0 ^= RC[i];
        c0 = e0 ^ e5 ^ e10 ^ e15 ^ e20;
        c1 = e1 ^ e6 ^ e11 ^ e16 ^ e21;
        c2 = e2 ^ e7 ^ e12 ^ e17 ^ e22;
        c3 = e3 ^ e8 ^ e13 ^ e18 ^ e23;
        c4 = e4 ^ e9 ^ e14 ^ e19 ^ e24;
        d0 = c4 ^ ROTL(c1, 1);
        d1 = c0 ^ ROTL(c2, 1);
        d2 = c1 ^ ROTL(c3, 1);
        d3 = c2 ^ ROTL(c4, 1);
        d4 = c3 ^ ROTL(c0, 1);
        b0 = e0 ^ d0;
        b1 = ROTL(e6 ^ d1, 44);
        b2 = ROTL(e12 ^ d2, 43);
        b3 = ROTL(e18 ^ d3, 21);
        b4 = ROTL(e24 ^ d4, 14);
        a0 = b0 ^ (~b1 & b2);
        a1 = b1 ^ (~b2 & b3);
        a2 = b2 ^ (~b3 & b4);
        a3 = b3 ^ (~b4 & b0);
        a4 = b4 ^ (~b0 & b1);
        b0 = ROTL(e3 ^ d3, 28);
        b1 = ROTL(e9 ^ d4, 20);
        b2 = ROTL(e10 ^ d0, 3);
        b3 = ROTL(e16 ^ d1, 45);
        b4 = ROTL(e22 ^ d2, 61);
        a5 = b0 ^ (~b1 & b2);
        a6 = b1 ^ (~b2 & b3);
        a7 = b2 ^ (~b3 & b4);
        a8 = b3 ^ (~b4 & b0);
        a9 = b4 ^ (~b0 & b1);
        b0 = ROTL(e1 ^ d1, 1);
        b1 = ROTL(e7 ^ d2, 6);
        b2 = ROTL(e13 ^ d3, 25);
        b3 = ROTL(e19 ^ d4, 8);
        b4 = ROTL(e20 ^ d0, 18);
        a10 = b0 ^ (~b1 & b2);
        a11 = b1 ^ (~b2 & b3);
        a12 = b2 ^ (~b3 & b4);
        a13 = b3 ^ (~b4 & b0);
        a14 = b4 ^ (~b0 & b1);
        b0 = ROTL(e4 ^ d4, 27);
        b1 = ROTL(e5 ^ d0, 36);
        b2 = ROTL(e11 ^ d1, 10);
        b3 = ROTL(e17 ^ d2, 15);
        b4 = ROTL(e23 ^ d3, 56);
        a15 = b0 ^ (~b1 & b2);
        a16 = b1 ^ (~b2 & b3);
        a17 = b2 ^ (~b3 & b4);
        a18 = b3 ^ (~b4 & b0);
        a19 = b4 ^ (~b0 & b1);
        b0 = ROTL(e2 ^ d2, 62);
        b1 = ROTL(e8 ^ d3, 55);
        b2 = ROTL(e14 ^ d4, 39);
        b3 = ROTL(e15 ^ d0, 41);
        b4 = ROTL(e21 ^ d1, 2);
        a20 = b0 ^ (~b1 & b2);
        a21 = b1 ^ (~b2 & b3);
        a22 = b2 ^ (~b3 & b4);
        a23 = b3 ^ (~b4 & b0);
        a24 = b4 ^ (~b0 & b1);
        a0 ^= RC[i + 1];
    }
    st[0] = a0, st[1] = a1, st[2] = a2, st[3] = a3, st[4] = a4;
    st[5] = a5, st[6] = a6, st[7] = a7, st[8] = a8, st[9] = a9;
    st[10] = a10, st[11] = a11, st[12] = a12, st[13] = a13, st[14] = a14;
    st[15] = a15, st[16] = a16, st[17] = a17, st[18] = a18, st[19] = a19;
    st[20] = a20, st[21] = a21, st[22] = a22, st[23] = a23, st[24] = a24;
}

static uint64_t load64le(const uint8_t *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
#endif
}

/* XORs one full 136-byte block into the state and permutes. */
static void absorb_block(uint64_t st[25], const uint8_t *p) {
    for (int i = 0; i < RATE / 8; i++)
        st[i] ^= load64le(p + 8 * i);
    keccakf(st);
}

static void xor_byte(uint64_t st[25], size_t pos, uint8_t b) {
    st[pos / 8] ^= (uint64_t)b << (8 * (pos % 8));
}

void m2c_keccak_init(m2c_keccak_ctx *ctx) {
    memset(ctx, 0, sizeof *ctx);
}

void m2c_keccak_update(m2c_keccak_ctx *ctx, const void *data, size_t len) {
    const uint8_t *p = data;
    /* Fill a partial block byte by byte, then whole blocks lane by lane. */
    while (len && ctx->pos) {
        xor_byte(ctx->st, ctx->pos++, *p++);
        len--;
        if (ctx->pos == RATE) {
            keccakf(ctx->st);
            ctx->pos = 0;
        }
    }
    while (len >= RATE) {
        absorb_block(ctx->st, p);
        p += RATE;
        len -= RATE;
    }
    while (len--)
        xor_byte(ctx->st, ctx->pos++, *p++);
}

void m2c_keccak_final(m2c_keccak_ctx *ctx, m2c_hash32 *out) {
    xor_byte(ctx->st, ctx->pos, 0x01);
    xor_byte(ctx->st, RATE - 1, 0x80);
    keccakf(ctx->st);
    for (int i = 0; i < 32; i++)
        out->b[i] = (uint8_t)(ctx->st[i / 8] >> (8 * (i % 8)));
    ctx->pos = 0;
}

m2c_hash32 m2c_keccak256(const void *data, size_t len) {
    m2c_keccak_ctx ctx;
    m2c_hash32 h;
    m2c_keccak_init(&ctx);
    m2c_keccak_update(&ctx, data, len);
    m2c_keccak_final(&ctx, &h);
    return h;
}
