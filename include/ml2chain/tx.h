/* tx.h: Ethereum transactions: legacy (with EIP-155 replay protection), EIP-2930 (type 1)
 * and EIP-1559 (type 2). Build an m2c_tx, sign it with a key, serialise the signed raw bytes
 * (what eth_sendRawTransaction takes), compute its hash; or decode untrusted raw bytes and
 * recover the sender.
 *
 * Memory: an m2c_tx you fill yourself only points at your memory (data, access list); the
 * module never frees it, and m2c_tx_free() on such a tx does nothing. An m2c_tx filled by
 * m2c_tx_decode() owns one heap block holding copies of its data and access list; release
 * it with m2c_tx_free(). Encoders append to a caller-owned m2c_buf. Thread-safe per tx. */
#ifndef ML2CHAIN_TX_H
#define ML2CHAIN_TX_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/key.h"
#include "ml2chain/types.h"

typedef enum {
    M2C_TX_LEGACY = 0,  /* pre-typed; EIP-155 when chain_id > 0 */
    M2C_TX_EIP2930 = 1, /* access-list transaction */
    M2C_TX_EIP1559 = 2, /* dynamic-fee transaction */
} m2c_tx_type;

/* Hard caps for decoding untrusted bytes. */
#define M2C_TX_MAX_RAW ((size_t)4 << 20) /* 4 MiB: far above any node's pool limit */

typedef struct {
    m2c_addr20 address;
    const m2c_hash32 *keys; /* storage keys; may be NULL when n_keys == 0 */
    size_t n_keys;
} m2c_access_entry;

typedef struct {
    m2c_tx_type type;
    uint64_t chain_id; /* 0 only for a pre-EIP-155 legacy tx (v = 27/28) */
    uint64_t nonce;
    m2c_u256 gas_price;                /* legacy and type 1 */
    m2c_u256 max_priority_fee_per_gas; /* type 2 */
    m2c_u256 max_fee_per_gas;          /* type 2 */
    uint64_t gas_limit;
    int has_to; /* 0: contract creation (empty `to`) */
    m2c_addr20 to;
    m2c_u256 value;      /* wei */
    const uint8_t *data; /* calldata / init code; may be NULL when data_len == 0 */
    size_t data_len;
    const m2c_access_entry *access_list; /* types 1 and 2; may be NULL when access_len == 0 */
    size_t access_len;
    int is_signed; /* sig is valid */
    m2c_sig65 sig; /* r || s || y-parity (0/1) */
    void *owned_;  /* heap block owned by a decoded tx; NULL otherwise */
} m2c_tx;

/* Frees what m2c_tx_decode allocated and zeroes *tx. NULL and built txs are accepted. */
void m2c_tx_free(m2c_tx *tx);

/* Appends the bytes whose keccak is signed: RLP of the unsigned fields (legacy with
 * EIP-155: chain_id, 0, 0 appended), prefixed by the type byte for typed txs.
 * M2C_ERR_INVALID if fields contradict the type (chain_id 0 on a typed tx). */
M2C_WUR m2c_status m2c_tx_encode_unsigned(m2c_buf *out, const m2c_tx *tx, m2c_err *err);

/* keccak256 of m2c_tx_encode_unsigned. */
M2C_WUR m2c_status m2c_tx_signing_hash(m2c_hash32 *out, const m2c_tx *tx, m2c_err *err);

/* Signs tx with k: fills tx->sig and sets tx->is_signed. */
M2C_WUR m2c_status m2c_tx_sign(m2c_tx *tx, const m2c_key *k, m2c_err *err);

/* Appends the signed raw transaction (type byte || RLP for typed; RLP list for legacy with
 * v = 35 + 2*chain_id + parity, or 27 + parity without chain id). M2C_ERR_STATE if unsigned. */
M2C_WUR m2c_status m2c_tx_encode_signed(m2c_buf *out, const m2c_tx *tx, m2c_err *err);

/* The transaction hash: keccak256 of the signed raw bytes. */
M2C_WUR m2c_status m2c_tx_hash(m2c_hash32 *out, const m2c_tx *tx, m2c_err *err);

/* Decodes a signed raw transaction (untrusted). Accepts legacy, type 1 and type 2; rejects
 * other types (M2C_ERR_UNSUPPORTED), non-canonical RLP and integers, wrong field counts,
 * trailing bytes, a `to` that is neither empty nor 20 bytes, malformed access lists, chain
 * id 0 (typed txs, and legacy v = 35/36), legacy v other than 27/28 or >= 37, y-parity other
 * than 0/1, r/s zero or >= n, and high s (EIP-2). The error names the field and sets
 * err->offset where it applies. Whatever is accepted re-encodes (m2c_tx_encode_signed) to
 * exactly `raw`. On success *out owns a copy of everything; free with m2c_tx_free(). */
M2C_WUR m2c_status m2c_tx_decode(m2c_tx *out, const uint8_t *raw, size_t n, m2c_err *err);

/* Recovers the sender of a signed tx from its signing hash and signature. */
M2C_WUR m2c_status m2c_tx_sender(m2c_addr20 *out, const m2c_tx *tx, m2c_err *err);

#endif
