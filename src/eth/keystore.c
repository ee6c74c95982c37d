/* keystore.c: Web3 Secret Storage v3 read/write; see keystore.h. */
#include "ml2chain/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"

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

/* ---- parsing ----------------------------------------------------------------------- */

static m2c_status get_obj(json_t **out, json_t *parent, const char *key, const char *where,
                          m2c_err *err) {
    json_t *v = json_object_get(parent, key);
    *out = NULL;
    if (!v) return m2c_err_set(err, M2C_ERR_INVALID, "keystore: missing field %s%s", where, key);
    if (!json_is_object(v))
        return m2c_err_set(err, M2C_ERR_INVALID, "keystore: field %s%s is not an object", where,
                           key);
    *out = v;
    return M2C_OK;
}

static m2c_status get_str(const char **out, json_t *parent, const char *key, const char *where,
                          m2c_err *err) {
    json_t *v = json_object_get(parent, key);
    *out = NULL;
    if (!v) return m2c_err_set(err, M2C_ERR_INVALID, "keystore: missing field %s%s", where, key);
    if (!json_is_string(v))
        return m2c_err_set(err, M2C_ERR_INVALID, "keystore: field %s%s is not a string", where,
                           key);
    *out = json_string_value(v);
    return M2C_OK;
}

/* An integer field within [lo, hi]. */
static m2c_status get_int(uint64_t *out, json_t *parent, const char *key, const char *where,
                          uint64_t lo, uint64_t hi, m2c_err *err) {
    json_t *v = json_object_get(parent, key);
    *out = 0;
    if (!v) return m2c_err_set(err, M2C_ERR_INVALID, "keystore: missing field %s%s", where, key);
    if (!json_is_integer(v))
        return m2c_err_set(err, M2C_ERR_INVALID, "keystore: field %s%s is not an integer", where,
                           key);
    json_int_t i = json_integer_value(v);
    if (i < 0 || (uint64_t)i < lo || (uint64_t)i > hi)
        return m2c_err_set(err, M2C_ERR_RANGE,
                           "keystore: field %s%s = %lld out of range [%llu, %llu]", where, key,
                           (long long)i, (unsigned long long)lo, (unsigned long long)hi);
    *out = (uint64_t)i;
    return M2C_OK;
}

/* A hex string field of exactly n bytes ("0x" tolerated). */
static m2c_status get_hex_exact(uint8_t *out, size_t n, json_t *parent, const char *key,
                                const char *where, m2c_err *err) {
    const char *s;
    m2c_status st = get_str(&s, parent, key, where, err);
    if (st != M2C_OK) return st;
    if (m2c_hex_decode_exact(out, n, s, err) != M2C_OK)
        return m2c_err_prefix(err, "keystore: field %s%s", where, key);
    return M2C_OK;
}

m2c_status m2c_keystore_parse(m2c_keystore *out, const char *json, size_t len, m2c_err *err) {
    m2c_status st = M2C_OK;
    json_error_t jerr;
    json_t *root = NULL, *crypto, *cp, *kp, *v;
    const char *s;
    uint64_t u;
    memset(out, 0, sizeof *out);
    if (len > M2C_KEYSTORE_MAX_JSON)
        return m2c_err_set(err, M2C_ERR_RANGE, "keystore: file too large (%zu > %u bytes)", len,
                           M2C_KEYSTORE_MAX_JSON);
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        st = m2c_err_at(err, M2C_ERR_INVALID, (size_t)jerr.position,
                        "keystore: invalid json at line %d column %d: %s", jerr.line,
                        jerr.column, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "keystore: top level is not a json object");
        goto out;
    }
    if ((st = get_int(&u, root, "version", "", 3, 3, err))) goto out;
    crypto = json_object_get(root, "crypto");
    if (!crypto) crypto = json_object_get(root, "Crypto"); /* geth's old spelling */
    if (!crypto) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "keystore: missing field crypto");
        goto out;
    }
    if (!json_is_object(crypto)) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "keystore: field crypto is not an object");
        goto out;
    }
    if ((st = get_str(&s, crypto, "cipher", "crypto.", err))) goto out;
    if (strcmp(s, "aes-128-ctr") != 0) {
        st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                         "keystore: cipher \"%.40s\" not supported (only aes-128-ctr)", s);
        goto out;
    }
    if ((st = get_obj(&cp, crypto, "cipherparams", "crypto.", err))) goto out;
    if ((st = get_hex_exact(out->iv, 16, cp, "iv", "crypto.cipherparams.", err))) goto out;
    if ((st = get_hex_exact(out->ciphertext, 32, crypto, "ciphertext", "crypto.", err))) goto out;
    if ((st = get_hex_exact(out->mac.b, 32, crypto, "mac", "crypto.", err))) goto out;
    if ((st = get_str(&s, crypto, "kdf", "crypto.", err))) goto out;
    if ((st = get_obj(&kp, crypto, "kdfparams", "crypto.", err))) goto out;
    if (!strcmp(s, "scrypt")) {
        uint64_t n, r, p;
        out->kdf.kdf = M2C_KDF_SCRYPT;
        if ((st = get_int(&n, kp, "n", "crypto.kdfparams.", 2, M2C_KEYSTORE_MAX_SCRYPT_N, err)))
            goto out;
        if (n & (n - 1)) {
            st = m2c_err_set(err, M2C_ERR_INVALID,
                             "keystore: crypto.kdfparams.n = %llu is not a power of two",
                             (unsigned long long)n);
            goto out;
        }
        if ((st = get_int(&r, kp, "r", "crypto.kdfparams.", 1, 64, err))) goto out;
        if ((st = get_int(&p, kp, "p", "crypto.kdfparams.", 1, M2C_KEYSTORE_MAX_SCRYPT_P, err)))
            goto out;
        if (128 * r * n > M2C_KEYSTORE_MAX_SCRYPT_MEM) {
            st = m2c_err_set(err, M2C_ERR_RANGE,
                             "keystore: scrypt n = %llu, r = %llu needs %llu MiB (cap %u MiB)",
                             (unsigned long long)n, (unsigned long long)r,
                             (unsigned long long)((128 * r * n) >> 20),
                             M2C_KEYSTORE_MAX_SCRYPT_MEM >> 20);
            goto out;
        }
        out->kdf.n = n;
        out->kdf.r = (uint32_t)r;
        out->kdf.p = (uint32_t)p;
    } else if (!strcmp(s, "pbkdf2")) {
        const char *prf;
        uint64_t c;
        out->kdf.kdf = M2C_KDF_PBKDF2;
        if ((st = get_str(&prf, kp, "prf", "crypto.kdfparams.", err))) goto out;
        if (strcmp(prf, "hmac-sha256") != 0) {
            st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                             "keystore: pbkdf2 prf \"%.40s\" not supported (only hmac-sha256)",
                             prf);
            goto out;
        }
        if ((st = get_int(&c, kp, "c", "crypto.kdfparams.", 1, M2C_KEYSTORE_MAX_PBKDF2_C, err)))
            goto out;
        out->kdf.c = (uint32_t)c;
    } else {
        st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                         "keystore: kdf \"%.40s\" not supported (scrypt or pbkdf2)", s);
        goto out;
    }
    if ((st = get_int(&u, kp, "dklen", "crypto.kdfparams.", 32, 32, err))) goto out;
    if ((st = get_str(&s, kp, "salt", "crypto.kdfparams.", err))) goto out;
    if (m2c_hex_decode(out->salt, sizeof out->salt, &out->salt_len, s, strlen(s),
                       M2C_HEX_PREFIX_OPTIONAL, err) != M2C_OK) {
        st = m2c_err_prefix(err, "keystore: field crypto.kdfparams.salt");
        goto out;
    }
    if (out->salt_len == 0) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "keystore: field crypto.kdfparams.salt is empty");
        goto out;
    }
    /* Optional fields. */
    if ((v = json_object_get(root, "address"))) {
        char tmp[43];
        if (!json_is_string(v) || json_string_length(v) > 42) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "keystore: field address is not an address");
            goto out;
        }
        s = json_string_value(v);
        if (strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0) {
            snprintf(tmp, sizeof tmp, "0x%s", s);
            s = tmp;
        }
        if (m2c_addr_parse(&out->address, s, err) != M2C_OK) {
            st = m2c_err_prefix(err, "keystore: field address");
            goto out;
        }
        out->has_address = 1;
    }
    if ((v = json_object_get(root, "id"))) {
        if (!json_is_string(v) || json_string_length(v) >= sizeof out->id) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "keystore: field id is not a uuid string");
            goto out;
        }
        memcpy(out->id, json_string_value(v), json_string_length(v) + 1);
    }
out:
    json_decref(root);
    if (st != M2C_OK) memset(out, 0, sizeof *out);
    return st;
}

/* ---- scrypt ------------------------------------------------------------------------ */

static int scrypt_params_ok(uint64_t n, uint32_t r, uint32_t p) {
    return n >= 2 && n <= M2C_KEYSTORE_MAX_SCRYPT_N && !(n & (n - 1)) && r >= 1 && r <= 64 &&
           p >= 1 && p <= M2C_KEYSTORE_MAX_SCRYPT_P &&
           128ull * r * n <= M2C_KEYSTORE_MAX_SCRYPT_MEM;
}

#define ROTL32(a, b) (((a) << (b)) | ((a) >> (32 - (b))))

/* Salsa20/8 core on a 16-word block, in place (RFC 7914 section 3). */
static void salsa20_8(uint32_t b[16]) {
    uint32_t x[16];
    memcpy(x, b, sizeof x);
    for (int i = 0; i < 8; i += 2) {
        /* columns */
        x[4] ^= ROTL32(x[0] + x[12], 7), x[8] ^= ROTL32(x[4] + x[0], 9);
        x[12] ^= ROTL32(x[8] + x[4], 13), x[0] ^= ROTL32(x[12] + x[8], 18);
        x[9] ^= ROTL32(x[5] + x[1], 7), x[13] ^= ROTL32(x[9] + x[5], 9);
        x[1] ^= ROTL32(x[13] + x[9], 13), x[5] ^= ROTL32(x[1] + x[13], 18);
        x[14] ^= ROTL32(x[10] + x[6], 7), x[2] ^= ROTL32(x[14] + x[10], 9);
        x[6] ^= ROTL32(x[2] + x[14], 13), x[10] ^= ROTL32(x[6] + x[2], 18);
        x[3] ^= ROTL32(x[15] + x[11], 7), x[7] ^= ROTL32(x[3] + x[15], 9);
        x[11] ^= ROTL32(x[7] + x[3], 13), x[15] ^= ROTL32(x[11] + x[7], 18);
        /* rows */
        x[1] ^= ROTL32(x[0] + x[3], 7), x[2] ^= ROTL32(x[1] + x[0], 9);
        x[3] ^= ROTL32(x[2] + x[1], 13), x[0] ^= ROTL32(x[3] + x[2], 18);
        x[6] ^= ROTL32(x[5] + x[4], 7), x[7] ^= ROTL32(x[6] + x[5], 9);
        x[4] ^= ROTL32(x[7] + x[6], 13), x[5] ^= ROTL32(x[4] + x[7], 18);
        x[11] ^= ROTL32(x[10] + x[9], 7), x[8] ^= ROTL32(x[11] + x[10], 9);
        x[9] ^= ROTL32(x[8] + x[11], 13), x[10] ^= ROTL32(x[9] + x[8], 18);
        x[12] ^= ROTL32(x[15] + x[14], 7), x[13] ^= ROTL32(x[12] + x[15], 9);
        x[14] ^= ROTL32(x[13] + x[12], 13), x[15] ^= ROTL32(x[14] + x[13], 18);
    }
    for (int i = 0; i < 16; i++) b[i] += x[i];
    m2c_wipe(x, sizeof x);
}

/* scryptBlockMix: b (32 r words) -> y (32 r words); the output interleaves even blocks then
 * odd blocks. */
static void block_mix(uint32_t *y, const uint32_t *b, uint32_t r) {
    uint32_t x[16];
    memcpy(x, b + (2 * r - 1) * 16, 64);
    for (uint32_t i = 0; i < 2 * r; i++) {
        for (int k = 0; k < 16; k++) x[k] ^= b[i * 16 + k];
        salsa20_8(x);
        memcpy(y + ((i & 1) * r + i / 2) * 16, x, 64);
    }
    m2c_wipe(x, sizeof x);
}

/* scryptROMix on one 128 r-byte block, in place. v holds n * 32 r words, t 32 r words. */
static void ro_mix(uint8_t *blk, uint64_t n, uint32_t r, uint32_t *v, uint32_t *x,
                   uint32_t *t) {
    size_t w = 32 * (size_t)r;
    for (size_t k = 0; k < w; k++)
        x[k] = (uint32_t)blk[4 * k] | (uint32_t)blk[4 * k + 1] << 8 |
               (uint32_t)blk[4 * k + 2] << 16 | (uint32_t)blk[4 * k + 3] << 24;
    for (uint64_t i = 0; i < n; i++) {
        memcpy(v + i * w, x, w * 4);
        block_mix(t, x, r);
        memcpy(x, t, w * 4);
    }
    for (uint64_t i = 0; i < n; i++) {
        /* Integerify: the first word of the last 64-byte block; n <= 2^20 needs only it. */
        uint64_t j = x[(2 * r - 1) * 16] & (n - 1);
        for (size_t k = 0; k < w; k++) x[k] ^= v[j * w + k];
        block_mix(t, x, r);
        memcpy(x, t, w * 4);
    }
    for (size_t k = 0; k < w; k++) {
        blk[4 * k] = (uint8_t)x[k];
        blk[4 * k + 1] = (uint8_t)(x[k] >> 8);
        blk[4 * k + 2] = (uint8_t)(x[k] >> 16);
        blk[4 * k + 3] = (uint8_t)(x[k] >> 24);
    }
}

m2c_status m2c_scrypt_portable(uint8_t *out, size_t out_len, const char *pw, size_t pw_len,
                               const uint8_t *salt, size_t salt_len, uint64_t n, uint32_t r,
                               uint32_t p, m2c_err *err) {
    m2c_status st = M2C_OK;
    uint8_t *b = NULL;
    uint32_t *v = NULL, *xt = NULL;
    size_t blen = 128 * (size_t)r * p, vlen = 128 * (size_t)r * (size_t)n;
    if (!scrypt_params_ok(n, r, p))
        return m2c_err_set(err, M2C_ERR_RANGE, "scrypt parameters n=%llu r=%u p=%u outside the "
                           "limits", (unsigned long long)n, r, p);
    if (pw_len > 0x7fffffff || salt_len > 0x7fffffff || out_len > 0x7fffffff)
        return m2c_err_set(err, M2C_ERR_RANGE, "scrypt input too long");
    b = malloc(blen);
    v = malloc(vlen);
    xt = malloc(2 * 128 * (size_t)r);
    if (!b || !v || !xt) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "scrypt: cannot allocate %zu bytes", vlen + blen);
        goto out;
    }
    if (!PKCS5_PBKDF2_HMAC(pw ? pw : "", (int)pw_len, salt, (int)salt_len, 1, EVP_sha256(),
                           (int)blen, b)) {
        st = m2c_err_set(err, M2C_ERR_CRYPTO, "scrypt: pbkdf2 failed");
        goto out;
    }
    for (uint32_t i = 0; i < p; i++) ro_mix(b + 128 * (size_t)r * i, n, r, v, xt, xt + 32 * r);
    if (!PKCS5_PBKDF2_HMAC(pw ? pw : "", (int)pw_len, b, (int)blen, 1, EVP_sha256(),
                           (int)out_len, out)) {
        st = m2c_err_set(err, M2C_ERR_CRYPTO, "scrypt: pbkdf2 failed");
        goto out;
    }
out:
    if (b) m2c_wipe(b, blen);
    if (v) m2c_wipe(v, vlen);
    if (xt) m2c_wipe(xt, 2 * 128 * (size_t)r);
    free(b);
    free(v);
    free(xt);
    return st;
}

m2c_status m2c_scrypt(uint8_t *out, size_t out_len, const char *pw, size_t pw_len,
                      const uint8_t *salt, size_t salt_len, uint64_t n, uint32_t r, uint32_t p,
                      m2c_err *err) {
    if (!scrypt_params_ok(n, r, p))
        return m2c_err_set(err, M2C_ERR_RANGE, "scrypt parameters n=%llu r=%u p=%u outside the "
                           "limits", (unsigned long long)n, r, p);
    /* OpenSSL insists on n < 2^(16 r) (RFC 7914's recommendation, not its definition). */
    if (16 * r < 64 && n >= (1ull << (16 * r)))
        return m2c_scrypt_portable(out, out_len, pw, pw_len, salt, salt_len, n, r, p, err);
    uint64_t maxmem = 128ull * r * (n + 2) + 128ull * r * p + 65536;
    if (!EVP_PBE_scrypt(pw ? pw : "", pw_len, salt, salt_len, n, r, p, maxmem, out, out_len))
        return m2c_err_set(err, M2C_ERR_CRYPTO, "scrypt failed (n=%llu r=%u p=%u)",
                           (unsigned long long)n, r, p);
    return M2C_OK;
}

/* ---- crypto ------------------------------------------------------------------------ */

static m2c_status derive(uint8_t dk[32], const m2c_keystore_params *kp, const uint8_t *salt,
                         size_t salt_len, const char *pw, size_t pw_len, m2c_err *err) {
    if (kp->kdf == M2C_KDF_SCRYPT) {
        m2c_status st = m2c_scrypt(dk, 32, pw, pw_len, salt, salt_len, kp->n, kp->r, kp->p, err);
        return st == M2C_OK ? st : m2c_err_prefix(err, "keystore");
    }
    if (kp->kdf == M2C_KDF_PBKDF2) {
        if (pw_len > 0x7fffffff || salt_len > 0x7fffffff ||
            !PKCS5_PBKDF2_HMAC(pw ? pw : "", (int)pw_len, salt, (int)salt_len, (int)kp->c,
                               EVP_sha256(), 32, dk))
            return m2c_err_set(err, M2C_ERR_CRYPTO, "keystore: pbkdf2 failed");
        return M2C_OK;
    }
    return m2c_err_set(err, M2C_ERR_UNSUPPORTED, "keystore: unknown kdf %d", (int)kp->kdf);
}

static m2c_hash32 mac_of(const uint8_t dk[32], const uint8_t ct[32]) {
    uint8_t buf[48];
    memcpy(buf, dk + 16, 16);
    memcpy(buf + 16, ct, 32);
    m2c_hash32 h = m2c_keccak256(buf, sizeof buf);
    m2c_wipe(buf, sizeof buf);
    return h;
}

/* AES-128-CTR is its own inverse. */
static m2c_status aes128ctr(uint8_t out[32], const uint8_t key[16], const uint8_t iv[16],
                            const uint8_t in[32], m2c_err *err) {
    m2c_status st = M2C_OK;
    int l1 = 0, l2 = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c) return m2c_err_set(err, M2C_ERR_NOMEM, "keystore: cannot create cipher context");
    if (!EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) ||
        !EVP_EncryptUpdate(c, out, &l1, in, 32) || !EVP_EncryptFinal_ex(c, out + l1, &l2) ||
        l1 + l2 != 32)
        st = m2c_err_set(err, M2C_ERR_CRYPTO, "keystore: aes-128-ctr failed");
    EVP_CIPHER_CTX_free(c);
    return st;
}

m2c_status m2c_keystore_decrypt(m2c_key *out, const m2c_keystore *ks, const char *password,
                                size_t password_len, m2c_err *err) {
    uint8_t dk[32], sk[32];
    m2c_status st;
    m2c_key_wipe(out);
    if ((st = derive(dk, &ks->kdf, ks->salt, ks->salt_len, password, password_len, err)))
        goto out;
    m2c_hash32 mac = mac_of(dk, ks->ciphertext);
    if (CRYPTO_memcmp(mac.b, ks->mac.b, 32) != 0) {
        st = m2c_err_set(err, M2C_ERR_AUTH, "wrong password (mac mismatch)");
        goto out;
    }
    if ((st = aes128ctr(sk, dk, ks->iv, ks->ciphertext, err))) goto out;
    if ((st = m2c_key_from_bytes(out, sk, err))) {
        st = m2c_err_prefix(err, "keystore: decrypted key is unusable");
        goto out;
    }
    if (ks->has_address && memcmp(ks->address.b, out->addr.b, 20) != 0) {
        char a[43], b[43];
        m2c_addr_checksum(a, &ks->address);
        m2c_addr_checksum(b, &out->addr);
        m2c_key_wipe(out);
        st = m2c_err_set(err, M2C_ERR_INVALID,
                         "keystore: address field %s does not match the key's address %s", a, b);
        goto out;
    }
out:
    m2c_wipe(dk, sizeof dk);
    m2c_wipe(sk, sizeof sk);
    if (st != M2C_OK) m2c_key_wipe(out);
    return st;
}

static m2c_status check_params(const m2c_keystore_params *p, m2c_err *err) {
    if (p->kdf == M2C_KDF_SCRYPT) {
        if (p->n < 2 || p->n > M2C_KEYSTORE_MAX_SCRYPT_N || (p->n & (p->n - 1)) || p->r < 1 ||
            p->r > 64 || p->p < 1 || p->p > M2C_KEYSTORE_MAX_SCRYPT_P ||
            128ull * p->r * p->n > M2C_KEYSTORE_MAX_SCRYPT_MEM)
            return m2c_err_set(err, M2C_ERR_RANGE,
                               "keystore: scrypt parameters n=%llu r=%u p=%u outside the limits",
                               (unsigned long long)p->n, p->r, p->p);
        return M2C_OK;
    }
    if (p->kdf == M2C_KDF_PBKDF2) {
        if (p->c < 1 || p->c > M2C_KEYSTORE_MAX_PBKDF2_C)
            return m2c_err_set(err, M2C_ERR_RANGE, "keystore: pbkdf2 c=%u outside [1, %u]", p->c,
                               M2C_KEYSTORE_MAX_PBKDF2_C);
        return M2C_OK;
    }
    return m2c_err_set(err, M2C_ERR_INVALID, "keystore: unknown kdf %d", (int)p->kdf);
}

m2c_status m2c_keystore_encrypt(m2c_keystore *out, const m2c_key *k, const char *password,
                                size_t password_len, const m2c_keystore_params *params,
                                m2c_err *err) {
    uint8_t dk[32], uuid[16];
    m2c_status st;
    m2c_keystore_params def = M2C_KEYSTORE_PARAMS_DEFAULT;
    memset(out, 0, sizeof *out);
    if (!params) params = &def;
    if ((st = check_params(params, err))) return st;
    /* field by field: only the chosen kdf's parameters, and no stray padding bytes */
    out->kdf.kdf = params->kdf;
    if (params->kdf == M2C_KDF_SCRYPT) {
        out->kdf.n = params->n;
        out->kdf.r = params->r;
        out->kdf.p = params->p;
    } else {
        out->kdf.c = params->c;
    }
    out->salt_len = 32;
    if (fill_random(out->salt, 32) || fill_random(out->iv, 16) || fill_random(uuid, 16)) {
        st = m2c_err_set(err, M2C_ERR_IO, "keystore: getrandom: %s", strerror(errno));
        goto out;
    }
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40); /* version 4 */
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out->id, sizeof out->id,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", uuid[0],
             uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8], uuid[9],
             uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
    if ((st = derive(dk, params, out->salt, out->salt_len, password, password_len, err)))
        goto out;
    if ((st = aes128ctr(out->ciphertext, dk, out->iv, k->secret, err))) goto out;
    out->mac = mac_of(dk, out->ciphertext);
    out->has_address = 1;
    out->address = k->addr;
out:
    m2c_wipe(dk, sizeof dk);
    if (st != M2C_OK) memset(out, 0, sizeof *out);
    return st;
}

m2c_status m2c_keystore_to_json(m2c_buf *out, const m2c_keystore *ks, m2c_err *err) {
    char iv[33], ct[65], mac[65], salt[2 * M2C_KEYSTORE_MAX_SALT + 1], addr[41];
    m2c_status st;
    if (ks->salt_len == 0 || ks->salt_len > M2C_KEYSTORE_MAX_SALT)
        return m2c_err_set(err, M2C_ERR_INVALID, "keystore: salt length %zu invalid",
                           ks->salt_len);
    m2c_hex_encode(iv, ks->iv, 16, 0);
    m2c_hex_encode(ct, ks->ciphertext, 32, 0);
    m2c_hex_encode(mac, ks->mac.b, 32, 0);
    m2c_hex_encode(salt, ks->salt, ks->salt_len, 0);
    st = m2c_buf_printf(out,
                        "{\"crypto\":{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":\"%s\"},"
                        "\"ciphertext\":\"%s\",",
                        iv, ct);
    if (st == M2C_OK && ks->kdf.kdf == M2C_KDF_SCRYPT)
        st = m2c_buf_printf(out,
                            "\"kdf\":\"scrypt\",\"kdfparams\":{\"dklen\":32,\"n\":%llu,\"p\":%u,"
                            "\"r\":%u,\"salt\":\"%s\"},",
                            (unsigned long long)ks->kdf.n, ks->kdf.p, ks->kdf.r, salt);
    else if (st == M2C_OK && ks->kdf.kdf == M2C_KDF_PBKDF2)
        st = m2c_buf_printf(out,
                            "\"kdf\":\"pbkdf2\",\"kdfparams\":{\"c\":%u,\"dklen\":32,"
                            "\"prf\":\"hmac-sha256\",\"salt\":\"%s\"},",
                            ks->kdf.c, salt);
    else if (st == M2C_OK)
        return m2c_err_set(err, M2C_ERR_INVALID, "keystore: unknown kdf %d", (int)ks->kdf.kdf);
    if (st == M2C_OK) st = m2c_buf_printf(out, "\"mac\":\"%s\"}", mac);
    if (st == M2C_OK && ks->has_address) {
        m2c_hex_encode(addr, ks->address.b, 20, 0);
        st = m2c_buf_printf(out, ",\"address\":\"%s\"", addr);
    }
    if (st == M2C_OK && ks->id[0]) {
        /* ids we did not make may hold any characters; keep the JSON valid */
        for (const char *p = ks->id; *p; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
                return m2c_err_set(err, M2C_ERR_INVALID, "keystore: id has a character json "
                                                         "would need to escape");
        st = m2c_buf_printf(out, ",\"id\":\"%s\"", ks->id);
    }
    if (st == M2C_OK) st = m2c_buf_append_str(out, ",\"version\":3}");
    if (st != M2C_OK) return m2c_err_set(err, st, "keystore: cannot build json");
    return M2C_OK;
}

/* ---- files ------------------------------------------------------------------------- */

/* Reads at most max bytes of the file at path into buf (capacity max + 1, NUL-terminated). */
static m2c_status read_small_file(char *buf, size_t max, size_t *len, const char *path,
                                  const char *what, m2c_err *err) {
    m2c_status st = M2C_OK;
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *len = 0;
    if (fd < 0) return m2c_err_set(err, M2C_ERR_IO, "cannot open %s %s: %s", what, path,
                                   strerror(errno));
    for (;;) {
        if (n == max + 1) break;
        ssize_t got = read(fd, buf + n, max + 1 - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            st = m2c_err_set(err, M2C_ERR_IO, "cannot read %s %s: %s", what, path,
                             strerror(errno));
            goto out;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    if (n > max) {
        st = m2c_err_set(err, M2C_ERR_RANGE, "%s %s is larger than %zu bytes", what, path, max);
        goto out;
    }
    buf[n] = 0;
    *len = n;
out:
    close(fd);
    return st;
}

m2c_status m2c_keystore_load_file(m2c_key *out, const char *path, const char *password,
                                  size_t password_len, m2c_err *err) {
    char *buf = NULL;
    size_t len = 0;
    m2c_keystore ks;
    m2c_status st;
    m2c_key_wipe(out);
    /* 64 KiB is too large for a comfortable stack frame in threads; use the heap. */
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if ((st = m2c_buf_reserve(&b, M2C_KEYSTORE_MAX_JSON + 1)))
        return m2c_err_set(err, st, "cannot allocate keystore buffer");
    buf = (char *)b.p;
    if ((st = read_small_file(buf, M2C_KEYSTORE_MAX_JSON, &len, path, "keystore", err)))
        goto out;
    if ((st = m2c_keystore_parse(&ks, buf, len, err))) {
        m2c_err_prefix(err, "%s", path);
        goto out;
    }
    if ((st = m2c_keystore_decrypt(out, &ks, password, password_len, err))) {
        m2c_err_prefix(err, "%s", path);
        goto out;
    }
out:
    m2c_buf_free(&b);
    return st;
}

m2c_status m2c_keystore_write_file(const char *path, const m2c_keystore *ks, m2c_err *err) {
    m2c_buf b;
    m2c_status st;
    int fd = -1;
    size_t off = 0;
    m2c_buf_init(&b, 0);
    if ((st = m2c_keystore_to_json(&b, ks, err))) goto out;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        st = m2c_err_set(err, M2C_ERR_IO, "cannot create keystore %s: %s", path, strerror(errno));
        goto out;
    }
    while (off < b.len) {
        ssize_t w = write(fd, b.p + off, b.len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            st = m2c_err_set(err, M2C_ERR_IO, "cannot write keystore %s: %s", path,
                             strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        st = m2c_err_set(err, M2C_ERR_IO, "cannot sync keystore %s: %s", path, strerror(errno));
        goto out;
    }
out:
    if (fd >= 0) {
        if (close(fd) != 0 && st == M2C_OK)
            st = m2c_err_set(err, M2C_ERR_IO, "cannot close keystore %s: %s", path,
                             strerror(errno));
        if (st != M2C_OK) unlink(path);
    }
    m2c_buf_free(&b);
    return st;
}

m2c_status m2c_keystore_read_password(char *out, size_t cap, size_t *len, const char *path,
                                      m2c_err *err) {
    size_t n = 0;
    *len = 0;
    if (cap < 2) return m2c_err_set(err, M2C_ERR_RANGE, "password buffer too small");
    m2c_status st = read_small_file(out, cap - 1, &n, path, "password file", err);
    if (st != M2C_OK) {
        m2c_wipe(out, cap);
        return st;
    }
    /* Foundry trims trailing whitespace (Rust's trim_end) from password files. */
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\n' ||
                     out[n - 1] == '\r' || out[n - 1] == '\v' || out[n - 1] == '\f'))
        out[--n] = 0;
    *len = n;
    return M2C_OK;
}
