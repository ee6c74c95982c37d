/* chaintx.h: what the user-side chain commands (deploy, model register, request) share: one
 * signing account on one RPC endpoint, sending transactions one after another with locally
 * tracked nonces and waiting for each receipt, and reading a deployment file. Only src/cli/
 * includes this. Every function prints its own one-line error ("ml2chain <cmd>: ...") and
 * returns 0 on failure, 1 on success. */
#ifndef ML2CHAIN_CLI_CHAINTX_H
#define ML2CHAIN_CLI_CHAINTX_H

#include "cli_rpc.h"
#include "keyarg.h"
#include "ml2chain/key.h"
#include "ml2chain/rpc.h"

typedef struct {
    const char *cmd;
    m2c_rpc *rpc;
    m2c_key key;
    uint64_t chain_id;
    uint64_t nonce; /* next nonce to use */
    long timeout_s; /* receipt wait per transaction */
} m2c_cli_chain;

/* Opens the RPC client, loads the key, reads the chain id and the pending nonce. */
int m2c_cli_chain_open(m2c_cli_chain *ch, const char *cmd, const m2c_cli_rpc_flags *rf,
                       const m2c_cli_keyarg *ka);
void m2c_cli_chain_close(m2c_cli_chain *ch);

/* How m2c_cli_chain_send_tx builds and follows a transaction; all-zero means the defaults
 * m2c_cli_chain_send uses. */
typedef struct {
    const char *what;         /* names the transaction in errors ("deploy Coordinator");
                               * NULL: errors carry no name */
    int legacy;               /* a legacy (type 0, EIP-155) transaction, not EIP-1559 */
    const m2c_u256 *max_fee;  /* legacy gas price or EIP-1559 max fee per gas; NULL: for
                               * EIP-1559, 2 x the next block's base fee + the priority fee;
                               * for legacy, eth_gasPrice */
    const m2c_u256 *priority; /* EIP-1559 priority fee; NULL: eth_maxPriorityFeePerGas, else
                               * the largest median tip of the last 5 blocks */
    uint64_t gas_limit;       /* 0: eth_estimateGas plus gas_margin_pct percent */
    unsigned gas_margin_pct;
    int async;                /* return once sent (rcpt untouched), do not wait */
} m2c_cli_txopts;

/* Sends data to `to` (NULL: contract creation) with `value` (NULL: 0) at the chain's next
 * nonce (ch->nonce, advanced once the node has the transaction), sets *hash, and unless
 * o->async waits up to ch->timeout_s for the receipt into *rcpt (which the caller frees with
 * m2c_rpc_receipt_free). A revert at estimation fails with its reason; a mined revert fails
 * with the reason replayed at its block, after *rcpt is filled (so a caller can still show
 * it). A send the client retried after the node already took it counts as sent. */
int m2c_cli_chain_send_tx(m2c_cli_chain *ch, const m2c_cli_txopts *o, const m2c_addr20 *to,
                          const uint8_t *data, size_t len, const m2c_u256 *value,
                          m2c_hash32 *hash, m2c_rpc_receipt *rcpt);

/* m2c_cli_chain_send_tx with EIP-1559 defaults, gas estimate + 20%, waiting for the receipt. */
int m2c_cli_chain_send(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, const m2c_u256 *value,
                       m2c_rpc_receipt *rcpt);

/* Signs a transaction as m2c_cli_chain_send would (nonce ch->nonce, then ch->nonce++) into
 * raw (appended) and *hash without sending it: a caller that must send it exactly once
 * records the bytes first (the watcher). */
int m2c_cli_chain_sign(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, const m2c_u256 *value, m2c_buf *raw,
                       m2c_hash32 *hash);
/* The fees m2c_cli_chain_sign would pay now: EIP-1559 max fee and priority fee, or (legacy)
 * the gas price in both. */
int m2c_cli_chain_fees(m2c_cli_chain *ch, const char *what, int legacy, m2c_u256 *max_fee,
                       m2c_u256 *prio);
/* Sends signed bytes whose hash is *hash; a refusal of bytes the node already has is
 * success. */
int m2c_cli_chain_broadcast(m2c_cli_chain *ch, const char *what, const uint8_t *raw,
                            size_t raw_len, const m2c_hash32 *hash);

/* eth_call of data on `to` at latest; *out is malloc'd. */
int m2c_cli_chain_call(m2c_rpc *c, const char *cmd, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, uint8_t **out, size_t *out_len);

/* Reads one address from a deployment file (docs/deploy.md): the top-level key for
 * "coordinator", else contracts.<name>. */
int m2c_cli_deployment_addr(const char *cmd, const char *path, const char *name,
                            m2c_addr20 *out);

#endif
