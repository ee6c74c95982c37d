/* gbdt.h: gradient-boosted trees trained in-process with libxgboost's C API. The booster is
 * dumped as JSON (XGBoosterSaveModelToBuffer, format json) and read back by the XGBoost
 * importer (import.h), so a trained model and an imported `save_model("x.json")` file take
 * the same path into a qmodel. libxgboost keeps no state between calls here, but it uses its
 * own thread pool (params.threads); one training at a time per process is the tested use. */
#ifndef ML2CHAIN_GBDT_H
#define ML2CHAIN_GBDT_H

#include <stddef.h>

#include "ml2chain/err.h"
#include "ml2chain/import.h"

typedef enum {
    M2C_GBDT_REGRESSION = 0, /* reg:squarederror, metric rmse */
    M2C_GBDT_BINARY = 1,     /* binary:logistic, labels 0/1, metric logloss */
    M2C_GBDT_MULTICLASS = 2, /* multi:softprob, labels 0..n_class-1, metric mlogloss */
} m2c_gbdt_task;

typedef struct {
    m2c_gbdt_task task;
    unsigned n_class;        /* multiclass only: 3..256 (2 classes: use BINARY) */
    unsigned trees;          /* boosting rounds, 1..8192 (default 100) */
    unsigned depth;          /* max_depth, 1..32 (default 6) */
    double eta;              /* learning rate (default 0.3) */
    double lambda;           /* L2 on leaf weights (default 1) */
    double min_child_weight; /* (default 1) */
    double subsample;        /* row sampling per tree, (0, 1] (default 1) */
    unsigned seed;
    unsigned threads; /* 0: libxgboost's default */
} m2c_gbdt_params;

/* Per-round evaluation recorded during training (arrays of `rounds` entries; valid may be
 * NULL when no validation rows were given). Loss is rmse, logloss or mlogloss. */
typedef struct {
    size_t rounds;
    double *train;
    double *valid;
    char metric[16];
} m2c_gbdt_curve;

/* Fills `p` with the defaults above for `task`. */
void m2c_gbdt_params_default(m2c_gbdt_params *p, m2c_gbdt_task task);

/* Trains on n rows of d features (row-major doubles, finite) with targets y (class labels as
 * 0.0, 1.0, ... for classification); xv/yv/nv are optional validation rows for the curve
 * (xv NULL, nv 0 for none). *out gets the trained ensemble (through the JSON importer),
 * *json (may be NULL) the booster's JSON (malloc'd, NUL-terminated), *curve (may be NULL)
 * the per-round losses (free with m2c_gbdt_curve_free). Errors: M2C_ERR_INVALID (bad labels,
 * non-finite values, bad parameters), M2C_ERR_RANGE (sizes), M2C_ERR_PROTOCOL (libxgboost
 * failed: its message is included). */
M2C_WUR m2c_status m2c_train_gbdt(m2c_ftrees **out, char **json, m2c_gbdt_curve *curve,
                                  const double *x, const double *y, size_t n, size_t d,
                                  const double *xv, const double *yv, size_t nv,
                                  const m2c_gbdt_params *p, m2c_err *err);
void m2c_gbdt_curve_free(m2c_gbdt_curve *c);

#endif
