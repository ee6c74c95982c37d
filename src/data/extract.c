/* extract.c: the extraction engine (see extract.h): range resolution, worker threads that
 * fetch chunks (splitting refused ranges, retrying transient failures), the in-order writer,
 * provenance, and follow mode with reorg handling. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extract_impl.h"
#include "ml2chain/clock.h"
#include "ml2chain/hex.h"

#define X_MAX_ATTEMPTS    10 /* chunk-level attempts after transient failures */
#define X_BACKOFF_BASE_MS 100
#define X_BACKOFF_MAX_MS  5000
#define X_MAX_WORKERS     64
#define X_BLOCK_BATCH     100 /* blocks per batch request */
#define X_RING_PER_WORKER 16  /* chunks fetched ahead per worker: small ones cost little */
#define X_HELD_TARGETS    24  /* rows fetched ahead of the writer: this many target chunks */

void m2c_extract_opts_default(m2c_extract_opts *o) {
    memset(o, 0, sizeof *o);
    o->kind = M2C_EXTRACT_LOGS;
    o->from = m2c_blockref_num(0);
    o->to = m2c_blockref_latest();
    o->confirmations = UINT64_MAX; /* per chain: see resolve_confirmations */
    o->poll_ms = 1000;
    o->decimals = -1;
    o->concurrency = 4;
    o->timeout_ms = 30000;
    o->target_logs = 2000;
}

static int cancelled(const m2c_extract_opts *o) {
    return o->cancel && *o->cancel;
}

/* Sleeps ms milliseconds in slices, returning early (1) when cancelled. */
static int nap(const m2c_extract_opts *o, long ms) {
    while (ms > 0) {
        if (cancelled(o)) return 1;
        long s = ms > 100 ? 100 : ms;
        struct timespec ts = {s / 1000, (s % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= s;
    }
    return cancelled(o);
}

static uint64_t xrand(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- shared engine state --------------------------------------------------------------- */

typedef struct engine engine;

typedef struct {
    xchunk c;
    uint64_t seq;
    int state;   /* 0 free, 1 being fetched, 2 fetched (st says how) */
    size_t held; /* rows of complete slices counted in engine.held and not yet written */
    size_t ready;   /* slices of c complete (the writer may store them while state is 1) */
    size_t written; /* slices the writer has stored (the writer's own) */
    int begun;      /* the writer has begun c's sink chunk (the writer's own) */
    m2c_status st;
    m2c_err err;
    engine *e;
} xslot;

typedef struct {
    engine *e;
    m2c_rpc *rpc;
    pthread_t th;
    uint64_t rnd;
    int started;
    uint64_t requests; /* HTTP requests so far; written by the worker under e->mu */
} worker;

struct engine {
    const m2c_extract_opts *o;
    const xschema *x;
    m2c_rpc_filter filter; /* addresses and topics; from/to set per request */
    m2c_hash32 *topic0s;   /* topic0 OR-list derived from the events */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    xslot *ring;
    size_t window;         /* ring slots: chunks handed out and not yet written */
    size_t held, held_cap; /* rows built and waiting for the writer, and their cap */
    uint64_t seq_next, seq_write;
    const m2c_block_range *todo;
    size_t ntodo, itodo;
    uint64_t cursor; /* next block to hand out within todo[itodo] */
    uint64_t left;   /* blocks of todo not handed out yet */
    uint64_t span;     /* blocks in the next chunk */
    uint64_t max_span; /* their ceiling: --chunk-size, lowered by every refusal */
    int stop;
    uint64_t splits, retries;
    uint64_t fetched; /* chunks fetched so far (logs), for the slow start */
    worker workers[X_MAX_WORKERS];
    unsigned nworkers;
};

static int exhausted(const engine *e) {
    return e->itodo >= e->ntodo;
}

/* ---- fetching -------------------------------------------------------------------------- */

static m2c_status backoff(worker *w, int attempt) {
    long cap = X_BACKOFF_BASE_MS << (attempt < 6 ? attempt : 6);
    if (cap > X_BACKOFF_MAX_MS) cap = X_BACKOFF_MAX_MS;
    long ms = (long)(xrand(&w->rnd) % (uint64_t)(cap + 1)); /* full jitter */
    if (nap(w->e->o, ms)) return M2C_ERR_INTERRUPTED;
    return M2C_OK;
}

static void count(engine *e, uint64_t *field) {
    pthread_mutex_lock(&e->mu);
    (*field)++;
    pthread_mutex_unlock(&e->mu);
}

/* Fetches the logs of [a, b] into c, splitting on refusal. */
static m2c_status fetch_logs(worker *w, xchunk *c, uint64_t a, uint64_t b, m2c_err *err) {
    engine *e = w->e;
    for (int attempt = 0;; attempt++) {
        if (cancelled(e->o)) return m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
        m2c_rpc_filter f = e->filter;
        f.from = m2c_blockref_num(a);
        f.to = m2c_blockref_num(b);
        m2c_rpc_logs logs;
        m2c_status st = m2c_rpc_get_logs(w->rpc, &logs, &f, err);
        if (st == M2C_OK) {
            if (c->nparts == c->capparts) {
                size_t nc = c->capparts ? c->capparts * 2 : 4;
                m2c_rpc_logs *np = realloc(c->parts, nc * sizeof *np);
                if (!np) {
                    m2c_rpc_logs_free(&logs);
                    return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
                }
                c->parts = np;
                c->capparts = nc;
            }
            for (size_t i = 0; i < logs.n; i++)
                if (logs.v[i].block_number < a || logs.v[i].block_number > b) {
                    m2c_rpc_logs_free(&logs);
                    return m2c_err_set(err, M2C_ERR_PROTOCOL,
                                       "eth_getLogs %llu..%llu returned a log of block %llu",
                                       (unsigned long long)a, (unsigned long long)b,
                                       (unsigned long long)logs.v[i].block_number);
                }
            c->parts[c->nparts++] = logs;
            c->nlogs += logs.n;
            return M2C_OK;
        }
        if (st == M2C_ERR_INTERRUPTED) return st;
        m2c_extract_action act = m2c_extract_classify(st, err, b - a + 1);
        if (act == M2C_EXTRACT_SPLIT) {
            /* The node refused b - a + 1 blocks: no later chunk asks for as many. The ceiling
             * falls to half the refused span, so a fixed range limit is found in a few
             * refusals and not met again, whichever worker meets it first; the pieces of this
             * range are cut at the ceiling as it stands when each is requested. */
            uint64_t refused = b - a + 1, ceil = 1;
            pthread_mutex_lock(&e->mu);
            e->splits++;
            if (e->max_span > refused / 2) e->max_span = refused / 2 ? refused / 2 : 1;
            if (e->span > e->max_span) e->span = e->max_span;
            pthread_mutex_unlock(&e->mu);
            for (uint64_t x = a; x <= b; x += ceil) {
                pthread_mutex_lock(&e->mu);
                ceil = e->max_span;
                pthread_mutex_unlock(&e->mu);
                uint64_t y = b - x >= ceil ? x + ceil - 1 : b;
                if ((st = fetch_logs(w, c, x, y, err))) return st;
                if (y == b) break;
            }
            return M2C_OK;
        }
        if (act == M2C_EXTRACT_FAIL || attempt + 1 >= X_MAX_ATTEMPTS) {
            m2c_err_prefix(err, "blocks %llu..%llu", (unsigned long long)a, (unsigned long long)b);
            return st;
        }
        count(e, &e->retries);
        if (backoff(w, attempt)) return m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
    }
}

/* Fetches blocks numbers[0..n) (ascending) into out[0..n), retrying transient failures; *got
 * counts the blocks fetched so far (the caller frees those). */
static m2c_status fetch_blocks(worker *w, m2c_rpc_block *out, const uint64_t *numbers, size_t n,
                               int full, size_t *got, m2c_err *err) {
    engine *e = w->e;
    size_t done = 0;
    int attempt = 0;
    *got = 0;
    while (done < n) {
        size_t k = n - done > X_BLOCK_BATCH ? X_BLOCK_BATCH : n - done;
        if (cancelled(e->o)) return m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
        m2c_status st = m2c_rpc_get_blocks(w->rpc, out + done, numbers + done, k, full, err);
        if (st == M2C_OK) {
            done += k;
            *got = done;
            attempt = 0;
            continue;
        }
        if (st == M2C_ERR_INTERRUPTED) return st;
        m2c_extract_action act = m2c_extract_classify(st, err, 1);
        /* a block missing just after it was seen: the node is behind or reorging */
        if (st == M2C_ERR_NOTFOUND) act = M2C_EXTRACT_RETRY;
        if (act == M2C_EXTRACT_FAIL || ++attempt >= X_MAX_ATTEMPTS) return st;
        count(e, &e->retries);
        if (backoff(w, attempt)) return m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
    }
    return M2C_OK;
}

/* The blocks numbers[0..n) (ascending; every block with logs and the chunk's first and last)
 * into c->blocks. A block whose logs all carry the same hash and timestamp (newer nodes add
 * "blockTimestamp" to logs) is taken from them; the others are fetched, in batches. */
static m2c_status logs_blocks(worker *w, xchunk *c, const uint64_t *numbers, size_t n,
                              m2c_err *err) {
    m2c_status st = M2C_OK;
    uint8_t *from_logs = calloc(n ? n : 1, 1); /* 0 no logs, 1 from its logs, 2 fetch */
    uint64_t *need = malloc((n ? n : 1) * sizeof *need);
    size_t *at = malloc((n ? n : 1) * sizeof *at);
    m2c_rpc_block *got = NULL;
    size_t k = 0, ngot = 0;
    c->blocks = calloc(n ? n : 1, sizeof *c->blocks);
    if (!from_logs || !need || !at || !c->blocks) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    c->nblocks = n;
    size_t i = 0;
    for (size_t p = 0; p < c->nparts; p++)
        for (size_t j = 0; j < c->parts[p].n; j++) {
            const m2c_rpc_log *l = &c->parts[p].v[j];
            while (i < n && numbers[i] < l->block_number)
                i++;
            if (i == n || numbers[i] != l->block_number) continue; /* cannot happen */
            m2c_rpc_block *b = &c->blocks[i];
            if (!from_logs[i]) {
                b->hash = l->block_hash;
                b->timestamp = l->block_timestamp;
                from_logs[i] = l->has_block_timestamp ? 1 : 2;
            } else if (!l->has_block_timestamp || l->block_timestamp != b->timestamp ||
                       memcmp(l->block_hash.b, b->hash.b, 32)) {
                from_logs[i] = 2; /* the header decides (and the chunk retries if it differs) */
            }
        }
    for (i = 0; i < n; i++) {
        c->blocks[i].number = numbers[i];
        if (from_logs[i] != 1) {
            need[k] = numbers[i];
            at[k++] = i;
        }
    }
    if (!k) goto out;
    got = calloc(k, sizeof *got);
    if (!got) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((st = fetch_blocks(w, got, need, k, 0, &ngot, err))) goto out;
    for (size_t j = 0; j < k; j++) {
        c->blocks[at[j]] = got[j];
        memset(&got[j], 0, sizeof got[j]);
    }
out:
    for (size_t j = 0; got && j < ngot; j++)
        m2c_rpc_block_free(&got[j]);
    free(got);
    free(from_logs);
    free(need);
    free(at);
    return st;
}

static m2c_status fetch_receipts(worker *w, xchunk *c, m2c_err *err) {
    engine *e = w->e;
    size_t n = 0;
    for (size_t i = 0; i < c->nblocks; i++)
        n += c->blocks[i].tx_count;
    if (!n) return M2C_OK;
    m2c_hash32 *hashes = malloc(n * sizeof *hashes);
    c->receipts = calloc(n, sizeof *c->receipts);
    m2c_status st = M2C_OK;
    if (!hashes || !c->receipts) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->nblocks; i++)
        for (size_t j = 0; j < c->blocks[i].tx_count; j++)
            hashes[k++] = c->blocks[i].tx_hashes[j];
    size_t done = 0;
    int attempt = 0;
    while (done < n) {
        size_t m = n - done > X_BLOCK_BATCH ? X_BLOCK_BATCH : n - done;
        st = m2c_rpc_get_receipts(w->rpc, c->receipts + done, hashes + done, m, err);
        if (st == M2C_OK) {
            done += m;
            c->nreceipts = done;
            attempt = 0;
            continue;
        }
        if (st == M2C_ERR_INTERRUPTED) goto out;
        m2c_extract_action act = m2c_extract_classify(st, err, 1);
        if (st == M2C_ERR_NOTFOUND) act = M2C_EXTRACT_RETRY;
        if (act == M2C_EXTRACT_FAIL || ++attempt >= X_MAX_ATTEMPTS) goto out;
        count(e, &e->retries);
        if (backoff(w, attempt)) {
            st = m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
            goto out;
        }
    }
    st = M2C_OK;
out:
    free(hashes);
    return st;
}

/* m2c_xrows_build's progress: the writer may take the slices built so far; their rows count
 * against the cap on rows waiting for it. */
static void slices_ready(void *ctx, size_t n) {
    xslot *sl = ctx;
    pthread_mutex_lock(&sl->e->mu);
    for (size_t k = sl->ready; k < n; k++) {
        sl->held += sl->c.slices[k].nrows;
        sl->e->held += sl->c.slices[k].nrows;
    }
    sl->ready = n;
    pthread_cond_broadcast(&sl->e->cv_done);
    pthread_mutex_unlock(&sl->e->mu);
}

/* Fetches everything chunk [c->from, c->to] needs, and builds its rows (telling `ready` as
 * slices of them are complete). */
static m2c_status fetch_chunk(worker *w, xchunk *c, const xready *ready, m2c_err *err) {
    engine *e = w->e;
    const m2c_extract_opts *o = e->o;
    uint64_t *numbers = NULL;
    const xschema *x = e->x;
    m2c_status st;
    for (int attempt = 0;; attempt++) {
        uint64_t from = c->from, to = c->to;
        m2c_xchunk_clear(c);
        c->from = from;
        c->to = to;
        size_t n = 0;
        free(numbers);
        numbers = NULL;
        if (o->kind == M2C_EXTRACT_LOGS) {
            if ((st = fetch_logs(w, c, from, to, err))) goto out;
            /* the distinct blocks of the logs (for timestamps) and the chunk's last block
             * (its hash marks the checkpoint, for reorg detection) */
            numbers = malloc((c->nlogs + 2) * sizeof *numbers);
            if (!numbers) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
                goto out;
            }
            numbers[n++] = from; /* its hash is the provenance of a range's first block */
            /* Logs come in chain order, each once: a repeated log would be a duplicate row. */
            const m2c_rpc_log *prev = NULL;
            for (size_t p = 0; p < c->nparts; p++)
                for (size_t i = 0; i < c->parts[p].n; i++) {
                    const m2c_rpc_log *l = &c->parts[p].v[i];
                    if (prev && (l->block_number < prev->block_number ||
                                 (l->block_number == prev->block_number &&
                                  l->log_index <= prev->log_index))) {
                        st = m2c_err_set(
                            err, M2C_ERR_PROTOCOL,
                            "eth_getLogs %llu..%llu: log %llu of block %llu %s log %llu of block "
                            "%llu (logs must come in chain order, each once)",
                            (unsigned long long)from, (unsigned long long)to,
                            (unsigned long long)l->log_index, (unsigned long long)l->block_number,
                            l->block_number == prev->block_number && l->log_index == prev->log_index
                                ? "repeats"
                                : "comes after",
                            (unsigned long long)prev->log_index,
                            (unsigned long long)prev->block_number);
                        goto out;
                    }
                    prev = l;
                    if (numbers[n - 1] != l->block_number) numbers[n++] = l->block_number;
                }
            if (!n || numbers[n - 1] != to) numbers[n++] = to;
        } else {
            n = (size_t)(to - from + 1);
            numbers = malloc(n * sizeof *numbers);
            if (!numbers) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
                goto out;
            }
            for (size_t i = 0; i < n; i++)
                numbers[i] = from + i;
        }
        if (o->kind == M2C_EXTRACT_LOGS) {
            if ((st = logs_blocks(w, c, numbers, n, err))) goto out;
        } else {
            c->blocks = calloc(n ? n : 1, sizeof *c->blocks);
            if (!c->blocks) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
                goto out;
            }
            if ((st = fetch_blocks(w, c->blocks, numbers, n, o->kind == M2C_EXTRACT_TRANSACTIONS,
                                   &c->nblocks, err)))
                goto out;
        }
        if (o->kind == M2C_EXTRACT_TRANSACTIONS && (st = fetch_receipts(w, c, err))) goto out;
        /* every log must belong to the block we fetched, and none may be marked removed: if
         * not, the chain moved under us */
        int consistent = 1;
        for (size_t p = 0; p < c->nparts && consistent; p++)
            for (size_t i = 0; i < c->parts[p].n && consistent; i++) {
                const m2c_rpc_log *l = &c->parts[p].v[i];
                size_t lo = 0, hi = c->nblocks;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (c->blocks[mid].number < l->block_number)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                consistent = !l->removed && lo < c->nblocks &&
                             !memcmp(c->blocks[lo].hash.b, l->block_hash.b, 32);
            }
        for (size_t i = 0; i < c->nreceipts && consistent; i++) {
            size_t lo = 0, hi = c->nblocks;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (c->blocks[mid].number < c->receipts[i].block_number)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            consistent =
                lo < c->nblocks && !memcmp(c->blocks[lo].hash.b, c->receipts[i].block_hash.b, 32);
        }
        if (consistent) {
            /* decode here, in parallel; the writer only inserts. The logs are not needed after. */
            st = m2c_xrows_build(x, o, c, ready, err);
            for (size_t p = 0; p < c->nparts; p++)
                m2c_rpc_logs_free(&c->parts[p]);
            c->nparts = 0;
            goto out;
        }
        if (attempt + 1 >= X_MAX_ATTEMPTS) {
            st = m2c_err_set(err, M2C_ERR_STATE,
                             "blocks %llu..%llu kept changing while being read (reorgs?)",
                             (unsigned long long)from, (unsigned long long)to);
            goto out;
        }
        count(e, &e->retries);
        if (backoff(w, attempt)) {
            st = m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
            goto out;
        }
    }
out:
    free(numbers);
    return st;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    engine *e = w->e;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        /* the chunk the writer waits for can be slow (a dense block cannot be split): the
         * others fetch ahead meanwhile, bounded by ring slots and by the rows they hold */
        while (!e->stop && !exhausted(e) &&
               (e->seq_next - e->seq_write >= e->window ||
                (e->held >= e->held_cap && e->seq_next > e->seq_write)))
            pthread_cond_wait(&e->cv_work, &e->mu);
        if (e->stop || exhausted(e)) break;
        const m2c_block_range *r = &e->todo[e->itodo];
        uint64_t a = e->cursor, b = r->to;
        uint64_t span = m2c_extract_chunk_blocks(e->span, e->left, e->nworkers);
        if (b - a >= span) b = a + span - 1;
        e->left -= b - a + 1;
        if (b == r->to) {
            e->itodo++;
            if (!exhausted(e)) e->cursor = e->todo[e->itodo].from;
        } else {
            e->cursor = b + 1;
        }
        uint64_t seq = e->seq_next++;
        xslot *sl = &e->ring[seq % e->window];
        memset(&sl->c, 0, sizeof sl->c);
        sl->c.from = a;
        sl->c.to = b;
        sl->seq = seq;
        sl->state = 1;
        sl->ready = sl->written = 0;
        sl->begun = 0;
        sl->e = e;
        m2c_err_clear(&sl->err);
        pthread_mutex_unlock(&e->mu);
        xready ready = {slices_ready, sl};
        m2c_status st = fetch_chunk(w, &sl->c, &ready, &sl->err);
        m2c_rpc_stats rs;
        m2c_rpc_get_stats(w->rpc, &rs); /* the handle is this thread's */
        pthread_mutex_lock(&e->mu);
        w->requests = rs.http_requests;
        sl->st = st;
        sl->state = 2;
        if (st == M2C_OK && e->o->kind == M2C_EXTRACT_LOGS) {
            uint64_t next =
                m2c_extract_next_span(b - a + 1, sl->c.nlogs, e->o->target_logs, e->max_span);
            uint64_t ramp = m2c_extract_ramp(++e->fetched, e->nworkers);
            e->span = next < ramp ? next : ramp;
        }
        pthread_cond_broadcast(&e->cv_done);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* ---- the run --------------------------------------------------------------------------- */

typedef struct {
    const m2c_extract_opts *o;
    m2c_rpc *rpc; /* the main thread's handle */
    m2c_sink *sink;
    xschema x;
    uint64_t chain_id;
    char client[256];
    m2c_extract_progress p;
    double t0;
    uint64_t undecoded_before;
    engine e;
    int engine_ready;
} run;

/* The main thread's calls (follow mode, reorg checks) retried like the workers' are. */
static m2c_status main_get_block(run *R, m2c_rpc_block *out, uint64_t number, m2c_err *err) {
    m2c_blockref ref = m2c_blockref_num(number);
    uint64_t rnd = (uint64_t)time(NULL) ^ number;
    for (int attempt = 0;; attempt++) {
        m2c_status st = m2c_rpc_get_block(R->rpc, out, &ref, 0, err);
        if (st == M2C_OK || st == M2C_ERR_NOTFOUND || st == M2C_ERR_INTERRUPTED) return st;
        if (m2c_extract_classify(st, err, 1) != M2C_EXTRACT_RETRY || attempt + 1 >= X_MAX_ATTEMPTS)
            return st;
        long cap = X_BACKOFF_BASE_MS << (attempt < 6 ? attempt : 6);
        if (nap(R->o, (long)(xrand(&rnd) % (uint64_t)(cap + 1))))
            return m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
    }
}

static m2c_status main_block_number(run *R, uint64_t *out, m2c_err *err) {
    uint64_t rnd = (uint64_t)time(NULL);
    for (int attempt = 0;; attempt++) {
        m2c_status st = m2c_rpc_block_number(R->rpc, out, err);
        if (st == M2C_OK || st == M2C_ERR_INTERRUPTED) return st;
        if (m2c_extract_classify(st, err, 1) != M2C_EXTRACT_RETRY || attempt + 1 >= X_MAX_ATTEMPTS)
            return st;
        long cap = X_BACKOFF_BASE_MS << (attempt < 6 ? attempt : 6);
        if (nap(R->o, (long)(xrand(&rnd) % (uint64_t)(cap + 1))))
            return m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
    }
}

static m2c_status make_rpc(const m2c_extract_opts *o, m2c_rpc **out, double rps, m2c_err *err) {
    m2c_rpc_opts ro;
    m2c_rpc_opts_default(&ro);
    if (o->timeout_ms > 0) ro.timeout_ms = o->timeout_ms;
    ro.max_rps = rps;
    ro.cancel = o->cancel;
    ro.max_response = (size_t)128 << 20;
    ro.retry_budget_ms = 60000;
    return m2c_rpc_create(out, o->rpc_url, &ro, err);
}

static void report(run *R) {
    if (!R->o->progress) return;
    R->p.seconds = m2c_clock_mono_s() - R->t0;
    R->o->progress(R->o->progress_ud, &R->p);
}

static m2c_status set_meta_u64(m2c_sink *s, const char *k, uint64_t v, m2c_err *err) {
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    return m2c_sink_meta(s, k, num, err);
}

/* Provenance for the commit of chunk [from, to]: range with first/last block hashes, etc. */
static m2c_status chunk_meta(run *R, const xchunk *c, m2c_err *err) {
    m2c_sink *s = R->sink;
    m2c_status st;
    size_t nd;
    const m2c_block_range *d = m2c_sink_done(s, &nd);
    uint64_t lo = c->from, hi = c->to;
    if (nd) {
        if (d[0].from < lo) lo = d[0].from;
        if (d[nd - 1].to > hi) hi = d[nd - 1].to;
    }
    char hx[67];
    if ((st = set_meta_u64(s, "range_from", lo, err)) ||
        (st = set_meta_u64(s, "range_to", hi, err)))
        return st;
    if (hi == c->to && c->nblocks && c->blocks[c->nblocks - 1].number == c->to) {
        m2c_hex_encode(hx, c->blocks[c->nblocks - 1].hash.b, 32, 1);
        if ((st = m2c_sink_meta(s, "range_to_hash", hx, err))) return st;
    }
    if (lo == c->from) {
        /* the first block's hash: in the chunk when it had logs there, else ask */
        const m2c_rpc_block *fb =
            c->nblocks && c->blocks[0].number == c->from ? &c->blocks[0] : NULL;
        m2c_rpc_block b;
        memset(&b, 0, sizeof b);
        if (!fb) {
            if ((st = main_get_block(R, &b, c->from, err))) return st;
            fb = &b;
        }
        m2c_hex_encode(hx, fb->hash.b, 32, 1);
        m2c_rpc_block_free(&b);
        if ((st = m2c_sink_meta(s, "range_from_hash", hx, err))) return st;
    }
    return set_meta_u64(s, "undecoded_logs", R->undecoded_before + R->p.undecoded, err);
}

/* Stores the slices of sl's rows that are complete and not yet stored, beginning its sink chunk
 * first if need be, and frees each once stored (the writer's thread); *rows counts them. */
static m2c_status write_slices(run *R, xslot *sl, size_t ready, size_t *rows, m2c_err *err) {
    m2c_status st;
    *rows = 0;
    if (!sl->begun) {
        if ((st = m2c_sink_begin(R->sink, err))) return st;
        sl->begun = 1;
    }
    for (; sl->written < ready; sl->written++) {
        xbatch *b = &sl->c.slices[sl->written];
        if ((st = m2c_xrows_write(&R->x, R->sink, b, &R->p.rows, &R->p.undecoded, err))) return st;
        *rows += b->nrows;
        m2c_xbatch_free(b);
    }
    return M2C_OK;
}

/* Ends a chunk whose rows are all stored: its block hashes, provenance and checkpoint. */
static m2c_status write_chunk_end(run *R, xchunk *c, m2c_err *err) {
    m2c_sink *s = R->sink;
    m2c_status st;
    char hx[67];
    for (size_t i = 0; i < c->nblocks; i++) {
        m2c_hex_encode(hx, c->blocks[i].hash.b, 32, 1);
        if ((st = m2c_sink_block(s, c->blocks[i].number, hx, err))) return st;
    }
    if ((st = chunk_meta(R, c, err))) return st;
    return m2c_sink_commit(s, c->from, c->to, err);
}

static void engine_stop(engine *e) {
    pthread_mutex_lock(&e->mu);
    e->stop = 1;
    pthread_cond_broadcast(&e->cv_work);
    pthread_mutex_unlock(&e->mu);
    for (unsigned i = 0; i < e->nworkers; i++)
        if (e->workers[i].started) {
            pthread_join(e->workers[i].th, NULL);
            e->workers[i].started = 0;
        }
    for (size_t i = 0; e->ring && i < e->window; i++)
        m2c_xchunk_clear(&e->ring[i].c);
}

/* Extracts the ranges todo[0..n) with the workers, writing in order. */
static m2c_status pass(run *R, const m2c_block_range *todo, size_t n, m2c_err *err) {
    engine *e = &R->e;
    const m2c_extract_opts *o = R->o;
    m2c_status st = M2C_OK;
    if (!n) return M2C_OK;
    e->todo = todo;
    e->ntodo = n;
    e->itodo = 0;
    e->cursor = todo[0].from;
    e->left = 0;
    for (size_t i = 0; i < n; i++)
        e->left += todo[i].to - todo[i].from + 1;
    e->seq_next = e->seq_write = 0;
    e->held = 0;
    e->stop = 0;
    for (size_t i = 0; i < e->window; i++) {
        e->ring[i].state = 0;
        e->ring[i].held = 0;
    }
    for (unsigned i = 0; i < e->nworkers; i++) {
        if (pthread_create(&e->workers[i].th, NULL, worker_main, &e->workers[i]) != 0) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "cannot start worker thread %u", i);
            goto out;
        }
        e->workers[i].started = 1;
    }
    for (;;) {
        pthread_mutex_lock(&e->mu);
        xslot *sl = &e->ring[e->seq_write % e->window];
        int idle = 0;
        /* the next chunk in chain order: whole, or some more slices of its rows */
        while (!(sl->seq == e->seq_write && sl->state != 0 &&
                 (sl->state == 2 || sl->ready > sl->written)) &&
               !(exhausted(e) && e->seq_write == e->seq_next) && !cancelled(o)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&e->cv_done, &e->mu, &ts) == ETIMEDOUT && !idle &&
                !(sl->seq == e->seq_write && sl->begun)) {
                /* the next chunk is slow to come: what is written so far goes to disk now */
                idle = 1;
                pthread_mutex_unlock(&e->mu);
                st = m2c_sink_flush(R->sink, err);
                pthread_mutex_lock(&e->mu);
                if (st) break;
            }
        }
        int finished = exhausted(e) && e->seq_write == e->seq_next;
        int whole = sl->state == 2;
        size_t ready = sl->ready;
        pthread_mutex_unlock(&e->mu);
        if (st) goto out;
        if (cancelled(o)) {
            st = m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
            goto out;
        }
        if (finished) break; /* m2c_extract_run flushes what is grouped, on every path */
        if (whole && sl->st != M2C_OK) {
            if (err) *err = sl->err;
            st = sl->st;
            goto out;
        }
        size_t stored;
        if ((st = write_slices(R, sl, ready, &stored, err))) goto out;
        if (!whole) { /* more slices to come; the rows stored no longer count as waiting */
            pthread_mutex_lock(&e->mu);
            e->held -= stored;
            sl->held -= stored;
            pthread_cond_broadcast(&e->cv_work);
            pthread_mutex_unlock(&e->mu);
            continue;
        }
        if ((st = write_chunk_end(R, &sl->c, err))) goto out;
        sl->begun = 0;
        R->p.blocks_done += sl->c.to - sl->c.from + 1;
        m2c_xchunk_clear(&sl->c);
        pthread_mutex_lock(&e->mu);
        R->p.splits = e->splits;
        R->p.retries = e->retries;
        uint64_t reqs = 0;
        for (unsigned i = 0; i < e->nworkers; i++)
            reqs += e->workers[i].requests;
        R->p.requests = reqs;
        e->held -= sl->held;
        sl->held = 0;
        sl->state = 0;
        e->seq_write++;
        pthread_cond_broadcast(&e->cv_work);
        pthread_mutex_unlock(&e->mu);
        report(R);
    }
out:
    engine_stop(e);
    return st;
}

static m2c_status resolve(run *R, const m2c_blockref *ref, uint64_t head, uint64_t conf,
                          const char *what, uint64_t *out, m2c_err *err) {
    switch (ref->tag) {
    case M2C_BLOCK_NUMBER:
        if (ref->number > head)
            return m2c_err_set(err, M2C_ERR_RANGE, "%s %llu is beyond the chain head %llu", what,
                               (unsigned long long)ref->number, (unsigned long long)head);
        *out = ref->number;
        return M2C_OK;
    case M2C_BLOCK_EARLIEST: *out = 0; return M2C_OK;
    case M2C_BLOCK_LATEST:
    case M2C_BLOCK_PENDING:
        *out = head >= conf ? head - conf : 0;
        if (head < conf) *out = UINT64_MAX; /* nothing confirmed yet */
        return M2C_OK;
    case M2C_BLOCK_SAFE:
    case M2C_BLOCK_FINALIZED: {
        m2c_rpc_block b;
        m2c_status st = m2c_rpc_get_block(R->rpc, &b, ref, 0, err);
        if (st)
            return m2c_err_prefix(err, "%s %s", what,
                                  ref->tag == M2C_BLOCK_SAFE ? "safe" : "finalized");
        *out = b.number;
        m2c_rpc_block_free(&b);
        return M2C_OK;
    }
    }
    return m2c_err_set(err, M2C_ERR_INVALID, "%s: bad block reference", what);
}

/* Compares stored block hashes with the node's from the top of the output down; rewinds the
 * sink past the first block that no longer matches. Sets *rewound. */
static m2c_status check_reorg(run *R, uint64_t top, int *rewound, m2c_err *err) {
    m2c_status st;
    uint64_t b = top, from = 0;
    int mismatched = 0;
    *rewound = 0;
    for (;;) {
        uint64_t at;
        st = m2c_sink_block_before(R->sink, &at, b, err);
        if (st == M2C_ERR_NOTFOUND) {
            from = 0; /* no stored block still matches: everything goes */
            break;
        }
        if (st) return st;
        char stored[67], node[67];
        if ((st = m2c_sink_block_hash(R->sink, stored, at, err))) return st;
        m2c_rpc_block blk;
        st = main_get_block(R, &blk, at, err);
        if (st && st != M2C_ERR_NOTFOUND) return st; /* NOTFOUND: the chain got shorter */
        int same = 0;
        if (!st) {
            m2c_hex_encode(node, blk.hash.b, 32, 1);
            m2c_rpc_block_free(&blk);
            same = !strcmp(node, stored);
        }
        if (same) {
            from = at + 1;
            break;
        }
        mismatched = 1;
        if (at == 0) {
            from = 0;
            break;
        }
        b = at - 1;
    }
    if (!mismatched) return M2C_OK;
    if ((st = m2c_sink_rewind(R->sink, from, err))) return st;
    R->p.reorgs++;
    *rewound = 1;
    return M2C_OK;
}

m2c_status m2c_extract_run(const m2c_extract_opts *o, m2c_extract_summary *sum, m2c_err *err) {
    run R;
    memset(&R, 0, sizeof R);
    memset(sum, 0, sizeof *sum);
    R.o = o;
    R.t0 = m2c_clock_mono_s();
    m2c_status st;
    m2c_block_range *todo = NULL;
    engine *e = &R.e;
    if (!o->out || !*o->out) return m2c_err_set(err, M2C_ERR_INVALID, "no output given");
    if (o->from.tag == M2C_BLOCK_NUMBER && o->to.tag == M2C_BLOCK_NUMBER &&
        o->from.number > o->to.number)
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "reversed range: --from-block %llu > --to-block %llu",
                           (unsigned long long)o->from.number, (unsigned long long)o->to.number);
    if ((st = make_rpc(o, &R.rpc, 0, err))) goto out;
    /* the node must answer like an Ethereum node before anything is written */
    if ((st = m2c_rpc_chain_id(R.rpc, &R.chain_id, err))) {
        m2c_err_prefix(err, "%s is not a usable Ethereum JSON-RPC endpoint",
                       m2c_rpc_url_redacted(R.rpc));
        goto out;
    }
    if (m2c_rpc_client_version(R.rpc, R.client, sizeof R.client, NULL) != M2C_OK)
        snprintf(R.client, sizeof R.client, "unknown");
    uint64_t conf = o->confirmations;
    if (conf == UINT64_MAX) conf = (R.chain_id == 31337 || R.chain_id == 1337) ? 0 : 12;
    uint64_t head;
    if ((st = m2c_rpc_block_number(R.rpc, &head, err))) goto out;
    uint64_t from, to;
    if ((st = resolve(&R, &o->from, head, conf, "--from-block", &from, err))) goto out;
    if ((st = resolve(&R, &o->to, head, conf, "--to-block", &to, err))) goto out;
    if (from == UINT64_MAX) from = 0;
    if (to != UINT64_MAX && from > to && !o->follow) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "reversed range: from block %llu > to block %llu",
                         (unsigned long long)from, (unsigned long long)to);
        goto out;
    }
    if ((st = m2c_xschema_build(&R.x, o, R.chain_id, err))) goto out;
    /* a run that ends when the range is done is a bulk load; a follower keeps the output
     * readable at every chunk */
    if ((st = m2c_sink_open_ex(&R.sink, o->out, &R.x.schema, o->follow ? 0 : M2C_SINK_BULK, err)))
        goto out;
    snprintf(sum->sink_kind, sizeof sum->sink_kind, "%s", m2c_sink_kind(R.sink));
    /* provenance that does not change per chunk */
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)R.chain_id);
    if ((st = m2c_sink_meta(R.sink, "chain_id", num, err)) ||
        (st = m2c_sink_meta(R.sink, "client_version", R.client, err)) ||
        (st = m2c_sink_meta(R.sink, "filter", R.x.identity, err)) ||
        (st = m2c_sink_meta(R.sink, "ml2chain_version", "0.1.0", err)) ||
        (st = set_meta_u64(R.sink, "confirmations", conf, err)))
        goto out;
    {
        /* the undecoded count so far, kept across runs */
        const char *u = m2c_sink_meta_get(R.sink, "undecoded_logs");
        R.undecoded_before = u ? strtoull(u, NULL, 10) : 0;
    }
    /* engine set-up */
    e->o = o;
    e->x = &R.x;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv_work, NULL);
    pthread_cond_init(&e->cv_done, NULL);
    R.engine_ready = 1;
    e->nworkers = o->concurrency ? o->concurrency : 1;
    if (e->nworkers > X_MAX_WORKERS) e->nworkers = X_MAX_WORKERS;
    /* memory stays flat however long the range: at most `window` chunks are in flight, and
     * the rows built and waiting for the writer are about held_cap (plus one chunk); the
     * writer frees each slice of rows as soon as it has stored it */
    e->window = (size_t)e->nworkers * X_RING_PER_WORKER + 2;
    e->ring = calloc(e->window, sizeof *e->ring);
    if (!e->ring) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    uint64_t def_chunk = o->kind == M2C_EXTRACT_LOGS     ? 2000
                         : o->kind == M2C_EXTRACT_BLOCKS ? 100
                                                         : 20;
    e->max_span = o->chunk_size ? o->chunk_size : def_chunk;
    e->held_cap = X_HELD_TARGETS * (o->target_logs ? o->target_logs : 2000);
    /* logs: start with one block per chunk so the first results (and the writer) come early;
     * the span then adapts to the density (m2c_extract_next_span) */
    e->span = o->kind == M2C_EXTRACT_LOGS ? 1 : e->max_span;
    for (unsigned i = 0; i < e->nworkers; i++) {
        e->workers[i].e = e;
        e->workers[i].rnd = (uint64_t)time(NULL) ^ ((uint64_t)i << 32) ^ (uint64_t)getpid();
        if ((st = make_rpc(o, &e->workers[i].rpc, o->rps > 0 ? o->rps / e->nworkers : 0, err)))
            goto out;
    }
    if (o->kind == M2C_EXTRACT_LOGS) {
        e->filter.addresses = o->addresses;
        e->filter.n_addresses = o->n_addresses;
        size_t nt = 0;
        for (int t = 0; t < 4; t++) {
            e->filter.topics[t] = o->topics[t];
            e->filter.n_topic_or[t] = o->n_topic_or[t];
            if (o->n_topic_or[t]) nt = (size_t)t + 1;
        }
        /* events without an explicit topic0: ask only for their topic0s, unless one is
         * anonymous (its logs have no event topic) */
        int anon = 0;
        for (size_t i = 0; i < o->n_events; i++)
            anon |= o->events[i].anonymous;
        if (o->n_events && !o->n_topic_or[0] && !anon) {
            e->topic0s = calloc(o->n_events, sizeof *e->topic0s);
            if (!e->topic0s) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
                goto out;
            }
            size_t k = 0;
            for (size_t i = 0; i < o->n_events; i++) {
                int dup = 0;
                for (size_t j = 0; j < k; j++)
                    dup |= !memcmp(e->topic0s[j].b, o->events[i].topic0.b, 32);
                if (!dup) e->topic0s[k++] = o->events[i].topic0;
            }
            e->filter.topics[0] = e->topic0s;
            e->filter.n_topic_or[0] = k;
            if (nt == 0) nt = 1;
        }
        e->filter.n_topics = nt;
    }
    for (;;) {
        /* one pass over what is missing in [from, to] */
        size_t nd;
        const m2c_block_range *d = m2c_sink_done(R.sink, &nd);
        R.p.from = from;
        R.p.to = to;
        R.p.following = 0;
        if (to != UINT64_MAX && from <= to) {
            size_t n = m2c_extract_missing(NULL, 0, from, to, d, nd);
            free(todo);
            todo = calloc(n ? n : 1, sizeof *todo);
            if (!todo) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
                goto out;
            }
            m2c_extract_missing(todo, n, from, to, d, nd);
            uint64_t total = 0;
            for (size_t i = 0; i < n; i++)
                total += todo[i].to - todo[i].from + 1;
            R.p.blocks_total += total;
            if (n == 0 && !o->follow) sum->nothing_to_do = 1;
            report(&R);
            if ((st = pass(&R, todo, n, err))) goto out;
        }
        if (!o->follow) break;
        /* follow: wait for new confirmed blocks, handling reorgs */
        R.p.following = 1;
        report(&R);
        for (;;) {
            if (nap(o, o->poll_ms ? o->poll_ms : 1000)) {
                st = m2c_err_set(err, M2C_ERR_INTERRUPTED, "interrupted");
                goto out;
            }
            int rewound = 0;
            uint64_t top = to == UINT64_MAX ? from : to;
            if ((st = check_reorg(&R, top, &rewound, err))) goto out;
            if ((st = main_block_number(&R, &head, err))) goto out;
            uint64_t safe = head >= conf ? head - conf : UINT64_MAX;
            if (rewound || (safe != UINT64_MAX && (to == UINT64_MAX || safe > to))) {
                if (safe != UINT64_MAX) to = safe;
                break;
            }
        }
    }
    st = M2C_OK;
out:
    if (R.engine_ready) {
        engine_stop(e);
        R.p.splits = e->splits;
        R.p.retries = e->retries;
    }
    if (R.sink) {
        /* chunks written before an error or an interrupt are complete: keep them */
        m2c_err ferr;
        m2c_status fst = m2c_sink_flush(R.sink, st ? &ferr : err);
        if (!st) st = fst;
    }
    report(&R);
    sum->p = R.p;
    sum->chain_id = R.chain_id;
    if (R.sink)
        for (size_t t = 0; t < R.x.ntables; t++)
            sum->rows_total += m2c_sink_rows(R.sink, t);
    m2c_sink_close(R.sink);
    sum->p.seconds = m2c_clock_mono_s() - R.t0; /* the output closed is part of the run */
    m2c_xschema_free(&R.x);
    if (R.engine_ready) {
        for (unsigned i = 0; i < e->nworkers; i++)
            m2c_rpc_destroy(e->workers[i].rpc);
        free(e->ring);
        free(e->topic0s);
        pthread_mutex_destroy(&e->mu);
        pthread_cond_destroy(&e->cv_work);
        pthread_cond_destroy(&e->cv_done);
    }
    m2c_rpc_destroy(R.rpc);
    free(todo);
    return st;
}
