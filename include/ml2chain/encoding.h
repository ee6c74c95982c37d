/* encoding.h: request inputs and outputs as they travel on chain (docs/encoding.md): the
 * ABI form `abi.encode(int256[])` and the text form "0.52,1.3,-0.7,2.25", chosen by the
 * first byte, and the uint32 error codes a node puts on chain when it cannot answer.
 * Decoders take untrusted bytes, never allocate, and cap the input at M2C_ENC_MAX_INPUT.
 * Values are int256 bits in m2c_u256 (fixed point, value * 10^decimals). Thread-safe. */
#ifndef ML2CHAIN_ENCODING_H
#define ML2CHAIN_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/types.h"

#define M2C_ENC_MAX_INPUT   131136 /* 32 * (2 + 4096) bytes */
#define M2C_ENC_MAX_VALUES  4096
#define M2C_ENC_TEXT_DIGITS 6 /* fractional digits of the text output form */

/* The on-chain errorCode values (docs/encoding.md section 5). Only ever appended to. */
typedef enum {
    M2C_ENC_OK = 0,
    M2C_ENC_EMPTY = 1,         /* input has no bytes */
    M2C_ENC_TOO_LARGE = 2,     /* more than M2C_ENC_MAX_INPUT bytes */
    M2C_ENC_NOT_DECODABLE = 3, /* first byte 0x00 but not a strict abi.encode(int256[]) */
    M2C_ENC_JUNK_TEXT = 4,     /* text outside the grammar */
    M2C_ENC_FEATURE_COUNT = 5, /* number of values differs from the model's n_in */
    M2C_ENC_RANGE = 6,         /* a value outside int192 after scaling */
    M2C_ENC_UNKNOWN_MODEL = 7, /* no model file with the request's hash */
    M2C_ENC_MODEL_FAILURE = 8, /* the model could not be loaded or run */
} m2c_enc_code;

typedef enum {
    M2C_ENC_ABI = 0,  /* abi.encode(int256[]) */
    M2C_ENC_TEXT = 1, /* comma-separated decimals */
} m2c_enc_form;

/* Lowercase name of a code ("wrong feature count"); "unknown error code" otherwise. */
const char *m2c_enc_code_str(uint32_t code);
/* The form an input is in (first byte 0x00: ABI). `len` must be > 0. */
m2c_enc_form m2c_enc_detect(const uint8_t *in, size_t len);

/* Decodes a request input into exactly `n_expected` values x[0..n_expected) (x has room for
 * n_expected), scaled by 10^decimals for the text form (the ABI form carries the integers
 * as they are). Checks in the order of docs/encoding.md section 1 and returns the first
 * failing code; *form (may be NULL) gets the detected form; err (may be NULL) gets a
 * one-line message with the byte offset where it applies. On failure x is zeroed. */
M2C_WUR m2c_enc_code m2c_enc_decode_input(m2c_u256 *x, size_t n_expected, m2c_enc_form *form,
                                          unsigned decimals, const uint8_t *in, size_t len,
                                          m2c_err *err);
/* As m2c_enc_decode_input for any count up to `cap` (*n gets it; more than `cap` values is
 * M2C_ENC_FEATURE_COUNT): used to read outputs back and for tools. */
M2C_WUR m2c_enc_code m2c_enc_decode_values(m2c_u256 *x, size_t cap, size_t *n, m2c_enc_form *form,
                                           unsigned decimals, const uint8_t *in, size_t len,
                                           m2c_err *err);

/* Parses one decimal value of the text grammar ("-12.5") into v * 10^decimals, rounding
 * half away from zero: M2C_ENC_JUNK_TEXT or M2C_ENC_RANGE (outside int192) on failure. */
M2C_WUR m2c_enc_code m2c_enc_parse_decimal(m2c_u256 *out, const char *s, size_t len,
                                           unsigned decimals, m2c_err *err);
/* Writes v / 10^decimals as decimal text rounded half away from zero to
 * min(decimals, max_frac) fractional digits, trailing zeros and '.' removed, "-0" as "0".
 * `out` needs 90 bytes; returns the length written (excluding the NUL). */
size_t m2c_enc_format_decimal(char *out, size_t cap, const m2c_u256 *v, unsigned decimals,
                              unsigned max_frac);

/* Appends abi.encode(int256[] v) (64 + 32n bytes). */
M2C_WUR m2c_status m2c_enc_encode_abi(m2c_buf *out, const m2c_u256 *v, size_t n);
/* Appends the text form: values formatted with M2C_ENC_TEXT_DIGITS, joined by ",". */
M2C_WUR m2c_status m2c_enc_encode_text(m2c_buf *out, const m2c_u256 *v, size_t n,
                                       unsigned decimals);
/* Appends the output in `form` (the request's form). */
M2C_WUR m2c_status m2c_enc_encode_output(m2c_buf *out, m2c_enc_form form, const m2c_u256 *v,
                                         size_t n, unsigned decimals);

#endif
