/* cmd_watch.c: `ml2chain watch`: follows a Coordinator's Requested and Fulfilled events for
 * the models whose files it holds, re-executes each fulfilled request, and challenges a
 * result that differs from its own (docs/verification.md, "Watcher"). Its state
 * (watchstore.h: cursor with block hashes, requests, fulfilments and verdicts, challenge
 * transactions) is in SQLite: a restart resumes from the cursor, and a challenge is
 * recorded before it is sent, so a wrong result is challenged exactly once. */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chaintx.h"
#include "cli.h"
#include "ml2chain/clock.h"
#include "ml2chain/encoding.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/nodetx.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/tx.h"
#include "ml2chain/u256.h"
#include "ml2chain/watchstore.h"
#include "ml2chain/watchtx.h"
/* The node's metrics registry and /metrics endpoint (src/node, not yet a public header). */
#include "../node/metrics.h"

#define CMD        "watch"
#define MAX_MODELS 256
#define MAX_STALL  64 /* open challenges whose waiting is tracked for replacement */
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
    model_file files[MAX_MODELS];
    size_t n_files;
    m2c_watch_model *models; /* registrations, from the store */
    size_t n_models;
    m2c_watchstore *st;
    m2c_metrics *metrics; /* NULL without --metrics */
    m2c_cli_chain ch;
    m2c_addr20 coord;
    uint64_t start_block;
    uint64_t conf;
    int first_pass;
    double last_resend; /* unmined challenges are sent again at most every 5 s */
    unsigned replace_blocks; /* blocks an open challenge may wait before it is re-signed */
    m2c_u256 fee_cap;        /* max fee per gas for replacements (zero: none) */
    struct {
        m2c_hash32 tx;   /* the open challenge transaction */
        uint64_t since;  /* the head when it was first seen waiting */
        int capped;      /* its fees are at the cap (logged once) */
    } stall[MAX_STALL];
    size_t n_stall;
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
           "  --replace-blocks N    blocks an unmined challenge waits before it is re-signed\n"
           "                        at the same nonce with both fees raised >= 12.5%% (default 3)\n"
           "  --fee-cap-gwei X      never pay more than X gwei per gas (default: no cap)\n"
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
        if (!memcmp(w->models[i].model_id.b, model_id->b, 32))
            for (size_t j = 0; j < w->n_files; j++)
                if (!memcmp(w->files[j].hash.b, w->models[i].model_hash.b, 32)) return &w->files[j];
    return NULL;
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


static void count_verdict(watcher *w, const char *verdict, double n) {
    if (!w->metrics || !n) return;
    char lab[64];
    snprintf(lab, sizeof lab, "verdict=\"%s\"", verdict);
    m2c_metrics_inc(w->metrics, "ml2chain_watch_verdicts_total", "Fulfilled requests judged, by verdict",
                    lab, n);
}

static void count_cb(void *ctx, const char *verdict, uint64_t n) {
    watcher *w = ctx;
    if (strcmp(verdict, "pending") && strcmp(verdict, "challenging") && strcmp(verdict, "not-watched"))
        count_verdict(w, verdict, (double)n);
}

/* Records a verdict (and counts it); 0 on a store failure (printed). */
static int put_verdict(watcher *w, const m2c_hash32 *id, const char *verdict) {
    m2c_err e;
    m2c_err_clear(&e);
    if (m2c_watchstore_set_verdict(w->st, id, verdict, &e) != M2C_OK) {
        logf_("cannot record verdict: %s", e.msg);
        return 0;
    }
    if (strcmp(verdict, "not-watched")) count_verdict(w, verdict, 1);
    return 1;
}

static int reload_models(watcher *w) {
    m2c_err e;
    m2c_err_clear(&e);
    free(w->models);
    w->models = NULL;
    w->n_models = 0;
    if (m2c_watchstore_models(w->st, &w->models, &w->n_models, &e) != M2C_OK) {
        logf_("%s", e.msg);
        return 0;
    }
    return 1;
}

static int block_hash_at(watcher *w, uint64_t num, m2c_hash32 *h, m2c_err *e) {
    m2c_rpc_block b;
    memset(&b, 0, sizeof b);
    m2c_blockref ref = m2c_blockref_num(num);
    int ok = m2c_rpc_get_block(w->ch.rpc, &b, &ref, 0, e) == M2C_OK;
    if (ok) *h = b.hash;
    m2c_rpc_block_free(&b);
    return ok;
}

/* The next block to scan, after checking the cursor's block is still on the chain (else
 * rewinding to the newest stored block that is). 0 on an RPC or store failure (logged). */
static int next_from(watcher *w, uint64_t head, uint64_t *from) {
    m2c_err e;
    m2c_err_clear(&e);
    uint64_t blk;
    m2c_hash32 stored, live;
    m2c_status st = m2c_watchstore_cursor(w->st, &blk, &stored, &e);
    if (st == M2C_ERR_NOTFOUND) {
        *from = w->start_block;
        return 1;
    }
    if (st) return logf_("%s", e.msg), 0;
    if (blk <= head) {
        if (!block_hash_at(w, blk, &live, &e)) return logf_("block %llu: %s", (unsigned long long)blk, e.msg), 0;
        if (!memcmp(live.b, stored.b, 32)) {
            *from = blk + 1;
            return 1;
        }
    }
    uint64_t nums[64];
    m2c_hash32 hashes[64];
    size_t nb = 0;
    uint64_t below = blk;
    for (;;) {
        if (m2c_watchstore_blocks(w->st, below, nums, hashes, 64, &nb, &e) != M2C_OK) return logf_("%s", e.msg), 0;
        for (size_t i = 0; i < nb; i++) {
            if (nums[i] > head) continue;
            if (!block_hash_at(w, nums[i], &live, &e)) return logf_("%s", e.msg), 0;
            if (memcmp(live.b, hashes[i].b, 32)) continue;
            size_t dropped = 0;
            if (m2c_watchstore_rewind(w->st, nums[i], &hashes[i], &dropped, &e) != M2C_OK)
                return logf_("%s", e.msg), 0;
            logf_("reorg: block %llu changed; rewound to %llu (%zu unjudged fulfilment(s) to be read again)",
                  (unsigned long long)blk, (unsigned long long)nums[i], dropped);
            *from = nums[i] + 1;
            return reload_models(w);
        }
        if (nb < 64 || nums[nb - 1] == 0) break;
        below = nums[nb - 1] - 1;
    }
    uint64_t to = w->start_block ? w->start_block - 1 : 0;
    m2c_hash32 th;
    size_t dropped = 0;
    if (!block_hash_at(w, to, &th, &e) || m2c_watchstore_rewind(w->st, to, &th, &dropped, &e) != M2C_OK)
        return logf_("%s", e.msg), 0;
    logf_("reorg deeper than the stored blocks: reading again from block %llu", (unsigned long long)to + 1);
    *from = to + 1;
    return reload_models(w);
}

/* Reads the Coordinator's logs in [from, to] and records them with the cursor. */
static int scan(watcher *w, uint64_t from, uint64_t to) {
    m2c_err err;
    m2c_err_clear(&err);
    m2c_hash32 t0[3] = {m2c_event_topic(M2C_SIG_REQUESTED), m2c_event_topic(M2C_SIG_FULFILLED),
                        m2c_event_topic(M2C_SIG_MODEL_REGISTERED)};
    m2c_rpc_filter f;
    memset(&f, 0, sizeof f);
    f.addresses = &w->coord;
    f.n_addresses = 1;
    f.topics[0] = t0;
    f.n_topic_or[0] = 3;
    f.n_topics = 1;
    f.from = m2c_blockref_num(from);
    f.to = m2c_blockref_num(to);
    m2c_rpc_logs logs;
    memset(&logs, 0, sizeof logs);
    m2c_hash32 to_hash;
    if (!block_hash_at(w, to, &to_hash, &err)) return logf_("block %llu: %s", (unsigned long long)to, err.msg), 0;
    if (m2c_rpc_get_logs(w->ch.rpc, &logs, &f, &err) != M2C_OK) return logf_("eth_getLogs: %s", err.msg), 0;
    size_t cap = logs.n ? logs.n : 1, nr = 0, nm = 0, nf = 0, nb = 0;
    m2c_noderec *reqs = calloc(cap, sizeof *reqs);
    m2c_watch_model *models = calloc(cap, sizeof *models);
    m2c_watch_fulfilment *fuls = calloc(cap, sizeof *fuls);
    uint64_t *bnums = calloc(cap, sizeof *bnums);
    m2c_hash32 *bhashes = calloc(cap, sizeof *bhashes);
    int ok = reqs && models && fuls && bnums && bhashes;
    if (!ok) logf_("out of memory");
    for (size_t i = 0; ok && i < logs.n; i++) {
        const m2c_rpc_log *lg = &logs.v[i];
        if (lg->removed || lg->n_topics == 0) continue;
        if (lg->block_number == to && memcmp(lg->block_hash.b, to_hash.b, 32)) {
            logf_("block %llu changed during the scan; again", (unsigned long long)to);
            ok = 0;
            break;
        }
        if (nb == 0 || bnums[nb - 1] != lg->block_number) {
            bnums[nb] = lg->block_number;
            bhashes[nb++] = lg->block_hash;
        }
        m2c_err_clear(&err);
        if (!memcmp(lg->topics[0].b, t0[0].b, 32)) {
            m2c_noderec *r = &reqs[nr];
            if (m2c_node_decode_requested(r, lg->topics, lg->n_topics, lg->data, lg->data_len, &err) == M2C_OK) {
                r->block = lg->block_number;
                nr++;
            } else {
                m2c_noderec_free(r);
            }
        } else if (!memcmp(lg->topics[0].b, t0[2].b, 32)) {
            m2c_node_model_reg m;
            if (m2c_node_decode_model_registered(&m, lg->topics, lg->n_topics, lg->data, lg->data_len,
                                                 &err) == M2C_OK) {
                models[nm].model_id = m.model_id;
                models[nm].model_hash = m.model_hash;
                models[nm++].block = lg->block_number;
            }
        } else if (lg->n_topics >= 2 && lg->data_len >= 64) {
            /* Fulfilled data: outcome = errorCode << 8 | callbackSuccess, outputHash */
            int small = 1;
            for (int k = 0; k < 27; k++) small &= lg->data[k] == 0;
            if (!small) continue;
            m2c_watch_fulfilment *fu = &fuls[nf++];
            fu->id = lg->topics[1];
            fu->tx = lg->transaction_hash;
            fu->code = (uint32_t)lg->data[27] << 24 | (uint32_t)lg->data[28] << 16 |
                       (uint32_t)lg->data[29] << 8 | lg->data[30];
            memcpy(fu->output_hash.b, lg->data + 32, 32);
            fu->block = lg->block_number;
            fu->log_index = lg->log_index;
        }
    }
    if (ok && m2c_watchstore_record_range(w->st, reqs, nr, models, nm, fuls, nf, bnums, bhashes, nb, to,
                                          &to_hash, &err) != M2C_OK) {
        logf_("%s", err.msg);
        ok = 0;
    }
    if (ok && nm) ok = reload_models(w);
    for (size_t i = 0; reqs && i < nr; i++) m2c_noderec_free(&reqs[i]);
    free(reqs);
    free(models);
    free(fuls);
    free(bnums);
    free(bhashes);
    m2c_rpc_logs_free(&logs);
    return ok;
}

/* The index of the stall entry of challenge transaction tx, added (waiting since `head`) if
 * new; MAX_STALL when the table is full (that challenge is then only re-sent as it is). */
static size_t stall_of(watcher *w, const m2c_hash32 *tx, uint64_t head) {
    for (size_t i = 0; i < w->n_stall; i++)
        if (!memcmp(w->stall[i].tx.b, tx->b, 32)) return i;
    if (w->n_stall == MAX_STALL) return MAX_STALL;
    w->stall[w->n_stall].tx = *tx;
    w->stall[w->n_stall].since = head;
    w->stall[w->n_stall].capped = 0;
    return w->n_stall++;
}

/* Forgets stall entries of transactions no longer open. */
static void stall_prune(watcher *w, const m2c_watch_challenge *cs, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < w->n_stall; i++) {
        int open = 0;
        for (size_t j = 0; j < n && !open; j++) open = !memcmp(cs[j].tx_hash.b, w->stall[i].tx.b, 32);
        if (open) w->stall[k++] = w->stall[i];
    }
    w->n_stall = k;
}

/* Re-signs open challenge c (stalled for replace_blocks blocks) at its nonce with both fees
 * raised by at least 12.5% and to at least what a new transaction would pay now, records the
 * replacement, then sends it. At the fee cap it sends c as it is. 0 on a failure (retried at
 * the next poll). */
static int replace_challenge(watcher *w, const m2c_watch_challenge *c, size_t si, uint64_t head,
                             const char *ids) {
    m2c_err e;
    m2c_err_clear(&e);
    m2c_tx tx;
    m2c_buf raw;
    m2c_buf_init(&raw, 0);
    int ok = 0;
    if (m2c_tx_decode(&tx, c->raw, c->raw_len, &e) != M2C_OK) {
        logf_("request %s: recorded challenge does not decode: %s", ids, e.msg);
        return 0;
    }
    int legacy = tx.type != M2C_TX_EIP1559;
    m2c_node_fees old = {.legacy = legacy}, fresh = {.legacy = legacy}, nw;
    old.max_fee = legacy ? tx.gas_price : tx.max_fee_per_gas;
    old.prio_fee = legacy ? tx.gas_price : tx.max_priority_fee_per_gas;
    if (!m2c_cli_chain_fees(&w->ch, "challenge", legacy, &fresh.max_fee, &fresh.prio_fee)) goto out;
    if (m2c_node_fees_bump(&nw, &old, &fresh, &w->fee_cap) != M2C_OK) {
        if (!w->stall[si].capped)
            logf_("request %s: challenge not mined and its fees are at the cap; re-sending as is", ids);
        w->stall[si].capped = 1;
        m2c_hash32 h;
        m2c_err_clear(&e);
        m2c_status ignored = m2c_rpc_send_raw_transaction(w->ch.rpc, &h, c->raw, c->raw_len, &e);
        (void)ignored; /* a node that already has it refuses it; either way it waits */
        ok = 1;
        goto out;
    }
    if (legacy) {
        tx.gas_price = nw.max_fee;
    } else {
        tx.max_fee_per_gas = nw.max_fee;
        tx.max_priority_fee_per_gas = nw.prio_fee;
    }
    m2c_watch_challenge r = {.id = c->id, .nonce = c->nonce, .sent_time = m2c_clock_wall_s()};
    if (m2c_tx_sign(&tx, &w->ch.key, &e) != M2C_OK || m2c_tx_encode_signed(&raw, &tx, &e) != M2C_OK ||
        m2c_tx_hash(&r.tx_hash, &tx, &e) != M2C_OK) {
        logf_("request %s: cannot re-sign the challenge: %s", ids, e.msg);
        goto out;
    }
    r.raw = raw.p;
    r.raw_len = raw.len;
    /* recorded before it is sent, like the first: whichever of the two is mined settles it */
    if (m2c_watchstore_replace_challenge(w->st, &r, &e) != M2C_OK) {
        logf_("request %s: cannot record the replacement: %s", ids, e.msg);
        goto out;
    }
    char th[67], mf[80], pf[80];
    hexs(th, r.tx_hash.b, 32);
    m2c_cli_dec(mf, &nw.max_fee);
    m2c_cli_dec(pf, &nw.prio_fee);
    logf_("request %s: challenge at nonce %llu not mined for %llu blocks; replaced with %s "
          "(max fee %s wei, priority fee %s wei)",
          ids, (unsigned long long)c->nonce, (unsigned long long)(head - w->stall[si].since), th, mf,
          pf);
    w->stall[si].tx = r.tx_hash;
    w->stall[si].since = head;
    if (!m2c_cli_chain_broadcast(&w->ch, "challenge", raw.p, raw.len, &r.tx_hash))
        logf_("request %s: replacement %s recorded; sending again later", ids, th);
    ok = 1;
out:
    m2c_tx_free(&tx);
    m2c_buf_free(&raw);
    return ok;
}

/* Follows open challenges: settles mined ones (whichever of a challenge's transactions was
 * mined), replaces those not mined for --replace-blocks blocks with higher fees, re-sends the
 * others (same bytes, same nonce), and returns dropped ones to judgement. 0 on a transport
 * failure. */
static int follow_challenges(watcher *w, uint64_t head) {
    m2c_err e;
    m2c_err_clear(&e);
    m2c_watch_challenge *cs = NULL;
    size_t n = 0;
    if (m2c_watchstore_open_challenges(w->st, &cs, &n, &e) != M2C_OK) return logf_("%s", e.msg), 0;
    if (w->metrics)
        m2c_metrics_set(w->metrics, "ml2chain_watch_challenges_open", "Challenges sent and not yet settled", "",
                        (double)n);
    int ok = 1;
    uint64_t latest_nonce = 0;
    if (n) {
        m2c_blockref latest = m2c_blockref_latest();
        if (m2c_rpc_get_transaction_count(w->ch.rpc, &latest_nonce, &w->ch.key.addr, &latest, &e) != M2C_OK) {
            logf_("nonce: %s", e.msg);
            ok = 0;
        }
    }
    m2c_hash32 t_ch = m2c_event_topic(M2C_SIG_CHALLENGED);
    int resend = w->first_pass || m2c_clock_wall_s() - w->last_resend > 5.0;
    if (resend) w->last_resend = m2c_clock_wall_s();
    stall_prune(w, cs, n);
    for (size_t i = 0; ok && i < n && !g_stop; i++) {
        m2c_watch_challenge *c = &cs[i];
        char ids[67], th[67];
        hexs(ids, c->id.b, 32);
        m2c_rpc_receipt rc;
        memset(&rc, 0, sizeof rc);
        /* the open transaction's receipt; once its nonce is used and it has none, the one of
         * a transaction it replaced (one of them was mined, or another transaction took it) */
        hexs(th, c->tx_hash.b, 32);
        m2c_err_clear(&e);
        m2c_status rs = m2c_rpc_get_receipt(w->ch.rpc, &rc, &c->tx_hash, &e);
        if (rs == M2C_ERR_NOTFOUND && c->nonce < latest_nonce) {
            m2c_hash32 hs[64];
            size_t nh = 0;
            if (m2c_watchstore_challenge_hashes(w->st, &c->id, c->nonce, hs, 64, &nh, &e) != M2C_OK) {
                logf_("%s", e.msg);
                ok = 0;
                break;
            }
            for (size_t k = 1; k < nh && rs == M2C_ERR_NOTFOUND; k++) { /* hs[0] is the open one */
                m2c_err_clear(&e);
                rs = m2c_rpc_get_receipt(w->ch.rpc, &rc, &hs[k], &e);
                if (rs == M2C_OK) hexs(th, hs[k].b, 32);
            }
        }
        if (rs == M2C_OK) {
            int slashed_seen = 0;
            for (size_t k = 0; k < rc.n_logs; k++) {
                const m2c_rpc_log *x = &rc.logs[k];
                if (x->n_topics >= 2 && !memcmp(x->topics[0].b, t_ch.b, 32) &&
                    !memcmp(x->topics[1].b, c->id.b, 32) && x->data_len >= 64) {
                    m2c_u256 slashed = m2c_u256_from_be32(x->data);
                    char dec[80];
                    m2c_cli_dec(dec, &slashed);
                    logf_("request %s: challenge confirmed, operator slashed %s wei", ids, dec);
                    slashed_seen = 1;
                }
            }
            int state = rc.status == 1 && slashed_seen ? M2C_CHALLENGE_MINED : M2C_CHALLENGE_REVERTED;
            if (state == M2C_CHALLENGE_REVERTED)
                logf_("request %s: challenge %s mined but %s", ids, th,
                      rc.status == 1 ? "without a Challenged event" : "reverted");
            if (m2c_watchstore_settle_challenge(w->st, &c->id, state, rc.block_number, &e) != M2C_OK) {
                logf_("%s", e.msg);
                ok = 0;
            } else {
                count_verdict(w, state == M2C_CHALLENGE_MINED ? "challenged" : "challenge-failed", 1);
            }
            m2c_rpc_receipt_free(&rc);
        } else if (rs != M2C_ERR_NOTFOUND) {
            logf_("receipt of %s: %s", th, e.msg);
            ok = 0;
        } else if (c->nonce < latest_nonce && m2c_clock_wall_s() - c->sent_time > 2.0 &&
                   !w->first_pass) {
            /* another transaction used the nonce: judge the fulfilment again */
            logf_("request %s: challenge %s was dropped (nonce %llu used); judging again", ids, th,
                  (unsigned long long)c->nonce);
            if (m2c_watchstore_settle_challenge(w->st, &c->id, M2C_CHALLENGE_DROPPED, 0, &e) != M2C_OK) {
                logf_("%s", e.msg);
                ok = 0;
            }
        } else if (c->nonce >= latest_nonce) {
            size_t si = stall_of(w, &c->tx_hash, head);
            if (si < MAX_STALL && w->replace_blocks && head >= w->stall[si].since + w->replace_blocks) {
                /* waiting too long (fees too low for the blocks being built): re-sign */
                if (!replace_challenge(w, c, si, head, ids)) ok = 0;
                w->stall[si].since = head;
            } else if (resend) {
                /* not mined: send the same bytes again (a restart, or a node that lost it) */
                m2c_hash32 h;
                m2c_err_clear(&e);
                if (m2c_rpc_send_raw_transaction(w->ch.rpc, &h, c->raw, c->raw_len, &e) == M2C_OK &&
                    w->first_pass)
                    logf_("request %s: challenge %s (nonce %llu) sent again", ids, th,
                          (unsigned long long)c->nonce);
            }
        }
    }
    m2c_watchstore_challenges_free(cs, n);
    return ok;
}

/* Judges one pending fulfilment. Returns 0 on a transient failure (retry later). */
static int judge(watcher *w, const m2c_watch_fulfilment *fu) {
    const m2c_hash32 *id = &fu->id;
    char ids[67];
    hexs(ids, id->b, 32);
    m2c_err e;
    m2c_err_clear(&e);
    m2c_noderec r;
    m2c_status rs = m2c_watchstore_request(w->st, id, &r, &e);
    if (rs == M2C_ERR_NOTFOUND) return put_verdict(w, id, "not-watched");
    if (rs) return logf_("%s", e.msg), 0;
    m2c_hash32 mid;
    memcpy(mid.b, r.req + 32, 32);
    const model_file *f = file_of_model(w, &mid);
    if (!f) {
        m2c_noderec_free(&r);
        return put_verdict(w, id, "not-watched");
    }
    m2c_buf mine;
    m2c_buf_init(&mine, (size_t)1 << 20);
    m2c_buf call;
    m2c_buf_init(&call, (size_t)1 << 26);
    m2c_buf raw;
    m2c_buf_init(&raw, 0);
    uint8_t *cd = NULL;
    size_t cd_len = 0;
    int rc = 1;
    uint32_t code = compute(f, &r, &mine);
    m2c_hash32 mh = m2c_keccak256(mine.p, mine.len);
    if (code == fu->code && !memcmp(mh.b, fu->output_hash.b, 32)) {
        logf_("request %s: ok (code %u)", ids, code);
        rc = put_verdict(w, id, "ok");
        goto out;
    }
    if (code != M2C_ENC_OK || r.input_len == 0 || r.input[0] != 0) {
        logf_("request %s: posted result differs (posted code %u, ours %u) but the input is not "
              "decidable on chain: not challenged",
              ids, fu->code, code);
        rc = put_verdict(w, id, "wrong-undecidable");
        goto out;
    }
    if (!fetch_tx_input(w->ch.rpc, &fu->tx, &cd, &cd_len)) {
        logf_("request %s: cannot fetch the fulfilling transaction; will retry", ids);
        rc = 0;
        goto out;
    }
    const uint8_t *preq, *pout;
    size_t pout_len;
    uint32_t pcode;
    if (m2c_watch_find_fulfilment(cd, cd_len, id, &preq, &pout, &pout_len, &pcode, &e) != M2C_OK ||
        pcode != fu->code || memcmp(m2c_keccak256(pout, pout_len).b, fu->output_hash.b, 32)) {
        logf_("request %s: posted output not found in the fulfilling transaction's calldata%s%s", ids,
              e.msg[0] ? ": " : "", e.msg);
        rc = put_verdict(w, id, "wrong-no-calldata");
        goto out;
    }
    if (m2c_watch_challenge_calldata(&call, r.req, pout, pout_len, pcode, f->bytes, f->len, r.input,
                                     r.input_len, &e) != M2C_OK) {
        logf_("request %s: %s", ids, e.msg);
        rc = 0;
        goto out;
    }
    logf_("request %s: wrong result (posted code %u, ours %u): challenging", ids, pcode, code);
    m2c_watch_challenge c;
    memset(&c, 0, sizeof c);
    c.id = *id;
    c.nonce = w->ch.nonce;
    if (!m2c_cli_chain_sign(&w->ch, "challenge", &w->coord, call.p, call.len, NULL, &raw, &c.tx_hash)) {
        /* The error line is printed. When the challenge would still succeed (eth_call
         * passes) or the node is unreachable, the failure was transient: retry next poll.
         * Otherwise it reverts (window closed, already corrected): record it. */
        uint8_t *ret = NULL;
        size_t ret_len = 0;
        uint64_t head;
        int would_pass = m2c_cli_chain_call(w->ch.rpc, CMD, "challenge (check)", &w->coord, call.p, call.len,
                                            &ret, &ret_len);
        free(ret);
        m2c_err_clear(&e);
        if (would_pass || m2c_rpc_block_number(w->ch.rpc, &head, &e) != M2C_OK) {
            logf_("request %s: challenge not sent; will retry", ids);
            rc = 0;
            goto out;
        }
        logf_("request %s: challenge not sent: it reverts", ids);
        rc = put_verdict(w, id, "challenge-failed");
        goto out;
    }
    c.raw = raw.p;
    c.raw_len = raw.len;
    c.sent_time = m2c_clock_wall_s();
    /* recorded before it is sent: after a crash the same bytes are sent again */
    if (m2c_watchstore_record_challenge(w->st, &c, &e) != M2C_OK) {
        logf_("request %s: cannot record the challenge: %s", ids, e.msg);
        w->ch.nonce--; /* never sent */
        rc = 0;
        goto out;
    }
    char th[67];
    hexs(th, c.tx_hash.b, 32);
    if (!m2c_cli_chain_broadcast(&w->ch, "challenge", raw.p, raw.len, &c.tx_hash))
        logf_("request %s: challenge %s recorded; sending again later", ids, th);
    else
        logf_("request %s: challenge %s sent (nonce %llu)", ids, th, (unsigned long long)c.nonce);
out:
    free(cd);
    m2c_noderec_free(&r);
    m2c_buf_free(&mine);
    m2c_buf_free(&call);
    m2c_buf_free(&raw);
    return rc;
}

int m2c_cmd_watch(int argc, char **argv) {
    static const struct option opts[] = {
        {"deployment", required_argument, NULL, 'd'},
        {"models", required_argument, NULL, 'm'},
        {"state", required_argument, NULL, 's'},
        {"confirmations", required_argument, NULL, 'c'},
        {"poll-ms", required_argument, NULL, 'p'},
        {"metrics", required_argument, NULL, 'M'},
        {"replace-blocks", required_argument, NULL, 'R'},
        {"fee-cap-gwei", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        M2C_CLI_KEY_OPTIONS,
        M2C_CLI_RPC_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    const char *deployment = NULL, *models = NULL, *state = "ml2chain-watch.db", *metrics = NULL;
    unsigned long long conf = 1, poll_ms = 1000, replace_blocks = 3;
    m2c_u256 fee_cap = m2c_u256_from_u64(0);
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
        case 'c':
            if (m2c_cli_uint(CMD, "--confirmations", optarg, 0, 1000, "blocks", &conf)) return 1;
            break;
        case 'p':
            if (m2c_cli_uint(CMD, "--poll-ms", optarg, 10, 600000, "ms", &poll_ms)) return 1;
            break;
        case 'R':
            if (m2c_cli_uint(CMD, "--replace-blocks", optarg, 1, 10000, "blocks", &replace_blocks))
                return 1;
            break;
        case 'F': {
            char *e;
            double g = strtod(optarg, &e);
            if (!*optarg || *e || !(g > 0) || g > 1e12)
                return m2c_cli_fail(CMD, "--fee-cap-gwei: expected gwei (a number > 0), got \"%s\"",
                                    optarg);
            fee_cap = m2c_u256_from_u64((uint64_t)(g * 1e9 + 0.5));
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
    watcher w;
    memset(&w, 0, sizeof w);
    if (!m2c_cli_deployment_addr(CMD, deployment, "Coordinator", &w.coord)) return 1;
    {
        json_error_t je;
        json_t *j = json_load_file(deployment, 0, &je);
        json_t *b = j ? json_object_get(j, "deployBlock") : NULL;
        if (json_is_integer(b) && json_integer_value(b) >= 0)
            w.start_block = (uint64_t)json_integer_value(b);
        json_decref(j);
    }
    w.conf = (uint64_t)conf;
    w.first_pass = 1;
    w.replace_blocks = (unsigned)replace_blocks;
    w.fee_cap = fee_cap;
    int rc = 1, chain_open = 0;
    m2c_err me;
    m2c_err_clear(&me);
    if (!load_models(&w, models)) goto out;
    if (m2c_watchstore_open(&w.st, state, &me) != M2C_OK) {
        m2c_cli_fail_err(CMD, &me, "state %s", state);
        goto out;
    }
    if (!reload_models(&w)) goto out;
    if (metrics) {
        if (m2c_metrics_create(&w.metrics, &me) != M2C_OK) {
            m2c_cli_fail_err(CMD, &me, "metrics");
            goto out;
        }
        if (m2c_metrics_serve(w.metrics, metrics, &me) != M2C_OK) {
            m2c_cli_fail_err(CMD, &me, "cannot serve metrics on %s", metrics);
            goto out;
        }
        m2c_metrics_set_health(w.metrics, 0, "starting");
        /* totals over the state, so a restart keeps them */
        if (m2c_watchstore_verdict_counts(w.st, count_cb, &w, &me) != M2C_OK) {
            m2c_cli_fail_err(CMD, &me, "state %s", state);
            goto out;
        }
    }
    if (!m2c_cli_chain_open(&w.ch, CMD, &rf, &ka)) goto out;
    chain_open = 1;
    w.ch.timeout_s = 60;
    {
        /* challenges recorded but never sent hold their nonces */
        uint64_t store_next = 0;
        if (m2c_watchstore_next_nonce(w.st, &store_next, &me) != M2C_OK) {
            m2c_cli_fail_err(CMD, &me, "state %s", state);
            goto out;
        }
        if (store_next > w.ch.nonce) w.ch.nonce = store_next;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    {
        uint64_t cb = 0;
        m2c_hash32 ch;
        int has = m2c_watchstore_cursor(w.st, &cb, &ch, &me) == M2C_OK;
        logf_("started: %zu model file(s), state %s, %s %llu", w.n_files, state,
              has ? "resuming after block" : "reading from block",
              (unsigned long long)(has ? cb : w.start_block));
    }
    while (!g_stop) {
        m2c_err err;
        m2c_err_clear(&err);
        uint64_t head, from;
        int more = 0, all_ok = 1;
        if (m2c_rpc_block_number(w.ch.rpc, &head, &err) != M2C_OK) {
            logf_("block number: %s", err.msg);
            goto sleep;
        }
        all_ok &= follow_challenges(&w, head);
        if (!g_stop && head >= w.conf && next_from(&w, head, &from) && from <= head - w.conf) {
            uint64_t to = head - w.conf;
            if (to - from >= 2000) {
                to = from + 1999;
                more = 1;
            }
            all_ok &= scan(&w, from, to);
        }
        for (int round = 0; all_ok && !g_stop && round < 16; round++) {
            m2c_watch_fulfilment *fs = NULL;
            size_t nf = 0;
            if (m2c_watchstore_pending(w.st, 64, &fs, &nf, &err) != M2C_OK) {
                logf_("%s", err.msg);
                all_ok = 0;
                break;
            }
            for (size_t i = 0; i < nf && all_ok && !g_stop; i++) all_ok &= judge(&w, &fs[i]);
            free(fs);
            if (nf < 64) break;
        }
        if (w.metrics) {
            uint64_t cb = 0;
            m2c_hash32 ch;
            if (m2c_watchstore_cursor(w.st, &cb, &ch, &err) == M2C_OK)
                m2c_metrics_set(w.metrics, "ml2chain_watch_last_block", "Last block fully recorded", "",
                                (double)cb);
            m2c_metrics_set_health(w.metrics, all_ok, all_ok ? "ok" : "last poll failed");
        }
        if (all_ok) w.first_pass = 0;
        if (more && all_ok) continue;
    sleep:;
        struct timespec ts = {(time_t)(poll_ms / 1000), (long)(poll_ms % 1000) * 1000000L};
        if (!g_stop) nanosleep(&ts, NULL);
    }
    logf_("stopped cleanly");
    rc = 0;
out:
    if (w.metrics) {
        m2c_metrics_stop(w.metrics);
        m2c_metrics_destroy(w.metrics);
    }
    if (chain_open) m2c_cli_chain_close(&w.ch);
    m2c_watchstore_close(w.st);
    for (size_t i = 0; i < w.n_files; i++) {
        free(w.files[i].bytes);
        m2c_qmodel_free(w.files[i].q);
    }
    free(w.models);
    return rc;
}
