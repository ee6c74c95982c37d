/* q256.h (internal to src/ml): the few signed 256-bit operations the qmodel runtime and the
 * request encoding need, on m2c_u256 bits read as two's-complement int256. Everything wraps
 * mod 2^256; callers keep operands inside the bounds docs/qmodel.md section 7 proves, so no
 * wrap ever happens on a valid path. Pure functions, thread-safe. */
#ifndef ML2CHAIN_ML_Q256_H
#define ML2CHAIN_ML_Q256_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/types.h"

m2c_u256 m2c_q256_from_i64(int64_t v);
m2c_u256 m2c_q256_from_be32(const uint8_t in[32]);
void m2c_q256_to_be32(uint8_t out[32], const m2c_u256 *a);
int m2c_q256_is_neg(const m2c_u256 *a);
int m2c_q256_is_zero(const m2c_u256 *a);
/* 1 when -2^191 <= a <= 2^191 - 1 (bits 255..191 all equal). */
int m2c_q256_fits_i192(const m2c_u256 *a);
/* Signed compare: -1, 0, 1. */
int m2c_q256_cmp(const m2c_u256 *a, const m2c_u256 *b);
m2c_u256 m2c_q256_add(const m2c_u256 *a, const m2c_u256 *b);
m2c_u256 m2c_q256_sub(const m2c_u256 *a, const m2c_u256 *b);
m2c_u256 m2c_q256_neg(const m2c_u256 *a);
/* a * m for a signed 64-bit m (wraps mod 2^256). */
m2c_u256 m2c_q256_mul_i64(const m2c_u256 *a, int64_t m);
/* a * b, both read as int256 (wraps mod 2^256). */
m2c_u256 m2c_q256_mul(const m2c_u256 *a, const m2c_u256 *b);
/* floor(a / 2^s), s in 0..255 (arithmetic shift right). */
m2c_u256 m2c_q256_sar(const m2c_u256 *a, unsigned s);
/* rshr(a, s) of docs/qmodel.md: a for s == 0, else floor((a + 2^(s-1)) / 2^s). */
m2c_u256 m2c_q256_rshr(const m2c_u256 *a, unsigned s);
/* min(max(a, -2^31), 2^31 - 1). */
int32_t m2c_q256_sat32(const m2c_u256 *a);
/* 1 and *out when a fits in int64, else 0. */
int m2c_q256_to_i64(int64_t *out, const m2c_u256 *a);
/* Unsigned magnitude helpers for decimal text: a = a * 10 + d, returning 1 when the true
 * result does not fit in 256 bits unsigned; and a = a / 10 returning the remainder. */
int m2c_q256_mul10_add(m2c_u256 *a, unsigned d);
/* a = a * m + d (unsigned), returning 1 when the true result does not fit in 256 bits. */
int m2c_q256_muladd_u64(m2c_u256 *a, uint64_t m, uint64_t d);
unsigned m2c_q256_div10(m2c_u256 *a);
/* Nearest int256 to a finite double (ties away from zero); 0 when |v| >= 2^255 or NaN
 * would not fit (callers check ranges first). */
m2c_u256 m2c_q256_from_double(double v);
double m2c_q256_to_double(const m2c_u256 *a);

#endif
