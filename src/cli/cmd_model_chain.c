/* cmd_model_chain.c: `ml2chain model register|set-fee|retire|withdraw`: a model's life on
 * the Coordinator (docs/deploy.md). register hashes the qmodel file (its keccak-256 is the
 * on-chain identity), sends registerModel and prints the id from ModelRegistered; withdraw
 * collects the model's earnings into the operator's balance and withdraws that balance. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaintx.h"
#include "cli.h"
#include "mlcli.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/u256.h"

#define CMD "model"

enum { OPT_URI = 0x3100, OPT_FEE, OPT_DEPLOYMENT, OPT_COORDINATOR, OPT_TO };

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain model register MODEL.qm --uri URI [--fee WEI] (--deployment FILE |\n"
            "                               --coordinator ADDR) [rpc and key options]\n"
            "       ml2chain model set-fee ID FEE  (--deployment FILE | --coordinator ADDR) ...\n"
            "       ml2chain model retire ID       (--deployment FILE | --coordinator ADDR) ...\n"
            "       ml2chain model withdraw ID [--to ADDR] (--deployment FILE | --coordinator ADDR) ...\n"
            "\n"
            "register sends registerModel(keccak256(file), uri, fee, n_in, n_out) from the key's\n"
            "account (the operator serving it) and prints the new model id. FEE takes cast's\n"
            "units (\"1000\", \"0.001ether\", \"2gwei\"; default 0). withdraw sends collect(ID) when\n"
            "the model has earnings, then withdraw(ADDR) of the key's whole balance on the\n"
            "Coordinator (its earnings and any refunds), to ADDR (default: the key's address).\n"
            "\n"
            "  --to ADDR              withdraw: where the balance goes\n"
            "  --deployment FILE      deployment file written by `ml2chain deploy`\n"
            "  --coordinator ADDR     the Coordinator, instead of --deployment\n" M2C_CLI_RPC_HELP
            "%s",
            m2c_cli_keyarg_help);
}

/* keccak256("ModelRegistered(uint256,address,bytes32,string,uint256,uint32,uint32)") */
static m2c_hash32 topic_of(const char *sig) { return m2c_keccak256(sig, strlen(sig)); }

/* eth_call of SIG(ARGS) on the coordinator, its one uint256 result into *out. */
static int call_u256(m2c_cli_chain *ch, const m2c_addr20 *coord, const char *sig, char **args,
                     int nargs, m2c_u256 *out) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_buf data;
    m2c_buf_init(&data, 0);
    uint8_t *ret = NULL;
    size_t ret_len = 0;
    m2c_abi_sig s;
    int ok = m2c_cli_encode_args(CMD, &a, &data, &s, sig, args, nargs, 1) &&
             m2c_cli_chain_call(ch->rpc, CMD, sig, coord, data.p, data.len, &ret, &ret_len);
    if (ok && ret_len != 32) {
        m2c_cli_fail(CMD, "%s: expected one 32-byte word, got %zu bytes", sig, ret_len);
        ok = 0;
    }
    if (ok) *out = m2c_u256_from_be32(ret);
    free(ret);
    m2c_buf_free(&data);
    m2c_arena_free(&a);
    return ok;
}

/* Sends SIG(ARGS) to the coordinator; prints "WHAT AMOUNT wei: transaction HASH". */
static int send_call(m2c_cli_chain *ch, const m2c_addr20 *coord, const char *sig, char **args,
                     int nargs, const char *what, const m2c_u256 *amount) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_buf data;
    m2c_buf_init(&data, 0);
    m2c_rpc_receipt r;
    memset(&r, 0, sizeof r);
    m2c_abi_sig s;
    int ok = m2c_cli_encode_args(CMD, &a, &data, &s, sig, args, nargs, 1) &&
             m2c_cli_chain_send(ch, what, coord, data.p, data.len, NULL, &r);
    if (ok) {
        char th[67], d[80];
        m2c_hex_encode(th, r.transaction_hash.b, 32, 1);
        m2c_u256_to_dec(d, sizeof d, amount);
        printf("%-9s %s wei: transaction %s (block %llu)\n", what, d, th,
               (unsigned long long)r.block_number);
    }
    m2c_rpc_receipt_free(&r);
    m2c_buf_free(&data);
    m2c_arena_free(&a);
    return ok;
}

/* `model withdraw ID [--to ADDR]`: collect(ID) if the model has earnings, then withdraw the
 * key's whole balance on the coordinator to ADDR. */
static int withdraw(const m2c_cli_rpc_flags *rf, const m2c_cli_keyarg *ka,
                    const m2c_addr20 *coord, char *id_s, const char *to_s) {
    int rc = 1;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_addr20 to;
    if (to_s && m2c_addr_parse(&to, to_s, &err) != M2C_OK)
        return m2c_cli_fail_err(CMD, &err, "bad --to \"%.80s\"", to_s);
    m2c_cli_chain ch;
    memset(&ch, 0, sizeof ch);
    if (!m2c_cli_chain_open(&ch, CMD, rf, ka)) goto out;
    if (!to_s) to = ch.key.addr;
    char me[43], dest[43];
    m2c_addr_checksum(me, &ch.key.addr);
    m2c_addr_checksum(dest, &to);
    m2c_u256 earned, balance;
    char *idv[1] = {id_s}, *mev[1] = {me}, *destv[1] = {dest};
    if (!call_u256(&ch, coord, "earnings(uint256)", idv, 1, &earned)) goto out;
    if (!m2c_u256_is_zero(&earned) &&
        !send_call(&ch, coord, "collect(uint256)", idv, 1, "collected", &earned))
        goto out;
    if (!call_u256(&ch, coord, "balanceOf(address)", mev, 1, &balance)) goto out;
    if (m2c_u256_is_zero(&balance)) {
        m2c_cli_fail(CMD, "withdraw: nothing to withdraw (model %s has no earnings and %s no "
                          "balance on the coordinator)",
                     id_s, me);
        goto out;
    }
    if (!send_call(&ch, coord, "withdraw(address)", destv, 1, "withdrew", &balance)) goto out;
    printf("to        %s\n", dest);
    rc = 0;
out:
    m2c_cli_chain_close(&ch);
    return rc;
}

int m2c_model_chain(int argc, char **argv) {
    static const struct option longopts[] = {M2C_CLI_RPC_LONGOPTS,
                                             M2C_CLI_KEY_OPTIONS,
                                             {"uri", required_argument, NULL, OPT_URI},
                                             {"fee", required_argument, NULL, OPT_FEE},
                                             {"deployment", required_argument, NULL, OPT_DEPLOYMENT},
                                             {"coordinator", required_argument, NULL,
                                              OPT_COORDINATOR},
                                             {"to", required_argument, NULL, OPT_TO},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
    const char *sub = argv[1];
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    m2c_cli_keyarg ka = {0};
    const char *uri = NULL, *fee_s = "0", *dep = NULL, *coord_s = NULL, *to_s = NULL;
    int opt;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag(CMD, &rf, opt, optarg);
        if (k < 0) return 1;
        if (k || m2c_cli_keyarg_opt(&ka, opt, optarg)) continue;
        switch (opt) {
        case OPT_URI: uri = optarg; break;
        case OPT_FEE: fee_s = optarg; break;
        case OPT_DEPLOYMENT: dep = optarg; break;
        case OPT_COORDINATOR: coord_s = optarg; break;
        case OPT_TO: to_s = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    int npos = argc - optind;
    char **pos = argv + optind;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_addr20 coord;
    if (dep && coord_s) return m2c_cli_fail(CMD, "give --deployment or --coordinator, not both");
    if (coord_s) {
        if (m2c_addr_parse(&coord, coord_s, &err) != M2C_OK)
            return m2c_cli_fail_err(CMD, &err, "bad --coordinator \"%.80s\"", coord_s);
    } else if (dep) {
        if (!m2c_cli_deployment_addr(CMD, dep, "Coordinator", &coord)) return 1;
    } else {
        return m2c_cli_fail(CMD, "%s needs --deployment FILE or --coordinator ADDR", sub);
    }

    if (!strcmp(sub, "withdraw")) {
        if (npos != 1) return m2c_cli_fail(CMD, "withdraw needs ID");
        return withdraw(&rf, &ka, &coord, pos[0], to_s);
    }
    if (to_s) return m2c_cli_fail(CMD, "--to applies to withdraw only");
    char sigbuf[96], *args[5];
    char hash_hex[67], n_in[16], n_out[16], fee_dec[80];
    int nargs = 0;
    const char *fn;
    m2c_u256 fee;
    if (!strcmp(sub, "register")) {
        if (npos != 1) return m2c_cli_fail(CMD, "register needs exactly one model file");
        if (!uri) return m2c_cli_fail(CMD, "register needs --uri (where operators fetch the file)");
        if (!m2c_cli_parse_amount(&fee, fee_s, &err))
            return m2c_cli_fail(CMD, "bad --fee \"%.80s\": %s", fee_s, err.msg);
        m2c_qmodel *q = NULL;
        if (m2c_qmodel_load_file(&q, pos[0], &err) != M2C_OK)
            return m2c_cli_fail_err(CMD, &err, "cannot load the model");
        m2c_mlcli_hash_hex(hash_hex, q);
        snprintf(n_in, sizeof n_in, "%u", q->n_in);
        snprintf(n_out, sizeof n_out, "%u", q->n_out);
        m2c_qmodel_free(q);
        m2c_u256_to_dec(fee_dec, sizeof fee_dec, &fee);
        fn = "registerModel(bytes32,string,uint256,uint32,uint32)";
        args[0] = hash_hex;
        args[1] = (char *)uri;
        args[2] = fee_dec;
        args[3] = n_in;
        args[4] = n_out;
        nargs = 5;
    } else if (!strcmp(sub, "set-fee")) {
        if (npos != 2) return m2c_cli_fail(CMD, "set-fee needs ID FEE");
        if (!m2c_cli_parse_amount(&fee, pos[1], &err))
            return m2c_cli_fail(CMD, "bad fee \"%.80s\": %s", pos[1], err.msg);
        m2c_u256_to_dec(fee_dec, sizeof fee_dec, &fee);
        fn = "setModelFee(uint256,uint256)";
        args[0] = pos[0];
        args[1] = fee_dec;
        nargs = 2;
    } else {
        if (npos != 1) return m2c_cli_fail(CMD, "retire needs ID");
        fn = "retireModel(uint256)";
        args[0] = pos[0];
        nargs = 1;
    }
    snprintf(sigbuf, sizeof sigbuf, "%s", fn);

    int rc = 1;
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_buf data;
    m2c_buf_init(&data, 0);
    m2c_rpc_receipt r;
    memset(&r, 0, sizeof r);
    m2c_cli_chain ch;
    memset(&ch, 0, sizeof ch);
    m2c_abi_sig sig;
    if (!m2c_cli_encode_args(CMD, &a, &data, &sig, sigbuf, args, nargs, 1)) goto out;
    if (!m2c_cli_chain_open(&ch, CMD, &rf, &ka)) goto out;
    if (!m2c_cli_chain_send(&ch, sub, &coord, data.p, data.len, NULL, &r)) goto out;
    if (!strcmp(sub, "register")) {
        m2c_hash32 t0 =
            topic_of("ModelRegistered(uint256,address,bytes32,string,uint256,uint32,uint32)");
        for (size_t i = 0; i < r.n_logs; i++) {
            const m2c_rpc_log *l = &r.logs[i];
            if (l->n_topics < 4 || memcmp(l->topics[0].b, t0.b, 32) ||
                memcmp(l->address.b, coord.b, 20))
                continue;
            m2c_u256 id = m2c_u256_from_be32(l->topics[1].b);
            char d[80];
            m2c_u256_to_dec(d, sizeof d, &id);
            printf("model id   %s\n", d);
            printf("hash       %s\n", hash_hex);
            printf("inputs     %s\noutputs    %s\nfee        %s wei\n", n_in, n_out, fee_dec);
            rc = 0;
            goto out;
        }
        m2c_cli_fail(CMD, "register: the transaction has no ModelRegistered event from %s",
                     coord_s ? coord_s : "the coordinator");
        goto out;
    }
    char th[67];
    m2c_hex_encode(th, r.transaction_hash.b, 32, 1);
    printf("%s %s: transaction %s (block %llu)\n", sub, pos[0], th,
           (unsigned long long)r.block_number);
    rc = 0;
out:
    m2c_cli_chain_close(&ch);
    m2c_rpc_receipt_free(&r);
    m2c_buf_free(&data);
    m2c_arena_free(&a);
    return rc;
}
