/* metrics.c: held-out metrics — accuracy, ROC AUC, log-loss and F1 for classification;
 * RMSE, MAE and R^2 for regression — defined as scikit-learn defines them (binary F1 of the
 * positive class, macro F1 and macro one-vs-rest AUC for multiclass, log-loss with
 * probabilities clipped to [1e-15, 1 - 1e-15]). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/train.h"

static size_t cls_of(const double *classes, size_t k, double v) {
    for (size_t j = 0; j < k; j++)
        if (classes[j] == v) return j;
    return k; /* a class unseen in training */
}

typedef struct {
    double s;
    int pos;
} scored;

static int by_score(const void *a, const void *b) {
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x < y ? -1 : x > y;
}

/* ROC AUC via the rank-sum (Mann-Whitney) statistic, ties get average ranks. NaN when a
 * class is absent. */
static double auc(scored *v, size_t n) {
    qsort(v, n, sizeof *v, by_score);
    double npos = 0, nneg = 0, rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].s == v[i].s)
            j++;
        double avg = (double)(i + 1 + j) / 2.0; /* ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            if (v[k].pos) rank_sum += avg;
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        v[i].pos ? npos++ : nneg++;
    if (npos == 0 || nneg == 0) return NAN;
    return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
}

m2c_metrics m2c_metrics_compute(m2c_task task, const double *pred, size_t n_out, const double *y,
                                const double *classes, size_t n_classes, size_t n) {
    m2c_metrics m;
    m.classification = task != M2C_TASK_REGRESSION;
    m.accuracy = m.auc = m.logloss = m.f1 = m.rmse = m.mae = m.r2 = NAN;
    m.n = n;
    if (n == 0) return m;
    if (task == M2C_TASK_REGRESSION) {
        double se = 0, ae = 0, mu = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            mu += y[i];
        mu /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = pred[i * n_out] - y[i];
            se += e * e;
            ae += fabs(e);
            ss += (y[i] - mu) * (y[i] - mu);
        }
        m.rmse = sqrt(se / (double)n);
        m.mae = ae / (double)n;
        m.r2 = ss > 0 ? 1 - se / ss : NAN;
        return m;
    }
    size_t K = n_classes;
    size_t *tp = calloc(K + 1, sizeof *tp), *fp = calloc(K + 1, sizeof *fp),
           *fn = calloc(K + 1, sizeof *fn);
    scored *sv = malloc(n * sizeof *sv);
    if (!tp || !fp || !fn || !sv) goto out;
    size_t correct = 0;
    double ll = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = cls_of(classes, K, y[i]);
        size_t guess = 0;
        double pc;
        if (task == M2C_TASK_BINARY) {
            double p1 = pred[i];
            guess = p1 >= 0.5 ? 1 : 0;
            pc = c == 1 ? p1 : 1 - p1;
        } else {
            for (size_t j = 1; j < K; j++)
                if (pred[i * n_out + j] > pred[i * n_out + guess]) guess = j;
            pc = c < K ? pred[i * n_out + c] : 0;
        }
        if (pc < 1e-15) pc = 1e-15;
        if (pc > 1 - 1e-15) pc = 1 - 1e-15;
        ll -= log(pc);
        if (guess == c) {
            correct++;
            tp[c]++;
        } else {
            fp[guess]++;
            fn[c <= K ? c : K]++;
        }
    }
    m.accuracy = (double)correct / (double)n;
    m.logloss = ll / (double)n;
    if (task == M2C_TASK_BINARY) {
        double d = 2.0 * tp[1] + fp[1] + fn[1];
        m.f1 = d > 0 ? 2.0 * tp[1] / d : 0;
        for (size_t i = 0; i < n; i++) {
            sv[i].s = pred[i];
            sv[i].pos = cls_of(classes, K, y[i]) == 1;
        }
        m.auc = auc(sv, n);
    } else {
        double f1 = 0, a = 0;
        size_t na = 0;
        for (size_t j = 0; j < K; j++) {
            double d = 2.0 * tp[j] + fp[j] + fn[j];
            f1 += d > 0 ? 2.0 * tp[j] / d : 0;
            for (size_t i = 0; i < n; i++) {
                sv[i].s = pred[i * n_out + j];
                sv[i].pos = cls_of(classes, K, y[i]) == j;
            }
            double aj = auc(sv, n);
            if (!isnan(aj)) a += aj, na++;
        }
        m.f1 = f1 / (double)K;
        m.auc = na ? a / (double)na : NAN;
    }
out:
    free(tp);
    free(fp);
    free(fn);
    free(sv);
    return m;
}
