/* test_gbdt.c: gbdt training through libxgboost (src/ml/gbdt.c). The held-out comparison
 * with Python XGBoost is tests/integration/test_ml_xgb.sh; here: a function trees can
 * represent exactly is learned, the curve decreases, the result goes through the importer
 * into a valid qmodel whose predictions match the float ensemble, and bad input is refused. */
#include <math.h>

#include "ml2chain/gbdt.h"
#include "ml2chain/import.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/train.h"
#include "test.h"

static double urand(void) {
    return (double)(m2c_test_rand() >> 11) / 9007199254740992.0;
}

TEST(test_gbdt__learns_a_step_function_and_quantizes) {
    size_t n = 400, d = 3;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y);
    REQUIRE(x && y);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = urand() * 10 - 5;
        y[i] = (x[i * d + 1] > 1.0) != (x[i * d + 2] < -2.0); /* xor of two steps */
    }
    m2c_gbdt_params p;
    m2c_gbdt_params_default(&p, M2C_GBDT_BINARY);
    p.trees = 30;
    p.depth = 3;
    p.threads = 1;
    m2c_ftrees *t = NULL;
    m2c_gbdt_curve c;
    char *json = NULL;
    m2c_err e;
    m2c_err_clear(&e);
    REQUIRE(m2c_train_gbdt(&t, &json, &c, x, y, n, d, x, y, n, &p, &e) == M2C_OK);
    CHECK_EQ_INT(t->n_trees, 30);
    CHECK_EQ_STR(t->objective, "binary:logistic");
    CHECK(json && strstr(json, "\"learner\""));
    CHECK_EQ_INT(c.rounds, 30);
    CHECK_EQ_STR(c.metric, "logloss");
    CHECK(c.train[29] < c.train[0] / 4);
    CHECK(c.valid && c.valid[29] == c.train[29]); /* same rows */
    /* feature 0 is noise: the splits are on features 1 and 2 */
    double gain[3], splits[3];
    m2c_ftrees_importance(t, gain, splits);
    CHECK(gain[1] > 10 * gain[0] && gain[2] > 10 * gain[0]);
    m2c_qmodel *q = NULL;
    REQUIRE(m2c_ftrees_to_qmodel(&q, t, NULL, 18, 18, &e) == M2C_OK);
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        double pf, pq;
        m2c_ftrees_predict(t, &pf, NULL, &x[i * d]);
        REQUIRE(m2c_qmodel_predict_double(q, &pq, &x[i * d], &e) == M2C_OK);
        CHECK(fabs(pf - pq) < 2e-3);
        correct += (pf >= 0.5) == (y[i] > 0.5);
    }
    CHECK(correct >= n - 2);
    m2c_qmodel_free(q);
    m2c_gbdt_curve_free(&c);
    free(json);
    m2c_ftrees_free(t);
    free(x);
    free(y);
}

TEST(test_gbdt__multiclass_and_regression_shapes) {
    size_t n = 300, d = 2;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y);
    REQUIRE(x && y);
    for (size_t i = 0; i < n; i++) {
        x[i * d] = urand();
        x[i * d + 1] = urand();
        y[i] = floor(x[i * d] * 4); /* classes 0..3 */
    }
    m2c_gbdt_params p;
    m2c_gbdt_params_default(&p, M2C_GBDT_MULTICLASS);
    p.n_class = 4;
    p.trees = 5;
    m2c_ftrees *t = NULL;
    m2c_err e;
    REQUIRE(m2c_train_gbdt(&t, NULL, NULL, x, y, n, d, NULL, NULL, 0, &p, &e) == M2C_OK);
    CHECK_EQ_INT(t->n_out, 4);
    CHECK_EQ_INT(t->n_trees, 20); /* one tree per class per round */
    CHECK_EQ_INT(t->transform, M2C_FOUT_SOFTMAX);
    for (size_t i = 0; i < t->n_trees; i++)
        CHECK_EQ_INT(t->trees[i].output, i % 4);
    m2c_ftrees_free(t);
    for (size_t i = 0; i < n; i++)
        y[i] = 1000 * x[i * d + 1] - 300;
    m2c_gbdt_params_default(&p, M2C_GBDT_REGRESSION);
    p.trees = 50;
    REQUIRE(m2c_train_gbdt(&t, NULL, NULL, x, y, n, d, NULL, NULL, 0, &p, &e) == M2C_OK);
    CHECK_EQ_INT(t->transform, M2C_FOUT_IDENTITY);
    double se = 0;
    for (size_t i = 0; i < n; i++) {
        double v;
        m2c_ftrees_predict(t, &v, NULL, &x[i * d]);
        se += (v - y[i]) * (v - y[i]);
    }
    CHECK(sqrt(se / n) < 30); /* the target spans 1000 */
    m2c_ftrees_free(t);
    free(x);
    free(y);
}

TEST(test_gbdt__rejects_bad_labels_and_parameters) {
    double x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, y[4] = {0, 1, 2, 1};
    m2c_gbdt_params p;
    m2c_gbdt_params_default(&p, M2C_GBDT_BINARY);
    m2c_ftrees *t = NULL;
    m2c_err e;
    m2c_err_clear(&e);
    CHECK_EQ_INT(m2c_train_gbdt(&t, NULL, NULL, x, y, 4, 2, NULL, NULL, 0, &p, &e),
                 M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "training row 3: target 2") != NULL);
    CHECK(t == NULL);
    y[2] = NAN;
    m2c_gbdt_params_default(&p, M2C_GBDT_REGRESSION);
    CHECK_EQ_INT(m2c_train_gbdt(&t, NULL, NULL, x, y, 4, 2, NULL, NULL, 0, &p, &e),
                 M2C_ERR_INVALID);
    y[2] = 0;
    p.depth = 33;
    CHECK_EQ_INT(m2c_train_gbdt(&t, NULL, NULL, x, y, 4, 2, NULL, NULL, 0, &p, &e),
                 M2C_ERR_INVALID);
    p.depth = 6;
    p.trees = 0;
    CHECK_EQ_INT(m2c_train_gbdt(&t, NULL, NULL, x, y, 4, 2, NULL, NULL, 0, &p, &e),
                 M2C_ERR_INVALID);
    m2c_gbdt_params_default(&p, M2C_GBDT_MULTICLASS);
    p.n_class = 2;
    CHECK_EQ_INT(m2c_train_gbdt(&t, NULL, NULL, x, y, 4, 2, NULL, NULL, 0, &p, &e), M2C_ERR_RANGE);
    CHECK(t == NULL);
}

TEST_MAIN(T(test_gbdt__learns_a_step_function_and_quantizes),
          T(test_gbdt__multiclass_and_regression_shapes),
          T(test_gbdt__rejects_bad_labels_and_parameters))
