/* main.c: the ml2chain binary: git-style dispatch to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define M2C_VERSION "0.1.0"

/* One line per subcommand, in the order `ml2chain --help` lists them. Each run function
 * lives in src/cli/cmd_<name>.c. */
#define M2C_COMMANDS(X)                                                                    \
    X(version, "print the version")                                                        \
    X(chain_id, "print the chain id of the node")                                          \
    X(block_number, "print the latest block number")                                       \
    X(block, "print a block")                                                              \
    X(receipt, "print a transaction receipt")                                              \
    X(balance, "print an account balance in wei")                                          \
    X(rpc, "send a raw JSON-RPC request")                                                  \
    X(call, "call a contract function without a transaction (like cast call)")             \
    X(send, "sign and send a transaction, wait for its receipt (like cast send)")          \
    X(wallet, "keys, addresses, message signatures and keystores")                         \
    X(mktx, "sign a transaction offline and print it raw")                                 \
    X(decode_transaction, "decode a signed raw transaction and recover its signer")        \
    X(abi, "ABI-encode arguments or decode ABI data (like cast abi-encode/abi-decode)")    \
    X(calldata, "encode a call: selector and arguments (like cast calldata)")              \
    X(sig, "the 4-byte selector of a function signature (like cast sig)")                  \
    X(sig_event, "the topic0 of an event signature (like cast sig-event)")                 \
    X(decode_event, "decode an event log from its topics and data")                        \
    X(extract, "extract logs, blocks or transactions into SQLite, CSV, JSONL or PostgreSQL")\
    X(keccak, "keccak-256 of hex data or text (like cast keccak)")                         \
    X(to_check_sum_address, "EIP-55 or EIP-1191 checksummed address")                      \
    X(to_dec, "convert a number to decimal (like cast to-dec)")                            \
    X(to_hex, "convert a number to 0x hex (like cast to-hex)")                             \
    X(to_rlp, "RLP-encode hex data or a JSON array of it (like cast to-rlp)")              \
    X(from_rlp, "decode RLP to a JSON array of hex strings (like cast from-rlp)")          \
    X(train, "train a model on a CSV or SQLite table and write a quantized model")         \
    X(eval, "metrics of a quantized model on a dataset")                                   \
    X(predict, "run a quantized model on a request input or a CSV")                        \
    X(model, "inspect a quantized model file or print its hash")                           \
    X(node, "run the operator node: watch requests, run models, fulfil on chain")          \
    X(watch, "watch fulfilments of held models and challenge wrong results on chain")      \
    X(deploy, "deploy the Coordinator, OutputCollector and RiskGate; write a deployment file")\
    X(request, "request an inference from the Coordinator; --wait prints the output")     \
    X(devnet, "run a local anvil and print its URL and funded keys until Ctrl-C")

#define DECLARE(name, summary) int m2c_cmd_##name(int argc, char **argv);
M2C_COMMANDS(DECLARE)
#undef DECLARE

static const m2c_cli_cmd commands[] = {
#define ENTRY(name, summary) {#name, summary, m2c_cmd_##name},
    M2C_COMMANDS(ENTRY)
#undef ENTRY
};

int m2c_cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("ml2chain %s\n", M2C_VERSION);
    return 0;
}

/* Table names spell '-' as '_' (C identifiers): "sig_event" answers to `sig-event`. */
static int name_matches(const char *table, const char *arg) {
    for (; *table && *arg; table++, arg++)
        if (*table != *arg && !(*table == '_' && *arg == '-')) return 0;
    return *table == *arg;
}

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s", commands[i].name);
        for (char *p = name; *p; p++)
            if (*p == '_') *p = '-';
        fprintf(f, "  %-21s %s\n", name, commands[i].summary);
    }
    fprintf(f, "\n`ml2chain <command> --help` shows a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) return m2c_cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (name_matches(commands[i].name, argv[1])) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ml2chain: unknown command '%s' (see ml2chain --help)\n", argv[1]);
    return 2;
}
