/* keyarg.c: shared key flags for signing subcommands; see keyarg.h. */
#include "keyarg.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ml2chain/keystore.h"

const char m2c_cli_keyarg_help[] =
    "key (one of):\n"
    "  --private-key KEY      hex private key, 0x optional (visible to other local users\n"
    "                         through the process list; prefer a keystore)\n"
    "  --keystore FILE        Web3 v3 keystore file (env ETH_KEYSTORE)\n"
    "  --password-file FILE   file holding the keystore password; trailing whitespace is\n"
    "                         ignored (env ETH_PASSWORD, a path, as cast reads it)\n";

int m2c_cli_keyarg_opt(m2c_cli_keyarg *a, int opt, const char *value) {
    switch (opt) {
    case M2C_OPT_PRIVATE_KEY: a->private_key = value; return 1;
    case M2C_OPT_KEYSTORE: a->keystore = value; return 1;
    case M2C_OPT_PASSWORD_FILE: a->password_file = value; return 1;
    }
    return 0;
}

static const char *env_or(const char *v, const char *env) {
    if (v && *v) return v;
    const char *e = getenv(env);
    return e && *e ? e : NULL;
}

int m2c_cli_read_password(const char *cmd, char *pw, size_t cap, size_t *len,
                          const char *password_file) {
    m2c_err err;
    const char *pf = env_or(password_file, "ETH_PASSWORD");
    if (!pf) return m2c_cli_fail(cmd, "no password: use --password-file FILE (or ETH_PASSWORD)");
    if (m2c_keystore_read_password(pw, cap, len, pf, &err) != M2C_OK)
        return m2c_cli_fail_err(cmd, &err, "cannot read password");
    return 0;
}

int m2c_cli_load_key(const char *cmd, m2c_key *out, const m2c_cli_keyarg *a) {
    m2c_err err;
    m2c_key_wipe(out);
    const char *ks = env_or(a->keystore, "ETH_KEYSTORE");
    if (a->private_key && a->keystore)
        return m2c_cli_fail(cmd, "give either --private-key or --keystore, not both");
    if (a->private_key) {
        if (m2c_key_parse(out, a->private_key, &err) != M2C_OK)
            return m2c_cli_fail_err(cmd, &err, "invalid --private-key");
        return 0;
    }
    if (!ks)
        return m2c_cli_fail(cmd, "no key given: use --private-key KEY or --keystore FILE with "
                                 "--password-file FILE");
    char pw[M2C_KEYSTORE_MAX_PASSWORD + 1];
    size_t pwlen = 0;
    int rc = m2c_cli_read_password(cmd, pw, sizeof pw, &pwlen, a->password_file);
    if (rc == 0 && m2c_keystore_load_file(out, ks, pw, pwlen, &err) != M2C_OK)
        rc = m2c_cli_fail_err(cmd, &err, "cannot unlock keystore");
    m2c_wipe(pw, sizeof pw);
    return rc;
}
