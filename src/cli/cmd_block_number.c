/* cmd_block_number.c: `ml2chain block-number`: the number of the latest block (eth_blockNumber), in decimal. */
#include <stdio.h>

#include "cli.h"
#include "cli_rpc.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain block-number [options]\n\nPrints the number of the latest block.\n\n"
               "options:\n" M2C_CLI_RPC_HELP "  -h, --help             this help\n");
}

int m2c_cmd_block_number(int argc, char **argv) {
    static const struct option longopts[] = {M2C_CLI_RPC_LONGOPTS, {"help", no_argument, NULL, 'h'}, {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    int opt;
    while ((opt = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag("block-number", &rf, opt, optarg);
        if (k < 0) return 1;
        if (k) continue;
        if (opt == 'h') {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 1;
    }
    if (optind != argc) return m2c_cli_fail("block-number", "unexpected argument \"%s\"", argv[optind]);
    m2c_rpc *c = NULL;
    if (!m2c_cli_rpc_open("block-number", &rf, &c)) return 1;
    uint64_t id;
    m2c_err err;
    m2c_err_clear(&err);
    int rc = 0;
    if (m2c_rpc_block_number(c, &id, &err) != M2C_OK)
        rc = m2c_cli_fail("block-number", "%s", err.msg);
    else
        printf("%llu\n", (unsigned long long)id);
    m2c_rpc_destroy(c);
    return rc;
}
