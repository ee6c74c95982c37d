/* import_csv.c: a strict reader for small numeric CSV files (header row, numeric cells), used
 * for calibration statistics, comparison rows and gbdt training data from the command line. */
#include "ml2chain/import.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void m2c_csv_free(m2c_csv_table *t) {
    if (!t) return;
    if (t->names)
        for (size_t i = 0; i < t->cols; i++) free(t->names[i]);
    free(t->names);
    free(t->v);
    free(t);
}

long m2c_csv_column(const m2c_csv_table *t, const char *name) {
    for (size_t i = 0; i < t->cols; i++)
        if (!strcmp(t->names[i], name)) return (long)i;
    return -1;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

m2c_status m2c_csv_read(m2c_csv_table **out, const char *path, m2c_err *err) {
    m2c_status st = M2C_OK;
    m2c_csv_table *t = NULL;
    char *line = NULL;
    size_t lcap = 0, vcap = 0, total = 0;
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return m2c_err_set(err, M2C_ERR_IO, "%s: %s", path, strerror(errno));
    t = calloc(1, sizeof *t);
    if (!t) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    ssize_t got;
    size_t lineno = 0;
    while ((got = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        total += (size_t)got;
        if (total > M2C_CSV_MAX_BYTES) {
            st = m2c_err_set(err, M2C_ERR_RANGE, "%s: larger than %zu bytes", path,
                             M2C_CSV_MAX_BYTES);
            goto out;
        }
        if ((size_t)got != strlen(line)) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "%s:%zu: NUL byte in line", path, lineno);
            goto out;
        }
        line[strcspn(line, "\r\n")] = 0;
        if (!trim(line)[0]) continue; /* blank lines */
        if (!t->names) {
            size_t n = 1;
            for (char *p = line; *p; p++) n += *p == ',';
            if (n > M2C_CSV_MAX_COLS) {
                st = m2c_err_set(err, M2C_ERR_RANGE, "%s:1: %zu columns, more than %d", path, n,
                                 M2C_CSV_MAX_COLS);
                goto out;
            }
            t->names = calloc(n, sizeof *t->names);
            if (!t->names) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "%s: out of memory", path);
                goto out;
            }
            t->cols = n;
            char *p = line;
            for (size_t c = 0; c < n; c++) {
                char *comma = strchr(p, ',');
                if (comma) *comma = 0;
                char *nm = trim(p);
                if (!nm[0] || !(t->names[c] = strdup(nm))) {
                    st = m2c_err_set(err, M2C_ERR_INVALID, "%s:%zu: column %zu has no name", path,
                                     lineno, c + 1);
                    goto out;
                }
                p = comma ? comma + 1 : p + strlen(p);
            }
            continue;
        }
        if (t->rows == vcap) {
            vcap = vcap ? vcap * 2 : 256;
            double *nv = realloc(t->v, vcap * t->cols * sizeof *nv);
            if (!nv) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "%s: out of memory", path);
                goto out;
            }
            t->v = nv;
        }
        char *p = line;
        for (size_t c = 0; c < t->cols; c++) {
            char *comma = strchr(p, ',');
            if (comma) *comma = 0;
            else if (c + 1 < t->cols) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "%s:%zu: %zu cells, the header has %zu",
                                 path, lineno, c + 1, t->cols);
                goto out;
            }
            char *cell = trim(p), *end = NULL;
            errno = 0;
            double v = strtod(cell, &end);
            if (!cell[0] || *end || (!isdigit((unsigned char)cell[0]) && cell[0] != '-' &&
                                     cell[0] != '.' && cell[0] != '+')) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "%s:%zu: column %.60s: not a number: "
                                 "\"%.40s\"", path, lineno, t->names[c], cell);
                goto out;
            }
            if (!isfinite(v)) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "%s:%zu: column %.60s: not finite", path,
                                 lineno, t->names[c]);
                goto out;
            }
            t->v[t->rows * t->cols + c] = v;
            p = comma ? comma + 1 : p + strlen(p);
            if (!comma && c + 1 == t->cols) break;
            if (comma && c + 1 == t->cols) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "%s:%zu: more cells than the header's %zu",
                                 path, lineno, t->cols);
                goto out;
            }
        }
        t->rows++;
    }
    if (ferror(f)) {
        st = m2c_err_set(err, M2C_ERR_IO, "%s: read error", path);
        goto out;
    }
    if (!t->names || t->rows == 0) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "%s: no data rows", path);
        goto out;
    }
    *out = t;
    t = NULL;
out:
    free(line);
    fclose(f);
    m2c_csv_free(t);
    return st;
}
