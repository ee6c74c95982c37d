/* train.h: training float models on a dataset (linear / ridge regression, logistic
 * regression binary and multiclass, MLP), their float predictions, quantization into a
 * qmodel, and the evaluation metrics reported for both side by side.
 *
 * Every model works on standardized features (mean/std learned from the training rows and
 * stored); regression models also standardize the target. A float model (m2c_fmodel) is a
 * heap handle owned by the caller (m2c_fmodel_free, NULL accepted); the quantized model it
 * produces is a separate m2c_qmodel the caller frees. Training is deterministic for a given
 * seed; all functions are re-entrant (no global state), a model may be read from many
 * threads. The gbdt kind is trained elsewhere (libxgboost) and plugs into m2c_train's
 * switch. */
#ifndef ML2CHAIN_TRAIN_H
#define ML2CHAIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/dataset.h"
#include "ml2chain/err.h"
#include "ml2chain/qmodel.h"

#define M2C_TRAIN_MAX_HIDDEN  15 /* hidden layers (a qmodel has at most 16 layers) */
#define M2C_TRAIN_MAX_CLASSES 256

typedef enum {
    M2C_MODEL_LINEAR = 1,
    M2C_MODEL_LOGISTIC = 2,
    M2C_MODEL_MLP = 3,
    M2C_MODEL_GBDT = 4,
} m2c_model_type;

typedef enum {
    M2C_TASK_REGRESSION = 0,
    M2C_TASK_BINARY = 1,
    M2C_TASK_MULTICLASS = 2,
} m2c_task;

/* Called once per epoch (MLP) or solver iteration batch; may be NULL. */
typedef void (*m2c_train_progress)(void *ctx, unsigned epoch, unsigned epochs, double train_loss,
                                   double val_loss);

typedef struct {
    m2c_model_type type;
    m2c_task task; /* for MLP: regression or classification; linear is regression,
                      logistic is classification (binary or multiclass from the data) */
    double l2;     /* L2 penalty: adds l2/2 * ||W||^2 to the mean loss (< 0: default:
                      0 for linear, 1/n for logistic (sklearn's C = 1), 1e-4 for MLP) */
    unsigned hidden[M2C_TRAIN_MAX_HIDDEN]; /* MLP hidden widths */
    unsigned n_hidden;                     /* 0: one hidden layer of 32 */
    unsigned activation;                   /* m2c_qact for MLP hidden layers (default relu) */
    unsigned epochs;   /* MLP epochs (default 200) / logistic max iterations (500) */
    double lr;         /* Adam learning rate (default 1e-3) */
    unsigned batch;    /* minibatch size (default 32) */
    uint64_t seed;     /* MLP init, shuffling and validation split */
    double val_frac;   /* MLP early-stopping validation fraction of the train rows (0.1) */
    unsigned patience; /* epochs without validation improvement before stopping (10) */
    m2c_train_progress progress;
    void *progress_ctx;
} m2c_train_opts;

/* Fills `o` with the defaults for `type` (everything else zero). */
void m2c_train_opts_default(m2c_train_opts *o, m2c_model_type type);

typedef struct {
    unsigned width; /* units */
    unsigned act;   /* m2c_qact */
    double *w;      /* width * fan_in, row-major */
    double *b;      /* width */
} m2c_flayer;

typedef struct {
    m2c_model_type type;
    m2c_task task;
    size_t n_in;          /* features */
    size_t n_out;         /* outputs: 1 (regression, binary) or n_classes */
    size_t n_classes;     /* classification: number of classes; 0 for regression */
    double *classes;      /* class values (sorted ascending); index = output index */
    double *mean, *std;   /* feature standardization (std 0 was replaced by 1) */
    double y_mean, y_std; /* regression target standardization */
    size_t n_const;       /* features that were constant in the training rows */
    m2c_flayer *layers;
    unsigned n_layers;
    unsigned epochs_run; /* MLP epochs / solver iterations actually done */
    double train_loss, val_loss;
} m2c_fmodel;

/* Trains on all rows of `d` (which needs a target). Classification tasks need 2..256
 * distinct target values; they become classes 0..K-1 in ascending order. */
M2C_WUR m2c_status m2c_train(m2c_fmodel **out, const m2c_dataset *d, const m2c_train_opts *o,
                             m2c_err *err);
void m2c_fmodel_free(m2c_fmodel *m);

/* Float prediction of one row of raw features x[n_in]: out[n_out] is the regression value
 * or the class probabilities (binary: one value, P(class 1)). */
void m2c_fmodel_predict(const m2c_fmodel *m, double *out, const double *x);

/* The qmodel of a float model (docs/qmodel.md section 9), inputs and outputs in 1e18. */
M2C_WUR m2c_status m2c_fmodel_quantize(m2c_qmodel **out, const m2c_fmodel *m, m2c_err *err);

/* Quantized prediction of one row of raw features: converts x to request integers
 * (x * 1e18, rounded), runs the qmodel and converts the outputs back to doubles in the same
 * form as m2c_fmodel_predict. Returns M2C_ERR_RANGE when a feature is outside int192. */
M2C_WUR m2c_status m2c_qmodel_predict_double(const m2c_qmodel *q, double *out, const double *x,
                                             m2c_err *err);

/* Held-out metrics. Classification fields are NaN for regression and vice versa. */
typedef struct {
    int classification;
    double accuracy, auc, logloss, f1; /* f1: positive class (binary) or macro (multiclass) */
    double rmse, mae, r2;
    size_t n;
} m2c_metrics;

/* `pred` holds n rows of n_out values as m2c_fmodel_predict gives them; y holds the target
 * values (class values for classification, mapped through `classes`). */
m2c_metrics m2c_metrics_compute(m2c_task task, const double *pred, size_t n_out, const double *y,
                                const double *classes, size_t n_classes, size_t n);

/* Evaluates a float model, a qmodel, or both (either may be NULL) on every row of `d`. */
M2C_WUR m2c_status m2c_evaluate(m2c_metrics *fm, m2c_metrics *qm, const m2c_fmodel *f,
                                const m2c_qmodel *q, m2c_task task, const double *classes,
                                size_t n_classes, const m2c_dataset *d, m2c_err *err);

/* Internal trainers (one per file: linear.c, logistic.c, mlp.c), called by m2c_train with
 * standardized data: z (n x n_in), t (targets: standardized value or class index). */
M2C_WUR m2c_status m2c_train_linear(m2c_fmodel *m, const double *z, const double *t, size_t n,
                                    const m2c_train_opts *o, m2c_err *err);
M2C_WUR m2c_status m2c_train_logistic(m2c_fmodel *m, const double *z, const double *t, size_t n,
                                      const m2c_train_opts *o, m2c_err *err);
M2C_WUR m2c_status m2c_train_mlp(m2c_fmodel *m, const double *z, const double *t, size_t n,
                                 const m2c_train_opts *o, m2c_err *err);

#endif
