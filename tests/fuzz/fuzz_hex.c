/* fuzz_hex.c: libFuzzer target for the hex decoders. Invariants: whatever decodes re-encodes
 * to the lowercase input; quantities, addresses and hashes that parse format back to it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/hex.h"
#include "ml2chain/u256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    uint8_t *bytes = NULL;
    size_t n = 0;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_hex_decode_alloc(&bytes, &n, s, size, M2C_HEX_PREFIX_OPTIONAL, &err) == M2C_OK) {
        int pre = size >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        char *enc = m2c_hex_encode_alloc(bytes, n, 0);
        if (!enc) abort();
        if (strlen(enc) != size - (pre ? 2 : 0)) abort();
        for (size_t i = 0; enc[i]; i++)
            if (enc[i] != tolower((unsigned char)s[i + (pre ? 2 : 0)])) abort();
        free(enc);
    } else if (err.offset > size || err.msg[0] == 0) {
        abort(); /* errors must say where, within the input */
    }
    free(bytes);

    /* the hot-path decoder accepts exactly what the strict one does (digits only, no prefix) */
    if (size % 2 == 0 && !(size >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
        uint8_t *fast = malloc(size / 2 + 1), *strict = malloc(size / 2 + 1);
        size_t got;
        if (!fast || !strict) abort();
        int ok_fast = m2c_hex_to_bytes(fast, s, size / 2);
        int ok_strict = m2c_hex_decode(strict, size / 2 + 1, &got, s, size,
                                       M2C_HEX_PREFIX_FORBIDDEN, NULL) == M2C_OK;
        if (ok_fast != ok_strict || (ok_fast && memcmp(fast, strict, size / 2))) abort();
        free(fast);
        free(strict);
    }

    uint64_t q;
    if (m2c_hex_parse_quantity_u64(&q, s, size, NULL) == M2C_OK) {
        char out[19];
        size_t k = m2c_hex_format_quantity_u64(out, q);
        if (k != size) abort();
        for (size_t i = 0; i < k; i++)
            if (out[i] != tolower((unsigned char)s[i])) abort();
    }

    m2c_u256 u;
    if (m2c_hex_parse_quantity_u256(&u, s, size, NULL) == M2C_OK) {
        char out[80];
        size_t k = m2c_u256_to_hex(out, sizeof out, &u);
        if (k != size) abort();
        for (size_t i = 0; i < k; i++)
            if (out[i] != tolower((unsigned char)s[i])) abort();
    }

    /* The address and hash parsers take C strings. */
    char *z = malloc(size + 1);
    if (!z) return 0;
    memcpy(z, data, size);
    z[size] = 0;
    m2c_addr20 a;
    if (m2c_addr_parse(&a, z, NULL) == M2C_OK) {
        char cs[43];
        m2c_addr_checksum(cs, &a);
        if (strlen(z) != 42) abort();
        for (size_t i = 2; i < 42; i++)
            if (tolower((unsigned char)cs[i]) != tolower((unsigned char)z[i])) abort();
        m2c_addr20 b;
        if (m2c_addr_parse(&b, cs, NULL) != M2C_OK || memcmp(a.b, b.b, 20)) abort();
    }
    m2c_hash32 h;
    if (m2c_hash_parse(&h, z, NULL) == M2C_OK && strlen(z) != 66) abort();
    uint8_t ex[32];
    if (m2c_hex_decode_exact(ex, 32, z, NULL) == M2C_OK && strlen(z) < 64) abort();
    free(z);
    return 0;
}
