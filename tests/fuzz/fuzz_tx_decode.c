/* fuzz_tx_decode.c: m2c_tx_decode on arbitrary bytes. Whatever decodes must re-encode to
 * exactly the input (the decoder accepts only canonical forms), and recovering its sender
 * must not crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    m2c_tx tx;
    m2c_err err;
    if (m2c_tx_decode(&tx, data, size, &err) != M2C_OK) return 0;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if (m2c_tx_encode_signed(&b, &tx, &err) != M2C_OK) abort();
    if (b.len != size || memcmp(b.p, data, size) != 0) abort();
    m2c_addr20 from;
    (void)!m2c_tx_sender(&from, &tx, &err);
    m2c_buf_free(&b);
    m2c_tx_free(&tx);
    return 0;
}
