/* logistic.c: logistic regression on standardized features — binary (one sigmoid output)
 * or multinomial (softmax over K outputs) — minimizing the mean cross-entropy plus
 * l2/2 * ||W||^2 (intercepts not penalized) with L-BFGS. The default l2 = 1/n is
 * scikit-learn's C = 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbfgs.h"
#include "ml2chain/train.h"

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

typedef struct {
    const double *z, *t;
    size_t n, d, k; /* rows, features, outputs (1 = binary) */
    double l2;
    double *p; /* k scratch */
} prob;

/* Parameters: W (k x d) then b (k). */
static double objective(void *ctx, const double *w, double *g, size_t np) {
    prob *P = ctx;
    size_t d = P->d, k = P->k;
    const double *b = w + k * d;
    double *gb = g + k * d;
    memset(g, 0, np * sizeof *g);
    double loss = 0;
    for (size_t r = 0; r < P->n; r++) {
        const double *zr = P->z + r * d;
        size_t c = (size_t)P->t[r];
        if (k == 1) {
            double s = b[0] + dot(w, zr, d);
            double y = (double)c;
            /* log(1 + e^s) - y s, stably */
            loss += (s > 0 ? s + log1p(exp(-s)) : log1p(exp(s))) - y * s;
            double e = 1 / (1 + exp(-s)) - y;
            for (size_t i = 0; i < d; i++)
                g[i] += e * zr[i];
            gb[0] += e;
        } else {
            double mx = -INFINITY, sum = 0;
            for (size_t j = 0; j < k; j++) {
                double s = b[j] + dot(w + j * d, zr, d);
                P->p[j] = s;
                if (s > mx) mx = s;
            }
            for (size_t j = 0; j < k; j++)
                sum += (P->p[j] = exp(P->p[j] - mx));
            loss += log(sum) - log(P->p[c]);
            for (size_t j = 0; j < k; j++) {
                double e = P->p[j] / sum - (j == c);
                double *gj = g + j * d;
                for (size_t i = 0; i < d; i++)
                    gj[i] += e * zr[i];
                gb[j] += e;
            }
        }
    }
    double inv = 1.0 / (double)P->n, reg = 0;
    for (size_t i = 0; i < np; i++)
        g[i] *= inv;
    for (size_t i = 0; i < k * d; i++) {
        reg += w[i] * w[i];
        g[i] += P->l2 * w[i];
    }
    return loss * inv + 0.5 * P->l2 * reg;
}

m2c_status m2c_train_logistic(m2c_fmodel *m, const double *z, const double *t, size_t n,
                              const m2c_train_opts *o, m2c_err *err) {
    size_t d = m->n_in, k = m->n_out;
    size_t np = k * d + k;
    prob P = {z, t, n, d, k, o->l2 >= 0 ? o->l2 : 1.0 / (double)n, NULL};
    double *w = calloc(np, sizeof *w);
    P.p = malloc(k * sizeof *P.p);
    m->layers = calloc(1, sizeof *m->layers);
    if (!w || !P.p || !m->layers) {
        free(w);
        free(P.p);
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    }
    m->n_layers = 1;
    unsigned iters = 0;
    double fx = 0;
    if (m2c_lbfgs(w, np, objective, &P, o->epochs ? o->epochs : 500, 1e-5, &iters, &fx)) {
        free(w);
        free(P.p);
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    }
    free(P.p);
    m2c_flayer *L = &m->layers[0];
    L->width = (unsigned)k;
    L->act = M2C_QACT_IDENTITY;
    L->w = w; /* W then b in one allocation: b is split off below */
    L->b = malloc(k * sizeof *L->b);
    if (!L->b) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    memcpy(L->b, w + k * d, k * sizeof *L->b);
    m->epochs_run = iters;
    m->train_loss = fx;
    if (o->progress) o->progress(o->progress_ctx, iters, iters, fx, NAN);
    return M2C_OK;
}
