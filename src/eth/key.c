/* key.c: secp256k1 keys, addresses and recoverable signatures; see key.h. */
#include "ml2chain/key.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"

/* The one context. Created once, randomised against side channels, then only read. */
static secp256k1_context *g_ctx;
static pthread_once_t g_ctx_once = PTHREAD_ONCE_INIT;

/* Fills p with n bytes from getrandom(2), retrying short reads and EINTR. */
static int fill_random(uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static void ctx_init(void) {
    secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!c) return;
    uint8_t seed[32];
    /* Randomisation only hardens against side channels; a context without it is still
     * correct, so a failing getrandom here is not fatal. */
    if (fill_random(seed, sizeof seed) == 0 && !secp256k1_context_randomize(c, seed)) {
        secp256k1_context_destroy(c);
        c = NULL;
    }
    m2c_wipe(seed, sizeof seed);
    g_ctx = c;
}

static const secp256k1_context *ctx_get(m2c_err *err) {
    pthread_once(&g_ctx_once, ctx_init);
    if (!g_ctx) m2c_err_set(err, M2C_ERR_CRYPTO, "cannot create secp256k1 context");
    return g_ctx;
}

m2c_addr20 m2c_pubkey_address(const uint8_t pub[64]) {
    m2c_hash32 h = m2c_keccak256(pub, 64);
    m2c_addr20 a;
    memcpy(a.b, h.b + 12, 20);
    return a;
}

void m2c_key_wipe(m2c_key *k) {
    if (k) m2c_wipe(k, sizeof *k);
}

m2c_status m2c_key_from_bytes(m2c_key *out, const uint8_t secret[32], m2c_err *err) {
    m2c_status st = M2C_OK;
    secp256k1_pubkey pk;
    uint8_t ser[65];
    size_t ser_len = sizeof ser;
    m2c_key_wipe(out);
    const secp256k1_context *ctx = ctx_get(err);
    if (!ctx) return M2C_ERR_CRYPTO;
    if (!secp256k1_ec_seckey_verify(ctx, secret)) {
        st = m2c_err_set(err, M2C_ERR_RANGE,
                         "private key out of range (must be 0 < k < secp256k1 order)");
        goto out;
    }
    if (!secp256k1_ec_pubkey_create(ctx, &pk, secret) ||
        !secp256k1_ec_pubkey_serialize(ctx, ser, &ser_len, &pk, SECP256K1_EC_UNCOMPRESSED) ||
        ser_len != 65) {
        st = m2c_err_set(err, M2C_ERR_CRYPTO, "cannot derive public key");
        goto out;
    }
    memcpy(out->secret, secret, 32);
    memcpy(out->pub, ser + 1, 64);
    out->addr = m2c_pubkey_address(out->pub);
out:
    if (st != M2C_OK) m2c_key_wipe(out);
    m2c_wipe(&pk, sizeof pk);
    return st;
}

m2c_status m2c_key_parse(m2c_key *out, const char *hex, m2c_err *err) {
    uint8_t sk[32];
    m2c_status st;
    m2c_key_wipe(out);
    if (!hex) return m2c_err_set(err, M2C_ERR_INVALID, "no private key given");
    size_t n = strlen(hex);
    /* Decode by hand rather than through m2c_hex_decode so no error message can echo any of
     * the secret's characters. */
    const char *p = hex;
    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) p += 2, n -= 2;
    if (n != 64) {
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "private key must be 64 hex digits (0x optional), got %zu chars", n);
    }
    for (size_t i = 0; i < 64; i++) {
        char c = p[i];
        int v = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (v < 0) {
            m2c_wipe(sk, sizeof sk);
            return m2c_err_set(err, M2C_ERR_INVALID, "private key: non-hex digit at position %zu",
                               i + (size_t)(p - hex));
        }
        if (i % 2 == 0)
            sk[i / 2] = (uint8_t)(v << 4);
        else
            sk[i / 2] = (uint8_t)(sk[i / 2] | v);
    }
    st = m2c_key_from_bytes(out, sk, err);
    m2c_wipe(sk, sizeof sk);
    return st;
}

m2c_status m2c_key_generate(m2c_key *out, m2c_err *err) {
    uint8_t sk[32];
    m2c_status st = M2C_ERR_IO;
    m2c_key_wipe(out);
    /* A uniform 256-bit value is outside [1, n) with probability ~2^-128; retry anyway. */
    for (int tries = 0; tries < 8; tries++) {
        if (fill_random(sk, sizeof sk) != 0) {
            st = m2c_err_set(err, M2C_ERR_IO, "getrandom: %s", strerror(errno));
            break;
        }
        st = m2c_key_from_bytes(out, sk, NULL);
        if (st == M2C_OK || st != M2C_ERR_RANGE) break;
    }
    if (st != M2C_OK && st != M2C_ERR_IO)
        st = m2c_err_set(err, st, "cannot generate a private key");
    m2c_wipe(sk, sizeof sk);
    return st;
}

m2c_status m2c_key_sign_hash(m2c_sig65 *out, const m2c_key *k, const m2c_hash32 *hash,
                             m2c_err *err) {
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    memset(out, 0, sizeof *out);
    const secp256k1_context *ctx = ctx_get(err);
    if (!ctx) return M2C_ERR_CRYPTO;
    /* NULL nonce function = RFC 6979; libsecp256k1 always emits low-s. */
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, hash->b, k->secret, NULL, NULL) ||
        !secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out->b, &recid, &rs)) {
        memset(out, 0, sizeof *out);
        return m2c_err_set(err, M2C_ERR_CRYPTO, "signing failed (invalid private key)");
    }
    out->b[64] = (uint8_t)recid;
    return M2C_OK;
}

m2c_status m2c_sig_recover(m2c_addr20 *out, const m2c_hash32 *hash, const m2c_sig65 *sig,
                           m2c_err *err) {
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    uint8_t ser[65];
    size_t ser_len = sizeof ser;
    memset(out, 0, sizeof *out);
    const secp256k1_context *ctx = ctx_get(err);
    if (!ctx) return M2C_ERR_CRYPTO;
    if (sig->b[64] > 3)
        return m2c_err_set(err, M2C_ERR_CRYPTO, "recovery id %u out of range (0..3)",
                           (unsigned)sig->b[64]);
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig->b, sig->b[64]))
        return m2c_err_set(err, M2C_ERR_CRYPTO, "signature r or s is not below the curve order");
    if (!secp256k1_ecdsa_recover(ctx, &pk, &rs, hash->b))
        return m2c_err_set(err, M2C_ERR_CRYPTO, "no public key recovers from this signature");
    if (!secp256k1_ec_pubkey_serialize(ctx, ser, &ser_len, &pk, SECP256K1_EC_UNCOMPRESSED) ||
        ser_len != 65)
        return m2c_err_set(err, M2C_ERR_CRYPTO, "cannot serialize recovered public key");
    *out = m2c_pubkey_address(ser + 1);
    return M2C_OK;
}

int m2c_sig_is_low_s(const m2c_sig65 *sig) {
    /* n / 2, big-endian */
    static const uint8_t half_n[32] = {
        0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
        0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};
    return memcmp(sig->b + 32, half_n, 32) <= 0;
}

m2c_hash32 m2c_eip191_hash(const uint8_t *msg, size_t len) {
    static const char prefix[] = "\x19" "Ethereum Signed Message:\n";
    char num[24];
    int nl = snprintf(num, sizeof num, "%zu", len);
    m2c_keccak_ctx kc;
    m2c_hash32 h;
    m2c_keccak_init(&kc);
    m2c_keccak_update(&kc, prefix, sizeof prefix - 1);
    m2c_keccak_update(&kc, num, (size_t)nl);
    if (len) m2c_keccak_update(&kc, msg, len);
    m2c_keccak_final(&kc, &h);
    return h;
}

m2c_status m2c_key_sign_message(m2c_sig65 *out, const m2c_key *k, const uint8_t *msg,
                                size_t len, m2c_err *err) {
    m2c_hash32 h = m2c_eip191_hash(msg, len);
    return m2c_key_sign_hash(out, k, &h, err);
}

m2c_status m2c_verify_message(const m2c_addr20 *addr, const uint8_t *msg, size_t len,
                              const m2c_sig65 *sig, m2c_err *err) {
    m2c_hash32 h = m2c_eip191_hash(msg, len);
    m2c_addr20 got;
    m2c_status st = m2c_sig_recover(&got, &h, sig, err);
    if (st != M2C_OK) return st;
    if (memcmp(got.b, addr->b, 20) != 0) {
        char a[43], b[43];
        m2c_addr_checksum(a, &got);
        m2c_addr_checksum(b, addr);
        return m2c_err_set(err, M2C_ERR_AUTH, "signature is by %s, not %s", a, b);
    }
    return M2C_OK;
}

void m2c_sig_to_rsv(uint8_t out[65], const m2c_sig65 *sig) {
    memcpy(out, sig->b, 64);
    out[64] = (uint8_t)(27 + sig->b[64]);
}

m2c_status m2c_sig_from_rsv(m2c_sig65 *out, const uint8_t in[65], m2c_err *err) {
    uint8_t v = in[64];
    memset(out, 0, sizeof *out);
    if (v >= 27) v = (uint8_t)(v - 27);
    if (v > 1)
        return m2c_err_set(err, M2C_ERR_INVALID, "signature v must be 0, 1, 27 or 28, got %u",
                           (unsigned)in[64]);
    memcpy(out->b, in, 64);
    out->b[64] = v;
    return M2C_OK;
}
