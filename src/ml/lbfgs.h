/* lbfgs.h (internal to src/ml): a small limited-memory BFGS minimizer with a backtracking
 * Armijo line search, for smooth convex objectives (logistic regression). */
#ifndef ML2CHAIN_ML_LBFGS_H
#define ML2CHAIN_ML_LBFGS_H

#include <stddef.h>

/* Returns f(x) and writes its gradient to g. */
typedef double (*m2c_lbfgs_fn)(void *ctx, const double *x, double *g, size_t n);

/* Minimizes from x (in/out). Stops when max|g| < gtol, the relative decrease of f falls
 * below 1e-12, or after max_iter iterations. Returns 0 on success, -1 on allocation failure.
 * *iters and *fx (may be NULL) get the iterations done and the final value. */
int m2c_lbfgs(double *x, size_t n, m2c_lbfgs_fn f, void *ctx, unsigned max_iter, double gtol,
              unsigned *iters, double *fx);

#endif
