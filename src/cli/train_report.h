/* train_report.h: `ml2chain train --report` for the linear, logistic and MLP models (see
 * train_report.c). Only src/cli/ includes this. */
#ifndef ML2CHAIN_TRAIN_REPORT_H
#define ML2CHAIN_TRAIN_REPORT_H

#include <stddef.h>

#include "ml2chain/dataset.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/train.h"

/* Per-epoch losses recorded through m2c_train_opts.progress; `chain` (may be NULL) is
 * called first, so terminal progress keeps working. */
typedef struct {
    double *train, *val;
    size_t n, cap;
    m2c_train_progress chain;
    void *chain_ctx;
} m2c_curve_rec;

void m2c_curve_rec_cb(void *ctx, unsigned epoch, unsigned epochs, double tl, double vl);
void m2c_curve_rec_free(m2c_curve_rec *r);

/* Writes the report for float model f and its qmodel q on the held-out rows te; rec may be
 * NULL. Returns 0, or -1 with err set. */
int m2c_train_report_write(const char *path, const char *title, const char *subtitle,
                           const m2c_dataset *te, const m2c_fmodel *f, const m2c_qmodel *q,
                           const m2c_curve_rec *rec, const char *hash_hex, m2c_err *err);

#endif
