/* cmd_abi.c: `ml2chain abi encode|decode`, the counterparts of `cast abi-encode` and
 * `cast abi-decode`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_abi.h"

static void usage_encode(FILE *f) {
    fprintf(f,
            "usage: ml2chain abi encode <sig> [args...]\n\n"
            "ABI-encodes the arguments as the parameters of <sig> (no selector), like\n"
            "`cast abi-encode`:  ml2chain abi encode \"f(uint256,address[],(bool,string))\" \\\n"
            "    1 \"[0x..,0x..]\" \"(true,hello)\"\n"
            "Arguments: integers in decimal or 0x-hex (1e18, \"1 ether\" too), addresses,\n"
            "true|false, hex bytes, strings as given, [a, b] arrays, (a, b) tuples.\n"
            "See docs/abi.md. Options must come before <sig>, so negative numbers pass.\n");
}

static void usage_decode(FILE *f) {
    fprintf(f,
            "usage: ml2chain abi decode [--input] [--lenient] [--names] <sig> <data>\n\n"
            "Decodes ABI data, printing one value per line as `cast abi-decode` does.\n"
            "Without --input the outputs of <sig> are decoded (\"balanceOf(address)(uint256)\"),\n"
            "or its parameters when it declares no outputs. With --input, <data> is calldata:\n"
            "a 4-byte selector (which must match <sig>) then the encoded parameters.\n"
            "  --input     decode calldata against the parameters of <sig>\n"
            "  --lenient   accept non-canonical padding and bools, as cast does (docs/abi.md)\n"
            "  --names     print \"name: value\" lines\n");
}

static int run_encode(int argc, char **argv) {
    const char *cmd = "abi encode";
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage_encode(stdout);
        return 0;
    }
    int i = 1;
    if (i < argc && !strcmp(argv[i], "--")) i++;
    if (i >= argc) {
        usage_encode(stderr);
        return 1;
    }
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
    if (m2c_abi_encode(&out, &args, &e) != M2C_OK) {
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

static int run_decode(int argc, char **argv) {
    const char *cmd = "abi decode";
    static const struct option opts[] = {{"input", no_argument, NULL, 'i'},
                                         {"lenient", no_argument, NULL, 'l'},
                                         {"names", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int input = 0, names = 0, c;
    unsigned flags = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': input = 1; break;
        case 'l': flags |= M2C_ABI_LENIENT; break;
        case 'n': names = 1; break;
        case 'h': usage_decode(stdout); return 0;
        default: usage_decode(stderr); return 1;
        }
    }
    if (argc - optind != 2) {
        usage_decode(stderr);
        return 1;
    }
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig sig;
    m2c_abi_value v;
    m2c_err e;
    m2c_err_clear(&e);
    uint8_t *data;
    size_t len;
    int rc = 1;
    if (m2c_cli_abi_sig(cmd, &a, &sig, argv[optind], M2C_ABI_FUNCTION)) goto out;
    if (m2c_cli_abi_hex(cmd, &a, &data, &len, "data", argv[optind + 1])) goto out;
    const m2c_abi_type *t = sig.outputs->n_fields && !input ? sig.outputs : sig.inputs;
    if (input) {
        if (len < 4) {
            rc = m2c_cli_fail(cmd, "calldata too short for a selector (%zu < 4 bytes)", len);
            goto out;
        }
        if (memcmp(data, sig.selector, 4) != 0) {
            rc = m2c_cli_fail(cmd,
                              "selector 0x%02x%02x%02x%02x is not %s's (0x%02x%02x%02x%02x)",
                              data[0], data[1], data[2], data[3], sig.canonical, sig.selector[0],
                              sig.selector[1], sig.selector[2], sig.selector[3]);
            goto out;
        }
        data += 4;
        len -= 4;
    }
    if (m2c_abi_decode(&a, &v, t, data, len, flags, &e) != M2C_OK) {
        if (input && e.offset != (size_t)-1) e.offset += 4;
        rc = m2c_cli_fail_err(cmd, &e, "cannot decode %s", input ? "calldata" : "data");
        goto out;
    }
    rc = m2c_cli_abi_print(cmd, &v, names);
out:
    m2c_arena_free(&a);
    return rc;
}

int m2c_cmd_abi(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "encode")) return run_encode(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "decode")) return run_decode(argc - 1, argv + 1);
    FILE *f = argc >= 2 && strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? stderr : stdout;
    fprintf(f, "usage: ml2chain abi encode <sig> [args...]\n"
               "       ml2chain abi decode [--input] [--lenient] [--names] <sig> <data>\n"
               "`ml2chain abi encode --help` and `ml2chain abi decode --help` say more.\n");
    if (f == stderr && argc >= 2)
        return m2c_cli_fail("abi", "unknown subcommand '%s' (encode or decode)", argv[1]);
    return f == stdout ? 0 : 1;
}
