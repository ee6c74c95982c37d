/* lbfgs.c: limited-memory BFGS (Nocedal & Wright, algorithm 7.4) with backtracking; see
 * lbfgs.h. History of M = 10 pairs. */
#include "lbfgs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define M 10

static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

int m2c_lbfgs(double *x, size_t n, m2c_lbfgs_fn f, void *ctx, unsigned max_iter, double gtol,
              unsigned *iters, double *fx) {
    double *mem = malloc((size_t)(2 * M + 5) * n * sizeof *mem);
    if (!mem) return -1;
    double *S = mem, *Y = mem + M * n, *g = mem + 2 * M * n, *d = g + n, *xn = d + n, *gn = xn + n,
           *q = gn + n;
    double rho[M], alpha[M];
    int head = 0, cnt = 0;
    double fv = f(ctx, x, g, n);
    unsigned it = 0;
    for (; it < max_iter; it++) {
        double gmax = 0;
        for (size_t i = 0; i < n; i++)
            gmax = fmax(gmax, fabs(g[i]));
        if (gmax < gtol) break;
        /* two-loop recursion: d = -H g */
        memcpy(q, g, n * sizeof *q);
        for (int k = 0; k < cnt; k++) {
            int j = (head - 1 - k + M) % M;
            alpha[j] = rho[j] * dot(S + j * n, q, n);
            for (size_t i = 0; i < n; i++)
                q[i] -= alpha[j] * Y[j * n + i];
        }
        double gamma = 1;
        if (cnt > 0) {
            int j = (head - 1 + M) % M;
            gamma = dot(S + j * n, Y + j * n, n) / dot(Y + j * n, Y + j * n, n);
        } else {
            gamma = 1 / fmax(sqrt(dot(g, g, n)), 1e-12);
        }
        for (size_t i = 0; i < n; i++)
            q[i] *= gamma;
        for (int k = cnt - 1; k >= 0; k--) {
            int j = (head - 1 - k + M) % M;
            double beta = rho[j] * dot(Y + j * n, q, n);
            for (size_t i = 0; i < n; i++)
                q[i] += S[j * n + i] * (alpha[j] - beta);
        }
        for (size_t i = 0; i < n; i++)
            d[i] = -q[i];
        double gd = dot(g, d, n);
        if (!(gd < 0)) { /* not a descent direction: restart from steepest descent */
            cnt = 0;
            for (size_t i = 0; i < n; i++)
                d[i] = -g[i];
            gd = -dot(g, g, n);
        }
        double step = 1, fn = 0;
        int ok = 0;
        for (int ls = 0; ls < 50; ls++) {
            for (size_t i = 0; i < n; i++)
                xn[i] = x[i] + step * d[i];
            fn = f(ctx, xn, gn, n);
            if (isfinite(fn) && fn <= fv + 1e-4 * step * gd) {
                ok = 1;
                break;
            }
            step *= 0.5;
        }
        if (!ok) break;
        /* history */
        double *s = S + head * n, *y = Y + head * n;
        for (size_t i = 0; i < n; i++)
            s[i] = xn[i] - x[i], y[i] = gn[i] - g[i];
        double sy = dot(s, y, n);
        if (sy > 1e-12) {
            rho[head] = 1 / sy;
            head = (head + 1) % M;
            if (cnt < M) cnt++;
        }
        double rel = (fv - fn) / fmax(fabs(fv), 1);
        memcpy(x, xn, n * sizeof *x);
        memcpy(g, gn, n * sizeof *g);
        fv = fn;
        if (rel < 1e-12) {
            it++;
            break;
        }
    }
    if (iters) *iters = it;
    if (fx) *fx = fv;
    free(mem);
    return 0;
}
