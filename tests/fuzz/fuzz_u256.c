/* fuzz_u256.c: libFuzzer target for u256 parsing and arithmetic. Text that parses prints
 * back to a string that parses to the same value; 64-byte inputs are also read as two
 * big-endian numbers and checked against the division and multiplication identities. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/u256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const m2c_u256 *v) {
    char buf[80];
    m2c_u256 back;
    size_t n = m2c_u256_to_dec(buf, sizeof buf, v);
    if (m2c_u256_parse(&back, buf, n, NULL) != M2C_OK || m2c_u256_cmp(&back, v)) abort();
    n = m2c_u256_to_hex(buf, sizeof buf, v);
    if (m2c_u256_parse(&back, buf, n, NULL) != M2C_OK || m2c_u256_cmp(&back, v)) abort();
    n = m2c_i256_to_dec(buf, sizeof buf, v);
    if (m2c_i256_parse(&back, buf, n, NULL) != M2C_OK || m2c_u256_cmp(&back, v)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    m2c_u256 v;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_u256_parse(&v, (const char *)data, size, &err) == M2C_OK)
        round_trip(&v);
    else if (err.offset > size)
        abort();
    if (m2c_i256_parse(&v, (const char *)data, size, NULL) == M2C_OK) round_trip(&v);

    if (size == 64) {
        m2c_u256 a = m2c_u256_from_be32(data), b = m2c_u256_from_be32(data + 32), q, r, t;
        if (m2c_u256_divmod(&q, &r, &a, &b) == M2C_OK) {
            if (m2c_u256_cmp(&r, &b) >= 0) abort();
            if (m2c_u256_mul(&t, &q, &b) || m2c_u256_add(&t, &t, &r) || m2c_u256_cmp(&t, &a))
                abort();
        } else if (!m2c_u256_is_zero(&b)) {
            abort();
        }
        if (m2c_i256_divmod(&q, &r, &a, &b) == M2C_OK) {
            (void)m2c_u256_mul(&t, &q, &b); /* wraps like the EVM */
            (void)m2c_u256_add(&t, &t, &r);
            if (m2c_u256_cmp(&t, &a)) abort();
        }
        round_trip(&a);
    }
    return 0;
}
