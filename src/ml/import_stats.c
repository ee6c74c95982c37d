/* import_stats.c: per-feature statistics (mean, std, min, max) of a numeric table, the
 * input the importers use to choose each feature's qmodel input scaling. */
#include "ml2chain/import.h"

#include <math.h>
#include <stdlib.h>

void m2c_feature_stats_free(m2c_feature_stats *s) {
    if (!s) return;
    free(s->mean);
    free(s->std);
    free(s->min);
    free(s->max);
    free(s);
}

m2c_status m2c_feature_stats_compute(m2c_feature_stats **out, const double *x, size_t n_rows,
                                     size_t n_cols, m2c_err *err) {
    m2c_status st = M2C_OK;
    *out = NULL;
    if (n_rows == 0) return m2c_err_set(err, M2C_ERR_INVALID, "feature statistics: no rows");
    if (n_cols == 0 || n_cols > M2C_IMPORT_MAX_FEATURES)
        return m2c_err_set(err, M2C_ERR_RANGE, "feature statistics: %zu columns (need 1..%d)",
                           n_cols, M2C_IMPORT_MAX_FEATURES);
    m2c_feature_stats *s = calloc(1, sizeof *s);
    if (!s) return m2c_err_set(err, M2C_ERR_NOMEM, "feature statistics: out of memory");
    s->n = (uint32_t)n_cols;
    s->mean = calloc(n_cols, sizeof *s->mean);
    s->std = calloc(n_cols, sizeof *s->std);
    s->min = calloc(n_cols, sizeof *s->min);
    s->max = calloc(n_cols, sizeof *s->max);
    if (!s->mean || !s->std || !s->min || !s->max) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "feature statistics: out of memory");
        goto out;
    }
    for (size_t c = 0; c < n_cols; c++) {
        s->min[c] = INFINITY;
        s->max[c] = -INFINITY;
    }
    for (size_t r = 0; r < n_rows; r++)
        for (size_t c = 0; c < n_cols; c++) {
            double v = x[r * n_cols + c];
            if (!isfinite(v)) {
                st = m2c_err_set(err, M2C_ERR_INVALID,
                                 "feature statistics: row %zu column %zu is not finite", r + 1,
                                 c + 1);
                goto out;
            }
            s->mean[c] += v;
            if (v < s->min[c]) s->min[c] = v;
            if (v > s->max[c]) s->max[c] = v;
        }
    for (size_t c = 0; c < n_cols; c++)
        s->mean[c] /= (double)n_rows;
    /* Two passes: the centred sum of squares does not cancel catastrophically. */
    for (size_t r = 0; r < n_rows; r++)
        for (size_t c = 0; c < n_cols; c++) {
            double d = x[r * n_cols + c] - s->mean[c];
            s->std[c] += d * d;
        }
    for (size_t c = 0; c < n_cols; c++)
        s->std[c] = sqrt(s->std[c] / (double)n_rows);
    *out = s;
    s = NULL;
out:
    m2c_feature_stats_free(s);
    return st;
}
