/* node.h: the operator node: configuration (flags, environment, JSON config file,
 * deployment files) and the runtime that watches one or more coordinators, records each
 * request in the state store (nodestore.h), runs the registered qmodel on a pool of worker
 * threads and fulfils on chain through a per-chain transaction manager (batched, pipelined
 * nonces, fee bumping, restart-safe). docs/node.md is the user-facing reference.
 *
 * The library never prints: m2c_node_run reports through the caller's log callback, which
 * may be called from any of the node's threads (one call at a time: the node serialises
 * them). Nothing passed to the callback contains the private key or an RPC URL's
 * credentials, path or query.
 *
 * Threads: m2c_node_run starts one thread per chain plus the executor workers and the
 * metrics server, and returns after *stop becomes non-zero and every chain has finished its
 * current step. The config is read-only while the node runs. */
#ifndef ML2CHAIN_NODE_H
#define ML2CHAIN_NODE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"
#include "ml2chain/key.h"
#include "ml2chain/types.h"

#define M2C_NODE_MAX_CHAINS 16

typedef enum {
    M2C_IFACE_COORDINATOR = 0, /* ICoordinator: Requested, fulfill / fulfillBatch */
    M2C_IFACE_TEMPLATE = 1,    /* template ABI: RequestEvent, fulfillRequest(uint256,string) */
} m2c_node_iface;

typedef struct {
    char rpc_url[1024];       /* secret-bearing: never logged as is */
    m2c_addr20 coordinator;
    int has_coordinator;
    uint64_t start_block;     /* first block scanned when the store has no cursor */
    uint64_t expect_chain_id; /* 0: any; else the RPC must report this chain id */
    int iface;                /* m2c_node_iface */
    unsigned confirmations;   /* blocks behind head a log must be (default 1) */
    unsigned poll_ms;         /* pause between steps (default 1000) */
    unsigned batch_size;      /* requests per fulfilment transaction (default 50) */
    unsigned max_inflight;    /* unmined transactions at once (default 32) */
    unsigned replace_blocks;  /* blocks before an unmined tx is replaced (default 3) */
    uint64_t max_range;       /* blocks per eth_getLogs (default 2000) */
    m2c_u256 fee_cap;         /* max fee per gas (wei); zero: no cap */
    m2c_u256 min_prio;        /* least priority fee per gas (wei; default 1 gwei) */
} m2c_node_chain_cfg;

typedef struct {
    m2c_node_chain_cfg chains[M2C_NODE_MAX_CHAINS];
    size_t n_chains;
    char models_dir[1024];
    char state_path[1024];    /* SQLite file (default ./ml2chain-node.db) */
    char metrics_addr[128];   /* "host:port" or "" for none */
    unsigned workers;         /* executor threads (default 2) */
    double test_lie_rate;     /* TEST ONLY: fraction of outputs deliberately altered */
    uint64_t test_lie_seed;
    int once;                 /* exit when every chain has nothing left to do (tests) */
} m2c_node_cfg;

/* Defaults for the node and one chain. */
void m2c_node_cfg_default(m2c_node_cfg *c);
void m2c_node_chain_default(m2c_node_chain_cfg *c);

/* Reads a deployment file written by `ml2chain deploy` (JSON with chainId, coordinator,
 * deployBlock) into `c` (coordinator, expect_chain_id, start_block). */
M2C_WUR m2c_status m2c_node_chain_load_deployment(m2c_node_chain_cfg *c, const char *path,
                                                  m2c_err *err);

/* Parses a node config file's JSON text into `c` (whose defaults are kept for absent keys).
 * Keys: models, state, metrics, workers, chains: [{rpc, coordinator | deployment,
 * interface, confirmations, pollMs, batchSize, maxInflight, replaceBlocks, maxRange,
 * feeCapGwei, minPriorityGwei, startBlock, chainId}]. Unknown keys are errors (typos must
 * not be silently ignored); relative deployment paths are taken from `base_dir` (may be
 * NULL). The error names the key ("chains[1].confirmations: expected a non-negative
 * integer"). */
M2C_WUR m2c_status m2c_node_cfg_parse_json(m2c_node_cfg *c, const char *text,
                                           const char *base_dir, m2c_err *err);
/* Reads and parses a config file. */
M2C_WUR m2c_status m2c_node_cfg_load(m2c_node_cfg *c, const char *path, m2c_err *err);
/* Checks a complete config (at least one chain, each with an rpc URL and a coordinator,
 * sane numbers). */
M2C_WUR m2c_status m2c_node_cfg_check(const m2c_node_cfg *c, m2c_err *err);

typedef enum { M2C_LOG_DEBUG = 0, M2C_LOG_INFO, M2C_LOG_WARN, M2C_LOG_ERROR } m2c_log_level;

/* One log event: `chain` is the chain id text (or "" for node-wide), `request` the request
 * id (NULL if none), `msg` one line. */
typedef void (*m2c_node_log_fn)(void *ctx, m2c_log_level level, const char *chain,
                                const m2c_hash32 *request, const char *msg);

/* Runs the node until *stop is set (SIGTERM/SIGINT in the CLI), or, with cfg->once, until
 * every chain is idle. Returns M2C_OK on a clean stop; a startup failure (RPC chain id
 * mismatch, store, models dir, metrics port) is returned with err. */
M2C_WUR m2c_status m2c_node_run(const m2c_node_cfg *cfg, const m2c_key *key,
                                const volatile sig_atomic_t *stop, m2c_node_log_fn log,
                                void *log_ctx, m2c_err *err);

#endif
