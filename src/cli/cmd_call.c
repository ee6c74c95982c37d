/* cmd_call.c: `ml2chain call <to> <sig> [args...]`: a read-only contract call (eth_call),
 * like `cast call`: arguments encoded from their text, return values decoded and printed one
 * per line when the signature declares them (`f(uint256)(address,bool)` or `... returns
 * (...)`), else the raw return data. A revert exits 1 with its decoded reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_rpc.h"
#include "ml2chain/hex.h"

#define CMD "call"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain call <TO> <SIG> [ARGS...] [options]\n\n"
            "Calls a contract function without sending a transaction and prints what it\n"
            "returns. SIG is like \"balanceOf(address)(uint256)\"; without outputs the raw\n"
            "return data is printed. Arguments take cast's text forms; put negative numbers\n"
            "after \"--\".\n\n"
            "options:\n"
            "      --from ADDR        caller address\n"
            "      --value V          wei sent with the call (1ether, 2gwei, ...)\n"
            "  -B, --block BLOCK      at this block (default latest)\n"
            "      --data HEX         raw calldata instead of SIG and ARGS\n" M2C_CLI_RPC_HELP
            "  -h, --help             this help\n");
}

enum { OPT_FROM = 0x3000, OPT_VALUE, OPT_DATA };

int m2c_cmd_call(int argc, char **argv) {
    static const struct option longopts[] = {
        M2C_CLI_RPC_LONGOPTS,
        {"from", required_argument, NULL, OPT_FROM},
        {"value", required_argument, NULL, OPT_VALUE},
        {"data", required_argument, NULL, OPT_DATA},
        {"block", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    m2c_err err;
    m2c_err_clear(&err);
    m2c_blockref at = m2c_blockref_latest();
    const char *from_s = NULL, *value_s = NULL, *data_s = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "r:B:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag(CMD, &rf, opt, optarg);
        if (k < 0) return 1;
        if (k) continue;
        switch (opt) {
        case OPT_FROM: from_s = optarg; break;
        case OPT_VALUE: value_s = optarg; break;
        case OPT_DATA: data_s = optarg; break;
        case 'B':
            if (m2c_blockref_parse(&at, optarg, &err) != M2C_OK)
                return m2c_cli_fail(CMD, "--block: %s", err.msg);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    int npos = argc - optind;
    if (npos < 1 || (!data_s && npos < 2))
        return m2c_cli_fail(CMD, "expected <TO> <SIG> [ARGS...] (see --help)");
    if (data_s && npos > 1) return m2c_cli_fail(CMD, "--data replaces SIG and ARGS");
    m2c_addr20 to, from;
    if (m2c_addr_parse(&to, argv[optind], &err) != M2C_OK)
        return m2c_cli_fail(CMD, "bad address \"%.80s\": %s", argv[optind], err.msg);
    if (from_s && m2c_addr_parse(&from, from_s, &err) != M2C_OK)
        return m2c_cli_fail(CMD, "bad --from \"%.80s\": %s", from_s, err.msg);
    m2c_u256 value;
    if (value_s && !m2c_cli_parse_amount(&value, value_s, &err))
        return m2c_cli_fail(CMD, "bad --value \"%.80s\": %s", value_s, err.msg);

    int rc = 1;
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_buf calldata, text;
    m2c_buf_init(&calldata, 0);
    m2c_buf_init(&text, 0);
    m2c_rpc *c = NULL;
    uint8_t *ret = NULL, *raw = NULL;
    size_t ret_len = 0, raw_len = 0;
    m2c_abi_sig sig;
    memset(&sig, 0, sizeof sig);
    if (data_s) {
        if (m2c_hex_decode_alloc(&raw, &raw_len, data_s, strlen(data_s), M2C_HEX_PREFIX_OPTIONAL, &err) != M2C_OK) {
            m2c_cli_fail(CMD, "bad --data: %s", err.msg);
            goto out;
        }
        if (m2c_buf_append(&calldata, raw, raw_len) != M2C_OK) goto out;
    } else if (!m2c_cli_encode_args(CMD, &a, &calldata, &sig, argv[optind + 1], argv + optind + 2,
                                    npos - 2, 1)) {
        goto out;
    }
    if (!m2c_cli_rpc_open(CMD, &rf, &c)) goto out;
    m2c_rpc_callmsg msg = {.from = from_s ? &from : NULL, .to = &to, .data = calldata.p,
                           .data_len = calldata.len, .value = value_s ? &value : NULL};
    m2c_status st = m2c_rpc_eth_call(c, &ret, &ret_len, &msg, &at, &err);
    if (st == M2C_ERR_RPC && ret) {
        char why[256];
        m2c_cli_revert_reason(why, sizeof why, ret, ret_len);
        m2c_cli_fail(CMD, "execution reverted: %s", why);
        goto out;
    }
    if (st != M2C_OK) {
        m2c_cli_fail(CMD, "%s", err.msg);
        goto out;
    }
    if (!data_s && sig.outputs && sig.outputs->n_fields > 0) {
        m2c_abi_value v;
        uint8_t *code = NULL;
        size_t code_len = 0;
        if (ret_len == 0 && m2c_rpc_get_code(c, &code, &code_len, &to, &at, &err) == M2C_OK && code_len == 0) {
            char a20[43];
            m2c_addr_checksum(a20, &to);
            m2c_cli_fail(CMD, "no contract at %s (empty code), nothing to decode", a20);
            free(code);
            goto out;
        }
        free(code);
        if (m2c_abi_decode(&a, &v, sig.outputs, ret, ret_len, 0, &err) != M2C_OK) {
            m2c_cli_fail(CMD, "cannot decode the return data (%zu bytes) as %s: %s", ret_len,
                         sig.canonical, err.msg);
            goto out;
        }
        for (size_t i = 0; i < v.n; i++) {
            m2c_buf_reset(&text);
            if (m2c_abi_value_format(&text, &v.items[i]) != M2C_OK) {
                m2c_cli_fail(CMD, "out of memory");
                goto out;
            }
            printf("%s\n", text.len ? (const char *)text.p : "");
        }
    } else {
        m2c_cli_print_hex(stdout, ret, ret_len);
        putchar('\n');
    }
    rc = 0;
out:
    free(ret);
    free(raw);
    m2c_rpc_destroy(c);
    m2c_buf_free(&calldata);
    m2c_buf_free(&text);
    m2c_arena_free(&a);
    return rc;
}
