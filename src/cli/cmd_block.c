/* cmd_block.c: `ml2chain block [BLOCK]`: a block's header fields (like `cast block`), one
 * field with -f, or the node's JSON with --json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_rpc.h"
#include "ml2chain/hex.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain block [BLOCK...] [options]\n\n"
               "Prints a block (default latest; a number, 0x number, latest, earliest, pending,\n"
               "safe or finalized). Several block numbers are fetched in JSON-RPC batches.\n\n"
               "options:\n"
               "  -f, --field NAME       print one field: number, hash, parentHash, timestamp,\n"
               "                         baseFeePerGas, gasUsed, gasLimit, miner, transactions\n"
               "      --full             fetch full transactions (with --json)\n"
               "  -j, --json             print the block as the node returned it\n" M2C_CLI_RPC_HELP
               "  -h, --help             this help\n");
}

static const char *const FIELDS[] = {"number",    "hash",          "parentHash",
                                     "timestamp", "baseFeePerGas", "gasUsed",
                                     "gasLimit",  "miner",         "transactions"};
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

static void print_block(const m2c_rpc_block *b, size_t fi) {
    if (fi < NFIELDS) {
        print_field(b, fi);
        putchar('\n');
        return;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        printf("%-15s ", FIELDS[i]);
        print_field(b, i);
        putchar('\n');
    }
}

/* Several block numbers: fetched in JSON-RPC batches, printed in the order given. */
static int several(int n, char **args, const char *field, int json, const m2c_cli_rpc_flags *rf) {
    if (json) return m2c_cli_fail("block", "--json takes one block");
    size_t fi = NFIELDS;
    if (field) {
        for (fi = 0; fi < NFIELDS && strcmp(FIELDS[fi], field); fi++) {
        }
        if (fi == NFIELDS) return m2c_cli_fail("block", "unknown field \"%s\" (see --help)", field);
    }
    m2c_err err;
    m2c_err_clear(&err);
    uint64_t *nums = calloc((size_t)n, sizeof *nums);
    m2c_rpc_block *blocks = calloc((size_t)n, sizeof *blocks);
    m2c_rpc *c = NULL;
    int rc = 1;
    if (!nums || !blocks) {
        m2c_cli_fail("block", "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        m2c_blockref r;
        if (m2c_blockref_parse(&r, args[i], &err) != M2C_OK) {
            m2c_cli_fail("block", "%s", err.msg);
            goto out;
        }
        if (r.tag != M2C_BLOCK_NUMBER) {
            m2c_cli_fail("block", "with several blocks each must be a number, not \"%s\"", args[i]);
            goto out;
        }
        nums[i] = r.number;
    }
    if (!m2c_cli_rpc_open("block", rf, &c)) goto out;
    if (m2c_rpc_get_blocks(c, blocks, nums, (size_t)n, 0, &err) != M2C_OK) {
        m2c_cli_fail("block", "%s", err.msg);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (i && fi == NFIELDS) putchar('\n');
        print_block(&blocks[i], fi);
        m2c_rpc_block_free(&blocks[i]);
    }
    rc = 0;
out:
    m2c_rpc_destroy(c);
    free(blocks);
    free(nums);
    return rc;
}

int m2c_cmd_block(int argc, char **argv) {
    static const struct option longopts[] = {M2C_CLI_RPC_LONGOPTS,
                                             {"field", required_argument, NULL, 'f'},
                                             {"full", no_argument, NULL, 'F'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
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
    m2c_err err;
    m2c_err_clear(&err);
    if (argc - optind > 1) return several(argc - optind, argv + optind, field, json, &rf);
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
        } else {
            print_block(&b, fi);
        }
        m2c_rpc_block_free(&b);
    }
    m2c_rpc_destroy(c);
    return rc;
}
