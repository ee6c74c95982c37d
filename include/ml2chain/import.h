/* import.h: models trained elsewhere, brought into ml2chain. Two untrusted file formats are
 * parsed into plain float models: XGBoost's JSON (`save_model("x.json")`, also what
 * `ml2chain train --model gbdt` dumps from libxgboost) into a tree ensemble (m2c_ftrees), and
 * ONNX (MLPs exported from PyTorch) into a dense network (m2c_fmlp). The float models have
 * their own reference predictors (the float side of "float vs quantized") and are turned
 * into qmodels (docs/qmodel.md) by the m2c_*_to_qmodel functions, which take per-feature
 * input statistics (m2c_feature_stats) or derive the scaling themselves (docs/import.md).
 *
 * Parsers take the whole file in memory, enforce hard caps before allocating anything
 * proportional to a declared size, and fail with a lowercase message naming what and where.
 * Every object returned through an `**out` is owned by the caller and freed with its
 * _free function (NULL accepted). Nothing here keeps global state: thread-safe. */
#ifndef ML2CHAIN_IMPORT_H
#define ML2CHAIN_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"
#include "ml2chain/qmodel.h"

#define M2C_IMPORT_MAX_XGB_BYTES    ((size_t)256 << 20) /* XGBoost JSON file */
#define M2C_IMPORT_MAX_ONNX_BYTES   ((size_t)64 << 20)  /* ONNX protobuf file */
#define M2C_IMPORT_MAX_FEATURES     4096
#define M2C_IMPORT_MAX_OUTPUTS      256
#define M2C_IMPORT_MAX_TREES        8192
#define M2C_IMPORT_MAX_TREE_NODES   65535 /* reachable nodes per tree */
#define M2C_IMPORT_MAX_TOTAL_NODES  ((size_t)1 << 21)
#define M2C_IMPORT_MAX_DEPTH        32 /* splits on a root-to-leaf path */
#define M2C_IMPORT_MAX_LAYERS       16
#define M2C_IMPORT_MAX_WIDTH        4096
#define M2C_IMPORT_MAX_ONNX_NODES   1024
#define M2C_IMPORT_MAX_ONNX_NESTING 64 /* protobuf message nesting */
#define M2C_FTREE_LEAF              UINT32_MAX

/* Output transforms and activations: the same codes as qmodel's (docs/qmodel.md). */
typedef enum {
    M2C_FOUT_IDENTITY = 0,
    M2C_FOUT_SIGMOID = 1,
    M2C_FOUT_SOFTMAX = 2,
} m2c_fout;

typedef enum {
    M2C_FACT_IDENTITY = 0,
    M2C_FACT_RELU = 1,
    M2C_FACT_TANH = 2,
    M2C_FACT_SIGMOID = 3,
} m2c_fact;

/* ---- tree ensembles (XGBoost) ---- */

typedef struct {
    uint32_t feature; /* split feature (< n_features), or M2C_FTREE_LEAF */
    float value;      /* split: go left when (float)x < value; leaf: the value added */
    uint32_t right;   /* split: index of the right child (the left one is k + 1); leaf: 0 */
    float gain;       /* split: XGBoost's loss change; leaf: 0 */
} m2c_ftree_node;

typedef struct {
    uint32_t output; /* which output (class) the tree adds to */
    uint32_t n_nodes;
    m2c_ftree_node *nodes; /* canonical pre-order, as in docs/qmodel.md section 5 */
} m2c_ftree;

typedef struct {
    char objective[32]; /* XGBoost's objective name ("binary:logistic") */
    uint8_t transform;  /* m2c_fout the objective implies */
    uint32_t n_features;
    uint32_t n_out;                      /* 1, or the number of classes for multi:* */
    double base[M2C_IMPORT_MAX_OUTPUTS]; /* base margin per output (logit(base_score) for
                                            the logistic objectives) */
    size_t n_trees;
    m2c_ftree *trees;
} m2c_ftrees;

/* Parses an XGBoost JSON model (gbtree or dart booster; objectives reg:squarederror,
 * reg:linear, reg:absoluteerror, reg:pseudohubererror, reg:logistic, binary:logistic,
 * binary:logitraw, multi:softprob, multi:softmax). Unreachable (deleted) nodes are dropped;
 * trees are re-laid in pre-order. Errors: M2C_ERR_INVALID (not JSON, a field missing or of
 * the wrong type, inconsistent arrays, cycles), M2C_ERR_UNSUPPORTED (objective, booster,
 * categorical splits, vector leaves), M2C_ERR_RANGE (over a cap), M2C_ERR_NOMEM. */
M2C_WUR m2c_status m2c_xgb_parse(m2c_ftrees **out, const char *json, size_t len, m2c_err *err);
/* Reads `path` (at most M2C_IMPORT_MAX_XGB_BYTES) and parses it; messages name the path. */
M2C_WUR m2c_status m2c_xgb_parse_file(m2c_ftrees **out, const char *path, m2c_err *err);
void m2c_ftrees_free(m2c_ftrees *t);

/* Float reference prediction exactly as XGBoost computes it (features compared as float32):
 * p[n_out] after the transform. `margin` (n_out, may be NULL) receives the raw sums. */
void m2c_ftrees_predict(const m2c_ftrees *t, double *p, double *margin, const double *x);
/* Feature importances: total gain and number of splits per feature (arrays of n_features;
 * either may be NULL). */
void m2c_ftrees_importance(const m2c_ftrees *t, double *gain, double *splits);

/* ---- dense networks (ONNX) ---- */

typedef struct {
    uint32_t n_in, n_out; /* fan-in, units */
    uint8_t act;          /* m2c_fact applied after the affine map */
    double *w;            /* n_out * n_in, row-major (unit j's weights first) */
    double *b;            /* n_out */
} m2c_fmlp_layer;

typedef struct {
    uint32_t n_in, n_out;
    uint8_t transform; /* m2c_fout */
    uint32_t n_layers;
    m2c_fmlp_layer layers[M2C_IMPORT_MAX_LAYERS];
} m2c_fmlp;

/* Parses an ONNX model whose graph is a chain of supported operators (Gemm, MatMul, Add,
 * Relu, Sigmoid, Tanh, Softmax, Flatten, Identity) from one float input to one output,
 * weights from float initializers (raw_data or float_data). Unsupported operators fail with
 * M2C_ERR_UNSUPPORTED and a message listing each unsupported op type once; a file that is
 * not a valid ONNX protobuf fails with M2C_ERR_INVALID. */
M2C_WUR m2c_status m2c_onnx_parse(m2c_fmlp **out, const uint8_t *p, size_t len, m2c_err *err);
M2C_WUR m2c_status m2c_onnx_parse_file(m2c_fmlp **out, const char *path, m2c_err *err);
void m2c_fmlp_free(m2c_fmlp *m);
/* Float forward pass: p[n_out] after the transform. */
void m2c_fmlp_predict(const m2c_fmlp *m, double *p, const double *x);

/* ---- input statistics for scaling ---- */

typedef struct {
    uint32_t n;   /* features */
    double *mean; /* n */
    double *std;  /* n, population standard deviation */
    double *min;  /* n */
    double *max;  /* n */
} m2c_feature_stats;

/* Statistics of `n_rows` rows of `n_cols` doubles (row-major). Fails with M2C_ERR_INVALID
 * on a non-finite value (message names row and column) or no rows. */
M2C_WUR m2c_status m2c_feature_stats_compute(m2c_feature_stats **out, const double *x,
                                             size_t n_rows, size_t n_cols, m2c_err *err);
void m2c_feature_stats_free(m2c_feature_stats *s);

/* ---- float model -> qmodel (docs/import.md) ---- */

/* A gbdt qmodel (kind 4) from a tree ensemble. Input scaling per feature (docs/qmodel.md
 * section 9): the interval [lo, hi] spanned by the feature's split thresholds, widened to the
 * data range in `stats` when given (stats may be NULL; stats->n must equal n_features), is
 * mapped onto about +-2^30 in z. Thresholds map as XGBoost compares: float32(x) < t, i.e.
 * x below the midpoint between t and the float32 before it. Classifier leaves and base are
 * Q16 margins (|leaf| < 32768 or M2C_ERR_RANGE); regression leaves are scaled so that the
 * largest possible sum is 2^14 and the scale goes into the output record. Inputs are read
 * as value * 10^d_in, outputs written as value * 10^d_out. */
M2C_WUR m2c_status m2c_ftrees_to_qmodel(m2c_qmodel **out, const m2c_ftrees *t,
                                        const m2c_feature_stats *stats, unsigned d_in,
                                        unsigned d_out, m2c_err *err);
/* A linear (1 layer, identity), logistic (1 layer, sigmoid/softmax) or mlp qmodel from a
 * dense network. Input scaling is mean/std from `stats` (may be NULL: mean 0, std 1), folded
 * into the first layer so the network computes the same function of the raw inputs. For an
 * identity output, `stats` rows are not available here, so the output is scaled by
 * `out_scale` (>= 1: the last layer is divided by it and the output record multiplies it
 * back; pass 1 unless outputs can exceed about 2^14). A weight that does not fit Q16 after
 * folding fails with M2C_ERR_RANGE naming it. */
M2C_WUR m2c_status m2c_fmlp_to_qmodel(m2c_qmodel **out, const m2c_fmlp *m,
                                      const m2c_feature_stats *stats, double out_scale,
                                      unsigned d_in, unsigned d_out, m2c_err *err);

#endif
