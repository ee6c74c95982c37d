/* rpc.h: an Ethereum JSON-RPC client over HTTP(S) (libcurl), and typed eth_* helpers.
 *
 * A client handle (m2c_rpc) keeps one connection alive across calls, applies timeouts and a
 * response-size cap, retries transport failures, HTTP 429 (honouring Retry-After) and 5xx
 * with exponential backoff and full jitter within a retry budget, and can cap the request
 * rate. JSON-RPC error objects become M2C_ERR_RPC with the node's code (err->rpc_code) and
 * message; answers that are not JSON-RPC (an HTML error page, garbage, truncated JSON)
 * become M2C_ERR_HTTP / M2C_ERR_PROTOCOL / M2C_ERR_TRUNCATED saying what came back. Error
 * messages never contain the URL's credentials, query string or path (providers embed API
 * keys there). See docs/rpc.md for the policy and limits.
 *
 * Threads: a handle is used by one thread at a time; use one handle per thread. Handles
 * share nothing, so several threads with several handles need no locking.
 *
 * Ownership: json_t results are owned by the caller (json_decref). Typed results that hold
 * arrays (blocks, logs, receipts, fee history) own an arena released by their *_free
 * function, which accepts a zeroed or already-freed struct.
 *
 * The m2c_rpc_parse_* functions are pure (no I/O): they turn untrusted bytes or JSON into
 * validated structs, with hard caps, and are what the fuzz target exercises. */
#ifndef ML2CHAIN_RPC_H
#define ML2CHAIN_RPC_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ml2chain/arena.h"
#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/types.h"

/* ---- client ---------------------------------------------------------------------------- */

typedef struct m2c_rpc m2c_rpc;

typedef struct {
    long timeout_ms;         /* whole request, connect to last byte (default 30000) */
    long connect_timeout_ms; /* TCP + TLS connect (default 10000) */
    size_t max_response;     /* bytes of (decoded) response body (default 256 MiB) */
    int max_retries;         /* retries after the first attempt (default 5; 0: none) */
    long backoff_base_ms;    /* first backoff ceiling (default 200) */
    long backoff_max_ms;     /* ceiling for any one wait, incl. Retry-After (default 10000) */
    long retry_budget_ms;    /* total time a call may spend waiting to retry (default 30000) */
    double max_rps;          /* requests per second cap, token bucket (0: no cap) */
    size_t max_batch;        /* requests per HTTP batch; larger batches are split (def. 100) */
    uint64_t seed;           /* jitter PRNG seed (0: from time and address) */
    const volatile sig_atomic_t *cancel; /* if non-NULL and set, calls stop: M2C_ERR_INTERRUPTED */
    const char *ca_file; /* PEM file of trusted CAs for https (NULL: system store; copied) */
} m2c_rpc_opts;

/* Counters since the handle was created (for tests, logs and metrics). */
typedef struct {
    uint64_t calls;         /* m2c_rpc_call / batch invocations */
    uint64_t http_requests; /* HTTP requests sent, retries included */
    uint64_t retries;       /* requests that were retries */
    uint64_t bytes_in;      /* response body bytes received */
    uint64_t waited_ms;     /* time slept in backoff and rate limiting */
} m2c_rpc_stats;

/* Fills `o` with the defaults above. */
void m2c_rpc_opts_default(m2c_rpc_opts *o);

/* Creates a client for `url` (http:// or https://; copied). `opts` may be NULL for defaults.
 * On failure *out is NULL. */
M2C_WUR m2c_status m2c_rpc_create(m2c_rpc **out, const char *url, const m2c_rpc_opts *opts,
                                  m2c_err *err);
/* Closes the connection and frees the handle. NULL is accepted. */
void m2c_rpc_destroy(m2c_rpc *c);

/* The URL with credentials, query and path replaced by "***" (for messages); static per
 * handle, valid until destroy. */
const char *m2c_rpc_url_redacted(const m2c_rpc *c);
/* Writes the redacted form of any URL into out (capacity cap). */
void m2c_rpc_redact_url(char *out, size_t cap, const char *url);

void m2c_rpc_get_stats(const m2c_rpc *c, m2c_rpc_stats *out);

/* Calls `method` with `params` (a JSON array, borrowed; NULL means []) and stores the
 * "result" member in *result (owned by the caller; a JSON null result is returned as a
 * json null value, not NULL). On failure *result is NULL. */
M2C_WUR m2c_status m2c_rpc_call(m2c_rpc *c, json_t **result, const char *method,
                                const json_t *params, m2c_err *err);

/* As m2c_rpc_call with params as JSON text (e.g. "[\"latest\", false]"; NULL means []),
 * which is parsed and checked to be an array first. */
M2C_WUR m2c_status m2c_rpc_call_text(m2c_rpc *c, json_t **result, const char *method,
                                     const char *params_json, m2c_err *err);

/* Sends the request and returns the raw response body (a JSON-RPC envelope, not yet
 * checked) in `body` (reset first). Transport, HTTP status and size checks have been done
 * and retried; the caller parses (the eth_getLogs fast path uses this). */
M2C_WUR m2c_status m2c_rpc_call_raw(m2c_rpc *c, m2c_buf *body, uint64_t *id, const char *method,
                                    const json_t *params, m2c_err *err);

/* One element of a batch: `method` and `params` in; result, status and err out. */
typedef struct {
    const char *method;   /* in */
    const json_t *params; /* in, borrowed; NULL means [] */
    json_t *result;       /* out: owned by the caller when status == M2C_OK, else NULL */
    m2c_status status;    /* out: M2C_OK, M2C_ERR_RPC (node error), M2C_ERR_PROTOCOL ... */
    m2c_err err;          /* out: detail for a failed item */
} m2c_rpc_req;

/* Sends `n` requests as JSON-RPC batches of at most opts.max_batch, matching responses by
 * id in any order. Returns M2C_OK when every batch came back as a JSON-RPC batch answer;
 * each item then has its own status (an id missing from the answer is M2C_ERR_PROTOCOL
 * "no response for id N"). A failure of the whole exchange (transport, HTTP, a single error
 * object instead of an array) is returned directly and marks unanswered items with it. */
M2C_WUR m2c_status m2c_rpc_batch(m2c_rpc *c, m2c_rpc_req *reqs, size_t n, m2c_err *err);
/* Releases results held by reqs[0..n). */
void m2c_rpc_reqs_release(m2c_rpc_req *reqs, size_t n);

/* ---- pure parsing of answers ----------------------------------------------------------- */

/* Hard caps applied to untrusted answers. */
#define M2C_RPC_MAX_LOGS        ((size_t)10000000) /* logs in one eth_getLogs answer */
#define M2C_RPC_MAX_TXS         ((size_t)1000000)  /* transactions in one block */
#define M2C_RPC_MAX_DATA        ((size_t)64 << 20) /* bytes in one DATA field */
#define M2C_RPC_MAX_BATCH       ((size_t)100000)   /* items in one batch answer */
#define M2C_RPC_MAX_FEE_BLOCKS  ((size_t)1024)     /* blocks in an eth_feeHistory answer */
#define M2C_RPC_MAX_PERCENTILES ((size_t)100)
#define M2C_RPC_MAX_ARENA       ((size_t)2 << 30) /* memory one parsed answer may hold */

/* Checks one JSON-RPC response envelope in body[0..len): JSON, an object, "id" equal to
 * `id`, exactly one of "result" / "error". A node error gives M2C_ERR_RPC with its code and
 * message. On success *result holds the result (caller-owned). */
M2C_WUR m2c_status m2c_rpc_parse_response(json_t **result, const char *body, size_t len,
                                          uint64_t id, m2c_err *err);

/* Checks a batch answer for request ids first_id .. first_id+n-1 and fills reqs[i].result /
 * status / err by id. Unknown or duplicate ids are M2C_ERR_PROTOCOL for the whole batch. */
M2C_WUR m2c_status m2c_rpc_parse_batch_response(m2c_rpc_req *reqs, size_t n, uint64_t first_id,
                                                const char *body, size_t len, m2c_err *err);

/* ---- typed eth_* ----------------------------------------------------------------------- */

/* A block reference: a number or one of the tags. */
typedef enum {
    M2C_BLOCK_NUMBER = 0,
    M2C_BLOCK_LATEST,
    M2C_BLOCK_EARLIEST,
    M2C_BLOCK_PENDING,
    M2C_BLOCK_SAFE,
    M2C_BLOCK_FINALIZED,
} m2c_block_tag;

typedef struct {
    m2c_block_tag tag;
    uint64_t number; /* when tag == M2C_BLOCK_NUMBER */
} m2c_blockref;

/* Parses "latest", "earliest", "pending", "safe", "finalized", a decimal or 0x number. */
M2C_WUR m2c_status m2c_blockref_parse(m2c_blockref *out, const char *s, m2c_err *err);
/* Writes the JSON-RPC form ("latest", "0x1a") into out (capacity >= 20). */
void m2c_blockref_format(char *out, const m2c_blockref *b);
static inline m2c_blockref m2c_blockref_num(uint64_t n) {
    m2c_blockref b = {M2C_BLOCK_NUMBER, n};
    return b;
}
static inline m2c_blockref m2c_blockref_latest(void) {
    m2c_blockref b = {M2C_BLOCK_LATEST, 0};
    return b;
}

typedef struct {
    uint8_t type; /* 0 legacy, 1 EIP-2930, 2 EIP-1559, 3 EIP-4844, ... */
    m2c_hash32 hash;
    m2c_addr20 from;
    m2c_addr20 to;
    int has_to; /* 0 for contract creation */
    m2c_u256 value;
    uint8_t *input; /* in the owner's arena */
    size_t input_len;
    uint64_t nonce;
    uint64_t gas;
    m2c_u256 gas_price; /* legacy/2930: the price; 1559: effective price if given */
    int has_gas_price;
    m2c_u256 max_fee_per_gas; /* 1559+ */
    m2c_u256 max_priority_fee_per_gas;
    int has_1559_fees;
    uint64_t block_number; /* 0 with has_block = 0 for pending */
    int has_block;
    uint64_t transaction_index;
} m2c_rpc_tx;

typedef struct {
    uint64_t number;
    m2c_hash32 hash;
    m2c_hash32 parent_hash;
    uint64_t timestamp;
    m2c_u256 base_fee_per_gas;
    int has_base_fee; /* pre-London blocks have none */
    uint64_t gas_used;
    uint64_t gas_limit;
    m2c_addr20 miner;
    size_t tx_count;
    m2c_hash32 *tx_hashes; /* tx_count hashes (always filled) */
    m2c_rpc_tx *txs;       /* tx_count transactions when fetched in full, else NULL */
    m2c_arena arena;
} m2c_rpc_block;

typedef struct {
    m2c_addr20 address;
    m2c_hash32 topics[4];
    uint8_t n_topics;
    uint8_t removed;
    uint8_t has_block_timestamp; /* the node sent "blockTimestamp" as a quantity */
    uint8_t *data;               /* in the owner's arena */
    size_t data_len;
    uint64_t block_number;
    m2c_hash32 block_hash;
    m2c_hash32 transaction_hash;
    uint64_t transaction_index;
    uint64_t log_index;
    uint64_t block_timestamp; /* when has_block_timestamp (newer nodes add it to logs) */
} m2c_rpc_log;

typedef struct {
    m2c_rpc_log *v;
    size_t n;
    m2c_arena arena;
} m2c_rpc_logs;

typedef struct {
    m2c_hash32 transaction_hash;
    uint64_t transaction_index;
    m2c_hash32 block_hash;
    uint64_t block_number;
    m2c_addr20 from;
    m2c_addr20 to;
    int has_to;
    int status; /* 1 success, 0 revert; -1 when absent (pre-Byzantium) */
    uint64_t gas_used;
    uint64_t cumulative_gas_used;
    m2c_u256 effective_gas_price;
    int has_effective_gas_price;
    m2c_addr20 contract_address;
    int has_contract_address;
    uint8_t type;
    m2c_rpc_log *logs;
    size_t n_logs;
    m2c_arena arena;
} m2c_rpc_receipt;

typedef struct {
    uint64_t oldest_block;
    size_t n_blocks; /* blocks reported; base_fee has n_blocks + 1 entries */
    m2c_u256 *base_fee_per_gas;
    double *gas_used_ratio; /* n_blocks */
    size_t n_percentiles;   /* reward columns; 0 when none were asked */
    m2c_u256 *reward;       /* n_blocks * n_percentiles, row-major */
    m2c_arena arena;
} m2c_rpc_fee_history;

/* A log filter. topics[i] is an OR-list of n_topic_or[i] hashes; n_topic_or[i] == 0 means
 * null (any). With block_hash non-NULL, from/to are not sent. */
typedef struct {
    const m2c_addr20 *addresses;
    size_t n_addresses;
    const m2c_hash32 *topics[4];
    size_t n_topic_or[4];
    size_t n_topics; /* positions given (trailing nulls may be omitted) */
    m2c_blockref from;
    m2c_blockref to;
    const m2c_hash32 *block_hash;
} m2c_rpc_filter;

void m2c_rpc_block_free(m2c_rpc_block *b);
void m2c_rpc_logs_free(m2c_rpc_logs *l);
void m2c_rpc_receipt_free(m2c_rpc_receipt *r);
void m2c_rpc_fee_history_free(m2c_rpc_fee_history *f);

/* Pure parsers of the "result" value. On failure the output is freed and zeroed and err
 * names the path ("result.transactions[4].value: ..."). */
M2C_WUR m2c_status m2c_rpc_parse_block(m2c_rpc_block *out, const json_t *result, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_parse_logs(m2c_rpc_logs *out, const json_t *result, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_parse_receipt(m2c_rpc_receipt *out, const json_t *result, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_parse_fee_history(m2c_rpc_fee_history *out, const json_t *result,
                                             m2c_err *err);
/* The eth_getLogs fast path: parses a whole response envelope body[0..len) for request `id`
 * straight into logs, without building a JSON tree (one pass, no per-log malloc). Accepts
 * exactly what m2c_rpc_parse_response + m2c_rpc_parse_logs accept. */
M2C_WUR m2c_status m2c_rpc_parse_logs_body(m2c_rpc_logs *out, const char *body, size_t len,
                                           uint64_t id, m2c_err *err);
/* Only the one-pass parser: M2C_ERR_UNSUPPORTED (output zeroed) for anything it leaves to the
 * tree parser. Exposed so tests and the fuzz target can check it against the tree parser. */
M2C_WUR m2c_status m2c_rpc_parse_logs_fast(m2c_rpc_logs *out, const char *body, size_t len,
                                           uint64_t id);

/* Builds the eth_getLogs filter object (caller-owned). */
M2C_WUR m2c_status m2c_rpc_filter_json(json_t **out, const m2c_rpc_filter *f, m2c_err *err);

M2C_WUR m2c_status m2c_rpc_chain_id(m2c_rpc *c, uint64_t *out, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_block_number(m2c_rpc *c, uint64_t *out, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_gas_price(m2c_rpc *c, m2c_u256 *out, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_max_priority_fee(m2c_rpc *c, m2c_u256 *out, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_get_balance(m2c_rpc *c, m2c_u256 *out, const m2c_addr20 *addr,
                                       const m2c_blockref *at, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_get_transaction_count(m2c_rpc *c, uint64_t *out, const m2c_addr20 *addr,
                                                 const m2c_blockref *at, m2c_err *err);
/* Code at `addr`; *code is malloc'd (free()), non-NULL on success even when empty. */
M2C_WUR m2c_status m2c_rpc_get_code(m2c_rpc *c, uint8_t **code, size_t *code_len,
                                    const m2c_addr20 *addr, const m2c_blockref *at, m2c_err *err);
/* web3_clientVersion into out (capacity cap, truncated). */
M2C_WUR m2c_status m2c_rpc_client_version(m2c_rpc *c, char *out, size_t cap, m2c_err *err);
/* M2C_ERR_NOTFOUND when the node has no such block (null result); M2C_ERR_PROTOCOL when a
 * block asked for by number comes back with another number. */
M2C_WUR m2c_status m2c_rpc_get_block(m2c_rpc *c, m2c_rpc_block *out, const m2c_blockref *at,
                                     int full_txs, m2c_err *err);
/* Blocks numbers[0..n) in batches; out[i] matches numbers[i] (a block with another number is
 * M2C_ERR_PROTOCOL). Any failed item fails the call (its message names the block). */
M2C_WUR m2c_status m2c_rpc_get_blocks(m2c_rpc *c, m2c_rpc_block *out, const uint64_t *numbers,
                                      size_t n, int full_txs, m2c_err *err);
M2C_WUR m2c_status m2c_rpc_get_logs(m2c_rpc *c, m2c_rpc_logs *out, const m2c_rpc_filter *f,
                                    m2c_err *err);
/* M2C_ERR_NOTFOUND while the transaction is unknown or pending; M2C_ERR_PROTOCOL for the
 * receipt of another transaction. */
M2C_WUR m2c_status m2c_rpc_get_receipt(m2c_rpc *c, m2c_rpc_receipt *out, const m2c_hash32 *tx_hash,
                                       m2c_err *err);
/* Receipts for hashes[0..n) in batches; a missing receipt is M2C_ERR_NOTFOUND, the receipt of
 * another transaction M2C_ERR_PROTOCOL. */
M2C_WUR m2c_status m2c_rpc_get_receipts(m2c_rpc *c, m2c_rpc_receipt *out, const m2c_hash32 *hashes,
                                        size_t n, m2c_err *err);

/* A call / gas estimate message. */
typedef struct {
    const m2c_addr20 *from; /* may be NULL */
    const m2c_addr20 *to;   /* NULL for contract creation */
    const uint8_t *data;
    size_t data_len;
    const m2c_u256 *value; /* may be NULL */
    uint64_t gas;          /* 0: not sent */
} m2c_rpc_callmsg;

/* eth_call; *out is malloc'd (free()). A revert is M2C_ERR_RPC; the revert data, when the
 * node returns it in error.data, is in *out (then also malloc'd) so the caller can decode
 * Error(string). */
M2C_WUR m2c_status m2c_rpc_eth_call(m2c_rpc *c, uint8_t **out, size_t *out_len,
                                    const m2c_rpc_callmsg *msg, const m2c_blockref *at,
                                    m2c_err *err);
M2C_WUR m2c_status m2c_rpc_estimate_gas(m2c_rpc *c, uint64_t *out, const m2c_rpc_callmsg *msg,
                                        m2c_err *err);
/* eth_feeHistory for `blocks` blocks up to `newest`, with reward percentiles pct[0..n_pct). */
M2C_WUR m2c_status m2c_rpc_get_fee_history(m2c_rpc *c, m2c_rpc_fee_history *out, uint64_t blocks,
                                           const m2c_blockref *newest, const double *pct,
                                           size_t n_pct, m2c_err *err);
/* eth_sendRawTransaction. Like every call it is retried after transport failures, so an
 * attempt whose answer was lost may have gone through: a later "already known" / "nonce too
 * low" error can mean the transaction is in. Callers check by the locally computed hash
 * (m2c_tx_hash + eth_getTransactionByHash), as `ml2chain send` does. */
M2C_WUR m2c_status m2c_rpc_send_raw_transaction(m2c_rpc *c, m2c_hash32 *tx_hash, const uint8_t *raw,
                                                size_t raw_len, m2c_err *err);

#endif
