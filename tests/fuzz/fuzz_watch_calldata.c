/* fuzz_watch_calldata.c: libFuzzer target for the watcher's fulfil-calldata reader. The first
 * 32 bytes are the request id looked for; the first byte of the rest picks the selector
 * (fulfill, fulfillBatch, or the bytes as given), then calldata follows. A found output must
 * lie inside the calldata. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/nodetx.h"
#include "ml2chain/watchtx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 33) return 0;
    m2c_hash32 id;
    memcpy(id.b, data, 32);
    unsigned which = data[32] % 3;
    size_t n = size - 33;
    uint8_t *cd = malloc(n + 4);
    if (!cd) return 0;
    size_t len = n;
    if (which < 2) {
        uint32_t s = m2c_selector(which == 0 ? M2C_SIG_FULFILL : M2C_SIG_FULFILL_BATCH);
        cd[0] = (uint8_t)(s >> 24), cd[1] = (uint8_t)(s >> 16), cd[2] = (uint8_t)(s >> 8),
        cd[3] = (uint8_t)s;
        memcpy(cd + 4, data + 33, n);
        len = n + 4;
    } else {
        memcpy(cd, data + 33, n);
    }
    const uint8_t *r, *o;
    size_t ol;
    uint32_t code;
    m2c_err e;
    if (m2c_watch_find_fulfilment(cd, len, &id, &r, &o, &ol, &code, &e) == M2C_OK) {
        if (r < cd || r + 288 > cd + len || o < cd || ol > len || o + ol > cd + len) abort();
        if (memcmp(r, id.b, 32)) abort();
    }
    free(cd);
    return 0;
}
