/* extract.h: datasets from the chain. Pulls event logs (decoded by their ABI), blocks or
 * transactions with receipts from a JSON-RPC node over a block range into a sink (see sink.h).
 *
 * The range is cut into chunks fetched by worker threads (one RPC handle each) and written in
 * block order by the calling thread; a bounded window of chunks in flight keeps memory flat
 * however long the range. A chunk the node refuses (result-count or range limits, a response
 * over the size cap, a timeout) is split in halves and retried; other transient failures are
 * retried with backoff and jitter (on top of the RPC client's own retries). Each chunk is
 * committed to the sink with its checkpoint, so a second run with the same filter and output
 * fetches only what is missing. With `follow`, the run keeps going as the chain grows and
 * removes the rows of blocks a reorg orphaned (detected by block hash).
 *
 * The planner and error classifier are pure and exposed for tests. Not thread-safe per
 * call: one m2c_extract_run at a time per output. See docs/datasets.md for the tables. */
#ifndef ML2CHAIN_EXTRACT_H
#define ML2CHAIN_EXTRACT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ml2chain/abi.h"
#include "ml2chain/err.h"
#include "ml2chain/rpc.h"
#include "ml2chain/sink.h"
#include "ml2chain/types.h"

typedef enum {
    M2C_EXTRACT_LOGS = 1,
    M2C_EXTRACT_BLOCKS,
    M2C_EXTRACT_TRANSACTIONS,
} m2c_extract_kind;

/* Progress, reported after every committed chunk (and once at the end). */
typedef struct {
    uint64_t blocks_total; /* blocks in the requested range (excluding already-done ones) */
    uint64_t blocks_done;  /* of those, committed */
    uint64_t rows;         /* rows written in this run, all tables */
    uint64_t undecoded;    /* logs kept raw because they did not decode (this run) */
    uint64_t requests;     /* HTTP requests sent (all workers) */
    uint64_t splits;       /* chunks split after the node refused them */
    uint64_t retries;      /* chunk-level retries after transient failures */
    uint64_t reorgs;       /* reorgs handled (follow mode) */
    uint64_t from, to;     /* the resolved range of the current pass */
    double seconds;        /* since the start of the run */
    int following;         /* 1 while waiting for new blocks in follow mode */
} m2c_extract_progress;

typedef struct {
    m2c_extract_kind kind;
    const char *rpc_url;
    const char *out; /* sink target (see sink.h) */
    /* logs filter */
    const m2c_addr20 *addresses;
    size_t n_addresses;
    const m2c_abi_sig *events; /* decode these (tables named after them) */
    size_t n_events;
    const m2c_hash32 *topics[4]; /* explicit topic filters: OR-lists, n 0 = any */
    size_t n_topic_or[4];
    /* range */
    m2c_blockref from, to;
    uint64_t confirmations; /* `latest` means head - confirmations */
    int follow;             /* keep extracting new blocks until cancelled */
    unsigned poll_ms;       /* follow mode poll interval (default 1000) */
    /* numbers */
    int decimals; /* scale of the *_f columns of 256-bit numbers; -1: none */
    /* engine */
    uint64_t chunk_size;                 /* maximum blocks per request (default per kind) */
    unsigned concurrency;                /* worker threads (default 4) */
    double rps;                          /* requests per second cap over all workers (0: none) */
    long timeout_ms;                     /* per request (default 30000) */
    uint64_t target_logs;                /* logs per chunk the adaptive span aims at (2000) */
    const volatile sig_atomic_t *cancel; /* set by a signal handler to stop cleanly */
    void (*progress)(void *ud, const m2c_extract_progress *p);
    void *progress_ud;
} m2c_extract_opts;

/* Fills the defaults (kind logs, from 0, to latest, confirmations -1 = per chain, ...). */
void m2c_extract_opts_default(m2c_extract_opts *o);

/* Summary of a finished run. */
typedef struct {
    m2c_extract_progress p;
    uint64_t chain_id;
    uint64_t rows_total; /* rows in the output, all tables, after the run */
    int nothing_to_do;   /* every block was already in the output */
    char sink_kind[16];
} m2c_extract_summary;

/* Runs the extraction. Validates the node first (chain id); an output holding another
 * dataset fails before anything is written. Returns M2C_ERR_INTERRUPTED when cancelled (what
 * was committed stays). */
M2C_WUR m2c_status m2c_extract_run(const m2c_extract_opts *o, m2c_extract_summary *sum,
                                   m2c_err *err);

/* ---- pure pieces, exposed for tests ---------------------------------------------------- */

/* The parts of [from, to] not covered by done[0..ndone) (sorted, merged), in order, into
 * out (capacity cap); returns the number of ranges (which may exceed cap: then only cap were
 * written). */
size_t m2c_extract_missing(m2c_block_range *out, size_t cap, uint64_t from, uint64_t to,
                           const m2c_block_range *done, size_t ndone);

/* What to do after a chunk request failed with status st / err. */
typedef enum {
    M2C_EXTRACT_FAIL = 0, /* give up: the error is the user's or permanent */
    M2C_EXTRACT_RETRY,    /* transient: retry the same range after a backoff */
    M2C_EXTRACT_SPLIT,    /* the node refused the range: split it in halves */
} m2c_extract_action;

/* Classifies a failure of a request over `blocks` blocks: node messages about result counts,
 * range limits, response size and timeouts mean SPLIT (RETRY when blocks == 1); transport
 * failures, truncated or garbled answers and 429/5xx mean RETRY; the rest FAIL. */
m2c_extract_action m2c_extract_classify(m2c_status st, const m2c_err *err, uint64_t blocks);

/* The next chunk span after a chunk of `span` blocks returned `count` logs: aims at
 * `target` logs per chunk, grows at most 2x, never below 1 or above `max`. */
uint64_t m2c_extract_next_span(uint64_t span, uint64_t count, uint64_t target, uint64_t max);

/* Slow start: the largest span allowed once `done` chunks have come back to `workers`
 * workers. It doubles with each round of workers' chunks (1 until the first round is back, then
 * 2, 4, ...), so chunks handed out side by side never run far ahead of the densities seen:
 * dense blocks met early are fetched one or two at a time, and the writer gets its first rows
 * sooner. */
uint64_t m2c_extract_ramp(uint64_t done, unsigned workers);

/* Blocks in the chunk handed out next: `span`, but no more than a 1/(2 workers) share of the
 * `left` blocks not handed out yet (guided self-scheduling by halves). Near the end of a range
 * chunks shrink, so that no chunk that meets a dense stretch late is fetched alone while the
 * other workers idle and the writer waits for it. At least 1. */
uint64_t m2c_extract_chunk_blocks(uint64_t span, uint64_t left, unsigned workers);

/* Scales an exact integer (decimal text, maybe negative) by 10^-decimals into a double
 * correctly rounded from the decimal text (so "1000000000000000000" with 18 gives exactly 1). */
double m2c_extract_scaled(const char *dec, size_t n, int decimals);

#endif
