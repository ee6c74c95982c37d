/* cmd_send.c: `ml2chain send`: build, sign and send a transaction, like `cast send`: nonce
 * from the node, EIP-1559 fees from eth_feeHistory and the priority fee (or a legacy gas
 * price), gas from eth_estimateGas; then wait for the receipt and print its hash, status and
 * gas. A revert (at estimation or on chain) exits 1 with its decoded reason. --create deploys
 * init code with ABI-encoded constructor arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "chaintx.h"
#include "cli_rpc.h"
#include "keyarg.h"
#include "ml2chain/hex.h"
#include "ml2chain/tx.h"
#include "ml2chain/u256.h"

#define CMD "send"

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: ml2chain send <TO> [SIG [ARGS...]] [options]\n"
        "       ml2chain send --create <CODE> [SIG [ARGS...]] [options]\n\n"
        "Signs and sends a transaction, waits for its receipt, and prints the hash, status\n"
        "and gas used. SIG and ARGS take cast's forms (\"set(uint256)\" 5); with --create,\n"
        "SIG is the constructor's (\"constructor(uint256)\" 5). Exits 1 if it reverts.\n\n"
        "options:\n"
        "%s"
        "      --create CODE      deploy CODE (0x init code) instead of calling <TO>\n"
        "      --data HEX         raw calldata instead of SIG and ARGS\n"
        "      --value V          wei to send (1ether, 2gwei, ...)\n"
        "      --legacy           a legacy (type 0, EIP-155) transaction\n"
        "      --gas-limit N      gas limit (default: eth_estimateGas)\n"
        "      --gas-price P      legacy gas price, or EIP-1559 max fee per gas\n"
        "                         (default: 2 x next base fee + priority fee)\n"
        "      --priority-gas-price P  EIP-1559 priority fee (default: the node's)\n"
        "      --nonce N          nonce (default: the account's pending count)\n"
        "      --async            print the hash and do not wait for the receipt\n"
        "      --timeout S        seconds to wait for the receipt (default 120)\n" M2C_CLI_RPC_HELP
        "  -h, --help             this help\n",
        m2c_cli_keyarg_help);
}

enum {
    OPT_CREATE = 0x3000,
    OPT_DATA,
    OPT_VALUE,
    OPT_LEGACY,
    OPT_GAS_LIMIT,
    OPT_GAS_PRICE,
    OPT_PRIO,
    OPT_NONCE,
    OPT_ASYNC,
    OPT_TIMEOUT
};

static int parse_u64(uint64_t *out, const char *s) {
    m2c_u256 v;
    m2c_err err;
    return m2c_cli_parse_amount(&v, s, &err) && m2c_u256_to_u64(out, &v);
}

int m2c_cmd_send(int argc, char **argv) {
    static const struct option longopts[] = {
        M2C_CLI_RPC_LONGOPTS,
        M2C_CLI_KEY_OPTIONS,
        {"create", required_argument, NULL, OPT_CREATE},
        {"data", required_argument, NULL, OPT_DATA},
        {"value", required_argument, NULL, OPT_VALUE},
        {"legacy", no_argument, NULL, OPT_LEGACY},
        {"gas-limit", required_argument, NULL, OPT_GAS_LIMIT},
        {"gas-price", required_argument, NULL, OPT_GAS_PRICE},
        {"priority-gas-price", required_argument, NULL, OPT_PRIO},
        {"nonce", required_argument, NULL, OPT_NONCE},
        {"async", no_argument, NULL, OPT_ASYNC},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    m2c_cli_keyarg ka = {0};
    const char *create = NULL, *data_s = NULL, *value_s = NULL, *gas_s = NULL, *price_s = NULL,
               *prio_s = NULL, *nonce_s = NULL;
    int legacy = 0, async = 0, opt;
    long timeout_s = 120;
    unsigned long long u;
    while ((opt = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag(CMD, &rf, opt, optarg);
        if (k < 0) return 1;
        if (k || m2c_cli_keyarg_opt(&ka, opt, optarg)) continue;
        switch (opt) {
        case OPT_CREATE: create = optarg; break;
        case OPT_DATA: data_s = optarg; break;
        case OPT_VALUE: value_s = optarg; break;
        case OPT_LEGACY: legacy = 1; break;
        case OPT_GAS_LIMIT: gas_s = optarg; break;
        case OPT_GAS_PRICE: price_s = optarg; break;
        case OPT_PRIO: prio_s = optarg; break;
        case OPT_NONCE: nonce_s = optarg; break;
        case OPT_ASYNC: async = 1; break;
        case OPT_TIMEOUT:
            if (m2c_cli_uint(CMD, "--timeout", optarg, 1, 2592000, "seconds", &u)) return 1;
            timeout_s = (long)u;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    m2c_err err;
    m2c_err_clear(&err);
    m2c_addr20 to;
    int pos = optind, npos = argc - optind;
    if (!create) {
        if (npos < 1) return m2c_cli_fail(CMD, "expected <TO> or --create CODE (see --help)");
        if (m2c_addr_parse(&to, argv[pos], &err) != M2C_OK)
            return m2c_cli_fail(CMD, "bad address \"%.80s\": %s", argv[pos], err.msg);
        pos++;
        npos--;
    }
    m2c_cli_txopts o = {.legacy = legacy, .async = async};
    m2c_u256 value = m2c_u256_from_u64(0), price, prio;
    uint64_t nonce = 0;
    if (data_s && npos > 0) return m2c_cli_fail(CMD, "--data replaces SIG and ARGS");
    if (value_s && !m2c_cli_parse_amount(&value, value_s, &err))
        return m2c_cli_fail(CMD, "bad --value \"%.80s\": %s", value_s, err.msg);
    if (gas_s && (!parse_u64(&o.gas_limit, gas_s) || o.gas_limit == 0))
        return m2c_cli_fail(CMD, "bad --gas-limit \"%.80s\"", gas_s);
    if (nonce_s && !parse_u64(&nonce, nonce_s))
        return m2c_cli_fail(CMD, "bad --nonce \"%.80s\"", nonce_s);
    if (price_s && !m2c_cli_parse_amount(&price, price_s, &err))
        return m2c_cli_fail(CMD, "bad --gas-price \"%.80s\": %s", price_s, err.msg);
    if (prio_s && legacy)
        return m2c_cli_fail(CMD,
                            "--priority-gas-price applies to EIP-1559 transactions, not --legacy");
    if (prio_s && !m2c_cli_parse_amount(&prio, prio_s, &err))
        return m2c_cli_fail(CMD, "bad --priority-gas-price \"%.80s\": %s", prio_s, err.msg);
    if (price_s) o.max_fee = &price;
    if (prio_s) o.priority = &prio;

    int rc = 1;
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_buf data;
    m2c_buf_init(&data, 0);
    uint8_t *bytes = NULL;
    size_t nbytes = 0;
    m2c_cli_chain ch;
    memset(&ch, 0, sizeof ch);
    m2c_rpc_receipt rcpt;
    memset(&rcpt, 0, sizeof rcpt);

    if (create) {
        if (m2c_hex_decode_alloc(&bytes, &nbytes, create, strlen(create), M2C_HEX_PREFIX_OPTIONAL,
                                 &err) != M2C_OK) {
            m2c_cli_fail(CMD, "bad --create code: %s", err.msg);
            goto out;
        }
        if (nbytes == 0 || m2c_buf_append(&data, bytes, nbytes) != M2C_OK) {
            m2c_cli_fail(CMD, "--create code is empty");
            goto out;
        }
    }
    if (data_s) {
        free(bytes);
        bytes = NULL;
        if (m2c_hex_decode_alloc(&bytes, &nbytes, data_s, strlen(data_s), M2C_HEX_PREFIX_OPTIONAL,
                                 &err) != M2C_OK) {
            m2c_cli_fail(CMD, "bad --data: %s", err.msg);
            goto out;
        }
        if (m2c_buf_append(&data, bytes, nbytes) != M2C_OK) goto out;
    } else if (npos > 0) {
        m2c_abi_sig sig;
        if (!m2c_cli_encode_args(CMD, &a, &data, &sig, argv[pos], argv + pos + 1, npos - 1,
                                 !create))
            goto out;
    }

    if (!m2c_cli_chain_open(&ch, CMD, &rf, &ka)) goto out;
    ch.timeout_s = timeout_s;
    if (nonce_s) ch.nonce = nonce;
    m2c_hash32 hash;
    int sent = m2c_cli_chain_send_tx(&ch, &o, create ? NULL : &to, data.p, data.len, &value,
                                     &hash, &rcpt);
    if (sent && async) {
        char hex[67];
        m2c_hex_encode(hex, hash.b, 32, 1);
        printf("%s\n", hex);
        rc = 0;
        goto out;
    }
    if (rcpt.block_number) { /* mined, reverted or not: show the receipt */
        char buf[96];
        m2c_hex_encode(buf, rcpt.transaction_hash.b, 32, 1);
        printf("transactionHash    %s\n", buf);
        printf("status             %d (%s)\n", rcpt.status,
               rcpt.status == 1 ? "success" : "failed");
        printf("blockNumber        %llu\n", (unsigned long long)rcpt.block_number);
        printf("gasUsed            %llu\n", (unsigned long long)rcpt.gas_used);
        if (rcpt.has_effective_gas_price)
            printf("effectiveGasPrice  %s\n", m2c_cli_dec(buf, &rcpt.effective_gas_price));
        if (rcpt.has_contract_address) {
            m2c_addr_checksum(buf, &rcpt.contract_address);
            printf("contractAddress    %s\n", buf);
        }
        fflush(stdout);
    }
    if (sent) rc = 0;
out:
    m2c_cli_chain_close(&ch);
    m2c_rpc_receipt_free(&rcpt);
    m2c_buf_free(&data);
    free(bytes);
    m2c_arena_free(&a);
    return rc;
}
