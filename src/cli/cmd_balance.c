/* cmd_balance.c: `ml2chain balance <addr>`: an account's balance in wei (eth_getBalance). */
#include <stdio.h>

#include "cli.h"
#include "cli_rpc.h"
#include "ml2chain/hex.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain balance <ADDRESS> [options]\n\nPrints the balance in wei.\n\n"
               "options:\n"
               "  -B, --block BLOCK      at this block (default latest)\n" M2C_CLI_RPC_HELP
               "  -h, --help             this help\n");
}

int m2c_cmd_balance(int argc, char **argv) {
    static const struct option longopts[] = {M2C_CLI_RPC_LONGOPTS,
                                             {"block", required_argument, NULL, 'B'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    m2c_err err;
    m2c_err_clear(&err);
    m2c_blockref at = m2c_blockref_latest();
    int opt;
    while ((opt = getopt_long(argc, argv, "r:B:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag("balance", &rf, opt, optarg);
        if (k < 0) return 1;
        if (k) continue;
        switch (opt) {
        case 'B':
            if (m2c_blockref_parse(&at, optarg, &err) != M2C_OK)
                return m2c_cli_fail("balance", "--block: %s", err.msg);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (argc - optind != 1) return m2c_cli_fail("balance", "expected one address (see --help)");
    m2c_addr20 a;
    if (m2c_addr_parse(&a, argv[optind], &err) != M2C_OK)
        return m2c_cli_fail("balance", "bad address \"%.80s\": %s", argv[optind], err.msg);
    m2c_rpc *c = NULL;
    if (!m2c_cli_rpc_open("balance", &rf, &c)) return 1;
    m2c_u256 v;
    int rc = 0;
    if (m2c_rpc_get_balance(c, &v, &a, &at, &err) != M2C_OK) {
        rc = m2c_cli_fail("balance", "%s", err.msg);
    } else {
        char buf[96];
        printf("%s\n", m2c_cli_dec(buf, &v));
    }
    m2c_rpc_destroy(c);
    return rc;
}
