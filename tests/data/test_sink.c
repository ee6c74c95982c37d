/* Tests for src/data/sink*.c: the SQLite, CSV and JSONL sinks without a chain, and the
 * PostgreSQL sink's rewind when M2C_PG_URL names a server (scripts/test.sh starts one). */
#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml2chain/sink.h"
#include "test.h"
#include "scratch.h"

static const m2c_sink_col cols[] = {
    {"block_number", M2C_COL_INT}, {"tx", M2C_COL_TEXT}, {"value", M2C_COL_NUMERIC},
    {"value_f", M2C_COL_REAL},     {"ok", M2C_COL_BOOL},
};
static const m2c_sink_table tables[] = {{"Transfer", cols, 5, 0}, {"Other", cols, 3, 0}};
static const m2c_sink_schema schema = {"logs address=0x01", tables, 2};
static const m2c_sink_schema schema_one = {"logs address=0x01", tables, 1};
static const m2c_sink_schema schema_other = {"logs address=0x02", tables, 2};

#define MAX_U256 "115792089237316195423570985008687907853269984665640564039457584007913129639935"

static char *tmp_path(const char *suffix) {
    static int n;
    char *p = NULL;
    if (asprintf(&p, "%s/sink-%d%s", m2c_test_tmpdir(), n++, suffix) < 0) return NULL;
    return p;
}

static void rm_outputs(const char *p) {
    char q[512];
    unlink(p);
    const char *sfx[] = {".meta.json", "-wal", "-shm", ".meta.json.tmp", "-journal"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(q, sizeof q, "%s%s", p, sfx[i]);
        unlink(q);
    }
}

static m2c_status put_row(m2c_sink *s, size_t t, int64_t block, const char *tx, const char *val,
                          double d, int ok) {
    m2c_sink_val v[5] = {{0}};
    v[0].i = block;
    v[1].s = tx;
    v[1].n = strlen(tx);
    v[2].s = val;
    v[2].n = strlen(val);
    v[3].d = d;
    v[4].i = ok;
    return m2c_sink_row(s, t, v, NULL);
}

static const char *H1 = "0x1111111111111111111111111111111111111111111111111111111111111111";
static const char *H2 = "0x2222222222222222222222222222222222222222222222222222222222222222";

/* Writes two chunks ([10,19] with 2 rows, [20,29] with 1 row) into a fresh sink. */
static int write_two_chunks(const char *path, const m2c_sink_schema *sc) {
    m2c_sink *s = NULL;
    m2c_err e;
    if (m2c_sink_open(&s, path, sc, &e) != M2C_OK) {
        fprintf(stderr, "  open: %s\n", e.msg);
        return 0;
    }
    int ok = m2c_sink_begin(s, &e) == M2C_OK &&
             put_row(s, 0, 12, "a,\"b\"\nc", MAX_U256, 1.5, 1) == M2C_OK &&
             put_row(s, 0, 15, "plain", "-42", -42.0, 0) == M2C_OK &&
             m2c_sink_block(s, 12, H1, &e) == M2C_OK &&
             m2c_sink_meta(s, "chain_id", "31337", &e) == M2C_OK &&
             m2c_sink_commit(s, 10, 19, &e) == M2C_OK && m2c_sink_begin(s, &e) == M2C_OK &&
             put_row(s, 0, 25, "third", "7", 7.0, 1) == M2C_OK &&
             m2c_sink_block(s, 25, H2, &e) == M2C_OK && m2c_sink_commit(s, 20, 29, &e) == M2C_OK;
    m2c_sink_close(s);
    return ok;
}

static void check_reopened(const char *path, const m2c_sink_schema *sc) {
    m2c_sink *s = NULL;
    m2c_err e;
    REQUIRE(m2c_sink_open(&s, path, sc, &e) == M2C_OK);
    size_t n;
    const m2c_block_range *d = m2c_sink_done(s, &n);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK_EQ_INT(d[0].from, 10);
        CHECK_EQ_INT(d[0].to, 29);
    }
    CHECK_EQ_INT(m2c_sink_rows(s, 0), 3);
    char h[67];
    CHECK(m2c_sink_block_hash(s, h, 25, &e) == M2C_OK);
    CHECK_EQ_STR(h, H2);
    CHECK(m2c_sink_block_hash(s, h, 26, &e) == M2C_ERR_NOTFOUND);
    uint64_t b;
    CHECK(m2c_sink_block_before(s, &b, 24, &e) == M2C_OK);
    CHECK_EQ_INT(b, 12);
    CHECK(m2c_sink_block_before(s, &b, 11, &e) == M2C_ERR_NOTFOUND);
    m2c_sink_close(s);
}

TEST(test_sink_sqlite__stores_exact_values_and_checkpoints) {
    char *p = tmp_path(".sqlite");
    REQUIRE(write_two_chunks(p, &schema));
    check_reopened(p, &schema);
    sqlite3 *db;
    REQUIRE(sqlite3_open(p, &db) == SQLITE_OK);
    sqlite3_stmt *q;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT block_number, tx, value, typeof(value), value_f, ok FROM "
                               "Transfer ORDER BY block_number",
                               -1, &q, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    CHECK_EQ_INT(sqlite3_column_int64(q, 0), 12);
    CHECK_EQ_STR((const char *)sqlite3_column_text(q, 1), "a,\"b\"\nc");
    CHECK_EQ_STR((const char *)sqlite3_column_text(q, 2), MAX_U256);
    CHECK_EQ_STR((const char *)sqlite3_column_text(q, 3), "text");
    CHECK(sqlite3_column_double(q, 4) == 1.5);
    CHECK_EQ_INT(sqlite3_column_int(q, 5), 1);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    CHECK_EQ_STR((const char *)sqlite3_column_text(q, 2), "-42");
    sqlite3_finalize(q);
    REQUIRE(sqlite3_prepare_v2(db, "SELECT value FROM _m2c_meta WHERE key = 'chain_id'", -1, &q,
                               NULL) == SQLITE_OK);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    CHECK_EQ_STR((const char *)sqlite3_column_text(q, 0), "31337");
    sqlite3_finalize(q);
    REQUIRE(sqlite3_prepare_v2(db, "SELECT value FROM _m2c_meta WHERE key = 'rows.Transfer'", -1,
                               &q, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    CHECK_EQ_STR((const char *)sqlite3_column_text(q, 0), "3");
    sqlite3_finalize(q);
    sqlite3_close(db);
    rm_outputs(p);
    free(p);
}

static long count_rows(const char *path, const char *sql) {
    sqlite3 *db;
    sqlite3_stmt *q;
    long n = -1;
    if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

TEST(test_sink_sqlite__uncommitted_chunk_leaves_no_trace) {
    char *p = tmp_path(".sqlite");
    REQUIRE(write_two_chunks(p, &schema));
    m2c_sink *s = NULL;
    m2c_err e;
    REQUIRE(m2c_sink_open(&s, p, &schema, &e) == M2C_OK);
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 31, "lost", "1", 1, 1) == M2C_OK);
    m2c_sink_close(s); /* as if killed before commit */
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), 3);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM _m2c_checkpoints WHERE to_block > 29"), 0);
    check_reopened(p, &schema);
    rm_outputs(p);
    free(p);
}

TEST(test_sink_sqlite__new_file_has_64k_pages_in_wal_and_old_page_size_is_kept) {
    char *p = tmp_path(".sqlite");
    REQUIRE(write_two_chunks(p, &schema));
    CHECK_EQ_INT(count_rows(p, "PRAGMA page_size"), 65536);
    /* a dataset written with 4 KiB pages (as before) is resumed as it is */
    sqlite3 *db;
    REQUIRE(sqlite3_open(p, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; VACUUM; "
                       "PRAGMA journal_mode=WAL;",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ_INT(count_rows(p, "PRAGMA page_size"), 4096);
    m2c_sink *s = NULL;
    m2c_err e;
    REQUIRE(m2c_sink_open(&s, p, &schema, &e) == M2C_OK);
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 31, "new", "7", 7, 0) == M2C_OK);
    REQUIRE(m2c_sink_commit(s, 30, 39, &e) == M2C_OK);
    m2c_sink_close(s);
    CHECK_EQ_INT(count_rows(p, "PRAGMA page_size"), 4096);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), 4);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM _m2c_checkpoints WHERE to_block = 39"), 1);
    rm_outputs(p);
    free(p);
}

/* Writes n chunks of 1000 rows of 4 KB of hex text into table 0 of an open sink, blocks
 * first .. first + 1000n - 1, a chunk per 1000 blocks. */
static int write_big_chunks(m2c_sink *s, int64_t first, int n) {
    static char big[4001];
    m2c_err e;
    for (int i = 0; i < 4000; i++)
        big[i] = "0123456789abcdef"[m2c_test_rand() % 16];
    int64_t block = first;
    for (int chunk = 0; chunk < n; chunk++) {
        if (m2c_sink_begin(s, &e) != M2C_OK) return 0;
        for (int r = 0; r < 1000; r++, block++) {
            big[r % 4000] = "0123456789abcdef"[m2c_test_rand() % 16];
            if (put_row(s, 0, block, big, "1", 1, 1) != M2C_OK) return 0;
        }
        if (m2c_sink_commit(s, (uint64_t)block - 1000, (uint64_t)block - 1, &e) != M2C_OK) return 0;
    }
    return 1;
}

/* The WAL is copied into the database while the sink is open (every 16 MiB, by the
 * checkpointer thread), not only on close: SQLite's own hook would wait for 1000 frames,
 * 64 MiB with these pages, so without it the database file would not grow here. */
TEST(test_sink_sqlite__wal_is_checkpointed_while_writing_not_only_at_close) {
    char *p = tmp_path(".sqlite");
    m2c_sink *s = NULL;
    m2c_err e;
    REQUIRE(m2c_sink_open(&s, p, &schema, &e) == M2C_OK);
    REQUIRE(write_big_chunks(s, 0, 6)); /* ~24 MiB */
    struct stat st;
    int grown = 0;
    for (int waited = 0; waited < 100 && !grown; waited++) { /* up to 5 s for the thread */
        grown = stat(p, &st) == 0 && st.st_size >= (off_t)12 << 20;
        if (!grown) usleep(50000);
    }
    CHECK(grown);
    m2c_sink_close(s);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), 6000);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM _m2c_checkpoints"), 6);
    CHECK_EQ_INT(
        count_rows(p,
                   "SELECT count(*) FROM pragma_integrity_check() WHERE integrity_check != 'ok'"),
        0);
    rm_outputs(p);
    free(p);
}

/* The journal mode a new connection finds the file in ("wal", "delete"). */
static void journal_mode(const char *path, char out[16]) {
    sqlite3 *db;
    sqlite3_stmt *q;
    out[0] = 0;
    if (sqlite3_open(path, &db) != SQLITE_OK) return;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        snprintf(out, 16, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* Bulk: chunks are committed together, on flush or at 16 MiB of rows; the file has a
 * rollback journal meanwhile. A chunk that fails takes its group with it: the file keeps its
 * last commit. */
TEST(test_sink_sqlite__bulk_commits_chunks_in_groups_and_a_failed_chunk_takes_its_group) {
    char *p = tmp_path(".sqlite");
    m2c_sink *s = NULL;
    m2c_err e;
    char mode[16];
    REQUIRE(m2c_sink_open_ex(&s, p, &schema, M2C_SINK_BULK, &e) == M2C_OK);
    journal_mode(p, mode);
    CHECK_EQ_STR(mode, "delete");
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 12, "a", "1", 1, 1) == M2C_OK);
    CHECK(m2c_sink_flush(s, &e) == M2C_ERR_STATE); /* not inside a chunk */
    REQUIRE(m2c_sink_commit(s, 10, 19, &e) == M2C_OK);
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 25, "b", "2", 2, 1) == M2C_OK);
    REQUIRE(m2c_sink_commit(s, 20, 29, &e) == M2C_OK);
    CHECK_EQ_INT(m2c_sink_rows(s, 0), 2);
    /* grouped: another connection sees the file as it was before the group */
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), 0);
    REQUIRE(m2c_sink_flush(s, &e) == M2C_OK);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), 2);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM _m2c_checkpoints"), 2);
    REQUIRE(m2c_sink_flush(s, &e) == M2C_OK); /* nothing grouped: a no-op */
    /* a new group: one chunk committed, the next one fails before its commit */
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 31, "c", "3", 3, 1) == M2C_OK);
    REQUIRE(m2c_sink_commit(s, 30, 39, &e) == M2C_OK);
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 41, "lost", "4", 4, 1) == M2C_OK);
    CHECK(m2c_sink_commit(s, 49, 40, &e) == M2C_ERR_INVALID); /* reversed: the chunk fails */
    m2c_sink_close(s); /* stops with the chunk open: it goes, and the group with it */
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), 2);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer WHERE tx IN ('c', 'lost')"), 0);
    CHECK_EQ_INT(count_rows(p, "SELECT max(to_block) FROM _m2c_checkpoints"), 29);
    CHECK_EQ_INT(count_rows(p, "SELECT value FROM _m2c_meta WHERE key = 'rows.Transfer'"), 2);
    /* 16 MiB of rows end a group without a flush */
    REQUIRE(m2c_sink_open_ex(&s, p, &schema, M2C_SINK_BULK, &e) == M2C_OK);
    REQUIRE(write_big_chunks(s, 100, 5)); /* ~20 MB */
    long seen = count_rows(p, "SELECT count(*) FROM Transfer");
    CHECK(seen >= 2 + 4000); /* the fifth chunk crossed 16 MiB */
    m2c_sink_close(s);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), 5002);
    CHECK_EQ_INT(
        count_rows(p,
                   "SELECT count(*) FROM pragma_integrity_check() WHERE integrity_check != 'ok'"),
        0);
    /* opened live again (a follower): back in WAL */
    REQUIRE(m2c_sink_open(&s, p, &schema, &e) == M2C_OK);
    journal_mode(p, mode);
    CHECK_EQ_STR(mode, "wal");
    m2c_sink_close(s);
    rm_outputs(p);
    free(p);
}

/* A group whose COMMIT fails (here: a reader holds the file past the 5 s busy timeout) is gone
 * whole; the sink then refuses more chunks, and the file still holds its last commit. */
TEST(test_sink_sqlite__bulk_group_that_fails_to_commit_leaves_the_last_commit) {
    char *p = tmp_path(".sqlite");
    REQUIRE(write_two_chunks(p, &schema)); /* 3 rows, blocks 10..29 */
    m2c_sink *s = NULL;
    m2c_err e;
    REQUIRE(m2c_sink_open_ex(&s, p, &schema, M2C_SINK_BULK, &e) == M2C_OK);
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 31, "grouped", "3", 3, 1) == M2C_OK);
    REQUIRE(m2c_sink_commit(s, 30, 39, &e) == M2C_OK);
    sqlite3 *rd;
    REQUIRE(sqlite3_open(p, &rd) == SQLITE_OK);
    sqlite3_stmt *q;
    REQUIRE(sqlite3_prepare_v2(rd, "SELECT count(*) FROM Transfer", -1, &q, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_exec(rd, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW); /* holds its read lock until COMMIT */
    CHECK(m2c_sink_flush(s, &e) == M2C_ERR_DB);
    CHECK(strstr(e.msg, "locked") != NULL);
    CHECK(m2c_sink_begin(s, &e) == M2C_ERR_STATE);
    CHECK(strstr(e.msg, "earlier commit failed") != NULL);
    sqlite3_finalize(q);
    sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(rd);
    m2c_sink_close(s);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer WHERE tx = 'grouped'"), 0);
    check_reopened(p, &schema); /* blocks 10..29, 3 rows: as before the group */
    rm_outputs(p);
    free(p);
}

/* A reader holding the WAL file open: a bulk sink cannot switch the journal and stays in WAL,
 * committing chunk by chunk without waiting for the reader. */
TEST(test_sink_sqlite__bulk_stays_in_wal_beside_a_reader) {
    char *p = tmp_path(".sqlite");
    REQUIRE(write_two_chunks(p, &schema)); /* live: WAL */
    sqlite3 *rd;
    REQUIRE(sqlite3_open(p, &rd) == SQLITE_OK);
    REQUIRE(sqlite3_exec(rd, "BEGIN; SELECT count(*) FROM Transfer;", NULL, NULL, NULL) ==
            SQLITE_OK);
    m2c_sink *s = NULL;
    m2c_err e;
    REQUIRE(m2c_sink_open_ex(&s, p, &schema, M2C_SINK_BULK, &e) == M2C_OK);
    char mode[16];
    journal_mode(p, mode);
    CHECK_EQ_STR(mode, "wal");
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 31, "c", "3", 3, 1) == M2C_OK);
    REQUIRE(m2c_sink_commit(s, 30, 39, &e) == M2C_OK);
    CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), 4); /* committed at once */
    sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(rd);
    m2c_sink_close(s);
    rm_outputs(p);
    free(p);
}

static int file_bytes(const char *path, char *out, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    fclose(f);
    return (int)n;
}

TEST(test_sink__refuses_foreign_files) {
    char *p = tmp_path(".sqlite");
    FILE *f = fopen(p, "w");
    REQUIRE(f);
    fputs("not a database, just text\n", f);
    fclose(f);
    m2c_sink *s = NULL;
    m2c_err e;
    CHECK(m2c_sink_open(&s, p, &schema, &e) == M2C_ERR_STATE);
    char buf[128];
    CHECK_EQ_INT(file_bytes(p, buf, sizeof buf), 26);
    rm_outputs(p);
    free(p);
    p = tmp_path(".csv");
    f = fopen(p, "w");
    REQUIRE(f);
    fputs("a,b\n1,2\n", f);
    fclose(f);
    CHECK(m2c_sink_open(&s, p, &schema_one, &e) == M2C_ERR_STATE);
    CHECK(strstr(e.msg, "not an ml2chain dataset") != NULL);
    CHECK_EQ_INT(file_bytes(p, buf, sizeof buf), 8);
    struct stat sb;
    char side[512];
    snprintf(side, sizeof side, "%s.meta.json", p);
    CHECK(stat(side, &sb) != 0); /* nothing created beside it */
    rm_outputs(p);
    free(p);
}

TEST(test_sink_csv__quotes_fields_and_truncates_uncommitted_bytes) {
    char *p = tmp_path(".csv");
    REQUIRE(write_two_chunks(p, &schema_one));
    static char buf[1 << 16];
    const char *expect = "block_number,tx,value,value_f,ok\n"
                         "12,\"a,\"\"b\"\"\nc\"," MAX_U256 ",1.5,1\n"
                         "15,plain,-42,-42,0\n"
                         "25,third,7,7,1\n";
    file_bytes(p, buf, sizeof buf);
    CHECK_EQ_STR(buf, expect);
    /* a chunk half-written when the process died */
    FILE *f = fopen(p, "a");
    REQUIRE(f);
    fputs("31,half", f);
    fclose(f);
    check_reopened(p, &schema_one);
    file_bytes(p, buf, sizeof buf);
    CHECK_EQ_STR(buf, expect);
    rm_outputs(p);
    free(p);
}

TEST(test_sink_jsonl__writes_valid_json_with_exact_numbers) {
    char *p = tmp_path(".jsonl");
    m2c_sink *s = NULL;
    m2c_err e;
    REQUIRE(m2c_sink_open(&s, p, &schema_one, &e) == M2C_OK);
    REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
    REQUIRE(put_row(s, 0, 3, "caf\xc3\xa9 \x01 \xff", MAX_U256, 1.0 / 0.0, 1) == M2C_OK);
    REQUIRE(m2c_sink_commit(s, 0, 5, &e) == M2C_OK);
    m2c_sink_close(s);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    REQUIRE(j != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "block_number")), 3);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "value")), MAX_U256);
    CHECK(json_is_null(json_object_get(j, "value_f"))); /* infinity is not JSON */
    CHECK(json_is_true(json_object_get(j, "ok")));
    CHECK_EQ_STR(json_string_value(json_object_get(j, "tx")), "caf\xc3\xa9 \x01 \xc3\xbf");
    json_decref(j);
    rm_outputs(p);
    free(p);
}

TEST(test_sink__several_tables_go_to_files_named_after_them) {
    char *p = tmp_path(".csv");
    REQUIRE(write_two_chunks(p, &schema));
    char q[512];
    snprintf(q, sizeof q, "%.*s.Transfer.csv", (int)(strlen(p) - 4), p);
    static char buf[1 << 16];
    CHECK(file_bytes(q, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "25,third,7,7,1\n") != NULL);
    unlink(q);
    snprintf(q, sizeof q, "%.*s.Other.csv", (int)(strlen(p) - 4), p);
    CHECK_EQ_INT(file_bytes(q, buf, sizeof buf), (int)strlen("block_number,tx,value\n"));
    unlink(q);
    rm_outputs(p);
    free(p);
}

/* A fresh schema on the M2C_PG_URL server, and the sink target that writes into it; NULL when
 * no server is given. drop_pg_schema removes it. */
static char *pg_target(const char *pg_schema) {
    const char *url = getenv("M2C_PG_URL");
    if (!url || !*url) return NULL;
    PGconn *c = PQconnectdb(url);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SET client_min_messages TO warning; DROP SCHEMA IF EXISTS %s CASCADE; "
             "CREATE SCHEMA %s",
             pg_schema, pg_schema);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "  %s: %s", url, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    char *t = NULL;
    if (!ok || asprintf(&t, "%s%soptions=-csearch_path%%3D%s", url, strchr(url, '?') ? "&" : "?",
                        pg_schema) < 0)
        return NULL;
    return t;
}

static void drop_pg_schema(const char *pg_schema) {
    PGconn *c = PQconnectdb(getenv("M2C_PG_URL"));
    char sql[128];
    snprintf(sql, sizeof sql, "SET client_min_messages TO warning; DROP SCHEMA %s CASCADE",
             pg_schema);
    PQclear(PQexec(c, sql));
    PQfinish(c);
}

/* Backend tests run on outputs 0..n_outputs()-1: SQLite, CSV, JSONL, and (when M2C_PG_URL is
 * set) a fresh PostgreSQL schema named `pg_schema`. */
static size_t n_outputs(void) {
    const char *url = getenv("M2C_PG_URL");
    return url && *url ? 4 : 3;
}

static char *output_target(size_t k, const char *pg_schema) {
    static const char *const sfx[] = {".sqlite", ".csv", ".jsonl"};
    return k < 3 ? tmp_path(sfx[k]) : pg_target(pg_schema);
}

static void output_remove(size_t k, char *target, const char *pg_schema) {
    if (k < 3)
        rm_outputs(target);
    else
        drop_pg_schema(pg_schema);
    free(target);
}

TEST(test_sink__refuses_output_with_another_dataset_and_leaves_it_unchanged) {
    char pg_schema[64];
    snprintf(pg_schema, sizeof pg_schema, "m2c_sink_refuse_%ld", (long)getpid());
    for (size_t k = 0; k < n_outputs(); k++) {
        char *p = output_target(k, pg_schema);
        REQUIRE(p);
        const m2c_sink_schema *mine = k == 1 || k == 2 ? &schema_one : &schema;
        REQUIRE(write_two_chunks(p, mine));
        static char before[1 << 16], after[1 << 16];
        int nb = k < 3 ? file_bytes(p, before, sizeof before) : 0;
        m2c_sink *s = NULL;
        m2c_err e;
        m2c_err_clear(&e);
        CHECK(m2c_sink_open(&s, p, &schema_other, &e) == M2C_ERR_STATE);
        CHECK(s == NULL);
        CHECK(strstr(e.msg, "holds another dataset") != NULL);
        CHECK(strstr(e.msg, k < 3 ? "choose another --out" : "choose another database") != NULL);
        /* same identity, other tables: refused too */
        m2c_err_clear(&e);
        CHECK(m2c_sink_open(&s, p, mine == &schema ? &schema_one : &schema, &e) == M2C_ERR_STATE);
        CHECK(s == NULL);
        CHECK(strstr(e.msg, "holds the same filter with other tables/columns") != NULL);
        CHECK(strstr(e.msg, k < 3 ? "choose another --out" : "choose another database") != NULL);
        if (k < 3) {
            int na = file_bytes(p, after, sizeof after);
            CHECK_EQ_INT(na, nb);
            CHECK(nb > 0 && memcmp(before, after, (size_t)nb) == 0);
        } else {
            /* the refused opens changed nothing: the dataset reopens whole */
            REQUIRE(m2c_sink_open(&s, p, mine, &e) == M2C_OK);
            CHECK_EQ_INT(m2c_sink_rows(s, 0), 3);
            size_t n;
            const m2c_block_range *d = m2c_sink_done(s, &n);
            CHECK(n == 1 && d[0].from == 10 && d[0].to == 29);
            m2c_sink_close(s);
        }
        output_remove(k, p, pg_schema);
    }
}

TEST(test_sink__rewind_removes_rows_at_and_above_the_block) {
    char pg_schema[64];
    snprintf(pg_schema, sizeof pg_schema, "m2c_sink_rewind_%ld", (long)getpid());
    for (size_t k = 0; k < n_outputs(); k++) {
        char *p = output_target(k, pg_schema);
        REQUIRE(p);
        REQUIRE(write_two_chunks(p, &schema_one));
        m2c_sink *s = NULL;
        m2c_err e;
        REQUIRE(m2c_sink_open(&s, p, &schema_one, &e) == M2C_OK);
        CHECK(m2c_sink_rewind(s, 22, &e) == M2C_OK);
        size_t n;
        const m2c_block_range *d = m2c_sink_done(s, &n);
        REQUIRE(n == 1);
        /* SQLite and PostgreSQL keep 20..21; files can only drop the whole chunk 20..29 */
        CHECK_EQ_INT(d[0].to, k == 0 || k == 3 ? 21 : 19);
        CHECK_EQ_INT(m2c_sink_rows(s, 0), 2);
        char h[67];
        CHECK(m2c_sink_block_hash(s, h, 25, &e) == M2C_ERR_NOTFOUND);
        /* the rewind is stored whole: rows, checkpoints and the provenance's row count */
        m2c_sink_close(s);
        REQUIRE(m2c_sink_open(&s, p, &schema_one, &e) == M2C_OK);
        CHECK_EQ_INT(m2c_sink_rows(s, 0), 2);
        const char *counted = m2c_sink_meta_get(s, "rows.Transfer");
        CHECK_EQ_STR(counted ? counted : "(none)", "2");
        d = m2c_sink_done(s, &n);
        REQUIRE(n == 1);
        CHECK_EQ_INT(d[0].to, k == 0 || k == 3 ? 21 : 19);
        /* write the replacement chunk, then reopen */
        REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
        REQUIRE(put_row(s, 0, 26, "new", "8", 8, 0) == M2C_OK);
        REQUIRE(m2c_sink_commit(s, d[0].to + 1, 29, &e) == M2C_OK);
        m2c_sink_close(s);
        REQUIRE(m2c_sink_open(&s, p, &schema_one, &e) == M2C_OK);
        CHECK_EQ_INT(m2c_sink_rows(s, 0), 3);
        counted = m2c_sink_meta_get(s, "rows.Transfer");
        CHECK_EQ_STR(counted ? counted : "(none)", "3");
        d = m2c_sink_done(s, &n);
        CHECK(n == 1 && d[0].from == 10 && d[0].to == 29);
        m2c_sink_close(s);
        if (k == 1) {
            static char buf[1 << 16];
            file_bytes(p, buf, sizeof buf);
            CHECK(strstr(buf, "third") == NULL && strstr(buf, "26,new,8,8,0\n") != NULL);
        } else if (k == 0) {
            CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer WHERE block_number >= 22"),
                         1);
        }
        output_remove(k, p, pg_schema);
    }
}

TEST(test_sink__done_ranges_merge_and_sort) {
    char *p = tmp_path(".sqlite");
    m2c_sink *s = NULL;
    m2c_err e;
    REQUIRE(m2c_sink_open(&s, p, &schema_one, &e) == M2C_OK);
    uint64_t r[][2] = {{50, 59}, {10, 19}, {30, 39}, {20, 29}, {61, 70}};
    for (size_t i = 0; i < 5; i++) {
        REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
        REQUIRE(m2c_sink_commit(s, r[i][0], r[i][1], &e) == M2C_OK);
    }
    size_t n;
    const m2c_block_range *d = m2c_sink_done(s, &n);
    REQUIRE(n == 3);
    CHECK(d[0].from == 10 && d[0].to == 39);
    CHECK(d[1].from == 50 && d[1].to == 59);
    CHECK(d[2].from == 61 && d[2].to == 70);
    CHECK(m2c_sink_commit(s, 1, 2, &e) == M2C_ERR_STATE); /* no chunk open */
    CHECK(m2c_sink_begin(s, &e) == M2C_OK);
    CHECK(m2c_sink_block(s, 1, "0x12", &e) == M2C_ERR_INVALID);
    m2c_sink_close(s);
    rm_outputs(p);
    free(p);
}

/* Rows i = 0..n-1 of the test schema's table 0: block i, tx "r<i>", value i, real -i. */
static m2c_sink_val *numbered_rows(size_t n, char (*txt)[16], const m2c_sink_val **ptr) {
    m2c_sink_val *v = calloc(n * 5, sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        snprintf(txt[i], 16, "r%zu", i);
        v[5 * i].i = (int64_t)i;
        v[5 * i + 1].s = txt[i];
        v[5 * i + 1].n = strlen(txt[i]);
        v[5 * i + 2].s = txt[i] + 1;
        v[5 * i + 2].n = strlen(txt[i]) - 1;
        v[5 * i + 3].d = -(double)i;
        v[5 * i + 4].null = 1;
        ptr[i] = v + 5 * i;
    }
    return v;
}

TEST(test_sink__row_batch_stores_every_row_in_order_in_each_backend) {
    enum { N = 70 }; /* two full multi-row INSERTs of 32 and 6 single rows in SQLite */
    static char txt[N][16];
    const m2c_sink_val *ptr[N];
    m2c_sink_val *v = numbered_rows(N, txt, ptr);
    REQUIRE(v);
    const char *sfx[] = {".sqlite", ".csv"};
    for (size_t k = 0; k < 2; k++) {
        char *p = tmp_path(sfx[k]);
        m2c_sink *s = NULL;
        m2c_err e;
        REQUIRE(m2c_sink_open(&s, p, &schema_one, &e) == M2C_OK);
        CHECK(m2c_sink_row_batch(s, 0, ptr, N, &e) == M2C_ERR_STATE); /* outside a chunk */
        REQUIRE(m2c_sink_begin(s, &e) == M2C_OK);
        CHECK(m2c_sink_row_batch(s, 3, ptr, N, &e) == M2C_ERR_INVALID); /* no such table */
        REQUIRE(m2c_sink_row_batch(s, 0, ptr, N, &e) == M2C_OK);
        REQUIRE(m2c_sink_row_batch(s, 0, ptr, 0, &e) == M2C_OK);
        REQUIRE(m2c_sink_commit(s, 0, N - 1, &e) == M2C_OK);
        CHECK_EQ_INT(m2c_sink_rows(s, 0), N);
        m2c_sink_close(s);
        if (k == 0) {
            CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer"), N);
            /* in order, every cell where it belongs */
            CHECK_EQ_INT(count_rows(p, "SELECT count(*) FROM Transfer WHERE rowid = block_number + 1"
                                       " AND tx = 'r' || block_number AND value = '' || block_number"
                                       " AND value_f = -block_number AND ok IS NULL"),
                         N);
        } else {
            char buf[4096];
            int n = file_bytes(p, buf, sizeof buf);
            REQUIRE(n > 0);
            CHECK(strstr(buf, "\n0,r0,0,") != NULL);
            CHECK(strstr(buf, "\n69,r69,69,") != NULL);
            const char *a = strstr(buf, "\n31,r31,"), *b = strstr(buf, "\n32,r32,"),
                       *c = strstr(buf, "\n64,r64,");
            CHECK(a && b && c && a < b && b < c);
        }
        rm_outputs(p);
        free(p);
    }
    free(v);
}

TEST_MAIN(T(test_sink_sqlite__stores_exact_values_and_checkpoints),
          T(test_sink_sqlite__uncommitted_chunk_leaves_no_trace),
          T(test_sink_sqlite__new_file_has_64k_pages_in_wal_and_old_page_size_is_kept),
          T(test_sink_sqlite__wal_is_checkpointed_while_writing_not_only_at_close),
          T(test_sink_sqlite__bulk_commits_chunks_in_groups_and_a_failed_chunk_takes_its_group),
          T(test_sink_sqlite__bulk_stays_in_wal_beside_a_reader),
          T(test_sink_sqlite__bulk_group_that_fails_to_commit_leaves_the_last_commit),
          T(test_sink__refuses_output_with_another_dataset_and_leaves_it_unchanged),
          T(test_sink__refuses_foreign_files),
          T(test_sink_csv__quotes_fields_and_truncates_uncommitted_bytes),
          T(test_sink_jsonl__writes_valid_json_with_exact_numbers),
          T(test_sink__several_tables_go_to_files_named_after_them),
          T(test_sink__rewind_removes_rows_at_and_above_the_block),
          T(test_sink__done_ranges_merge_and_sort),
          T(test_sink__row_batch_stores_every_row_in_order_in_each_backend))
