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
        snprintf(why, cap, "no revert data (the replayed call succeeded)");
    else if (out || st == M2C_ERR_RPC)
        m2c_cli_revert_reason(why, cap, out, n);
    else
        snprintf(why, cap, "%.250s", err.msg);
    free(out);
}

/* "what: " or "" for error messages. */
static const char *named(char *buf, size_t cap, const char *what) {
    if (!what) return "";
    snprintf(buf, cap, "%s: ", what);
    return buf;
}

/* Fills the fee fields of tx as o asks (see m2c_cli_txopts). */
static int set_fees(m2c_cli_chain *ch, const m2c_cli_txopts *o, m2c_tx *tx, const char *pre) {
    const char *cmd = ch->cmd;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_rpc_fee_history fh;
    memset(&fh, 0, sizeof fh);
    int ok = 0;
    if (o->legacy) {
        if (o->max_fee)
            tx->gas_price = *o->max_fee;
        else if (m2c_rpc_gas_price(ch->rpc, &tx->gas_price, &err) != M2C_OK)
            return m2c_cli_fail_err(cmd, &err, "%scannot get the gas price", pre), 0;
        return 1;
    }
    m2c_u256 prio;
    if (o->priority) {
        prio = *o->priority;
    } else if (m2c_rpc_max_priority_fee(ch->rpc, &prio, &err) != M2C_OK) {
        /* Nodes without eth_maxPriorityFeePerGas: the largest median tip of the last blocks. */
        m2c_blockref latest = m2c_blockref_latest();
        double pct = 50;
        if (m2c_rpc_get_fee_history(ch->rpc, &fh, 5, &latest, &pct, 1, &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "%scannot get a priority fee", pre);
            goto out;
        }
        prio = m2c_u256_from_u64(0);
        for (size_t i = 0; i < fh.n_blocks; i++)
            if (m2c_u256_cmp(&fh.reward[i], &prio) > 0) prio = fh.reward[i];
        m2c_rpc_fee_history_free(&fh);
        memset(&fh, 0, sizeof fh);
    }
    tx->max_priority_fee_per_gas = prio;
    if (o->max_fee) {
        tx->max_fee_per_gas = *o->max_fee;
    } else {
        m2c_blockref latest = m2c_blockref_latest();
        if (m2c_rpc_get_fee_history(ch->rpc, &fh, 1, &latest, NULL, 0, &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "%scannot get the base fee", pre);
            goto out;
        }
        /* The last entry is the next block's base fee; doubling it rides out six full
         * blocks of base-fee increases. */
        m2c_u256 base = fh.base_fee_per_gas[fh.n_blocks], two = m2c_u256_from_u64(2);
        if (m2c_u256_mul(&base, &base, &two) || m2c_u256_add(&tx->max_fee_per_gas, &base, &prio)) {
            m2c_cli_fail(cmd, "%sthe node's base fee is out of range", pre);
            goto out;
        }
    }
    if (m2c_u256_cmp(&tx->max_priority_fee_per_gas, &tx->max_fee_per_gas) > 0) {
        m2c_cli_fail(cmd, "%sthe priority fee is above the max fee", pre);
        goto out;
    }
    ok = 1;
out:
    m2c_rpc_fee_history_free(&fh);
    return ok;
}

/* Builds the transaction o describes at nonce ch->nonce, fills *msg (for a revert replay),
 * signs it and appends its bytes to raw, its hash into *hash. */
static int sign_tx(m2c_cli_chain *ch, const m2c_cli_txopts *o, const char *pre,
                   const m2c_addr20 *to, const uint8_t *data, size_t len, const m2c_u256 *value,
                   m2c_tx *tx, m2c_rpc_callmsg *msg, m2c_buf *raw, m2c_hash32 *hash) {
    const char *cmd = ch->cmd;
    m2c_err err;
    m2c_err_clear(&err);
    memset(tx, 0, sizeof *tx);
    tx->type = o->legacy ? M2C_TX_LEGACY : M2C_TX_EIP1559;
    tx->chain_id = ch->chain_id;
    tx->nonce = ch->nonce;
    if (to) {
        tx->to = *to;
        tx->has_to = 1;
    }
    if (value) tx->value = *value;
    tx->data = data;
    tx->data_len = len;
    if (!set_fees(ch, o, tx, pre)) return 0;

    *msg = (m2c_rpc_callmsg){
        .from = &ch->key.addr, .to = to, .data = data, .data_len = len, .value = &tx->value};
    if (o->gas_limit) {
        tx->gas_limit = o->gas_limit;
    } else if (m2c_rpc_estimate_gas(ch->rpc, &tx->gas_limit, msg, &err) != M2C_OK) {
        if (err.code == M2C_ERR_RPC) {
            char why[300];
            revert_reason(ch->rpc, why, sizeof why, msg, NULL);
            m2c_cli_fail(cmd, "%sexecution reverted: %s", pre, why);
        } else {
            m2c_cli_fail_err(cmd, &err, "%scannot estimate gas", pre);
        }
        return 0;
    } else {
        tx->gas_limit += tx->gas_limit / 100 * o->gas_margin_pct;
    }
    if (m2c_tx_sign(tx, &ch->key, &err) != M2C_OK || m2c_tx_encode_signed(raw, tx, &err) != M2C_OK ||
        m2c_tx_hash(hash, tx, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "%scannot sign the transaction", pre);
        return 0;
    }
    return 1;
}

int m2c_cli_chain_sign(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, const m2c_u256 *value, m2c_buf *raw,
                       m2c_hash32 *hash) {
    m2c_cli_txopts o = {.what = what, .gas_margin_pct = 20};
    char prebuf[160];
    m2c_tx tx;
    m2c_rpc_callmsg msg;
    if (!sign_tx(ch, &o, named(prebuf, sizeof prebuf, what), to, data, len, value, &tx, &msg,
                 raw, hash))
        return 0;
    ch->nonce++;
    return 1;
}

int m2c_cli_chain_fees(m2c_cli_chain *ch, const char *what, int legacy, m2c_u256 *max_fee,
                       m2c_u256 *prio) {
    m2c_cli_txopts o = {.what = what, .legacy = legacy};
    char prebuf[160];
    m2c_tx tx;
    memset(&tx, 0, sizeof tx);
    if (!set_fees(ch, &o, &tx, named(prebuf, sizeof prebuf, what))) return 0;
    *max_fee = legacy ? tx.gas_price : tx.max_fee_per_gas;
    *prio = legacy ? tx.gas_price : tx.max_priority_fee_per_gas;
    return 1;
}

int m2c_cli_chain_broadcast(m2c_cli_chain *ch, const char *what, const uint8_t *raw,
                            size_t raw_len, const m2c_hash32 *local) {
    char prebuf[160];
    const char *pre = named(prebuf, sizeof prebuf, what);
    m2c_err err;
    m2c_err_clear(&err);
    m2c_hash32 hash;
    if (m2c_rpc_send_raw_transaction(ch->rpc, &hash, raw, raw_len, &err) == M2C_OK) {
        if (memcmp(hash.b, local->b, 32) == 0) return 1;
        m2c_cli_fail(ch->cmd,
                     "%sthe node returned hash 0x%02x%02x... for a transaction whose hash is "
                     "0x%02x%02x...",
                     pre, hash.b[0], hash.b[1], local->b[0], local->b[1]);
        return 0;
    }
    /* The client retries lost answers; if an earlier attempt got through, the retry is
     * refused ("already known", "nonce too low") although the transaction is in. */
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
        m2c_cli_fail(ch->cmd, "%s%s", pre, keep.msg);
        return 0;
    }
    return 1;
}

int m2c_cli_chain_send_tx(m2c_cli_chain *ch, const m2c_cli_txopts *o, const m2c_addr20 *to,
                          const uint8_t *data, size_t len, const m2c_u256 *value,
                          m2c_hash32 *hash, m2c_rpc_receipt *rcpt) {
    const char *cmd = ch->cmd;
    char prebuf[160];
    const char *pre = named(prebuf, sizeof prebuf, o->what);
    int ok = 0;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_tx tx;
    m2c_rpc_callmsg msg;
    m2c_buf raw;
    m2c_buf_init(&raw, 0);
    if (!o->async) memset(rcpt, 0, sizeof *rcpt);
    if (!sign_tx(ch, o, pre, to, data, len, value, &tx, &msg, &raw, hash)) goto out;
    if (!m2c_cli_chain_broadcast(ch, o->what, raw.p, raw.len, hash)) goto out;
    ch->nonce++;
    if (o->async) {
        ok = 1;
        goto out;
    }
    char hex[67];
    m2c_hex_encode(hex, hash->b, 32, 1);
    long waited = 0, step = 20;
    for (;;) {
        m2c_status st = m2c_rpc_get_receipt(ch->rpc, rcpt, hash, &err);
        if (st == M2C_OK) break;
        if (st != M2C_ERR_NOTFOUND) {
            m2c_cli_fail_err(cmd, &err, "%stransaction %s sent, but", pre, hex);
            goto out;
        }
        if (waited >= ch->timeout_s * 1000) {
            m2c_cli_fail(cmd, "%stransaction %s not mined within %ld s", pre, hex, ch->timeout_s);
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
        m2c_cli_fail(cmd, "%stransaction %s reverted: %s", pre, hex, why);
        goto out;
    }
    ok = 1;
out:
    m2c_buf_free(&raw);
    return ok;
}

int m2c_cli_chain_send(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, const m2c_u256 *value,
                       m2c_rpc_receipt *rcpt) {
    m2c_cli_txopts o = {.what = what, .gas_margin_pct = 20};
    m2c_hash32 hash;
    return m2c_cli_chain_send_tx(ch, &o, to, data, len, value, &hash, rcpt);
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
