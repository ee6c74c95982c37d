/* cli_rpc.c: shared RPC flags and printing for the chain commands; see cli_rpc.h. */
#include "cli_rpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ml2chain/u256.h"

void m2c_cli_rpc_flags_init(m2c_cli_rpc_flags *f) {
    f->url = NULL;
    f->timeout_s = 0;
    f->retries = -1;
}

int m2c_cli_rpc_flag(const char *cmd, m2c_cli_rpc_flags *f, int opt, const char *arg) {
    char *end;
    switch (opt) {
    case M2C_OPT_RPC_URL:
        f->url = arg;
        return 1;
    case M2C_OPT_RPC_TIMEOUT:
        errno = 0;
        f->timeout_s = strtol(arg, &end, 10);
        if (*end || errno || f->timeout_s <= 0 || f->timeout_s > 86400) {
            m2c_cli_fail(cmd, "bad --rpc-timeout \"%s\": expected seconds in 1..86400", arg);
            return -1;
        }
        return 1;
    case M2C_OPT_RETRIES: {
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (*end || errno || v < 0 || v > 100) {
            m2c_cli_fail(cmd, "bad --retries \"%s\": expected 0..100", arg);
            return -1;
        }
        f->retries = (int)v;
        return 1;
    }
    default:
        return 0;
    }
}

int m2c_cli_rpc_open(const char *cmd, const m2c_cli_rpc_flags *f, m2c_rpc **out) {
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    if (f->timeout_s > 0) o.timeout_ms = f->timeout_s * 1000;
    if (f->retries >= 0) o.max_retries = f->retries;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_rpc_create(out, m2c_cli_rpc_url(f->url), &o, &err) != M2C_OK) {
        m2c_cli_fail(cmd, "%s", err.msg);
        return 0;
    }
    return 1;
}

const char *m2c_cli_dec(char *out, const m2c_u256 *v) {
    m2c_u256_to_dec(out, 80, v);
    return out;
}

void m2c_cli_print_hex(FILE *f, const uint8_t *p, size_t n) {
    fputs("0x", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x", p[i]);
}
