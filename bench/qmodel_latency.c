/* qmodel_latency.c: single-row prediction latency of a qmodel (integer runtime, including
 * input scaling from real values) and, given the XGBoost JSON it came from, of the float
 * tree predictor. Built and run by bench/ml_xgb.sh.
 *   qmodel_latency MODEL.qm ROWS.csv TARGET [MODEL.json]   prints "qmodel_us X" ("float_us Y") */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml2chain/dataset.h"
#include "ml2chain/import.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/train.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    m2c_err e;
    m2c_qmodel *q = NULL;
    m2c_dataset *t = NULL;
    m2c_dataset_opts o;
    memset(&o, 0, sizeof o);
    o.csv = argv[2];
    o.target = argv[3];
    m2c_ftrees *ft = NULL;
    if (m2c_qmodel_load_file(&q, argv[1], &e) || m2c_dataset_load(&t, &o, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    if (argc > 4 && m2c_xgb_parse_file(&ft, argv[4], &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    size_t d = q->n_in;
    if (t->n_features != d) return 1;
    const double *x = t->x;
    double y[M2C_QMODEL_MAX_OUT], sink = 0;
    size_t reps = 200000 / t->n_rows + 1;
    double t0 = now();
    for (size_t i = 0; i < reps; i++)
        for (size_t r = 0; r < t->n_rows; r++) {
            if (m2c_qmodel_predict_double(q, y, &x[r * d], &e)) return 1;
            sink += y[0];
        }
    printf("qmodel_us %.3f\n", (now() - t0) / (double)(reps * t->n_rows) * 1e6);
    if (ft) {
        t0 = now();
        for (size_t i = 0; i < reps; i++)
            for (size_t r = 0; r < t->n_rows; r++) {
                m2c_ftrees_predict(ft, y, NULL, &x[r * d]);
                sink += y[0];
            }
        printf("float_us %.3f\n", (now() - t0) / (double)(reps * t->n_rows) * 1e6);
    }
    fprintf(stderr, "(checksum %g)\n", sink);
    m2c_dataset_free(t);
    m2c_ftrees_free(ft);
    m2c_qmodel_free(q);
    return 0;
}
