/* dataset.c: CSV and SQLite tables into numeric datasets, and train/test splits; see
 * dataset.h and docs/datasets.md. */
#include "ml2chain/dataset.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- column store */

typedef struct {
    char *name;
    int numeric;    /* decided by the first row */
    double *v;      /* one per row */
    size_t bad_row; /* first row (1-based data row) whose cell is not a finite number */
    char bad_text[64];
    const char *bad_why;
    char first[64]; /* the first row's text, for "not numeric" messages */
} column;

typedef struct {
    column *c;
    size_t n_cols, n_rows, cap_rows;
} table;

static void table_free(table *t) {
    for (size_t i = 0; i < t->n_cols; i++) {
        free(t->c[i].name);
        free(t->c[i].v);
    }
    free(t->c);
    memset(t, 0, sizeof *t);
}

static m2c_status table_init(table *t, size_t n_cols, m2c_err *err) {
    memset(t, 0, sizeof *t);
    if (n_cols == 0) return m2c_err_set(err, M2C_ERR_INVALID, "dataset: no columns");
    if (n_cols > M2C_DATASET_MAX_COLS)
        return m2c_err_set(err, M2C_ERR_RANGE, "dataset: %zu columns, the cap is %d", n_cols,
                           M2C_DATASET_MAX_COLS);
    t->c = calloc(n_cols, sizeof *t->c);
    if (!t->c) return m2c_err_set(err, M2C_ERR_NOMEM, "dataset: out of memory");
    t->n_cols = n_cols;
    return M2C_OK;
}

static m2c_status table_add_row(table *t, m2c_err *err) {
    if (t->n_rows == t->cap_rows) {
        size_t nc = t->cap_rows ? t->cap_rows * 2 : 256;
        if (nc * t->n_cols > M2C_DATASET_MAX_CELLS) nc = M2C_DATASET_MAX_CELLS / t->n_cols;
        if (nc <= t->n_rows)
            return m2c_err_set(err, M2C_ERR_RANGE, "dataset: more than %zu cells",
                               M2C_DATASET_MAX_CELLS);
        for (size_t i = 0; i < t->n_cols; i++) {
            double *nv = realloc(t->c[i].v, nc * sizeof *nv);
            if (!nv) return m2c_err_set(err, M2C_ERR_NOMEM, "dataset: out of memory");
            t->c[i].v = nv;
        }
        t->cap_rows = nc;
    }
    t->n_rows++;
    return M2C_OK;
}

/* Strict number: optional sign, digits, optional fraction and exponent (strtod's grammar
 * minus hex, inf and nan), the whole trimmed text. */
static int parse_number(double *out, const char *s, size_t len) {
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (len == 0 || len > 400) return 0;
    char buf[401];
    memcpy(buf, s, len);
    buf[len] = 0;
    size_t i = 0;
    if (buf[i] == '+' || buf[i] == '-') i++;
    int digits = 0;
    while (buf[i] >= '0' && buf[i] <= '9')
        i++, digits++;
    if (buf[i] == '.') {
        i++;
        while (buf[i] >= '0' && buf[i] <= '9')
            i++, digits++;
    }
    if (!digits) return 0;
    if (buf[i] == 'e' || buf[i] == 'E') {
        i++;
        if (buf[i] == '+' || buf[i] == '-') i++;
        if (!(buf[i] >= '0' && buf[i] <= '9')) return 0;
        while (buf[i] >= '0' && buf[i] <= '9')
            i++;
    }
    if (buf[i] != 0) return 0;
    errno = 0;
    *out = strtod(buf, NULL);
    return 1;
}

static int is_nan_or_inf_text(const char *s, size_t len) {
    while (len && (*s == ' ' || *s == '+' || *s == '-'))
        s++, len--;
    return (len >= 3 && (!strncasecmp(s, "nan", 3) || !strncasecmp(s, "inf", 3)));
}

/* Records cell (row r, col c) given as text. */
static void put_text(table *t, size_t c, const char *s, size_t len) {
    column *col = &t->c[c];
    size_t r = t->n_rows - 1;
    double v;
    int ok = parse_number(&v, s, len) && isfinite(v);
    if (r == 0) {
        col->numeric = ok || is_nan_or_inf_text(s, len);
        size_t k = len < sizeof col->first - 1 ? len : sizeof col->first - 1;
        memcpy(col->first, s, k);
        col->first[k] = 0;
    }
    if (ok) {
        col->v[r] = v;
        return;
    }
    col->v[r] = 0;
    if (col->bad_row) return;
    col->bad_row = r + 1;
    size_t k = len < sizeof col->bad_text - 1 ? len : sizeof col->bad_text - 1;
    memcpy(col->bad_text, s, k);
    col->bad_text[k] = 0;
    int parsed = parse_number(&v, s, len); /* parsed but not finite: 1e999 */
    col->bad_why = len == 0                               ? "an empty cell"
                   : is_nan_or_inf_text(s, len) || parsed ? "NaN/inf"
                                                          : "not a number";
}

static void put_number(table *t, size_t c, double v) {
    column *col = &t->c[c];
    size_t r = t->n_rows - 1;
    if (r == 0) col->numeric = 1;
    col->v[r] = isfinite(v) ? v : 0;
    if (!isfinite(v) && !col->bad_row) {
        col->bad_row = r + 1;
        snprintf(col->bad_text, sizeof col->bad_text, "%g", v);
        col->bad_why = "NaN/inf";
    }
}

static void put_null(table *t, size_t c) {
    column *col = &t->c[c];
    size_t r = t->n_rows - 1;
    col->v[r] = 0;
    if (!col->bad_row) {
        col->bad_row = r + 1;
        strcpy(col->bad_text, "NULL");
        col->bad_why = "NULL";
    }
}

/* ---------------------------------------------------------------- CSV */

/* Splits one CSV record starting at p[*pos]; calls back per field. Quoted fields may contain
 * commas, newlines and "" escapes. Returns 0 at end of input, 1 after a record, -1 on a
 * malformed quote (offset in *bad). */
typedef struct {
    char *buf; /* unescaped field text */
    size_t cap;
} fieldbuf;

static int csv_field(const char *p, size_t len, size_t *pos, fieldbuf *fb, size_t *flen,
                     int *end_of_record, size_t *bad) {
    size_t i = *pos, n = 0;
    if (fb->cap < 1024 && !(fb->buf = realloc(fb->buf, fb->cap = 1024))) return -2;
    if (i < len && p[i] == '"') {
        i++;
        for (;;) {
            if (i >= len) {
                *bad = *pos;
                return -1;
            }
            if (p[i] == '"') {
                if (i + 1 < len && p[i + 1] == '"') {
                    i++;
                } else {
                    i++;
                    break;
                }
            }
            if (n + 1 >= fb->cap) {
                char *nb = realloc(fb->buf, fb->cap * 2);
                if (!nb) return -2;
                fb->buf = nb, fb->cap *= 2;
            }
            fb->buf[n++] = p[i++];
        }
        if (i < len && p[i] != ',' && p[i] != '\n' && p[i] != '\r') {
            *bad = i;
            return -1;
        }
    } else {
        while (i < len && p[i] != ',' && p[i] != '\n' && p[i] != '\r') {
            if (n + 1 >= fb->cap) {
                char *nb = realloc(fb->buf, fb->cap * 2);
                if (!nb) return -2;
                fb->buf = nb, fb->cap *= 2;
            }
            fb->buf[n++] = p[i++];
        }
    }
    fb->buf[n] = 0;
    *flen = n;
    *end_of_record = 1;
    if (i < len && p[i] == ',') {
        *end_of_record = 0;
        i++;
    } else if (i < len && p[i] == '\r') {
        i++;
        if (i < len && p[i] == '\n') i++;
    } else if (i < len && p[i] == '\n') {
        i++;
    }
    *pos = i;
    return 1;
}

static m2c_status load_csv(table *t, const char *path, m2c_err *err) {
    m2c_status st = M2C_OK;
    char *data = NULL;
    fieldbuf fb = {NULL, 0};
    char **names = NULL;
    size_t n_names = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return m2c_err_set(err, M2C_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t len = 0, cap = 1 << 16, got;
    data = malloc(cap);
    while (data && (got = fread(data + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            if (cap >= M2C_DATASET_MAX_FILE) {
                st = m2c_err_set(err, M2C_ERR_RANGE, "%s: larger than %zu bytes", path,
                                 M2C_DATASET_MAX_FILE);
                goto out;
            }
            char *nd = realloc(data, cap * 2);
            if (!nd) break;
            data = nd, cap *= 2;
        }
    }
    if (!data) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (ferror(f)) {
        st = m2c_err_set(err, M2C_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    size_t pos = 0, flen, bad = 0;
    int eor = 0, r;
    if (len >= 3 && (unsigned char)data[0] == 0xef && (unsigned char)data[1] == 0xbb &&
        (unsigned char)data[2] == 0xbf)
        pos = 3; /* UTF-8 byte-order mark */
    if (pos >= len) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "%s: empty file (no header row)", path);
        goto out;
    }
    /* header */
    do {
        r = csv_field(data, len, &pos, &fb, &flen, &eor, &bad);
        if (r < 0) goto malformed;
        if (n_names == M2C_DATASET_MAX_COLS) {
            st = m2c_err_set(err, M2C_ERR_RANGE, "%s: more than %d columns", path,
                             M2C_DATASET_MAX_COLS);
            goto out;
        }
        char **nn = realloc(names, (n_names + 1) * sizeof *nn);
        if (!nn || !(nn[n_names] = strdup(fb.buf))) {
            if (nn) names = nn;
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        names = nn;
        n_names++;
    } while (!eor);
    if ((st = table_init(t, n_names, err))) goto out;
    for (size_t i = 0; i < n_names; i++)
        t->c[i].name = names[i], names[i] = NULL;
    size_t line = 1;
    while (pos < len) {
        line++;
        if (data[pos] == '\n' || data[pos] == '\r') { /* blank line */
            pos += (data[pos] == '\r' && pos + 1 < len && data[pos + 1] == '\n') ? 2 : 1;
            continue;
        }
        if ((st = table_add_row(t, err))) goto out;
        size_t c = 0;
        do {
            r = csv_field(data, len, &pos, &fb, &flen, &eor, &bad);
            if (r < 0) goto malformed;
            if (c >= t->n_cols) {
                st = m2c_err_set(err, M2C_ERR_INVALID,
                                 "%s: line %zu has more than the header's %zu columns", path, line,
                                 t->n_cols);
                goto out;
            }
            put_text(t, c++, fb.buf, flen);
        } while (!eor);
        if (c != t->n_cols) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "%s: line %zu has %zu columns, the header %zu",
                             path, line, c, t->n_cols);
            goto out;
        }
    }
    goto out;
malformed:
    st = r == -2 ? m2c_err_set(err, M2C_ERR_NOMEM, "out of memory")
                 : m2c_err_at(err, M2C_ERR_INVALID, bad,
                              "%s: byte %zu: unterminated or "
                              "misplaced quote",
                              path, bad);
out:
    if (names)
        for (size_t i = 0; i < n_names; i++)
            free(names[i]);
    free(names);
    free(fb.buf);
    free(data);
    fclose(f);
    return st;
}

/* ---------------------------------------------------------------- SQLite */

static m2c_status load_sqlite(table *t, const char *path, const char *query, const char *tab,
                              m2c_err *err) {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    char *sql = NULL;
    m2c_status st = M2C_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        st = m2c_err_set(err, M2C_ERR_DB, "cannot open %s: %s", path,
                         db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    if (!query) {
        if (!tab) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "%s: give a --query or a --table", path);
            goto out;
        }
        sql = sqlite3_mprintf("SELECT * FROM \"%w\"", tab);
        query = sql;
    }
    if (sqlite3_prepare_v2(db, query, -1, &stmt, NULL) != SQLITE_OK) {
        st = m2c_err_set(err, M2C_ERR_DB, "%s: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    int nc = sqlite3_column_count(stmt);
    if ((st = table_init(t, (size_t)nc, err))) goto out;
    for (int i = 0; i < nc; i++) {
        const char *nm = sqlite3_column_name(stmt, i);
        if (!(t->c[i].name = strdup(nm ? nm : "?"))) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if ((st = table_add_row(t, err))) goto out;
        for (int i = 0; i < nc; i++) {
            switch (sqlite3_column_type(stmt, i)) {
            case SQLITE_INTEGER:
            case SQLITE_FLOAT: put_number(t, (size_t)i, sqlite3_column_double(stmt, i)); break;
            case SQLITE_NULL: put_null(t, (size_t)i); break;
            default: {
                /* TEXT (e.g. an exact 256-bit decimal) or BLOB: a number only if it parses;
                 * the column counts as numeric only if its first row was INTEGER/REAL */
                const char *s = (const char *)sqlite3_column_text(stmt, i);
                int len = sqlite3_column_bytes(stmt, i);
                int first = t->n_rows == 1;
                put_text(t, (size_t)i, s ? s : "", s ? (size_t)len : 0);
                if (first) t->c[i].numeric = 0;
            }
            }
        }
    }
    if (rc != SQLITE_DONE) st = m2c_err_set(err, M2C_ERR_DB, "%s: %s", path, sqlite3_errmsg(db));
out:
    sqlite3_finalize(stmt);
    sqlite3_free(sql);
    sqlite3_close(db);
    return st;
}

/* ---------------------------------------------------------------- assembling */

void m2c_dataset_free(m2c_dataset *d) {
    if (!d) return;
    if (d->names)
        for (size_t i = 0; i < d->n_features; i++)
            free(d->names[i]);
    if (d->ignored)
        for (size_t i = 0; i < d->n_ignored; i++)
            free(d->ignored[i]);
    free(d->names);
    free(d->ignored);
    free(d->target);
    free(d->key_name);
    free(d->x);
    free(d->y);
    free(d->key);
    free(d);
}

static long find_col(const table *t, const char *name, size_t len) {
    for (size_t i = 0; i < t->n_cols; i++)
        if (strlen(t->c[i].name) == len && !strncmp(t->c[i].name, name, len)) return (long)i;
    return -1;
}

static m2c_status missing(const table *t, const char *what, const char *name, size_t len,
                          m2c_err *err) {
    char cols[300];
    size_t k = 0;
    cols[0] = 0;
    for (size_t i = 0; i < t->n_cols && k < sizeof cols - 8; i++)
        k += (size_t)snprintf(cols + k, sizeof cols - k, "%s%s", i ? ", " : "", t->c[i].name);
    if (k >= sizeof cols - 8) strcpy(cols + sizeof cols - 8, ", ...");
    return m2c_err_set(err, M2C_ERR_NOTFOUND, "no %s column '%.*s' (columns: %s)", what, (int)len,
                       name, cols);
}

static m2c_status usable(const column *c, const char *role, m2c_err *err) {
    if (!c->numeric)
        return m2c_err_set(err, M2C_ERR_INVALID, "%s column '%s' is not numeric (row 1: '%s')",
                           role, c->name, c->first);
    if (c->bad_row)
        return m2c_err_set(err, M2C_ERR_INVALID, "%s column '%s', row %zu: %s ('%s')", role,
                           c->name, c->bad_row, c->bad_why, c->bad_text);
    return M2C_OK;
}

m2c_status m2c_dataset_load(m2c_dataset **out, const m2c_dataset_opts *o, m2c_err *err) {
    *out = NULL;
    table t;
    memset(&t, 0, sizeof t);
    long *sel = NULL;
    m2c_dataset *d = NULL;
    m2c_status st;
    const char *src = o->csv ? o->csv : o->sqlite;
    if (o->csv)
        st = load_csv(&t, o->csv, err);
    else if (o->sqlite)
        st = load_sqlite(&t, o->sqlite, o->query, o->table, err);
    else
        st = m2c_err_set(err, M2C_ERR_INVALID, "dataset: give a CSV file or a SQLite database");
    if (st) goto out;
    if (t.n_rows == 0) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "%s: the table has no rows", src);
        goto out;
    }
    long target = -1, key = -1;
    if (o->target) {
        target = find_col(&t, o->target, strlen(o->target));
        if (target < 0) {
            st = missing(&t, "target", o->target, strlen(o->target), err);
            goto out;
        }
        if ((st = usable(&t.c[target], "target", err))) goto out;
    }
    if (o->split_by) {
        key = find_col(&t, o->split_by, strlen(o->split_by));
        if (key < 0) {
            st = missing(&t, "split", o->split_by, strlen(o->split_by), err);
            goto out;
        }
        if ((st = usable(&t.c[key], "split", err))) goto out;
    }
    sel = malloc(t.n_cols * sizeof *sel);
    d = calloc(1, sizeof *d);
    if (!sel || !d) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t nf = 0;
    if (o->features) {
        const char *p = o->features;
        while (*p) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            long c = find_col(&t, p, len);
            if (c < 0) {
                st = missing(&t, "feature", p, len, err);
                goto out;
            }
            if ((st = usable(&t.c[c], "feature", err))) goto out;
            if (c == target) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "feature '%s' is the target", t.c[c].name);
                goto out;
            }
            for (size_t k = 0; k < nf; k++)
                if (sel[k] == c) {
                    st = m2c_err_set(err, M2C_ERR_INVALID, "feature '%s' is listed twice",
                                     t.c[c].name);
                    goto out;
                }
            if (nf == t.n_cols) break;
            sel[nf++] = c;
            p = e ? e + 1 : p + len;
        }
    } else {
        d->ignored = calloc(t.n_cols, sizeof *d->ignored);
        if (!d->ignored) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t c = 0; c < t.n_cols; c++) {
            if ((long)c == target || (long)c == key) continue;
            if (!t.c[c].numeric) {
                d->ignored[d->n_ignored++] = strdup(t.c[c].name);
                continue;
            }
            if ((st = usable(&t.c[c], "feature", err))) goto out;
            sel[nf++] = (long)c;
        }
    }
    if (nf == 0) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "%s: no numeric feature columns", src);
        goto out;
    }
    d->n_rows = t.n_rows;
    d->n_features = nf;
    d->names = calloc(nf, sizeof *d->names);
    d->x = malloc(t.n_rows * nf * sizeof *d->x);
    if (!d->names || !d->x) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < nf; k++) {
        if (!(d->names[k] = strdup(t.c[sel[k]].name))) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t r = 0; r < t.n_rows; r++)
            d->x[r * nf + k] = t.c[sel[k]].v[r];
    }
    if (target >= 0) {
        d->target = strdup(t.c[target].name);
        d->y = t.c[target].v, t.c[target].v = NULL;
    }
    if (key >= 0) {
        d->key_name = strdup(t.c[key].name);
        if (key == target) {
            d->key = malloc(t.n_rows * sizeof *d->key);
            if (d->key) memcpy(d->key, d->y, t.n_rows * sizeof *d->key);
        } else {
            d->key = t.c[key].v, t.c[key].v = NULL;
        }
        if (!d->key) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    *out = d;
    d = NULL;
out:
    free(sel);
    m2c_dataset_free(d);
    table_free(&t);
    return st;
}

/* ---------------------------------------------------------------- subsets and splits */

m2c_status m2c_dataset_subset(m2c_dataset **out, const m2c_dataset *d, const size_t *idx, size_t n,
                              m2c_err *err) {
    *out = NULL;
    m2c_dataset *s = calloc(1, sizeof *s);
    if (!s) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    size_t nf = d->n_features;
    s->n_rows = n;
    s->n_features = nf;
    s->names = calloc(nf, sizeof *s->names);
    s->x = malloc((n ? n : 1) * nf * sizeof *s->x);
    int ok = s->names && s->x;
    for (size_t k = 0; ok && k < nf; k++)
        ok = (s->names[k] = strdup(d->names[k])) != NULL;
    if (ok && d->target)
        ok = (s->target = strdup(d->target)) && (s->y = malloc((n ? n : 1) * sizeof *s->y));
    if (ok && d->key)
        ok = (s->key_name = strdup(d->key_name)) && (s->key = malloc((n ? n : 1) * sizeof *s->key));
    if (!ok) {
        m2c_dataset_free(s);
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(s->x + i * nf, d->x + idx[i] * nf, nf * sizeof *s->x);
        if (d->y) s->y[i] = d->y[idx[i]];
        if (d->key) s->key[i] = d->key[idx[i]];
    }
    *out = s;
    return M2C_OK;
}

static m2c_status split_at(m2c_dataset **train, m2c_dataset **test, const m2c_dataset *d,
                           const size_t *order, double test_frac, m2c_err *err) {
    *train = *test = NULL;
    if (!(test_frac > 0 && test_frac < 1))
        return m2c_err_set(err, M2C_ERR_RANGE, "split fraction %g is not in (0, 1)", test_frac);
    if (d->n_rows < 2)
        return m2c_err_set(err, M2C_ERR_INVALID, "cannot split %zu row(s)", d->n_rows);
    size_t nt = (size_t)llround(test_frac * (double)d->n_rows);
    if (nt < 1) nt = 1;
    if (nt > d->n_rows - 1) nt = d->n_rows - 1;
    size_t ntr = d->n_rows - nt;
    m2c_status st = m2c_dataset_subset(train, d, order, ntr, err);
    if (st) return st;
    if ((st = m2c_dataset_subset(test, d, order + ntr, nt, err))) {
        m2c_dataset_free(*train);
        *train = NULL;
    }
    return st;
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

m2c_status m2c_dataset_split_random(m2c_dataset **train, m2c_dataset **test, const m2c_dataset *d,
                                    double test_frac, uint64_t seed, m2c_err *err) {
    size_t *order = malloc((d->n_rows ? d->n_rows : 1) * sizeof *order);
    if (!order) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->n_rows; i++)
        order[i] = i;
    uint64_t s = seed;
    for (size_t i = d->n_rows; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)(splitmix(&s) % i);
        size_t tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    m2c_status st = split_at(train, test, d, order, test_frac, err);
    free(order);
    return st;
}

static const double *sort_keys;
static int by_key(const void *a, const void *b) {
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (sort_keys[i] < sort_keys[j]) return -1;
    if (sort_keys[i] > sort_keys[j]) return 1;
    return i < j ? -1 : i > j; /* stable */
}

m2c_status m2c_dataset_split_ordered(m2c_dataset **train, m2c_dataset **test, const m2c_dataset *d,
                                     double test_frac, m2c_err *err) {
    if (!d->key) {
        *train = *test = NULL;
        return m2c_err_set(err, M2C_ERR_STATE, "ordered split needs a split key column");
    }
    size_t *order = malloc((d->n_rows ? d->n_rows : 1) * sizeof *order);
    if (!order) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->n_rows; i++)
        order[i] = i;
    sort_keys = d->key; /* qsort has no context argument in C11 */
    qsort(order, d->n_rows, sizeof *order, by_key);
    sort_keys = NULL;
    m2c_status st = split_at(train, test, d, order, test_frac, err);
    free(order);
    return st;
}

void m2c_dataset_stats(const m2c_dataset *d, double *mean, double *std) {
    size_t nf = d->n_features;
    for (size_t k = 0; k < nf; k++) {
        double m = 0, s = 0;
        for (size_t r = 0; r < d->n_rows; r++)
            m += d->x[r * nf + k];
        m /= d->n_rows ? (double)d->n_rows : 1;
        for (size_t r = 0; r < d->n_rows; r++) {
            double e = d->x[r * nf + k] - m;
            s += e * e;
        }
        mean[k] = m;
        std[k] = d->n_rows ? sqrt(s / (double)d->n_rows) : 0;
    }
}

m2c_status m2c_dataset_select(m2c_dataset *d, char *const *names, size_t n, m2c_err *err) {
    size_t nf = d->n_features;
    size_t *map = malloc((n ? n : 1) * sizeof *map);
    if (!map) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        size_t j = 0;
        while (j < nf && strcmp(d->names[j], names[k]))
            j++;
        if (j == nf) {
            free(map);
            return m2c_err_set(err, M2C_ERR_NOTFOUND, "the data has no feature column '%s'",
                               names[k]);
        }
        map[k] = j;
    }
    double *x = malloc((d->n_rows ? d->n_rows : 1) * (n ? n : 1) * sizeof *x);
    char **nm = calloc(n ? n : 1, sizeof *nm);
    int ok = x && nm;
    for (size_t k = 0; ok && k < n; k++)
        ok = (nm[k] = strdup(names[k])) != NULL;
    if (!ok) {
        if (nm)
            for (size_t k = 0; k < n; k++)
                free(nm[k]);
        free(nm);
        free(x);
        free(map);
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    }
    for (size_t r = 0; r < d->n_rows; r++)
        for (size_t k = 0; k < n; k++)
            x[r * n + k] = d->x[r * nf + map[k]];
    for (size_t k = 0; k < nf; k++)
        free(d->names[k]);
    free(d->names);
    free(d->x);
    d->names = nm;
    d->x = x;
    d->n_features = n;
    free(map);
    return M2C_OK;
}
