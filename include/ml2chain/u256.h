/* u256.h: 256-bit unsigned integers (m2c_u256, see types.h) and the same bits read as
 * two's-complement int256. All functions are pure and total: overflow, division by zero and
 * parse errors are reported through return values, never undefined behaviour. Thread-safe. */
#ifndef ML2CHAIN_U256_H
#define ML2CHAIN_U256_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"
#include "ml2chain/types.h"

m2c_u256 m2c_u256_from_u64(uint64_t v);
m2c_u256 m2c_u256_from_i64(int64_t v); /* sign-extended */
int m2c_u256_is_zero(const m2c_u256 *a);
/* Returns 1 and writes *out if a fits in 64 bits, else 0. */
int m2c_u256_to_u64(uint64_t *out, const m2c_u256 *a);
/* Returns 1 and writes *out if a (as int256) fits in int64, else 0. */
int m2c_i256_to_i64(int64_t *out, const m2c_u256 *a);

/* Big-endian 32-byte forms (the ABI word and the EVM's view). */
m2c_u256 m2c_u256_from_be32(const uint8_t in[32]);
void m2c_u256_to_be32(uint8_t out[32], const m2c_u256 *a);
/* Big-endian of any length <= 32 (RLP integers, shorter uintN); returns M2C_ERR_RANGE if n > 32. */
M2C_WUR m2c_status m2c_u256_from_be(m2c_u256 *out, const uint8_t *in, size_t n);
/* Minimal big-endian bytes (no leading zeros; zero is 0 bytes). Returns the count (0..32). */
size_t m2c_u256_to_be_min(uint8_t out[32], const m2c_u256 *a);

/* Unsigned compare: -1, 0, 1. Signed compare treats both as int256. */
int m2c_u256_cmp(const m2c_u256 *a, const m2c_u256 *b);
int m2c_i256_cmp(const m2c_u256 *a, const m2c_u256 *b);
int m2c_i256_is_neg(const m2c_u256 *a);

/* Wrapping arithmetic mod 2^256; the return value is the carry/borrow/overflow flag
 * (1 when the true unsigned result did not fit). */
int m2c_u256_add(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b);
int m2c_u256_sub(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b);
int m2c_u256_mul(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b);
/* Signed overflow flags for int256 add/sub/mul (result still wraps). */
int m2c_i256_add(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b);
int m2c_i256_sub(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b);
int m2c_i256_mul(m2c_u256 *out, const m2c_u256 *a, const m2c_u256 *b);
m2c_u256 m2c_i256_neg(const m2c_u256 *a);

/* q = a / b, r = a % b (either output may be NULL). M2C_ERR_RANGE when b is zero. */
M2C_WUR m2c_status m2c_u256_divmod(m2c_u256 *q, m2c_u256 *r, const m2c_u256 *a,
                                   const m2c_u256 *b);
/* Signed division truncating toward zero, remainder with the sign of a (as the EVM's SDIV,
 * SMOD). M2C_ERR_RANGE on b == 0; INT256_MIN / -1 wraps to INT256_MIN as in the EVM. */
M2C_WUR m2c_status m2c_i256_divmod(m2c_u256 *q, m2c_u256 *r, const m2c_u256 *a,
                                   const m2c_u256 *b);

m2c_u256 m2c_u256_shl(const m2c_u256 *a, unsigned n); /* n >= 256 gives 0 */
m2c_u256 m2c_u256_shr(const m2c_u256 *a, unsigned n); /* logical */
m2c_u256 m2c_i256_sar(const m2c_u256 *a, unsigned n); /* arithmetic */
m2c_u256 m2c_u256_and(const m2c_u256 *a, const m2c_u256 *b);
m2c_u256 m2c_u256_or(const m2c_u256 *a, const m2c_u256 *b);
m2c_u256 m2c_u256_not(const m2c_u256 *a);
unsigned m2c_u256_bitlen(const m2c_u256 *a); /* 0 for zero */

/* Parsing. Decimal ("123"), and hex with "0x" prefix; leading/trailing spaces, signs (for
 * u256), empty digits, and values >= 2^256 are errors (M2C_ERR_RANGE for overflow, naming
 * the offset). m2c_i256_parse accepts an optional leading '-' and the range
 * [-2^255, 2^255-1]. `len` is the length of s (not NUL-terminated necessarily). */
M2C_WUR m2c_status m2c_u256_parse(m2c_u256 *out, const char *s, size_t len, m2c_err *err);
M2C_WUR m2c_status m2c_i256_parse(m2c_u256 *out, const char *s, size_t len, m2c_err *err);

/* Formatting into `out` of capacity `cap` (>= 80 is always enough): decimal, signed decimal,
 * and "0x" hex without leading zeros ("0x0" for zero). Return chars written excl. NUL. */
size_t m2c_u256_to_dec(char *out, size_t cap, const m2c_u256 *a);
size_t m2c_i256_to_dec(char *out, size_t cap, const m2c_u256 *a);
size_t m2c_u256_to_hex(char *out, size_t cap, const m2c_u256 *a);

/* Converts to double, rounding to nearest (for model-ready numeric columns). */
double m2c_u256_to_double(const m2c_u256 *a);
double m2c_i256_to_double(const m2c_u256 *a);

#endif
