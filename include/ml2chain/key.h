/* key.h: secp256k1 private keys, addresses, and recoverable ECDSA signatures as Ethereum uses
 * them (libsecp256k1 with its recovery module underneath).
 *
 * A private key lives in an m2c_key value struct together with its derived public key and
 * address. The struct holds a secret: keep it on the stack or in memory you control, never
 * log or print it, and call m2c_key_wipe() when done (it overwrites the secret in a way the
 * compiler cannot elide). Nothing here allocates except the shared context, once.
 *
 * Signing is deterministic (RFC 6979 nonces, as libsecp256k1 does) and always produces
 * low-s signatures. Signatures are m2c_sig65 values: r (32) || s (32) || recovery id (0/1);
 * the "rsv" text form that wallets exchange ends in v = 27/28 instead (m2c_sig_to_rsv).
 *
 * Thread-safety: the module uses one libsecp256k1 context, created and randomised once on
 * first use (pthread_once); after that it is only read, which libsecp256k1 documents as safe
 * from any number of threads. Every function here is therefore thread-safe. */
#ifndef ML2CHAIN_KEY_H
#define ML2CHAIN_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"
#include "ml2chain/types.h"

typedef struct {
    uint8_t secret[32]; /* the private key, big-endian, 0 < k < n; never print */
    uint8_t pub[64];    /* uncompressed public key X || Y, without the 0x04 prefix */
    m2c_addr20 addr;    /* keccak256(pub)[12..32] */
} m2c_key;

/* Loads a private key from 32 big-endian bytes. M2C_ERR_RANGE if it is zero or >= the curve
 * order. *out is wiped on failure. */
M2C_WUR m2c_status m2c_key_from_bytes(m2c_key *out, const uint8_t secret[32], m2c_err *err);

/* Loads a private key from hex text: 64 digits, "0x" optional (as cast accepts). The error
 * message never repeats the text. *out is wiped on failure. */
M2C_WUR m2c_status m2c_key_parse(m2c_key *out, const char *hex, m2c_err *err);

/* Makes a fresh random key from getrandom(2). M2C_ERR_IO if the kernel cannot supply
 * randomness. */
M2C_WUR m2c_status m2c_key_generate(m2c_key *out, m2c_err *err);

/* Overwrites the whole struct with zeros (un-elidable). NULL is accepted. */
void m2c_key_wipe(m2c_key *k);

/* keccak256(pub64)[12..32]: the address of an uncompressed public key (X || Y). */
m2c_addr20 m2c_pubkey_address(const uint8_t pub[64]);

/* Signs a 32-byte digest: deterministic, low-s, recovery id in sig->b[64] (0 or 1). */
M2C_WUR m2c_status m2c_key_sign_hash(m2c_sig65 *out, const m2c_key *k, const m2c_hash32 *hash,
                                     m2c_err *err);

/* Recovers the signer's address from a digest and signature (recovery id 0..3 in b[64]).
 * High-s signatures are accepted here (as ecrecover does); transaction decoding rejects them
 * separately. M2C_ERR_CRYPTO if r or s is zero or out of range or no key recovers. */
M2C_WUR m2c_status m2c_sig_recover(m2c_addr20 *out, const m2c_hash32 *hash, const m2c_sig65 *sig,
                                   m2c_err *err);

/* 1 when s <= n/2 (the only form EIP-2 allows in transactions), else 0. */
int m2c_sig_is_low_s(const m2c_sig65 *sig);

/* EIP-191 personal message digest:
 * keccak256("\x19Ethereum Signed Message:\n" || decimal(len) || msg). msg may be NULL if
 * len is 0. */
m2c_hash32 m2c_eip191_hash(const uint8_t *msg, size_t len);

/* Signs an EIP-191 personal message (what `cast wallet sign` and eth_sign produce). */
M2C_WUR m2c_status m2c_key_sign_message(m2c_sig65 *out, const m2c_key *k, const uint8_t *msg,
                                        size_t len, m2c_err *err);

/* Checks that `sig` over the EIP-191 digest of msg recovers to `addr`. M2C_OK if it does;
 * M2C_ERR_AUTH ("signature is by 0x..., not 0x...") if another key signed; M2C_ERR_CRYPTO if
 * the signature is unusable. */
M2C_WUR m2c_status m2c_verify_message(const m2c_addr20 *addr, const uint8_t *msg, size_t len,
                                      const m2c_sig65 *sig, m2c_err *err);

/* The 65-byte wire form r || s || v with v = 27 + recovery id (what cast prints). */
void m2c_sig_to_rsv(uint8_t out[65], const m2c_sig65 *sig);

/* Parses the wire form: 65 bytes r || s || v with v in {0, 1, 27, 28}. M2C_ERR_INVALID for
 * any other v. */
M2C_WUR m2c_status m2c_sig_from_rsv(m2c_sig65 *out, const uint8_t in[65], m2c_err *err);

#endif
