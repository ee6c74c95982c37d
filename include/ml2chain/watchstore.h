/* watchstore.h: the challenge watcher's durable state (`ml2chain watch`,
 * docs/verification.md): SQLite in WAL mode with synchronous=FULL, like the node's store
 * (nodestore.h). It holds
 *
 *   - the scan cursor (last block fully recorded and its hash) and the hashes of recent
 *     blocks, to detect a reorg and rewind to the newest block still on the chain;
 *   - the registrations (model id -> model hash) and requests (Request words, input) read
 *     from the Coordinator's logs, so a restart resumes from the cursor instead of the
 *     deployment block;
 *   - every fulfilment seen, with its verdict:
 *
 *       pending -> ok | wrong-undecidable | wrong-no-calldata        (judged)
 *       pending -> challenging (a signed challenge recorded) -> challenged | challenge-failed
 *                                \-> pending (the challenge was dropped: judged again)
 *
 *   - every challenge transaction, recorded (raw signed bytes, nonce, hash) in the same SQL
 *     transaction that moves its fulfilment to `challenging`, before it is sent: after a
 *     crash the same bytes are sent again, so a wrong result is challenged exactly once.
 *
 * Each change that touches several rows is one SQL transaction. A handle is used by one
 * thread at a time. */
#ifndef ML2CHAIN_WATCHSTORE_H
#define ML2CHAIN_WATCHSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"
#include "ml2chain/nodestore.h"
#include "ml2chain/types.h"

typedef struct m2c_watchstore m2c_watchstore;

/* A ModelRegistered log. */
typedef struct {
    m2c_hash32 model_id;
    m2c_hash32 model_hash;
    uint64_t block;
} m2c_watch_model;

/* A Fulfilled log and what became of it. */
typedef struct {
    m2c_hash32 id;          /* requestId */
    m2c_hash32 tx;          /* the fulfilling transaction */
    uint32_t code;          /* posted errorCode */
    m2c_hash32 output_hash; /* posted keccak256(output) */
    uint64_t block;
    uint64_t log_index;
    char verdict[24];       /* "pending", "ok", ... (see above) */
} m2c_watch_fulfilment;

typedef enum {
    M2C_CHALLENGE_SENT = 0,     /* signed, recorded, sent (maybe again); not yet settled */
    M2C_CHALLENGE_MINED = 1,    /* mined with a Challenged event: the operator was slashed */
    M2C_CHALLENGE_REVERTED = 2, /* mined and reverted (window closed, already corrected) */
    M2C_CHALLENGE_DROPPED = 3,  /* its nonce was used by another transaction */
    M2C_CHALLENGE_REPLACED = 4, /* superseded by a re-signed copy with higher fees at the same
                                 * nonce; if it is the one mined, its receipt still settles */
} m2c_challenge_state;

/* One challenge transaction. */
typedef struct {
    m2c_hash32 id;      /* the request challenged */
    uint64_t nonce;
    m2c_hash32 tx_hash;
    uint8_t *raw;       /* signed bytes (heap, owned in lists) */
    size_t raw_len;
    int state;          /* m2c_challenge_state */
    uint64_t block;     /* mined in (0 until then) */
    double sent_time;
} m2c_watch_challenge;

M2C_WUR m2c_status m2c_watchstore_open(m2c_watchstore **out, const char *path, m2c_err *err);
void m2c_watchstore_close(m2c_watchstore *s);

/* The last fully recorded block and its hash; M2C_ERR_NOTFOUND before the first range. */
M2C_WUR m2c_status m2c_watchstore_cursor(m2c_watchstore *s, uint64_t *block, m2c_hash32 *hash,
                                         m2c_err *err);
/* Stored block hashes at or below `below`, newest first, at most cap. */
M2C_WUR m2c_status m2c_watchstore_blocks(m2c_watchstore *s, uint64_t below, uint64_t *nums,
                                         m2c_hash32 *hashes, size_t cap, size_t *n,
                                         m2c_err *err);
/* Records one scanned range in one SQL transaction: requests (id, req words, input, block),
 * registrations and fulfilments (verdict pending; one already known is kept), the hashes of
 * blocks[0..nb) and of to_block, and the cursor (to_block, to_hash). */
M2C_WUR m2c_status m2c_watchstore_record_range(m2c_watchstore *s, const m2c_noderec *reqs,
                                               size_t nr, const m2c_watch_model *models,
                                               size_t nm, const m2c_watch_fulfilment *fuls,
                                               size_t nf, const uint64_t *block_nums,
                                               const m2c_hash32 *block_hashes, size_t nb,
                                               uint64_t to_block, const m2c_hash32 *to_hash,
                                               m2c_err *err);
/* Reorg: forgets block hashes, requests, registrations and still-pending fulfilments above
 * to_block and sets the cursor there (they are read again from the new chain). Judged
 * fulfilments and challenges are kept: a challenge's own receipt settles it. *dropped
 * counts the fulfilments forgotten. */
M2C_WUR m2c_status m2c_watchstore_rewind(m2c_watchstore *s, uint64_t to_block,
                                         const m2c_hash32 *to_hash, size_t *dropped,
                                         m2c_err *err);

/* All registrations, oldest first (caller frees *out). */
M2C_WUR m2c_status m2c_watchstore_models(m2c_watchstore *s, m2c_watch_model **out, size_t *n,
                                         m2c_err *err);
/* One request (out->input is heap: m2c_noderec_free); M2C_ERR_NOTFOUND if unknown. */
M2C_WUR m2c_status m2c_watchstore_request(m2c_watchstore *s, const m2c_hash32 *id,
                                          m2c_noderec *out, m2c_err *err);
/* Fulfilments with verdict "pending", oldest first, at most cap (caller frees *out). */
M2C_WUR m2c_status m2c_watchstore_pending(m2c_watchstore *s, size_t cap,
                                          m2c_watch_fulfilment **out, size_t *n, m2c_err *err);
/* pending -> verdict. M2C_ERR_STATE if the fulfilment is not pending. */
M2C_WUR m2c_status m2c_watchstore_set_verdict(m2c_watchstore *s, const m2c_hash32 *id,
                                              const char *verdict, m2c_err *err);
/* The verdict of a request's fulfilment (M2C_ERR_NOTFOUND if none). */
M2C_WUR m2c_status m2c_watchstore_verdict(m2c_watchstore *s, const m2c_hash32 *id,
                                          char out[24], m2c_err *err);
/* Counts of fulfilments by verdict: calls fn(ctx, verdict, count) for each. */
M2C_WUR m2c_status m2c_watchstore_verdict_counts(m2c_watchstore *s,
                                                 void (*fn)(void *ctx, const char *verdict,
                                                            uint64_t count),
                                                 void *ctx, m2c_err *err);

/* Records a signed challenge (state sent) and moves its fulfilment from pending to
 * challenging, one SQL transaction; M2C_ERR_STATE (nothing recorded) when the fulfilment
 * is not pending or a challenge for the request is already open. */
M2C_WUR m2c_status m2c_watchstore_record_challenge(m2c_watchstore *s,
                                                   const m2c_watch_challenge *c, m2c_err *err);
/* Challenges in state sent, by nonce (free with m2c_watchstore_challenges_free). */
M2C_WUR m2c_status m2c_watchstore_open_challenges(m2c_watchstore *s, m2c_watch_challenge **out,
                                                  size_t *n, m2c_err *err);
void m2c_watchstore_challenges_free(m2c_watch_challenge *c, size_t n);
/* Settles an open challenge: mined (fulfilment "challenged"), reverted
 * ("challenge-failed") or dropped (fulfilment pending again), one SQL transaction. */
M2C_WUR m2c_status m2c_watchstore_settle_challenge(m2c_watchstore *s, const m2c_hash32 *id,
                                                   int state, uint64_t block, m2c_err *err);
/* Records a replacement of the open challenge for c->id: the same call re-signed at the same
 * nonce (c->nonce) with higher fees (c->tx_hash, c->raw). The open one becomes replaced and c
 * the open one, in one SQL transaction, before it is sent. M2C_ERR_STATE when no challenge
 * for the request is open at that nonce. */
M2C_WUR m2c_status m2c_watchstore_replace_challenge(m2c_watchstore *s,
                                                    const m2c_watch_challenge *c, m2c_err *err);
/* The hashes of every transaction recorded for the challenge of request id at nonce (the
 * open one and those it replaced), newest first, at most cap: whichever is mined settles it. */
M2C_WUR m2c_status m2c_watchstore_challenge_hashes(m2c_watchstore *s, const m2c_hash32 *id,
                                                   uint64_t nonce, m2c_hash32 *out, size_t cap,
                                                   size_t *n, m2c_err *err);
/* Highest challenge nonce recorded plus one (0 if none). */
M2C_WUR m2c_status m2c_watchstore_next_nonce(m2c_watchstore *s, uint64_t *out, m2c_err *err);

#endif
