/* fuzz_encoding.c: libFuzzer target for the request decoders (docs/encoding.md). The first
 * input byte picks the feature count and decimals; the rest is the request input.
 * Invariants: every input gets exactly one code in 0..6; failures say where (offset within
 * the input); a decoded ABI input re-encodes to the same bytes, and a decoded text input
 * formatted with all its decimals decodes back to the same values. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t n = 1 + (data[0] & 7);
    unsigned dec = (data[0] >> 3) % 37;
    data++, size--;
    m2c_u256 x[8], back[8];
    m2c_err err;
    m2c_err_clear(&err);
    m2c_enc_form form;
    m2c_enc_code c = m2c_enc_decode_input(x, n, &form, dec, data, size, &err);
    if (c > M2C_ENC_RANGE) abort();
    if (c != M2C_ENC_OK) {
        if (err.msg[0] == 0 || (err.offset != (size_t)-1 && err.offset > size)) abort();
        for (size_t i = 0; i < n; i++)
            if (x[i].w[0] | x[i].w[1] | x[i].w[2] | x[i].w[3]) abort(); /* zeroed */
        return 0;
    }
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if (form == M2C_ENC_ABI) {
        if (m2c_enc_encode_abi(&b, x, n) != M2C_OK) abort();
        if (b.len != size || memcmp(b.p, data, size) != 0) abort();
    } else {
        for (size_t i = 0; i < n; i++) {
            char s[100];
            size_t k = m2c_enc_format_decimal(s, sizeof s, &x[i], dec, dec);
            if ((i && m2c_buf_append_byte(&b, ',')) || m2c_buf_append(&b, s, k)) abort();
        }
        if (m2c_enc_decode_input(back, n, NULL, dec, b.p, b.len, NULL) != M2C_ENC_OK) abort();
        if (memcmp(back, x, n * sizeof x[0]) != 0) abort();
    }
    m2c_buf_free(&b);
    return 0;
}
