/* cmd_calldata.c: `ml2chain calldata <sig> [args...]`, like `cast calldata`: the selector
 * of <sig> followed by the ABI-encoded arguments. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_abi.h"

int m2c_cmd_calldata(int argc, char **argv) {
    const char *cmd = "calldata";
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: ml2chain calldata <sig> [args...]\n\n"
                "Prints the calldata of a call: the 4-byte selector of <sig> and the encoded\n"
                "arguments, like `cast calldata`:\n"
                "  ml2chain calldata \"transfer(address,uint256)\" 0x... 1000\n"
                "Arguments take the forms of `ml2chain abi encode` (see docs/abi.md).\n");
        return argc < 2 ? 1 : 0;
    }
    int i = 1;
    if (!strcmp(argv[i], "--") && ++i >= argc) return m2c_cli_fail(cmd, "missing <sig>");
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig sig;
    m2c_abi_value args;
    m2c_buf out;
    m2c_buf_init(&out, 0);
    m2c_err e;
    m2c_err_clear(&e);
    int rc = 1;
    if (m2c_cli_abi_sig(cmd, &a, &sig, argv[i], M2C_ABI_FUNCTION)) goto out;
    if (m2c_cli_abi_args(cmd, &a, &args, sig.inputs, argc - i - 1, argv + i + 1)) goto out;
    if (m2c_abi_encode_call(&out, &sig, &args, &e) != M2C_OK) {
        rc = m2c_cli_fail_err(cmd, &e, "cannot encode");
        goto out;
    }
    m2c_cli_abi_print_hex(out.p, out.len);
    rc = 0;
out:
    m2c_buf_free(&out);
    m2c_arena_free(&a);
    return rc;
}
