/* cmd_decode_transaction.c: `ml2chain decode-transaction RAW`: decodes a signed raw
 * transaction (legacy, EIP-2930, EIP-1559), recovers its signer and prints it as one JSON
 * object with the field names and quantity forms `cast decode-transaction` uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/tx.h"
#include "ml2chain/u256.h"

#define CMD "decode-transaction"

static m2c_status put_u256(m2c_buf *b, const char *name, const m2c_u256 *v) {
    char q[80];
    m2c_u256_to_hex(q, sizeof q, v);
    return m2c_buf_printf(b, ",\"%s\":\"%s\"", name, q);
}

static m2c_status put_u64(m2c_buf *b, const char *name, uint64_t v) {
    m2c_u256 u = m2c_u256_from_u64(v);
    return put_u256(b, name, &u);
}

static m2c_status put_hex(m2c_buf *b, const char *name, const uint8_t *p, size_t n) {
    m2c_status st = m2c_buf_printf(b, ",\"%s\":\"0x", name);
    char pair[3];
    for (size_t i = 0; i < n && st == M2C_OK; i++) {
        m2c_hex_encode(pair, p + i, 1, 0);
        st = m2c_buf_append(b, pair, 2);
    }
    return st == M2C_OK ? m2c_buf_append_byte(b, '"') : st;
}

/* Appends the JSON object for a decoded tx with its signer and hash. */
static m2c_status to_json(m2c_buf *b, const m2c_tx *tx, const m2c_addr20 *signer,
                          const m2c_hash32 *hash) {
    char a[43];
    m2c_status st;
    m2c_hex_encode(a, signer->b, 20, 1);
    st = m2c_buf_printf(b, "{\"signer\":\"%s\"", a);
    if (!st) st = put_u64(b, "type", (uint64_t)tx->type);
    if (!st && (tx->type != M2C_TX_LEGACY || tx->chain_id))
        st = put_u64(b, "chainId", tx->chain_id);
    if (!st) st = put_u64(b, "nonce", tx->nonce);
    if (!st && tx->type != M2C_TX_EIP1559) st = put_u256(b, "gasPrice", &tx->gas_price);
    if (!st) st = put_u64(b, "gas", tx->gas_limit);
    if (!st && tx->type == M2C_TX_EIP1559) {
        st = put_u256(b, "maxFeePerGas", &tx->max_fee_per_gas);
        if (!st) st = put_u256(b, "maxPriorityFeePerGas", &tx->max_priority_fee_per_gas);
    }
    if (!st && tx->has_to) {
        st = put_hex(b, "to", tx->to.b, 20);
    } else if (!st) {
        st = m2c_buf_append_str(b, ",\"to\":null");
    }
    if (!st) st = put_u256(b, "value", &tx->value);
    if (!st && tx->type != M2C_TX_LEGACY) {
        st = m2c_buf_append_str(b, ",\"accessList\":[");
        for (size_t i = 0; i < tx->access_len && !st; i++) {
            const m2c_access_entry *e = &tx->access_list[i];
            m2c_hex_encode(a, e->address.b, 20, 1);
            st = m2c_buf_printf(b, "%s{\"address\":\"%s\",\"storageKeys\":[", i ? "," : "", a);
            for (size_t k = 0; k < e->n_keys && !st; k++) {
                char key[67];
                m2c_hex_encode(key, e->keys[k].b, 32, 1);
                st = m2c_buf_printf(b, "%s\"%s\"", k ? "," : "", key);
            }
            if (!st) st = m2c_buf_append_str(b, "]}");
        }
        if (!st) st = m2c_buf_append_byte(b, ']');
    }
    if (!st) st = put_hex(b, "input", tx->data, tx->data_len);
    m2c_u256 r = m2c_u256_from_be32(tx->sig.b), s = m2c_u256_from_be32(tx->sig.b + 32);
    if (!st) st = put_u256(b, "r", &r);
    if (!st) st = put_u256(b, "s", &s);
    if (!st && tx->type != M2C_TX_LEGACY) {
        st = put_u64(b, "yParity", tx->sig.b[64]);
        if (!st) st = put_u64(b, "v", tx->sig.b[64]);
    } else if (!st) {
        /* v = 27 + parity, or 35 + 2 * chain id + parity (EIP-155), as a 256-bit quantity */
        m2c_u256 v = m2c_u256_from_u64(tx->chain_id), add;
        v = m2c_u256_shl(&v, 1);
        add = m2c_u256_from_u64((tx->chain_id ? 35u : 27u) + tx->sig.b[64]);
        if (!tx->chain_id) v = m2c_u256_from_u64(0);
        (void)m2c_u256_add(&v, &v, &add);
        st = put_u256(b, "v", &v);
    }
    if (!st) st = put_hex(b, "hash", hash->b, 32);
    if (!st) st = m2c_buf_append_byte(b, '}');
    return st;
}

int m2c_cmd_decode_transaction(int argc, char **argv) {
    if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        int help = argc == 2;
        fprintf(help ? stdout : stderr,
                "usage: ml2chain decode-transaction 0xRAW\n\n"
                "Decodes a signed raw transaction (legacy, EIP-2930 or EIP-1559), recovers\n"
                "its signer, and prints one JSON object with cast decode-transaction's fields\n"
                "(signer, type, chainId, nonce, gas, fees, to, value, accessList, input, r, s,\n"
                "yParity, v, hash). Non-canonical encodings and high-s signatures are refused.\n");
        return help ? 0 : 2;
    }
    m2c_err err;
    uint8_t *raw = NULL;
    size_t n = 0;
    m2c_tx tx;
    m2c_addr20 signer;
    m2c_hash32 hash;
    m2c_buf out;
    int rc = 1;
    memset(&tx, 0, sizeof tx);
    m2c_buf_init(&out, 0);
    if (m2c_hex_decode_alloc(&raw, &n, argv[1], strlen(argv[1]), M2C_HEX_PREFIX_OPTIONAL, &err)) {
        rc = m2c_cli_fail_err(CMD, &err, "raw transaction is not hex");
        goto out;
    }
    if (m2c_tx_decode(&tx, raw, n, &err)) {
        rc = m2c_cli_fail_err(CMD, &err, "cannot decode transaction");
        goto out;
    }
    if (m2c_tx_sender(&signer, &tx, &err)) {
        rc = m2c_cli_fail_err(CMD, &err, "cannot recover the signer");
        goto out;
    }
    hash = m2c_keccak256(raw, n);
    if (to_json(&out, &tx, &signer, &hash)) {
        rc = m2c_cli_fail(CMD, "out of memory");
        goto out;
    }
    printf("%s\n", (const char *)out.p);
    rc = 0;
out:
    m2c_tx_free(&tx);
    m2c_buf_free(&out);
    free(raw);
    return rc;
}
