/* cmd_watch.c: `ml2chain watch`: follows a Coordinator's Requested and Fulfilled events for
 * the models whose files it holds, re-executes each fulfilled request, and challenges a
 * result that differs from its own (docs/verification.md, "Watcher"). State (last block,
 * one verdict per request) is kept in SQLite so a restart neither re-challenges nor misses. */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chaintx.h"
#include "cli.h"
#include "ml2chain/encoding.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/nodetx.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/u256.h"
#include "ml2chain/watchtx.h"
/* The node's metrics registry and /metrics endpoint (src/node, not yet a public header). */
#include "../node/metrics.h"

#define CMD        "watch"
#define MAX_MODELS 256
#define REQ_BYTES  (32 * M2C_NODE_REQ_WORDS)

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

typedef struct {
    m2c_hash32 hash;
    uint8_t *bytes;
    size_t len;
    m2c_qmodel *q;
} model_file;

typedef struct {
    m2c_hash32 id;
    m2c_hash32 hash;
} chain_model;

typedef struct {
    model_file files[MAX_MODELS];
    size_t n_files;
    chain_model *models;
    size_t n_models, cap_models;
    m2c_noderec *reqs;
    size_t n_reqs, cap_reqs;
    sqlite3 *db;
    m2c_metrics *metrics; /* NULL without --metrics */
} watcher;

static void logf_(const char *fmt, ...) M2C_PRINTF(1, 2);
static void logf_(const char *fmt, ...) {
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s watch: ", ts);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static void hexs(char *out, const uint8_t *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    *out++ = '0';
    *out++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *out++ = d[p[i] >> 4];
        *out++ = d[p[i] & 15];
    }
    *out = 0;
}

static void usage(void) {
    printf("usage: ml2chain watch --deployment FILE --models DIR --private-key K [options]\n"
           "\n"
           "Watches a Coordinator for fulfilled requests of the models whose files are in DIR,\n"
           "re-executes each one and sends challenge(...) when the posted output or error code\n"
           "differs from its own while the challenge window is open. See docs/verification.md.\n"
           "\n"
           "  --deployment FILE     deployment file from `ml2chain deploy` (coordinator,\n"
           "                        deployBlock)\n"
           "  --models DIR          directory of qmodel files\n"
           "  --state FILE          SQLite state (default ml2chain-watch.db)\n"
           "  --confirmations N     blocks behind head before an event is acted on (default 1)\n"
           "  --poll-ms N           pause between polls in ms (default 1000)\n"
           "  --metrics HOST:PORT   serve /metrics and /health\n" M2C_CLI_RPC_HELP "%s",
           m2c_cli_keyarg_help);
}

static int load_models(watcher *w, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return m2c_cli_fail(CMD, "cannot open models directory %s", dir), 0;
    struct dirent *e;
    while ((e = readdir(d)) && w->n_files < MAX_MODELS) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        m2c_buf b;
        m2c_buf_init(&b, M2C_QMODEL_MAX_BYTES);
        uint8_t chunk[65536];
        size_t k;
        int okr = 1;
        while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (m2c_buf_append(&b, chunk, k) != M2C_OK) {
                okr = 0;
                break;
            }
        fclose(f);
        m2c_err err;
        m2c_err_clear(&err);
        m2c_qmodel *q = NULL;
        if (!okr || m2c_qmodel_load(&q, b.p, b.len, &err) != M2C_OK) {
            logf_("skipping %s: not a qmodel", path);
            m2c_buf_free(&b);
            continue;
        }
        model_file *mf = &w->files[w->n_files++];
        mf->hash = m2c_keccak256(b.p, b.len);
        mf->bytes = b.p;
        mf->len = b.len;
        mf->q = q;
        char h[67];
        hexs(h, mf->hash.b, 32);
        logf_("model file %s: hash %s", e->d_name, h);
    }
    closedir(d);
    return 1;
}

static const model_file *file_of_model(const watcher *w, const m2c_hash32 *model_id) {
    for (size_t i = 0; i < w->n_models; i++)
        if (!memcmp(w->models[i].id.b, model_id->b, 32))
            for (size_t j = 0; j < w->n_files; j++)
                if (!memcmp(w->files[j].hash.b, w->models[i].hash.b, 32)) return &w->files[j];
    return NULL;
}

static int db_open(watcher *w, const char *path) {
    if (sqlite3_open(path, &w->db) != SQLITE_OK)
        return m2c_cli_fail(CMD, "cannot open state %s: %s", path, sqlite3_errmsg(w->db)), 0;
    char *msg = NULL;
    if (sqlite3_exec(
            w->db,
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS verdicts(id BLOB PRIMARY KEY, verdict TEXT NOT NULL,"
            " tx BLOB, at REAL NOT NULL);",
            NULL, NULL, &msg) != SQLITE_OK) {
        m2c_cli_fail(CMD, "state %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        return 0;
    }
    return 1;
}

static int64_t db_last_block(watcher *w) {
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(w->db, "SELECT v FROM meta WHERE k='last_block'", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int db_set_last_block(watcher *w, uint64_t b) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO meta(k,v) VALUES('last_block',?)", -1,
                           &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)b);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok;
}

/* 1 if a verdict is recorded for id. */
static int db_has_verdict(watcher *w, const m2c_hash32 *id) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db, "SELECT 1 FROM verdicts WHERE id=?", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_blob(st, 1, id->b, 32, SQLITE_STATIC);
    int r = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return r;
}

static int db_put_verdict(watcher *w, const m2c_hash32 *id, const char *verdict,
                          const m2c_hash32 *tx) {
    sqlite3_stmt *st;
    if (w->metrics) {
        char lab[64];
        snprintf(lab, sizeof lab, "verdict=\"%s\"", verdict);
        m2c_metrics_inc(w->metrics, "ml2chain_watch_verdicts_total",
                        "Fulfilled requests judged, by verdict", lab, 1);
    }
    if (sqlite3_prepare_v2(w->db,
                           "INSERT OR REPLACE INTO verdicts(id,verdict,tx,at) VALUES(?,?,?,?)", -1,
                           &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_blob(st, 1, id->b, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, verdict, -1, SQLITE_STATIC);
    if (tx)
        sqlite3_bind_blob(st, 3, tx->b, 32, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_double(st, 4, (double)time(NULL));
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok;
}

/* Our own answer, as the node computes it (docs/encoding.md). */
static uint32_t compute(const model_file *f, const m2c_noderec *r, m2c_buf *out) {
    const m2c_qmodel *q = f->q;
    m2c_u256 *x = malloc(sizeof(m2c_u256) * M2C_QMODEL_MAX_IN);
    m2c_u256 y[M2C_QMODEL_MAX_OUT];
    m2c_enc_form form = r->input_len && r->input[0] == 0 ? M2C_ENC_ABI : M2C_ENC_TEXT;
    m2c_err e;
    m2c_err_clear(&e);
    uint32_t k;
    m2c_buf_reset(out);
    if (!x) return M2C_ENC_MODEL_FAILURE;
    k = m2c_enc_decode_input(x, q->n_in, &form, q->in_decimals, r->input, r->input_len, &e);
    if (k == M2C_ENC_OK && m2c_qmodel_predict(q, y, NULL, NULL, x, &e) != M2C_OK) k = M2C_ENC_RANGE;
    if (k == M2C_ENC_OK && m2c_enc_encode_output(out, form, y, q->n_out, q->out_decimals) != M2C_OK)
        k = M2C_ENC_MODEL_FAILURE;
    free(x);
    if (k != M2C_ENC_OK) m2c_buf_reset(out);
    return k;
}

static int fetch_tx_input(m2c_rpc *rpc, const m2c_hash32 *h, uint8_t **cd, size_t *len) {
    char hs[67], params[80];
    hexs(hs, h->b, 32);
    snprintf(params, sizeof params, "[\"%s\"]", hs);
    json_t *res = NULL;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_rpc_call_text(rpc, &res, "eth_getTransactionByHash", params, &err) != M2C_OK) return 0;
    const char *in = json_string_value(json_object_get(res, "input"));
    int ok = in &&
             m2c_hex_decode_alloc(cd, len, in, strlen(in), M2C_HEX_PREFIX_REQUIRED, &err) == M2C_OK;
    json_decref(res);
    return ok;
}

static m2c_noderec *find_req(watcher *w, const m2c_hash32 *id) {
    for (size_t i = 0; i < w->n_reqs; i++)
        if (!memcmp(w->reqs[i].id.b, id->b, 32)) return &w->reqs[i];
    return NULL;
}

/* Acts on one Fulfilled log. Returns 0 on a transport failure (retry later). */
static int on_fulfilled(watcher *w, m2c_cli_chain *ch, const m2c_addr20 *coord,
                        const m2c_rpc_log *lg) {
    /* data: outcome = errorCode << 8 | callbackSuccess, outputHash */
    if (lg->n_topics < 2 || lg->data_len < 64) return 1;
    const m2c_hash32 *id = &lg->topics[1];
    char ids[67];
    hexs(ids, id->b, 32);
    if (db_has_verdict(w, id)) return 1;
    m2c_noderec *r = find_req(w, id);
    if (!r) return 1;
    m2c_hash32 mid;
    memcpy(mid.b, r->req + 32, 32);
    const model_file *f = file_of_model(w, &mid);
    if (!f) return 1; /* not a model we hold */
    int small = 1;
    for (int i = 0; i < 27; i++)
        small &= lg->data[i] == 0;
    if (!small) return 1;
    uint32_t posted_code = (uint32_t)lg->data[27] << 24 | (uint32_t)lg->data[28] << 16 |
                           (uint32_t)lg->data[29] << 8 | lg->data[30];
    const uint8_t *posted_hash = lg->data + 32;
    m2c_buf mine;
    m2c_buf_init(&mine, (size_t)1 << 20);
    uint32_t code = compute(f, r, &mine);
    m2c_hash32 mh = m2c_keccak256(mine.p, mine.len);
    int same = code == posted_code && !memcmp(mh.b, posted_hash, 32);
    int rc = 1;
    uint8_t *cd = NULL;
    size_t cd_len = 0;
    m2c_buf call;
    m2c_buf_init(&call, (size_t)1 << 26);
    if (same) {
        logf_("request %s: ok (code %u)", ids, code);
        if (!db_put_verdict(w, id, "ok", NULL))
            logf_("cannot record verdict: %s", sqlite3_errmsg(w->db));
        goto out;
    }
    if (code != M2C_ENC_OK || r->input_len == 0 || r->input[0] != 0) {
        logf_("request %s: posted result differs (posted code %u, ours %u) but the input is not "
              "decidable on chain: not challenged",
              ids, posted_code, code);
        if (!db_put_verdict(w, id, "wrong-undecidable", NULL)) logf_("cannot record verdict");
        goto out;
    }
    if (!fetch_tx_input(ch->rpc, &lg->transaction_hash, &cd, &cd_len)) {
        logf_("request %s: cannot fetch the fulfilling transaction; will retry", ids);
        rc = 0;
        goto out;
    }
    const uint8_t *preq, *pout;
    size_t pout_len;
    uint32_t pcode;
    m2c_err e;
    m2c_err_clear(&e);
    if (m2c_watch_find_fulfilment(cd, cd_len, id, &preq, &pout, &pout_len, &pcode, &e) != M2C_OK ||
        pcode != posted_code || memcmp(m2c_keccak256(pout, pout_len).b, posted_hash, 32)) {
        logf_("request %s: posted output not found in the fulfilling transaction's calldata%s%s",
              ids, e.msg[0] ? ": " : "", e.msg);
        if (!db_put_verdict(w, id, "wrong-no-calldata", NULL)) logf_("cannot record verdict");
        goto out;
    }
    if (m2c_watch_challenge_calldata(&call, r->req, pout, pout_len, pcode, f->bytes, f->len,
                                     r->input, r->input_len, &e) != M2C_OK) {
        logf_("request %s: %s", ids, e.msg);
        goto out;
    }
    logf_("request %s: wrong result (posted code %u, ours %u): challenging", ids, pcode, code);
    m2c_rpc_receipt rcpt;
    memset(&rcpt, 0, sizeof rcpt);
    if (!m2c_cli_chain_send(ch, "challenge", coord, call.p, call.len, NULL, &rcpt)) {
        /* The error line is printed. When the challenge would still succeed (eth_call
         * passes) or the node is unreachable, the failure was transient: retry next poll.
         * Otherwise it reverts (window closed, already corrected): record it. */
        uint8_t *ret = NULL;
        size_t ret_len = 0;
        uint64_t head;
        int would_pass = m2c_cli_chain_call(ch->rpc, CMD, "challenge (check)", coord, call.p,
                                            call.len, &ret, &ret_len);
        free(ret);
        m2c_err_clear(&e);
        if (would_pass || m2c_rpc_block_number(ch->rpc, &head, &e) != M2C_OK) {
            logf_("request %s: challenge not sent; will retry", ids);
            rc = 0;
            goto out;
        }
        logf_("request %s: challenge not sent: it reverts", ids);
        if (!db_put_verdict(w, id, "challenge-failed", NULL)) logf_("cannot record verdict");
        goto out;
    }
    m2c_hash32 t_ch = m2c_event_topic(M2C_SIG_CHALLENGED);
    int slashed_seen = 0;
    for (size_t i = 0; i < rcpt.n_logs; i++) {
        const m2c_rpc_log *x = &rcpt.logs[i];
        if (x->n_topics >= 2 && !memcmp(x->topics[0].b, t_ch.b, 32) &&
            !memcmp(x->topics[1].b, id->b, 32) && x->data_len >= 64) {
            m2c_u256 slashed = m2c_u256_from_be32(x->data);
            char dec[80];
            m2c_cli_dec(dec, &slashed);
            logf_("request %s: challenge confirmed, operator slashed %s wei", ids, dec);
            slashed_seen = 1;
        }
    }
    if (!slashed_seen) logf_("request %s: challenge mined without a Challenged event", ids);
    if (!db_put_verdict(w, id, slashed_seen ? "challenged" : "challenge-no-event",
                        &rcpt.transaction_hash))
        logf_("cannot record verdict");
    m2c_rpc_receipt_free(&rcpt);
out:
    free(cd);
    m2c_buf_free(&mine);
    m2c_buf_free(&call);
    return rc;
}

static int add_req(watcher *w, m2c_noderec *r) {
    if (find_req(w, &r->id)) {
        m2c_noderec_free(r);
        return 1;
    }
    if (w->n_reqs == w->cap_reqs) {
        size_t nc = w->cap_reqs ? 2 * w->cap_reqs : 64;
        m2c_noderec *nr = realloc(w->reqs, nc * sizeof *nr);
        if (!nr) return 0;
        w->reqs = nr;
        w->cap_reqs = nc;
    }
    w->reqs[w->n_reqs++] = *r;
    return 1;
}

static int add_model(watcher *w, const m2c_node_model_reg *m) {
    for (size_t i = 0; i < w->n_models; i++)
        if (!memcmp(w->models[i].id.b, m->model_id.b, 32)) return 1;
    if (w->n_models == w->cap_models) {
        size_t nc = w->cap_models ? 2 * w->cap_models : 16;
        chain_model *nm = realloc(w->models, nc * sizeof *nm);
        if (!nm) return 0;
        w->models = nm;
        w->cap_models = nc;
    }
    w->models[w->n_models].id = m->model_id;
    w->models[w->n_models].hash = m->model_hash;
    w->n_models++;
    return 1;
}

int m2c_cmd_watch(int argc, char **argv) {
    static const struct option opts[] = {
        {"deployment", required_argument, NULL, 'd'},
        {"models", required_argument, NULL, 'm'},
        {"state", required_argument, NULL, 's'},
        {"confirmations", required_argument, NULL, 'c'},
        {"poll-ms", required_argument, NULL, 'p'},
        {"metrics", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        M2C_CLI_KEY_OPTIONS,
        M2C_CLI_RPC_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    const char *deployment = NULL, *models = NULL, *state = "ml2chain-watch.db", *metrics = NULL;
    long conf = 1, poll_ms = 1000;
    m2c_cli_keyarg ka = {0};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "hr:", opts, NULL)) != -1) {
        int r;
        switch (o) {
        case 'h': usage(); return 0;
        case 'd': deployment = optarg; break;
        case 'm': models = optarg; break;
        case 's': state = optarg; break;
        case 'M': metrics = optarg; break;
        case 'c': {
            char *e;
            conf = strtol(optarg, &e, 10);
            if (*e || conf < 0 || conf > 1000)
                return m2c_cli_fail(CMD, "bad --confirmations: %s", optarg);
            break;
        }
        case 'p': {
            char *e;
            poll_ms = strtol(optarg, &e, 10);
            if (*e || poll_ms < 10 || poll_ms > 600000)
                return m2c_cli_fail(CMD, "bad --poll-ms: %s", optarg);
            break;
        }
        default:
            if (m2c_cli_keyarg_opt(&ka, o, optarg)) break;
            r = m2c_cli_rpc_flag(CMD, &rf, o, optarg);
            if (r == 1) break;
            if (r == -1) return 1;
            return m2c_cli_fail(CMD, "unknown option (see --help)");
        }
    }
    if (!deployment) return m2c_cli_fail(CMD, "--deployment is required");
    if (!models) return m2c_cli_fail(CMD, "--models is required");
    m2c_addr20 coord;
    if (!m2c_cli_deployment_addr(CMD, deployment, "Coordinator", &coord)) return 1;
    uint64_t deploy_block = 0;
    {
        json_error_t je;
        json_t *j = json_load_file(deployment, 0, &je);
        json_t *b = j ? json_object_get(j, "deployBlock") : NULL;
        if (json_is_integer(b) && json_integer_value(b) >= 0)
            deploy_block = (uint64_t)json_integer_value(b);
        json_decref(j);
    }
    watcher w;
    memset(&w, 0, sizeof w);
    m2c_cli_chain ch;
    memset(&ch, 0, sizeof ch);
    int rc = 1, chain_open = 0;
    if (!load_models(&w, models)) goto out;
    if (!db_open(&w, state)) goto out;
    if (metrics) {
        m2c_err me;
        m2c_err_clear(&me);
        if (m2c_metrics_create(&w.metrics, &me) != M2C_OK) {
            m2c_cli_fail_err(CMD, &me, "metrics");
            goto out;
        }
        if (m2c_metrics_serve(w.metrics, metrics, &me) != M2C_OK) {
            m2c_cli_fail_err(CMD, &me, "cannot serve metrics on %s", metrics);
            goto out;
        }
        m2c_metrics_set_health(w.metrics, 0, "starting");
    }
    if (!m2c_cli_chain_open(&ch, CMD, &rf, &ka)) goto out;
    chain_open = 1;
    ch.timeout_s = 60;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int64_t last = db_last_block(&w);
    /* Requests and registrations are re-read from the deployment block on every start (they
     * are needed for fulfilments still to come); verdicts keep a restart from acting twice. */
    uint64_t from = deploy_block;
    logf_("started: %zu model file(s), state %s, last block %lld", w.n_files, state,
          (long long)last);
    m2c_hash32 t0[3] = {m2c_event_topic(M2C_SIG_REQUESTED), m2c_event_topic(M2C_SIG_FULFILLED),
                        m2c_event_topic(M2C_SIG_MODEL_REGISTERED)};
    while (!g_stop) {
        m2c_err err;
        m2c_err_clear(&err);
        uint64_t head;
        if (m2c_rpc_block_number(ch.rpc, &head, &err) != M2C_OK) {
            logf_("block number: %s", err.msg);
            goto sleep;
        }
        if (head < (uint64_t)conf || head - (uint64_t)conf < from) goto sleep;
        uint64_t to = head - (uint64_t)conf;
        if (to - from > 2000) to = from + 2000;
        m2c_rpc_filter f;
        memset(&f, 0, sizeof f);
        f.addresses = &coord;
        f.n_addresses = 1;
        f.topics[0] = t0;
        f.n_topic_or[0] = 3;
        f.n_topics = 1;
        f.from = m2c_blockref_num(from);
        f.to = m2c_blockref_num(to);
        m2c_rpc_logs logs;
        memset(&logs, 0, sizeof logs);
        if (m2c_rpc_get_logs(ch.rpc, &logs, &f, &err) != M2C_OK) {
            logf_("eth_getLogs: %s", err.msg);
            goto sleep;
        }
        int all_ok = 1;
        for (size_t i = 0; i < logs.n && !g_stop; i++) {
            const m2c_rpc_log *lg = &logs.v[i];
            if (lg->removed || lg->n_topics == 0) continue;
            if (!memcmp(lg->topics[0].b, t0[0].b, 32)) {
                m2c_noderec r;
                memset(&r, 0, sizeof r);
                if (m2c_node_decode_requested(&r, lg->topics, lg->n_topics, lg->data, lg->data_len,
                                              &err) == M2C_OK) {
                    if (!add_req(&w, &r)) {
                        m2c_noderec_free(&r);
                        logf_("out of memory");
                    }
                }
            } else if (!memcmp(lg->topics[0].b, t0[2].b, 32)) {
                m2c_node_model_reg m;
                if (m2c_node_decode_model_registered(&m, lg->topics, lg->n_topics, lg->data,
                                                     lg->data_len, &err) == M2C_OK &&
                    !add_model(&w, &m))
                    logf_("out of memory");
            } else if (!on_fulfilled(&w, &ch, &coord, lg)) {
                all_ok = 0;
                break;
            }
        }
        m2c_rpc_logs_free(&logs);
        if (all_ok && !g_stop) {
            if (!db_set_last_block(&w, to))
                logf_("cannot record last block: %s", sqlite3_errmsg(w.db));
            if (w.metrics) {
                m2c_metrics_set(w.metrics, "ml2chain_watch_last_block", "Last block fully judged",
                                "", (double)to);
                m2c_metrics_set_health(w.metrics, 1, "ok");
            }
            from = to + 1;
        }
        if (to < head - (uint64_t)conf) continue;
    sleep:;
        struct timespec ts = {poll_ms / 1000, (poll_ms % 1000) * 1000000L};
        if (!g_stop) nanosleep(&ts, NULL);
    }
    logf_("stopped cleanly");
    rc = 0;
out:
    if (w.metrics) {
        m2c_metrics_stop(w.metrics);
        m2c_metrics_destroy(w.metrics);
    }
    if (chain_open) m2c_cli_chain_close(&ch);
    if (w.db) sqlite3_close(w.db);
    for (size_t i = 0; i < w.n_files; i++) {
        free(w.files[i].bytes);
        m2c_qmodel_free(w.files[i].q);
    }
    for (size_t i = 0; i < w.n_reqs; i++)
        m2c_noderec_free(&w.reqs[i]);
    free(w.reqs);
    free(w.models);
    return rc;
}
