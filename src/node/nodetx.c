/* nodetx.c: log decoding, fulfil calldata, gas and fee rules, nonce sequence (nodetx.h). */
#include "ml2chain/nodetx.h"

#include <stdlib.h>
#include <string.h>

#include "ml2chain/keccak.h"
#include "ml2chain/u256.h"

uint32_t m2c_selector(const char *sig) {
    m2c_hash32 h = m2c_keccak256(sig, strlen(sig));
    return (uint32_t)h.b[0] << 24 | (uint32_t)h.b[1] << 16 | (uint32_t)h.b[2] << 8 | h.b[3];
}

m2c_hash32 m2c_event_topic(const char *sig) { return m2c_keccak256(sig, strlen(sig)); }

/* ---- word helpers over untrusted data ---- */

static int zeros(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* The word at data[off..off+32) as a u64 if its high 24 bytes are zero. */
static m2c_status word_u64(uint64_t *out, const uint8_t *data, size_t len, size_t off,
                           const char *what, m2c_err *err) {
    *out = 0;
    if (off > len || len - off < 32)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, off, "log data ends in %s (%zu bytes)", what,
                          len);
    if (!zeros(data + off, 24))
        return m2c_err_at(err, M2C_ERR_RANGE, off, "%s does not fit in 64 bits", what);
    uint64_t v = 0;
    for (int i = 24; i < 32; i++) v = v << 8 | data[off + (size_t)i];
    *out = v;
    return M2C_OK;
}

/* A dynamic `bytes`/`string` at head offset word `head_off`: its bytes in data. */
static m2c_status dyn_bytes(const uint8_t **p, size_t *n, const uint8_t *data, size_t len,
                            size_t head_off, size_t max, const char *what, m2c_err *err) {
    uint64_t off, l;
    m2c_status st = word_u64(&off, data, len, head_off, what, err);
    if (st) return st;
    if (off % 32 || off > len)
        return m2c_err_at(err, M2C_ERR_INVALID, head_off, "%s offset %llu is outside the data",
                          what, (unsigned long long)off);
    st = word_u64(&l, data, len, (size_t)off, what, err);
    if (st) return st;
    if (l > max)
        return m2c_err_at(err, M2C_ERR_RANGE, (size_t)off, "%s is %llu bytes (cap %zu)", what,
                          (unsigned long long)l, max);
    size_t start = (size_t)off + 32;
    /* The padding to a whole word is part of the encoding: it must be there. */
    if (l > len - start || (l + 31) / 32 * 32 > len - start)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, start, "%s (%llu bytes) runs past the data",
                          what, (unsigned long long)l);
    *p = data + start;
    *n = (size_t)l;
    return M2C_OK;
}

static void u256_dec(char *out, size_t cap, const uint8_t word[32]) {
    m2c_u256 v = m2c_u256_from_be32(word);
    m2c_u256_to_dec(out, cap, &v);
}

m2c_status m2c_node_decode_requested(m2c_noderec *r, const m2c_hash32 *topics, size_t n_topics,
                                     const uint8_t *data, size_t len, m2c_err *err) {
    memset(r, 0, sizeof *r);
    r->nonce = -1;
    if (n_topics != 4) return m2c_err_set(err, M2C_ERR_INVALID, "Requested log has %zu topics, not 4", n_topics);
    m2c_hash32 t0 = m2c_event_topic(M2C_SIG_REQUESTED);
    if (memcmp(topics[0].b, t0.b, 32))
        return m2c_err_set(err, M2C_ERR_INVALID, "log is not a Requested event");
    if (len < 4 * 32)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, len, "Requested data is %zu bytes (< 128)", len);
    if (!zeros(topics[3].b, 12))
        return m2c_err_set(err, M2C_ERR_INVALID, "Requested requester topic is not an address");
    /* callbackWord = callback(20) | selector(4) | callbackGasLimit(4) | 0(4);
     * terms = deadline(8) | payment(24) (docs/coordinator.md). */
    if (!zeros(data + 28, 4))
        return m2c_err_at(err, M2C_ERR_INVALID, 28, "callbackWord low 4 bytes are not zero");
    const uint8_t *in;
    size_t in_len;
    m2c_status st = dyn_bytes(&in, &in_len, data, len, 64, M2C_NODE_MAX_INPUT, "input", err);
    if (st) return st;
    /* Request words: requestId, modelId, requester, callback, selector, callbackGasLimit,
     * deadline, payment, inputHash. */
    uint8_t *w = r->req;
    memset(w, 0, 32 * M2C_NODE_REQ_WORDS);
    memcpy(w + 0, topics[1].b, 32);
    memcpy(w + 32, topics[2].b, 32);
    memcpy(w + 64, topics[3].b, 32);
    memcpy(w + 96 + 12, data, 20);
    memcpy(w + 128, data + 20, 4);
    memcpy(w + 160 + 28, data + 24, 4);
    memcpy(w + 192 + 24, data + 32, 8);
    memcpy(w + 224 + 8, data + 40, 24);
    m2c_hash32 ih = m2c_keccak256(in, in_len);
    memcpy(w + 256, ih.b, 32);
    r->has_req = 1;
    memcpy(r->id.b, topics[1].b, 32);
    u256_dec(r->model, sizeof r->model, topics[2].b);
    r->input = malloc(in_len ? in_len : 1);
    if (!r->input) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    memcpy(r->input, in, in_len);
    r->input_len = in_len;
    return M2C_OK;
}

m2c_status m2c_node_decode_model_registered(m2c_node_model_reg *out, const m2c_hash32 *topics,
                                            size_t n_topics, const uint8_t *data, size_t len,
                                            m2c_err *err) {
    memset(out, 0, sizeof *out);
    if (n_topics != 4)
        return m2c_err_set(err, M2C_ERR_INVALID, "ModelRegistered log has %zu topics, not 4", n_topics);
    m2c_hash32 t0 = m2c_event_topic(M2C_SIG_MODEL_REGISTERED);
    if (memcmp(topics[0].b, t0.b, 32))
        return m2c_err_set(err, M2C_ERR_INVALID, "log is not a ModelRegistered event");
    if (!zeros(topics[2].b, 12))
        return m2c_err_set(err, M2C_ERR_INVALID, "ModelRegistered operator is not an address");
    uint64_t in, outs;
    m2c_status st = word_u64(&in, data, len, 64, "inputSize", err);
    if (st) return st;
    st = word_u64(&outs, data, len, 96, "outputSize", err);
    if (st) return st;
    if (in > UINT32_MAX || outs > UINT32_MAX)
        return m2c_err_set(err, M2C_ERR_RANGE, "ModelRegistered sizes exceed uint32");
    const uint8_t *uri;
    size_t uri_len;
    st = dyn_bytes(&uri, &uri_len, data, len, 0, 1u << 16, "uri", err);
    if (st) return st;
    if (uri_len > sizeof out->uri - 1) uri_len = sizeof out->uri - 1;
    for (size_t i = 0; i < uri_len; i++) out->uri[i] = uri[i] >= 0x20 && uri[i] < 0x7f ? (char)uri[i] : '?';
    out->uri[uri_len] = 0;
    out->model_id = topics[1];
    memcpy(out->operator_.b, topics[2].b + 12, 20);
    out->model_hash = topics[3];
    out->input_size = (uint32_t)in;
    out->output_size = (uint32_t)outs;
    return M2C_OK;
}

m2c_status m2c_node_decode_template_request(m2c_noderec *r, const uint8_t *data, size_t len,
                                            m2c_err *err) {
    memset(r, 0, sizeof *r);
    r->nonce = -1;
    if (len < 6 * 32)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, len, "RequestEvent data is %zu bytes (< 192)", len);
    if (!zeros(data + 32, 12) || !zeros(data + 128, 12))
        return m2c_err_set(err, M2C_ERR_INVALID, "RequestEvent address field is not an address");
    const uint8_t *model, *in;
    size_t model_len, in_len;
    m2c_status st = dyn_bytes(&model, &model_len, data, len, 64, sizeof r->model - 1, "modelId", err);
    if (st) return st;
    st = dyn_bytes(&in, &in_len, data, len, 96, M2C_NODE_MAX_INPUT, "input", err);
    if (st) return st;
    memcpy(r->id.b, data, 32);
    memcpy(r->model, model, model_len);
    r->model[model_len] = 0;
    if (memchr(model, 0, model_len))
        return m2c_err_set(err, M2C_ERR_INVALID, "RequestEvent modelId contains a zero byte");
    r->input = malloc(in_len ? in_len : 1);
    if (!r->input) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    memcpy(r->input, in, in_len);
    r->input_len = in_len;
    return M2C_OK;
}

/* ---- calldata ---- */

static m2c_status put_word_u64(m2c_buf *b, uint64_t v) {
    uint8_t w[32] = {0};
    for (int i = 0; i < 8; i++) w[31 - i] = (uint8_t)(v >> (8 * i));
    return m2c_buf_append(b, w, 32);
}

static m2c_status put_sel(m2c_buf *b, const char *sig) {
    uint32_t s = m2c_selector(sig);
    uint8_t v[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};
    return m2c_buf_append(b, v, 4);
}

static m2c_status put_padded(m2c_buf *b, const uint8_t *p, size_t n) {
    static const uint8_t z[32];
    m2c_status st = put_word_u64(b, n);
    if (!st && n) st = m2c_buf_append(b, p, n);
    if (!st && n % 32) st = m2c_buf_append(b, z, 32 - n % 32);
    return st;
}

static size_t padded(size_t n) { return (n + 31) / 32 * 32; }

#define REQ_TUPLE "(uint256,uint256,address,address,bytes4,uint32,uint64,uint256,bytes32)"

/* Fulfilment body: the Request words, the offset of output (relative to the body), the
 * error code, then output. */
static m2c_status put_fulfilment(m2c_buf *b, const m2c_fulfil_item *it) {
    m2c_status st = m2c_buf_append(b, it->req, 32 * M2C_NODE_REQ_WORDS);
    if (!st) st = put_word_u64(b, 32 * (M2C_NODE_REQ_WORDS + 2));
    if (!st) st = put_word_u64(b, it->error_code);
    if (!st) st = put_padded(b, it->output, it->output_len);
    return st;
}

m2c_status m2c_node_fulfil_calldata(m2c_buf *out, const m2c_fulfil_item *items, size_t n,
                                    int batch, m2c_err *err) {
    m2c_status st;
    if (n == 0) return m2c_err_set(err, M2C_ERR_INVALID, "fulfil: no items");
    if (n == 1 && !batch) {
        st = put_sel(out, "fulfill(" REQ_TUPLE ",bytes,uint32)");
        if (!st) st = put_fulfilment(out, &items[0]);
    } else {
        st = put_sel(out, "fulfillBatch((" REQ_TUPLE ",bytes,uint32)[])");
        if (!st) st = put_word_u64(out, 32);
        if (!st) st = put_word_u64(out, n);
        /* Offsets of each element, relative to the start of the offsets area. */
        size_t off = 32 * n;
        for (size_t i = 0; i < n && !st; i++) {
            st = put_word_u64(out, off);
            off += 32 * (M2C_NODE_REQ_WORDS + 3) + padded(items[i].output_len);
        }
        for (size_t i = 0; i < n && !st; i++) st = put_fulfilment(out, &items[i]);
    }
    if (st) return m2c_err_set(err, st, "fulfil: cannot build calldata (out of memory)");
    return M2C_OK;
}

m2c_status m2c_node_template_calldata(m2c_buf *out, const m2c_hash32 *id, const uint8_t *output,
                                      size_t len, m2c_err *err) {
    m2c_status st = put_sel(out, "fulfillRequest(uint256,string)");
    if (!st) st = m2c_buf_append(out, id->b, 32);
    if (!st) st = put_word_u64(out, 64);
    if (!st) st = put_padded(out, output, len);
    if (st) return m2c_err_set(err, st, "fulfillRequest: cannot build calldata (out of memory)");
    return M2C_OK;
}

m2c_status m2c_node_id_calldata(m2c_buf *out, const char *sig, const m2c_hash32 *id) {
    m2c_status st = put_sel(out, sig);
    if (!st) st = m2c_buf_append(out, id->b, 32);
    return st;
}

static uint32_t req_gas_field(const uint8_t *req) {
    const uint8_t *w = req + 5 * 32;
    return (uint32_t)w[28] << 24 | (uint32_t)w[29] << 16 | (uint32_t)w[30] << 8 | w[31];
}

uint32_t m2c_node_req_callback_gas(const uint8_t *req) {
    return req_gas_field(req) & ~M2C_NODE_FINAL_ONLY;
}

int m2c_node_req_final_only(const uint8_t *req) {
    return (req_gas_field(req) & M2C_NODE_FINAL_ONLY) != 0;
}

uint32_t m2c_node_req_fulfil_callback_gas(const uint8_t *req) {
    /* final-only requests included: on a model without a challenge window the fulfilment
     * is their delivery */
    return m2c_node_req_has_callback(req) ? m2c_node_req_callback_gas(req) : 0;
}

m2c_status m2c_node_deliver_calldata(m2c_buf *out, const uint8_t *req, const uint8_t *output,
                                     size_t output_len, uint32_t error_code, m2c_err *err) {
    m2c_fulfil_item it = {req, output, output_len, error_code};
    m2c_status st = put_sel(out, M2C_SIG_DELIVER);
    if (!st) st = put_fulfilment(out, &it);
    if (st) return m2c_err_set(err, st, "deliver: cannot build calldata (out of memory)");
    return M2C_OK;
}

int m2c_node_req_has_callback(const uint8_t *req) { return !zeros(req + 3 * 32 + 12, 20); }

/* ---- gas and fees ---- */

/* Per item outside the callback: commitment check, slot write, events, calldata (kept
 * generous: the estimate usually decides; this bound protects against estimates taken
 * when a callback happened to be cheap). */
#define ITEM_OVERHEAD 60000u
#define TX_OVERHEAD 60000u

uint64_t m2c_node_gas_limit(uint64_t estimate, const uint32_t *callback_gas, size_t n,
                            uint64_t block_gas_limit) {
    uint64_t bound = TX_OVERHEAD, headroom = 0;
    for (size_t i = 0; i < n; i++) {
        /* The coordinator needs g - 5000 - (g - 5000)/64 > limit at the check: g = 5000 +
         * ceil(64 * (limit + 1) / 63) suffices; the call itself then consumes at most
         * limit, the rest of g being returned. */
        uint64_t lim = callback_gas[i];
        uint64_t g = 5000 + (64 * (lim + 1) + 62) / 63;
        bound += g + ITEM_OVERHEAD;
        if (g > headroom) headroom = g;
    }
    uint64_t gas;
    if (estimate) {
        /* The estimate ran every callback; on top of it, room for the largest callback to
         * burn its whole limit at the 63/64 check, and at least 10%. */
        uint64_t a = estimate + headroom, b = estimate + estimate / 10;
        gas = a > b ? a : b;
        if (block_gas_limit && estimate + headroom > block_gas_limit) return 0;
    } else {
        /* No estimate: every callback may burn its whole limit. */
        gas = bound;
        if (block_gas_limit && bound > block_gas_limit) return 0;
    }
    if (block_gas_limit && gas > block_gas_limit) gas = block_gas_limit;
    return gas;
}

static m2c_u256 umin(const m2c_u256 *a, const m2c_u256 *b) {
    return m2c_u256_cmp(a, b) <= 0 ? *a : *b;
}
static m2c_u256 umax(const m2c_u256 *a, const m2c_u256 *b) {
    return m2c_u256_cmp(a, b) >= 0 ? *a : *b;
}

void m2c_node_fees_suggest(m2c_node_fees *out, int has_base_fee, const m2c_u256 *base_fee,
                           const m2c_u256 *reward, const m2c_u256 *min_prio,
                           const m2c_u256 *gas_price, const m2c_u256 *cap) {
    memset(out, 0, sizeof *out);
    int capped = cap && !m2c_u256_is_zero(cap);
    if (!has_base_fee) {
        out->legacy = 1;
        out->max_fee = *gas_price;
        if (capped) out->max_fee = umin(&out->max_fee, cap);
        out->prio_fee = out->max_fee;
        return;
    }
    out->prio_fee = umax(reward, min_prio);
    m2c_u256 two_base;
    if (m2c_u256_add(&two_base, base_fee, base_fee) ||
        m2c_u256_add(&out->max_fee, &two_base, &out->prio_fee)) {
        memset(out->max_fee.w, 0xff, sizeof out->max_fee.w);
    }
    if (capped) {
        out->max_fee = umin(&out->max_fee, cap);
        out->prio_fee = umin(&out->prio_fee, cap);
    }
}

/* v + ceil(v/8), at least v + 1. */
static m2c_u256 raise(const m2c_u256 *v) {
    m2c_u256 seven = m2c_u256_from_u64(7), t, e, r, one = m2c_u256_from_u64(1);
    if (m2c_u256_add(&t, v, &seven)) t = *v;
    e = m2c_u256_shr(&t, 3);
    if (m2c_u256_is_zero(&e)) e = one;
    if (m2c_u256_add(&r, v, &e)) memset(r.w, 0xff, sizeof r.w);
    return r;
}

/* Whether new >= old * 1.1 (the replacement rule nodes apply). */
static int at_least_10pct(const m2c_u256 *nw, const m2c_u256 *old) {
    m2c_u256 ten = m2c_u256_from_u64(10), eleven = m2c_u256_from_u64(11), a, b;
    if (m2c_u256_mul(&a, nw, &ten)) return 1;
    if (m2c_u256_mul(&b, old, &eleven)) return 0;
    return m2c_u256_cmp(&a, &b) >= 0 && m2c_u256_cmp(nw, old) > 0;
}

m2c_status m2c_node_fees_bump(m2c_node_fees *out, const m2c_node_fees *old,
                              const m2c_node_fees *fresh, const m2c_u256 *cap) {
    *out = *old;
    m2c_u256 mf = raise(&old->max_fee), pf = raise(&old->prio_fee);
    mf = umax(&mf, &fresh->max_fee);
    pf = umax(&pf, &fresh->prio_fee);
    if (cap && !m2c_u256_is_zero(cap)) {
        mf = umin(&mf, cap);
        pf = umin(&pf, cap);
    }
    if (old->legacy) pf = mf;
    if (m2c_u256_cmp(&pf, &mf) > 0) pf = mf;
    if (!at_least_10pct(&mf, &old->max_fee) || !at_least_10pct(&pf, &old->prio_fee))
        return M2C_ERR_RANGE;
    out->max_fee = mf;
    out->prio_fee = pf;
    return M2C_OK;
}

void m2c_nonce_sync(m2c_nonce_seq *n, uint64_t chain_pending, uint64_t store_next) {
    n->next = chain_pending > store_next ? chain_pending : store_next;
    n->synced = 1;
}

uint64_t m2c_nonce_take(m2c_nonce_seq *n) { return n->next++; }
