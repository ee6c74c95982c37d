/* cli.c: shared helpers for subcommands; see cli.h. */
#include "cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int m2c_cli_fail(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "ml2chain %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int m2c_cli_fail_err(const char *cmd, const m2c_err *err, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "ml2chain %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err && err->msg[0])
        fprintf(stderr, ": %s\n", err->msg);
    else
        fprintf(stderr, ": %s\n", m2c_status_str(err ? err->code : M2C_ERR_INVALID));
    return 1;
}

int m2c_cli_uint(const char *cmd, const char *flag, const char *v, unsigned long long min,
                 unsigned long long max, const char *unit, unsigned long long *out) {
    unsigned long long x = 0;
    int ok = *v != 0;
    for (const char *p = v; ok && *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        ok = d <= 9 && x <= (ULLONG_MAX - d) / 10;
        x = x * 10 + d;
    }
    if (!ok || x < min || x > max)
        return m2c_cli_fail(cmd, "bad %s \"%.40s\": expected %llu..%llu%s%s", flag, v, min, max,
                            unit ? " " : "", unit ? unit : "");
    *out = x;
    return 0;
}

const char *m2c_cli_rpc_url(const char *flag_value) {
    if (flag_value && *flag_value) return flag_value;
    const char *env = getenv("ETH_RPC_URL");
    if (env && *env) return env;
    return "http://127.0.0.1:8545";
}

int m2c_cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
    return 0;
}
