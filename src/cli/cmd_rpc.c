/* cmd_rpc.c: `ml2chain rpc <method> [params...]`: a raw JSON-RPC call, like `cast rpc`. Each
 * param is taken as JSON when it parses as JSON, else as a string; --raw takes one argument
 * that is the whole params array. Prints the result as JSON. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_rpc.h"
#include "ml2chain/json.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain rpc <METHOD> [PARAM...] [options]\n\n"
            "Sends one JSON-RPC request and prints its result as JSON. A PARAM that parses as\n"
            "JSON is sent as that value, otherwise as a string.\n\n"
            "options:\n"
            "      --raw              the single PARAM is the whole params array\n" M2C_CLI_RPC_HELP
            "  -h, --help             this help\n");
}

int m2c_cmd_rpc(int argc, char **argv) {
    static const struct option longopts[] = {M2C_CLI_RPC_LONGOPTS, {"raw", no_argument, NULL, 'R'},
                                             {"help", no_argument, NULL, 'h'}, {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    int raw = 0, opt;
    while ((opt = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag("rpc", &rf, opt, optarg);
        if (k < 0) return 1;
        if (k) continue;
        switch (opt) {
        case 'R': raw = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind >= argc) return m2c_cli_fail("rpc", "expected a method name (see --help)");
    const char *method = argv[optind++];
    m2c_err err;
    m2c_err_clear(&err);
    json_t *params = NULL, *res = NULL;
    int rc = 0;
    m2c_rpc *c = NULL;
    if (raw) {
        if (argc - optind != 1) return m2c_cli_fail("rpc", "--raw takes exactly one params argument");
        if (m2c_json_parse(&params, argv[optind], strlen(argv[optind]), 0, &err) != M2C_OK)
            return m2c_cli_fail("rpc", "params: %s", err.msg);
        if (!json_is_array(params) && !json_is_object(params)) {
            json_decref(params);
            return m2c_cli_fail("rpc", "params: expected a json array or object");
        }
    } else {
        params = json_array();
        for (int i = optind; i < argc; i++) {
            json_t *v = NULL;
            if (m2c_json_parse(&v, argv[i], strlen(argv[i]), 0, NULL) != M2C_OK) v = json_string(argv[i]);
            if (!v || json_array_append_new(params, v)) {
                json_decref(params);
                return m2c_cli_fail("rpc", "param %d is not valid UTF-8 text", i - optind + 1);
            }
        }
    }
    if (!m2c_cli_rpc_open("rpc", &rf, &c)) {
        rc = 1;
    } else if (m2c_rpc_call(c, &res, method, params, &err) != M2C_OK) {
        rc = m2c_cli_fail("rpc", "%s", err.msg);
    } else {
        json_dumpf(res, stdout, JSON_ENCODE_ANY | JSON_COMPACT);
        putchar('\n');
    }
    json_decref(res);
    json_decref(params);
    m2c_rpc_destroy(c);
    return rc;
}
