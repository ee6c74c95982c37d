/* fuzz_rpc_response.c: arbitrary bytes into the JSON-RPC answer parsers. The first byte picks
 * the parser (envelope, logs, block, receipt, fee history, batch, logs fast path); the rest
 * is the answer. Parsers must return a status, never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ml2chain/json.h"
#include "ml2chain/rpc.h"

static void with_result(int which, const char *body, size_t len) {
    json_t *res = NULL;
    m2c_err err;
    if (m2c_rpc_parse_response(&res, body, len, 1, &err) != M2C_OK) return;
    switch (which) {
    case 1: {
        m2c_rpc_logs l;
        if (m2c_rpc_parse_logs(&l, res, &err) == M2C_OK)
            for (size_t i = 0; i < l.n; i++)
                if (l.v[i].n_topics > 4 || (l.v[i].data_len && !l.v[i].data)) __builtin_trap();
        m2c_rpc_logs_free(&l);
        break;
    }
    case 2: {
        m2c_rpc_block b;
        if (m2c_rpc_parse_block(&b, res, &err) == M2C_OK && b.tx_count && !b.tx_hashes)
            __builtin_trap();
        m2c_rpc_block_free(&b);
        break;
    }
    case 3: {
        m2c_rpc_receipt r;
        if (m2c_rpc_parse_receipt(&r, res, &err) != M2C_OK && (r.logs || r.n_logs))
            __builtin_trap();
        m2c_rpc_receipt_free(&r);
        break;
    }
    case 4: {
        m2c_rpc_fee_history f;
        if (m2c_rpc_parse_fee_history(&f, res, &err) == M2C_OK && !f.base_fee_per_gas)
            __builtin_trap();
        m2c_rpc_fee_history_free(&f);
        break;
    }
    default: break;
    }
    json_decref(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int which = data[0] % 7;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    m2c_err err;
    switch (which) {
    case 0: {
        json_t *res = NULL;
        /* Outputs are defined on every path: no result unless M2C_OK. */
        if ((m2c_rpc_parse_response(&res, body, len, 1, &err) == M2C_OK) != (res != NULL))
            __builtin_trap();
        json_decref(res);
        break;
    }
    case 5: {
        m2c_rpc_req q[3];
        memset(q, 0, sizeof q);
        m2c_status st = m2c_rpc_parse_batch_response(q, 3, 1, body, len, &err);
        for (int i = 0; i < 3; i++)
            if ((q[i].status == M2C_OK) != (q[i].result != NULL) || (st && q[i].result))
                __builtin_trap();
        m2c_rpc_reqs_release(q, 3);
        break;
    }
    case 6: {
        m2c_rpc_logs l;
        if (m2c_rpc_parse_logs_body(&l, body, len, 1, &err) != M2C_OK && (l.v || l.n))
            __builtin_trap();
        m2c_rpc_logs_free(&l);
        /* Differential: whatever the one-pass parser accepts, the tree parser accepts with
         * the same values. */
        if (m2c_rpc_parse_logs_fast(&l, body, len, 1) == M2C_OK) {
            json_t *res = NULL;
            m2c_rpc_logs t;
            if (m2c_rpc_parse_response(&res, body, len, 1, &err) != M2C_OK) __builtin_trap();
            if (m2c_rpc_parse_logs(&t, res, &err) != M2C_OK || t.n != l.n) __builtin_trap();
            for (size_t i = 0; i < l.n; i++) {
                const m2c_rpc_log *a = &l.v[i], *b = &t.v[i];
                if (memcmp(&a->address, &b->address, 20) || a->n_topics != b->n_topics ||
                    memcmp(a->topics, b->topics, sizeof a->topics) || a->removed != b->removed ||
                    a->data_len != b->data_len ||
                    (a->data_len && memcmp(a->data, b->data, a->data_len)) ||
                    a->block_number != b->block_number ||
                    memcmp(&a->block_hash, &b->block_hash, 32) ||
                    memcmp(&a->transaction_hash, &b->transaction_hash, 32) ||
                    a->transaction_index != b->transaction_index || a->log_index != b->log_index ||
                    a->has_block_timestamp != b->has_block_timestamp ||
                    a->block_timestamp != b->block_timestamp)
                    __builtin_trap();
            }
            m2c_rpc_logs_free(&t);
            json_decref(res);
        }
        m2c_rpc_logs_free(&l);
        break;
    }
    default: with_result(which, body, len);
    }
    return 0;
}
