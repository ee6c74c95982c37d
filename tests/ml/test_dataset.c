/* Tests for src/ml/dataset.c: CSV dialect (quotes, CRLF, BOM, blank lines), column typing,
 * the errors that name rows and columns, SQLite typing (INTEGER/REAL/TEXT/NULL), seeded and
 * time-ordered splits, statistics and feature selection. */
#include <math.h>
#include <sqlite3.h>
#include <unistd.h>

#include "ml2chain/buf.h"
#include "ml2chain/dataset.h"
#include "test.h"
#include "scratch.h"

static const char *write_file(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", m2c_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static m2c_status load_csv(m2c_dataset **d, const char *text, const char *target,
                           const char *features, m2c_err *e) {
    m2c_dataset_opts o;
    memset(&o, 0, sizeof o);
    o.csv = write_file("t.csv", text);
    o.target = target;
    o.features = features;
    return m2c_dataset_load(d, &o, e);
}

TEST(test_dataset_csv__quotes_crlf_bom_and_blank_lines) {
    m2c_dataset *d = NULL;
    m2c_err e;
    const char *csv = "\xef\xbb\xbf\"a,1\",\"b\"\"q\",name,y\r\n"
                      "1.5,-2e3,\"x, y\",0\r\n"
                      "\r\n"
                      "\"3\", 4 ,plain,1\n";
    REQUIRE(load_csv(&d, csv, "y", NULL, &e) == M2C_OK);
    CHECK_EQ_INT(d->n_rows, 2);
    CHECK_EQ_INT(d->n_features, 2);
    CHECK_EQ_STR(d->names[0], "a,1");
    CHECK_EQ_STR(d->names[1], "b\"q");
    CHECK(d->x[0] == 1.5 && d->x[1] == -2000 && d->x[2] == 3 && d->x[3] == 4);
    CHECK(d->y[0] == 0 && d->y[1] == 1);
    CHECK_EQ_INT(d->n_ignored, 1);
    CHECK_EQ_STR(d->ignored[0], "name");
    m2c_dataset_free(d);
}

TEST(test_dataset_csv__errors_name_rows_and_columns) {
    m2c_dataset *d = NULL;
    m2c_err e;
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n,1\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "feature column 'a', row 2: an empty cell ('')");
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n1e999,1\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "feature column 'a', row 2: NaN/inf ('1e999')");
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n2,-inf\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "target column 'y', row 2: NaN/inf ('-inf')");
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n0x10,1\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "not a number ('0x10')") != NULL);
    CHECK_EQ_INT(load_csv(&d, "a,b,y\nq,1,0\n", "y", "a", &e), M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "feature column 'a' is not numeric (row 1: 'q')");
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n2,1,3\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "line 3 has more than the header's 2 columns") != NULL);
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n2\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "line 3 has 1 columns, the header 2") != NULL);
    CHECK_EQ_INT(load_csv(&d, "a,y\n\"1,0\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "quote") != NULL);
    CHECK_EQ_INT(e.offset, 4);
    CHECK_EQ_INT(load_csv(&d, "a,y\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "no rows") != NULL);
    CHECK_EQ_INT(load_csv(&d, "", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n", "z", NULL, &e), M2C_ERR_NOTFOUND);
    CHECK_EQ_STR(e.msg, "no target column 'z' (columns: a, y)");
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n", "y", "a,b", &e), M2C_ERR_NOTFOUND);
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n", "y", "a,a", &e), M2C_ERR_INVALID);
    CHECK_EQ_INT(load_csv(&d, "a,y\n1,0\n", "y", "a,y", &e), M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "feature 'y' is the target");
    CHECK_EQ_INT(load_csv(&d, "s,y\nq,0\n", "y", NULL, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "no numeric feature columns") != NULL);
    CHECK(d == NULL);
    /* a junk cell in a column nobody uses is fine */
    REQUIRE(load_csv(&d, "a,b,y\n1,2,0\n3,x,1\n", "y", "a", &e) == M2C_OK);
    CHECK_EQ_INT(d->n_features, 1);
    m2c_dataset_free(d);
}

TEST(test_dataset_sqlite__types_nulls_and_queries) {
    char path[256];
    snprintf(path, sizeof path, "%s/t.sqlite", m2c_test_tmpdir());
    sqlite3 *db;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "CREATE TABLE t (blk INTEGER, v REAL, wei TEXT, y INTEGER);"
                         "INSERT INTO t VALUES (3, 0.5, '500000000000000000', 1);"
                         "INSERT INTO t VALUES (1, 1.5, '1500000000000000000', 0);"
                         "INSERT INTO t VALUES (2, 2.5, 'x', 1);"
                         "CREATE TABLE n (v REAL, y INTEGER);"
                         "INSERT INTO n VALUES (1, 0); INSERT INTO n VALUES (NULL, 1);",
                         NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    m2c_dataset_opts o;
    memset(&o, 0, sizeof o);
    o.sqlite = path;
    o.table = "t";
    o.target = "y";
    o.split_by = "blk";
    m2c_dataset *d = NULL;
    m2c_err e;
    REQUIRE(m2c_dataset_load(&d, &o, &e) == M2C_OK);
    CHECK_EQ_INT(d->n_features, 1); /* blk is the key, wei is TEXT */
    CHECK_EQ_STR(d->names[0], "v");
    CHECK_EQ_INT(d->n_ignored, 1);
    CHECK(d->key[0] == 3 && d->key[1] == 1);
    m2c_dataset *tr = NULL, *te = NULL;
    REQUIRE(m2c_dataset_split_ordered(&tr, &te, d, 0.34, &e) == M2C_OK);
    CHECK_EQ_INT(te->n_rows, 1);
    CHECK(te->key[0] == 3 && te->x[0] == 0.5); /* the latest block is held out */
    CHECK(tr->key[0] == 1 && tr->key[1] == 2);
    m2c_dataset_free(tr), m2c_dataset_free(te), m2c_dataset_free(d);
    o.table = NULL, o.split_by = NULL;
    o.query = "SELECT v * 2 AS v2, y FROM t WHERE blk < 3";
    REQUIRE(m2c_dataset_load(&d, &o, &e) == M2C_OK);
    CHECK_EQ_INT(d->n_rows, 2);
    CHECK_EQ_STR(d->names[0], "v2");
    CHECK(d->x[0] == 3 && d->x[1] == 5);
    m2c_dataset_free(d);
    o.query = "SELECT wei, y FROM t";
    o.features = "wei";
    CHECK_EQ_INT(m2c_dataset_load(&d, &o, &e), M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "feature column 'wei' is not numeric (row 1: '500000000000000000')");
    o.features = NULL;
    o.query = "SELEKT 1";
    CHECK_EQ_INT(m2c_dataset_load(&d, &o, &e), M2C_ERR_DB);
    CHECK(strstr(e.msg, "syntax error") != NULL);
    o.query = NULL;
    o.table = "n";
    CHECK_EQ_INT(m2c_dataset_load(&d, &o, &e), M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "feature column 'v', row 2: NULL ('NULL')");
    o.table = "missing";
    CHECK_EQ_INT(m2c_dataset_load(&d, &o, &e), M2C_ERR_DB);
    CHECK(strstr(e.msg, "no such table") != NULL);
}

static m2c_dataset *numbered(size_t n) {
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if (m2c_buf_append_str(&b, "i,k,y\n")) return NULL;
    for (size_t i = 0; i < n; i++)
        if (m2c_buf_printf(&b, "%zu,%zu,%zu\n", i, (i * 7) % n, i % 2)) return NULL;
    m2c_dataset *d = NULL;
    m2c_dataset_opts o;
    memset(&o, 0, sizeof o);
    o.csv = write_file("n.csv", (const char *)b.p);
    o.target = "y";
    o.features = "i";
    o.split_by = "k";
    m2c_err e;
    if (m2c_dataset_load(&d, &o, &e)) d = NULL;
    m2c_buf_free(&b);
    return d;
}

TEST(test_dataset_split__random_is_seeded_disjoint_and_complete) {
    m2c_dataset *d = numbered(101), *a = NULL, *b = NULL, *c = NULL, *e2 = NULL;
    REQUIRE(d);
    m2c_err e;
    REQUIRE(m2c_dataset_split_random(&a, &b, d, 0.2, 42, &e) == M2C_OK);
    CHECK_EQ_INT(b->n_rows, 20); /* round(20.2) */
    CHECK_EQ_INT(a->n_rows, 81);
    int seen[101] = {0};
    for (size_t i = 0; i < a->n_rows; i++)
        seen[(int)a->x[i]]++;
    for (size_t i = 0; i < b->n_rows; i++)
        seen[(int)b->x[i]]++;
    for (int i = 0; i < 101; i++)
        CHECK_EQ_INT(seen[i], 1);
    for (size_t i = 0; i < a->n_rows; i++)
        CHECK(a->y[i] == (double)((int)a->x[i] % 2));
    REQUIRE(m2c_dataset_split_random(&c, &e2, d, 0.2, 42, &e) == M2C_OK);
    CHECK(memcmp(b->x, e2->x, 20 * sizeof(double)) == 0);
    m2c_dataset_free(c), m2c_dataset_free(e2);
    REQUIRE(m2c_dataset_split_random(&c, &e2, d, 0.2, 43, &e) == M2C_OK);
    CHECK(memcmp(b->x, e2->x, 20 * sizeof(double)) != 0);
    m2c_dataset_free(c), m2c_dataset_free(e2);
    CHECK_EQ_INT(m2c_dataset_split_random(&c, &e2, d, 1.0, 1, &e), M2C_ERR_RANGE);
    CHECK_EQ_INT(m2c_dataset_split_random(&c, &e2, d, 0.0, 1, &e), M2C_ERR_RANGE);
    m2c_dataset_free(a), m2c_dataset_free(b);
    /* tiny sets keep at least one row on each side */
    m2c_dataset *t = numbered(2);
    REQUIRE(t);
    REQUIRE(m2c_dataset_split_random(&a, &b, t, 0.01, 1, &e) == M2C_OK);
    CHECK(a->n_rows == 1 && b->n_rows == 1);
    m2c_dataset_free(a), m2c_dataset_free(b), m2c_dataset_free(t);
    m2c_dataset_free(d);
}

TEST(test_dataset_split__ordered_holds_out_the_latest_keys) {
    m2c_dataset *d = numbered(50), *a = NULL, *b = NULL;
    REQUIRE(d);
    m2c_err e;
    REQUIRE(m2c_dataset_split_ordered(&a, &b, d, 0.3, &e) == M2C_OK);
    CHECK_EQ_INT(b->n_rows, 15);
    double max_train = -1, min_test = 1e9;
    for (size_t i = 0; i < a->n_rows; i++)
        max_train = fmax(max_train, a->key[i]);
    for (size_t i = 0; i < b->n_rows; i++)
        min_test = fmin(min_test, b->key[i]);
    CHECK(max_train < min_test);
    for (size_t i = 1; i < b->n_rows; i++)
        CHECK(b->key[i - 1] <= b->key[i]);
    m2c_dataset_free(a), m2c_dataset_free(b), m2c_dataset_free(d);
}

TEST(test_dataset_stats_and_select) {
    m2c_dataset *d = NULL;
    m2c_err e;
    REQUIRE(load_csv(&d, "a,b,c,y\n1,10,5,0\n3,10,6,1\n5,10,7,0\n", "y", NULL, &e) == M2C_OK);
    double mean[3], sd[3];
    m2c_dataset_stats(d, mean, sd);
    CHECK(mean[0] == 3 && fabs(sd[0] - sqrt(8.0 / 3)) < 1e-12);
    CHECK(mean[1] == 10 && sd[1] == 0);
    char *names[2] = {"c", "a"};
    REQUIRE(m2c_dataset_select(d, names, 2, &e) == M2C_OK);
    CHECK_EQ_INT(d->n_features, 2);
    CHECK(d->x[0] == 5 && d->x[1] == 1 && d->x[4] == 7 && d->x[5] == 5);
    char *bad[1] = {"zz"};
    CHECK_EQ_INT(m2c_dataset_select(d, bad, 1, &e), M2C_ERR_NOTFOUND);
    m2c_dataset_free(d);
}

TEST_MAIN(T(test_dataset_csv__quotes_crlf_bom_and_blank_lines),
          T(test_dataset_csv__errors_name_rows_and_columns),
          T(test_dataset_sqlite__types_nulls_and_queries),
          T(test_dataset_split__random_is_seeded_disjoint_and_complete),
          T(test_dataset_split__ordered_holds_out_the_latest_keys),
          T(test_dataset_stats_and_select))
