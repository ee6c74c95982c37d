/* test_report.c: the HTML report (src/ml/report.c): metrics on hand-checked predictions,
 * and the page's structure (sections per task, nothing external). Rendering in a browser is
 * tests/integration/test_ml_report.sh. */
#include <math.h>

#include "ml2chain/report.h"
#include "test.h"

TEST(test_report_metrics__binary_hand_checked) {
    /* scores 0.9(1) 0.8(0) 0.7(1) 0.3(0) 0.3(1) 0.1(0): pairs (pos, neg) ranked right:
     * (0.9: 3), (0.7: 2), (0.3 vs 0.3 tie: 0.5, vs 0.1: 1) = 6.5 of 9 */
    double y[] = {1, 0, 1, 0, 1, 0}, p[] = {0.9, 0.8, 0.7, 0.3, 0.3, 0.1};
    m2c_report r = {.task = M2C_REPORT_BINARY, .n = 6, .n_class = 2, .y = y, .pf = p};
    double v[4];
    const char *names[4];
    REQUIRE(m2c_report_metrics(&r, p, v, names) == 4);
    CHECK_EQ_STR(names[0], "accuracy");
    CHECK(fabs(v[0] - 4.0 / 6) < 1e-12); /* labels 1 1 1 0 0 0 against 1 0 1 0 1 0 */
    double ll = -(log(0.9) + log(0.2) + log(0.7) + log(0.7) + log(0.3) + log(0.9)) / 6;
    CHECK(fabs(v[1] - ll) < 1e-12);
    CHECK(fabs(v[2] - 6.5 / 9) < 1e-12);
    CHECK(fabs(v[3] - 2 * 2.0 / (2 * 2 + 1 + 1)) < 1e-12); /* tp 2, fp 1, fn 1 */
}

TEST(test_report_metrics__regression_and_multiclass) {
    double y[] = {1, 2, 3, 4}, p[] = {1, 2, 3, 6};
    m2c_report r = {.task = M2C_REPORT_REGRESSION, .n = 4, .y = y, .pf = p};
    double v[4];
    REQUIRE(m2c_report_metrics(&r, p, v, NULL) == 3);
    CHECK(fabs(v[0] - 1.0) < 1e-12); /* sqrt(4/4) */
    CHECK(fabs(v[1] - 0.5) < 1e-12);
    CHECK(fabs(v[2] - (1 - 4.0 / 5)) < 1e-12); /* ss_tot 5 */
    double yc[] = {0, 1, 2}, pc[] = {0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.2, 0.2, 0.6};
    m2c_report rc = {.task = M2C_REPORT_MULTICLASS, .n = 3, .n_class = 3, .y = yc, .pf = pc};
    REQUIRE(m2c_report_metrics(&rc, pc, v, NULL) == 3);
    CHECK(fabs(v[0] - 2.0 / 3) < 1e-12);
    CHECK(fabs(v[1] + (log(0.7) + log(0.3) + log(0.6)) / 3) < 1e-12);
    /* class 0: f1 1; class 1: tp 0 -> 0; class 2: tp 1 fp 1 -> 2/3 */
    CHECK(fabs(v[2] - (1 + 0 + 2.0 / 3) / 3) < 1e-12);
}

static char *render(const m2c_report *r) {
    m2c_buf b;
    m2c_buf_init(&b, 0);
    m2c_err e;
    if (m2c_report_html(&b, r, &e) != M2C_OK) {
        m2c_buf_free(&b);
        return NULL;
    }
    return (char *)m2c_buf_take(&b, NULL);
}

static int count(const char *h, const char *s) {
    int n = 0;
    for (const char *p = h; (p = strstr(p, s)); p += strlen(s))
        n++;
    return n;
}

TEST(test_report_html__sections_follow_the_task_and_nothing_is_external) {
    double y[] = {1, 0, 1, 0}, pf[] = {0.8, 0.3, 0.6, 0.4}, pq[] = {0.79, 0.31, 0.6, 0.41};
    double loss[] = {0.6, 0.4, 0.3}, imp[] = {3, 1}, spl[] = {5, 2};
    const char *names[] = {"<amount>", "fee"};
    m2c_report_series s = {"train", loss, 3};
    m2c_report r = {.title = "t & <b>",
                    .task = M2C_REPORT_BINARY,
                    .n = 4,
                    .n_class = 2,
                    .y = y,
                    .pf = pf,
                    .pq = pq,
                    .loss_name = "logloss",
                    .curves = &s,
                    .n_curves = 1,
                    .feature_names = names,
                    .n_features = 2,
                    .importance = imp,
                    .importance_kind = "gain",
                    .importance2 = spl,
                    .importance2_kind = "splits",
                    .model_hash = "0xab",
                    .model_bytes = 10};
    char *h = render(&r);
    REQUIRE(h);
    CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    const char *want[] = {"<h2>Float vs quantized</h2>", "<h2>Training curve</h2>",
                          "<h2>ROC curve</h2>",          "<h2>Precision-recall curve</h2>",
                          "<h2>Confusion matrix</h2>",   "<h2>Feature importance</h2>"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_EQ_INT(count(h, want[i]), 1);
    CHECK_EQ_INT(count(h, "Residuals"), 0);
    CHECK_EQ_INT(count(h, "http"), 0);
    CHECK_EQ_INT(count(h, "<script"), 0);
    CHECK_EQ_INT(count(h, "<amount>"), 0); /* escaped */
    CHECK_EQ_INT(count(h, "&lt;amount&gt;"), 1);
    CHECK_EQ_INT(count(h, "t &amp; &lt;b&gt;"), 2); /* <title> and <h1> */
    free(h);

    double yr[] = {1, 2, 3}, pr[] = {1.5, 2, 2.5};
    m2c_report rr = {.task = M2C_REPORT_REGRESSION, .n = 3, .y = yr, .pf = pr};
    h = render(&rr);
    REQUIRE(h);
    CHECK_EQ_INT(count(h, "<h2>Residuals</h2>"), 1);
    CHECK_EQ_INT(count(h, "<h2>Predicted vs actual</h2>"), 1);
    CHECK_EQ_INT(count(h, "ROC"), 0);
    CHECK_EQ_INT(count(h, "Confusion"), 0);
    CHECK_EQ_INT(count(h, "Training curve"), 0); /* no curves given */
    free(h);

    m2c_report empty = {.task = M2C_REPORT_BINARY};
    CHECK(render(&empty) == NULL);
}

TEST_MAIN(T(test_report_metrics__binary_hand_checked),
          T(test_report_metrics__regression_and_multiclass),
          T(test_report_html__sections_follow_the_task_and_nothing_is_external))
