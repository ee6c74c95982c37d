/* fuzz_rlp.c: libFuzzer target for the RLP decoder. Decodes, validates, walks every list
 * recursively (validated input is at most M2C_RLP_MAX_DEPTH deep), re-encodes through the
 * encoder and requires the bytes to equal the input: accepted input must be canonical. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/rlp.h"
#include "ml2chain/u256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(m2c_rlp_enc *e, const m2c_rlp_item *it, int depth) {
    if (depth > M2C_RLP_MAX_DEPTH) abort();
    if (!it->is_list) {
        if (m2c_rlp_put_bytes(e, it->payload, it->len) != M2C_OK) abort();
        /* Integers that read back re-encode to the same item. */
        m2c_u256 u;
        if (m2c_rlp_get_u256(&u, it, NULL) == M2C_OK) {
            uint8_t be[32];
            if (m2c_u256_to_be_min(be, &u) != it->len || memcmp(be, it->payload, it->len)) abort();
        }
        return;
    }
    if (m2c_rlp_list_begin(e) != M2C_OK) abort();
    size_t pos = 0;
    m2c_rlp_item c;
    m2c_status st;
    while ((st = m2c_rlp_list_next(&c, it, &pos, NULL)) == M2C_OK) {
        if (c.offset < it->offset || c.payload + c.len > it->payload + it->len) abort();
        reencode(e, &c, depth + 1);
    }
    if (st != M2C_ERR_NOTFOUND || pos != it->len) abort();
    if (m2c_rlp_list_end(e) != M2C_OK) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    m2c_rlp_item it;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_rlp_decode(&it, data, size, &err) != M2C_OK ||
        m2c_rlp_validate(&it, M2C_RLP_MAX_DEPTH, &err) != M2C_OK) {
        if (err.msg[0] == 0 || err.offset > size) abort();
        return 0;
    }
    /* m2c_rlp_validate allows depth M2C_RLP_MAX_DEPTH below the top: one more than the
     * encoder's list nesting cap, so skip re-encoding those (rare) inputs. */
    if (m2c_rlp_validate(&it, M2C_RLP_MAX_DEPTH - 1, NULL) != M2C_OK) return 0;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    m2c_rlp_enc e;
    m2c_rlp_enc_init(&e, &b);
    reencode(&e, &it, 0);
    if (b.len != size || memcmp(b.p, data, size) != 0) abort();
    m2c_buf_free(&b);
    return 0;
}
