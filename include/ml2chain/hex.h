/* hex.h: strict hexadecimal encoding and decoding. Decoders validate every byte and report
 * the offending offset; nothing is allocated except by the *_alloc variants, whose result the
 * caller frees with free(). Thread-safe. */
#ifndef ML2CHAIN_HEX_H
#define ML2CHAIN_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"
#include "ml2chain/types.h"

typedef enum {
    M2C_HEX_PREFIX_OPTIONAL = 0, /* "0x" accepted but not needed */
    M2C_HEX_PREFIX_REQUIRED,     /* must start with "0x" (JSON-RPC quantities and data) */
    M2C_HEX_PREFIX_FORBIDDEN,    /* must not start with "0x" */
} m2c_hex_prefix;

/* The value (0..15) of each byte as a hex digit, 0xff for a byte that is not one; for
 * parsers that scan hex inline (JSON-RPC responses). */
extern const uint8_t m2c_hex_digit_value[256];

/* Decodes `len` chars of hex at `s` (not NUL-terminated necessarily) into `out` (capacity
 * `cap`); writes the byte count to *out_len. Rejects odd length, non-hex digits (offset of the
 * first bad char in err), a missing/extra prefix per `mode`, and output larger than `cap`
 * (M2C_ERR_RANGE). Upper and lower case digits are both accepted. */
M2C_WUR m2c_status m2c_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *s,
                                  size_t len, m2c_hex_prefix mode, m2c_err *err);

/* As m2c_hex_decode into a malloc'd buffer the caller frees (*out set to NULL on failure;
 * a zero-length result is a valid non-NULL 1-byte allocation). */
M2C_WUR m2c_status m2c_hex_decode_alloc(uint8_t **out, size_t *out_len, const char *s, size_t len,
                                        m2c_hex_prefix mode, m2c_err *err);

/* Decodes exactly `n` bytes (2n digits, optional 0x) into `out`; anything else is an error
 * that says the expected and actual length. */
M2C_WUR m2c_status m2c_hex_decode_exact(uint8_t *out, size_t n, const char *s, m2c_err *err);

/* The hot-path decoder for text already delimited (JSON-RPC fields): the 2n hex digits at
 * `hex` (no prefix, either case) into n bytes at `out`. Returns 1, or 0 if any of them is not
 * a hex digit (out then holds garbage). No error text: callers that report use
 * m2c_hex_decode. 16 bytes at a time with SSE2 where the compiler targets it. */
int m2c_hex_to_bytes(uint8_t *out, const char *hex, size_t n);

/* Writes lowercase hex of `n` bytes to `out` (capacity >= 2n + 3 with prefix, 2n + 1
 * without), NUL-terminated. Returns the number of chars written, excluding the NUL. 16 bytes
 * at a time with SSE2 where the compiler targets it. */
size_t m2c_hex_encode(char *out, const uint8_t *in, size_t n, int with_prefix);

/* As m2c_hex_encode into a malloc'd string ("0x..." when with_prefix); NULL on OOM. */
char *m2c_hex_encode_alloc(const uint8_t *in, size_t n, int with_prefix);

/* Parses a JSON-RPC QUANTITY ("0x0", "0x1a"; no leading zeros, prefix required) into a
 * uint64. Rejects "0x", "0x01", values above 2^64-1. */
M2C_WUR m2c_status m2c_hex_parse_quantity_u64(uint64_t *out, const char *s, size_t len,
                                              m2c_err *err);

/* As m2c_hex_parse_quantity_u64 for 256-bit QUANTITYs (balances, values): "0x" and 1..64
 * digits without leading zeros. m2c_u256_to_hex formats the same form. */
M2C_WUR m2c_status m2c_hex_parse_quantity_u256(m2c_u256 *out, const char *s, size_t len,
                                               m2c_err *err);

/* Formats `v` as a QUANTITY ("0x0", "0x1a") into out (capacity >= 19). Returns chars written. */
size_t m2c_hex_format_quantity_u64(char *out, uint64_t v);

/* Parses a 20-byte address, "0x" + 40 hex digits; mixed case must be a valid EIP-55
 * checksum (all-lower or all-upper is accepted unchecked). */
M2C_WUR m2c_status m2c_addr_parse(m2c_addr20 *out, const char *s, m2c_err *err);

/* Writes the EIP-55 checksummed form ("0x" + 40 chars + NUL, 43 bytes) of `a` to out. */
void m2c_addr_checksum(char out[43], const m2c_addr20 *a);

/* EIP-1191 variant: the case comes from keccak("<chain_id in decimal>0x<lowercase hex>"),
 * as RSK and `cast to-check-sum-address <addr> <chain-id>` use it. */
void m2c_addr_checksum_chain(char out[43], const m2c_addr20 *a, uint64_t chain_id);

/* Parses a 32-byte hash, "0x" + 64 hex digits. */
M2C_WUR m2c_status m2c_hash_parse(m2c_hash32 *out, const char *s, m2c_err *err);

#endif
