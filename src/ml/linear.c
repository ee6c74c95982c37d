/* linear.c: linear (ridge) regression by the normal equations on standardized features and
 * target: (Z'Z/n + l2 I) w = Z't/n, solved by Cholesky. A constant feature's column is zero,
 * so a tiny diagonal term (1e-10) keeps the system positive definite without changing any
 * other coefficient measurably. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/train.h"

/* Solves A x = b in place (A: n x n symmetric positive definite, overwritten by its
 * Cholesky factor; b becomes x). Returns 0 when A is not positive definite. */
static int cholesky_solve(double *A, double *b, size_t n) {
    for (size_t j = 0; j < n; j++) {
        double s = A[j * n + j];
        for (size_t k = 0; k < j; k++)
            s -= A[j * n + k] * A[j * n + k];
        if (!(s > 0)) return 0;
        double d = sqrt(s);
        A[j * n + j] = d;
        for (size_t i = j + 1; i < n; i++) {
            double t = A[i * n + j];
            for (size_t k = 0; k < j; k++)
                t -= A[i * n + k] * A[j * n + k];
            A[i * n + j] = t / d;
        }
    }
    for (size_t i = 0; i < n; i++) { /* L y = b */
        double t = b[i];
        for (size_t k = 0; k < i; k++)
            t -= A[i * n + k] * b[k];
        b[i] = t / A[i * n + i];
    }
    for (size_t i = n; i-- > 0;) { /* L' x = y */
        double t = b[i];
        for (size_t k = i + 1; k < n; k++)
            t -= A[k * n + i] * b[k];
        b[i] = t / A[i * n + i];
    }
    return 1;
}

m2c_status m2c_train_linear(m2c_fmodel *m, const double *z, const double *t, size_t n,
                            const m2c_train_opts *o, m2c_err *err) {
    size_t d = m->n_in;
    double l2 = o->l2 >= 0 ? o->l2 : 0;
    double *A = calloc(d * d, sizeof *A), *b = calloc(d, sizeof *b);
    m->layers = calloc(1, sizeof *m->layers);
    if (!A || !b || !m->layers) {
        free(A);
        free(b);
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    }
    m->n_layers = 1;
    for (size_t r = 0; r < n; r++) {
        const double *zr = z + r * d;
        for (size_t i = 0; i < d; i++) {
            b[i] += zr[i] * t[r];
            for (size_t j = 0; j <= i; j++)
                A[i * d + j] += zr[i] * zr[j];
        }
    }
    for (size_t i = 0; i < d; i++) {
        for (size_t j = 0; j <= i; j++)
            A[i * d + j] /= (double)n, A[j * d + i] = A[i * d + j];
        b[i] /= (double)n;
        A[i * d + i] += l2 + 1e-10;
    }
    if (!cholesky_solve(A, b, d)) {
        free(A);
        free(b);
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "linear: the normal equations are singular (collinear features); "
                           "try --l2 1e-3");
    }
    m2c_flayer *L = &m->layers[0];
    L->width = 1;
    L->act = M2C_QACT_IDENTITY;
    L->w = b;
    L->b = calloc(1, sizeof *L->b);
    free(A);
    if (!L->b) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    /* z and t are centred on the training rows, so the intercept is their residual mean */
    double s = 0;
    for (size_t r = 0; r < n; r++) {
        double p = 0;
        for (size_t i = 0; i < d; i++)
            p += L->w[i] * z[r * d + i];
        s += t[r] - p;
    }
    L->b[0] = s / (double)n;
    double se = 0;
    for (size_t r = 0; r < n; r++) {
        double p = L->b[0];
        for (size_t i = 0; i < d; i++)
            p += L->w[i] * z[r * d + i];
        se += (p - t[r]) * (p - t[r]);
    }
    m->train_loss = se / (double)n;
    m->epochs_run = 1;
    return M2C_OK;
}
