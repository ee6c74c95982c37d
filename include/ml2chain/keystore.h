/* keystore.h: Web3 Secret Storage v3 keystores (the JSON files geth, cast and most wallets
 * read and write): a private key encrypted with aes-128-ctr under a key derived from a
 * password by scrypt or pbkdf2-hmac-sha256, with mac = keccak256(dk[16..32] || ciphertext).
 *
 * Reading is split in two so untrusted files can be checked cheaply: m2c_keystore_parse()
 * validates the JSON structure and caps every KDF parameter (no KDF work is done), and
 * m2c_keystore_decrypt() runs the KDF and checks the mac. A wrong password is M2C_ERR_AUTH
 * "wrong password (mac mismatch)".
 *
 * The m2c_keystore struct is a fixed-size value holding only public material (salt, iv,
 * ciphertext, mac). Parsing, the KDFs and file loading use heap memory they free before
 * returning; derived keys, plaintext and KDF state are wiped first. The JSON writer appends
 * to a caller-owned m2c_buf. Thread-safe. */
#ifndef ML2CHAIN_KEYSTORE_H
#define ML2CHAIN_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/key.h"
#include "ml2chain/types.h"

/* Hard caps applied to files we read (writing is held to the same limits). */
#define M2C_KEYSTORE_MAX_JSON       (64u * 1024) /* bytes of JSON */
#define M2C_KEYSTORE_MAX_SALT       128u         /* salt bytes */
#define M2C_KEYSTORE_MAX_SCRYPT_N   (1u << 20)   /* scrypt cost n (power of two) */
#define M2C_KEYSTORE_MAX_SCRYPT_MEM (256u << 20) /* 128 * r * n bytes */
#define M2C_KEYSTORE_MAX_SCRYPT_P   16u          /* scrypt parallelism */
#define M2C_KEYSTORE_MAX_PBKDF2_C   10000000u    /* pbkdf2 iterations */
#define M2C_KEYSTORE_MAX_PASSWORD   4096u        /* password bytes read from a file */

typedef enum {
    M2C_KDF_SCRYPT = 1,
    M2C_KDF_PBKDF2 = 2, /* prf hmac-sha256 */
} m2c_kdf;

typedef struct {
    m2c_kdf kdf;
    uint64_t n;    /* scrypt: cost, a power of two */
    uint32_t r, p; /* scrypt: block size, parallelism */
    uint32_t c;    /* pbkdf2: iterations */
} m2c_keystore_params;

/* What cast writes: scrypt n = 8192, r = 8, p = 1. */
#define M2C_KEYSTORE_PARAMS_DEFAULT ((m2c_keystore_params){M2C_KDF_SCRYPT, 8192, 8, 1, 0})

typedef struct {
    m2c_keystore_params kdf;
    uint8_t salt[M2C_KEYSTORE_MAX_SALT];
    size_t salt_len;
    uint8_t iv[16];         /* aes-128-ctr initial counter */
    uint8_t ciphertext[32]; /* the encrypted private key */
    m2c_hash32 mac;
    int has_address; /* the optional "address" field was present */
    m2c_addr20 address;
    char id[37]; /* uuid text, "" if the file had none */
} m2c_keystore;

/* Validates and reads a v3 keystore JSON document of `len` bytes (untrusted). Requires
 * version 3, cipher aes-128-ctr, a 16-byte iv, a 32-byte ciphertext, a 32-byte mac, kdf
 * scrypt or pbkdf2 (prf hmac-sha256) with dklen 32 and parameters within the caps above.
 * "crypto" may also be spelt "Crypto" (old geth files). Errors name the field. */
M2C_WUR m2c_status m2c_keystore_parse(m2c_keystore *out, const char *json, size_t len,
                                      m2c_err *err);

/* Derives the key from the password, checks the mac (constant time), decrypts, and loads the
 * private key into *out. M2C_ERR_AUTH on a wrong password; M2C_ERR_INVALID if the file's
 * address field does not match the decrypted key. `password` need not be NUL-terminated. */
M2C_WUR m2c_status m2c_keystore_decrypt(m2c_key *out, const m2c_keystore *ks, const char *password,
                                        size_t password_len, m2c_err *err);

/* Encrypts k under password with a fresh random salt (32 bytes), iv and uuid v4; params NULL
 * means M2C_KEYSTORE_PARAMS_DEFAULT. The address field is set (lowercase, no 0x, as geth). */
M2C_WUR m2c_status m2c_keystore_encrypt(m2c_keystore *out, const m2c_key *k, const char *password,
                                        size_t password_len, const m2c_keystore_params *params,
                                        m2c_err *err);

/* Appends the JSON form of ks (one line, no trailing newline). */
M2C_WUR m2c_status m2c_keystore_to_json(m2c_buf *out, const m2c_keystore *ks, m2c_err *err);

/* Reads, parses and decrypts the keystore file at path. */
M2C_WUR m2c_status m2c_keystore_load_file(m2c_key *out, const char *path, const char *password,
                                          size_t password_len, m2c_err *err);

/* Writes ks as JSON to a new file at path with mode 0600; fails (M2C_ERR_IO) if the path
 * exists. A partly written file is removed. */
M2C_WUR m2c_status m2c_keystore_write_file(const char *path, const m2c_keystore *ks, m2c_err *err);

/* scrypt (RFC 7914) into out[0..out_len) with the caps above (n a power of two <= 2^20,
 * 128 * r * n <= 256 MiB, 1 <= p <= 16). Runs OpenSSL's EVP_PBE_scrypt, except for
 * parameters OpenSSL refuses although the RFC's algorithm is defined for them (n >= 2^(16 r);
 * the Web3 spec's own scrypt vector has r = 1, n = 2^18), which go through
 * m2c_scrypt_portable. */
M2C_WUR m2c_status m2c_scrypt(uint8_t *out, size_t out_len, const char *password,
                              size_t password_len, const uint8_t *salt, size_t salt_len, uint64_t n,
                              uint32_t r, uint32_t p, m2c_err *err);

/* The same function computed by ml2chain's own ROMix / Salsa20/8 (PBKDF2 from OpenSSL); tests
 * check it against OpenSSL and the RFC's vectors. */
M2C_WUR m2c_status m2c_scrypt_portable(uint8_t *out, size_t out_len, const char *password,
                                       size_t password_len, const uint8_t *salt, size_t salt_len,
                                       uint64_t n, uint32_t r, uint32_t p, m2c_err *err);

/* Reads a password file into out (capacity cap, NUL-terminated) and strips trailing
 * whitespace, as Foundry's --password-file does. *len gets the length. M2C_ERR_RANGE if the
 * file is longer than cap - 1 bytes. The caller wipes out when done. */
M2C_WUR m2c_status m2c_keystore_read_password(char *out, size_t cap, size_t *len, const char *path,
                                              m2c_err *err);

#endif
