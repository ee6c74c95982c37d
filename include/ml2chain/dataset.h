/* dataset.h: numeric tables for training and evaluation, loaded from a CSV file (header
 * row) or a SQLite database (a query or a table, e.g. one written by `ml2chain extract`),
 * and split into train/test sets at random (seeded) or in time order.
 *
 * Column rules (docs/datasets.md): a column is numeric when its first row is a number
 * (SQLite: INTEGER or REAL; CSV: a decimal number); default features are all numeric columns
 * except the target and the split key. In a column that is used, every cell must be a finite
 * number: an empty cell, NULL, NaN, inf or text fails with the row and column named.
 * A dataset owns all its arrays; m2c_dataset_free() releases it (NULL accepted). Not
 * thread-safe for writes; read-only use from many threads is fine. */
#ifndef ML2CHAIN_DATASET_H
#define ML2CHAIN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"

#define M2C_DATASET_MAX_COLS  4096
#define M2C_DATASET_MAX_CELLS ((size_t)1 << 27) /* 1 GiB of doubles */
#define M2C_DATASET_MAX_FILE  ((size_t)1 << 30) /* CSV bytes */

typedef struct {
    size_t n_rows, n_features;
    char **names; /* n_features feature names */
    char *target; /* target column name (NULL when loaded without a target) */
    double *x;    /* n_rows * n_features, row-major */
    double *y;    /* n_rows (NULL without a target) */
    double *key;  /* n_rows split key values, or NULL when no --split-by */
    char *key_name;
    char **ignored; /* names of non-numeric columns left out of the default features */
    size_t n_ignored;
} m2c_dataset;

typedef struct {
    const char *csv;      /* path of a CSV file with a header row, or */
    const char *sqlite;   /* path of a SQLite database, with */
    const char *query;    /*   a SELECT statement, or */
    const char *table;    /*   a table name */
    const char *target;   /* target column; NULL loads features only (prediction inputs) */
    const char *features; /* comma-separated feature columns; NULL: every other numeric one */
    const char *split_by; /* column kept as the split key (not a feature unless listed) */
} m2c_dataset_opts;

M2C_WUR m2c_status m2c_dataset_load(m2c_dataset **out, const m2c_dataset_opts *o, m2c_err *err);
void m2c_dataset_free(m2c_dataset *d);

/* Copies rows idx[0..n) of d into a new dataset (names are copied too). */
M2C_WUR m2c_status m2c_dataset_subset(m2c_dataset **out, const m2c_dataset *d, const size_t *idx,
                                      size_t n, m2c_err *err);

/* Splits d into train and test sets; `test_frac` in (0, 1) of the rows (rounded, at least one
 * row each side) go to the test set. Random: a seeded shuffle (splitmix64). Ordered: rows
 * sorted by d->key ascending (ties keep file order); the last test_frac form the test set, so
 * nothing from the future of the test rows is trained on. */
M2C_WUR m2c_status m2c_dataset_split_random(m2c_dataset **train, m2c_dataset **test,
                                            const m2c_dataset *d, double test_frac, uint64_t seed,
                                            m2c_err *err);
M2C_WUR m2c_status m2c_dataset_split_ordered(m2c_dataset **train, m2c_dataset **test,
                                             const m2c_dataset *d, double test_frac, m2c_err *err);

/* Per-feature mean and population standard deviation. */
void m2c_dataset_stats(const m2c_dataset *d, double *mean, double *std);

/* Reorders/selects the features of d to match `names` (n of them), e.g. a model's feature
 * order; fails naming the first missing column. */
M2C_WUR m2c_status m2c_dataset_select(m2c_dataset *d, char *const *names, size_t n, m2c_err *err);

#endif
