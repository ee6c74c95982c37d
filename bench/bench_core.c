/* bench_core.c: throughput of the core primitives the extractor and node lean on: keccak-256
 * (against OpenSSL's SHA3-256, the same permutation, as a yardstick), hex decode/encode,
 * u256 formatting/parsing/arithmetic and RLP decoding. Prints one line per measurement. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml2chain/buf.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/rlp.h"
#include "ml2chain/u256.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint8_t sink; /* keeps results alive */

static void report(const char *what, double secs, double ops, double bytes) {
    if (bytes > 0)
        printf("%-40s %10.1f MB/s  %12.0f ops/s\n", what, bytes / secs / 1e6, ops / secs);
    else
        printf("%-40s %10s       %12.0f ops/s\n", what, "", ops / secs);
}

static void bench_keccak(void) {
    size_t big = 1 << 20;
    uint8_t *buf = malloc(big);
    for (size_t i = 0; i < big; i++)
        buf[i] = (uint8_t)(i * 131);
    int reps = 64;
    double t = now();
    for (int r = 0; r < reps; r++) {
        m2c_hash32 h = m2c_keccak256(buf, big);
        sink ^= h.b[0];
    }
    report("keccak256 1 MiB", now() - t, reps, (double)reps * big);

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t out[32];
    unsigned olen;
    t = now();
    for (int r = 0; r < reps; r++) {
        EVP_DigestInit_ex(ctx, EVP_sha3_256(), NULL);
        EVP_DigestUpdate(ctx, buf, big);
        EVP_DigestFinal_ex(ctx, out, &olen);
        sink ^= out[0];
    }
    report("openssl sha3-256 1 MiB (reference)", now() - t, reps, (double)reps * big);

    size_t sizes[] = {32, 64, 136};
    for (size_t k = 0; k < 3; k++) {
        long n = 2000000;
        t = now();
        for (long i = 0; i < n; i++) {
            buf[0] = (uint8_t)i;
            m2c_hash32 h = m2c_keccak256(buf, sizes[k]);
            sink ^= h.b[0];
        }
        char name[64];
        snprintf(name, sizeof name, "keccak256 %zu bytes", sizes[k]);
        report(name, now() - t, (double)n, (double)n * sizes[k]);
    }
    EVP_MD_CTX_free(ctx);
    free(buf);
}

static void bench_hex(void) {
    size_t big = 1 << 20;
    uint8_t *bin = malloc(big), *back = malloc(big);
    char *txt = malloc(2 * big + 3);
    for (size_t i = 0; i < big; i++)
        bin[i] = (uint8_t)(i * 7);
    int reps = 100;
    double t = now();
    for (int r = 0; r < reps; r++)
        sink ^= (uint8_t)m2c_hex_encode(txt, bin, big, 1);
    report("hex encode 1 MiB", now() - t, reps, (double)reps * big);
    size_t n;
    t = now();
    for (int r = 0; r < reps; r++)
        if (m2c_hex_decode(back, big, &n, txt, 2 * big + 2, M2C_HEX_PREFIX_REQUIRED, NULL) ==
            M2C_OK)
            sink ^= back[r];
    report("hex decode 1 MiB", now() - t, reps, (double)reps * big);
    /* 32-byte words, as an extractor sees topics and hashes */
    long words = 5000000;
    char w[67];
    m2c_hex_encode(w, bin, 32, 1);
    t = now();
    for (long i = 0; i < words; i++) {
        w[2 + (i & 31)] = "0123456789abcdef"[i & 15];
        if (m2c_hex_decode(back, 32, &n, w, 66, M2C_HEX_PREFIX_REQUIRED, NULL) == M2C_OK)
            sink ^= back[0];
    }
    report("hex decode 32-byte word", now() - t, (double)words, (double)words * 32);
    t = now();
    for (long i = 0; i < words; i++) {
        bin[i & 31] = (uint8_t)i;
        sink ^= (uint8_t)m2c_hex_encode(w, bin, 32, 1);
    }
    report("hex encode 32-byte word", now() - t, (double)words, (double)words * 32);
    free(bin);
    free(back);
    free(txt);
}

static void bench_u256(void) {
    long n = 1000000;
    m2c_u256 a = {{0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x1111111111111111ULL,
                   0x0fffffffffffffffULL}};
    m2c_u256 b = {{0x9999999999999999ULL, 0x7777777777777777ULL, 0, 0}};
    char buf[80];
    double t = now();
    for (long i = 0; i < n; i++) {
        a.w[0] += (uint64_t)i;
        sink ^= (uint8_t)m2c_u256_to_dec(buf, sizeof buf, &a);
    }
    report("u256 to decimal (77 digits)", now() - t, (double)n, 0);
    size_t len = m2c_u256_to_dec(buf, sizeof buf, &a);
    m2c_u256 v;
    t = now();
    for (long i = 0; i < n; i++)
        if (m2c_u256_parse(&v, buf, len, NULL) == M2C_OK) sink ^= (uint8_t)v.w[0];
    report("u256 parse decimal (77 digits)", now() - t, (double)n, 0);
    m2c_u256 q, r, p;
    t = now();
    for (long i = 0; i < n; i++) {
        a.w[0] += (uint64_t)i;
        if (m2c_u256_divmod(&q, &r, &a, &b) == M2C_OK) sink ^= (uint8_t)q.w[0];
    }
    report("u256 divmod 256/128 bits", now() - t, (double)n, 0);
    t = now();
    for (long i = 0; i < n; i++) {
        a.w[0] += (uint64_t)i;
        sink ^= (uint8_t)m2c_u256_mul(&p, &a, &b);
    }
    report("u256 mul", now() - t, (double)n, 0);
    t = now();
    double acc = 0;
    for (long i = 0; i < n; i++) {
        a.w[0] += (uint64_t)i;
        acc += m2c_u256_to_double(&a);
    }
    sink ^= (uint8_t)(acc > 0);
    report("u256 to double", now() - t, (double)n, 0);
}

static void bench_rlp(void) {
    /* A legacy-transaction-shaped list: 9 fields, 110 bytes of payload. */
    m2c_buf b;
    m2c_buf_init(&b, 0);
    m2c_rlp_enc e;
    m2c_rlp_enc_init(&e, &b);
    uint8_t to[20], data[36], sig[32];
    memset(to, 0xab, sizeof to);
    memset(data, 0xcd, sizeof data);
    memset(sig, 0xef, sizeof sig);
    if (m2c_rlp_list_begin(&e) || m2c_rlp_put_u64(&e, 42) || m2c_rlp_put_u64(&e, 20000000000) ||
        m2c_rlp_put_u64(&e, 21000) || m2c_rlp_put_bytes(&e, to, 20) ||
        m2c_rlp_put_u64(&e, 1000000000000000000ULL) || m2c_rlp_put_bytes(&e, data, 36) ||
        m2c_rlp_put_u64(&e, 37) || m2c_rlp_put_bytes(&e, sig, 32) ||
        m2c_rlp_put_bytes(&e, sig, 32) || m2c_rlp_list_end(&e))
        abort();
    long n = 2000000;
    double t = now();
    for (long i = 0; i < n; i++) {
        m2c_rlp_item it, c;
        size_t pos = 0;
        if (m2c_rlp_decode(&it, b.p, b.len, NULL) != M2C_OK) abort();
        while (m2c_rlp_list_next(&c, &it, &pos, NULL) == M2C_OK)
            sink ^= (uint8_t)c.len;
    }
    report("rlp decode+walk 9-field tx", now() - t, (double)n, (double)n * b.len);
    t = now();
    for (long i = 0; i < n; i++) {
        m2c_buf_reset(&b);
        m2c_rlp_enc_init(&e, &b);
        if (m2c_rlp_list_begin(&e) || m2c_rlp_put_u64(&e, (uint64_t)i) ||
            m2c_rlp_put_bytes(&e, to, 20) || m2c_rlp_put_bytes(&e, data, 36) ||
            m2c_rlp_put_bytes(&e, sig, 32) || m2c_rlp_list_end(&e))
            abort();
    }
    report("rlp encode 4-field list", now() - t, (double)n, 0);
    m2c_buf_free(&b);
}

int main(void) {
    bench_keccak();
    bench_hex();
    bench_u256();
    bench_rlp();
    return 0;
}
