/* cmd_receipt.c: `ml2chain receipt <txhash>`: a transaction receipt's fields (like
 * `cast receipt`), one field with -f, or the node's JSON with --json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_rpc.h"
#include "ml2chain/hex.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain receipt <TXHASH...> [options]\n\n"
            "Prints the receipt of a mined transaction. Several hashes are fetched in JSON-RPC\n"
            "batches.\n\n"
            "options:\n"
            "  -f, --field NAME       print one field: status, gasUsed, effectiveGasPrice,\n"
            "                         contractAddress, blockNumber, blockHash, transactionHash,\n"
            "                         from, to, logs\n"
            "  -j, --json             print the receipt as the node returned it\n" M2C_CLI_RPC_HELP
            "  -h, --help             this help\n");
}

static const char *const FIELDS[] = {
    "status",      "gasUsed",   "effectiveGasPrice", "contractAddress",
    "blockNumber", "blockHash", "transactionHash",   "from",
    "to",          "logs"};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

static void print_field(const m2c_rpc_receipt *r, size_t i) {
    char buf[96];
    switch (i) {
    case 0:
        if (r->status >= 0) printf("%d", r->status);
        break;
    case 1: printf("%llu", (unsigned long long)r->gas_used); break;
    case 2:
        fputs(r->has_effective_gas_price ? m2c_cli_dec(buf, &r->effective_gas_price) : "", stdout);
        break;
    case 3:
        if (r->has_contract_address) {
            m2c_addr_checksum(buf, &r->contract_address);
            fputs(buf, stdout);
        }
        break;
    case 4: printf("%llu", (unsigned long long)r->block_number); break;
    case 5: m2c_cli_print_hex(stdout, r->block_hash.b, 32); break;
    case 6: m2c_cli_print_hex(stdout, r->transaction_hash.b, 32); break;
    case 7:
        m2c_addr_checksum(buf, &r->from);
        fputs(buf, stdout);
        break;
    case 8:
        if (r->has_to) {
            m2c_addr_checksum(buf, &r->to);
            fputs(buf, stdout);
        }
        break;
    case 9: printf("%zu", r->n_logs); break;
    }
}

static void print_receipt(const m2c_rpc_receipt *r, size_t fi) {
    if (fi < NFIELDS) {
        print_field(r, fi);
        putchar('\n');
        return;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        printf("%-18s ", FIELDS[i]);
        print_field(r, i);
        putchar('\n');
    }
}

int m2c_cmd_receipt(int argc, char **argv) {
    static const struct option longopts[] = {M2C_CLI_RPC_LONGOPTS,
                                             {"field", required_argument, NULL, 'f'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    const char *field = NULL;
    int json = 0, opt;
    while ((opt = getopt_long(argc, argv, "r:f:jh", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag("receipt", &rf, opt, optarg);
        if (k < 0) return 1;
        if (k) continue;
        switch (opt) {
        case 'f': field = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    int n = argc - optind;
    if (n < 1) return m2c_cli_fail("receipt", "expected a transaction hash (see --help)");
    if (n > 1 && json) return m2c_cli_fail("receipt", "--json takes one transaction hash");
    m2c_err err;
    m2c_err_clear(&err);
    m2c_hash32 *hs = calloc((size_t)n, sizeof *hs);
    if (!hs) return m2c_cli_fail("receipt", "out of memory");
    for (int i = 0; i < n; i++)
        if (m2c_hash_parse(&hs[i], argv[optind + i], &err) != M2C_OK) {
            free(hs);
            return m2c_cli_fail("receipt", "bad transaction hash \"%.80s\": %s", argv[optind + i],
                                err.msg);
        }
    m2c_hash32 h = hs[0];
    size_t fi = NFIELDS;
    if (field) {
        for (fi = 0; fi < NFIELDS && strcmp(FIELDS[fi], field); fi++) {
        }
        if (fi == NFIELDS) {
            free(hs);
            return m2c_cli_fail("receipt", "unknown field \"%s\" (see --help)", field);
        }
    }
    m2c_rpc *c = NULL;
    if (!m2c_cli_rpc_open("receipt", &rf, &c)) {
        free(hs);
        return 1;
    }
    int rc = 0;
    if (n > 1) {
        m2c_rpc_receipt *rs = calloc((size_t)n, sizeof *rs);
        if (!rs) {
            rc = m2c_cli_fail("receipt", "out of memory");
        } else if (m2c_rpc_get_receipts(c, rs, hs, (size_t)n, &err) != M2C_OK) {
            rc = m2c_cli_fail("receipt", "%s", err.msg);
        } else {
            for (int i = 0; i < n; i++) {
                if (i && fi == NFIELDS) putchar('\n');
                print_receipt(&rs[i], fi);
                m2c_rpc_receipt_free(&rs[i]);
            }
        }
        free(rs);
    } else if (json) {
        json_t *params = json_pack("[s]", argv[optind]), *res = NULL;
        if (m2c_rpc_call(c, &res, "eth_getTransactionReceipt", params, &err) != M2C_OK) {
            rc = m2c_cli_fail("receipt", "%s", err.msg);
        } else if (json_is_null(res)) {
            rc = m2c_cli_fail("receipt", "no receipt for %s (unknown or pending transaction)",
                              argv[optind]);
        } else {
            json_dumpf(res, stdout, JSON_INDENT(2));
            putchar('\n');
        }
        json_decref(res);
        json_decref(params);
    } else {
        m2c_rpc_receipt r;
        if (m2c_rpc_get_receipt(c, &r, &h, &err) != M2C_OK) {
            rc = m2c_cli_fail("receipt", "%s", err.msg);
        } else {
            print_receipt(&r, fi);
        }
        m2c_rpc_receipt_free(&r);
    }
    m2c_rpc_destroy(c);
    free(hs);
    return rc;
}
