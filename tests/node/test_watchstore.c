/* Tests for src/node/watchstore.c: the watcher's cursor and reorg rewind, fulfilments and
 * their verdicts, challenges recorded with their fulfilment's move (exactly once), and a
 * reopen (restart) that finds it all. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml2chain/watchstore.h"
#include "test.h"
#include "scratch.h"

static char g_path[4096]; /* the database fresh() made last */

/* A store on a new, empty database in the test's scratch directory. */
static m2c_watchstore *fresh(void) {
    m2c_test_db_path(g_path, sizeof g_path, "watchstore");
    m2c_watchstore *s = NULL;
    m2c_err e;
    if (m2c_watchstore_open(&s, g_path, &e) != M2C_OK) return NULL;
    return s;
}

static void cleanup(m2c_watchstore *s) {
    m2c_watchstore_close(s);
    m2c_test_db_remove(g_path);
}

static m2c_hash32 H(uint8_t v) {
    m2c_hash32 h;
    memset(&h, v, sizeof h);
    return h;
}

static m2c_noderec req(uint8_t id, uint64_t block) {
    m2c_noderec r;
    memset(&r, 0, sizeof r);
    r.id = H(id);
    snprintf(r.model, sizeof r.model, "1");
    r.has_req = 1;
    memset(r.req, id, sizeof r.req);
    r.input = (uint8_t *)"\x00\x01\x02";
    r.input_len = 3;
    r.block = block;
    return r;
}

static m2c_watch_fulfilment ful(uint8_t id, uint64_t block) {
    m2c_watch_fulfilment f;
    memset(&f, 0, sizeof f);
    f.id = H(id);
    f.tx = H((uint8_t)(id + 100));
    f.code = id;
    f.output_hash = H((uint8_t)(id + 50));
    f.block = block;
    f.log_index = id;
    return f;
}

/* A challenge of request `id` at `nonce`, sent as transaction `tx` with signed bytes raw. */
static m2c_watch_challenge challenge(m2c_hash32 id, uint64_t nonce, m2c_hash32 tx, uint8_t *raw,
                                     size_t raw_len) {
    m2c_watch_challenge c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.nonce = nonce;
    c.tx_hash = tx;
    c.raw = raw;
    c.raw_len = raw_len;
    return c;
}

/* Records requests and fulfilments 1..n in blocks 10+i, cursor at `to`. */
static m2c_status record(m2c_watchstore *s, uint8_t n, uint64_t to, m2c_err *e) {
    m2c_noderec rs[8];
    m2c_watch_fulfilment fs[8];
    uint64_t bn[8];
    m2c_hash32 bh[8];
    for (uint8_t i = 0; i < n; i++) {
        rs[i] = req((uint8_t)(i + 1), 10u + i);
        fs[i] = ful((uint8_t)(i + 1), 10u + i);
        bn[i] = 10u + i;
        bh[i] = H((uint8_t)(0xb0 + i));
    }
    m2c_watch_model m = {H(1), H(0xee), 5};
    m2c_hash32 th = H(0xcc);
    return m2c_watchstore_record_range(s, rs, n, &m, 1, fs, n, bn, bh, n, to, &th, e);
}

TEST(test_watchstore__records_a_range_and_resumes_after_reopen) {
    m2c_watchstore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    uint64_t blk;
    m2c_hash32 h;
    CHECK(m2c_watchstore_cursor(s, &blk, &h, &e) == M2C_ERR_NOTFOUND);
    REQUIRE(record(s, 3, 20, &e) == M2C_OK);
    /* a re-scan of the same range keeps what was judged */
    m2c_hash32 id1 = H(1);
    REQUIRE(m2c_watchstore_set_verdict(s, &id1, "ok", &e) == M2C_OK);
    REQUIRE(record(s, 3, 20, &e) == M2C_OK);
    m2c_watchstore_close(s);
    s = NULL;
    REQUIRE(m2c_watchstore_open(&s, g_path, &e) == M2C_OK);
    REQUIRE(m2c_watchstore_cursor(s, &blk, &h, &e) == M2C_OK);
    CHECK_EQ_INT(blk, 20);
    CHECK(h.b[0] == 0xcc);
    m2c_watch_model *ms = NULL;
    size_t nm = 0;
    REQUIRE(m2c_watchstore_models(s, &ms, &nm, &e) == M2C_OK);
    CHECK(nm == 1 && ms[0].model_hash.b[0] == 0xee);
    free(ms);
    m2c_noderec r;
    m2c_hash32 id2 = H(2);
    REQUIRE(m2c_watchstore_request(s, &id2, &r, &e) == M2C_OK);
    CHECK(r.input_len == 3 && r.input[2] == 2 && r.req[0] == 2 && r.block == 11);
    m2c_noderec_free(&r);
    m2c_hash32 unknown = H(9);
    CHECK(m2c_watchstore_request(s, &unknown, &r, &e) == M2C_ERR_NOTFOUND);
    m2c_watch_fulfilment *fs = NULL;
    size_t nf = 0;
    REQUIRE(m2c_watchstore_pending(s, 10, &fs, &nf, &e) == M2C_OK);
    REQUIRE(nf == 2); /* 1 was judged */
    CHECK(fs[0].id.b[0] == 2 && fs[1].id.b[0] == 3);
    CHECK(fs[0].code == 2 && fs[0].output_hash.b[0] == 52 && fs[0].tx.b[0] == 102);
    free(fs);
    char v[24];
    REQUIRE(m2c_watchstore_verdict(s, &id1, v, &e) == M2C_OK);
    CHECK_EQ_STR(v, "ok");
    /* a verdict is given once */
    CHECK(m2c_watchstore_set_verdict(s, &id1, "wrong-undecidable", &e) == M2C_ERR_STATE);
    cleanup(s);
}

/* Closes *s and opens it again (a restart): exactly one challenge is open, in state sent, at
 * `nonce`, its hash starting with byte h0 and its signed bytes equal to raw[0..len). */
static int reopen_finds_one_open(m2c_watchstore **s, uint64_t nonce, uint8_t h0,
                                 const uint8_t *raw, size_t len) {
    m2c_err e;
    m2c_watchstore_close(*s);
    *s = NULL;
    if (m2c_watchstore_open(s, g_path, &e) != M2C_OK) return 0;
    m2c_watch_challenge *cs = NULL;
    size_t n = 0;
    if (m2c_watchstore_open_challenges(*s, &cs, &n, &e) != M2C_OK) return 0;
    int ok = n == 1 && cs[0].nonce == nonce && cs[0].tx_hash.b[0] == h0 && cs[0].raw_len == len &&
             memcmp(cs[0].raw, raw, len) == 0 && cs[0].state == M2C_CHALLENGE_SENT;
    m2c_watchstore_challenges_free(cs, n);
    return ok;
}

TEST(test_watchstore__challenge_recorded_once_and_settled) {
    m2c_watchstore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    REQUIRE(record(s, 3, 20, &e) == M2C_OK);
    uint8_t raw[5] = {1, 2, 3, 4, 5};
    m2c_watch_challenge c = challenge(H(2), 7, H(0x77), raw, sizeof raw);
    REQUIRE(m2c_watchstore_record_challenge(s, &c, &e) == M2C_OK);
    char v[24];
    REQUIRE(m2c_watchstore_verdict(s, &c.id, v, &e) == M2C_OK);
    CHECK_EQ_STR(v, "challenging");
    /* no second challenge while one is open, and nothing half-recorded */
    c.nonce = 8;
    c.tx_hash = H(0x78);
    CHECK(m2c_watchstore_record_challenge(s, &c, &e) == M2C_ERR_STATE);
    uint64_t next;
    REQUIRE(m2c_watchstore_next_nonce(s, &next, &e) == M2C_OK);
    CHECK_EQ_INT(next, 8);
    /* a judged fulfilment cannot be challenged */
    m2c_hash32 id3 = H(3);
    REQUIRE(m2c_watchstore_set_verdict(s, &id3, "ok", &e) == M2C_OK);
    c.id = id3;
    CHECK(m2c_watchstore_record_challenge(s, &c, &e) == M2C_ERR_STATE);
    /* a restart finds the open challenge with its exact bytes */
    REQUIRE(reopen_finds_one_open(&s, 7, 0x77, raw, sizeof raw));
    m2c_watch_challenge *cs = NULL;
    size_t n = 0;
    /* dropped: judged again; then recorded anew and mined */
    m2c_hash32 id2 = H(2);
    REQUIRE(m2c_watchstore_settle_challenge(s, &id2, M2C_CHALLENGE_DROPPED, 0, &e) == M2C_OK);
    REQUIRE(m2c_watchstore_verdict(s, &id2, v, &e) == M2C_OK);
    CHECK_EQ_STR(v, "pending");
    c.id = id2;
    c.nonce = 8;
    REQUIRE(m2c_watchstore_record_challenge(s, &c, &e) == M2C_OK);
    REQUIRE(m2c_watchstore_settle_challenge(s, &id2, M2C_CHALLENGE_MINED, 31, &e) == M2C_OK);
    REQUIRE(m2c_watchstore_verdict(s, &id2, v, &e) == M2C_OK);
    CHECK_EQ_STR(v, "challenged");
    CHECK(m2c_watchstore_settle_challenge(s, &id2, M2C_CHALLENGE_MINED, 31, &e) == M2C_ERR_STATE);
    REQUIRE(m2c_watchstore_open_challenges(s, &cs, &n, &e) == M2C_OK);
    CHECK_EQ_INT(n, 0);
    m2c_watchstore_challenges_free(cs, n);
    /* reverted */
    m2c_hash32 id1 = H(1);
    c.id = id1;
    c.nonce = 9;
    REQUIRE(m2c_watchstore_record_challenge(s, &c, &e) == M2C_OK);
    REQUIRE(m2c_watchstore_settle_challenge(s, &id1, M2C_CHALLENGE_REVERTED, 32, &e) == M2C_OK);
    REQUIRE(m2c_watchstore_verdict(s, &id1, v, &e) == M2C_OK);
    CHECK_EQ_STR(v, "challenge-failed");
    CHECK(m2c_watchstore_settle_challenge(s, &id1, 77, 0, &e) == M2C_ERR_INVALID);
    cleanup(s);
}

static void add_count(void *ctx, const char *verdict, uint64_t n) {
    uint64_t *c = ctx;
    if (!strcmp(verdict, "pending")) c[0] += n;
    else if (!strcmp(verdict, "ok")) c[1] += n;
    else if (!strcmp(verdict, "challenging")) c[2] += n;
}

TEST(test_watchstore__rewind_forgets_unjudged_above_and_keeps_the_rest) {
    m2c_watchstore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    REQUIRE(record(s, 4, 20, &e) == M2C_OK); /* fulfilments in blocks 10..13 */
    m2c_hash32 id2 = H(2), id4 = H(4);
    REQUIRE(m2c_watchstore_set_verdict(s, &id4, "ok", &e) == M2C_OK);
    uint8_t raw[1] = {9};
    m2c_watch_challenge c = challenge(id2, 0, H(0), raw, 1);
    REQUIRE(m2c_watchstore_record_challenge(s, &c, &e) == M2C_OK);
    uint64_t nums[8];
    m2c_hash32 hashes[8];
    size_t nb = 0;
    REQUIRE(m2c_watchstore_blocks(s, 12, nums, hashes, 8, &nb, &e) == M2C_OK);
    REQUIRE(nb == 3);
    CHECK(nums[0] == 12 && nums[2] == 10 && hashes[0].b[0] == 0xb2);
    size_t dropped = 0;
    m2c_hash32 h10 = H(0xb0);
    REQUIRE(m2c_watchstore_rewind(s, 10, &h10, &dropped, &e) == M2C_OK);
    CHECK_EQ_INT(dropped, 1); /* 3 (pending, block 12); 2 challenging and 4 judged stay */
    uint64_t counts[3] = {0, 0, 0};
    REQUIRE(m2c_watchstore_verdict_counts(s, add_count, counts, &e) == M2C_OK);
    CHECK_EQ_INT(counts[0], 1); /* 1 in block 10 */
    CHECK_EQ_INT(counts[1], 1);
    CHECK_EQ_INT(counts[2], 1);
    uint64_t blk;
    m2c_hash32 h;
    REQUIRE(m2c_watchstore_cursor(s, &blk, &h, &e) == M2C_OK);
    CHECK(blk == 10 && h.b[0] == 0xb0);
    REQUIRE(m2c_watchstore_blocks(s, 100, nums, hashes, 8, &nb, &e) == M2C_OK);
    CHECK(nb == 1 && nums[0] == 10);
    m2c_noderec r;
    m2c_hash32 id3 = H(3);
    CHECK(m2c_watchstore_request(s, &id3, &r, &e) == M2C_ERR_NOTFOUND); /* read again later */
    cleanup(s);
}

TEST(test_watchstore__replacement_keeps_every_hash_of_the_nonce_until_settled) {
    m2c_watchstore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    REQUIRE(record(s, 3, 20, &e) == M2C_OK);
    uint8_t raw1[3] = {1, 1, 1}, raw2[4] = {2, 2, 2, 2}, raw3[2] = {3, 3};
    m2c_watch_challenge c = challenge(H(2), 4, H(0x41), raw1, sizeof raw1);
    REQUIRE(m2c_watchstore_record_challenge(s, &c, &e) == M2C_OK);
    /* two replacements at the same nonce: the newest is the open one, all three are known */
    c.tx_hash = H(0x42);
    c.raw = raw2;
    c.raw_len = sizeof raw2;
    REQUIRE(m2c_watchstore_replace_challenge(s, &c, &e) == M2C_OK);
    c.tx_hash = H(0x43);
    c.raw = raw3;
    c.raw_len = sizeof raw3;
    REQUIRE(m2c_watchstore_replace_challenge(s, &c, &e) == M2C_OK);
    /* not at another nonce, nor for a request without an open challenge */
    c.nonce = 5;
    CHECK(m2c_watchstore_replace_challenge(s, &c, &e) == M2C_ERR_STATE);
    c.nonce = 4;
    c.id = H(3);
    CHECK(m2c_watchstore_replace_challenge(s, &c, &e) == M2C_ERR_STATE);
    /* a restart: one open challenge, the newest bytes; the hashes newest first */
    REQUIRE(reopen_finds_one_open(&s, 4, 0x43, raw3, sizeof raw3));
    m2c_watch_challenge *cs = NULL;
    size_t n = 0;
    m2c_hash32 id2 = H(2), hs[8];
    REQUIRE(m2c_watchstore_challenge_hashes(s, &id2, 4, hs, 8, &n, &e) == M2C_OK);
    REQUIRE(n == 3);
    CHECK(hs[0].b[0] == 0x43 && hs[1].b[0] == 0x42 && hs[2].b[0] == 0x41);
    REQUIRE(m2c_watchstore_challenge_hashes(s, &id2, 4, hs, 2, &n, &e) == M2C_OK);
    CHECK_EQ_INT(n, 2);
    /* the first one was mined after all: settling closes the challenge */
    REQUIRE(m2c_watchstore_settle_challenge(s, &id2, M2C_CHALLENGE_MINED, 25, &e) == M2C_OK);
    char v[24];
    REQUIRE(m2c_watchstore_verdict(s, &id2, v, &e) == M2C_OK);
    CHECK_EQ_STR(v, "challenged");
    REQUIRE(m2c_watchstore_open_challenges(s, &cs, &n, &e) == M2C_OK);
    CHECK_EQ_INT(n, 0);
    m2c_watchstore_challenges_free(cs, n);
    uint64_t next;
    REQUIRE(m2c_watchstore_next_nonce(s, &next, &e) == M2C_OK);
    CHECK_EQ_INT(next, 5);
    cleanup(s);
}

TEST(test_watchstore__open_reports_a_bad_path) {
    m2c_watchstore *s = NULL;
    m2c_err e;
    CHECK(m2c_watchstore_open(&s, "/nonexistent-dir/x/w.db", &e) == M2C_ERR_DB);
    CHECK(s == NULL);
    CHECK(strstr(e.msg, "/nonexistent-dir/x/w.db") != NULL);
}

TEST_MAIN(T(test_watchstore__records_a_range_and_resumes_after_reopen),
          T(test_watchstore__challenge_recorded_once_and_settled),
          T(test_watchstore__rewind_forgets_unjudged_above_and_keeps_the_rest),
          T(test_watchstore__replacement_keeps_every_hash_of_the_nonce_until_settled),
          T(test_watchstore__open_reports_a_bad_path))
