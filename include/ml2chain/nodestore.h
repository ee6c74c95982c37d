/* nodestore.h: the operator node's durable state (SQLite, WAL, synchronous=FULL): per chain
 * the scan cursor and recent block hashes (for reorg detection), every request the node has
 * seen and how far it got, and every transaction it signed (raw bytes kept, so a restart can
 * rebroadcast what it may not have sent). docs/node.md describes the state machine:
 *
 *   seen -> computed -> submitted -> confirmed
 *     \         \           \-> computed (tx dropped / reverted, request still open)
 *      \---------\-----------> failed (reason)      any -> orphaned (block reorged away)
 *
 * A request is recorded (seen) before any work on it starts; a transaction is recorded
 * before it is sent. Every change that touches several rows is one SQL transaction, so an
 * abrupt stop (kill -9, power loss) leaves either the old or the new state.
 *
 * Threads: a handle is used by one thread at a time (the node gives each chain its own
 * handle on the same file; SQLite serialises writers, busy_timeout waits). `chain` strings
 * are short keys chosen by the caller ("31337"). Records returned in lists own their heap
 * fields; release them with m2c_nodestore_recs_free. */
#ifndef ML2CHAIN_NODESTORE_H
#define ML2CHAIN_NODESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"
#include "ml2chain/types.h"

typedef struct m2c_nodestore m2c_nodestore;

typedef enum {
    M2C_REQ_SEEN = 0,      /* recorded from a log; nothing computed yet */
    M2C_REQ_COMPUTED = 1,  /* output and error code known, not yet in a transaction */
    M2C_REQ_SUBMITTED = 2, /* in a signed transaction (nonce, tx hash) not yet mined */
    M2C_REQ_CONFIRMED = 3, /* fulfilled on chain (by our mined transaction, or found closed) */
    M2C_REQ_FAILED = 4,    /* given up, with a reason (e.g. cancelled on chain) */
    M2C_REQ_ORPHANED = 5,  /* its block was reorged away and it was not re-included */
} m2c_req_state;

#define M2C_REQ_STATES 6
const char *m2c_req_state_str(int s);

#define M2C_NODE_REQ_WORDS 9 /* the Coordinator's Request struct: nine ABI words */

/* One request as the store keeps it. */
typedef struct {
    m2c_hash32 id;                    /* requestId (big-endian uint256) */
    char model[80];                   /* decimal model id, or the template's modelId string */
    uint8_t req[32 * M2C_NODE_REQ_WORDS]; /* Coordinator: the Request fields, ABI words */
    int has_req;                      /* 0 for the template interface */
    uint8_t *input;                   /* request input bytes (heap, owned) */
    size_t input_len;
    uint64_t block;                   /* block the request was logged in */
    m2c_hash32 block_hash;
    uint64_t log_index;
    int state;                        /* m2c_req_state */
    uint8_t *output;                  /* heap, owned; NULL before computed */
    size_t output_len;
    uint32_t error_code;              /* on-chain errorCode (docs/encoding.md) */
    int64_t nonce;                    /* -1 unless submitted/confirmed by our tx */
    m2c_hash32 tx_hash;               /* the latest tx carrying it (zero if none) */
    uint64_t done_block;              /* block its fulfilment was mined in (confirmed) */
    double seen_time;                 /* unix seconds when first recorded */
    double done_time;                 /* unix seconds when confirmed/failed */
    uint32_t attempts;                /* transactions that carried it */
    char reason[160];                 /* failed: why */
} m2c_noderec;

/* One signed transaction (all replacements of a nonce are kept). */
typedef struct {
    uint64_t nonce;
    m2c_hash32 hash;
    uint8_t *raw;           /* signed raw bytes (heap, owned) */
    size_t raw_len;
    m2c_u256 max_fee;       /* max fee per gas (or legacy gas price) */
    m2c_u256 prio_fee;      /* max priority fee per gas (legacy: equal to max_fee) */
    uint64_t gas;
    uint64_t sent_block;    /* head when it was signed */
    double sent_time;
    int is_cancel;          /* a self-transfer filling a nonce whose requests closed */
} m2c_nodetx;

/* Opens (creating if needed) the store at `path`, WAL mode, synchronous FULL. */
M2C_WUR m2c_status m2c_nodestore_open(m2c_nodestore **out, const char *path, m2c_err *err);
/* Closes; NULL accepted. */
void m2c_nodestore_close(m2c_nodestore *s);

/* Groups the changes that follow, up to the matching commit, into one SQL transaction: one
 * durable write (one fsync) instead of one per change, and all-or-nothing on a crash. Groups
 * nest (inner levels are savepoints; the functions below that are atomic on their own stay
 * so inside a group). On an error inside a group the caller calls m2c_nodestore_rollback,
 * which undoes the whole group (or, nested, the innermost level). Do not hold a group across
 * slow work: other handles on the same file wait for it. */
M2C_WUR m2c_status m2c_nodestore_begin(m2c_nodestore *s, m2c_err *err);
M2C_WUR m2c_status m2c_nodestore_commit(m2c_nodestore *s, m2c_err *err);
void m2c_nodestore_rollback(m2c_nodestore *s);

/* ---- cursor and block hashes ---- */

/* The last fully processed block and its hash; M2C_ERR_NOTFOUND when the chain has none. */
M2C_WUR m2c_status m2c_nodestore_cursor(m2c_nodestore *s, const char *chain, uint64_t *block,
                                        m2c_hash32 *hash, m2c_err *err);
/* Records logs of one scanned range in one transaction: the requests recs[0..n) are
 * inserted as seen (a request already known keeps its state, except an orphaned one, which
 * becomes seen again with the new block), the hashes of blocks[0..nb) are kept, and the
 * cursor moves to (to_block, to_hash). *added (may be NULL) counts new or revived rows. */
M2C_WUR m2c_status m2c_nodestore_record_range(m2c_nodestore *s, const char *chain,
                                              const m2c_noderec *recs, size_t n,
                                              const uint64_t *block_nums,
                                              const m2c_hash32 *block_hashes, size_t nb,
                                              uint64_t to_block, const m2c_hash32 *to_hash,
                                              size_t *added, m2c_err *err);
/* Stored block hashes at or below `below`, newest first, at most `cap`. */
M2C_WUR m2c_status m2c_nodestore_blocks(m2c_nodestore *s, const char *chain, uint64_t below,
                                        uint64_t *nums, m2c_hash32 *hashes, size_t cap,
                                        size_t *n, m2c_err *err);
/* Reorg: forgets block hashes above `to_block`, marks requests logged above it that are
 * not confirmed as orphaned, and sets the cursor to (to_block, to_hash). *orphaned counts
 * them. */
M2C_WUR m2c_status m2c_nodestore_rewind(m2c_nodestore *s, const char *chain, uint64_t to_block,
                                        const m2c_hash32 *to_hash, size_t *orphaned,
                                        m2c_err *err);

/* ---- requests ---- */

/* Requests in `state`, oldest first (block, log index), at most `cap`; *recs is an array
 * owned by the caller (m2c_nodestore_recs_free). */
M2C_WUR m2c_status m2c_nodestore_list(m2c_nodestore *s, const char *chain, int state,
                                      size_t cap, m2c_noderec **recs, size_t *n, m2c_err *err);
/* Submitted requests carried by nonce `nonce`. */
M2C_WUR m2c_status m2c_nodestore_list_nonce(m2c_nodestore *s, const char *chain, uint64_t nonce,
                                            m2c_noderec **recs, size_t *n, m2c_err *err);
M2C_WUR m2c_status m2c_nodestore_get(m2c_nodestore *s, const char *chain, const m2c_hash32 *id,
                                     m2c_noderec *out, m2c_err *err);
void m2c_noderec_free(m2c_noderec *r);
void m2c_nodestore_recs_free(m2c_noderec *recs, size_t n);

/* seen -> computed with the output (copied) and error code. M2C_ERR_STATE if not seen. */
M2C_WUR m2c_status m2c_nodestore_set_computed(m2c_nodestore *s, const char *chain,
                                              const m2c_hash32 *id, const uint8_t *output,
                                              size_t output_len, uint32_t error_code,
                                              m2c_err *err);
/* Records signed transaction `tx` and moves the requests ids[0..n) (computed, or submitted
 * under the same nonce for a replacement) to submitted under tx->nonce, one transaction. */
M2C_WUR m2c_status m2c_nodestore_submit(m2c_nodestore *s, const char *chain, const m2c_nodetx *tx,
                                        const m2c_hash32 *ids, size_t n, m2c_err *err);
/* Moves a request to confirmed (mined in done_block by tx_hash; tx_hash may be NULL when the
 * request was found fulfilled on chain). */
M2C_WUR m2c_status m2c_nodestore_set_confirmed(m2c_nodestore *s, const char *chain,
                                               const m2c_hash32 *id, const m2c_hash32 *tx_hash,
                                               uint64_t done_block, m2c_err *err);
/* Moves a request to failed with `reason`. */
M2C_WUR m2c_status m2c_nodestore_set_failed(m2c_nodestore *s, const char *chain,
                                            const m2c_hash32 *id, const char *reason,
                                            m2c_err *err);
/* Submitted -> computed (its transaction was dropped or reverted; the request is open). */
M2C_WUR m2c_status m2c_nodestore_unsubmit(m2c_nodestore *s, const char *chain,
                                          const m2c_hash32 *id, m2c_err *err);
/* Counts of requests per state (counts[M2C_REQ_STATES]). */
M2C_WUR m2c_status m2c_nodestore_counts(m2c_nodestore *s, const char *chain,
                                        uint64_t counts[M2C_REQ_STATES], m2c_err *err);

/* ---- transactions ---- */

/* Nonces with a recorded transaction that is not yet settled, ascending, at most cap. */
M2C_WUR m2c_status m2c_nodestore_open_nonces(m2c_nodestore *s, const char *chain,
                                             uint64_t *nonces, size_t cap, size_t *n,
                                             m2c_err *err);
/* All transactions signed for `nonce`, oldest first; free with m2c_nodestore_txs_free. */
M2C_WUR m2c_status m2c_nodestore_txs(m2c_nodestore *s, const char *chain, uint64_t nonce,
                                     m2c_nodetx **txs, size_t *n, m2c_err *err);
void m2c_nodestore_txs_free(m2c_nodetx *txs, size_t n);
/* Marks `nonce` settled (mined, or abandoned because the chain moved past it). */
M2C_WUR m2c_status m2c_nodestore_settle_nonce(m2c_nodestore *s, const char *chain,
                                              uint64_t nonce, m2c_err *err);
/* Highest nonce ever recorded for the chain plus one (0 if none). */
M2C_WUR m2c_status m2c_nodestore_next_nonce(m2c_nodestore *s, const char *chain, uint64_t *out,
                                            m2c_err *err);

/* ---- final-only deliveries (docs/verification.md) ----
 *
 * A request whose callbackGasLimit has FINAL_ONLY (bit 31) and a callback is called back
 * by `deliver(...)` once its challenge window has passed. When such a request becomes
 * confirmed, a delivery row is created in the same SQL transaction (a trigger on the
 * requests table), so a stop between fulfilment and delivery never loses it:
 *
 *   due -> submitted (nonce, tx hash) -> delivered
 *            \-> due (tx dropped / reverted and not delivered on chain)     any -> failed
 *
 * A delivery transaction is recorded (txs, nonces) with the move to submitted, in one SQL
 * transaction, before it is sent. The lists return the request records (output, Request
 * words) of the deliveries. */
typedef enum {
    M2C_DELIVERY_DUE = 0,       /* to deliver once final */
    M2C_DELIVERY_SUBMITTED = 1, /* in a signed transaction not yet settled */
    M2C_DELIVERY_DONE = 2,      /* delivered on chain (by us, anyone, or a challenge) */
    M2C_DELIVERY_FAILED = 3,    /* given up, with a reason */
} m2c_delivery_state;

#define M2C_DELIVERY_STATES 4
const char *m2c_delivery_state_str(int s);

/* Requests whose delivery is in `state`, oldest first, at most cap. */
M2C_WUR m2c_status m2c_nodestore_deliveries(m2c_nodestore *s, const char *chain, int state,
                                            size_t cap, m2c_noderec **recs, size_t *n,
                                            m2c_err *err);
/* Requests whose delivery is submitted under `nonce`. */
M2C_WUR m2c_status m2c_nodestore_deliveries_nonce(m2c_nodestore *s, const char *chain,
                                                  uint64_t nonce, m2c_noderec **recs, size_t *n,
                                                  m2c_err *err);
/* Records `tx` and moves the delivery of `id` (due, or submitted under the same nonce for a
 * replacement) to submitted under tx->nonce, one SQL transaction. */
M2C_WUR m2c_status m2c_nodestore_submit_delivery(m2c_nodestore *s, const char *chain,
                                                 const m2c_nodetx *tx, const m2c_hash32 *id,
                                                 m2c_err *err);
/* Moves a due or submitted delivery to `state` (due: its nonce is cleared; delivered, with
 * tx_hash (may be NULL) and done_block; failed, with reason). */
M2C_WUR m2c_status m2c_nodestore_set_delivery(m2c_nodestore *s, const char *chain,
                                              const m2c_hash32 *id, int state,
                                              const m2c_hash32 *tx_hash, uint64_t done_block,
                                              const char *reason, m2c_err *err);
M2C_WUR m2c_status m2c_nodestore_delivery_counts(m2c_nodestore *s, const char *chain,
                                                 uint64_t counts[M2C_DELIVERY_STATES],
                                                 m2c_err *err);

#endif
