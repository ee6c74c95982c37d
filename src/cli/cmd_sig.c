/* cmd_sig.c: `ml2chain sig <sig>`, like `cast sig`: the 4-byte selector of a function. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_abi.h"

int m2c_cmd_sig(int argc, char **argv) {
    if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: ml2chain sig <sig>\n\n"
                "Prints the 4-byte selector of a function signature, like `cast sig`:\n"
                "  ml2chain sig \"transfer(address,uint256)\"            0xa9059cbb\n"
                "  ml2chain sig \"function transfer(address to, uint amount) returns (bool)\"\n");
        return argc == 2 ? 0 : 1;
    }
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig sig;
    int rc = 1;
    if (!m2c_cli_abi_sig("sig", &a, &sig, argv[1], M2C_ABI_FUNCTION)) {
        printf("0x%02x%02x%02x%02x\n", sig.selector[0], sig.selector[1], sig.selector[2],
               sig.selector[3]);
        rc = 0;
    }
    m2c_arena_free(&a);
    return rc;
}
