/* cli_rpc.h: what the chain-facing subcommands share: the Foundry-style RPC flags
 * (--rpc-url / ETH_RPC_URL, --rpc-timeout, --retries), opening a client with them, and
 * printing chain values the way cast does (decimal numbers, checksummed addresses). */
#ifndef ML2CHAIN_CLI_RPC_H
#define ML2CHAIN_CLI_RPC_H

#include <getopt.h>
#include <stdio.h>

#include "ml2chain/abi.h"
#include "ml2chain/arena.h"
#include "ml2chain/buf.h"
#include "ml2chain/rpc.h"

typedef struct {
    const char *url; /* --rpc-url, else $ETH_RPC_URL, else http://127.0.0.1:8545 */
    long timeout_s;  /* --rpc-timeout (0: library default) */
    int retries;     /* --retries (-1: library default) */
} m2c_cli_rpc_flags;

/* getopt_long codes of the shared flags; commands list M2C_CLI_RPC_LONGOPTS in their table. */
enum { M2C_OPT_RPC_URL = 'r', M2C_OPT_RPC_TIMEOUT = 0x2000, M2C_OPT_RETRIES };
#define M2C_CLI_RPC_LONGOPTS                                                                       \
    {"rpc-url", required_argument, NULL, M2C_OPT_RPC_URL},                                         \
        {"rpc-timeout", required_argument, NULL, M2C_OPT_RPC_TIMEOUT}, {                           \
        "retries", required_argument, NULL, M2C_OPT_RETRIES                                        \
    }
#define M2C_CLI_RPC_HELP                                                                           \
    "  -r, --rpc-url URL      JSON-RPC endpoint (default $ETH_RPC_URL, else "                      \
    "http://127.0.0.1:8545)\n"                                                                     \
    "      --rpc-timeout S    seconds per request (default 30)\n"                                  \
    "      --retries N        retries on transport errors, 429 and 5xx (default 5)\n"

void m2c_cli_rpc_flags_init(m2c_cli_rpc_flags *f);
/* Handles one getopt result if it is a shared flag: returns 1 (handled), 0 (not ours), or
 * -1 after printing an error for a bad value. */
int m2c_cli_rpc_flag(const char *cmd, m2c_cli_rpc_flags *f, int opt, const char *arg);
/* Opens a client; on failure prints the one-line error and returns 0. */
int m2c_cli_rpc_open(const char *cmd, const m2c_cli_rpc_flags *f, m2c_rpc **out);

/* The whole of a command that takes only the shared flags and -h and prints one quantity:
 * parses argv (-h: usage on stdout, exit 0; an unknown option: usage on stderr, exit 1),
 * refuses positional arguments, opens a client, calls `get` and prints the value in decimal.
 * Returns the exit code. */
int m2c_cli_rpc_print_quantity(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
                               m2c_status (*get)(m2c_rpc *c, uint64_t *out, m2c_err *err));

/* Decimal form of a u256 (into out, capacity >= 80). */
const char *m2c_cli_dec(char *out, const m2c_u256 *v);
/* Prints "0x" + hex of n bytes. */
void m2c_cli_print_hex(FILE *f, const uint8_t *p, size_t n);

/* Parses `sig` (a function signature, or "constructor(...)" for deployments) and the n text
 * arguments args[0..n) as cast takes them, and appends the encoding to `out`: selector and
 * arguments, or the arguments alone when with_selector is 0. *sig_out lives in `a`. On
 * failure prints one line and returns 0. */
int m2c_cli_encode_args(const char *cmd, m2c_arena *a, m2c_buf *out, m2c_abi_sig *sig_out,
                        const char *sig, char **args, int n, int with_selector);

/* Describes revert data: "Error(string)" as its reason, Panic(uint256) as "panic 0x11 (...)",
 * anything else as "custom error 0x<data>" (cut). Empty data: "no revert data". */
void m2c_cli_revert_reason(char *out, size_t cap, const uint8_t *data, size_t n);

/* Parses a wei amount as cast does ("1000", "0x10", "1.5ether", "2gwei"). */
int m2c_cli_parse_amount(m2c_u256 *out, const char *s, m2c_err *err);

#endif
