/* watchtx.h: the pure parts of the challenge watcher's chain traffic (`ml2chain watch`,
 * docs/verification.md): finding a request's posted output in the calldata of the
 * transaction that fulfilled it (untrusted bytes, bounds-checked), and encoding the
 * Coordinator's `challenge(...)` calldata. Thread-safe: functions touch only their arguments. */
#ifndef ML2CHAIN_WATCHTX_H
#define ML2CHAIN_WATCHTX_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/types.h"

#define M2C_SIG_REQUEST_TUPLE                                                                      \
    "(uint256,uint256,address,address,bytes4,uint32,uint64,uint256,bytes32)"
#define M2C_SIG_FULFILL       "fulfill(" M2C_SIG_REQUEST_TUPLE ",bytes,uint32)"
#define M2C_SIG_FULFILL_BATCH "fulfillBatch((" M2C_SIG_REQUEST_TUPLE ",bytes,uint32)[])"
#define M2C_SIG_CHALLENGE     "challenge(" M2C_SIG_REQUEST_TUPLE ",bytes,uint32,bytes,bytes)"
#define M2C_SIG_CHALLENGED    "Challenged(uint256,address,address,uint256,uint256,bytes32,bool)"

/* Finds request `id` (big-endian requestId) in `fulfill` or `fulfillBatch` calldata `cd`
 * (selector included) and points *req (nine words), *out (output bytes, *out_len) into cd;
 * *code is its errorCode. M2C_ERR_NOTFOUND when the calldata is well formed as far as read but
 * does not carry the id; M2C_ERR_UNSUPPORTED for another selector; M2C_ERR_TRUNCATED /
 * M2C_ERR_RANGE with the offset when an offset or length points outside cd. */
M2C_WUR m2c_status m2c_watch_find_fulfilment(const uint8_t *cd, size_t len, const m2c_hash32 *id,
                                             const uint8_t **req, const uint8_t **out,
                                             size_t *out_len, uint32_t *code, m2c_err *err);

/* Appends `challenge(req, output, code, model, input)` calldata; req is the nine Request
 * words (32 * 9 bytes). */
M2C_WUR m2c_status m2c_watch_challenge_calldata(m2c_buf *cd, const uint8_t *req,
                                                const uint8_t *output, size_t output_len,
                                                uint32_t code, const uint8_t *model,
                                                size_t model_len, const uint8_t *input,
                                                size_t input_len, m2c_err *err);

#endif
