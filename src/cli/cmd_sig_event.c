/* cmd_sig_event.c: `ml2chain sig-event <sig>`, like `cast sig-event`: an event's topic0. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_abi.h"

int m2c_cmd_sig_event(int argc, char **argv) {
    if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: ml2chain sig-event <sig>\n\n"
                "Prints the topic0 (keccak-256 of the canonical signature) of an event, like\n"
                "`cast sig-event`:\n"
                "  ml2chain sig-event \"Transfer(address indexed,address indexed,uint256)\"\n"
                "  ml2chain sig-event \"event Transfer(address indexed from, address indexed "
                "to, uint256 value)\"\n");
        return argc == 2 ? 0 : 1;
    }
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig sig;
    int rc = 1;
    if (!m2c_cli_abi_sig("sig-event", &a, &sig, argv[1], M2C_ABI_EVENT)) {
        m2c_cli_abi_print_hex(sig.topic0.b, 32);
        rc = 0;
    }
    m2c_arena_free(&a);
    return rc;
}
