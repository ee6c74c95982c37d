/* train_report.c: the `--report` of `ml2chain train` for the linear, logistic and MLP
 * models: records the per-epoch losses while training and, after training, fills an
 * m2c_report (report.h) from the held-out rows and writes the page. (gbdt fills its own in
 * cmd_gbdt.c.) */
#include "train_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/report.h"

void m2c_curve_rec_cb(void *ctx, unsigned epoch, unsigned epochs, double tl, double vl) {
    m2c_curve_rec *r = ctx;
    if (r->chain) r->chain(r->chain_ctx, epoch, epochs, tl, vl);
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        double *t = realloc(r->train, cap * sizeof *t);
        if (!t) return;
        r->train = t;
        double *v = realloc(r->val, cap * sizeof *v);
        if (!v) return;
        r->val = v;
        r->cap = cap;
    }
    r->train[r->n] = tl;
    r->val[r->n] = vl;
    r->n++;
}

void m2c_curve_rec_free(m2c_curve_rec *r) {
    free(r->train);
    free(r->val);
    memset(r, 0, sizeof *r);
}

int m2c_train_report_write(const char *path, const char *title, const char *subtitle,
                           const m2c_dataset *te, const m2c_fmodel *f, const m2c_qmodel *q,
                           const m2c_curve_rec *rec, const char *hash_hex, m2c_err *err) {
    size_t n = te->n_rows, k = f->n_out, nf = f->n_in;
    int rc = -1;
    double *pf = malloc(n * k * sizeof *pf + 1), *pq = malloc(n * k * sizeof *pq + 1);
    double *y = malloc(n * sizeof *y + 1), *imp = calloc(nf + 1, sizeof *imp);
    if (!pf || !pq || !y || !imp) {
        m2c_err_set(err, M2C_ERR_NOMEM, "report: out of memory");
        goto out;
    }
    for (size_t r = 0; r < n; r++) {
        m2c_fmodel_predict(f, pf + r * k, te->x + r * nf);
        if (m2c_qmodel_predict_double(q, pq + r * k, te->x + r * nf, err) != M2C_OK) goto out;
        y[r] = te->y[r];
        if (f->n_classes) /* class values -> indices 0..K-1 */
            for (size_t c = 0; c < f->n_classes; c++)
                if (f->classes[c] == te->y[r]) y[r] = (double)c;
    }
    /* Linear and logistic models are trained on standardized features: the magnitude of a
     * coefficient (summed over classes) is that feature's importance. */
    int linear = f->type != M2C_MODEL_MLP && f->n_layers == 1;
    if (linear)
        for (unsigned j = 0; j < f->layers[0].width; j++)
            for (size_t i = 0; i < nf; i++)
                imp[i] += fabs(f->layers[0].w[j * nf + i]);
    m2c_report_series series[2] = {{"train", rec ? rec->train : NULL, rec ? rec->n : 0},
                                   {"validation", rec ? rec->val : NULL, rec ? rec->n : 0}};
    int have_val = rec && rec->n && isfinite(rec->val[rec->n - 1]);
    m2c_report rp = {
        .title = title,
        .subtitle = subtitle,
        .task = f->task == M2C_TASK_REGRESSION ? M2C_REPORT_REGRESSION
                : f->task == M2C_TASK_BINARY   ? M2C_REPORT_BINARY
                                               : M2C_REPORT_MULTICLASS,
        .n = n,
        .n_class = f->n_classes ? (unsigned)f->n_classes : 2,
        .y = y,
        .pf = pf,
        .pq = pq,
        .loss_name = f->task == M2C_TASK_REGRESSION ? "loss (standardized MSE)" : "log-loss",
        .curves = rec && rec->n > 1 ? series : NULL,
        .n_curves = rec && rec->n > 1 ? (have_val ? 2 : 1) : 0,
        .feature_names = (const char *const *)te->names,
        .n_features = nf,
        .importance = linear ? imp : NULL,
        .importance_kind = "|standardized coefficient|",
        .model_hash = hash_hex,
        .model_bytes = m2c_qmodel_size(q),
    };
    if (m2c_report_write(path, &rp, err) != M2C_OK) goto out;
    rc = 0;
out:
    free(pf);
    free(pq);
    free(y);
    free(imp);
    return rc;
}
