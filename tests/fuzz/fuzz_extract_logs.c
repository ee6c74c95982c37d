/* fuzz_extract_logs.c: the eth_getLogs one-pass body parser the extractor reads every response
 * with (m2c_rpc_parse_logs_fast, src/eth/rpc_logs.c), on arbitrary bytes. It must never crash
 * or read out of bounds, and whenever it accepts a body the tree parser (m2c_rpc_parse_response
 * + m2c_rpc_parse_logs) must accept it too and read the same logs, field for field. The first
 * input byte picks the request id (0..255) the body must answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/json.h"
#include "ml2chain/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint64_t id = data[0];
    /* a private copy, so reads past the end are caught by ASan */
    char *body = malloc(size - 1 ? size - 1 : 1);
    if (!body) return 0;
    memcpy(body, data + 1, size - 1);
    m2c_rpc_logs f, g;
    m2c_err e;
    m2c_status sf = m2c_rpc_parse_logs_fast(&f, body, size - 1, id);
    if (sf == M2C_OK) {
        json_t *res = NULL;
        if (m2c_rpc_parse_response(&res, body, size - 1, id, &e) != M2C_OK) abort();
        if (m2c_rpc_parse_logs(&g, res, &e) != M2C_OK) abort();
        json_decref(res);
        if (f.n != g.n) abort();
        for (size_t i = 0; i < f.n; i++) {
            const m2c_rpc_log *x = &f.v[i], *y = &g.v[i];
            if (x->block_number != y->block_number || x->log_index != y->log_index ||
                x->transaction_index != y->transaction_index || x->removed != y->removed ||
                x->has_block_timestamp != y->has_block_timestamp ||
                x->block_timestamp != y->block_timestamp || x->data_len != y->data_len ||
                x->n_topics != y->n_topics ||
                (x->data_len && memcmp(x->data, y->data, x->data_len)) ||
                memcmp(x->topics, y->topics, sizeof x->topics[0] * x->n_topics) ||
                memcmp(&x->address, &y->address, sizeof x->address) ||
                memcmp(&x->block_hash, &y->block_hash, sizeof x->block_hash) ||
                memcmp(&x->transaction_hash, &y->transaction_hash, sizeof x->transaction_hash))
                abort();
        }
        m2c_rpc_logs_free(&g);
    } else if (sf != M2C_ERR_UNSUPPORTED || f.v || f.n) {
        abort();
    }
    m2c_rpc_logs_free(&f);
    free(body);
    return 0;
}
