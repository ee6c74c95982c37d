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

/* Sends data to `to` (NULL: contract creation) with `value` (NULL: 0), EIP-1559 fees from
 * the node, gas from eth_estimateGas (+20%), and waits for the receipt into *rcpt (which the
 * caller frees with m2c_rpc_receipt_free). A revert (at estimation or on chain) fails with
 * its reason. `what` names the transaction in errors ("deploy Coordinator"). */
int m2c_cli_chain_send(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, const m2c_u256 *value,
                       m2c_rpc_receipt *rcpt);

/* Signs a transaction as m2c_cli_chain_send would (nonce ch->nonce, then ch->nonce++) into
 * raw (appended) and *hash without sending it: a caller that must send it exactly once
 * records the bytes first (the watcher). */
int m2c_cli_chain_sign(m2c_cli_chain *ch, const char *what, const m2c_addr20 *to,
                       const uint8_t *data, size_t len, const m2c_u256 *value, m2c_buf *raw,
                       m2c_hash32 *hash);
/* Sends signed bytes; a refusal of bytes the node already has is success. */
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
