/* cmd_extract.c: `ml2chain extract logs|blocks|transactions`: datasets from the chain. Parses
 * flags, loads event signatures, runs the extractor (src/data/extract.c), shows progress on a
 * terminal and prints a one-line summary. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ml2chain/abi.h"
#include "ml2chain/extract.h"
#include "ml2chain/hex.h"

#define CMD      "extract"
#define MAX_LIST 1024

static volatile sig_atomic_t g_cancel;
static void on_signal(int sig) {
    (void)sig;
    g_cancel = 1;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain extract logs|blocks|transactions --out OUT [options]\n"
            "\n"
            "Extracts event logs (decoded by their ABI), blocks, or transactions with receipt\n"
            "fields into a dataset. Re-running the same command resumes where it stopped.\n"
            "\n"
            "output:\n"
            "  -o, --out OUT           x.sqlite (or any other path: SQLite), x.csv, x.jsonl,\n"
            "                          or a postgres:// URL (tables loaded with COPY)\n"
            "logs filter:\n"
            "      --address ADDR      contract address (repeatable)\n"
            "      --event SIG         event signature, e.g. \"Transfer(address indexed from,\n"
            "                          address indexed to, uint256 value)\" (repeatable); with\n"
            "                          --abi, an event name from the ABI\n"
            "      --abi FILE          ABI JSON (array, or artifact with \"abi\"); without\n"
            "                          --event every event of it is decoded\n"
            "      --topic0..--topic3 HASH  topic filters (repeatable or comma-separated: OR)\n"
            "range:\n"
            "      --from-block B      number, earliest, latest, safe, finalized (default 0)\n"
            "      --to-block B        same (default latest)\n"
            "      --confirmations N   `latest` means head - N (default 12; 0 on chain ids\n"
            "                          31337 and 1337, local devnets)\n"
            "      --follow            keep extracting new blocks; remove rows of reorged blocks\n"
            "      --poll-interval MS  follow mode poll interval (default 1000)\n"
            "numbers:\n"
            "      --decimals N        scale the *_f columns of 256-bit numbers by 10^-N\n"
            "                          (transactions: value_f defaults to 18, i.e. ether)\n"
            "engine:\n"
            "  -r, --rpc-url URL       JSON-RPC endpoint (default $ETH_RPC_URL, else\n"
            "                          http://127.0.0.1:8545)\n"
            "      --chunk-size N      max blocks per request (logs 2000, blocks 100, txs 20)\n"
            "      --concurrency N     requests in flight (default 4)\n"
            "      --rps N             cap on requests per second (default none)\n"
            "      --timeout MS        per request (default 30000)\n"
            "  -q, --quiet             no progress line even on a terminal\n"
            "  -h, --help              this help\n"
            "\n"
            "See docs/datasets.md for the tables and columns of each kind.\n");
}

typedef struct {
    int tty, quiet;
    double last;
} progress_state;

static void fmt_eta(char *out, size_t cap, double s) {
    if (s < 0 || s > 1e7) {
        snprintf(out, cap, "?");
        return;
    }
    long t = (long)(s + 0.5);
    snprintf(out, cap, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

static void on_progress(void *ud, const m2c_extract_progress *p) {
    progress_state *ps = ud;
    if (!ps->tty || ps->quiet) return;
    if (p->seconds - ps->last < 0.2 && p->blocks_done < p->blocks_total) return;
    ps->last = p->seconds;
    double rate = p->seconds > 0 ? p->rows / p->seconds : 0;
    double brate = p->seconds > 0 ? p->blocks_done / p->seconds : 0;
    char eta[32];
    fmt_eta(eta, sizeof eta, brate > 0 ? (double)(p->blocks_total - p->blocks_done) / brate : -1);
    double pct = p->blocks_total ? 100.0 * p->blocks_done / p->blocks_total : 100.0;
    fprintf(stderr, "\r\033[Kextract: blocks %llu/%llu (%.1f%%)  rows %llu  %.0f rows/s  %s%s",
            (unsigned long long)p->blocks_done, (unsigned long long)p->blocks_total, pct,
            (unsigned long long)p->rows, rate, p->following ? "following the head" : "ETA ",
            p->following ? "" : eta);
    fflush(stderr);
}

/* Splits a comma-separated list of topic hashes into out[*n..]. */
static int add_topics(m2c_hash32 *out, size_t *n, const char *arg, int which) {
    char *dup = strdup(arg), *save = NULL;
    if (!dup) return m2c_cli_fail(CMD, "out of memory");
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        m2c_err e;
        m2c_err_clear(&e);
        if (*n >= MAX_LIST) {
            free(dup);
            return m2c_cli_fail(CMD, "--topic%d: more than %d hashes", which, MAX_LIST);
        }
        if (m2c_hash_parse(&out[*n], tok, &e) != M2C_OK) {
            int rc = m2c_cli_fail_err(CMD, &e, "--topic%d \"%.80s\"", which, tok);
            free(dup);
            return rc;
        }
        (*n)++;
    }
    free(dup);
    return 0;
}

static char *read_file(const char *path, size_t *len, m2c_err *e) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        m2c_err_set(e, M2C_ERR_IO, "%s", strerror(errno));
        return NULL;
    }
    m2c_buf b;
    m2c_buf_init(&b, 64 << 20);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (m2c_buf_append(&b, tmp, n) != M2C_OK) {
            m2c_err_set(e, M2C_ERR_RANGE, "larger than 64 MiB");
            fclose(f);
            m2c_buf_free(&b);
            return NULL;
        }
    fclose(f);
    char *p = (char *)m2c_buf_take(&b, len);
    if (!p) p = calloc(1, 1);
    return p;
}

/* glibc's defaults give each worker thread its own arena, return freed memory to the system
 * and map every large buffer afresh, so each chunk's response and rows were faulted in page by
 * page: about 15,000 of 47,000 page faults and 7% of the CPU of a 110,000-log run
 * (docs/benchmarks.md). One arena that keeps what it frees (peak RSS unchanged, since the same
 * sizes come round again) for this process only; a library does not set these. */
static void tune_malloc(void) {
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

int m2c_cmd_extract(int argc, char **argv) {
    tune_malloc();
    enum {
        O_ADDRESS = 1000,
        O_EVENT,
        O_ABI,
        O_T0,
        O_T1,
        O_T2,
        O_T3,
        O_FROM,
        O_TO,
        O_DEC,
        O_CHUNK,
        O_CONC,
        O_RPS,
        O_CONF,
        O_FOLLOW,
        O_TIMEOUT,
        O_POLL
    };
    static const struct option longopts[] = {
        {"rpc-url", required_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},
        {"address", required_argument, NULL, O_ADDRESS},
        {"event", required_argument, NULL, O_EVENT},
        {"abi", required_argument, NULL, O_ABI},
        {"topic0", required_argument, NULL, O_T0},
        {"topic1", required_argument, NULL, O_T1},
        {"topic2", required_argument, NULL, O_T2},
        {"topic3", required_argument, NULL, O_T3},
        {"from-block", required_argument, NULL, O_FROM},
        {"to-block", required_argument, NULL, O_TO},
        {"decimals", required_argument, NULL, O_DEC},
        {"chunk-size", required_argument, NULL, O_CHUNK},
        {"concurrency", required_argument, NULL, O_CONC},
        {"rps", required_argument, NULL, O_RPS},
        {"confirmations", required_argument, NULL, O_CONF},
        {"follow", no_argument, NULL, O_FOLLOW},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"poll-interval", required_argument, NULL, O_POLL},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int rc = 1;
    m2c_arena arena;
    m2c_arena_init(&arena, 256 << 20);
    m2c_err e;
    m2c_err_clear(&e);
    m2c_extract_opts o;
    m2c_extract_opts_default(&o);
    static m2c_addr20 addrs[MAX_LIST];
    static m2c_hash32 topics[4][MAX_LIST];
    size_t naddr = 0, ntop[4] = {0, 0, 0, 0}, nev = 0;
    const char *events[MAX_LIST];
    const char *abi_path = NULL, *rpc_flag = NULL;
    progress_state ps = {isatty(2), 0, -1};
    m2c_abi_sig *sigs = NULL;
    char *abi_text = NULL;

    if (m2c_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') {
        usage(stderr);
        return m2c_cli_fail(CMD, "missing kind: logs, blocks or transactions");
    }
    const char *kind = argv[1];
    if (!strcmp(kind, "logs"))
        o.kind = M2C_EXTRACT_LOGS;
    else if (!strcmp(kind, "blocks"))
        o.kind = M2C_EXTRACT_BLOCKS;
    else if (!strcmp(kind, "transactions") || !strcmp(kind, "txs"))
        o.kind = M2C_EXTRACT_TRANSACTIONS;
    else
        return m2c_cli_fail(CMD, "unknown kind '%s' (logs, blocks or transactions)", kind);
    argc--;
    argv++;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":r:o:qh", longopts, NULL)) != -1) {
        unsigned long long v;
        switch (c) {
        case 'r': rpc_flag = optarg; break;
        case 'o': o.out = optarg; break;
        case 'q': ps.quiet = 1; break;
        case O_ADDRESS:
            if (naddr >= MAX_LIST) {
                m2c_cli_fail(CMD, "--address: more than %d addresses", MAX_LIST);
                goto out;
            }
            if (m2c_addr_parse(&addrs[naddr], optarg, &e) != M2C_OK) {
                m2c_cli_fail_err(CMD, &e, "bad --address \"%.80s\"", optarg);
                goto out;
            }
            naddr++;
            break;
        case O_EVENT:
            if (nev >= MAX_LIST) {
                m2c_cli_fail(CMD, "--event: more than %d events", MAX_LIST);
                goto out;
            }
            events[nev++] = optarg;
            break;
        case O_ABI: abi_path = optarg; break;
        case O_T0:
        case O_T1:
        case O_T2:
        case O_T3: {
            int t = c - O_T0;
            if (add_topics(topics[t], &ntop[t], optarg, t)) goto out;
            break;
        }
        case O_FROM:
        case O_TO:
            if (m2c_blockref_parse(c == O_FROM ? &o.from : &o.to, optarg, &e) != M2C_OK) {
                m2c_cli_fail_err(CMD, &e, "bad %s", c == O_FROM ? "--from-block" : "--to-block");
                goto out;
            }
            break;
        case O_DEC:
            if (m2c_cli_uint(CMD, "--decimals", optarg, 0, 77, NULL, &v)) goto out;
            o.decimals = (int)v;
            break;
        case O_CHUNK:
            if (m2c_cli_uint(CMD, "--chunk-size", optarg, 1, 100000000, "blocks", &v)) goto out;
            o.chunk_size = v;
            break;
        case O_CONC:
            if (m2c_cli_uint(CMD, "--concurrency", optarg, 1, 64, NULL, &v)) goto out;
            o.concurrency = (unsigned)v;
            break;
        case O_RPS: {
            char *end;
            errno = 0;
            double d = strtod(optarg, &end);
            if (*end || errno || !(d > 0) || d > 1e6) {
                m2c_cli_fail(CMD, "bad --rps \"%s\": expected a positive number", optarg);
                goto out;
            }
            o.rps = d;
            break;
        }
        case O_CONF:
            if (m2c_cli_uint(CMD, "--confirmations", optarg, 0, 1000000, "blocks", &v)) goto out;
            o.confirmations = v;
            break;
        case O_FOLLOW: o.follow = 1; break;
        case O_TIMEOUT:
            if (m2c_cli_uint(CMD, "--timeout", optarg, 1, 3600000, "ms", &v)) goto out;
            o.timeout_ms = (long)v;
            break;
        case O_POLL:
            if (m2c_cli_uint(CMD, "--poll-interval", optarg, 1, 3600000, "ms", &v)) goto out;
            o.poll_ms = (unsigned)v;
            break;
        case ':': m2c_cli_fail(CMD, "%s needs a value", argv[optind - 1]); goto out;
        default: m2c_cli_fail(CMD, "unknown option '%s' (see --help)", argv[optind - 1]); goto out;
        }
    }
    if (optind < argc) {
        m2c_cli_fail(CMD, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!o.out) {
        m2c_cli_fail(CMD, "--out is required (x.sqlite, x.csv, x.jsonl or postgres://...)");
        goto out;
    }
    if (o.kind != M2C_EXTRACT_LOGS &&
        (naddr || nev || abi_path || ntop[0] || ntop[1] || ntop[2] || ntop[3])) {
        m2c_cli_fail(CMD, "--address, --event, --abi and --topicN apply to `extract logs` only");
        goto out;
    }
    if (o.from.tag == M2C_BLOCK_NUMBER && o.to.tag == M2C_BLOCK_NUMBER &&
        o.from.number > o.to.number) {
        m2c_cli_fail(CMD, "reversed range: --from-block %llu > --to-block %llu",
                     (unsigned long long)o.from.number, (unsigned long long)o.to.number);
        goto out;
    }
    if (o.follow && o.to.tag == M2C_BLOCK_NUMBER) {
        m2c_cli_fail(CMD, "--follow needs --to-block latest (or safe/finalized), not a number");
        goto out;
    }
    /* events */
    if (abi_path) {
        size_t len, n;
        abi_text = read_file(abi_path, &len, &e);
        if (!abi_text) {
            m2c_cli_fail_err(CMD, &e, "cannot read --abi %s", abi_path);
            goto out;
        }
        m2c_abi_sig *all = NULL;
        if (m2c_abi_json_load(&arena, &all, &n, abi_text, len, &e) != M2C_OK) {
            m2c_cli_fail_err(CMD, &e, "bad ABI file %s", abi_path);
            goto out;
        }
        sigs = calloc(n ? n : 1, sizeof *sigs);
        if (!sigs) {
            m2c_cli_fail(CMD, "out of memory");
            goto out;
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (all[i].kind != M2C_ABI_EVENT) continue;
            int want = nev == 0;
            for (size_t j = 0; j < nev && !want; j++)
                want = !strcmp(events[j], all[i].name);
            if (want) sigs[k++] = all[i];
        }
        for (size_t j = 0; j < nev; j++) {
            int found = 0;
            for (size_t i = 0; i < k && !found; i++)
                found = !strcmp(events[j], sigs[i].name);
            if (!found) {
                m2c_cli_fail(CMD, "--event %s: no such event in %s", events[j], abi_path);
                goto out;
            }
        }
        if (!k) {
            m2c_cli_fail(CMD, "%s has no events", abi_path);
            goto out;
        }
        o.events = sigs;
        o.n_events = k;
    } else if (nev) {
        sigs = calloc(nev, sizeof *sigs);
        if (!sigs) {
            m2c_cli_fail(CMD, "out of memory");
            goto out;
        }
        for (size_t j = 0; j < nev; j++) {
            if (m2c_abi_sig_parse(&arena, &sigs[j], events[j], M2C_ABI_EVENT, &e) != M2C_OK) {
                m2c_cli_fail_err(CMD, &e, "bad --event \"%.100s\"", events[j]);
                goto out;
            }
            if (sigs[j].kind != M2C_ABI_EVENT) {
                m2c_cli_fail(CMD, "--event \"%.100s\" is not an event signature", events[j]);
                goto out;
            }
        }
        o.events = sigs;
        o.n_events = nev;
    }
    o.addresses = addrs;
    o.n_addresses = naddr;
    for (int t = 0; t < 4; t++) {
        o.topics[t] = topics[t];
        o.n_topic_or[t] = ntop[t];
    }
    o.rpc_url = m2c_cli_rpc_url(rpc_flag);
    o.cancel = &g_cancel;
    o.progress = on_progress;
    o.progress_ud = &ps;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    m2c_extract_summary sum;
    m2c_status st = m2c_extract_run(&o, &sum, &e);
    if (ps.tty && !ps.quiet && ps.last >= 0) fprintf(stderr, "\r\033[K");
    if (st == M2C_ERR_INTERRUPTED) {
        m2c_cli_fail(CMD,
                     "interrupted after %llu blocks (%llu rows) were committed; run the same "
                     "command again to continue",
                     (unsigned long long)sum.p.blocks_done, (unsigned long long)sum.p.rows);
        rc = 130;
        goto out;
    }
    if (st != M2C_OK) {
        m2c_cli_fail_err(CMD, &e, "%s", kind);
        goto out;
    }
    double rate = sum.p.seconds > 0 ? sum.p.rows / sum.p.seconds : 0;
    if (sum.nothing_to_do)
        printf("extract %s: nothing to do: blocks %llu..%llu are already in %s (%llu rows)\n", kind,
               (unsigned long long)sum.p.from, (unsigned long long)sum.p.to, o.out,
               (unsigned long long)sum.rows_total);
    else
        printf("extract %s: %llu blocks (%llu..%llu), %llu rows (%llu undecoded) in %.2f s, %.0f "
               "rows/s, %llu requests, %llu splits, %llu retries -> %s (%s, %llu rows in total)\n",
               kind, (unsigned long long)sum.p.blocks_done, (unsigned long long)sum.p.from,
               (unsigned long long)sum.p.to, (unsigned long long)sum.p.rows,
               (unsigned long long)sum.p.undecoded, sum.p.seconds, rate,
               (unsigned long long)sum.p.requests, (unsigned long long)sum.p.splits,
               (unsigned long long)sum.p.retries, o.out, sum.sink_kind,
               (unsigned long long)sum.rows_total);
    rc = 0;
out:
    free(sigs);
    free(abi_text);
    m2c_arena_free(&arena);
    return rc;
}
