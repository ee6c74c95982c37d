/* fuzz_extract_logs.c: the extractor's fast eth_getLogs body parser on arbitrary bytes. It must
 * never crash or read out of bounds, and whenever it accepts a body the generic parser must
 * accept it too and read the same logs (it may only be stricter). The first input byte picks
 * the request id (0..255) the body must answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint64_t id = data[0];
    /* a private copy, so reads past the end are caught by ASan */
    char *body = malloc(size - 1 ? size - 1 : 1);
    if (!body) return 0;
    memcpy(body, data + 1, size - 1);
    m2c_rpc_logs f, g;
    m2c_err e;
    m2c_status sf = m2c_extract_parse_logs_fast(&f, body, size - 1, id);
    if (sf == M2C_OK) {
        if (m2c_rpc_parse_logs_body(&g, body, size - 1, id, &e) != M2C_OK) abort();
        if (f.n != g.n) abort();
        for (size_t i = 0; i < f.n; i++) {
            const m2c_rpc_log *x = &f.v[i], *y = &g.v[i];
            if (x->block_number != y->block_number || x->log_index != y->log_index ||
                x->data_len != y->data_len || x->n_topics != y->n_topics ||
                (x->data_len && memcmp(x->data, y->data, x->data_len)) ||
                memcmp(x->topics, y->topics, sizeof x->topics[0] * x->n_topics) ||
                memcmp(&x->address, &y->address, sizeof x->address))
                abort();
        }
        m2c_rpc_logs_free(&g);
    } else if (sf != M2C_ERR_UNSUPPORTED) {
        abort();
    }
    m2c_rpc_logs_free(&f);
    free(body);
    return 0;
}
