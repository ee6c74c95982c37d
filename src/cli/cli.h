/* cli.h: what the subcommands share: the command table entry, error printing in the
 * project's one-line style, and Foundry-style resolution of common flags from the
 * environment. Only src/cli/ includes this; the library never prints or exits. */
#ifndef ML2CHAIN_CLI_H
#define ML2CHAIN_CLI_H

#include "ml2chain/err.h"

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} m2c_cli_cmd;

/* Prints "ml2chain <cmd>: <message>" on stderr and returns 1 (the exit code for errors). */
int m2c_cli_fail(const char *cmd, const char *fmt, ...) M2C_PRINTF(2, 3);
/* As m2c_cli_fail, with ": <err->msg>" appended (or the status name if msg is empty). */
int m2c_cli_fail_err(const char *cmd, const m2c_err *err, const char *fmt, ...)
    M2C_PRINTF(3, 4);

/* Parses v, the value of `flag`, as a whole decimal number in min..max: digits only (no sign,
 * space, fraction or suffix). Returns 0 with *out set; otherwise prints "ml2chain <cmd>: bad
 * <flag> \"<v>\": expected min..max[ unit]" and returns 1 (*out untouched). unit may be NULL. */
int m2c_cli_uint(const char *cmd, const char *flag, const char *v, unsigned long long min,
                 unsigned long long max, const char *unit, unsigned long long *out);

/* --rpc-url value if given, else $ETH_RPC_URL, else "http://127.0.0.1:8545". */
const char *m2c_cli_rpc_url(const char *flag_value);

/* True when argv has -h or --help. */
int m2c_cli_wants_help(int argc, char **argv);

#endif
