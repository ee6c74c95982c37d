/* gbdt.c: gbdt training through libxgboost's C API; the result goes through the XGBoost
 * JSON importer (import_xgb.c), the same path as an imported save_model() file. */
#include "ml2chain/gbdt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "ml2chain/dynlib.h"

/* libxgboost is loaded on the first training (dynlib.h); its functions are called as
 * XG(name)(...). */
#define XG_FNS(X)                                                                                  \
    X(XGBGetLastError)                                                                             \
    X(XGBoosterCreate)                                                                             \
    X(XGBoosterEvalOneIter)                                                                        \
    X(XGBoosterFree)                                                                               \
    X(XGBoosterSaveModelToBuffer)                                                                  \
    X(XGBoosterSetParam)                                                                           \
    X(XGBoosterUpdateOneIter)                                                                      \
    X(XGDMatrixCreateFromMat)                                                                      \
    X(XGDMatrixFree)                                                                               \
    X(XGDMatrixSetFloatInfo)
M2C_DYNLIB(xg_lib, "libxgboost.so.0", "libxgboost0", XG_FNS);
#define XG(f) M2C_DYNFN(xg_lib, f)

void m2c_gbdt_params_default(m2c_gbdt_params *p, m2c_gbdt_task task) {
    memset(p, 0, sizeof *p);
    p->task = task;
    p->trees = 100;
    p->depth = 6;
    p->eta = 0.3;
    p->lambda = 1;
    p->min_child_weight = 1;
    p->subsample = 1;
}

void m2c_gbdt_curve_free(m2c_gbdt_curve *c) {
    if (!c) return;
    free(c->train);
    free(c->valid);
    memset(c, 0, sizeof *c);
}

static m2c_status xgb_fail(m2c_err *err, const char *what) {
    return m2c_err_set(err, M2C_ERR_PROTOCOL, "gbdt: libxgboost %s failed: %s", what,
                       XG(XGBGetLastError)());
}

static m2c_status make_dmatrix(DMatrixHandle *h, const double *x, const double *y, size_t n,
                               size_t d, m2c_err *err) {
    *h = NULL;
    float *xf = malloc(n * d * sizeof *xf), *yf = malloc(n * sizeof *yf);
    m2c_status st = M2C_OK;
    if (!xf || !yf) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "gbdt: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n * d; i++)
        xf[i] = (float)x[i];
    for (size_t i = 0; i < n; i++)
        yf[i] = (float)y[i];
    if (XG(XGDMatrixCreateFromMat)(xf, n, d, NAN, h) != 0) {
        st = xgb_fail(err, "XGDMatrixCreateFromMat");
        goto out;
    }
    if (XG(XGDMatrixSetFloatInfo)(*h, "label", yf, n) != 0) {
        st = xgb_fail(err, "XGDMatrixSetFloatInfo");
        XG(XGDMatrixFree)(*h);
        *h = NULL;
    }
out:
    free(xf);
    free(yf);
    return st;
}

/* "[3]\ttrain-logloss:0.1234\tvalid-logloss:0.2" -> the value after "NAME-METRIC:". */
static double eval_value(const char *s, const char *name) {
    char key[48];
    snprintf(key, sizeof key, "\t%s-", name);
    const char *p = strstr(s, key);
    if (!p) return NAN;
    p = strchr(p, ':');
    return p ? strtod(p + 1, NULL) : NAN;
}

m2c_status m2c_train_gbdt(m2c_ftrees **out, char **json, m2c_gbdt_curve *curve, const double *x,
                          const double *y, size_t n, size_t d, const double *xv, const double *yv,
                          size_t nv, const m2c_gbdt_params *p, m2c_err *err) {
    m2c_status st = M2C_OK;
    DMatrixHandle dtrain = NULL, dvalid = NULL;
    BoosterHandle b = NULL;
    *out = NULL;
    if (json) *json = NULL;
    if (curve) memset(curve, 0, sizeof *curve);
    if (n < 2 || d < 1 || d > M2C_IMPORT_MAX_FEATURES)
        return m2c_err_set(err, M2C_ERR_RANGE, "gbdt: %zu rows of %zu features (need 2+, 1..%d)", n,
                           d, M2C_IMPORT_MAX_FEATURES);
    if (p->trees < 1 || p->trees > M2C_IMPORT_MAX_TREES || p->depth < 1 ||
        p->depth > M2C_IMPORT_MAX_DEPTH || !(p->eta > 0) || !(p->lambda >= 0) ||
        !(p->subsample > 0 && p->subsample <= 1) || !(p->min_child_weight >= 0))
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "gbdt: bad parameters (trees 1..%d, depth 1..%d, eta > 0, lambda >= 0, "
                           "subsample in (0, 1])",
                           M2C_IMPORT_MAX_TREES, M2C_IMPORT_MAX_DEPTH);
    unsigned n_class = p->task == M2C_GBDT_MULTICLASS ? p->n_class : 2;
    if (p->task == M2C_GBDT_MULTICLASS && (n_class < 3 || n_class > M2C_IMPORT_MAX_OUTPUTS))
        return m2c_err_set(err, M2C_ERR_RANGE, "gbdt: %u classes (multiclass needs 3..%d)", n_class,
                           M2C_IMPORT_MAX_OUTPUTS);
    for (int set = 0; set < 2; set++) {
        const double *ys = set ? yv : y;
        size_t m = set ? nv : n;
        if (!ys) continue;
        for (size_t i = 0; i < m; i++) {
            double v = ys[i];
            int bad = !isfinite(v);
            if (p->task != M2C_GBDT_REGRESSION) bad = bad || v != floor(v) || v < 0 || v >= n_class;
            if (bad)
                return m2c_err_set(err, M2C_ERR_INVALID, "gbdt: %s row %zu: target %g is not %s",
                                   set ? "validation" : "training", i + 1, v,
                                   p->task == M2C_GBDT_REGRESSION ? "finite"
                                                                  : "a class label 0..k-1");
        }
    }
    if ((st = m2c_dynlib_load(&xg_lib, err)) != M2C_OK) return m2c_err_prefix(err, "gbdt");
    if ((st = make_dmatrix(&dtrain, x, y, n, d, err)) != M2C_OK) goto out;
    if (xv && nv && (st = make_dmatrix(&dvalid, xv, yv, nv, d, err)) != M2C_OK) goto out;
    DMatrixHandle mats[2] = {dtrain, dvalid};
    if (XG(XGBoosterCreate)(mats, 1, &b) != 0) {
        st = xgb_fail(err, "XGBoosterCreate");
        goto out;
    }
    const char *objective = p->task == M2C_GBDT_REGRESSION ? "reg:squarederror"
                            : p->task == M2C_GBDT_BINARY   ? "binary:logistic"
                                                           : "multi:softprob";
    const char *metric = p->task == M2C_GBDT_REGRESSION ? "rmse"
                         : p->task == M2C_GBDT_BINARY   ? "logloss"
                                                        : "mlogloss";
    char v[7][32];
    snprintf(v[0], sizeof v[0], "%u", p->depth);
    snprintf(v[1], sizeof v[1], "%.17g", p->eta);
    snprintf(v[2], sizeof v[2], "%.17g", p->lambda);
    snprintf(v[3], sizeof v[3], "%.17g", p->min_child_weight);
    snprintf(v[4], sizeof v[4], "%.17g", p->subsample);
    snprintf(v[5], sizeof v[5], "%u", p->seed);
    snprintf(v[6], sizeof v[6], "%u", n_class);
    const char *params[][2] = {
        {"objective", objective}, {"eval_metric", metric},    {"max_depth", v[0]}, {"eta", v[1]},
        {"lambda", v[2]},         {"min_child_weight", v[3]}, {"subsample", v[4]}, {"seed", v[5]},
        {"tree_method", "hist"},  {"verbosity", "0"},
    };
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (XG(XGBoosterSetParam)(b, params[i][0], params[i][1]) != 0) {
            st = xgb_fail(err, "XGBoosterSetParam");
            goto out;
        }
    if (p->task == M2C_GBDT_MULTICLASS && XG(XGBoosterSetParam)(b, "num_class", v[6]) != 0) {
        st = xgb_fail(err, "XGBoosterSetParam");
        goto out;
    }
    if (p->threads) {
        char t[16];
        snprintf(t, sizeof t, "%u", p->threads);
        if (XG(XGBoosterSetParam)(b, "nthread", t) != 0) {
            st = xgb_fail(err, "XGBoosterSetParam");
            goto out;
        }
    }
    if (curve) {
        curve->train = calloc(p->trees, sizeof *curve->train);
        curve->valid = dvalid ? calloc(p->trees, sizeof *curve->valid) : NULL;
        snprintf(curve->metric, sizeof curve->metric, "%s", metric);
        if (!curve->train || (dvalid && !curve->valid)) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "gbdt: out of memory");
            goto out;
        }
    }
    const char *names[2] = {"train", "valid"};
    for (unsigned it = 0; it < p->trees; it++) {
        if (XG(XGBoosterUpdateOneIter)(b, (int)it, dtrain) != 0) {
            st = xgb_fail(err, "XGBoosterUpdateOneIter");
            goto out;
        }
        if (curve) {
            const char *res = NULL;
            if (XG(XGBoosterEvalOneIter)(b, (int)it, mats, names, dvalid ? 2 : 1, &res) != 0) {
                st = xgb_fail(err, "XGBoosterEvalOneIter");
                goto out;
            }
            curve->train[it] = eval_value(res, "train");
            if (dvalid) curve->valid[it] = eval_value(res, "valid");
            curve->rounds = it + 1;
        }
    }
    bst_ulong len = 0;
    const char *buf = NULL;
    if (XG(XGBoosterSaveModelToBuffer)(b, "{\"format\": \"json\"}", &len, &buf) != 0) {
        st = xgb_fail(err, "XGBoosterSaveModelToBuffer");
        goto out;
    }
    if ((st = m2c_xgb_parse(out, buf, (size_t)len, err)) != M2C_OK) {
        m2c_err_prefix(err, "gbdt: reading the trained booster");
        goto out;
    }
    if (json) {
        *json = malloc((size_t)len + 1);
        if (!*json) {
            m2c_ftrees_free(*out);
            *out = NULL;
            st = m2c_err_set(err, M2C_ERR_NOMEM, "gbdt: out of memory");
            goto out;
        }
        memcpy(*json, buf, (size_t)len);
        (*json)[len] = 0;
    }
out:
    if (st != M2C_OK && curve) m2c_gbdt_curve_free(curve);
    if (b) XG(XGBoosterFree)(b);
    if (dtrain) XG(XGDMatrixFree)(dtrain);
    if (dvalid) XG(XGDMatrixFree)(dvalid);
    return st;
}
