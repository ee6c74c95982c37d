/* cmd_chain_id.c: `ml2chain chain-id`: the node's chain id (eth_chainId), in decimal. */
#include <stdio.h>

#include "cli.h"
#include "cli_rpc.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain chain-id [options]\n\nPrints the chain id of the node.\n\n"
               "options:\n" M2C_CLI_RPC_HELP "  -h, --help             this help\n");
}

int m2c_cmd_chain_id(int argc, char **argv) {
    return m2c_cli_rpc_print_quantity("chain-id", argc, argv, usage, m2c_rpc_chain_id);
}
