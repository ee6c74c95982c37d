/* cmd_block_number.c: `ml2chain block-number`: the number of the latest block (eth_blockNumber), in
 * decimal. */
#include <stdio.h>

#include "cli.h"
#include "cli_rpc.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain block-number [options]\n\nPrints the number of the latest block.\n\n"
            "options:\n" M2C_CLI_RPC_HELP "  -h, --help             this help\n");
}

int m2c_cmd_block_number(int argc, char **argv) {
    return m2c_cli_rpc_print_quantity("block-number", argc, argv, usage, m2c_rpc_block_number);
}
