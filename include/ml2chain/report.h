/* report.h: the training report, one self-contained HTML page (inline CSS and SVG, no
 * scripts, no fonts or images from anywhere) with the held-out metrics of the float and the
 * quantized model side by side, training curves, ROC and precision-recall curves (binary),
 * confusion matrix (classification), residuals and predicted-vs-actual (regression) and
 * feature importances. The caller fills an m2c_report with borrowed pointers (nothing is
 * copied or freed); the writer computes every metric and curve from the predictions. */
#ifndef ML2CHAIN_REPORT_H
#define ML2CHAIN_REPORT_H

#include <stddef.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"

typedef enum {
    M2C_REPORT_REGRESSION = 0,
    M2C_REPORT_BINARY = 1,
    M2C_REPORT_MULTICLASS = 2,
} m2c_report_task;

typedef struct {
    const char *name;     /* "train", "validation" */
    const double *values; /* one per epoch / boosting round */
    size_t len;
} m2c_report_series;

typedef struct {
    const char *title;    /* page title, e.g. "gbdt: breast_cancer.csv -> y" */
    const char *subtitle; /* one line under it (model shape, parameters); may be NULL */
    m2c_report_task task;
    size_t n;              /* held-out rows */
    unsigned n_class;      /* classes (2 for binary); ignored for regression */
    const double *y;       /* n targets (class labels 0..n_class-1 for classification) */
    const double *pf;      /* float model: n values (regression), n probabilities of class 1
                              (binary) or n * n_class probabilities (multiclass) */
    const double *pq;      /* the quantized model, same shape; may be NULL */
    const char *loss_name; /* curve metric ("logloss"); may be NULL */
    const m2c_report_series *curves; /* may be NULL */
    size_t n_curves;
    const char *const *feature_names; /* n_features names; may be NULL ("f0", "f1", ...) */
    size_t n_features;
    const double *importance;    /* n_features values, or NULL (section omitted) */
    const char *importance_kind; /* "total gain", "|standardized coefficient|" */
    const double *importance2;   /* optional second measure (split counts); may be NULL */
    const char *importance2_kind;
    const char *model_hash; /* "0x..." or NULL */
    size_t model_bytes;     /* qmodel size, 0 if unknown */
} m2c_report;

/* The held-out metrics of predictions `p` (shaped like r->pf): names[i] and v[i] for
 * i < return value (at most 4): RMSE, MAE, R^2 (regression); accuracy, log-loss, AUC, F1
 * (binary); accuracy, log-loss, macro F1 (multiclass). */
size_t m2c_report_metrics(const m2c_report *r, const double *p, double *v, const char **names);

/* Appends the HTML page to `out`. Fails with M2C_ERR_INVALID when n == 0 or a required
 * pointer is NULL, M2C_ERR_NOMEM if the buffer cap is hit. */
M2C_WUR m2c_status m2c_report_html(m2c_buf *out, const m2c_report *r, m2c_err *err);
/* Writes the page to `path`. */
M2C_WUR m2c_status m2c_report_write(const char *path, const m2c_report *r, m2c_err *err);

#endif
