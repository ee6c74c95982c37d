/* keyarg.h: the Foundry-style key flags the signing subcommands share (--private-key,
 * --keystore + --password-file, env ETH_KEYSTORE / ETH_PASSWORD as cast reads them) and the
 * one function that turns them into a loaded key. Only src/cli/ includes this. */
#ifndef ML2CHAIN_CLI_KEYARG_H
#define ML2CHAIN_CLI_KEYARG_H

#include "ml2chain/key.h"

typedef struct {
    const char *private_key;   /* --private-key (hex) */
    const char *keystore;      /* --keystore FILE, else $ETH_KEYSTORE */
    const char *password_file; /* --password-file FILE, else $ETH_PASSWORD (a path, as cast) */
} m2c_cli_keyarg;

/* getopt_long option ids for the shared flags; commands put M2C_CLI_KEY_OPTIONS in their
 * option table and pass unknown ids to m2c_cli_keyarg_opt. */
enum { M2C_OPT_PRIVATE_KEY = 0x1000, M2C_OPT_KEYSTORE, M2C_OPT_PASSWORD_FILE };
#define M2C_CLI_KEY_OPTIONS                                                                \
    {"private-key", required_argument, 0, M2C_OPT_PRIVATE_KEY},                            \
        {"keystore", required_argument, 0, M2C_OPT_KEYSTORE},                              \
        {"password-file", required_argument, 0, M2C_OPT_PASSWORD_FILE}

/* Records a shared flag; returns 1 if `opt` was one of them, else 0. */
int m2c_cli_keyarg_opt(m2c_cli_keyarg *a, int opt, const char *value);

/* Help text for the shared flags (one paragraph, ends with a newline). */
extern const char m2c_cli_keyarg_help[];

/* Loads the key the flags name into *out. On failure prints one line
 * "ml2chain <cmd>: ..." and returns 1; returns 0 on success. The caller wipes *out. */
int m2c_cli_load_key(const char *cmd, m2c_key *out, const m2c_cli_keyarg *a);

/* Reads the password for a new keystore from --password-file / $ETH_PASSWORD into pw
 * (capacity cap). Prints the error and returns 1 on failure. The caller wipes pw. */
int m2c_cli_read_password(const char *cmd, char *pw, size_t cap, size_t *len,
                          const char *password_file);

#endif
