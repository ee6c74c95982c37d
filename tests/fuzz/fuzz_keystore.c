/* fuzz_keystore.c: m2c_keystore_parse (structure and caps only; no KDF runs) on arbitrary
 * bytes. A parsed keystore must survive a JSON round trip unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/keystore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    m2c_keystore ks, again;
    m2c_err err;
    if (m2c_keystore_parse(&ks, (const char *)data, size, &err) != M2C_OK) return 0;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    /* ids with characters JSON would need escaped are refused by the writer; that is fine */
    if (m2c_keystore_to_json(&b, &ks, &err) == M2C_OK) {
        if (m2c_keystore_parse(&again, (const char *)b.p, b.len, &err) != M2C_OK) abort();
        if (memcmp(&ks, &again, sizeof ks) != 0) abort();
    }
    m2c_buf_free(&b);
    return 0;
}
