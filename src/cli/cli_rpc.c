/* cli_rpc.c: shared RPC flags and printing for the chain commands; see cli_rpc.h. */
#include "cli_rpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "contract_errors.h" /* the contracts' custom errors, generated from contracts/src */
#include "ml2chain/hex.h"
#include "ml2chain/u256.h"

void m2c_cli_rpc_flags_init(m2c_cli_rpc_flags *f) {
    f->url = NULL;
    f->timeout_s = 0;
    f->retries = -1;
}

int m2c_cli_rpc_flag(const char *cmd, m2c_cli_rpc_flags *f, int opt, const char *arg) {
    char *end;
    switch (opt) {
    case M2C_OPT_RPC_URL: f->url = arg; return 1;
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
    default: return 0;
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

int m2c_cli_rpc_print_quantity(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
                               m2c_status (*get)(m2c_rpc *c, uint64_t *out, m2c_err *err)) {
    static const struct option longopts[] = {
        M2C_CLI_RPC_LONGOPTS, {"help", no_argument, NULL, 'h'}, {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    int opt;
    while ((opt = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag(cmd, &rf, opt, optarg);
        if (k < 0) return 1;
        if (k) continue;
        if (opt == 'h') {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 1;
    }
    if (optind != argc) return m2c_cli_fail(cmd, "unexpected argument \"%s\"", argv[optind]);
    m2c_rpc *c = NULL;
    if (!m2c_cli_rpc_open(cmd, &rf, &c)) return 1;
    uint64_t v;
    m2c_err err;
    m2c_err_clear(&err);
    int rc = 0;
    if (get(c, &v, &err) != M2C_OK)
        rc = m2c_cli_fail(cmd, "%s", err.msg);
    else
        printf("%llu\n", (unsigned long long)v);
    m2c_rpc_destroy(c);
    return rc;
}

const char *m2c_cli_dec(char *out, const m2c_u256 *v) {
    m2c_u256_to_dec(out, 80, v);
    return out;
}

void m2c_cli_print_hex(FILE *f, const uint8_t *p, size_t n) {
    fputs("0x", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
}

int m2c_cli_encode_args(const char *cmd, m2c_arena *a, m2c_buf *out, m2c_abi_sig *sig_out,
                        const char *sig, char **args, int n, int with_selector) {
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_abi_sig_parse(a, sig_out, sig, M2C_ABI_FUNCTION, &err) != M2C_OK) {
        m2c_cli_fail(cmd, "bad signature \"%.100s\": %s", sig, err.msg);
        return 0;
    }
    const m2c_abi_type *in = sig_out->inputs;
    if ((size_t)n != in->n_fields) {
        m2c_cli_fail(cmd, "%s takes %zu argument%s, got %d", sig_out->canonical, in->n_fields,
                     in->n_fields == 1 ? "" : "s", n);
        return 0;
    }
    m2c_abi_value tuple;
    memset(&tuple, 0, sizeof tuple);
    tuple.type = in;
    tuple.n = in->n_fields;
    tuple.items = m2c_arena_calloc(a, tuple.n ? tuple.n : 1, sizeof *tuple.items);
    if (!tuple.items) {
        m2c_cli_fail(cmd, "out of memory");
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (m2c_abi_value_parse(a, &tuple.items[i], in->fields[i].type, args[i], &err) != M2C_OK) {
            m2c_cli_fail(cmd, "argument %d \"%.80s\": %s", i + 1, args[i], err.msg);
            return 0;
        }
    }
    m2c_status st = with_selector ? m2c_abi_encode_call(out, sig_out, &tuple, &err)
                                  : m2c_abi_encode(out, &tuple, &err);
    if (st != M2C_OK) {
        m2c_cli_fail(cmd, "cannot encode the arguments: %s", err.msg);
        return 0;
    }
    return 1;
}

void m2c_cli_revert_reason(char *out, size_t cap, const uint8_t *d, size_t n) {
    enum { NERR = sizeof m2c_contract_errors / sizeof m2c_contract_errors[0] };
    m2c_arena a;
    m2c_arena_init(&a, 1 << 20);
    m2c_abi_sig errs[NERR];
    size_t k = 0;
    for (size_t i = 0; i < NERR; i++)
        if (m2c_abi_sig_parse(&a, &errs[k], m2c_contract_errors[i], M2C_ABI_ERROR, NULL) ==
            M2C_OK)
            k++;
    m2c_buf b;
    m2c_buf_init(&b, 1 << 16);
    if (n == 0) {
        snprintf(out, cap, "no revert data");
    } else if (m2c_abi_revert_reason(&b, d, n, errs, k) != M2C_OK ||
               (b.len >= 2 && b.p[0] == '0' && b.p[1] == 'x')) {
        /* not Error(string), Panic(uint256) or one of ours: the selector and data, cut */
        char hex[2 * 68 + 3];
        size_t shown = n > 68 ? 68 : n;
        m2c_hex_encode(hex, d, shown, 1);
        snprintf(out, cap, "custom error %s%s", hex, n > shown ? "..." : "");
    } else {
        size_t o = 0; /* untrusted text from the chain: printable only */
        for (size_t i = 0; i < b.len && o + 1 < cap; i++)
            out[o++] = (b.p[i] < 0x20 || b.p[i] == 0x7f) ? '?' : (char)b.p[i];
        if (cap) out[o] = 0;
    }
    m2c_buf_free(&b);
    m2c_arena_free(&a);
}

int m2c_cli_parse_amount(m2c_u256 *out, const char *s, m2c_err *err) {
    /* number [unit]: units wei, gwei, ether (any case, optional space); a decimal fraction
     * only with a unit, and only as many digits as the unit has decimals. */
    static const struct {
        const char *name;
        unsigned decimals;
    } units[] = {{"wei", 0}, {"gwei", 9}, {"ether", 18}};
    size_t n = strlen(s), num = n;
    while (num > 0 &&
           ((s[num - 1] >= 'a' && s[num - 1] <= 'z') || (s[num - 1] >= 'A' && s[num - 1] <= 'Z')))
        num--;
    unsigned decimals = 0;
    if (num < n) {
        if (num >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            num = n; /* hex digits, not a unit */
        } else {
            size_t u = 0, k = sizeof units / sizeof units[0];
            for (; u < k; u++)
                if (strlen(units[u].name) == n - num &&
                    !strncasecmp(units[u].name, s + num, n - num))
                    break;
            if (u == k) {
                m2c_err_set(err, M2C_ERR_INVALID, "unknown unit \"%s\" (wei, gwei, ether)",
                            s + num);
                return 0;
            }
            decimals = units[u].decimals;
        }
    }
    while (num > 0 && s[num - 1] == ' ')
        num--;
    char digits[100];
    const char *dot = memchr(s, '.', num);
    size_t ip = dot ? (size_t)(dot - s) : num, fp = dot ? num - ip - 1 : 0;
    if (ip == 0 || ip + decimals + 1 > sizeof digits || (dot && fp > decimals) ||
        (dot && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
        m2c_err_set(err, M2C_ERR_INVALID, "expected a number with an optional unit");
        return 0;
    }
    memcpy(digits, s, ip);
    size_t o = ip;
    if (decimals) {
        for (size_t i = 0; i < decimals; i++)
            digits[o++] = i < fp ? dot[1 + i] : '0';
    }
    return m2c_u256_parse(out, digits, o, err) == M2C_OK;
}
