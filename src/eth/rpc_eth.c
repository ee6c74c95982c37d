/* rpc_eth.c: typed eth_* calls over the JSON-RPC client, and the pure parsers that turn
 * their untrusted results into validated structs; see rpc.h. */
#include "ml2chain/rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/json.h"

/* ---- small helpers --------------------------------------------------------------------- */

static void hex_into(char *out, const uint8_t *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < n; i++) {
        out[2 + 2 * i] = d[p[i] >> 4];
        out[3 + 2 * i] = d[p[i] & 15];
    }
    out[2 + 2 * n] = 0;
}

/* A JSON string "0x..." of n bytes (NULL on OOM). */
static json_t *json_hex(const uint8_t *p, size_t n) {
    if (n > (SIZE_MAX - 3) / 2) return NULL;
    char *s = malloc(2 * n + 3);
    if (!s) return NULL;
    hex_into(s, p, n);
    json_t *v = json_stringn_nocheck(s, 2 * n + 2);
    free(s);
    return v;
}

static json_t *json_qty(uint64_t v) {
    char s[24];
    snprintf(s, sizeof s, "0x%llx", (unsigned long long)v);
    return json_string(s);
}

static json_t *json_qty256(const m2c_u256 *v) {
    char s[80];
    int started = 0;
    size_t o = 2;
    s[0] = '0';
    s[1] = 'x';
    for (int i = 3; i >= 0; i--) {
        for (int sh = 60; sh >= 0; sh -= 4) {
            unsigned d = (unsigned)(v->w[i] >> sh) & 15;
            if (!d && !started) continue;
            started = 1;
            s[o++] = "0123456789abcdef"[d];
        }
    }
    if (!started) s[o++] = '0';
    s[o] = 0;
    return json_string(s);
}

static json_t *json_blockref(const m2c_blockref *b) {
    char s[24];
    m2c_blockref_format(s, b);
    return json_string(s);
}

m2c_status m2c_blockref_parse(m2c_blockref *out, const char *s, m2c_err *err) {
    static const struct {
        const char *name;
        m2c_block_tag tag;
    } tags[] = {{"latest", M2C_BLOCK_LATEST},
                {"earliest", M2C_BLOCK_EARLIEST},
                {"pending", M2C_BLOCK_PENDING},
                {"safe", M2C_BLOCK_SAFE},
                {"finalized", M2C_BLOCK_FINALIZED}};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (!strcmp(s, tags[i].name)) {
            out->tag = tags[i].tag;
            out->number = 0;
            return M2C_OK;
        }
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return m2c_err_set(err, M2C_ERR_INVALID, "bad block \"%.40s\": expected a number or a tag",
                           s);
    errno = 0;
    char *end;
    int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
    if (*end || errno || (hex && s[2] == 0))
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "bad block \"%.40s\": expected a number, latest, earliest, pending, "
                           "safe or finalized",
                           s);
    out->tag = M2C_BLOCK_NUMBER;
    out->number = v;
    return M2C_OK;
}

void m2c_blockref_format(char *out, const m2c_blockref *b) {
    switch (b->tag) {
    case M2C_BLOCK_LATEST: strcpy(out, "latest"); return;
    case M2C_BLOCK_EARLIEST: strcpy(out, "earliest"); return;
    case M2C_BLOCK_PENDING: strcpy(out, "pending"); return;
    case M2C_BLOCK_SAFE: strcpy(out, "safe"); return;
    case M2C_BLOCK_FINALIZED: strcpy(out, "finalized"); return;
    case M2C_BLOCK_NUMBER: break;
    }
    snprintf(out, 20, "0x%llx", (unsigned long long)b->number);
}

/* ---- pure parsers ---------------------------------------------------------------------- */

void m2c_rpc_block_free(m2c_rpc_block *b) {
    if (!b) return;
    m2c_arena_free(&b->arena);
    memset(b, 0, sizeof *b);
}
void m2c_rpc_logs_free(m2c_rpc_logs *l) {
    if (!l) return;
    m2c_arena_free(&l->arena);
    memset(l, 0, sizeof *l);
}
void m2c_rpc_receipt_free(m2c_rpc_receipt *r) {
    if (!r) return;
    m2c_arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}
void m2c_rpc_fee_history_free(m2c_rpc_fee_history *f) {
    if (!f) return;
    m2c_arena_free(&f->arena);
    memset(f, 0, sizeof *f);
}

/* One log object into *l (data in arena). */
static m2c_status parse_log(m2c_rpc_log *l, const json_t *o, m2c_arena *arena, m2c_err *err) {
    m2c_status st;
    const json_t *topics = NULL;
    size_t nt = 0;
    int present;
    memset(l, 0, sizeof *l);
    if (!json_is_object(o))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected log object, got %s",
                           m2c_json_type_name(o));
    if ((st = m2c_json_get_addr20(&l->address, o, "address", err))) return st;
    if ((st = m2c_json_member(&topics, o, "topics", err))) return st;
    if ((st = m2c_json_array(&nt, topics, 4, "topics", err))) return st;
    for (size_t i = 0; i < nt; i++) {
        char name[32];
        snprintf(name, sizeof name, "[%zu]", i);
        if ((st = m2c_json_hash32(&l->topics[i], json_array_get(topics, i), name, err)))
            return m2c_json_prefix(err, "topics");
    }
    l->n_topics = (uint8_t)nt;
    if ((st = m2c_json_get_data(&l->data, &l->data_len, o, "data", M2C_RPC_MAX_DATA, arena, err)))
        return st;
    /* Pending logs carry null block fields; they are accepted as zeros. */
    if ((st = m2c_json_get_u64_opt(&l->block_number, &present, o, "blockNumber", err))) return st;
    const json_t *bh = json_object_get(o, "blockHash");
    if (bh && !json_is_null(bh) && (st = m2c_json_hash32(&l->block_hash, bh, "blockHash", err)))
        return st;
    const json_t *th = json_object_get(o, "transactionHash");
    if (th && !json_is_null(th) &&
        (st = m2c_json_hash32(&l->transaction_hash, th, "transactionHash", err)))
        return st;
    if ((st = m2c_json_get_u64_opt(&l->transaction_index, &present, o, "transactionIndex", err)))
        return st;
    if ((st = m2c_json_get_u64_opt(&l->log_index, &present, o, "logIndex", err))) return st;
    /* blockTimestamp (newer nodes): read when it is a quantity; any other value is ignored */
    const json_t *ts = json_object_get(o, "blockTimestamp");
    if (ts && json_is_string(ts)) {
        m2c_err ignored;
        if (m2c_json_get_u64_opt(&l->block_timestamp, &present, o, "blockTimestamp", &ignored) ==
                M2C_OK &&
            present)
            l->has_block_timestamp = 1;
        else
            l->block_timestamp = 0;
    }
    const json_t *rm = json_object_get(o, "removed");
    if (rm && !json_is_null(rm)) {
        int b;
        if ((st = m2c_json_bool(&b, rm, "removed", err))) return st;
        l->removed = (uint8_t)b;
    }
    return M2C_OK;
}

static m2c_status parse_log_array(m2c_rpc_log **out, size_t *n, const json_t *arr, m2c_arena *arena,
                                  m2c_err *err) {
    size_t k;
    m2c_status st = m2c_json_array(&k, arr, M2C_RPC_MAX_LOGS, "logs", err);
    if (st) return st;
    m2c_rpc_log *v = m2c_arena_calloc(arena, k ? k : 1, sizeof *v);
    if (!v) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory for %zu logs", k);
    for (size_t i = 0; i < k; i++) {
        st = parse_log(&v[i], json_array_get(arr, i), arena, err);
        if (st) return m2c_json_prefix(err, "[%zu]", i);
    }
    *out = v;
    *n = k;
    return M2C_OK;
}

m2c_status m2c_rpc_parse_logs(m2c_rpc_logs *out, const json_t *result, m2c_err *err) {
    memset(out, 0, sizeof *out);
    m2c_arena_init(&out->arena, M2C_RPC_MAX_ARENA);
    m2c_status st = parse_log_array(&out->v, &out->n, result, &out->arena, err);
    if (st) {
        m2c_json_prefix(err, "result");
        m2c_rpc_logs_free(out);
    }
    return st;
}

static m2c_status parse_tx(m2c_rpc_tx *t, const json_t *o, m2c_arena *arena, m2c_err *err) {
    m2c_status st;
    int present;
    memset(t, 0, sizeof *t);
    if (!json_is_object(o))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected transaction object, got %s",
                           m2c_json_type_name(o));
    uint64_t type = 0;
    if ((st = m2c_json_get_u64_opt(&type, &present, o, "type", err))) return st;
    if (type > 0xff)
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "type: %llu is not a byte",
                           (unsigned long long)type);
    t->type = (uint8_t)type;
    if ((st = m2c_json_get_hash32(&t->hash, o, "hash", err))) return st;
    if ((st = m2c_json_get_addr20(&t->from, o, "from", err))) return st;
    if ((st = m2c_json_get_addr20_opt(&t->to, &t->has_to, o, "to", err))) return st;
    if ((st = m2c_json_get_u256(&t->value, o, "value", err))) return st;
    if ((st =
             m2c_json_get_data(&t->input, &t->input_len, o, "input", M2C_RPC_MAX_DATA, arena, err)))
        return st;
    if ((st = m2c_json_get_u64(&t->nonce, o, "nonce", err))) return st;
    if ((st = m2c_json_get_u64(&t->gas, o, "gas", err))) return st;
    if ((st = m2c_json_get_u256_opt(&t->gas_price, &t->has_gas_price, o, "gasPrice", err)))
        return st;
    int has_max = 0, has_prio = 0;
    if ((st = m2c_json_get_u256_opt(&t->max_fee_per_gas, &has_max, o, "maxFeePerGas", err)))
        return st;
    if ((st = m2c_json_get_u256_opt(&t->max_priority_fee_per_gas, &has_prio, o,
                                    "maxPriorityFeePerGas", err)))
        return st;
    if (has_max != has_prio)
        return m2c_err_set(err, M2C_ERR_PROTOCOL,
                           "maxFeePerGas and maxPriorityFeePerGas must come together");
    t->has_1559_fees = has_max;
    if (type >= 2 && type <= 4 && !has_max)
        return m2c_err_set(err, M2C_ERR_PROTOCOL,
                           "maxFeePerGas: missing for a type %llu transaction",
                           (unsigned long long)type);
    if ((type == 0 || type == 1) && !t->has_gas_price)
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "gasPrice: missing for a type %llu transaction",
                           (unsigned long long)type);
    if ((st = m2c_json_get_u64_opt(&t->block_number, &t->has_block, o, "blockNumber", err)))
        return st;
    if ((st = m2c_json_get_u64_opt(&t->transaction_index, &present, o, "transactionIndex", err)))
        return st;
    return M2C_OK;
}

static m2c_status parse_block(m2c_rpc_block *b, const json_t *o, m2c_err *err) {
    m2c_status st;
    const json_t *txs = NULL;
    if (!json_is_object(o))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected block object, got %s",
                           m2c_json_type_name(o));
    if ((st = m2c_json_get_u64(&b->number, o, "number", err))) return st;
    if ((st = m2c_json_get_hash32(&b->hash, o, "hash", err))) return st;
    if ((st = m2c_json_get_hash32(&b->parent_hash, o, "parentHash", err))) return st;
    if ((st = m2c_json_get_u64(&b->timestamp, o, "timestamp", err))) return st;
    if ((st = m2c_json_get_u256_opt(&b->base_fee_per_gas, &b->has_base_fee, o, "baseFeePerGas",
                                    err)))
        return st;
    if ((st = m2c_json_get_u64(&b->gas_used, o, "gasUsed", err))) return st;
    if ((st = m2c_json_get_u64(&b->gas_limit, o, "gasLimit", err))) return st;
    if ((st = m2c_json_get_addr20(&b->miner, o, "miner", err))) return st;
    if ((st = m2c_json_member(&txs, o, "transactions", err))) return st;
    size_t n;
    if ((st = m2c_json_array(&n, txs, M2C_RPC_MAX_TXS, "transactions", err))) return st;
    b->tx_hashes = m2c_arena_calloc(&b->arena, n ? n : 1, sizeof *b->tx_hashes);
    if (!b->tx_hashes)
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory for %zu transactions", n);
    /* Hashes only, or full objects: decided by the first element, then required of all. */
    int full = n > 0 && json_is_object(json_array_get(txs, 0));
    if (full) {
        b->txs = m2c_arena_calloc(&b->arena, n, sizeof *b->txs);
        if (!b->txs)
            return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory for %zu transactions", n);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(txs, i);
        if (full) {
            st = parse_tx(&b->txs[i], t, &b->arena, err);
            if (!st) b->tx_hashes[i] = b->txs[i].hash;
            if (st) return m2c_json_prefix(err, "transactions[%zu]", i);
        } else {
            char name[32];
            snprintf(name, sizeof name, "[%zu]", i);
            st = m2c_json_hash32(&b->tx_hashes[i], t, name, err);
            if (st) return m2c_json_prefix(err, "transactions");
        }
    }
    b->tx_count = n;
    return M2C_OK;
}

m2c_status m2c_rpc_parse_block(m2c_rpc_block *out, const json_t *result, m2c_err *err) {
    memset(out, 0, sizeof *out);
    m2c_arena_init(&out->arena, M2C_RPC_MAX_ARENA);
    m2c_status st = parse_block(out, result, err);
    if (st) {
        m2c_json_prefix(err, "result");
        m2c_rpc_block_free(out);
    }
    return st;
}

static m2c_status parse_receipt(m2c_rpc_receipt *r, const json_t *o, m2c_err *err) {
    m2c_status st;
    int present;
    const json_t *logs = NULL;
    if (!json_is_object(o))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected receipt object, got %s",
                           m2c_json_type_name(o));
    if ((st = m2c_json_get_hash32(&r->transaction_hash, o, "transactionHash", err))) return st;
    if ((st = m2c_json_get_u64(&r->transaction_index, o, "transactionIndex", err))) return st;
    if ((st = m2c_json_get_hash32(&r->block_hash, o, "blockHash", err))) return st;
    if ((st = m2c_json_get_u64(&r->block_number, o, "blockNumber", err))) return st;
    if ((st = m2c_json_get_addr20(&r->from, o, "from", err))) return st;
    if ((st = m2c_json_get_addr20_opt(&r->to, &r->has_to, o, "to", err))) return st;
    uint64_t status = 0;
    if ((st = m2c_json_get_u64_opt(&status, &present, o, "status", err))) return st;
    if (present && status > 1)
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "status: expected 0x0 or 0x1, got %llu",
                           (unsigned long long)status);
    r->status = present ? (int)status : -1;
    if ((st = m2c_json_get_u64(&r->gas_used, o, "gasUsed", err))) return st;
    if ((st = m2c_json_get_u64(&r->cumulative_gas_used, o, "cumulativeGasUsed", err))) return st;
    if ((st = m2c_json_get_u256_opt(&r->effective_gas_price, &r->has_effective_gas_price, o,
                                    "effectiveGasPrice", err)))
        return st;
    if ((st = m2c_json_get_addr20_opt(&r->contract_address, &r->has_contract_address, o,
                                      "contractAddress", err)))
        return st;
    uint64_t type = 0;
    if ((st = m2c_json_get_u64_opt(&type, &present, o, "type", err))) return st;
    if (type > 0xff)
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "type: %llu is not a byte",
                           (unsigned long long)type);
    r->type = (uint8_t)type;
    if ((st = m2c_json_member(&logs, o, "logs", err))) return st;
    st = parse_log_array(&r->logs, &r->n_logs, logs, &r->arena, err);
    if (st) return m2c_json_prefix(err, "logs");
    return M2C_OK;
}

m2c_status m2c_rpc_parse_receipt(m2c_rpc_receipt *out, const json_t *result, m2c_err *err) {
    memset(out, 0, sizeof *out);
    m2c_arena_init(&out->arena, M2C_RPC_MAX_ARENA);
    m2c_status st = parse_receipt(out, result, err);
    if (st) {
        m2c_json_prefix(err, "result");
        m2c_rpc_receipt_free(out);
    }
    return st;
}

static m2c_status parse_fee_history(m2c_rpc_fee_history *f, const json_t *o, m2c_err *err) {
    m2c_status st;
    const json_t *bf = NULL, *ratio = NULL, *reward = NULL;
    size_t nb, nr;
    if (!json_is_object(o))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected fee history object, got %s",
                           m2c_json_type_name(o));
    if ((st = m2c_json_get_u64(&f->oldest_block, o, "oldestBlock", err))) return st;
    if ((st = m2c_json_member(&ratio, o, "gasUsedRatio", err))) return st;
    if ((st = m2c_json_array(&nr, ratio, M2C_RPC_MAX_FEE_BLOCKS, "gasUsedRatio", err))) return st;
    if ((st = m2c_json_member(&bf, o, "baseFeePerGas", err))) return st;
    if ((st = m2c_json_array(&nb, bf, M2C_RPC_MAX_FEE_BLOCKS + 1, "baseFeePerGas", err))) return st;
    if (nb != nr + 1)
        return m2c_err_set(err, M2C_ERR_PROTOCOL,
                           "baseFeePerGas: expected %zu entries (gasUsedRatio has %zu), got %zu",
                           nr + 1, nr, nb);
    f->n_blocks = nr;
    f->base_fee_per_gas = m2c_arena_calloc(&f->arena, nb, sizeof *f->base_fee_per_gas);
    f->gas_used_ratio = m2c_arena_calloc(&f->arena, nr ? nr : 1, sizeof *f->gas_used_ratio);
    if (!f->base_fee_per_gas || !f->gas_used_ratio)
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    char name[48];
    for (size_t i = 0; i < nb; i++) {
        snprintf(name, sizeof name, "[%zu]", i);
        if ((st =
                 m2c_json_quantity_u256(&f->base_fee_per_gas[i], json_array_get(bf, i), name, err)))
            return m2c_json_prefix(err, "baseFeePerGas");
    }
    for (size_t i = 0; i < nr; i++) {
        const json_t *r = json_array_get(ratio, i);
        if (!json_is_number(r) || json_number_value(r) < 0 || json_number_value(r) > 1)
            return m2c_err_set(err, M2C_ERR_PROTOCOL,
                               "gasUsedRatio[%zu]: expected a number in [0, 1]", i);
        f->gas_used_ratio[i] = json_number_value(r);
    }
    reward = json_object_get(o, "reward");
    if (reward && !json_is_null(reward)) {
        size_t nrw;
        if ((st = m2c_json_array(&nrw, reward, M2C_RPC_MAX_FEE_BLOCKS, "reward", err))) return st;
        /* Nodes answer "reward": [] when no percentiles were asked. */
        if (nrw != nr && nrw != 0)
            return m2c_err_set(err, M2C_ERR_PROTOCOL, "reward: expected %zu rows, got %zu", nr,
                               nrw);
        size_t np = 0;
        for (size_t i = 0; i < nrw; i++) {
            const json_t *row = json_array_get(reward, i);
            size_t k;
            snprintf(name, sizeof name, "reward[%zu]", i);
            if ((st = m2c_json_array(&k, row, M2C_RPC_MAX_PERCENTILES, name, err))) return st;
            if (i == 0) {
                np = k;
                f->reward = m2c_arena_calloc(&f->arena, nr * (np ? np : 1), sizeof *f->reward);
                if (!f->reward) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            } else if (k != np) {
                return m2c_err_set(err, M2C_ERR_PROTOCOL, "%s: expected %zu percentiles, got %zu",
                                   name, np, k);
            }
            for (size_t j = 0; j < k; j++) {
                char nm[32];
                snprintf(nm, sizeof nm, "[%zu]", j);
                if ((st = m2c_json_quantity_u256(&f->reward[i * np + j], json_array_get(row, j), nm,
                                                 err)))
                    return m2c_json_prefix(err, "%s", name);
            }
        }
        f->n_percentiles = np;
    }
    return M2C_OK;
}

m2c_status m2c_rpc_parse_fee_history(m2c_rpc_fee_history *out, const json_t *result, m2c_err *err) {
    memset(out, 0, sizeof *out);
    m2c_arena_init(&out->arena, M2C_RPC_MAX_ARENA);
    m2c_status st = parse_fee_history(out, result, err);
    if (st) {
        m2c_json_prefix(err, "result");
        m2c_rpc_fee_history_free(out);
    }
    return st;
}

/* ---- filter ---------------------------------------------------------------------------- */

m2c_status m2c_rpc_filter_json(json_t **out, const m2c_rpc_filter *f, m2c_err *err) {
    *out = NULL;
    json_t *o = json_object();
    int bad = !o;
    if (f->n_topics > 4) {
        json_decref(o);
        return m2c_err_set(err, M2C_ERR_INVALID, "filter: at most 4 topic positions, got %zu",
                           f->n_topics);
    }
    if (!bad && f->n_addresses == 1) {
        bad |= json_object_set_new(o, "address", json_hex(f->addresses[0].b, 20));
    } else if (!bad && f->n_addresses > 1) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < f->n_addresses; i++)
            bad |= json_array_append_new(a, json_hex(f->addresses[i].b, 20));
        bad |= json_object_set_new(o, "address", a);
    }
    if (!bad && f->n_topics) {
        json_t *t = json_array();
        for (size_t i = 0; t && i < f->n_topics; i++) {
            if (f->n_topic_or[i] == 0) {
                bad |= json_array_append_new(t, json_null());
            } else if (f->n_topic_or[i] == 1) {
                bad |= json_array_append_new(t, json_hex(f->topics[i][0].b, 32));
            } else {
                json_t *alt = json_array();
                for (size_t j = 0; alt && j < f->n_topic_or[i]; j++)
                    bad |= json_array_append_new(alt, json_hex(f->topics[i][j].b, 32));
                bad |= json_array_append_new(t, alt);
            }
        }
        bad |= json_object_set_new(o, "topics", t);
    }
    if (!bad) {
        if (f->block_hash) {
            bad |= json_object_set_new(o, "blockHash", json_hex(f->block_hash->b, 32));
        } else {
            bad |= json_object_set_new(o, "fromBlock", json_blockref(&f->from));
            bad |= json_object_set_new(o, "toBlock", json_blockref(&f->to));
        }
    }
    if (bad) {
        json_decref(o);
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory building the log filter");
    }
    *out = o;
    return M2C_OK;
}

/* ---- typed calls ----------------------------------------------------------------------- */

/* Calls method with params (stolen: decref'd here) and returns the result. */
static m2c_status call_steal(m2c_rpc *c, json_t **res, const char *method, json_t *params,
                             m2c_err *err) {
    *res = NULL;
    if (!params) return m2c_err_set(err, M2C_ERR_NOMEM, "%s: out of memory", method);
    m2c_status st = m2c_rpc_call(c, res, method, params, err);
    json_decref(params);
    return st;
}

static m2c_status call_u64(m2c_rpc *c, uint64_t *out, const char *method, json_t *params,
                           m2c_err *err) {
    json_t *r = NULL;
    m2c_status st = call_steal(c, &r, method, params, err);
    if (!st) {
        st = m2c_json_quantity_u64(out, r, "result", err);
        if (st) m2c_err_prefix(err, "%s", method);
    }
    json_decref(r);
    return st;
}

static m2c_status call_u256(m2c_rpc *c, m2c_u256 *out, const char *method, json_t *params,
                            m2c_err *err) {
    json_t *r = NULL;
    m2c_status st = call_steal(c, &r, method, params, err);
    if (!st) {
        st = m2c_json_quantity_u256(out, r, "result", err);
        if (st) m2c_err_prefix(err, "%s", method);
    }
    json_decref(r);
    return st;
}

/* Result DATA into a malloc'd buffer. */
static m2c_status data_malloc(uint8_t **out, size_t *out_len, const json_t *v, const char *name,
                              m2c_err *err) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    uint8_t *p = NULL;
    size_t n = 0;
    m2c_status st = m2c_json_data(&p, &n, v, M2C_RPC_MAX_DATA, &a, name, err);
    if (!st) {
        *out = malloc(n ? n : 1);
        if (!*out)
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        else {
            if (n) memcpy(*out, p, n);
            *out_len = n;
        }
    }
    m2c_arena_free(&a);
    return st;
}

m2c_status m2c_rpc_chain_id(m2c_rpc *c, uint64_t *out, m2c_err *err) {
    return call_u64(c, out, "eth_chainId", json_array(), err);
}

m2c_status m2c_rpc_block_number(m2c_rpc *c, uint64_t *out, m2c_err *err) {
    return call_u64(c, out, "eth_blockNumber", json_array(), err);
}

m2c_status m2c_rpc_gas_price(m2c_rpc *c, m2c_u256 *out, m2c_err *err) {
    return call_u256(c, out, "eth_gasPrice", json_array(), err);
}

m2c_status m2c_rpc_max_priority_fee(m2c_rpc *c, m2c_u256 *out, m2c_err *err) {
    return call_u256(c, out, "eth_maxPriorityFeePerGas", json_array(), err);
}

m2c_status m2c_rpc_get_balance(m2c_rpc *c, m2c_u256 *out, const m2c_addr20 *addr,
                               const m2c_blockref *at, m2c_err *err) {
    m2c_blockref latest = m2c_blockref_latest();
    return call_u256(c, out, "eth_getBalance",
                     json_pack("[oo]", json_hex(addr->b, 20), json_blockref(at ? at : &latest)),
                     err);
}

m2c_status m2c_rpc_get_transaction_count(m2c_rpc *c, uint64_t *out, const m2c_addr20 *addr,
                                         const m2c_blockref *at, m2c_err *err) {
    m2c_blockref latest = m2c_blockref_latest();
    return call_u64(c, out, "eth_getTransactionCount",
                    json_pack("[oo]", json_hex(addr->b, 20), json_blockref(at ? at : &latest)),
                    err);
}

m2c_status m2c_rpc_get_code(m2c_rpc *c, uint8_t **code, size_t *code_len, const m2c_addr20 *addr,
                            const m2c_blockref *at, m2c_err *err) {
    *code = NULL;
    *code_len = 0;
    m2c_blockref latest = m2c_blockref_latest();
    json_t *r = NULL;
    m2c_status st =
        call_steal(c, &r, "eth_getCode",
                   json_pack("[oo]", json_hex(addr->b, 20), json_blockref(at ? at : &latest)), err);
    if (!st && (st = data_malloc(code, code_len, r, "result", err)))
        m2c_err_prefix(err, "eth_getCode");
    json_decref(r);
    return st;
}

m2c_status m2c_rpc_client_version(m2c_rpc *c, char *out, size_t cap, m2c_err *err) {
    if (cap) out[0] = 0;
    json_t *r = NULL;
    m2c_status st = call_steal(c, &r, "web3_clientVersion", json_array(), err);
    if (!st) {
        if (!json_is_string(r))
            st = m2c_err_set(err, M2C_ERR_PROTOCOL,
                             "web3_clientVersion: result: expected string, got %s",
                             m2c_json_type_name(r));
        else if (cap) {
            const char *s = json_string_value(r);
            size_t n = json_string_length(r), o = 0;
            for (size_t i = 0; i < n && o + 1 < cap; i++)
                out[o++] = ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) ? '?' : s[i];
            out[o] = 0;
        }
    }
    json_decref(r);
    return st;
}

static json_t *block_params(const m2c_blockref *at, int full) {
    return json_pack("[ob]", json_blockref(at), full ? 1 : 0);
}

/* A node that answers with another block or receipt than the one asked for (a faulty node or
 * load balancer) would have its answer stored under the wrong key: refused. */
static m2c_status same_block(const m2c_rpc_block *b, uint64_t number, m2c_err *err) {
    if (b->number == number) return M2C_OK;
    return m2c_err_set(err, M2C_ERR_PROTOCOL, "asked for block %llu, the node sent block %llu",
                       (unsigned long long)number, (unsigned long long)b->number);
}

static m2c_status same_receipt(const m2c_rpc_receipt *r, const m2c_hash32 *tx_hash, m2c_err *err) {
    if (!memcmp(r->transaction_hash.b, tx_hash->b, 32)) return M2C_OK;
    char got[67];
    hex_into(got, r->transaction_hash.b, 32);
    return m2c_err_set(err, M2C_ERR_PROTOCOL, "the node sent the receipt of transaction %s", got);
}

m2c_status m2c_rpc_get_block(m2c_rpc *c, m2c_rpc_block *out, const m2c_blockref *at, int full_txs,
                             m2c_err *err) {
    memset(out, 0, sizeof *out);
    json_t *r = NULL;
    m2c_status st = call_steal(c, &r, "eth_getBlockByNumber", block_params(at, full_txs), err);
    if (st) goto out;
    if (json_is_null(r)) {
        char b[24];
        m2c_blockref_format(b, at);
        st = m2c_err_set(err, M2C_ERR_NOTFOUND, "eth_getBlockByNumber: no block %s", b);
        goto out;
    }
    st = m2c_rpc_parse_block(out, r, err);
    if (!st && at->tag == M2C_BLOCK_NUMBER && (st = same_block(out, at->number, err)))
        m2c_rpc_block_free(out);
    if (st) m2c_err_prefix(err, "eth_getBlockByNumber");
out:
    json_decref(r);
    return st;
}

m2c_status m2c_rpc_get_blocks(m2c_rpc *c, m2c_rpc_block *out, const uint64_t *numbers, size_t n,
                              int full_txs, m2c_err *err) {
    memset(out, 0, n * sizeof *out);
    m2c_status st = M2C_OK;
    m2c_rpc_req *reqs = calloc(n ? n : 1, sizeof *reqs);
    json_t **params = calloc(n ? n : 1, sizeof *params);
    if (!reqs || !params) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory for %zu requests", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        m2c_blockref b = m2c_blockref_num(numbers[i]);
        params[i] = block_params(&b, full_txs);
        if (!params[i]) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        reqs[i].method = "eth_getBlockByNumber";
        reqs[i].params = params[i];
    }
    st = m2c_rpc_batch(c, reqs, n, err);
    if (st) goto out;
    for (size_t i = 0; i < n && !st; i++) {
        if (reqs[i].status) {
            if (err) *err = reqs[i].err;
            st = reqs[i].status;
        } else if (json_is_null(reqs[i].result)) {
            st =
                m2c_err_set(err, M2C_ERR_NOTFOUND, "no block %llu", (unsigned long long)numbers[i]);
        } else {
            st = m2c_rpc_parse_block(&out[i], reqs[i].result, err);
            if (!st) st = same_block(&out[i], numbers[i], err);
        }
        if (st) m2c_err_prefix(err, "eth_getBlockByNumber %llu", (unsigned long long)numbers[i]);
    }
out:
    if (st)
        for (size_t i = 0; i < n; i++)
            m2c_rpc_block_free(&out[i]);
    if (reqs) m2c_rpc_reqs_release(reqs, n);
    for (size_t i = 0; params && i < n; i++)
        json_decref(params[i]);
    free(params);
    free(reqs);
    return st;
}

m2c_status m2c_rpc_get_logs(m2c_rpc *c, m2c_rpc_logs *out, const m2c_rpc_filter *f, m2c_err *err) {
    memset(out, 0, sizeof *out);
    json_t *filter = NULL, *params = NULL;
    m2c_buf body;
    m2c_buf_init(&body, 0);
    uint64_t id;
    m2c_status st = m2c_rpc_filter_json(&filter, f, err);
    if (st) goto out;
    params = json_pack("[O]", filter);
    if (!params) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = m2c_rpc_call_raw(c, &body, &id, "eth_getLogs", params, err);
    if (st) goto out;
    st = m2c_rpc_parse_logs_body(out, (const char *)body.p, body.len, id, err);
    if (st) m2c_err_prefix(err, "eth_getLogs");
out:
    json_decref(filter);
    json_decref(params);
    m2c_buf_free(&body);
    return st;
}

m2c_status m2c_rpc_get_receipt(m2c_rpc *c, m2c_rpc_receipt *out, const m2c_hash32 *tx_hash,
                               m2c_err *err) {
    memset(out, 0, sizeof *out);
    json_t *r = NULL;
    m2c_status st = call_steal(c, &r, "eth_getTransactionReceipt",
                               json_pack("[o]", json_hex(tx_hash->b, 32)), err);
    if (st) goto out;
    if (json_is_null(r)) {
        st = m2c_err_set(err, M2C_ERR_NOTFOUND,
                         "eth_getTransactionReceipt: no receipt (unknown or pending transaction)");
        goto out;
    }
    st = m2c_rpc_parse_receipt(out, r, err);
    if (!st && (st = same_receipt(out, tx_hash, err))) m2c_rpc_receipt_free(out);
    if (st) m2c_err_prefix(err, "eth_getTransactionReceipt");
out:
    json_decref(r);
    return st;
}

m2c_status m2c_rpc_get_receipts(m2c_rpc *c, m2c_rpc_receipt *out, const m2c_hash32 *hashes,
                                size_t n, m2c_err *err) {
    memset(out, 0, n * sizeof *out);
    m2c_status st = M2C_OK;
    m2c_rpc_req *reqs = calloc(n ? n : 1, sizeof *reqs);
    json_t **params = calloc(n ? n : 1, sizeof *params);
    if (!reqs || !params) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory for %zu requests", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        params[i] = json_pack("[o]", json_hex(hashes[i].b, 32));
        if (!params[i]) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        reqs[i].method = "eth_getTransactionReceipt";
        reqs[i].params = params[i];
    }
    st = m2c_rpc_batch(c, reqs, n, err);
    if (st) goto out;
    for (size_t i = 0; i < n && !st; i++) {
        char h[67];
        hex_into(h, hashes[i].b, 32);
        if (reqs[i].status) {
            if (err) *err = reqs[i].err;
            st = reqs[i].status;
        } else if (json_is_null(reqs[i].result)) {
            st = m2c_err_set(err, M2C_ERR_NOTFOUND, "no receipt");
        } else {
            st = m2c_rpc_parse_receipt(&out[i], reqs[i].result, err);
            if (!st) st = same_receipt(&out[i], &hashes[i], err);
        }
        if (st) m2c_err_prefix(err, "eth_getTransactionReceipt %s", h);
    }
out:
    if (st)
        for (size_t i = 0; i < n; i++)
            m2c_rpc_receipt_free(&out[i]);
    if (reqs) m2c_rpc_reqs_release(reqs, n);
    for (size_t i = 0; params && i < n; i++)
        json_decref(params[i]);
    free(params);
    free(reqs);
    return st;
}

static json_t *callmsg_json(const m2c_rpc_callmsg *m) {
    json_t *o = json_object();
    int bad = !o;
    if (!bad && m->from) bad |= json_object_set_new(o, "from", json_hex(m->from->b, 20));
    if (!bad && m->to) bad |= json_object_set_new(o, "to", json_hex(m->to->b, 20));
    if (!bad && m->data) bad |= json_object_set_new(o, "input", json_hex(m->data, m->data_len));
    if (!bad && m->value) bad |= json_object_set_new(o, "value", json_qty256(m->value));
    if (!bad && m->gas) bad |= json_object_set_new(o, "gas", json_qty(m->gas));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

m2c_status m2c_rpc_eth_call(m2c_rpc *c, uint8_t **out, size_t *out_len, const m2c_rpc_callmsg *msg,
                            const m2c_blockref *at, m2c_err *err) {
    *out = NULL;
    *out_len = 0;
    m2c_blockref latest = m2c_blockref_latest();
    json_t *params = json_pack("[oo]", callmsg_json(msg), json_blockref(at ? at : &latest));
    if (!params) return m2c_err_set(err, M2C_ERR_NOMEM, "eth_call: out of memory");
    uint64_t id;
    m2c_buf body;
    m2c_buf_init(&body, 0);
    json_t *r = NULL, *env = NULL;
    m2c_status st = m2c_rpc_call_raw(c, &body, &id, "eth_call", params, err);
    if (st) goto out;
    st = m2c_rpc_parse_response(&r, (const char *)body.p, body.len, id, err);
    if (st == M2C_ERR_RPC) {
        /* Keep the revert data so the caller can decode Error(string) / custom errors. */
        m2c_err keep = err ? *err : (m2c_err){0};
        if (m2c_json_parse_rpc(&env, (const char *)body.p, body.len, 32, NULL) == M2C_OK) {
            const json_t *e = json_object_get(env, "error");
            const json_t *d = json_is_object(e) ? json_object_get(e, "data") : NULL;
            if (json_is_string(d) && data_malloc(out, out_len, d, "data", NULL) != M2C_OK) {
                *out = NULL;
                *out_len = 0;
            }
        }
        if (err) *err = keep;
        m2c_err_prefix(err, "eth_call");
        goto out;
    }
    if (st) {
        m2c_err_prefix(err, "eth_call");
        goto out;
    }
    st = data_malloc(out, out_len, r, "result", err);
    if (st) m2c_err_prefix(err, "eth_call");
out:
    json_decref(params);
    json_decref(r);
    json_decref(env);
    m2c_buf_free(&body);
    return st;
}

m2c_status m2c_rpc_estimate_gas(m2c_rpc *c, uint64_t *out, const m2c_rpc_callmsg *msg,
                                m2c_err *err) {
    json_t *m = callmsg_json(msg);
    return call_u64(c, out, "eth_estimateGas", m ? json_pack("[o]", m) : NULL, err);
}

m2c_status m2c_rpc_get_fee_history(m2c_rpc *c, m2c_rpc_fee_history *out, uint64_t blocks,
                                   const m2c_blockref *newest, const double *pct, size_t n_pct,
                                   m2c_err *err) {
    memset(out, 0, sizeof *out);
    json_t *p = json_array();
    for (size_t i = 0; p && i < n_pct; i++)
        if (json_array_append_new(p, json_real(pct[i]))) {
            json_decref(p);
            p = NULL;
        }
    json_t *r = NULL;
    m2c_status st =
        call_steal(c, &r, "eth_feeHistory",
                   p ? json_pack("[ooo]", json_qty(blocks), json_blockref(newest), p) : NULL, err);
    if (st) goto out;
    st = m2c_rpc_parse_fee_history(out, r, err);
    if (st) m2c_err_prefix(err, "eth_feeHistory");
out:
    json_decref(r);
    return st;
}

m2c_status m2c_rpc_send_raw_transaction(m2c_rpc *c, m2c_hash32 *tx_hash, const uint8_t *raw,
                                        size_t raw_len, m2c_err *err) {
    json_t *r = NULL;
    m2c_status st =
        call_steal(c, &r, "eth_sendRawTransaction", json_pack("[o]", json_hex(raw, raw_len)), err);
    if (!st && (st = m2c_json_hash32(tx_hash, r, "result", err)))
        m2c_err_prefix(err, "eth_sendRawTransaction");
    json_decref(r);
    return st;
}
