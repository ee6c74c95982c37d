/* train.c: the model-kind switch around the trainers (linear.c, logistic.c, mlp.c), float
 * prediction, quantization into a qmodel, and evaluation; see train.h. */
#include "ml2chain/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "q256.h"

void m2c_train_opts_default(m2c_train_opts *o, m2c_model_type type) {
    memset(o, 0, sizeof *o);
    o->type = type;
    o->task = type == M2C_MODEL_LINEAR ? M2C_TASK_REGRESSION : M2C_TASK_BINARY;
    o->l2 = -1;
    o->activation = M2C_QACT_RELU;
    o->epochs = type == M2C_MODEL_LOGISTIC ? 500 : 200;
    o->lr = 1e-3;
    o->batch = 32;
    o->seed = 1;
    o->val_frac = 0.1;
    o->patience = 10;
}

void m2c_fmodel_free(m2c_fmodel *m) {
    if (!m) return;
    if (m->layers)
        for (unsigned i = 0; i < m->n_layers; i++) {
            free(m->layers[i].w);
            free(m->layers[i].b);
        }
    free(m->layers);
    free(m->classes);
    free(m->mean);
    free(m->std);
    free(m);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorted distinct values of y (at most cap+1 are collected). */
static size_t distinct(double *out, size_t cap, const double *y, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n && k <= cap; i++) {
        size_t j = 0;
        while (j < k && out[j] != y[i])
            j++;
        if (j == k) out[k++] = y[i];
    }
    qsort(out, k, sizeof *out, cmp_double);
    return k;
}

static size_t class_index(const double *classes, size_t k, double v) {
    size_t lo = 0, hi = k;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (classes[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

m2c_status m2c_train(m2c_fmodel **out, const m2c_dataset *d, const m2c_train_opts *o,
                     m2c_err *err) {
    *out = NULL;
    m2c_status st = M2C_OK;
    double *z = NULL, *t = NULL;
    if (!d->y) return m2c_err_set(err, M2C_ERR_INVALID, "train: the dataset has no target");
    if (d->n_rows < 2)
        return m2c_err_set(err, M2C_ERR_INVALID, "train: %zu training row(s) is too few",
                           d->n_rows);
    if (d->n_features > M2C_QMODEL_MAX_IN)
        return m2c_err_set(err, M2C_ERR_RANGE, "train: %zu features, the cap is %d", d->n_features,
                           M2C_QMODEL_MAX_IN);
    if (o->type == M2C_MODEL_GBDT)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                           "train: gbdt is trained through libxgboost (not in this build)");
    m2c_fmodel *m = calloc(1, sizeof *m);
    if (!m) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    size_t n = d->n_rows, nf = d->n_features;
    m->type = o->type;
    m->task = o->type == M2C_MODEL_LINEAR ? M2C_TASK_REGRESSION : o->task;
    if (o->type == M2C_MODEL_LOGISTIC && m->task == M2C_TASK_REGRESSION) m->task = M2C_TASK_BINARY;
    m->n_in = nf;
    m->mean = malloc(nf * sizeof *m->mean);
    m->std = malloc(nf * sizeof *m->std);
    z = malloc(n * nf * sizeof *z);
    t = malloc(n * sizeof *t);
    if (!m->mean || !m->std || !z || !t) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    m2c_dataset_stats(d, m->mean, m->std);
    for (size_t k = 0; k < nf; k++)
        if (!(m->std[k] > 1e-12 * (fabs(m->mean[k]) + 1e-300))) m->std[k] = 1, m->n_const++;
    for (size_t r = 0; r < n; r++)
        for (size_t k = 0; k < nf; k++)
            z[r * nf + k] = (d->x[r * nf + k] - m->mean[k]) / m->std[k];
    if (m->task == M2C_TASK_REGRESSION) {
        double mu = 0, s = 0;
        for (size_t r = 0; r < n; r++)
            mu += d->y[r];
        mu /= (double)n;
        for (size_t r = 0; r < n; r++)
            s += (d->y[r] - mu) * (d->y[r] - mu);
        s = sqrt(s / (double)n);
        if (!(s > 0)) s = 1;
        m->y_mean = mu, m->y_std = s;
        for (size_t r = 0; r < n; r++)
            t[r] = (d->y[r] - mu) / s;
        m->n_out = 1;
    } else {
        double cls[M2C_TRAIN_MAX_CLASSES + 1];
        size_t k = distinct(cls, M2C_TRAIN_MAX_CLASSES, d->y, n);
        if (k < 2 || k > M2C_TRAIN_MAX_CLASSES) {
            st = m2c_err_set(err, M2C_ERR_INVALID,
                             "train: classification needs 2..%d distinct target values, "
                             "'%s' has %s%zu",
                             M2C_TRAIN_MAX_CLASSES, d->target,
                             k > M2C_TRAIN_MAX_CLASSES ? "more than " : "",
                             k > M2C_TRAIN_MAX_CLASSES ? (size_t)M2C_TRAIN_MAX_CLASSES : k);
            goto out;
        }
        m->n_classes = k;
        m->classes = malloc(k * sizeof *m->classes);
        if (!m->classes) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        memcpy(m->classes, cls, k * sizeof *cls);
        m->task = k == 2 ? M2C_TASK_BINARY : M2C_TASK_MULTICLASS;
        m->n_out = k == 2 ? 1 : k;
        for (size_t r = 0; r < n; r++)
            t[r] = (double)class_index(cls, k, d->y[r]);
    }
    switch (o->type) {
    case M2C_MODEL_LINEAR: st = m2c_train_linear(m, z, t, n, o, err); break;
    case M2C_MODEL_LOGISTIC: st = m2c_train_logistic(m, z, t, n, o, err); break;
    case M2C_MODEL_MLP: st = m2c_train_mlp(m, z, t, n, o, err); break;
    default: st = m2c_err_set(err, M2C_ERR_INVALID, "train: unknown model type %d", (int)o->type);
    }
    if (st) goto out;
    *out = m;
    m = NULL;
out:
    free(z);
    free(t);
    m2c_fmodel_free(m);
    return st;
}

/* ---------------------------------------------------------------- float prediction */

static double act_f(unsigned a, double v) {
    switch (a) {
    case M2C_QACT_RELU: return v > 0 ? v : 0;
    case M2C_QACT_TANH: return tanh(v);
    case M2C_QACT_SIGMOID: return 1 / (1 + exp(-v));
    default: return v;
    }
}

void m2c_fmodel_predict(const m2c_fmodel *m, double *out, const double *x) {
    double buf[2][M2C_QMODEL_MAX_WIDTH];
    double *a = buf[0];
    for (size_t k = 0; k < m->n_in; k++)
        a[k] = (x[k] - m->mean[k]) / m->std[k];
    size_t fan_in = m->n_in;
    for (unsigned l = 0; l < m->n_layers; l++) {
        const m2c_flayer *L = &m->layers[l];
        double *o = buf[(l + 1) & 1];
        for (unsigned j = 0; j < L->width; j++) {
            double s = L->b[j];
            const double *w = L->w + (size_t)j * fan_in;
            for (size_t i = 0; i < fan_in; i++)
                s += w[i] * a[i];
            o[j] = act_f(L->act, s);
        }
        a = o;
        fan_in = L->width;
    }
    if (m->task == M2C_TASK_REGRESSION) {
        out[0] = m->y_mean + m->y_std * a[0];
    } else if (m->task == M2C_TASK_BINARY) {
        out[0] = 1 / (1 + exp(-a[0]));
    } else {
        double mx = a[0], s = 0;
        for (size_t j = 1; j < m->n_out; j++)
            if (a[j] > mx) mx = a[j];
        for (size_t j = 0; j < m->n_out; j++)
            s += (out[j] = exp(a[j] - mx));
        for (size_t j = 0; j < m->n_out; j++)
            out[j] /= s;
    }
}

/* ---------------------------------------------------------------- quantization */

m2c_status m2c_fmodel_quantize(m2c_qmodel **out, const m2c_fmodel *m, m2c_err *err) {
    *out = NULL;
    m2c_qkind kind = m->type == M2C_MODEL_LINEAR     ? M2C_QKIND_LINEAR
                     : m->type == M2C_MODEL_LOGISTIC ? M2C_QKIND_LOGISTIC
                                                     : M2C_QKIND_MLP;
    m2c_qtransform tr = m->task == M2C_TASK_REGRESSION ? M2C_QTRANSFORM_IDENTITY
                        : m->task == M2C_TASK_BINARY   ? M2C_QTRANSFORM_SIGMOID
                                                       : M2C_QTRANSFORM_SOFTMAX;
    m2c_qmodel *q = NULL;
    m2c_status st =
        m2c_qmodel_alloc(&q, kind, tr, (unsigned)m->n_in, (unsigned)m->n_out, m->n_layers, err);
    if (st) return st;
    for (size_t k = 0; k < m->n_in; k++)
        q->in[k] = m2c_qmodel_in_scaling(m->mean[k], m->std[k], q->in_decimals);
    for (size_t j = 0; j < m->n_out; j++)
        q->out[j] = m->task == M2C_TASK_REGRESSION
                        ? m2c_qmodel_out_scaling(m->y_mean, m->y_std, q->out_decimals)
                        : m2c_qmodel_out_probability(q->out_decimals);
    size_t fan_in = m->n_in;
    for (unsigned l = 0; l < m->n_layers; l++) {
        const m2c_flayer *L = &m->layers[l];
        if ((st = m2c_qmodel_alloc_layer(q, l, L->width, (m2c_qact)L->act, err))) goto out;
        for (size_t k = 0; k < (size_t)L->width * fan_in; k++)
            q->layers[l].w[k] = m2c_q16_from_double(L->w[k]);
        for (unsigned j = 0; j < L->width; j++)
            q->layers[l].b[j] = m2c_q16_from_double(L->b[j]);
        fan_in = L->width;
    }
    if ((st = m2c_qmodel_check(q, err))) goto out;
    *out = q;
    q = NULL;
out:
    m2c_qmodel_free(q);
    return st;
}

m2c_status m2c_qmodel_predict_double(const m2c_qmodel *q, double *out, const double *x,
                                     m2c_err *err) {
    m2c_u256 X[M2C_QMODEL_MAX_IN], Y[M2C_QMODEL_MAX_OUT];
    int32_t p[M2C_QMODEL_MAX_OUT];
    for (unsigned k = 0; k < q->n_in; k++) {
        if (!isfinite(x[k]) || fabs(x[k]) * pow(10.0, q->in_decimals) >= ldexp(1.0, 191))
            return m2c_err_set(err, M2C_ERR_RANGE, "feature %u (%g) is outside the int192 range", k,
                               x[k]);
        X[k] = m2c_qmodel_scale_real(x[k], q->in_decimals);
    }
    m2c_status st = m2c_qmodel_predict(q, Y, p, NULL, X, err);
    if (st) return st;
    if (q->transform == M2C_QTRANSFORM_IDENTITY) {
        double scale = pow(10.0, q->out_decimals);
        for (unsigned j = 0; j < q->n_out; j++)
            out[j] = m2c_q256_to_double(&Y[j]) / scale;
    } else {
        for (unsigned j = 0; j < q->n_out; j++)
            out[j] = p[j] / 65536.0;
    }
    return M2C_OK;
}

m2c_status m2c_evaluate(m2c_metrics *fm, m2c_metrics *qm, const m2c_fmodel *f, const m2c_qmodel *q,
                        m2c_task task, const double *classes, size_t n_classes,
                        const m2c_dataset *d, m2c_err *err) {
    size_t n = d->n_rows, nf = d->n_features;
    size_t n_out = f ? f->n_out : q->n_out;
    if (!d->y) return m2c_err_set(err, M2C_ERR_INVALID, "evaluate: the dataset has no target");
    if ((f && f->n_in != nf) || (q && q->n_in != nf))
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "evaluate: the model takes %zu features, the "
                           "data has %zu",
                           f ? f->n_in : (size_t)q->n_in, nf);
    double *pf = malloc((n ? n : 1) * n_out * sizeof *pf);
    double *pq = malloc((n ? n : 1) * n_out * sizeof *pq);
    m2c_status st = M2C_OK;
    if (!pf || !pq) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < n; r++) {
        if (f) m2c_fmodel_predict(f, pf + r * n_out, d->x + r * nf);
        if (q && (st = m2c_qmodel_predict_double(q, pq + r * n_out, d->x + r * nf, err))) {
            m2c_err_prefix(err, "row %zu", r + 1);
            goto out;
        }
    }
    if (f && fm) *fm = m2c_metrics_compute(task, pf, n_out, d->y, classes, n_classes, n);
    if (q && qm) *qm = m2c_metrics_compute(task, pq, n_out, d->y, classes, n_classes, n);
out:
    free(pf);
    free(pq);
    return st;
}
