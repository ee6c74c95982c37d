/* chaintx.c: sequential transactions from one account (see chaintx.h). */
#define _POSIX_C_SOURCE 200809L
#include "chaintx.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ml2chain/hex.h"
#include "ml2chain/tx.h"
#include "ml2chain/u256.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int m2c_cli_chain_open(m2c_cli_chain *ch, const char *cmd, const m2c_cli_rpc_flags *rf,
                       const m2c_cli_keyarg *ka) {
    memset(ch, 0, sizeof *ch);
    ch->cmd = cmd;
    ch->timeout_s = 120;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_cli_load_key(cmd, &ch->key, ka)) return 0;
    if (!m2c_cli_rpc_open(cmd, rf, &ch->rpc)) return 0;
    if (m2c_rpc_chain_id(ch->rpc, &ch->chain_id, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot reach %s", m2c_rpc_url_redacted(ch->rpc));
        return 0;
    }
    m2c_blockref pending = {M2C_BLOCK_PENDING, 0};
    if (m2c_rpc_get_transaction_count(ch->rpc, &ch->nonce, &ch->key.addr, &pending, &err) !=
        M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot get the nonce");
        return 0;
    }
    return 1;
}

void m2c_cli_chain_close(m2c_cli_chain *ch) {
    m2c_key_wipe(&ch->key);
    m2c_rpc_destroy(ch->rpc);
    ch->rpc = NULL;
}

/* The revert reason of msg replayed with eth_call (at `at`, NULL: latest). */
static void revert_reason(m2c_rpc *c, char *why, size_t cap, const m2c_rpc_callmsg *msg,
                          const m2c_blockref *at) {
    uint8_t *out = NULL;
    size_t n = 0;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_blockref latest = m2c_blockref_latest();
    m2c_status st = m2c_rpc_eth_call(c, &out, &n, msg, at ? at : &latest, &err);
    if (st == M2C_OK)
        snprintf(why, cap, "no revert when replayed");
    else if (out || st == M2C_ERR_RPC)
        m2c_cli_revert_reason(why, cap, out, n);
    else
        snprintf(why, cap, "%.250s", err.msg);
    free(out);
}

/* Builds and signs the transaction (nonce ch->nonce) into raw/hash; fills *msg for a
 * revert replay. */
static int sign_tx(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to, const uint8_t *data,
                   size_t len, const m2c_u256 *value, m2c_tx *tx, m2c_rpc_callmsg *msg,
                   m2c_buf *raw, m2c_hash32 *hash) {
    const char *cmd = ch->cmd;
    int ok = 0;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_rpc_fee_history fh;
    memset(&fh, 0, sizeof fh);
    memset(tx, 0, sizeof *tx);
    tx->type = M2C_TX_EIP1559;
    tx->chain_id = ch->chain_id;
    tx->nonce = ch->nonce;
    if (to) {
        tx->to = *to;
        tx->has_to = 1;
    }
    if (value) tx->value = *value;
    tx->data = data;
    tx->data_len = len;

    m2c_u256 prio;
    if (m2c_rpc_max_priority_fee(ch->rpc, &prio, &err) != M2C_OK)
        prio = m2c_u256_from_u64(1000000000); /* 1 gwei where the node has no opinion */
    m2c_blockref latest = m2c_blockref_latest();
    if (m2c_rpc_get_fee_history(ch->rpc, &fh, 1, &latest, NULL, 0, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "%s: cannot get the base fee", what);
        goto out;
    }
    m2c_u256 base = fh.base_fee_per_gas[fh.n_blocks], two = m2c_u256_from_u64(2);
    if (m2c_u256_mul(&base, &base, &two) || m2c_u256_add(&tx->max_fee_per_gas, &base, &prio)) {
        m2c_cli_fail(cmd, "%s: the node's base fee is out of range", what);
        goto out;
    }
    tx->max_priority_fee_per_gas = prio;

    *msg = (m2c_rpc_callmsg){.from = &ch->key.addr,
                             .to = to,
                             .data = data,
                             .data_len = len,
                             .value = &tx->value};
    if (m2c_rpc_estimate_gas(ch->rpc, &tx->gas_limit, msg, &err) != M2C_OK) {
        if (err.code == M2C_ERR_RPC) {
            char why[300];
            revert_reason(ch->rpc, why, sizeof why, msg, NULL);
            m2c_cli_fail(cmd, "%s: execution reverted: %s", what, why);
        } else {
            m2c_cli_fail_err(cmd, &err, "%s: cannot estimate gas", what);
        }
        goto out;
    }
    tx->gas_limit += tx->gas_limit / 5;

    if (m2c_tx_sign(tx, &ch->key, &err) != M2C_OK ||
        m2c_tx_encode_signed(raw, tx, &err) != M2C_OK ||
        m2c_tx_hash(hash, tx, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "%s: cannot sign the transaction", what);
        goto out;
    }
    ok = 1;
out:
    m2c_rpc_fee_history_free(&fh);
    return ok;
}

int m2c_cli_chain_sign(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, const m2c_u256 *value, m2c_buf *raw,
                       m2c_hash32 *hash) {
    m2c_tx tx;
    m2c_rpc_callmsg msg;
    if (!sign_tx(ch, what, to, data, len, value, &tx, &msg, raw, hash)) return 0;
    ch->nonce++;
    return 1;
}

int m2c_cli_chain_broadcast(m2c_cli_chain *ch, const char *what, const uint8_t *raw,
                            size_t raw_len, const m2c_hash32 *local) {
    m2c_err err;
    m2c_err_clear(&err);
    m2c_hash32 hash;
    if (m2c_rpc_send_raw_transaction(ch->rpc, &hash, raw, raw_len, &err) == M2C_OK) return 1;
    /* A retried send whose first attempt went through is refused although it is in. */
    m2c_err keep = err;
    json_t *params = NULL, *res = NULL;
    char lh[67];
    m2c_hex_encode(lh, local->b, 32, 1);
    params = json_pack("[s]", lh);
    int known = params &&
                m2c_rpc_call(ch->rpc, &res, "eth_getTransactionByHash", params, &err) == M2C_OK &&
                json_is_object(res);
    json_decref(res);
    json_decref(params);
    if (!known) {
        m2c_cli_fail(ch->cmd, "%s: %s", what, keep.msg);
        return 0;
    }
    return 1;
}

int m2c_cli_chain_send(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, const m2c_u256 *value,
                       m2c_rpc_receipt *rcpt) {
    const char *cmd = ch->cmd;
    int ok = 0;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_tx tx;
    m2c_rpc_callmsg msg;
    m2c_buf raw;
    m2c_buf_init(&raw, 0);
    memset(rcpt, 0, sizeof *rcpt);
    m2c_hash32 hash;
    if (!sign_tx(ch, what, to, data, len, value, &tx, &msg, &raw, &hash)) goto out;
    if (!m2c_cli_chain_broadcast(ch, what, raw.p, raw.len, &hash)) goto out;
    ch->nonce++;
    char hex[67];
    m2c_hex_encode(hex, hash.b, 32, 1);
    long waited = 0, step = 20;
    for (;;) {
        m2c_status st = m2c_rpc_get_receipt(ch->rpc, rcpt, &hash, &err);
        if (st == M2C_OK) break;
        if (st != M2C_ERR_NOTFOUND) {
            m2c_cli_fail_err(cmd, &err, "%s: transaction %s sent, but", what, hex);
            goto out;
        }
        if (waited >= ch->timeout_s * 1000) {
            m2c_cli_fail(cmd, "%s: transaction %s not mined within %ld s", what, hex,
                         ch->timeout_s);
            goto out;
        }
        sleep_ms(step);
        waited += step;
        if (step < 1000) step *= 2;
    }
    if (rcpt->status == 0) {
        char why[300];
        m2c_blockref at = m2c_blockref_num(rcpt->block_number);
        revert_reason(ch->rpc, why, sizeof why, &msg, &at);
        m2c_cli_fail(cmd, "%s: transaction %s reverted: %s", what, hex, why);
        goto out;
    }
    ok = 1;
out:
    m2c_buf_free(&raw);
    return ok;
}

int m2c_cli_chain_call(m2c_rpc *c, const char *cmd, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, uint8_t **out, size_t *out_len) {
    m2c_err err;
    m2c_err_clear(&err);
    m2c_rpc_callmsg msg = {.to = to, .data = data, .data_len = len};
    m2c_blockref latest = m2c_blockref_latest();
    *out = NULL;
    *out_len = 0;
    m2c_status st = m2c_rpc_eth_call(c, out, out_len, &msg, &latest, &err);
    if (st == M2C_OK) return 1;
    if (st == M2C_ERR_RPC) {
        char why[300];
        m2c_cli_revert_reason(why, sizeof why, *out, *out_len);
        m2c_cli_fail(cmd, "%s: execution reverted: %s", what, why);
    } else {
        m2c_cli_fail_err(cmd, &err, "%s", what);
    }
    free(*out);
    *out = NULL;
    return 0;
}

int m2c_cli_deployment_addr(const char *cmd, const char *path, const char *name,
                            m2c_addr20 *out) {
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) return m2c_cli_fail(cmd, "deployment %s: line %d: %s", path, je.line, je.text), 0;
    int ok = 0;
    json_t *v = NULL;
    if (json_is_object(j)) {
        if (!strcmp(name, "Coordinator")) v = json_object_get(j, "coordinator");
        json_t *cs = json_object_get(j, "contracts");
        if (!v && json_is_object(cs)) v = json_object_get(cs, name);
    }
    m2c_err err;
    m2c_err_clear(&err);
    if (!json_is_string(v))
        m2c_cli_fail(cmd, "deployment %s: no address of %s", path, name);
    else if (m2c_addr_parse(out, json_string_value(v), &err) != M2C_OK)
        m2c_cli_fail_err(cmd, &err, "deployment %s: %s", path, name);
    else
        ok = 1;
    json_decref(j);
    return ok;
}
