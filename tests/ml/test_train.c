/* Tests for src/ml/{train,linear,logistic,mlp,metrics}.c: metrics on hand-computed cases,
 * exact recovery of a linear function, logistic and MLP on synthetic problems with known
 * answers (incl. XOR, which no linear model solves), seeded determinism, and that the
 * quantized model tracks the float one. */
#include <math.h>

#include "ml2chain/train.h"
#include "test.h"

static double urand(void) {
    return (double)(m2c_test_rand() >> 11) / 9007199254740992.0;
}

static m2c_dataset *make(size_t n, size_t nf) {
    m2c_dataset *d = calloc(1, sizeof *d);
    d->n_rows = n;
    d->n_features = nf;
    d->x = calloc(n * nf, sizeof *d->x);
    d->y = calloc(n, sizeof *d->y);
    d->names = calloc(nf, sizeof *d->names);
    for (size_t k = 0; k < nf; k++) {
        d->names[k] = malloc(24);
        snprintf(d->names[k], 24, "f%zu", k);
    }
    d->target = strdup("y");
    return d;
}

TEST(test_metrics__binary_hand_computed) {
    double p[4] = {0.9, 0.2, 0.6, 0.4}, y[4] = {1, 0, 0, 1}, cls[2] = {0, 1};
    m2c_metrics m = m2c_metrics_compute(M2C_TASK_BINARY, p, 1, y, cls, 2, 4);
    CHECK(m.classification);
    CHECK(fabs(m.accuracy - 0.5) < 1e-12);
    CHECK(fabs(m.auc - 0.75) < 1e-12); /* 3 of 4 (pos, neg) pairs ordered */
    CHECK(fabs(m.logloss - -(log(0.9) + log(0.8) + log(0.4) + log(0.4)) / 4) < 1e-12);
    CHECK(fabs(m.f1 - 0.5) < 1e-12); /* tp 1, fp 1, fn 1 */
    CHECK(isnan(m.rmse));
    double tie[4] = {0.5, 0.5, 0.5, 0.5};
    m = m2c_metrics_compute(M2C_TASK_BINARY, tie, 1, y, cls, 2, 4);
    CHECK(fabs(m.auc - 0.5) < 1e-12);
    double one[2] = {0.3, 0.7}, y1[2] = {1, 1};
    m = m2c_metrics_compute(M2C_TASK_BINARY, one, 1, y1, cls, 2, 2);
    CHECK(isnan(m.auc)); /* a single class: undefined */
    double sure[1] = {0}, y0[1] = {1};
    m = m2c_metrics_compute(M2C_TASK_BINARY, sure, 1, y0, cls, 2, 1);
    CHECK(fabs(m.logloss - -log(1e-15)) < 1e-9); /* clipped, not infinite */
}

TEST(test_metrics__multiclass_and_regression_hand_computed) {
    double p[9] = {0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.5, 0.4, 0.1}, y[3] = {0, 1, 2},
           cls[3] = {0, 1, 2};
    m2c_metrics m = m2c_metrics_compute(M2C_TASK_MULTICLASS, p, 3, y, cls, 3, 3);
    CHECK(fabs(m.accuracy - 2.0 / 3) < 1e-12);
    /* class 0: tp 1 fp 1 -> 2/3; class 1: 1; class 2: fn 1 -> 0 */
    CHECK(fabs(m.f1 - (2.0 / 3 + 1 + 0) / 3) < 1e-12);
    CHECK(fabs(m.logloss - -(log(0.7) + log(0.8) + log(0.1)) / 3) < 1e-12);
    double pr[3] = {1, 2, 3}, yr[3] = {1, 2, 5};
    m = m2c_metrics_compute(M2C_TASK_REGRESSION, pr, 1, yr, NULL, 0, 3);
    CHECK(fabs(m.rmse - sqrt(4.0 / 3)) < 1e-12);
    CHECK(fabs(m.mae - 2.0 / 3) < 1e-12);
    CHECK(fabs(m.r2 - (1 - 36.0 / 78)) < 1e-12);
}

TEST(test_train_linear__recovers_an_exact_function) {
    m2c_dataset *d = make(200, 3);
    for (size_t r = 0; r < 200; r++) {
        double a = urand() * 10, b = urand() * 1e6, c = 7; /* c constant */
        d->x[r * 3] = a, d->x[r * 3 + 1] = b, d->x[r * 3 + 2] = c;
        d->y[r] = 3 * a - 2e-6 * b + 5;
    }
    m2c_train_opts o;
    m2c_train_opts_default(&o, M2C_MODEL_LINEAR);
    m2c_fmodel *f = NULL;
    m2c_err e;
    REQUIRE(m2c_train(&f, d, &o, &e) == M2C_OK);
    CHECK_EQ_INT(f->n_const, 1);
    m2c_qmodel *q = NULL;
    REQUIRE(m2c_fmodel_quantize(&q, f, &e) == M2C_OK);
    CHECK_EQ_INT(q->kind, M2C_QKIND_LINEAR);
    double x[3] = {4, 250000, 7}, out, qout;
    m2c_fmodel_predict(f, &out, x);
    CHECK(fabs(out - (12 - 0.5 + 5)) < 1e-6);
    REQUIRE(m2c_qmodel_predict_double(q, &qout, x, &e) == M2C_OK);
    CHECK(fabs(qout - out) < 1e-3 * fabs(out));
    m2c_fmodel_free(f);
    m2c_qmodel_free(q);
    m2c_dataset_free(d);
}

TEST(test_train_logistic__binary_and_multiclass) {
    m2c_dataset *d = make(400, 2);
    for (size_t r = 0; r < 400; r++) {
        double a = urand() * 4 - 2, b = urand() * 4 - 2;
        d->x[r * 2] = a, d->x[r * 2 + 1] = b;
        d->y[r] = a + 0.5 * b > 0.1 ? 7 : 3; /* labels need not be 0/1 */
    }
    m2c_train_opts o;
    m2c_train_opts_default(&o, M2C_MODEL_LOGISTIC);
    m2c_fmodel *f = NULL;
    m2c_err e;
    REQUIRE(m2c_train(&f, d, &o, &e) == M2C_OK);
    CHECK_EQ_INT(f->task, M2C_TASK_BINARY);
    CHECK(f->classes[0] == 3 && f->classes[1] == 7);
    m2c_qmodel *q = NULL;
    REQUIRE(m2c_fmodel_quantize(&q, f, &e) == M2C_OK);
    m2c_metrics fm, qm;
    REQUIRE(m2c_evaluate(&fm, &qm, f, q, f->task, f->classes, 2, d, &e) == M2C_OK);
    CHECK(fm.accuracy > 0.97);
    CHECK(fabs(qm.accuracy - fm.accuracy) <= 0.005);
    CHECK(fm.auc > 0.99);
    m2c_fmodel_free(f);
    m2c_qmodel_free(q);
    /* three classes by angle */
    for (size_t r = 0; r < 400; r++) {
        double a = d->x[r * 2], b = d->x[r * 2 + 1];
        d->y[r] = a > 0.5 ? 2 : b > 0 ? 1 : 0;
    }
    REQUIRE(m2c_train(&f, d, &o, &e) == M2C_OK);
    CHECK_EQ_INT(f->task, M2C_TASK_MULTICLASS);
    CHECK_EQ_INT(f->n_out, 3);
    double p[3], x[2] = {1.5, -1};
    m2c_fmodel_predict(f, p, x);
    CHECK(fabs(p[0] + p[1] + p[2] - 1) < 1e-12);
    CHECK(p[2] > 0.9);
    REQUIRE(m2c_fmodel_quantize(&q, f, &e) == M2C_OK);
    CHECK_EQ_INT(q->transform, M2C_QTRANSFORM_SOFTMAX);
    double qp[3];
    REQUIRE(m2c_qmodel_predict_double(q, qp, x, &e) == M2C_OK);
    for (int j = 0; j < 3; j++)
        CHECK(fabs(qp[j] - p[j]) < 1e-3);
    m2c_fmodel_free(f);
    m2c_qmodel_free(q);
    m2c_dataset_free(d);
}

/* XOR: no linear model gets past ~50%; an MLP with a hidden layer does. */
TEST(test_train_mlp__learns_xor_and_is_seeded) {
    m2c_dataset *d = make(400, 2);
    for (size_t r = 0; r < 400; r++) {
        double a = urand() * 2 - 1, b = urand() * 2 - 1;
        d->x[r * 2] = a, d->x[r * 2 + 1] = b;
        d->y[r] = (a > 0) != (b > 0);
    }
    m2c_train_opts o;
    m2c_train_opts_default(&o, M2C_MODEL_MLP);
    o.task = M2C_TASK_BINARY;
    o.hidden[0] = 16, o.n_hidden = 1;
    o.activation = M2C_QACT_TANH;
    o.lr = 0.01;
    o.seed = 5;
    m2c_fmodel *f = NULL, *g = NULL, *h = NULL;
    m2c_err e;
    REQUIRE(m2c_train(&f, d, &o, &e) == M2C_OK);
    m2c_qmodel *q = NULL;
    REQUIRE(m2c_fmodel_quantize(&q, f, &e) == M2C_OK);
    CHECK_EQ_INT(q->kind, M2C_QKIND_MLP);
    m2c_metrics fm, qm;
    REQUIRE(m2c_evaluate(&fm, &qm, f, q, f->task, f->classes, 2, d, &e) == M2C_OK);
    CHECK(fm.accuracy > 0.93);
    CHECK(fabs(qm.accuracy - fm.accuracy) <= 0.005);
    /* the same seed gives the same weights; another seed different ones */
    REQUIRE(m2c_train(&g, d, &o, &e) == M2C_OK);
    CHECK(memcmp(f->layers[0].w, g->layers[0].w, 32 * sizeof(double)) == 0);
    o.seed = 6;
    REQUIRE(m2c_train(&h, d, &o, &e) == M2C_OK);
    CHECK(memcmp(f->layers[0].w, h->layers[0].w, 32 * sizeof(double)) != 0);
    /* logistic regression cannot do it */
    m2c_fmodel *l = NULL;
    m2c_train_opts lo;
    m2c_train_opts_default(&lo, M2C_MODEL_LOGISTIC);
    REQUIRE(m2c_train(&l, d, &lo, &e) == M2C_OK);
    m2c_metrics lm;
    REQUIRE(m2c_evaluate(&lm, NULL, l, NULL, l->task, l->classes, 2, d, &e) == M2C_OK);
    CHECK(lm.accuracy < 0.7);
    m2c_fmodel_free(f), m2c_fmodel_free(g), m2c_fmodel_free(h), m2c_fmodel_free(l);
    m2c_qmodel_free(q);
    m2c_dataset_free(d);
}

TEST(test_train_mlp__regression_with_relu_and_sigmoid) {
    m2c_dataset *d = make(600, 1);
    for (size_t r = 0; r < 600; r++) {
        double a = urand() * 6 - 3;
        d->x[r] = a;
        d->y[r] = 1000 + 200 * sin(a); /* not linear, not centred */
    }
    for (unsigned act = M2C_QACT_RELU; act <= M2C_QACT_SIGMOID; act += 2) {
        m2c_train_opts o;
        m2c_train_opts_default(&o, M2C_MODEL_MLP);
        o.task = M2C_TASK_REGRESSION;
        o.hidden[0] = 32, o.n_hidden = 1;
        o.activation = act;
        o.lr = 0.01;
        o.epochs = 300;
        m2c_fmodel *f = NULL;
        m2c_qmodel *q = NULL;
        m2c_err e;
        REQUIRE(m2c_train(&f, d, &o, &e) == M2C_OK);
        REQUIRE(m2c_fmodel_quantize(&q, f, &e) == M2C_OK);
        m2c_metrics fm, qm;
        REQUIRE(m2c_evaluate(&fm, &qm, f, q, f->task, NULL, 0, d, &e) == M2C_OK);
        CHECK(fm.rmse < 25); /* the target's std is about 130 */
        CHECK(fabs(qm.rmse - fm.rmse) < 0.005 * fm.rmse + 0.05);
        m2c_fmodel_free(f);
        m2c_qmodel_free(q);
    }
    m2c_dataset_free(d);
}

TEST(test_train__rejects_bad_targets) {
    m2c_dataset *d = make(10, 1);
    for (size_t r = 0; r < 10; r++)
        d->x[r] = (double)r, d->y[r] = 4;
    m2c_train_opts o;
    m2c_train_opts_default(&o, M2C_MODEL_LOGISTIC);
    m2c_fmodel *f = NULL;
    m2c_err e;
    CHECK_EQ_INT(m2c_train(&f, d, &o, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "'y' has 1") != NULL);
    for (size_t r = 0; r < 10; r++)
        d->y[r] = (double)r;
    d->n_rows = 10;
    REQUIRE(m2c_train(&f, d, &o, &e) == M2C_OK); /* 10 classes are fine */
    CHECK_EQ_INT(f->n_classes, 10);
    m2c_fmodel_free(f);
    m2c_train_opts_default(&o, M2C_MODEL_GBDT);
    CHECK_EQ_INT(m2c_train(&f, d, &o, &e), M2C_ERR_UNSUPPORTED);
    free(d->y);
    d->y = NULL;
    m2c_train_opts_default(&o, M2C_MODEL_LINEAR);
    CHECK_EQ_INT(m2c_train(&f, d, &o, &e), M2C_ERR_INVALID);
    m2c_dataset_free(d);
}

TEST_MAIN(T(test_metrics__binary_hand_computed),
          T(test_metrics__multiclass_and_regression_hand_computed),
          T(test_train_linear__recovers_an_exact_function),
          T(test_train_logistic__binary_and_multiclass),
          T(test_train_mlp__learns_xor_and_is_seeded),
          T(test_train_mlp__regression_with_relu_and_sigmoid), T(test_train__rejects_bad_targets))
