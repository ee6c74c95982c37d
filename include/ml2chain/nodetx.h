/* nodetx.h: the pure parts of the operator node's chain traffic, kept free of I/O so they
 * can be unit-tested: decoding the Coordinator's Requested / ModelRegistered logs and the
 * template's RequestEvent (untrusted log data, bounds-checked), encoding fulfil calldata
 * (one `fulfill`, or `fulfillBatch` for several), the gas limit that covers every callback
 * under the 63/64 rule, the fee rules (suggestion from fee history, replacement bump, cap),
 * and the per-key nonce sequence. Thread-safe: functions touch only their arguments (a
 * nonce manager is used by one thread). */
#ifndef ML2CHAIN_NODETX_H
#define ML2CHAIN_NODETX_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/nodestore.h"
#include "ml2chain/types.h"

/* Event signatures and topic0 values. */
#define M2C_SIG_REQUESTED "Requested(uint256,uint256,address,bytes32,uint256,bytes)"
#define M2C_SIG_MODEL_REGISTERED "ModelRegistered(uint256,address,bytes32,string,uint256,uint32,uint32)"
#define M2C_SIG_TEMPLATE_REQUEST "RequestEvent(uint256,address,string,string,address,string)"
#define M2C_SIG_FULFILLED "Fulfilled(uint256,uint256,bytes32)"
#define M2C_SIG_SKIPPED "FulfilmentSkipped(uint256,uint8)"
#define M2C_SIG_DELIVERED "Delivered(uint256,address,uint32,bool,bytes)"
#define M2C_SIG_DELIVER                                                                            \
    "deliver((uint256,uint256,address,address,bytes4,uint32,uint64,uint256,bytes32),bytes,uint32)"

/* Bit 31 of a request's callbackGasLimit: call back only once the result is final
 * (docs/verification.md): fulfilment records the result, `deliver` calls back later. */
#define M2C_NODE_FINAL_ONLY 0x80000000u

/* Largest input the node accepts from a log (the Coordinator caps inputs at 16384 bytes;
 * anything larger is answered with M2C_ENC_TOO_LARGE without being stored). */
#define M2C_NODE_MAX_INPUT ((size_t)131136)

/* The selector of a function signature (first 4 bytes of its keccak). */
uint32_t m2c_selector(const char *sig);
/* The topic of an event signature. */
m2c_hash32 m2c_event_topic(const char *sig);

/* Decodes a Coordinator `Requested` log (topics[0..n_topics), data = abi.encode(bytes32
 * callbackWord, uint256 terms, bytes input), docs/coordinator.md) into r: id, model
 * (decimal), the nine Request words unpacked from the topics and the two packed words
 * (inputHash = keccak(input)), input (malloc'd, owned by
 * r; free with m2c_noderec_free). Block fields are left zero. M2C_ERR_INVALID / TRUNCATED /
 * RANGE with the offset on malformed data. */
M2C_WUR m2c_status m2c_node_decode_requested(m2c_noderec *r, const m2c_hash32 *topics,
                                             size_t n_topics, const uint8_t *data, size_t len,
                                             m2c_err *err);

/* A decoded ModelRegistered log (the fields the node needs). */
typedef struct {
    m2c_hash32 model_id;
    m2c_addr20 operator_;
    m2c_hash32 model_hash;
    uint32_t input_size, output_size;
    char uri[256];          /* truncated to 255 bytes; bytes outside printable ASCII as '?' */
} m2c_node_model_reg;

M2C_WUR m2c_status m2c_node_decode_model_registered(m2c_node_model_reg *out,
                                                    const m2c_hash32 *topics, size_t n_topics,
                                                    const uint8_t *data, size_t len,
                                                    m2c_err *err);

/* Decodes the template's `RequestEvent` log (all fields in data): id, model (the modelId
 * string, at most 79 bytes), input (the input string's bytes, malloc'd). */
M2C_WUR m2c_status m2c_node_decode_template_request(m2c_noderec *r, const uint8_t *data,
                                                    size_t len, m2c_err *err);

/* One fulfilment to encode. */
typedef struct {
    const uint8_t *req;     /* the nine Request words (32 * M2C_NODE_REQ_WORDS bytes) */
    const uint8_t *output;
    size_t output_len;
    uint32_t error_code;
} m2c_fulfil_item;

/* Appends calldata: `fulfill(Request,bytes,uint32)` when n == 1 and `batch` is 0, else
 * `fulfillBatch(Fulfilment[])`. n must be >= 1. */
M2C_WUR m2c_status m2c_node_fulfil_calldata(m2c_buf *out, const m2c_fulfil_item *items, size_t n,
                                            int batch, m2c_err *err);
/* Appends `fulfillRequest(uint256 id, string output)` calldata (template interface). */
M2C_WUR m2c_status m2c_node_template_calldata(m2c_buf *out, const m2c_hash32 *id,
                                              const uint8_t *output, size_t len, m2c_err *err);
/* Appends `f(uint256 id)` calldata for a one-argument view (requestState, requestStatus). */
M2C_WUR m2c_status m2c_node_id_calldata(m2c_buf *out, const char *sig, const m2c_hash32 *id);

/* The callbackGasLimit in the Request words, without the FINAL_ONLY flag: the gas the
 * callback receives. */
uint32_t m2c_node_req_callback_gas(const uint8_t *req);
/* Whether the request asked for a final-only callback (FINAL_ONLY set). */
int m2c_node_req_final_only(const uint8_t *req);
/* The callback gas a fulfilment of the request may spend: 0 without a callback, else the
 * limit without the flag (a final-only request is called back at fulfilment when its model
 * has no challenge window; otherwise by `deliver`, and the bound is merely generous). */
uint32_t m2c_node_req_fulfil_callback_gas(const uint8_t *req);
/* Appends `deliver(Request,bytes,uint32)` calldata (the fulfilled output and error code). */
M2C_WUR m2c_status m2c_node_deliver_calldata(m2c_buf *out, const uint8_t *req,
                                             const uint8_t *output, size_t output_len,
                                             uint32_t error_code, m2c_err *err);
/* Whether the Request has a callback (callback address non-zero). */
int m2c_node_req_has_callback(const uint8_t *req);

/* The gas limit to sign for a fulfilment carrying callbacks of callback_gas[0..n). With an
 * `estimate` (eth_estimateGas, which ran every callback): max(estimate * 1.1, estimate + the
 * largest callback's 63/64-rule need). Without one (0): the worst case, every callback
 * burning its whole limit — each needs g with g - 5000 - (g - 5000) / 64 > limit at the
 * coordinator's check — plus per-item and per-tx overhead. Capped at `block_gas_limit` (0: no
 * cap); 0 when even the minimum does not fit under the cap (the batch must be split). */
uint64_t m2c_node_gas_limit(uint64_t estimate, const uint32_t *callback_gas, size_t n,
                            uint64_t block_gas_limit);

/* Fee rules (all in wei per gas). */
typedef struct {
    m2c_u256 max_fee;  /* EIP-1559 maxFeePerGas, or the legacy gas price */
    m2c_u256 prio_fee; /* EIP-1559 maxPriorityFeePerGas (legacy: equal to max_fee) */
    int legacy;
} m2c_node_fees;

/* Fees for a new transaction: prio = max(reward, min_prio), max_fee = 2 * base_fee + prio,
 * both limited by `cap` (0: none). legacy (no base fee): max_fee = prio = gas_price. */
void m2c_node_fees_suggest(m2c_node_fees *out, int has_base_fee, const m2c_u256 *base_fee,
                           const m2c_u256 *reward, const m2c_u256 *min_prio,
                           const m2c_u256 *gas_price, const m2c_u256 *cap);
/* Fees for replacing a transaction that paid `old`: each field raised by at least 1/8
 * (12.5%, above the +10% nodes require) and to at least `fresh` (current suggestion);
 * max_fee >= prio_fee. M2C_ERR_RANGE when `cap` (0: none) does not allow a +10% raise of
 * both fields: the old transaction must then simply wait. */
M2C_WUR m2c_status m2c_node_fees_bump(m2c_node_fees *out, const m2c_node_fees *old,
                                      const m2c_node_fees *fresh, const m2c_u256 *cap);

/* One nonce sequence for one key on one chain. */
typedef struct {
    uint64_t next;      /* the nonce the next new transaction gets */
    int synced;         /* 0 until the first sync */
} m2c_nonce_seq;

/* Re-syncs from the node's pending nonce and the store's highest recorded nonce + 1:
 * next = max(both). Used at start and after a nonce error. */
void m2c_nonce_sync(m2c_nonce_seq *n, uint64_t chain_pending, uint64_t store_next);
/* Takes the next nonce. */
uint64_t m2c_nonce_take(m2c_nonce_seq *n);

#endif
