/* node.c: the operator node runtime (node.h): per chain a thread that watches logs, records
 * requests, runs the executor pool over new ones and drives the transaction manager. */
#include "ml2chain/node.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "metrics.h"
#include "ml2chain/clock.h"
#include "ml2chain/encoding.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/nodestore.h"
#include "ml2chain/nodetx.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/rpc.h"
#include "ml2chain/tx.h"
#include "ml2chain/u256.h"

/* ---- node-wide state ---- */

typedef struct {
    char path[1400];
    char base[256];   /* file name */
    m2c_hash32 hash;
    m2c_qmodel *q;    /* NULL when the file is not a valid qmodel */
} model_file;

typedef struct node {
    const m2c_node_cfg *cfg;
    const m2c_key *key;
    const volatile sig_atomic_t *stop;
    m2c_node_log_fn log;
    void *log_ctx;
    pthread_mutex_t log_mu;
    pthread_mutex_t files_mu;
    model_file *files;
    size_t n_files;
    m2c_metrics *metrics;
} node;

typedef struct {
    char id[80];          /* decimal model id */
    m2c_hash32 hash;      /* registered hash */
    const model_file *f;  /* the matching file, NULL when missing or mismatched */
} chain_model;

typedef struct {
    uint64_t nonce;
    double t; /* when last broadcast, monotonic seconds */
} bcast;

typedef struct chain {
    node *n;
    const m2c_node_chain_cfg *cfg;
    size_t idx;
    char key[24];         /* chain id as text: the store's chain key and metric label */
    uint64_t chain_id;
    m2c_rpc *rpc;
    m2c_nodestore *st;
    m2c_nonce_seq nonce;
    chain_model *models;
    size_t n_models, cap_models;
    uint64_t head;
    uint64_t block_gas_limit;
    uint32_t template_cb_gas;
    bcast bc[256];
    size_t n_bc;
    int first_pass;
    uint64_t mined_nonce;      /* the account's nonce at `latest` when last looked at */
    uint64_t mined_nonce_head; /* head when it last moved (or was first seen) */
    int have_mined_nonce;
    int idle;             /* last step found nothing to do */
    size_t due_final;     /* final-only deliveries found final but not yet sent (last step) */
    double next_deliver_check; /* due deliveries are looked at again from then on */
    m2c_status fatal;
    m2c_err fatal_err;
    double last_ok;
} chain;

/* Times kept in the store (sent, seen) and compared with them are wall-clock seconds. */
static double now_s(void) {
    return m2c_clock_wall_s();
}

static void logf_(node *n, m2c_log_level lvl, const chain *c, const m2c_hash32 *req,
                  const char *fmt, ...) M2C_PRINTF(5, 6);
static void logf_(node *n, m2c_log_level lvl, const chain *c, const m2c_hash32 *req,
                  const char *fmt, ...) {
    if (!n->log) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&n->log_mu);
    n->log(n->log_ctx, lvl, c ? c->key : "", req, msg);
    pthread_mutex_unlock(&n->log_mu);
}

static void hex32(char out[67], const m2c_hash32 *h) { m2c_hex_encode(out, h->b, 32, 1); }

static void sleep_ms(const node *n, unsigned ms) {
    while (ms && !*n->stop) {
        unsigned step = ms > 50 ? 50 : ms;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* ---- models directory ---- */

static m2c_status scan_models(node *n, m2c_err *err) {
    DIR *d = opendir(n->cfg->models_dir);
    if (!d) return m2c_err_set(err, M2C_ERR_IO, "models directory %s: %s", n->cfg->models_dir, strerror(errno));
    struct dirent *e;
    m2c_status st = M2C_OK;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024 + 256 + 2];
        snprintf(path, sizeof path, "%s/%s", n->cfg->models_dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
            (size_t)sb.st_size > M2C_QMODEL_MAX_BYTES)
            continue;
        int known = 0;
        pthread_mutex_lock(&n->files_mu);
        for (size_t i = 0; i < n->n_files; i++)
            if (!strcmp(n->files[i].base, e->d_name)) known = 1;
        pthread_mutex_unlock(&n->files_mu);
        if (known) continue;
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *buf = malloc((size_t)sb.st_size);
        size_t got = buf ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
        fclose(f);
        if (!buf || got != (size_t)sb.st_size) {
            free(buf);
            continue;
        }
        model_file mf;
        memset(&mf, 0, sizeof mf);
        snprintf(mf.path, sizeof mf.path, "%s", path);
        snprintf(mf.base, sizeof mf.base, "%s", e->d_name);
        mf.hash = m2c_qmodel_hash_bytes(buf, got);
        m2c_err lerr;
        if (m2c_qmodel_load(&mf.q, buf, got, &lerr) != M2C_OK) mf.q = NULL;
        free(buf);
        pthread_mutex_lock(&n->files_mu);
        model_file *nv = realloc(n->files, (n->n_files + 1) * sizeof *nv);
        if (nv) {
            n->files = nv;
            n->files[n->n_files++] = mf;
        } else {
            m2c_qmodel_free(mf.q);
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        }
        pthread_mutex_unlock(&n->files_mu);
        if (st) break;
    }
    closedir(d);
    return st;
}

static const model_file *file_by_hash(node *n, const m2c_hash32 *h) {
    const model_file *r = NULL;
    pthread_mutex_lock(&n->files_mu);
    for (size_t i = 0; i < n->n_files && !r; i++)
        if (!memcmp(n->files[i].hash.b, h->b, 32) && n->files[i].q) r = &n->files[i];
    pthread_mutex_unlock(&n->files_mu);
    return r;
}

static const model_file *file_by_name(node *n, const char *name) {
    const model_file *r = NULL;
    size_t nl = strlen(name);
    pthread_mutex_lock(&n->files_mu);
    for (size_t i = 0; i < n->n_files && !r; i++) {
        const char *b = n->files[i].base;
        if (!strcmp(b, name) || (!strncmp(b, name, nl) && b[nl] == '.')) r = &n->files[i];
    }
    pthread_mutex_unlock(&n->files_mu);
    return r;
}

/* A model registered to us: find its file and say what we found. */
static void add_model(chain *c, const m2c_node_model_reg *reg) {
    node *n = c->n;
    char id[80];
    m2c_u256 v = m2c_u256_from_be32(reg->model_id.b);
    m2c_u256_to_dec(id, sizeof id, &v);
    for (size_t i = 0; i < c->n_models; i++)
        if (!strcmp(c->models[i].id, id)) return;
    if (c->n_models == c->cap_models) {
        size_t nc = c->cap_models ? c->cap_models * 2 : 8;
        chain_model *nv = realloc(c->models, nc * sizeof *nv);
        if (!nv) return;
        c->models = nv;
        c->cap_models = nc;
    }
    const model_file *f = file_by_hash(n, &reg->model_hash);
    if (!f) {
        m2c_err ignored;
        if (scan_models(n, &ignored) == M2C_OK) f = file_by_hash(n, &reg->model_hash);
    }
    chain_model *m = &c->models[c->n_models++];
    snprintf(m->id, sizeof m->id, "%s", id);
    m->hash = reg->model_hash;
    m->f = f;
    char hh[67];
    hex32(hh, &reg->model_hash);
    char lbl[160];
    snprintf(lbl, sizeof lbl, "chain=\"%.23s\",model=\"%.80s\"", c->key, id);
    if (f) {
        logf_(n, M2C_LOG_INFO, c, NULL, "model %s: served (%s, hash %s)", id, f->base, hh);
        m2c_metrics_set(n->metrics, "ml2chain_model_served", "1 when the model's file matches its registered hash", lbl, 1);
        return;
    }
    /* Missing, or a file named after the registered URI whose bytes hash differently. */
    const char *slash = strrchr(reg->uri, '/');
    const char *uri_base = slash ? slash + 1 : reg->uri;
    const model_file *named = uri_base[0] ? file_by_name(n, uri_base) : NULL;
    if (named) {
        char fh[67];
        hex32(fh, &named->hash);
        logf_(n, M2C_LOG_WARN, c, NULL,
              "model %s: hash mismatch: %s hashes to %s, registered %s; not served (requests get error %u)",
              id, named->base, fh, hh, M2C_ENC_UNKNOWN_MODEL);
    } else {
        logf_(n, M2C_LOG_WARN, c, NULL,
              "model %s: missing: no file in %s hashes to %s; not served (requests get error %u)", id,
              n->cfg->models_dir, hh, M2C_ENC_UNKNOWN_MODEL);
    }
    m2c_metrics_set(n->metrics, "ml2chain_model_served", "1 when the model's file matches its registered hash", lbl, 0);
}

static chain_model *model_of(chain *c, const char *id) {
    for (size_t i = 0; i < c->n_models; i++)
        if (!strcmp(c->models[i].id, id)) return &c->models[i];
    return NULL;
}

/* The template names models by string: a 0x model hash, or a file name in the models dir
 * (with or without its extension). */
static const model_file *template_model(chain *c, const char *name) {
    m2c_hash32 h;
    m2c_err e;
    if (strlen(name) == 66 && m2c_hash_parse(&h, name, &e) == M2C_OK) return file_by_hash(c->n, &h);
    if (strchr(name, '/') || !name[0]) return NULL;
    const model_file *f = file_by_name(c->n, name);
    return f && f->q ? f : NULL;
}

/* ---- RPC helpers ---- */

static int msg_has(const m2c_err *e, const char *s) { return strcasestr(e->msg, s) != NULL; }

static void rpc_error(chain *c, const char *what, const m2c_err *e) {
    char lbl[64];
    snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
    m2c_metrics_inc(c->n->metrics, "ml2chain_rpc_errors_total", "RPC calls that failed", lbl, 1);
    logf_(c->n, M2C_LOG_WARN, c, NULL, "%s: %s", what, e->msg);
}

/* eth_call to the coordinator; *out malloc'd. */
static m2c_status call_view(chain *c, uint8_t **out, size_t *out_len, const uint8_t *data,
                            size_t len, m2c_err *err) {
    m2c_rpc_callmsg msg = {0};
    msg.to = &c->cfg->coordinator;
    msg.data = data;
    msg.data_len = len;
    m2c_blockref latest = m2c_blockref_latest();
    return m2c_rpc_eth_call(c->rpc, out, out_len, &msg, &latest, err);
}

/* Requests among recs[0..n) whose state reads None (states[i] == 0) but for which the
 * Coordinator logged Fulfilled get state 2: a fulfilment of a model without a challenge
 * window clears the request's slot, which then reads None like a request that was never
 * made (docs/coordinator.md, "Cleared slots"). One eth_getLogs for all of them (request ids
 * as an OR-list of topic 1, from the oldest one's block). */
static m2c_status settle_cleared(chain *c, const m2c_noderec *recs, size_t n, int *states,
                                 m2c_err *err) {
    size_t k = 0;
    uint64_t from = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (states[i] == 0) {
            k++;
            if (recs[i].block < from) from = recs[i].block;
        }
    if (k == 0) return M2C_OK;
    m2c_hash32 *ids = calloc(k, sizeof *ids);
    if (!ids) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (states[i] == 0) ids[k++] = recs[i].id;
    m2c_hash32 t0 = m2c_event_topic(M2C_SIG_FULFILLED);
    m2c_rpc_filter f;
    memset(&f, 0, sizeof f);
    f.addresses = &c->cfg->coordinator;
    f.n_addresses = 1;
    f.topics[0] = &t0;
    f.n_topic_or[0] = 1;
    f.topics[1] = ids;
    f.n_topic_or[1] = k;
    f.n_topics = 2;
    f.from = m2c_blockref_num(from);
    f.to = m2c_blockref_latest();
    m2c_rpc_logs logs;
    memset(&logs, 0, sizeof logs);
    m2c_status st = m2c_rpc_get_logs(c->rpc, &logs, &f, err);
    for (size_t j = 0; !st && j < logs.n; j++) {
        const m2c_rpc_log *l = &logs.v[j];
        if (l->removed || l->n_topics < 2) continue;
        for (size_t i = 0; i < n; i++)
            if (states[i] == 0 && !memcmp(recs[i].id.b, l->topics[1].b, 32)) states[i] = 2;
    }
    m2c_rpc_logs_free(&logs);
    free(ids);
    return st;
}

/* On-chain state of each request (Coordinator: 0 none, 1 pending, 2 fulfilled, 3 cancelled;
 * template: 1 open, 2 fulfilled, 0 unknown). Batched. A Coordinator slot reading None is
 * reported fulfilled when a Fulfilled log for the request exists (a cleared slot). */
static m2c_status chain_states(chain *c, const m2c_noderec *recs, size_t n, int *states,
                               m2c_err *err) {
    m2c_status st = M2C_OK;
    if (n == 0) return M2C_OK;
    m2c_rpc_req *reqs = calloc(n, sizeof *reqs);
    json_t **params = calloc(n, sizeof *params);
    char to[43];
    m2c_hex_encode(to, c->cfg->coordinator.b, 20, 1);
    if (!reqs || !params) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    const char *sig = c->cfg->iface == M2C_IFACE_TEMPLATE ? "getRequest(uint256)" : "requestState(uint256)";
    for (size_t i = 0; i < n; i++) {
        m2c_buf b;
        m2c_buf_init(&b, 0);
        if (m2c_node_id_calldata(&b, sig, &recs[i].id)) {
            m2c_buf_free(&b);
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        char *hex = m2c_hex_encode_alloc(b.p, b.len, 1);
        m2c_buf_free(&b);
        if (!hex) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        params[i] = json_pack("[{s:s,s:s},s]", "to", to, "data", hex, "latest");
        free(hex);
        reqs[i].method = "eth_call";
        reqs[i].params = params[i];
    }
    st = m2c_rpc_batch(c->rpc, reqs, n, err);
    if (st) goto out;
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].status != M2C_OK || !json_is_string(reqs[i].result)) {
            st = m2c_err_set(err, reqs[i].status ? reqs[i].status : M2C_ERR_PROTOCOL,
                             "request state: %s", reqs[i].err.msg);
            goto out;
        }
        uint8_t *d = NULL;
        size_t dl = 0;
        const char *s = json_string_value(reqs[i].result);
        if (m2c_hex_decode_alloc(&d, &dl, s, strlen(s), M2C_HEX_PREFIX_REQUIRED, err) != M2C_OK) {
            st = m2c_err_prefix(err, "request state");
            goto out;
        }
        if (c->cfg->iface == M2C_IFACE_TEMPLATE) {
            /* getRequest: (address user, string, string, address, string, bool fulfilled) */
            if (dl < 6 * 32) states[i] = -1;
            else {
                int has_user = 0;
                for (int k = 12; k < 32; k++) has_user |= d[k];
                states[i] = d[6 * 32 - 1] ? 2 : has_user ? 1 : 0;
            }
        } else {
            states[i] = dl == 32 ? d[31] : -1;
        }
        free(d);
        if (states[i] < 0 || states[i] > 3) {
            st = m2c_err_set(err, M2C_ERR_PROTOCOL, "request state: unexpected answer");
            goto out;
        }
    }
    if (c->cfg->iface != M2C_IFACE_TEMPLATE) {
        st = settle_cleared(c, recs, n, states, err);
        if (st) {
            st = m2c_err_prefix(err, "request state: Fulfilled logs");
            goto out;
        }
    }
out:
    if (reqs) m2c_rpc_reqs_release(reqs, n);
    if (params)
        for (size_t i = 0; i < n; i++) json_decref(params[i]);
    free(reqs);
    free(params);
    return st;
}

/* ---- metrics for request outcomes ---- */

static void note_done(chain *c, const m2c_noderec *r, int ok, const char *reason,
                      uint64_t done_block) {
    char lbl[400], esc[128];
    node *n = c->n;
    if (ok) {
        snprintf(lbl, sizeof lbl, "chain=\"%s\",model=\"%s\",code=\"%u\"", c->key, r->model, r->error_code);
        m2c_metrics_inc(n->metrics, "ml2chain_requests_fulfilled_total",
                        "requests fulfilled on chain, by model and error code (0: output)", lbl, 1);
        if (done_block) {
            static const double bb[] = {0, 1, 2, 3, 4, 5, 8, 12, 20, 50};
            snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
            double d = done_block >= r->block ? (double)(done_block - r->block) : 0;
            m2c_metrics_observe(n->metrics, "ml2chain_fulfilment_latency_blocks",
                                "blocks from the request's block to its fulfilment's block", lbl, bb,
                                sizeof bb / sizeof bb[0], d);
        }
        static const double sb[] = {0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300};
        snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
        m2c_metrics_observe(n->metrics, "ml2chain_fulfilment_latency_seconds",
                            "seconds from the node seeing a request to its fulfilment being mined",
                            lbl, sb, sizeof sb / sizeof sb[0], now_s() - r->seen_time);
    } else {
        m2c_metrics_escape(esc, sizeof esc, reason);
        snprintf(lbl, sizeof lbl, "chain=\"%s\",model=\"%s\",reason=\"%s\"", c->key, r->model, esc);
        m2c_metrics_inc(n->metrics, "ml2chain_requests_failed_total",
                        "requests the node gave up on, by model and reason", lbl, 1);
    }
}

/* Applies an on-chain state found for a request we hold (not pending any more, or pending
 * and no longer in a transaction). */
static m2c_status apply_state(chain *c, const m2c_noderec *r, int state, m2c_err *err) {
    node *n = c->n;
    m2c_status st = M2C_OK;
    if (state == 2) {
        st = m2c_nodestore_set_confirmed(c->st, c->key, &r->id, NULL, 0, err);
        if (!st) {
            logf_(n, M2C_LOG_INFO, c, &r->id, "request already fulfilled on chain");
            note_done(c, r, 1, NULL, 0);
        }
    } else if (state == 3) {
        st = m2c_nodestore_set_failed(c->st, c->key, &r->id, "cancelled on chain", err);
        if (!st) note_done(c, r, 0, "cancelled", 0);
    } else if (state == 0) {
        st = m2c_nodestore_set_failed(c->st, c->key, &r->id, "not on chain (reorged away?)", err);
        if (!st) note_done(c, r, 0, "not on chain", 0);
    } else if (r->state == M2C_REQ_SUBMITTED) {
        st = m2c_nodestore_unsubmit(c->st, c->key, &r->id, err);
    }
    return st;
}

/* ---- watcher ---- */

static m2c_status block_hash_at(chain *c, uint64_t num, m2c_hash32 *h, m2c_err *err) {
    m2c_rpc_block b;
    memset(&b, 0, sizeof b);
    m2c_blockref ref = m2c_blockref_num(num);
    m2c_status st = m2c_rpc_get_block(c->rpc, &b, &ref, 0, err);
    if (!st) {
        *h = b.hash;
        if (b.gas_limit) c->block_gas_limit = b.gas_limit;
    }
    m2c_rpc_block_free(&b);
    return st;
}

/* Compares the stored cursor hash with the chain; on a mismatch walks back through the
 * stored hashes to the newest block still on the chain and rewinds there. */
static m2c_status check_reorg(chain *c, uint64_t *cursor, m2c_err *err) {
    m2c_hash32 stored, live;
    uint64_t blk;
    m2c_status st = m2c_nodestore_cursor(c->st, c->key, &blk, &stored, err);
    if (st) return st;
    if (blk > c->head) {
        /* The chain is shorter than what we processed: a reorg to a shorter chain. */
    } else {
        st = block_hash_at(c, blk, &live, err);
        if (st && st != M2C_ERR_NOTFOUND) return st;
        if (!st && !memcmp(live.b, stored.b, 32)) {
            *cursor = blk;
            return M2C_OK;
        }
    }
    uint64_t nums[64];
    m2c_hash32 hashes[64];
    size_t nb = 0;
    uint64_t below = blk;
    for (;;) {
        st = m2c_nodestore_blocks(c->st, c->key, below, nums, hashes, 64, &nb, err);
        if (st) return st;
        size_t i;
        for (i = 0; i < nb; i++) {
            if (nums[i] > c->head) continue;
            st = block_hash_at(c, nums[i], &live, err);
            if (st && st != M2C_ERR_NOTFOUND) return st;
            if (!st && !memcmp(live.b, hashes[i].b, 32)) break;
        }
        if (i < nb) {
            size_t orphaned = 0;
            st = m2c_nodestore_rewind(c->st, c->key, nums[i], &hashes[i], &orphaned, err);
            if (st) return st;
            logf_(c->n, M2C_LOG_WARN, c, NULL,
                  "reorg: block %llu changed; rewound to %llu, %zu unfinished request(s) orphaned until seen again",
                  (unsigned long long)blk, (unsigned long long)nums[i], orphaned);
            char lbl[64];
            snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
            m2c_metrics_inc(c->n->metrics, "ml2chain_reorgs_total", "reorgs detected", lbl, 1);
            *cursor = nums[i];
            return M2C_OK;
        }
        if (nb < 64) break;
        below = nums[nb - 1] - 1;
    }
    /* Nothing we stored survives: start again from the configured start block (block 0,
     * the genesis, never changes and has no logs). */
    uint64_t to = c->cfg->start_block ? c->cfg->start_block - 1 : 0;
    m2c_hash32 to_hash;
    st = block_hash_at(c, to, &to_hash, err);
    if (st) return st;
    size_t orphaned = 0;
    st = m2c_nodestore_rewind(c->st, c->key, to, &to_hash, &orphaned, err);
    if (st) return st;
    logf_(c->n, M2C_LOG_WARN, c, NULL, "reorg deeper than the stored window: rescanning from block %llu",
          (unsigned long long)to);
    *cursor = to;
    return M2C_OK;
}

/* Logs of the coordinator in [from, to]: Requested / ModelRegistered (or the template's
 * RequestEvent), recorded with the cursor move in one store transaction. */
static m2c_status scan_range(chain *c, uint64_t from, uint64_t to, size_t *added, m2c_err *err) {
    node *n = c->n;
    m2c_hash32 t0[2];
    size_t n_t0;
    if (c->cfg->iface == M2C_IFACE_TEMPLATE) {
        t0[0] = m2c_event_topic(M2C_SIG_TEMPLATE_REQUEST);
        n_t0 = 1;
    } else {
        t0[0] = m2c_event_topic(M2C_SIG_REQUESTED);
        t0[1] = m2c_event_topic(M2C_SIG_MODEL_REGISTERED);
        n_t0 = 2;
    }
    m2c_rpc_filter f;
    memset(&f, 0, sizeof f);
    f.addresses = &c->cfg->coordinator;
    f.n_addresses = 1;
    f.topics[0] = t0;
    f.n_topic_or[0] = n_t0;
    f.n_topics = 1;
    f.from = m2c_blockref_num(from);
    f.to = m2c_blockref_num(to);
    m2c_rpc_logs logs;
    memset(&logs, 0, sizeof logs);
    m2c_noderec *recs = NULL;
    size_t nr = 0;
    uint64_t *bnums = NULL;
    m2c_hash32 *bhashes = NULL;
    size_t nb = 0;
    m2c_hash32 to_hash;
    m2c_status st = block_hash_at(c, to, &to_hash, err);
    if (st) goto out;
    st = m2c_rpc_get_logs(c->rpc, &logs, &f, err);
    if (st) goto out;
    recs = calloc(logs.n ? logs.n : 1, sizeof *recs);
    bnums = calloc(logs.n ? logs.n : 1, sizeof *bnums);
    bhashes = calloc(logs.n ? logs.n : 1, sizeof *bhashes);
    if (!recs || !bnums || !bhashes) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    m2c_hash32 treg = m2c_event_topic(M2C_SIG_MODEL_REGISTERED);
    for (size_t i = 0; i < logs.n; i++) {
        const m2c_rpc_log *l = &logs.v[i];
        if (l->removed) continue;
        if (l->block_number == to && memcmp(l->block_hash.b, to_hash.b, 32)) {
            st = m2c_err_set(err, M2C_ERR_STATE, "block %llu changed during the scan",
                             (unsigned long long)to);
            goto out;
        }
        if (nb == 0 || bnums[nb - 1] != l->block_number) {
            bnums[nb] = l->block_number;
            bhashes[nb++] = l->block_hash;
        }
        m2c_err de;
        m2c_err_clear(&de);
        char where[96];
        snprintf(where, sizeof where, "log %llu:%llu", (unsigned long long)l->block_number,
                 (unsigned long long)l->log_index);
        if (c->cfg->iface == M2C_IFACE_COORDINATOR && l->n_topics > 0 &&
            !memcmp(l->topics[0].b, treg.b, 32)) {
            m2c_node_model_reg reg;
            if (m2c_node_decode_model_registered(&reg, l->topics, l->n_topics, l->data, l->data_len,
                                                 &de) != M2C_OK) {
                logf_(n, M2C_LOG_WARN, c, NULL, "%s: cannot decode ModelRegistered: %s", where, de.msg);
                continue;
            }
            if (!memcmp(reg.operator_.b, n->key->addr.b, 20)) add_model(c, &reg);
            continue;
        }
        m2c_noderec *r = &recs[nr];
        m2c_status ds = c->cfg->iface == M2C_IFACE_TEMPLATE
                            ? m2c_node_decode_template_request(r, l->data, l->data_len, &de)
                            : m2c_node_decode_requested(r, l->topics, l->n_topics, l->data,
                                                        l->data_len, &de);
        if (ds) {
            m2c_noderec_free(r);
            logf_(n, M2C_LOG_WARN, c, NULL, "%s: cannot decode request: %s", where, de.msg);
            continue;
        }
        if (c->cfg->iface == M2C_IFACE_COORDINATOR && !model_of(c, r->model)) {
            m2c_noderec_free(r); /* another operator's model */
            continue;
        }
        r->block = l->block_number;
        r->block_hash = l->block_hash;
        r->log_index = l->log_index;
        nr++;
    }
    st = m2c_nodestore_record_range(c->st, c->key, recs, nr, bnums, bhashes, nb, to, &to_hash,
                                    added, err);
    if (st) goto out;
    if (added && *added) {
        char lbl[64];
        snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
        m2c_metrics_inc(n->metrics, "ml2chain_requests_seen_total", "requests recorded from logs", lbl,
                        (double)*added);
        for (size_t i = 0; i < nr; i++)
            logf_(n, M2C_LOG_DEBUG, c, &recs[i].id, "seen in block %llu (model %s, %zu input bytes)",
                  (unsigned long long)recs[i].block, recs[i].model, recs[i].input_len);
    }
out:
    if (recs)
        for (size_t i = 0; i < nr; i++) m2c_noderec_free(&recs[i]);
    free(recs);
    free(bnums);
    free(bhashes);
    m2c_rpc_logs_free(&logs);
    return st;
}

static m2c_status watch(chain *c, int *did, m2c_err *err) {
    uint64_t conf = c->cfg->confirmations;
    if (c->head < conf) return M2C_OK;
    uint64_t target = c->head - conf;
    uint64_t cursor, from;
    m2c_hash32 h;
    m2c_status st = m2c_nodestore_cursor(c->st, c->key, &cursor, &h, err);
    if (st == M2C_ERR_NOTFOUND) {
        from = c->cfg->start_block;
    } else if (st) {
        return st;
    } else {
        st = check_reorg(c, &cursor, err);
        if (st) return st;
        from = cursor + 1;
    }
    if (from > target) return M2C_OK;
    uint64_t to = target;
    if (to - from + 1 > c->cfg->max_range) to = from + c->cfg->max_range - 1;
    size_t added = 0;
    st = scan_range(c, from, to, &added, err);
    if (!st) *did = 1;
    return st;
}

/* ---- executor ---- */

typedef struct {
    chain *c;
    m2c_noderec *recs;
    size_t n;
    m2c_buf *outs;
    uint32_t *codes;
    size_t next;
    pthread_mutex_t mu;
} exec_job;

/* Deterministic test-only lie decision: keccak(seed || id) below rate. */
static int lie(const node *n, const m2c_hash32 *id) {
    if (n->cfg->test_lie_rate <= 0) return 0;
    uint8_t buf[40];
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(n->cfg->test_lie_seed >> (8 * i));
    memcpy(buf + 8, id->b, 32);
    m2c_hash32 h = m2c_keccak256(buf, sizeof buf);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | h.b[i];
    return (double)v / 18446744073709551616.0 < n->cfg->test_lie_rate;
}

static void compute_one(chain *c, const m2c_noderec *r, m2c_buf *out, uint32_t *code) {
    const m2c_qmodel *q = NULL;
    if (c->cfg->iface == M2C_IFACE_TEMPLATE) {
        const model_file *f = template_model(c, r->model);
        q = f ? f->q : NULL;
    } else {
        chain_model *m = model_of(c, r->model);
        q = m && m->f ? m->f->q : NULL;
    }
    m2c_u256 *x = malloc(sizeof(m2c_u256) * M2C_QMODEL_MAX_IN);
    m2c_u256 y[M2C_QMODEL_MAX_OUT];
    m2c_enc_form form = r->input_len && r->input[0] == 0 ? M2C_ENC_ABI : M2C_ENC_TEXT;
    m2c_err e;
    m2c_err_clear(&e);
    uint32_t k;
    if (!x) k = M2C_ENC_MODEL_FAILURE;
    else if (!q) k = M2C_ENC_UNKNOWN_MODEL;
    else {
        k = m2c_enc_decode_input(x, q->n_in, &form, q->in_decimals, r->input, r->input_len, &e);
        if (k == M2C_ENC_OK && m2c_qmodel_predict(q, y, NULL, NULL, x, &e) != M2C_OK) k = M2C_ENC_RANGE;
        if (k == M2C_ENC_OK) {
            if (lie(c->n, &r->id)) {
                /* TEST ONLY (--test-lie-rate): a deliberately wrong answer. */
                m2c_u256 one = m2c_u256_from_u64(1000);
                if (m2c_i256_add(&y[0], &y[0], &one)) y[0] = one;
            }
            if (m2c_enc_encode_output(out, form, y, q->n_out, q->out_decimals) != M2C_OK)
                k = M2C_ENC_MODEL_FAILURE;
        }
    }
    free(x);
    if (k != M2C_ENC_OK) {
        m2c_buf_reset(out);
        if (c->cfg->iface == M2C_IFACE_TEMPLATE) {
            /* The template has no error code: the text output says it. */
            m2c_status ignored = m2c_buf_printf(out, "error:%u", k);
            (void)ignored;
        }
    }
    *code = k;
}

static void *exec_worker(void *arg) {
    exec_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        size_t i = j->next++;
        pthread_mutex_unlock(&j->mu);
        if (i >= j->n) break;
        compute_one(j->c, &j->recs[i], &j->outs[i], &j->codes[i]);
    }
    return NULL;
}

static m2c_status compute(chain *c, int *did, m2c_err *err) {
    node *n = c->n;
    m2c_noderec *recs = NULL;
    size_t nr = 0;
    /* Enough for every transaction that may be in flight, within bounds. */
    size_t cap = (size_t)c->cfg->batch_size * c->cfg->max_inflight;
    cap = cap < 512 ? 512 : cap > 4096 ? 4096 : cap;
    m2c_status st = m2c_nodestore_list(c->st, c->key, M2C_REQ_SEEN, cap, &recs, &nr, err);
    if (st || nr == 0) return st;
    *did = 1;
    exec_job j;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.recs = recs;
    j.n = nr;
    j.outs = calloc(nr, sizeof *j.outs);
    j.codes = calloc(nr, sizeof *j.codes);
    pthread_mutex_init(&j.mu, NULL);
    if (!j.outs || !j.codes) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nr; i++) m2c_buf_init(&j.outs[i], 1 << 20);
    unsigned w = n->cfg->workers;
    if (w > nr) w = (unsigned)nr;
    pthread_t th[256];
    unsigned started = 0;
    for (unsigned i = 1; i < w; i++)
        if (pthread_create(&th[started], NULL, exec_worker, &j) == 0) started++;
    exec_worker(&j);
    for (unsigned i = 0; i < started; i++) pthread_join(th[i], NULL);
    /* All outputs in one store transaction (one fsync). */
    st = m2c_nodestore_begin(c->st, err);
    for (size_t i = 0; i < nr && !st; i++)
        st = m2c_nodestore_set_computed(c->st, c->key, &recs[i].id, j.outs[i].p, j.outs[i].len,
                                        j.codes[i], err);
    if (!st) st = m2c_nodestore_commit(c->st, err);
    if (st) {
        m2c_nodestore_rollback(c->st);
        goto out;
    }
    for (size_t i = 0; i < nr; i++)
        if (j.codes[i])
            logf_(n, M2C_LOG_INFO, c, &recs[i].id, "answering with error %u (%s)", j.codes[i],
                  m2c_enc_code_str(j.codes[i]));
out:
    if (j.outs)
        for (size_t i = 0; i < nr; i++) m2c_buf_free(&j.outs[i]);
    free(j.outs);
    free(j.codes);
    pthread_mutex_destroy(&j.mu);
    m2c_nodestore_recs_free(recs, nr);
    return st;
}

/* ---- transaction manager ---- */

static m2c_status current_fees(chain *c, m2c_node_fees *out, m2c_err *err) {
    m2c_rpc_fee_history fh;
    memset(&fh, 0, sizeof fh);
    m2c_blockref latest = m2c_blockref_latest();
    double pct = 50;
    m2c_u256 zero = m2c_u256_from_u64(0), gp = zero;
    m2c_status st = m2c_rpc_get_fee_history(c->rpc, &fh, 1, &latest, &pct, 1, err);
    if (!st && fh.n_blocks >= 1 && !m2c_u256_is_zero(&fh.base_fee_per_gas[fh.n_blocks])) {
        m2c_u256 reward = fh.n_percentiles ? fh.reward[0] : zero;
        m2c_node_fees_suggest(out, 1, &fh.base_fee_per_gas[fh.n_blocks], &reward,
                              &c->cfg->min_prio, &gp, &c->cfg->fee_cap);
        m2c_rpc_fee_history_free(&fh);
        return M2C_OK;
    }
    m2c_rpc_fee_history_free(&fh);
    /* No base fee (or no eth_feeHistory): a legacy gas price. */
    st = m2c_rpc_gas_price(c->rpc, &gp, err);
    if (st) return st;
    m2c_node_fees_suggest(out, 0, &zero, &zero, &zero, &gp, &c->cfg->fee_cap);
    return M2C_OK;
}

/* Signs a transaction to the coordinator (or a 0-value self-transfer when data is NULL). */
static m2c_status sign_tx(chain *c, m2c_nodetx *out, uint64_t nonce, const m2c_node_fees *fees,
                          uint64_t gas, const uint8_t *data, size_t len, m2c_err *err) {
    memset(out, 0, sizeof *out);
    m2c_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.type = fees->legacy ? M2C_TX_LEGACY : M2C_TX_EIP1559;
    tx.chain_id = c->chain_id;
    tx.nonce = nonce;
    tx.gas_price = fees->max_fee;
    tx.max_fee_per_gas = fees->max_fee;
    tx.max_priority_fee_per_gas = fees->prio_fee;
    tx.gas_limit = gas;
    tx.has_to = 1;
    tx.to = data ? c->cfg->coordinator : c->n->key->addr;
    tx.data = data;
    tx.data_len = data ? len : 0;
    m2c_buf raw;
    m2c_buf_init(&raw, 0);
    m2c_status st = m2c_tx_sign(&tx, c->n->key, err);
    if (!st) st = m2c_tx_encode_signed(&raw, &tx, err);
    if (!st) st = m2c_tx_hash(&out->hash, &tx, err);
    if (st) {
        m2c_buf_free(&raw);
        return st;
    }
    out->nonce = nonce;
    out->raw = raw.p;
    out->raw_len = raw.len;
    out->max_fee = fees->max_fee;
    out->prio_fee = fees->prio_fee;
    out->gas = gas;
    out->sent_block = c->head;
    out->sent_time = now_s();
    out->is_cancel = data == NULL;
    return M2C_OK;
}

static void note_bcast(chain *c, uint64_t nonce) {
    for (size_t i = 0; i < c->n_bc; i++)
        if (c->bc[i].nonce == nonce) {
            c->bc[i].t = m2c_clock_mono_s();
            return;
        }
    if (c->n_bc == sizeof c->bc / sizeof c->bc[0]) c->n_bc = 0;
    c->bc[c->n_bc].nonce = nonce;
    c->bc[c->n_bc++].t = m2c_clock_mono_s();
}

/* When nonce was last broadcast (monotonic seconds); never: as long ago as can be. */
static double last_bcast(const chain *c, uint64_t nonce) {
    for (size_t i = 0; i < c->n_bc; i++)
        if (c->bc[i].nonce == nonce) return c->bc[i].t;
    return -1e300;
}

/* Sends raw bytes; benign answers (already known, nonce already used) are not errors here:
 * tracking sorts them out from receipts and the chain's nonce. */
static void broadcast(chain *c, const m2c_nodetx *tx) {
    m2c_hash32 h;
    m2c_err e;
    m2c_err_clear(&e);
    note_bcast(c, tx->nonce);
    if (m2c_rpc_send_raw_transaction(c->rpc, &h, tx->raw, tx->raw_len, &e) == M2C_OK) return;
    if (msg_has(&e, "already known") || msg_has(&e, "already imported") ||
        msg_has(&e, "nonce too low") || msg_has(&e, "underpriced"))
        return;
    char hh[67];
    hex32(hh, &tx->hash);
    logf_(c->n, M2C_LOG_WARN, c, NULL, "send tx %s (nonce %llu): %s; will retry", hh,
          (unsigned long long)tx->nonce, e.msg);
}

/* Calldata for recs[0..n) (all open). */
static m2c_status build_calldata(chain *c, m2c_buf *out, const m2c_noderec *recs, size_t n,
                                 uint32_t *cb_gas, m2c_err *err) {
    if (c->cfg->iface == M2C_IFACE_TEMPLATE) {
        cb_gas[0] = c->template_cb_gas;
        return m2c_node_template_calldata(out, &recs[0].id, recs[0].output, recs[0].output_len, err);
    }
    m2c_fulfil_item items[500];
    for (size_t i = 0; i < n; i++) {
        items[i].req = recs[i].req;
        items[i].output = recs[i].output;
        items[i].output_len = recs[i].output_len;
        items[i].error_code = recs[i].error_code;
        cb_gas[i] = m2c_node_req_fulfil_callback_gas(recs[i].req);
    }
    return m2c_node_fulfil_calldata(out, items, n, c->cfg->batch_size > 1, err);
}

/* eth_estimateGas for calldata to the coordinator; 0 when it fails (est_err says why). */
static uint64_t estimate(chain *c, const m2c_buf *data, m2c_err *est_err) {
    m2c_rpc_callmsg msg = {0};
    msg.from = &c->n->key->addr;
    msg.to = &c->cfg->coordinator;
    msg.data = data->p;
    msg.data_len = data->len;
    uint64_t est = 0;
    if (m2c_rpc_estimate_gas(c->rpc, &est, &msg, est_err) != M2C_OK) est = 0;
    return est;
}

/* Largest gas limit of one transaction: EIP-7825 (Osaka) caps it at 2^24 on chains that
 * enforce it; a limit under the cap is valid everywhere. */
#define TX_GAS_CAP ((uint64_t)16777216)

/* A safe limit for an estimate (0: none) and the batch's callbacks, under 90% of the block
 * gas limit and the per-transaction cap; 0 when the batch must split. */
static uint64_t gas_limit(chain *c, uint64_t est, const uint32_t *cb_gas, size_t n) {
    uint64_t cap = c->block_gas_limit ? c->block_gas_limit * 9 / 10 : TX_GAS_CAP;
    if (cap > TX_GAS_CAP) cap = TX_GAS_CAP;
    return m2c_node_gas_limit(est, cb_gas, n, cap);
}

static uint64_t gas_for(chain *c, const m2c_buf *data, const uint32_t *cb_gas, size_t n,
                        m2c_err *est_err) {
    return gas_limit(c, estimate(c, data, est_err), cb_gas, n);
}

/* The receipt of the mined transaction among txs[0..n), if any (M2C_ERR_NOTFOUND if none). */
static m2c_status find_receipt(chain *c, const m2c_nodetx *txs, size_t n, m2c_rpc_receipt *rc,
                               size_t *which, m2c_err *err) {
    for (size_t i = n; i-- > 0;) {
        memset(rc, 0, sizeof *rc);
        m2c_status st = m2c_rpc_get_receipt(c->rpc, rc, &txs[i].hash, err);
        if (st == M2C_OK) {
            *which = i;
            return M2C_OK;
        }
        m2c_rpc_receipt_free(rc);
        if (st != M2C_ERR_NOTFOUND) return st;
    }
    return M2C_ERR_NOTFOUND;
}

static int receipt_has(const m2c_rpc_receipt *rc, const m2c_hash32 *topic0, const m2c_hash32 *id,
                       const m2c_addr20 *addr) {
    for (size_t i = 0; i < rc->n_logs; i++) {
        const m2c_rpc_log *l = &rc->logs[i];
        if (l->n_topics >= 2 && !memcmp(l->address.b, addr->b, 20) &&
            !memcmp(l->topics[0].b, topic0->b, 32) && !memcmp(l->topics[1].b, id->b, 32))
            return 1;
    }
    return 0;
}

/* ---- final-only deliveries (docs/verification.md) ---- */

/* On-chain view of a final-only request we saw fulfilled: *done = 1 when its slot says
 * delivered (by anyone, or corrected by a challenge, which delivers, or cleared at a
 * fulfilment without a window, which delivered), -1 when it is pending or cancelled again (a
 * reorg), else 0; *is_final from isFinal(id, modelId). */
static m2c_status delivery_onchain(chain *c, const m2c_noderec *r, int *done, int *is_final,
                                   m2c_err *err) {
    *done = 0;
    *is_final = 0;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    uint8_t *out = NULL;
    size_t ol = 0;
    m2c_status st = m2c_node_id_calldata(&b, "commitmentOf(uint256)", &r->id);
    if (st) {
        m2c_buf_free(&b);
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    }
    st = call_view(c, &out, &ol, b.p, b.len, err);
    m2c_buf_free(&b);
    if (st) return m2c_err_prefix(err, "commitmentOf");
    if (ol != 32) {
        free(out);
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "commitmentOf: expected 32 bytes, got %zu", ol);
    }
    /* Fulfilled slot: state byte 2; bit 241 corrected, bit 242 delivered (byte 1). A model
     * without a challenge window clears the slot at fulfilment (None), and its final-only
     * requests are called back then: delivered. */
    int state = out[0], flags = out[1];
    free(out);
    if (state == 0) {
        *done = 1;
        return M2C_OK;
    }
    if (state != 2) {
        *done = -1;
        return M2C_OK;
    }
    if (flags & 0x06) {
        *done = 1;
        return M2C_OK;
    }
    uint8_t cd[4 + 64];
    uint32_t sel = m2c_selector("isFinal(uint256,uint256)");
    cd[0] = (uint8_t)(sel >> 24), cd[1] = (uint8_t)(sel >> 16), cd[2] = (uint8_t)(sel >> 8), cd[3] = (uint8_t)sel;
    memcpy(cd + 4, r->id.b, 32);
    memcpy(cd + 36, r->req + 32, 32); /* modelId */
    out = NULL;
    st = call_view(c, &out, &ol, cd, sizeof cd, err);
    if (st) return m2c_err_prefix(err, "isFinal");
    if (ol == 32) *is_final = out[31] == 1;
    free(out);
    return M2C_OK;
}

/* A delivery our transaction carried did not happen in it: delivered elsewhere, or due again. */
static m2c_status recheck_delivery(chain *c, const m2c_noderec *r, m2c_err *err) {
    int done, fin;
    m2c_status st = delivery_onchain(c, r, &done, &fin, err);
    if (st) return st;
    if (done == 1) {
        logf_(c->n, M2C_LOG_INFO, c, &r->id, "delivered on chain (by another transaction or a challenge)");
        return m2c_nodestore_set_delivery(c->st, c->key, &r->id, M2C_DELIVERY_DONE, NULL, 0, NULL, err);
    }
    return m2c_nodestore_set_delivery(c->st, c->key, &r->id, M2C_DELIVERY_DUE, NULL, 0, NULL, err);
}

/* Settles the deliveries carried by `nonce` (rc: its mined receipt, or NULL when the nonce
 * was consumed without one). */
static m2c_status settle_deliveries(chain *c, uint64_t nonce, const m2c_rpc_receipt *rc, m2c_err *err) {
    m2c_noderec *recs = NULL;
    size_t nr = 0;
    m2c_status st = m2c_nodestore_deliveries_nonce(c->st, c->key, nonce, &recs, &nr, err);
    if (st) return st;
    m2c_hash32 tdel = m2c_event_topic(M2C_SIG_DELIVERED);
    char lbl[64];
    snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
    for (size_t i = 0; i < nr && !st; i++) {
        if (rc && rc->status == 1 && receipt_has(rc, &tdel, &recs[i].id, &c->cfg->coordinator)) {
            st = m2c_nodestore_set_delivery(c->st, c->key, &recs[i].id, M2C_DELIVERY_DONE,
                                            &rc->transaction_hash, rc->block_number, NULL, err);
            if (!st) {
                logf_(c->n, M2C_LOG_INFO, c, &recs[i].id, "delivered in block %llu",
                      (unsigned long long)rc->block_number);
                m2c_metrics_inc(c->n->metrics, "ml2chain_deliveries_total",
                                "final-only requests delivered by our transactions", lbl, 1);
            }
        } else {
            st = recheck_delivery(c, &recs[i], err);
        }
    }
    m2c_nodestore_recs_free(recs, nr);
    return st;
}

/* Sends deliver(...) for due final-only requests whose window has passed, while fewer than
 * max_inflight transactions are open. */
static m2c_status deliver_due(chain *c, size_t open, int *did, m2c_err *err) {
    node *n = c->n;
    if (c->cfg->iface != M2C_IFACE_COORDINATOR) return M2C_OK;
    /* Each due delivery costs two eth_calls to look at; those waiting for a long window are
     * looked at every 5 s rather than every step. */
    if (m2c_clock_mono_s() < c->next_deliver_check) return M2C_OK;
    c->due_final = 0;
    {
        /* submit() may have opened nonces since `open` was counted */
        uint64_t nonces[256];
        size_t nn = 0;
        m2c_status os = m2c_nodestore_open_nonces(c->st, c->key, nonces, 256, &nn, err);
        if (os) return os;
        if (nn > open) open = nn;
    }
    if (open >= c->cfg->max_inflight) return M2C_OK;
    m2c_noderec *recs = NULL;
    size_t nr = 0;
    m2c_status st = m2c_nodestore_deliveries(c->st, c->key, M2C_DELIVERY_DUE, 32, &recs, &nr, err);
    if (st || nr == 0) return st;
    m2c_node_fees fees;
    int have_fees = 0;
    for (size_t i = 0; i < nr && !st && !*n->stop && open < c->cfg->max_inflight; i++) {
        const m2c_noderec *r = &recs[i];
        int done, fin;
        st = delivery_onchain(c, r, &done, &fin, err);
        if (st) break;
        if (done == 1) {
            logf_(n, M2C_LOG_INFO, c, &r->id, "already delivered on chain");
            st = m2c_nodestore_set_delivery(c->st, c->key, &r->id, M2C_DELIVERY_DONE, NULL, 0, NULL, err);
            continue;
        }
        if (done < 0 || !fin) continue; /* not final yet (or not fulfilled on this chain) */
        c->due_final++;
        *did = 1;
        if (!have_fees) {
            st = current_fees(c, &fees, err);
            if (st) break;
            have_fees = 1;
        }
        m2c_buf data;
        m2c_buf_init(&data, 0);
        m2c_nodetx tx;
        memset(&tx, 0, sizeof tx);
        st = m2c_node_deliver_calldata(&data, r->req, r->output, r->output_len, r->error_code, err);
        if (!st) {
            uint32_t cb = m2c_node_req_callback_gas(r->req);
            m2c_err ee;
            m2c_err_clear(&ee);
            uint64_t gas = gas_for(c, &data, &cb, 1, &ee);
            if (ee.code == M2C_ERR_RPC) {
                /* final and not delivered, yet deliver reverts: our record is not what was
                 * fulfilled; nothing we can send will pass */
                char why[160];
                snprintf(why, sizeof why, "deliver refused: %.120s", ee.msg);
                logf_(n, M2C_LOG_WARN, c, &r->id, "%s", why);
                st = m2c_nodestore_set_delivery(c->st, c->key, &r->id, M2C_DELIVERY_FAILED, NULL, 0, why, err);
            } else if (gas == 0) {
                st = m2c_nodestore_set_delivery(c->st, c->key, &r->id, M2C_DELIVERY_FAILED, NULL, 0,
                                                "callback gas limit does not fit in a block", err);
            } else {
                uint64_t nonce = m2c_nonce_take(&c->nonce);
                st = sign_tx(c, &tx, nonce, &fees, gas, data.p, data.len, err);
                if (!st) st = m2c_nodestore_submit_delivery(c->st, c->key, &tx, &r->id, err);
                if (!st) {
                    char hh[67];
                    hex32(hh, &tx.hash);
                    logf_(n, M2C_LOG_INFO, c, &r->id, "deliver sent %s (nonce %llu, gas %llu)", hh,
                          (unsigned long long)tx.nonce, (unsigned long long)tx.gas);
                    broadcast(c, &tx);
                    open++;
                    c->due_final--;
                }
            }
        }
        free(tx.raw);
        m2c_buf_free(&data);
    }
    m2c_nodestore_recs_free(recs, nr);
    if (!st) c->next_deliver_check = m2c_clock_mono_s() + (c->due_final || nr == 32 ? 0 : 5.0);
    return st;
}

/* The fees that replace `last`, unmined at `nonce`: *bumped, or, when the fees are already
 * at the cap, *resent = 1 after sending `last` again as it is. */
static m2c_status bump_or_resend(chain *c, uint64_t nonce, const m2c_nodetx *last,
                                 m2c_node_fees *bumped, int *resent, m2c_err *err) {
    m2c_node_fees fresh, old;
    *resent = 0;
    m2c_status st = current_fees(c, &fresh, err);
    if (st) return st;
    old.max_fee = last->max_fee;
    old.prio_fee = last->prio_fee;
    old.legacy = fresh.legacy;
    if (m2c_node_fees_bump(bumped, &old, &fresh, &c->cfg->fee_cap) != M2C_OK) {
        logf_(c->n, M2C_LOG_WARN, c, NULL,
              "nonce %llu: not mined and fees at the cap; re-sending as is",
              (unsigned long long)nonce);
        broadcast(c, last);
        *resent = 1;
    }
    return M2C_OK;
}

/* Replaces an unmined delivery at `nonce` with bumped fees (a 0-value self-transfer when it
 * was delivered meanwhile). */
static m2c_status replace_delivery(chain *c, uint64_t nonce, const m2c_nodetx *last,
                                   const m2c_noderec *r, m2c_err *err) {
    node *n = c->n;
    int done, fin;
    m2c_status st = delivery_onchain(c, r, &done, &fin, err);
    if (st) return st;
    m2c_node_fees bumped;
    int resent;
    st = bump_or_resend(c, nonce, last, &bumped, &resent, err);
    if (st || resent) return st;
    m2c_buf data;
    m2c_buf_init(&data, 0);
    m2c_nodetx tx;
    memset(&tx, 0, sizeof tx);
    int still = done == 0;
    uint64_t gas = 21000;
    if (still) {
        st = m2c_node_deliver_calldata(&data, r->req, r->output, r->output_len, r->error_code, err);
        if (st) goto out;
        uint32_t cb = m2c_node_req_callback_gas(r->req);
        m2c_err ee;
        gas = gas_for(c, &data, &cb, 1, &ee);
        if (gas == 0) gas = last->gas;
    }
    st = sign_tx(c, &tx, nonce, &bumped, gas, still ? data.p : NULL, data.len, err);
    if (st) goto out;
    if (still) {
        st = m2c_nodestore_submit_delivery(c->st, c->key, &tx, &r->id, err);
    } else {
        st = m2c_nodestore_set_delivery(c->st, c->key, &r->id,
                                        done == 1 ? M2C_DELIVERY_DONE : M2C_DELIVERY_DUE, NULL, 0, NULL, err);
        if (!st) st = m2c_nodestore_submit(c->st, c->key, &tx, NULL, 0, err);
    }
    if (st) goto out;
    char hh[67];
    hex32(hh, &tx.hash);
    logf_(n, M2C_LOG_INFO, c, NULL, "nonce %llu: replaced with %s (%s, fees bumped)", (unsigned long long)nonce,
          hh, still ? "delivery" : "cancel");
    broadcast(c, &tx);
out:
    free(tx.raw);
    m2c_buf_free(&data);
    return st;
}

/* Our transaction for `nonce` was mined: settle each request it carried. */
static m2c_status handle_mined(chain *c, uint64_t nonce, const m2c_rpc_receipt *rc, m2c_err *err) {
    node *n = c->n;
    m2c_noderec *recs = NULL;
    size_t nr = 0;
    int *states = NULL;
    m2c_status st = m2c_nodestore_list_nonce(c->st, c->key, nonce, &recs, &nr, err);
    if (st) return st;
    m2c_hash32 tful = m2c_event_topic(M2C_SIG_FULFILLED), tskip = m2c_event_topic(M2C_SIG_SKIPPED);
    char lbl[64];
    snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
    states = calloc(nr ? nr : 1, sizeof *states);
    if (!states) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Items our mined tx did not fulfil (reverted tx, or skipped in a batch): ask the chain. */
    size_t need = 0;
    for (size_t i = 0; i < nr; i++) {
        int fulfilled = rc->status == 1 &&
                        (c->cfg->iface == M2C_IFACE_TEMPLATE ||
                         receipt_has(rc, &tful, &recs[i].id, &c->cfg->coordinator));
        states[i] = fulfilled ? -2 : -1;
        if (!fulfilled) need++;
        if (rc->status == 1 && c->cfg->iface == M2C_IFACE_COORDINATOR &&
            receipt_has(rc, &tskip, &recs[i].id, &c->cfg->coordinator)) {
            logf_(n, M2C_LOG_WARN, c, &recs[i].id, "fulfilment skipped by the coordinator");
            m2c_metrics_inc(n->metrics, "ml2chain_fulfilments_skipped_total",
                            "batch items the coordinator skipped (not pending or mismatched)", lbl, 1);
        }
    }
    if (need) {
        m2c_noderec *sub = calloc(need, sizeof *sub);
        int *sst = calloc(need, sizeof *sst);
        size_t k = 0;
        if (!sub || !sst) {
            free(sub);
            free(sst);
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < nr; i++)
            if (states[i] == -1) sub[k++] = recs[i]; /* shallow: ids only are used */
        st = chain_states(c, sub, need, sst, err);
        k = 0;
        for (size_t i = 0; i < nr && !st; i++)
            if (states[i] == -1) states[i] = sst[k++];
        free(sub);
        free(sst);
        if (st) goto out;
    }
    if (rc->status != 1) {
        char hh[67];
        hex32(hh, &rc->transaction_hash);
        logf_(n, M2C_LOG_WARN, c, NULL, "tx %s (nonce %llu) reverted; %zu request(s) re-checked", hh,
              (unsigned long long)nonce, nr);
        m2c_metrics_inc(n->metrics, "ml2chain_tx_reverted_total", "fulfilment transactions that reverted", lbl, 1);
    }
    /* Every request of the nonce and the nonce itself settle in one store transaction. */
    st = m2c_nodestore_begin(c->st, err);
    if (st) goto out;
    for (size_t i = 0; i < nr && !st; i++) {
        if (states[i] == -2) {
            st = m2c_nodestore_set_confirmed(c->st, c->key, &recs[i].id, &rc->transaction_hash,
                                             rc->block_number, err);
            if (!st) {
                note_done(c, &recs[i], 1, NULL, rc->block_number);
                logf_(n, M2C_LOG_INFO, c, &recs[i].id, "fulfilled in block %llu (error code %u)",
                      (unsigned long long)rc->block_number, recs[i].error_code);
            }
        } else {
            st = apply_state(c, &recs[i], states[i], err);
        }
    }
    if (!st) st = settle_deliveries(c, nonce, rc, err);
    if (!st) st = m2c_nodestore_settle_nonce(c->st, c->key, nonce, err);
    if (!st) st = m2c_nodestore_commit(c->st, err);
    if (st) m2c_nodestore_rollback(c->st);
    if (!st) {
        m2c_metrics_inc(n->metrics, "ml2chain_gas_used_total", "gas used by mined fulfilment transactions", lbl,
                        (double)rc->gas_used);
        m2c_metrics_inc(n->metrics, "ml2chain_txs_mined_total", "fulfilment transactions mined", lbl, 1);
    }
out:
    free(states);
    m2c_nodestore_recs_free(recs, nr);
    return st;
}

/* The chain's nonce passed `nonce` but none of our transactions for it has a receipt: the
 * requests are re-checked and go back to computed if still open. */
static m2c_status handle_consumed(chain *c, uint64_t nonce, m2c_err *err) {
    m2c_noderec *recs = NULL;
    size_t nr = 0;
    m2c_status st = m2c_nodestore_list_nonce(c->st, c->key, nonce, &recs, &nr, err);
    if (st) return st;
    int *states = calloc(nr ? nr : 1, sizeof *states);
    if (!states) st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    if (!st) st = chain_states(c, recs, nr, states, err);
    if (!st) {
        st = m2c_nodestore_begin(c->st, err);
        for (size_t i = 0; i < nr && !st; i++) st = apply_state(c, &recs[i], states[i], err);
        if (!st) st = settle_deliveries(c, nonce, NULL, err);
        if (!st) st = m2c_nodestore_settle_nonce(c->st, c->key, nonce, err);
        if (!st) st = m2c_nodestore_commit(c->st, err);
        if (st) m2c_nodestore_rollback(c->st);
    }
    if (!st)
        logf_(c->n, M2C_LOG_WARN, c, NULL, "nonce %llu used without a receipt for our txs; %zu request(s) re-queued",
              (unsigned long long)nonce, nr);
    free(states);
    m2c_nodestore_recs_free(recs, nr);
    return st;
}

/* Replaces the unmined transaction at `nonce` with bumped fees and only the requests that
 * are still open (a 0-value self-transfer when none is). */
static m2c_status replace(chain *c, uint64_t nonce, const m2c_nodetx *last, m2c_err *err) {
    node *n = c->n;
    m2c_noderec *recs = NULL, *open = NULL;
    size_t nr = 0, no = 0;
    int *states = NULL;
    m2c_buf data;
    m2c_buf_init(&data, 0);
    m2c_nodetx tx;
    memset(&tx, 0, sizeof tx);
    m2c_hash32 *ids = NULL;
    uint32_t *cb = NULL;
    {
        /* a nonce carries either fulfilments or one delivery */
        m2c_noderec *dl = NULL;
        size_t nd = 0;
        m2c_status ds = m2c_nodestore_deliveries_nonce(c->st, c->key, nonce, &dl, &nd, err);
        if (!ds && nd) ds = replace_delivery(c, nonce, last, &dl[0], err);
        m2c_nodestore_recs_free(dl, nd);
        if (ds || nd) return ds;
    }
    m2c_status st = m2c_nodestore_list_nonce(c->st, c->key, nonce, &recs, &nr, err);
    if (st) return st;
    states = calloc(nr ? nr : 1, sizeof *states);
    open = calloc(nr ? nr : 1, sizeof *open);
    ids = calloc(nr ? nr : 1, sizeof *ids);
    cb = calloc(nr ? nr : 1, sizeof *cb);
    if (!states || !open || !ids || !cb) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = chain_states(c, recs, nr, states, err);
    if (st) goto out;
    for (size_t i = 0; i < nr; i++) {
        if (states[i] == 1) {
            open[no] = recs[i];
            ids[no++] = recs[i].id;
        }
    }
    m2c_node_fees bumped;
    int resent;
    st = bump_or_resend(c, nonce, last, &bumped, &resent, err);
    if (st || resent) goto out;
    uint64_t gas = 21000;
    if (no) {
        st = build_calldata(c, &data, open, no, cb, err);
        if (st) goto out;
        m2c_err ee;
        gas = gas_for(c, &data, cb, no, &ee);
        if (gas == 0) gas = last->gas;
    }
    st = sign_tx(c, &tx, nonce, &bumped, gas, no ? data.p : NULL, data.len, err);
    if (st) goto out;
    /* Requests found closed leave the nonce as the replacement is recorded (one store
     * transaction). */
    st = m2c_nodestore_begin(c->st, err);
    if (st) goto out;
    for (size_t i = 0; i < nr && !st; i++)
        if (states[i] != 1) st = apply_state(c, &recs[i], states[i], err);
    if (!st) st = m2c_nodestore_submit(c->st, c->key, &tx, ids, no, err);
    if (!st) st = m2c_nodestore_commit(c->st, err);
    if (st) {
        m2c_nodestore_rollback(c->st);
        goto out;
    }
    char hh[67];
    hex32(hh, &tx.hash);
    logf_(n, M2C_LOG_INFO, c, NULL, "nonce %llu: replaced with %s (%zu request(s)%s, fees bumped)",
          (unsigned long long)nonce, hh, no, no ? "" : ", cancel");
    char lbl[64];
    snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
    m2c_metrics_inc(n->metrics, "ml2chain_tx_replacements_total", "transactions replaced with bumped fees", lbl, 1);
    broadcast(c, &tx);
    for (size_t i = 0; i < no; i++) open[i].input = open[i].output = NULL;
out:
    free(tx.raw);
    m2c_buf_free(&data);
    free(states);
    free(open); /* shallow copies of recs */
    free(ids);
    free(cb);
    m2c_nodestore_recs_free(recs, nr);
    return st;
}

/* Follows every unsettled nonce: receipts, consumed nonces, replacement and re-sending. */
static m2c_status track(chain *c, size_t *open_out, int *did, m2c_err *err) {
    uint64_t nonces[256];
    size_t nn = 0;
    *open_out = 0;
    m2c_status st = m2c_nodestore_open_nonces(c->st, c->key, nonces, 256, &nn, err);
    if (st || nn == 0) return st;
    uint64_t latest_nonce;
    m2c_blockref latest = m2c_blockref_latest();
    st = m2c_rpc_get_transaction_count(c->rpc, &latest_nonce, &c->n->key->addr, &latest, err);
    if (st) return st;
    if (!c->have_mined_nonce || latest_nonce != c->mined_nonce) {
        c->have_mined_nonce = 1;
        c->mined_nonce = latest_nonce;
        c->mined_nonce_head = c->head;
    }
    /* Our queue is stuck when none of our transactions was mined for replace_blocks blocks.
     * While it moves, a transaction that waited long is only waiting for its turn behind
     * lower nonces (a deep pipeline), and replacing it would only churn. */
    int stalled = c->head >= c->mined_nonce_head + c->cfg->replace_blocks;
    size_t open = 0;
    for (size_t i = 0; i < nn && !st && !*c->n->stop; i++) {
        m2c_nodetx *txs = NULL;
        size_t nt = 0;
        st = m2c_nodestore_txs(c->st, c->key, nonces[i], &txs, &nt, err);
        if (st) break;
        if (nt == 0) {
            st = m2c_nodestore_settle_nonce(c->st, c->key, nonces[i], err);
            continue;
        }
        m2c_rpc_receipt rc;
        size_t which = 0;
        /* A nonce at or above the account's latest nonce has nothing mined (yet): no
         * receipt lookups for the pipeline's waiting transactions. */
        m2c_status rs = nonces[i] < latest_nonce ? find_receipt(c, txs, nt, &rc, &which, err)
                                                 : M2C_ERR_NOTFOUND;
        if (rs == M2C_OK) {
            st = handle_mined(c, nonces[i], &rc, err);
            m2c_rpc_receipt_free(&rc);
            *did = 1;
        } else if (rs != M2C_ERR_NOTFOUND) {
            st = rs;
        } else if (nonces[i] < latest_nonce) {
            /* Receipts can trail the nonce by a moment: decide on the next pass. */
            if (now_s() - txs[nt - 1].sent_time > 2.0 && !c->first_pass) {
                st = handle_consumed(c, nonces[i], err);
                *did = 1;
            } else
                open++;
        } else {
            open++;
            const m2c_nodetx *last = &txs[nt - 1];
            /* A fulfilment whose requests were all orphaned by a reorg (or found closed) is
             * replaced at once by a cancel, so it cannot land on the new chain. */
            m2c_noderec *carried = NULL;
            size_t ncar = 0;
            st = m2c_nodestore_list_nonce(c->st, c->key, nonces[i], &carried, &ncar, err);
            m2c_nodestore_recs_free(carried, ncar);
            if (!st && ncar == 0) {
                carried = NULL;
                st = m2c_nodestore_deliveries_nonce(c->st, c->key, nonces[i], &carried, &ncar, err);
                m2c_nodestore_recs_free(carried, ncar);
            }
            if (st) {
                m2c_nodestore_txs_free(txs, nt);
                break;
            }
            if (ncar == 0 && !last->is_cancel) {
                st = replace(c, nonces[i], last, err);
                *did = 1;
            } else if (stalled && c->head >= last->sent_block + c->cfg->replace_blocks &&
                       m2c_clock_mono_s() - last_bcast(c, nonces[i]) > 1.0) {
                st = replace(c, nonces[i], last, err);
                *did = 1;
            } else if (c->first_pass || m2c_clock_mono_s() - last_bcast(c, nonces[i]) > 5.0)
                broadcast(c, last);
        }
        m2c_nodestore_txs_free(txs, nt);
    }
    *open_out = open;
    return st;
}

/* A batch shape: what decides a fulfilment's gas apart from the request ids. Batches of the
 * same shape (same item count and, per item, the same callback, selector, callback gas
 * limit, output length and error/no-error) run the same code on the same kind of storage,
 * so one eth_estimateGas per shape and step serves them all; the limit adds room for the
 * largest callback to burn its whole limit and at least 10% (m2c_node_gas_limit). */
static m2c_hash32 batch_shape(const m2c_noderec *recs, size_t n) {
    m2c_buf b;
    m2c_buf_init(&b, 0);
    uint8_t w[8 + 20 + 4 + 4 + 8 + 1];
    for (int k = 0; k < 8; k++) w[k] = (uint8_t)((uint64_t)n >> (8 * k));
    m2c_status ignored = m2c_buf_append(&b, w, 8);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *rq = recs[i].req;
        memcpy(w, rq + 3 * 32 + 12, 20);  /* callback */
        memcpy(w + 20, rq + 4 * 32, 4);   /* selector */
        memcpy(w + 24, rq + 5 * 32 + 28, 4); /* callbackGasLimit */
        uint64_t ol = recs[i].output_len;
        for (int k = 0; k < 8; k++) w[28 + k] = (uint8_t)(ol >> (8 * k));
        w[36] = recs[i].error_code != 0;
        ignored = m2c_buf_append(&b, w, 37);
    }
    (void)ignored;
    m2c_hash32 h = m2c_keccak256(b.p, b.len);
    m2c_buf_free(&b);
    return h;
}

typedef struct {
    m2c_hash32 shape;
    uint64_t estimate; /* 0: the estimate failed */
    m2c_err err;
} gas_memo;

/* Sends signed transactions in one JSON-RPC batch. Answers are handled as broadcast() does;
 * a nonce refusal re-syncs the sequence. */
static void broadcast_many(chain *c, const m2c_nodetx *txs, size_t n) {
    node *nd = c->n;
    m2c_rpc_req *reqs = calloc(n, sizeof *reqs);
    json_t **params = calloc(n, sizeof *params);
    m2c_err e;
    m2c_err_clear(&e);
    int ok = reqs && params;
    for (size_t i = 0; ok && i < n; i++) {
        char *hex = m2c_hex_encode_alloc(txs[i].raw, txs[i].raw_len, 1);
        params[i] = hex ? json_pack("[s]", hex) : NULL;
        free(hex);
        if (!params[i]) ok = 0;
        reqs[i].method = "eth_sendRawTransaction";
        reqs[i].params = params[i];
        note_bcast(c, txs[i].nonce);
    }
    if (!ok || m2c_rpc_batch(c->rpc, reqs, n, &e) != M2C_OK) {
        /* The batch as a whole failed: one by one (tracking re-sends what still fails). */
        if (ok) rpc_error(c, "send batch", &e);
        for (size_t i = 0; i < n; i++) broadcast(c, &txs[i]);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].status == M2C_OK) continue;
        const m2c_err *se = &reqs[i].err;
        if (msg_has(se, "nonce too low") || msg_has(se, "nonce too high")) {
            uint64_t pending;
            m2c_blockref pref = {M2C_BLOCK_PENDING, 0};
            m2c_err pe;
            if (m2c_rpc_get_transaction_count(c->rpc, &pending, &nd->key->addr, &pref, &pe) == M2C_OK) {
                uint64_t store_next = 0;
                if (m2c_nodestore_next_nonce(c->st, c->key, &store_next, &pe) != M2C_OK) store_next = 0;
                m2c_nonce_sync(&c->nonce, pending, store_next);
            }
            logf_(nd, M2C_LOG_WARN, c, NULL, "nonce %llu refused (%s); next nonce %llu",
                  (unsigned long long)txs[i].nonce, se->msg, (unsigned long long)c->nonce.next);
        } else if (!msg_has(se, "already known") && !msg_has(se, "already imported")) {
            logf_(nd, M2C_LOG_WARN, c, NULL, "send nonce %llu: %s; will retry",
                  (unsigned long long)txs[i].nonce, se->msg);
            rpc_error(c, "send", se);
        }
    }
out:
    if (reqs) m2c_rpc_reqs_release(reqs, n);
    if (params)
        for (size_t i = 0; i < n; i++) json_decref(params[i]);
    free(reqs);
    free(params);
}

/* Transactions built per round of submit(): enough for a block's worth of batches while
 * the first ones are already on their way. */
#define SUBMIT_ROUND_TXS 8

/* Puts computed requests into new transactions while fewer than max_inflight are open. Per
 * round (up to SUBMIT_ROUND_TXS transactions): the on-chain state of every candidate in one
 * JSON-RPC batch, fees once per step, one gas estimate per batch shape, every transaction
 * signed and recorded in one store transaction (one fsync) *before* any is sent, then all
 * sent in one JSON-RPC batch. */
static m2c_status submit(chain *c, size_t open, int *did, double *prof, m2c_err *err) {
    node *n = c->n;
    m2c_status st = M2C_OK;
    size_t per_tx = c->cfg->iface == M2C_IFACE_TEMPLATE ? 1 : c->cfg->batch_size;
    m2c_node_fees fees;
    int have_fees = 0;
    gas_memo memo[16];
    size_t n_memo = 0;
    while (open < c->cfg->max_inflight && !*n->stop && !st) {
        size_t want_txs = c->cfg->max_inflight - open;
        if (want_txs > SUBMIT_ROUND_TXS) want_txs = SUBMIT_ROUND_TXS;
        m2c_noderec *recs = NULL;
        size_t nr = 0;
        st = m2c_nodestore_list(c->st, c->key, M2C_REQ_COMPUTED, want_txs * per_tx, &recs, &nr, err);
        if (st || nr == 0) {
            m2c_nodestore_recs_free(recs, nr);
            break;
        }
        *did = 1;
        int *states = calloc(nr, sizeof *states);
        m2c_noderec *keep = calloc(nr, sizeof *keep);
        m2c_hash32 *ids = calloc(nr, sizeof *ids);
        uint32_t *cb = calloc(nr, sizeof *cb);
        m2c_nodetx txs[SUBMIT_ROUND_TXS];
        size_t tx_first[SUBMIT_ROUND_TXS], tx_n[SUBMIT_ROUND_TXS];
        size_t ntx = 0, nk = 0, round_done = 0;
        uint64_t first_nonce = c->nonce.next;
        m2c_buf data;
        m2c_buf_init(&data, 0);
        memset(txs, 0, sizeof txs);
        if (!states || !keep || !ids || !cb) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto next;
        }
        /* Never send a fulfilment for a request that is no longer open. */
        double t = m2c_clock_mono_s();
        st = chain_states(c, recs, nr, states, err);
        prof[0] += m2c_clock_mono_s() - t;
        if (st) goto next;
        st = m2c_nodestore_begin(c->st, err);
        if (st) goto next;
        for (size_t i = 0; i < nr && !st; i++) {
            if (states[i] == 1) {
                keep[nk] = recs[i];
                ids[nk++] = recs[i].id;
            } else {
                st = apply_state(c, &recs[i], states[i], err);
            }
        }
        if (!st) st = m2c_nodestore_commit(c->st, err);
        if (st) {
            m2c_nodestore_rollback(c->st);
            goto next;
        }
        if (nk == 0) goto next;
        if (!have_fees) {
            t = m2c_clock_mono_s();
            st = current_fees(c, &fees, err);
            prof[1] += m2c_clock_mono_s() - t;
            if (st) goto next;
            have_fees = 1;
        }
        /* Batches of per_tx from keep[0..nk): a batch whose callbacks do not fit in a block
         * is halved; what is left waits for the next round. */
        size_t at = 0;
        while (at < nk && ntx < SUBMIT_ROUND_TXS) {
            size_t b = nk - at < per_tx ? nk - at : per_tx;
            uint64_t gas = 0;
            m2c_err ee;
            m2c_err_clear(&ee);
            for (;;) {
                m2c_buf_reset(&data);
                st = build_calldata(c, &data, keep + at, b, cb, err);
                if (st) goto next;
                t = m2c_clock_mono_s();
                if (c->cfg->iface == M2C_IFACE_TEMPLATE) {
                    gas = gas_for(c, &data, cb, b, &ee);
                } else {
                    m2c_hash32 shape = batch_shape(keep + at, b);
                    size_t m = 0;
                    while (m < n_memo && memcmp(memo[m].shape.b, shape.b, 32)) m++;
                    if (m == n_memo) {
                        if (n_memo < sizeof memo / sizeof memo[0]) n_memo++;
                        else m = 0; /* full: the oldest slot goes */
                        memo[m].shape = shape;
                        m2c_err_clear(&memo[m].err);
                        memo[m].estimate = estimate(c, &data, &memo[m].err);
                    }
                    gas = gas_limit(c, memo[m].estimate, cb, b);
                    ee = memo[m].err;
                }
                prof[2] += m2c_clock_mono_s() - t;
                if (gas == 0 && b > 1) {
                    b /= 2; /* the callbacks do not fit in one block: smaller batch */
                    continue;
                }
                break;
            }
            if (gas == 0) {
                st = m2c_nodestore_set_failed(c->st, c->key, &keep[at].id,
                                              "callback gas limit does not fit in a block", err);
                if (st) goto next;
                at++;
                continue;
            }
            if (ee.code == M2C_ERR_RPC && b == 1 && c->cfg->iface == M2C_IFACE_TEMPLATE) {
                /* A single fulfilment the chain refuses (e.g. not an operator): say why. */
                char why[160];
                snprintf(why, sizeof why, "refused by the contract: %.120s", ee.msg);
                logf_(n, M2C_LOG_WARN, c, &keep[at].id, "%s", why);
                st = m2c_nodestore_set_failed(c->st, c->key, &keep[at].id, why, err);
                if (st) goto next;
                note_done(c, &keep[at], 0, "refused", 0);
                at++;
                continue;
            }
            st = sign_tx(c, &txs[ntx], m2c_nonce_take(&c->nonce), &fees, gas, data.p, data.len, err);
            if (st) goto next;
            tx_first[ntx] = at;
            tx_n[ntx++] = b;
            at += b;
        }
        if (ntx == 0) goto next;
        /* Recorded before sent: a crash after this point rebroadcasts them at restart. */
        t = m2c_clock_mono_s();
        st = m2c_nodestore_begin(c->st, err);
        for (size_t i = 0; i < ntx && !st; i++)
            st = m2c_nodestore_submit(c->st, c->key, &txs[i], ids + tx_first[i], tx_n[i], err);
        if (!st) st = m2c_nodestore_commit(c->st, err);
        prof[3] += m2c_clock_mono_s() - t;
        if (st) {
            m2c_nodestore_rollback(c->st);
            goto next;
        }
        round_done = 1;
        for (size_t i = 0; i < ntx; i++) {
            char hh[67];
            hex32(hh, &txs[i].hash);
            logf_(n, M2C_LOG_INFO, c, NULL, "sent %s (nonce %llu, %zu request(s), gas %llu)", hh,
                  (unsigned long long)txs[i].nonce, tx_n[i], (unsigned long long)txs[i].gas);
            for (size_t k = 0; k < tx_n[i]; k++)
                logf_(n, M2C_LOG_DEBUG, c, &ids[tx_first[i] + k], "submitted in %s", hh);
        }
        t = m2c_clock_mono_s();
        broadcast_many(c, txs, ntx);
        prof[4] += m2c_clock_mono_s() - t;
        open += ntx;
    next:
        /* Nonces taken for transactions that were not recorded go back to the sequence. */
        if (!round_done) c->nonce.next = first_nonce;
        for (size_t i = 0; i < SUBMIT_ROUND_TXS; i++) free(txs[i].raw);
        m2c_buf_free(&data);
        free(states);
        free(keep);
        free(ids);
        free(cb);
        m2c_nodestore_recs_free(recs, nr);
    }
    return st;
}

/* ---- per-chain thread ---- */

static m2c_status chain_start(chain *c, m2c_err *err) {
    node *n = c->n;
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.timeout_ms = 15000;
    o.connect_timeout_ms = 3000;
    o.max_retries = 2;
    o.retry_budget_ms = 4000;
    o.cancel = n->stop;
    m2c_status st = m2c_rpc_create(&c->rpc, c->cfg->rpc_url, &o, err);
    if (st) return st;
    st = m2c_rpc_chain_id(c->rpc, &c->chain_id, err);
    if (st) return m2c_err_prefix(err, "chain %zu (%s): chain id", c->idx, m2c_rpc_url_redacted(c->rpc));
    if (c->cfg->expect_chain_id && c->cfg->expect_chain_id != c->chain_id)
        return m2c_err_set(err, M2C_ERR_INVALID, "chain %zu (%s): chain id is %llu, the config says %llu",
                           c->idx, m2c_rpc_url_redacted(c->rpc), (unsigned long long)c->chain_id,
                           (unsigned long long)c->cfg->expect_chain_id);
    snprintf(c->key, sizeof c->key, "%llu", (unsigned long long)c->chain_id);
    st = m2c_nodestore_open(&c->st, n->cfg->state_path, err);
    if (st) return st;
    uint64_t pending, store_next;
    m2c_blockref pref = {M2C_BLOCK_PENDING, 0};
    st = m2c_rpc_get_transaction_count(c->rpc, &pending, &n->key->addr, &pref, err);
    if (st) return m2c_err_prefix(err, "chain %s: nonce", c->key);
    st = m2c_nodestore_next_nonce(c->st, c->key, &store_next, err);
    if (st) return st;
    m2c_nonce_sync(&c->nonce, pending, store_next);
    st = m2c_rpc_block_number(c->rpc, &c->head, err);
    if (st) return st;
    m2c_hash32 ignored;
    st = block_hash_at(c, c->head, &ignored, err);
    if (st) return st;
    uint8_t *code = NULL;
    size_t code_len = 0;
    m2c_blockref latest = m2c_blockref_latest();
    st = m2c_rpc_get_code(c->rpc, &code, &code_len, &c->cfg->coordinator, &latest, err);
    free(code);
    if (st) return st;
    if (code_len == 0) {
        char a[43];
        m2c_addr_checksum(a, &c->cfg->coordinator);
        return m2c_err_set(err, M2C_ERR_INVALID, "chain %s: no contract at coordinator %s", c->key, a);
    }
    if (c->cfg->iface == M2C_IFACE_TEMPLATE) {
        uint8_t sel[4];
        uint32_t s = m2c_selector("callbackGasLimit()");
        sel[0] = (uint8_t)(s >> 24), sel[1] = (uint8_t)(s >> 16), sel[2] = (uint8_t)(s >> 8), sel[3] = (uint8_t)s;
        uint8_t *out = NULL;
        size_t ol = 0;
        st = call_view(c, &out, &ol, sel, 4, err);
        c->template_cb_gas = 200000;
        if (!st && ol == 32) c->template_cb_gas = (uint32_t)out[28] << 24 | (uint32_t)out[29] << 16 |
                                                  (uint32_t)out[30] << 8 | out[31];
        free(out);
        if (st) return m2c_err_prefix(err, "chain %s: template callbackGasLimit()", c->key);
        logf_(n, M2C_LOG_INFO, c, NULL, "template coordinator; callback gas %u; models named by file or hash in %s",
              c->template_cb_gas, n->cfg->models_dir);
    } else {
        /* Models registered to this operator so far (later ones arrive through the watcher). */
        m2c_hash32 treg = m2c_event_topic(M2C_SIG_MODEL_REGISTERED), op;
        memset(&op, 0, sizeof op);
        memcpy(op.b + 12, n->key->addr.b, 20);
        uint64_t from = c->cfg->start_block;
        while (from <= c->head) {
            uint64_t to = c->head;
            if (to - from >= 100000) to = from + 99999;
            m2c_rpc_filter f;
            memset(&f, 0, sizeof f);
            f.addresses = &c->cfg->coordinator;
            f.n_addresses = 1;
            f.topics[0] = &treg;
            f.n_topic_or[0] = 1;
            f.topics[2] = &op;
            f.n_topic_or[2] = 1;
            f.n_topics = 3;
            f.from = m2c_blockref_num(from);
            f.to = m2c_blockref_num(to);
            m2c_rpc_logs logs;
            memset(&logs, 0, sizeof logs);
            st = m2c_rpc_get_logs(c->rpc, &logs, &f, err);
            if (st) return m2c_err_prefix(err, "chain %s: ModelRegistered logs", c->key);
            for (size_t i = 0; i < logs.n; i++) {
                m2c_node_model_reg reg;
                m2c_err de;
                if (m2c_node_decode_model_registered(&reg, logs.v[i].topics, logs.v[i].n_topics,
                                                     logs.v[i].data, logs.v[i].data_len, &de) == M2C_OK)
                    add_model(c, &reg);
            }
            m2c_rpc_logs_free(&logs);
            from = to + 1;
        }
        if (c->n_models == 0)
            logf_(n, M2C_LOG_WARN, c, NULL, "no model is registered to this operator yet");
    }
    uint64_t counts[M2C_REQ_STATES];
    st = m2c_nodestore_counts(c->st, c->key, counts, err);
    if (st) return st;
    char a[43];
    m2c_addr_checksum(a, &c->cfg->coordinator);
    logf_(n, M2C_LOG_INFO, c, NULL,
          "serving %s on %s (head %llu, next nonce %llu; resuming %llu seen, %llu computed, %llu submitted)",
          a, m2c_rpc_url_redacted(c->rpc), (unsigned long long)c->head,
          (unsigned long long)c->nonce.next, (unsigned long long)counts[0],
          (unsigned long long)counts[1], (unsigned long long)counts[2]);
    return M2C_OK;
}

static void update_gauges(chain *c) {
    node *n = c->n;
    char lbl[64];
    snprintf(lbl, sizeof lbl, "chain=\"%s\"", c->key);
    m2c_metrics_set(n->metrics, "ml2chain_head_block", "latest block number of the chain", lbl, (double)c->head);
    uint64_t cursor;
    m2c_hash32 h;
    m2c_err e;
    if (m2c_nodestore_cursor(c->st, c->key, &cursor, &h, &e) == M2C_OK)
        m2c_metrics_set(n->metrics, "ml2chain_head_lag_blocks", "head minus the last processed block", lbl,
                        c->head >= cursor ? (double)(c->head - cursor) : 0);
    m2c_u256 bal;
    m2c_blockref latest = m2c_blockref_latest();
    if (m2c_rpc_get_balance(c->rpc, &bal, &n->key->addr, &latest, &e) == M2C_OK)
        m2c_metrics_set(n->metrics, "ml2chain_wallet_balance_ether", "operator wallet balance", lbl,
                        m2c_u256_to_double(&bal) / 1e18);
    uint64_t counts[M2C_REQ_STATES];
    if (m2c_nodestore_counts(c->st, c->key, counts, &e) == M2C_OK)
        for (int s = 0; s < M2C_REQ_STATES; s++) {
            char l2[96];
            snprintf(l2, sizeof l2, "chain=\"%s\",state=\"%s\"", c->key, m2c_req_state_str(s));
            m2c_metrics_set(n->metrics, "ml2chain_requests", "requests in the state store by state", l2,
                            (double)counts[s]);
        }
    uint64_t dc[M2C_DELIVERY_STATES];
    if (m2c_nodestore_delivery_counts(c->st, c->key, dc, &e) == M2C_OK)
        for (int s = 0; s < M2C_DELIVERY_STATES; s++) {
            char l2[96];
            snprintf(l2, sizeof l2, "chain=\"%s\",state=\"%s\"", c->key, m2c_delivery_state_str(s));
            m2c_metrics_set(n->metrics, "ml2chain_deliveries", "final-only deliveries in the state store by state",
                            l2, (double)dc[s]);
        }
}

/* Waits up to `ms` for the head to move (our transactions can only be mined in a new
 * block), looking every ms/4 (50..250 ms). */
static void wait_head(chain *c, unsigned ms) {
    unsigned every = ms / 4 < 50 ? 50 : ms / 4 > 250 ? 250 : ms / 4;
    double end = m2c_clock_mono_s() + ms / 1000.0;
    uint64_t h0 = c->head, h;
    while (!*c->n->stop && m2c_clock_mono_s() < end) {
        sleep_ms(c->n, every);
        m2c_err e;
        if (m2c_rpc_block_number(c->rpc, &h, &e) == M2C_OK && h != h0) return;
    }
}

static void *chain_main(void *arg) {
    chain *c = arg;
    node *n = c->n;
    c->first_pass = 1;
    c->last_ok = m2c_clock_mono_s();
    unsigned backoff = 0;
    while (!*n->stop) {
        m2c_err e;
        m2c_err_clear(&e);
        int did = 0;
        size_t open = 0;
        /* Time per phase, for the debug log (docs/node.md "Throughput"): watch, compute,
         * track, submit; within submit: states, fees, estimates, store, send. */
        double t[5], sub[5] = {0, 0, 0, 0, 0};
        t[0] = m2c_clock_mono_s();
        m2c_status st = m2c_rpc_block_number(c->rpc, &c->head, &e);
        if (!st) st = watch(c, &did, &e);
        t[1] = m2c_clock_mono_s();
        if (!st) st = compute(c, &did, &e);
        t[2] = m2c_clock_mono_s();
        if (!st) st = track(c, &open, &did, &e);
        t[3] = m2c_clock_mono_s();
        if (!st) st = submit(c, open, &did, sub, &e);
        if (!st) st = deliver_due(c, open, &did, &e);
        t[4] = m2c_clock_mono_s();
        if (!st && did && t[4] - t[0] > 0.001)
            logf_(n, M2C_LOG_DEBUG, c, NULL,
                  "step at head %llu: watch %.0f ms, compute %.0f ms, track %.0f ms, submit %.0f ms"
                  " (states %.0f, fees %.0f, gas %.0f, store %.0f, send %.0f)",
                  (unsigned long long)c->head, 1e3 * (t[1] - t[0]), 1e3 * (t[2] - t[1]),
                  1e3 * (t[3] - t[2]), 1e3 * (t[4] - t[3]), 1e3 * sub[0], 1e3 * sub[1],
                  1e3 * sub[2], 1e3 * sub[3], 1e3 * sub[4]);
        if (st) {
            if (st == M2C_ERR_INTERRUPTED || *n->stop) break;
            if (st == M2C_ERR_DB || st == M2C_ERR_NOMEM) {
                logf_(n, M2C_LOG_ERROR, c, NULL, "%s", e.msg);
            } else {
                rpc_error(c, "step failed", &e);
            }
            backoff = backoff ? (backoff * 2 > 10000 ? 10000 : backoff * 2) : 500;
            sleep_ms(n, backoff);
            continue;
        }
        backoff = 0;
        c->first_pass = 0;
        c->last_ok = m2c_clock_mono_s();
        update_gauges(c);
        if (n->cfg->once && !did) {
            uint64_t counts[M2C_REQ_STATES], dcounts[M2C_DELIVERY_STATES], cursor;
            m2c_hash32 h;
            if (m2c_nodestore_counts(c->st, c->key, counts, &e) == M2C_OK &&
                m2c_nodestore_cursor(c->st, c->key, &cursor, &h, &e) == M2C_OK &&
                counts[0] + counts[1] + counts[2] == 0 && c->due_final == 0 &&
                m2c_nodestore_delivery_counts(c->st, c->key, dcounts, &e) == M2C_OK &&
                dcounts[M2C_DELIVERY_SUBMITTED] == 0 &&
                cursor + c->cfg->confirmations >= c->head) {
                c->idle = 1;
                break;
            }
        }
        if (!did || open >= c->cfg->max_inflight) {
            if (open) wait_head(c, c->cfg->poll_ms); /* what frees a slot is a new block */
            else sleep_ms(n, c->cfg->poll_ms);
        }
    }
    return NULL;
}

m2c_status m2c_node_run(const m2c_node_cfg *cfg, const m2c_key *key,
                        const volatile sig_atomic_t *stop, m2c_node_log_fn log, void *log_ctx,
                        m2c_err *err) {
    m2c_status st = m2c_node_cfg_check(cfg, err);
    if (st) return st;
    node n;
    memset(&n, 0, sizeof n);
    n.cfg = cfg;
    n.key = key;
    n.stop = stop;
    n.log = log;
    n.log_ctx = log_ctx;
    pthread_mutex_init(&n.log_mu, NULL);
    pthread_mutex_init(&n.files_mu, NULL);
    chain *chains = calloc(cfg->n_chains, sizeof *chains);
    pthread_t th[M2C_NODE_MAX_CHAINS];
    size_t started = 0;
    if (!chains) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = m2c_metrics_create(&n.metrics, err);
    if (st) goto out;
    st = scan_models(&n, err);
    if (st) goto out;
    {
        size_t valid = 0;
        for (size_t i = 0; i < n.n_files; i++) valid += n.files[i].q != NULL;
        char a[43];
        m2c_addr_checksum(a, &key->addr);
        logf_(&n, M2C_LOG_INFO, NULL, NULL, "operator %s; %zu model file(s) in %s (%zu valid qmodel)", a,
              n.n_files, cfg->models_dir, valid);
        if (cfg->test_lie_rate > 0)
            logf_(&n, M2C_LOG_WARN, NULL, NULL, "TEST ONLY: --test-lie-rate %g: some outputs are deliberately wrong",
                  cfg->test_lie_rate);
    }
    for (size_t i = 0; i < cfg->n_chains; i++) {
        chains[i].n = &n;
        chains[i].cfg = &cfg->chains[i];
        chains[i].idx = i;
        snprintf(chains[i].key, sizeof chains[i].key, "#%zu", i);
        st = chain_start(&chains[i], err);
        if (st) goto out;
    }
    if (cfg->metrics_addr[0]) {
        st = m2c_metrics_serve(n.metrics, cfg->metrics_addr, err);
        if (st) goto out;
        logf_(&n, M2C_LOG_INFO, NULL, NULL, "metrics on http://%s/metrics", cfg->metrics_addr);
    }
    for (size_t i = 0; i < cfg->n_chains; i++) {
        if (pthread_create(&th[started], NULL, chain_main, &chains[i])) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "cannot start chain thread");
            break;
        }
        started++;
    }
    /* Health: every chain completed a step recently. */
    while (!st) {
        int all_idle = 1;
        for (size_t i = 0; i < started; i++) all_idle &= chains[i].idle;
        if (*stop || (cfg->once && all_idle)) break;
        int ok = 1;
        char why[128] = "";
        for (size_t i = 0; i < started; i++) {
            double lim = 30.0 + chains[i].cfg->poll_ms / 1000.0 * 3;
            if (m2c_clock_mono_s() - chains[i].last_ok > lim) {
                ok = 0;
                snprintf(why, sizeof why, "chain %s: no successful step for %.0f s", chains[i].key,
                         m2c_clock_mono_s() - chains[i].last_ok);
            }
        }
        m2c_metrics_set_health(n.metrics, ok, why);
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
out:
    for (size_t i = 0; i < started; i++) pthread_join(th[i], NULL);
    if (started) logf_(&n, M2C_LOG_INFO, NULL, NULL, "stopped cleanly");
    if (chains)
        for (size_t i = 0; i < cfg->n_chains; i++) {
            m2c_rpc_destroy(chains[i].rpc);
            m2c_nodestore_close(chains[i].st);
            free(chains[i].models);
        }
    free(chains);
    m2c_metrics_destroy(n.metrics);
    for (size_t i = 0; i < n.n_files; i++) m2c_qmodel_free(n.files[i].q);
    free(n.files);
    pthread_mutex_destroy(&n.log_mu);
    pthread_mutex_destroy(&n.files_mu);
    return st;
}
