/* cmd_node.c: `ml2chain node`: the operator node (flags, environment, config file; logs as
 * text or JSON lines; SIGTERM/SIGINT stop it cleanly). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "cli.h"
#include "keyarg.h"
#include "ml2chain/hex.h"
#include "ml2chain/node.h"
#include "ml2chain/u256.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static void usage(void) {
    printf(
        "usage: ml2chain node [options]\n"
        "\n"
        "The operator node: watches a Coordinator (or the template's contract) for requests,\n"
        "runs the registered qmodel, and fulfils on chain, exactly once, across restarts and\n"
        "reorgs. See docs/node.md.\n"
        "\n"
        "Chain (one chain from flags; several with --config):\n"
        "  --rpc-url URL             JSON-RPC endpoint (env ML2CHAIN_RPC_URL, ETH_RPC_URL)\n"
        "  --coordinator ADDR        coordinator address (env ML2CHAIN_COORDINATOR)\n"
        "  --deployment FILE         deployments/<name>.json from `ml2chain deploy` (chainId,\n"
        "                            coordinator, deployBlock) (env ML2CHAIN_DEPLOYMENT)\n"
        "  --interface KIND          coordinator (default) or template\n"
        "  --confirmations N         blocks behind head before a request is served (default 1)\n"
        "  --poll-ms N               pause between steps in ms (default 1000)\n"
        "  --batch-size N            requests per fulfillBatch (default 50; 1: one fulfill\n"
        "                            per request)\n"
        "  --max-inflight N          unmined transactions at once (default 32)\n"
        "  --replace-blocks N        blocks before an unmined tx is replaced with +12.5%% fees\n"
        "                            (default 3)\n"
        "  --fee-cap-gwei X          never pay more than X gwei per gas (default: no cap)\n"
        "  --min-priority-gwei X     least priority fee (default 1)\n"
        "  --start-block N           first block to scan when the state is empty (default 0,\n"
        "                            or deployBlock from --deployment)\n"
        "  --max-range N             blocks per eth_getLogs (default 2000)\n"
        "\n"
        "Node:\n"
        "  --config FILE             JSON config with a list of chains (docs/node.md)\n"
        "  --models DIR              directory of qmodel files (env ML2CHAIN_MODELS)\n"
        "  --state FILE              SQLite state store (default ml2chain-node.db; env\n"
        "                            ML2CHAIN_STATE)\n"
        "  --metrics-addr HOST:PORT  serve /metrics and /health (env ML2CHAIN_METRICS_ADDR)\n"
        "  --workers N               executor threads (default 2)\n"
        "  --log-format text|json    log lines as text (default) or JSON objects\n"
        "  --log-level LEVEL         debug, info (default), warn, error\n"
        "  --once                    exit once everything seen so far is settled (for scripts)\n"
        "\n"
        "Key (the operator's signing key):\n"
        "  --private-key HEX         (env ETH_PRIVATE_KEY; prefer the environment or a keystore:\n"
        "                            command lines are visible to other users)\n"
        "%s"
        "\n"
        "TEST ONLY (never on a real deployment):\n"
        "  --test-lie-rate P         deliberately post a wrong output for a fraction P of the\n"
        "                            requests (for testing challenge watchers)\n"
        "  --test-lie-seed N         seed of that choice (default 1)\n",
        m2c_cli_keyarg_help);
}

typedef struct {
    int json;
    m2c_log_level min;
} log_cfg;

static const char *lvl_str(m2c_log_level l) {
    return l == M2C_LOG_DEBUG ? "debug" : l == M2C_LOG_INFO ? "info" : l == M2C_LOG_WARN ? "warn" : "error";
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void log_line(void *ctx, m2c_log_level level, const char *chain, const m2c_hash32 *req,
                     const char *msg) {
    const log_cfg *lc = ctx;
    if (level < lc->min) return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[96];
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
    char rid[67] = "";
    if (req) m2c_hex_encode(rid, req->b, 32, 1);
    if (lc->json) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, lvl_str(level));
        if (chain[0]) {
            fprintf(stderr, ",\"chain\":");
            json_str(stderr, chain);
        }
        if (req) fprintf(stderr, ",\"request\":\"%s\"", rid);
        fprintf(stderr, ",\"msg\":");
        json_str(stderr, msg);
        fprintf(stderr, "}\n");
    } else {
        fprintf(stderr, "%s %-5s%s%s%s%s %s\n", ts, lvl_str(level), chain[0] ? " chain=" : "", chain,
                req ? " request=" : "", rid, msg);
    }
    fflush(stderr);
}

static int parse_gwei(const char *flag, const char *v, m2c_u256 *out) {
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x >= 0) || x > 1e12)
        return m2c_cli_fail("node", "%s: expected gwei (a number >= 0), got \"%s\"", flag, v);
    *out = m2c_u256_from_u64((uint64_t)(x * 1e9 + 0.5));
    return 0;
}

enum {
    O_CONFIG = 0x2000, O_RPC, O_COORD, O_DEPLOY, O_IFACE, O_CONF, O_POLL, O_BATCH, O_INFLIGHT,
    O_REPLACE, O_FEECAP, O_MINPRIO, O_START, O_RANGE, O_MODELS, O_STATE, O_METRICS, O_WORKERS,
    O_LOGFMT, O_LOGLVL, O_ONCE, O_LIE, O_LIESEED
};

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int m2c_cmd_node(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, 0, O_CONFIG},
        {"rpc-url", required_argument, 0, O_RPC},
        {"coordinator", required_argument, 0, O_COORD},
        {"deployment", required_argument, 0, O_DEPLOY},
        {"interface", required_argument, 0, O_IFACE},
        {"confirmations", required_argument, 0, O_CONF},
        {"poll-ms", required_argument, 0, O_POLL},
        {"batch-size", required_argument, 0, O_BATCH},
        {"max-inflight", required_argument, 0, O_INFLIGHT},
        {"replace-blocks", required_argument, 0, O_REPLACE},
        {"fee-cap-gwei", required_argument, 0, O_FEECAP},
        {"min-priority-gwei", required_argument, 0, O_MINPRIO},
        {"start-block", required_argument, 0, O_START},
        {"max-range", required_argument, 0, O_RANGE},
        {"models", required_argument, 0, O_MODELS},
        {"state", required_argument, 0, O_STATE},
        {"metrics-addr", required_argument, 0, O_METRICS},
        {"workers", required_argument, 0, O_WORKERS},
        {"log-format", required_argument, 0, O_LOGFMT},
        {"log-level", required_argument, 0, O_LOGLVL},
        {"once", no_argument, 0, O_ONCE},
        {"test-lie-rate", required_argument, 0, O_LIE},
        {"test-lie-seed", required_argument, 0, O_LIESEED},
        {"help", no_argument, 0, 'h'},
        M2C_CLI_KEY_OPTIONS,
        {0, 0, 0, 0}};
    static m2c_node_cfg cfg;
    m2c_node_chain_cfg ch;
    m2c_node_cfg_default(&cfg);
    m2c_node_chain_default(&ch);
    m2c_cli_keyarg ka = {0};
    log_cfg lc = {0, M2C_LOG_INFO};
    const char *config = NULL, *rpc = NULL, *coord = NULL, *deploy = NULL;
    const char *models = NULL, *state = NULL, *metrics = NULL;
    int chain_flags = 0, workers_set = 0;
    unsigned long long u;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (m2c_cli_keyarg_opt(&ka, c, optarg)) continue;
        switch (c) {
        case 'h': usage(); return 0;
        case O_CONFIG: config = optarg; break;
        case O_RPC: rpc = optarg; chain_flags = 1; break;
        case O_COORD: coord = optarg; chain_flags = 1; break;
        case O_DEPLOY: deploy = optarg; chain_flags = 1; break;
        case O_IFACE:
            chain_flags = 1;
            if (!strcmp(optarg, "coordinator")) ch.iface = M2C_IFACE_COORDINATOR;
            else if (!strcmp(optarg, "template")) ch.iface = M2C_IFACE_TEMPLATE;
            else return m2c_cli_fail("node", "--interface: expected coordinator or template, got \"%s\"", optarg);
            break;
        case O_CONF:
            if (m2c_cli_uint("node", "--confirmations", optarg, 0, 1000, NULL, &u)) return 1;
            ch.confirmations = (unsigned)u, chain_flags = 1;
            break;
        case O_POLL:
            if (m2c_cli_uint("node", "--poll-ms", optarg, 0, 600000, "ms", &u)) return 1;
            ch.poll_ms = (unsigned)u, chain_flags = 1;
            break;
        case O_BATCH:
            if (m2c_cli_uint("node", "--batch-size", optarg, 0, 500, NULL, &u)) return 1;
            ch.batch_size = (unsigned)u, chain_flags = 1;
            break;
        case O_INFLIGHT:
            if (m2c_cli_uint("node", "--max-inflight", optarg, 0, 256, NULL, &u)) return 1;
            ch.max_inflight = (unsigned)u, chain_flags = 1;
            break;
        case O_REPLACE:
            if (m2c_cli_uint("node", "--replace-blocks", optarg, 0, 10000, NULL, &u)) return 1;
            ch.replace_blocks = (unsigned)u, chain_flags = 1;
            break;
        case O_FEECAP:
            if (parse_gwei("--fee-cap-gwei", optarg, &ch.fee_cap)) return 1;
            chain_flags = 1;
            break;
        case O_MINPRIO:
            if (parse_gwei("--min-priority-gwei", optarg, &ch.min_prio)) return 1;
            chain_flags = 1;
            break;
        case O_START:
            if (m2c_cli_uint("node", "--start-block", optarg, 0, (1ull << 62), NULL, &u)) return 1;
            ch.start_block = u, chain_flags = 1;
            break;
        case O_RANGE:
            if (m2c_cli_uint("node", "--max-range", optarg, 0, 1000000, NULL, &u)) return 1;
            ch.max_range = u, chain_flags = 1;
            break;
        case O_MODELS: models = optarg; break;
        case O_STATE: state = optarg; break;
        case O_METRICS: metrics = optarg; break;
        case O_WORKERS:
            if (m2c_cli_uint("node", "--workers", optarg, 0, 256, NULL, &u)) return 1;
            cfg.workers = (unsigned)u, workers_set = 1;
            break;
        case O_LOGFMT:
            if (!strcmp(optarg, "json")) lc.json = 1;
            else if (!strcmp(optarg, "text")) lc.json = 0;
            else return m2c_cli_fail("node", "--log-format: expected text or json, got \"%s\"", optarg);
            break;
        case O_LOGLVL:
            if (!strcmp(optarg, "debug")) lc.min = M2C_LOG_DEBUG;
            else if (!strcmp(optarg, "info")) lc.min = M2C_LOG_INFO;
            else if (!strcmp(optarg, "warn")) lc.min = M2C_LOG_WARN;
            else if (!strcmp(optarg, "error")) lc.min = M2C_LOG_ERROR;
            else return m2c_cli_fail("node", "--log-level: expected debug, info, warn or error");
            break;
        case O_ONCE: cfg.once = 1; break;
        case O_LIE: {
            char *end;
            cfg.test_lie_rate = strtod(optarg, &end);
            if (!*optarg || *end || !(cfg.test_lie_rate >= 0 && cfg.test_lie_rate <= 1))
                return m2c_cli_fail("node", "--test-lie-rate: expected a fraction in [0, 1]");
            break;
        }
        case O_LIESEED:
            if (m2c_cli_uint("node", "--test-lie-seed", optarg, 0, ~0ull, NULL, &u)) return 1;
            cfg.test_lie_seed = u;
            break;
        default: return m2c_cli_fail("node", "unknown option (see ml2chain node --help)");
        }
    }
    if (optind < argc) return m2c_cli_fail("node", "unexpected argument \"%s\"", argv[optind]);
    if (!cfg.test_lie_seed) cfg.test_lie_seed = 1;
    m2c_err err;
    m2c_err_clear(&err);
    if (!config) config = env("ML2CHAIN_CONFIG");
    if (config) {
        if (chain_flags)
            return m2c_cli_fail("node", "chain flags (--rpc-url, --coordinator, ...) and --config "
                                        "exclude each other: put chain settings in the config");
        unsigned w = cfg.workers;
        if (m2c_node_cfg_load(&cfg, config, &err) != M2C_OK)
            return m2c_cli_fail_err("node", &err, "cannot load config");
        if (workers_set) cfg.workers = w;
    } else {
        if (!rpc) rpc = env("ML2CHAIN_RPC_URL");
        if (!rpc) rpc = env("ETH_RPC_URL");
        if (!deploy) deploy = env("ML2CHAIN_DEPLOYMENT");
        if (!coord) coord = env("ML2CHAIN_COORDINATOR");
        if (!rpc) return m2c_cli_fail("node", "no RPC URL: use --rpc-url URL (or ETH_RPC_URL)");
        if (strlen(rpc) >= sizeof ch.rpc_url) return m2c_cli_fail("node", "--rpc-url: too long");
        snprintf(ch.rpc_url, sizeof ch.rpc_url, "%s", rpc);
        if (deploy) {
            uint64_t sb = ch.start_block;
            if (m2c_node_chain_load_deployment(&ch, deploy, &err) != M2C_OK)
                return m2c_cli_fail_err("node", &err, "--deployment");
            if (sb) ch.start_block = sb;
        }
        if (coord) {
            if (m2c_addr_parse(&ch.coordinator, coord, &err) != M2C_OK)
                return m2c_cli_fail_err("node", &err, "--coordinator");
            ch.has_coordinator = 1;
        }
        if (!ch.has_coordinator)
            return m2c_cli_fail("node", "no coordinator: use --coordinator ADDR or --deployment FILE");
        cfg.chains[0] = ch;
        cfg.n_chains = 1;
    }
    if (!models) models = env("ML2CHAIN_MODELS");
    if (!state) state = env("ML2CHAIN_STATE");
    if (!metrics) metrics = env("ML2CHAIN_METRICS_ADDR");
    if (models) snprintf(cfg.models_dir, sizeof cfg.models_dir, "%s", models);
    if (state) snprintf(cfg.state_path, sizeof cfg.state_path, "%s", state);
    if (metrics) snprintf(cfg.metrics_addr, sizeof cfg.metrics_addr, "%s", metrics);
    if (m2c_node_cfg_check(&cfg, &err) != M2C_OK) return m2c_cli_fail_err("node", &err, "bad configuration");

    if (!ka.private_key && !ka.keystore && !env("ETH_KEYSTORE")) ka.private_key = env("ETH_PRIVATE_KEY");
    m2c_key key;
    if (m2c_cli_load_key("node", &key, &ka)) return 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    g_stop = 0;
    m2c_status st = m2c_node_run(&cfg, &key, &g_stop, log_line, &lc, &err);
    m2c_key_wipe(&key);
    if (st) return m2c_cli_fail_err("node", &err, "stopped");
    return 0;
}
