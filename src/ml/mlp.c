/* mlp.c: multilayer perceptron training — dense layers with relu/tanh/sigmoid hidden units,
 * a linear output (regression, MSE on the standardized target), sigmoid (binary
 * cross-entropy) or softmax (cross-entropy); Adam on shuffled minibatches with an L2
 * penalty; early stopping on a seeded validation split of the training rows (the best
 * epoch's weights are kept). Deterministic for a given seed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/train.h"

typedef struct {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(rng *r) { /* (0, 1) */
    return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(rng *r) {
    return sqrt(-2 * log(rng_unit(r))) * cos(6.283185307179586 * rng_unit(r));
}

static void shuffle(size_t *v, size_t n, rng *r) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(r) % i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

typedef struct {
    size_t n_layers;
    size_t size[M2C_TRAIN_MAX_HIDDEN + 2]; /* size[0] = inputs, size[L] = outputs */
    unsigned act[M2C_TRAIN_MAX_HIDDEN + 1];
    size_t woff[M2C_TRAIN_MAX_HIDDEN + 1], boff[M2C_TRAIN_MAX_HIDDEN + 1];
    size_t n_params;
    m2c_task task;
    size_t max_width;
} net;

static double act_f(unsigned a, double v) {
    switch (a) {
    case M2C_QACT_RELU: return v > 0 ? v : 0;
    case M2C_QACT_TANH: return tanh(v);
    case M2C_QACT_SIGMOID: return 1 / (1 + exp(-v));
    default: return v;
    }
}

/* derivative from the activation's output */
static double act_d(unsigned a, double y) {
    switch (a) {
    case M2C_QACT_RELU: return y > 0 ? 1 : 0;
    case M2C_QACT_TANH: return 1 - y * y;
    case M2C_QACT_SIGMOID: return y * (1 - y);
    default: return 1;
    }
}

/* Dot product with four partial sums, so the compiler can keep the loop in vector
 * registers (a single running sum would pin the summation order). */
static double dot(const double *restrict a, const double *restrict b, size_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/* Forward pass of one row; A[l] gets layer l's output (A[0] = input). Returns the loss. */
static double forward(const net *N, const double *th, double **A, const double *x, double t) {
    memcpy(A[0], x, N->size[0] * sizeof *x);
    for (size_t l = 0; l < N->n_layers; l++) {
        size_t in = N->size[l], out = N->size[l + 1];
        const double *W = th + N->woff[l], *b = th + N->boff[l];
        for (size_t j = 0; j < out; j++)
            A[l + 1][j] = act_f(N->act[l], b[j] + dot(W + j * in, A[l], in));
    }
    double *o = A[N->n_layers];
    size_t k = N->size[N->n_layers];
    if (N->task == M2C_TASK_REGRESSION) {
        double e = o[0] - t;
        return 0.5 * e * e;
    }
    if (N->task == M2C_TASK_BINARY) {
        double s = o[0];
        return (s > 0 ? s + log1p(exp(-s)) : log1p(exp(s))) - t * s;
    }
    double mx = o[0], sum = 0;
    for (size_t j = 1; j < k; j++)
        if (o[j] > mx) mx = o[j];
    for (size_t j = 0; j < k; j++)
        sum += exp(o[j] - mx);
    return log(sum) + mx - o[(size_t)t];
}

/* Backward pass after forward(); adds this row's gradient to G. D is scratch (2 vectors). */
static void backward(const net *N, const double *th, double *G, double **A, double *D0, double *D1,
                     double t) {
    size_t L = N->n_layers, k = N->size[L];
    double *o = A[L], *delta = D0, *prev = D1;
    if (N->task == M2C_TASK_REGRESSION) {
        delta[0] = o[0] - t;
    } else if (N->task == M2C_TASK_BINARY) {
        delta[0] = 1 / (1 + exp(-o[0])) - t;
    } else {
        double mx = o[0], sum = 0;
        for (size_t j = 1; j < k; j++)
            if (o[j] > mx) mx = o[j];
        for (size_t j = 0; j < k; j++)
            sum += (delta[j] = exp(o[j] - mx));
        for (size_t j = 0; j < k; j++)
            delta[j] = delta[j] / sum - (j == (size_t)t);
    }
    for (size_t l = L; l-- > 0;) {
        size_t in = N->size[l], out = N->size[l + 1];
        const double *W = th + N->woff[l];
        double *GW = G + N->woff[l], *Gb = G + N->boff[l];
        for (size_t j = 0; j < out; j++) {
            double dj = delta[j];
            double *gw = GW + j * in;
            for (size_t i = 0; i < in; i++)
                gw[i] += dj * A[l][i];
            Gb[j] += dj;
        }
        if (l == 0) break;
        for (size_t i = 0; i < in; i++)
            prev[i] = 0;
        for (size_t j = 0; j < out; j++) {
            double dj = delta[j];
            const double *w = W + j * in;
            for (size_t i = 0; i < in; i++)
                prev[i] += w[i] * dj;
        }
        for (size_t i = 0; i < in; i++)
            prev[i] *= act_d(N->act[l - 1], A[l][i]);
        double *tmp = delta;
        delta = prev;
        prev = tmp;
    }
}

/* Mean loss over rows idx[0..n) and, for classifiers, the accuracy (in *acc). */
static double mean_loss(const net *N, const double *th, double **A, const double *z,
                        const double *t, const size_t *idx, size_t n, double *acc) {
    double s = 0;
    size_t hit = 0, k = N->size[N->n_layers];
    for (size_t r = 0; r < n; r++) {
        s += forward(N, th, A, z + idx[r] * N->size[0], t[idx[r]]);
        const double *o = A[N->n_layers];
        size_t guess = 0;
        if (N->task == M2C_TASK_BINARY) {
            guess = o[0] >= 0;
        } else {
            for (size_t j = 1; j < k; j++)
                if (o[j] > o[guess]) guess = j;
        }
        hit += guess == (size_t)t[idx[r]];
    }
    *acc = n ? (double)hit / (double)n : NAN;
    return n ? s / (double)n : NAN;
}

m2c_status m2c_train_mlp(m2c_fmodel *m, const double *z, const double *t, size_t n,
                         const m2c_train_opts *o, m2c_err *err) {
    net N;
    memset(&N, 0, sizeof N);
    unsigned nh = o->n_hidden ? o->n_hidden : 1;
    if (nh > M2C_TRAIN_MAX_HIDDEN)
        return m2c_err_set(err, M2C_ERR_RANGE, "mlp: %u hidden layers, the cap is %d", nh,
                           M2C_TRAIN_MAX_HIDDEN);
    N.n_layers = nh + 1;
    N.task = m->task;
    N.size[0] = m->n_in;
    N.max_width = m->n_in;
    for (unsigned l = 0; l < nh; l++) {
        unsigned w = o->n_hidden ? o->hidden[l] : 32;
        if (w < 1 || w > M2C_QMODEL_MAX_WIDTH)
            return m2c_err_set(err, M2C_ERR_RANGE, "mlp: hidden width %u is not in 1..%d", w,
                               M2C_QMODEL_MAX_WIDTH);
        N.size[l + 1] = w;
        N.act[l] = o->activation;
        if (w > N.max_width) N.max_width = w;
    }
    N.size[N.n_layers] = m->n_out;
    N.act[nh] = M2C_QACT_IDENTITY;
    if (m->n_out > N.max_width) N.max_width = m->n_out;
    for (size_t l = 0; l < N.n_layers; l++) {
        N.woff[l] = N.n_params;
        N.n_params += N.size[l] * N.size[l + 1];
        N.boff[l] = N.n_params;
        N.n_params += N.size[l + 1];
    }
    size_t np = N.n_params;
    double l2 = o->l2 >= 0 ? o->l2 : 1e-4;
    double lr = o->lr > 0 ? o->lr : 1e-3;
    unsigned epochs = o->epochs ? o->epochs : 200, patience = o->patience ? o->patience : 10;
    size_t batch = o->batch ? o->batch : 32;

    m2c_status st = M2C_OK;
    double *th = calloc(np, sizeof *th), *best = malloc(np * sizeof *best);
    double *G = malloc(np * sizeof *G), *Mo = calloc(np, sizeof *Mo), *V = calloc(np, sizeof *V);
    double *abuf = malloc((N.n_layers + 1) * N.max_width * sizeof *abuf);
    double *D = malloc(2 * N.max_width * sizeof *D);
    size_t *idx = malloc(n * sizeof *idx);
    double *A[M2C_TRAIN_MAX_HIDDEN + 2];
    if (!th || !best || !G || !Mo || !V || !abuf || !D || !idx) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t l = 0; l <= N.n_layers; l++)
        A[l] = abuf + l * N.max_width;

    rng R = {o->seed * 0x2545f4914f6cdd1dULL + 0x6d6c70};
    for (size_t l = 0; l < N.n_layers; l++) {
        size_t in = N.size[l], out = N.size[l + 1];
        int he = N.act[l] == M2C_QACT_RELU;
        double sd = sqrt(2.0 / (double)in), lim = sqrt(6.0 / (double)(in + out));
        for (size_t i = 0; i < in * out; i++)
            th[N.woff[l] + i] = he ? sd * rng_normal(&R) : lim * (2 * rng_unit(&R) - 1);
    }

    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    shuffle(idx, n, &R);
    size_t n_val = 0;
    if (n >= 20 && o->val_frac > 0 && o->val_frac < 1) {
        n_val = (size_t)llround(o->val_frac * (double)n);
        if (n_val < 1) n_val = 1;
    }
    size_t *val = idx, *tr = idx + n_val, n_tr = n - n_val;
    double best_val = INFINITY, b1t = 1, b2t = 1;
    unsigned wait = 0, ep = 0;
    memcpy(best, th, np * sizeof *th);
    for (ep = 0; ep < epochs; ep++) {
        shuffle(tr, n_tr, &R);
        double tl = 0;
        for (size_t s = 0; s < n_tr; s += batch) {
            size_t e = s + batch < n_tr ? s + batch : n_tr;
            memset(G, 0, np * sizeof *G);
            for (size_t r = s; r < e; r++) {
                const double *x = z + tr[r] * N.size[0];
                tl += forward(&N, th, A, x, t[tr[r]]);
                backward(&N, th, G, A, D, D + N.max_width, t[tr[r]]);
            }
            double inv = 1.0 / (double)(e - s);
            b1t *= 0.9, b2t *= 0.999;
            double a = lr * sqrt(1 - b2t) / (1 - b1t);
            for (size_t l = 0; l < N.n_layers; l++) {
                for (size_t i = N.woff[l]; i < N.boff[l] + N.size[l + 1]; i++) {
                    double g = G[i] * inv + (i < N.boff[l] ? l2 * th[i] : 0);
                    Mo[i] = 0.9 * Mo[i] + 0.1 * g;
                    V[i] = 0.999 * V[i] + 0.001 * g * g;
                    th[i] -= a * Mo[i] / (sqrt(V[i]) + 1e-8);
                }
            }
        }
        tl /= (double)n_tr;
        double va = NAN;
        double vl = n_val ? mean_loss(&N, th, A, z, t, val, n_val, &va) : tl;
        if (!isfinite(tl)) {
            st = m2c_err_set(err, M2C_ERR_INVALID,
                             "mlp: training diverged at epoch %u (try a smaller --lr)", ep + 1);
            goto out;
        }
        if (o->progress) o->progress(o->progress_ctx, ep + 1, epochs, tl, n_val ? vl : NAN);
        m->train_loss = tl;
        /* Early stopping on the validation loss: stop after `patience` epochs without a
         * relative improvement of 1e-4, keep the best epoch's weights. (Validation accuracy,
         * scikit-learn's criterion, stops far too early on small validation sets.) */
        if (isinf(best_val) || vl < best_val - 1e-4 * fabs(best_val)) {
            wait = 0;
        } else if (n_val && ++wait >= patience) {
            ep++;
            break;
        }
        if (vl < best_val) {
            best_val = vl;
            memcpy(best, th, np * sizeof *th);
            m->val_loss = n_val ? vl : NAN;
        }
    }
    m->epochs_run = ep;
    /* the model: layers from the best weights */
    m->layers = calloc(N.n_layers, sizeof *m->layers);
    if (!m->layers) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    m->n_layers = (unsigned)N.n_layers;
    for (size_t l = 0; l < N.n_layers; l++) {
        m2c_flayer *L = &m->layers[l];
        size_t nw = N.size[l] * N.size[l + 1];
        L->width = (unsigned)N.size[l + 1];
        L->act = N.act[l];
        L->w = malloc(nw * sizeof *L->w);
        L->b = malloc(N.size[l + 1] * sizeof *L->b);
        if (!L->w || !L->b) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        memcpy(L->w, best + N.woff[l], nw * sizeof *L->w);
        memcpy(L->b, best + N.boff[l], N.size[l + 1] * sizeof *L->b);
    }
out:
    free(th);
    free(best);
    free(G);
    free(Mo);
    free(V);
    free(abuf);
    free(D);
    free(idx);
    return st;
}
