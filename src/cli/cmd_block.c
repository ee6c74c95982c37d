/* cmd_block.c: `ml2chain block [BLOCK]`: a block's header fields (like `cast block`), one
 * field with -f, or the node's JSON with --json. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_rpc.h"
#include "ml2chain/hex.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain block [BLOCK] [options]\n\n"
            "Prints a block (default latest; a number, 0x number, latest, earliest, pending,\n"
            "safe or finalized).\n\n"
            "options:\n"
            "  -f, --field NAME       print one field: number, hash, parentHash, timestamp,\n"
            "                         baseFeePerGas, gasUsed, gasLimit, miner, transactions\n"
            "      --full             fetch full transactions (with --json)\n"
            "  -j, --json             print the block as the node returned it\n" M2C_CLI_RPC_HELP
            "  -h, --help             this help\n");
}

static const char *const FIELDS[] = {"number",  "hash",     "parentHash", "timestamp",
                                     "baseFeePerGas", "gasUsed", "gasLimit", "miner",
                                     "transactions"};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

static void print_field(const m2c_rpc_block *b, size_t i) {
    char buf[96];
    switch (i) {
    case 0: printf("%llu", (unsigned long long)b->number); break;
    case 1: m2c_cli_print_hex(stdout, b->hash.b, 32); break;
    case 2: m2c_cli_print_hex(stdout, b->parent_hash.b, 32); break;
    case 3: printf("%llu", (unsigned long long)b->timestamp); break;
    case 4: fputs(b->has_base_fee ? m2c_cli_dec(buf, &b->base_fee_per_gas) : "", stdout); break;
    case 5: printf("%llu", (unsigned long long)b->gas_used); break;
    case 6: printf("%llu", (unsigned long long)b->gas_limit); break;
    case 7:
        m2c_addr_checksum(buf, &b->miner);
        fputs(buf, stdout);
        break;
    case 8: printf("%zu", b->tx_count); break;
    }
}

int m2c_cmd_block(int argc, char **argv) {
    static const struct option longopts[] = {
        M2C_CLI_RPC_LONGOPTS,           {"field", required_argument, NULL, 'f'},
        {"full", no_argument, NULL, 'F'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'}, {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    const char *field = NULL;
    int full = 0, json = 0, opt;
    while ((opt = getopt_long(argc, argv, "r:f:jh", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag("block", &rf, opt, optarg);
        if (k < 0) return 1;
        if (k) continue;
        switch (opt) {
        case 'f': field = optarg; break;
        case 'F': full = 1; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (argc - optind > 1) return m2c_cli_fail("block", "unexpected argument \"%s\"", argv[optind + 1]);
    m2c_err err;
    m2c_err_clear(&err);
    m2c_blockref at = m2c_blockref_latest();
    if (optind < argc && m2c_blockref_parse(&at, argv[optind], &err) != M2C_OK)
        return m2c_cli_fail("block", "%s", err.msg);
    size_t fi = NFIELDS;
    if (field) {
        for (fi = 0; fi < NFIELDS && strcmp(FIELDS[fi], field); fi++) {
        }
        if (fi == NFIELDS) return m2c_cli_fail("block", "unknown field \"%s\" (see --help)", field);
    }
    m2c_rpc *c = NULL;
    if (!m2c_cli_rpc_open("block", &rf, &c)) return 1;
    int rc = 0;
    if (json) {
        char ref[24];
        m2c_blockref_format(ref, &at);
        json_t *params = json_pack("[sb]", ref, full), *res = NULL;
        if (m2c_rpc_call(c, &res, "eth_getBlockByNumber", params, &err) != M2C_OK) {
            rc = m2c_cli_fail("block", "%s", err.msg);
        } else if (json_is_null(res)) {
            rc = m2c_cli_fail("block", "no block %s", ref);
        } else {
            json_dumpf(res, stdout, JSON_INDENT(2));
            putchar('\n');
        }
        json_decref(res);
        json_decref(params);
    } else {
        m2c_rpc_block b;
        if (m2c_rpc_get_block(c, &b, &at, 0, &err) != M2C_OK) {
            rc = m2c_cli_fail("block", "%s", err.msg);
        } else if (fi < NFIELDS) {
            print_field(&b, fi);
            putchar('\n');
        } else {
            for (size_t i = 0; i < NFIELDS; i++) {
                printf("%-15s ", FIELDS[i]);
                print_field(&b, i);
                putchar('\n');
            }
        }
        m2c_rpc_block_free(&b);
    }
    m2c_rpc_destroy(c);
    return rc;
}
