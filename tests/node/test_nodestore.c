/* Tests for src/node/nodestore.c: the request state machine, reorg rewind, transactions and
 * nonces, and crash safety (a process killed with SIGKILL in the middle of writing). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ml2chain/nodestore.h"
#include "ml2chain/u256.h"
#include "test.h"
#include "scratch.h"

static char g_path[4096]; /* the database fresh() made last */

/* A store on a new, empty database in the test's scratch directory. */
static m2c_nodestore *fresh(void) {
    m2c_test_db_path(g_path, sizeof g_path, "nodestore");
    m2c_nodestore *s = NULL;
    m2c_err e;
    if (m2c_nodestore_open(&s, g_path, &e) != M2C_OK) return NULL;
    return s;
}

static void cleanup(m2c_nodestore *s) {
    m2c_nodestore_close(s);
    m2c_test_db_remove(g_path);
}

static m2c_noderec rec(uint64_t id, uint64_t block, uint64_t idx) {
    m2c_noderec r;
    memset(&r, 0, sizeof r);
    r.id.b[31] = (uint8_t)id;
    r.id.b[30] = (uint8_t)(id >> 8);
    snprintf(r.model, sizeof r.model, "1");
    r.has_req = 1;
    memset(r.req, (int)id, sizeof r.req);
    r.input = (uint8_t *)"1,2";
    r.input_len = 3;
    r.block = block;
    r.block_hash.b[0] = (uint8_t)block;
    r.log_index = idx;
    return r;
}

static m2c_hash32 H(uint8_t v) {
    m2c_hash32 h;
    memset(&h, v, sizeof h);
    return h;
}

TEST(test_nodestore__walks_the_state_machine) {
    m2c_nodestore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    uint64_t blk;
    m2c_hash32 h;
    CHECK(m2c_nodestore_cursor(s, "1", &blk, &h, &e) == M2C_ERR_NOTFOUND);
    m2c_noderec rs[3] = {rec(1, 10, 0), rec(2, 10, 1), rec(3, 11, 0)};
    uint64_t bn[2] = {10, 11};
    m2c_hash32 bh[2] = {H(10), H(11)};
    m2c_hash32 top = H(12);
    size_t added;
    REQUIRE(m2c_nodestore_record_range(s, "1", rs, 3, bn, bh, 2, 12, &top, &added, &e) == M2C_OK);
    CHECK_EQ_INT(added, 3);
    /* Recording again changes nothing (a re-scan after a restart). */
    REQUIRE(m2c_nodestore_record_range(s, "1", rs, 3, bn, bh, 2, 12, &top, &added, &e) == M2C_OK);
    CHECK_EQ_INT(added, 0);
    REQUIRE(m2c_nodestore_cursor(s, "1", &blk, &h, &e) == M2C_OK);
    CHECK_EQ_INT(blk, 12);
    CHECK(memcmp(h.b, top.b, 32) == 0);
    m2c_noderec *l;
    size_t n;
    REQUIRE(m2c_nodestore_list(s, "1", M2C_REQ_SEEN, 10, &l, &n, &e) == M2C_OK);
    REQUIRE(n == 3);
    CHECK(l[0].id.b[31] == 1 && l[2].id.b[31] == 3); /* oldest first */
    CHECK(l[0].input_len == 3 && memcmp(l[0].input, "1,2", 3) == 0);
    CHECK(memcmp(l[1].req, rs[1].req, sizeof rs[1].req) == 0);
    m2c_nodestore_recs_free(l, n);
    /* Another chain key sees nothing. */
    REQUIRE(m2c_nodestore_list(s, "2", M2C_REQ_SEEN, 10, &l, &n, &e) == M2C_OK);
    CHECK_EQ_INT(n, 0);
    m2c_nodestore_recs_free(l, n);

    REQUIRE(m2c_nodestore_set_computed(s, "1", &rs[0].id, (const uint8_t *)"", 0, 5, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_set_computed(s, "1", &rs[1].id, (const uint8_t *)"out", 3, 0, &e) == M2C_OK);
    CHECK(m2c_nodestore_set_computed(s, "1", &rs[1].id, (const uint8_t *)"x", 1, 0, &e) == M2C_ERR_STATE);
    m2c_noderec g;
    REQUIRE(m2c_nodestore_get(s, "1", &rs[0].id, &g, &e) == M2C_OK);
    CHECK(g.state == M2C_REQ_COMPUTED && g.error_code == 5 && g.output_len == 0 && g.output);
    m2c_noderec_free(&g);

    /* Submit both under nonce 7; a replacement under the same nonce keeps them there. */
    m2c_nodetx tx;
    memset(&tx, 0, sizeof tx);
    tx.nonce = 7;
    tx.hash = H(0x77);
    tx.raw = (uint8_t *)"\x02\xf8";
    tx.raw_len = 2;
    tx.max_fee = m2c_u256_from_u64(100);
    tx.prio_fee = m2c_u256_from_u64(2);
    tx.gas = 500000;
    m2c_hash32 ids[2] = {rs[0].id, rs[1].id};
    REQUIRE(m2c_nodestore_submit(s, "1", &tx, ids, 2, &e) == M2C_OK);
    CHECK(m2c_nodestore_submit(s, "1", &tx, ids, 2, &e) != M2C_OK); /* same hash twice */
    tx.hash = H(0x78);
    tx.max_fee = m2c_u256_from_u64(113);
    REQUIRE(m2c_nodestore_submit(s, "1", &tx, ids, 1, &e) == M2C_OK);
    /* A seen request cannot be submitted. */
    tx.hash = H(0x79);
    tx.nonce = 8;
    CHECK(m2c_nodestore_submit(s, "1", &tx, &rs[2].id, 1, &e) == M2C_ERR_STATE);
    uint64_t nonces[8];
    REQUIRE(m2c_nodestore_open_nonces(s, "1", nonces, 8, &n, &e) == M2C_OK);
    CHECK(n == 1 && nonces[0] == 7); /* the failed submit left nothing behind */
    uint64_t next;
    REQUIRE(m2c_nodestore_next_nonce(s, "1", &next, &e) == M2C_OK);
    CHECK_EQ_INT(next, 8);
    m2c_nodetx *txs;
    REQUIRE(m2c_nodestore_txs(s, "1", 7, &txs, &n, &e) == M2C_OK);
    REQUIRE(n == 2);
    CHECK(txs[1].hash.b[0] == 0x78 && txs[1].raw_len == 2 && txs[1].gas == 500000);
    uint64_t fee;
    CHECK(m2c_u256_to_u64(&fee, &txs[1].max_fee) && fee == 113);
    m2c_nodestore_txs_free(txs, n);
    REQUIRE(m2c_nodestore_list_nonce(s, "1", 7, &l, &n, &e) == M2C_OK);
    CHECK_EQ_INT(n, 2);
    CHECK(l[0].attempts == 2 && l[1].attempts == 1);
    m2c_nodestore_recs_free(l, n);

    REQUIRE(m2c_nodestore_set_confirmed(s, "1", &rs[0].id, &tx.hash, 13, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_unsubmit(s, "1", &rs[1].id, &e) == M2C_OK);
    CHECK(m2c_nodestore_unsubmit(s, "1", &rs[1].id, &e) == M2C_ERR_STATE);
    REQUIRE(m2c_nodestore_set_failed(s, "1", &rs[2].id, "cancelled on chain", &e) == M2C_OK);
    CHECK(m2c_nodestore_set_confirmed(s, "1", &rs[2].id, NULL, 0, &e) == M2C_ERR_STATE);
    REQUIRE(m2c_nodestore_settle_nonce(s, "1", 7, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_open_nonces(s, "1", nonces, 8, &n, &e) == M2C_OK);
    CHECK_EQ_INT(n, 0);
    uint64_t c[M2C_REQ_STATES];
    REQUIRE(m2c_nodestore_counts(s, "1", c, &e) == M2C_OK);
    CHECK(c[M2C_REQ_CONFIRMED] == 1 && c[M2C_REQ_COMPUTED] == 1 && c[M2C_REQ_FAILED] == 1);
    REQUIRE(m2c_nodestore_get(s, "1", &rs[2].id, &g, &e) == M2C_OK);
    CHECK_EQ_STR(g.reason, "cancelled on chain");
    m2c_noderec_free(&g);
    cleanup(s);
}

TEST(test_nodestore__rewind_orphans_unfinished_requests_and_revives_reincluded) {
    m2c_nodestore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    m2c_noderec rs[3] = {rec(1, 10, 0), rec(2, 11, 0), rec(3, 12, 0)};
    uint64_t bn[3] = {10, 11, 12};
    m2c_hash32 bh[3] = {H(10), H(11), H(12)}, top = H(12);
    REQUIRE(m2c_nodestore_record_range(s, "1", rs, 3, bn, bh, 3, 12, &top, NULL, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_set_computed(s, "1", &rs[2].id, (const uint8_t *)"o", 1, 0, &e) == M2C_OK);
    size_t orphaned;
    REQUIRE(m2c_nodestore_rewind(s, "1", 10, &bh[0], &orphaned, &e) == M2C_OK);
    CHECK_EQ_INT(orphaned, 2);
    uint64_t nums[8];
    m2c_hash32 hs[8];
    size_t n;
    REQUIRE(m2c_nodestore_blocks(s, "1", 100, nums, hs, 8, &n, &e) == M2C_OK);
    CHECK(n == 1 && nums[0] == 10);
    uint64_t c[M2C_REQ_STATES];
    REQUIRE(m2c_nodestore_counts(s, "1", c, &e) == M2C_OK);
    CHECK(c[M2C_REQ_ORPHANED] == 2 && c[M2C_REQ_SEEN] == 1);
    /* Request 3 is re-included in the new block 11; request 2 never comes back. */
    m2c_noderec again = rec(3, 11, 4);
    again.block_hash = H(0xb1);
    m2c_hash32 nb = H(0xb1);
    uint64_t n11 = 11;
    size_t added;
    REQUIRE(m2c_nodestore_record_range(s, "1", &again, 1, &n11, &nb, 1, 11, &nb, &added, &e) == M2C_OK);
    CHECK_EQ_INT(added, 1);
    m2c_noderec g;
    REQUIRE(m2c_nodestore_get(s, "1", &again.id, &g, &e) == M2C_OK);
    CHECK(g.state == M2C_REQ_SEEN && g.block == 11 && g.block_hash.b[0] == 0xb1 && !g.output);
    m2c_noderec_free(&g);
    REQUIRE(m2c_nodestore_get(s, "1", &rs[1].id, &g, &e) == M2C_OK);
    CHECK(g.state == M2C_REQ_ORPHANED);
    m2c_noderec_free(&g);
    cleanup(s);
}

/* A child writes large transactions in a loop and is killed with SIGKILL at a random
 * moment; the store then opens with only whole transactions in it. */
TEST(test_nodestore__survives_sigkill_mid_write) {
    for (int round = 0; round < m2c_test_iters(4); round++) {
        m2c_nodestore *s = fresh();
        REQUIRE(s);
        m2c_nodestore_close(s);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            m2c_nodestore *cs = NULL;
            m2c_err ce;
            if (m2c_nodestore_open(&cs, g_path, &ce) != M2C_OK) _exit(2);
            static m2c_noderec batch[500];
            for (uint64_t b = 0;; b++) {
                for (int i = 0; i < 500; i++) batch[i] = rec(b * 500 + (uint64_t)i, b + 1, (uint64_t)i);
                m2c_hash32 top = H((uint8_t)b);
                if (m2c_nodestore_record_range(cs, "1", batch, 500, NULL, NULL, 0, b + 1, &top, NULL, &ce))
                    _exit(3);
            }
        }
        usleep((useconds_t)(20000 + m2c_test_rand() % 200000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status));
        m2c_err e;
        s = NULL;
        REQUIRE(m2c_nodestore_open(&s, g_path, &e) == M2C_OK);
        uint64_t c[M2C_REQ_STATES], blk = 0;
        m2c_hash32 h;
        REQUIRE(m2c_nodestore_counts(s, "1", c, &e) == M2C_OK);
        m2c_status cs = m2c_nodestore_cursor(s, "1", &blk, &h, &e);
        /* Whole ranges only, and the cursor matches what was recorded. */
        CHECK_EQ_INT(c[M2C_REQ_SEEN] % 500, 0);
        if (cs == M2C_OK) CHECK_EQ_INT(c[M2C_REQ_SEEN], blk * 500);
        else CHECK_EQ_INT(c[M2C_REQ_SEEN], 0);
        cleanup(s);
    }
}

/* A request with a real Request word layout: callback (word 3) set when cb, FINAL_ONLY
 * (bit 31 of word 5, callbackGasLimit) when fin. */
static m2c_noderec req_rec(uint64_t id, uint64_t block, int fin, int cb) {
    m2c_noderec r = rec(id, block, id);
    memset(r.req, 0, sizeof r.req);
    r.req[31] = (uint8_t)id;
    if (cb) memset(r.req + 3 * 32 + 12, 0xcb, 20);
    r.req[5 * 32 + 29] = 0x02; /* 131072 gas */
    if (fin) r.req[5 * 32 + 28] = 0x80;
    return r;
}

TEST(test_nodestore_deliveries__created_when_a_final_only_request_is_confirmed) {
    m2c_nodestore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    /* 1: final-only with callback; 2: ordinary; 3: final-only without callback; 4: final-only
     * that fails */
    m2c_noderec rs[4] = {req_rec(1, 10, 1, 1), req_rec(2, 10, 0, 1), req_rec(3, 10, 1, 0),
                         req_rec(4, 10, 1, 1)};
    m2c_hash32 top = H(11);
    REQUIRE(m2c_nodestore_record_range(s, "1", rs, 4, NULL, NULL, 0, 11, &top, NULL, &e) == M2C_OK);
    uint64_t dc[M2C_DELIVERY_STATES];
    for (uint64_t i = 0; i < 4; i++)
        REQUIRE(m2c_nodestore_set_computed(s, "1", &rs[i].id, (const uint8_t *)"out", 3, 0, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_delivery_counts(s, "1", dc, &e) == M2C_OK);
    CHECK_EQ_INT(dc[M2C_DELIVERY_DUE], 0); /* nothing before fulfilment */
    m2c_hash32 tx = H(0x77);
    for (uint64_t i = 0; i < 3; i++)
        REQUIRE(m2c_nodestore_set_confirmed(s, "1", &rs[i].id, &tx, 12, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_set_failed(s, "1", &rs[3].id, "cancelled", &e) == M2C_OK);
    REQUIRE(m2c_nodestore_delivery_counts(s, "1", dc, &e) == M2C_OK);
    CHECK_EQ_INT(dc[M2C_DELIVERY_DUE], 1);
    m2c_noderec *l = NULL;
    size_t n = 0;
    REQUIRE(m2c_nodestore_deliveries(s, "1", M2C_DELIVERY_DUE, 10, &l, &n, &e) == M2C_OK);
    REQUIRE(n == 1);
    CHECK(memcmp(l[0].id.b, rs[0].id.b, 32) == 0);
    CHECK(l[0].output_len == 3 && memcmp(l[0].output, "out", 3) == 0); /* what deliver sends */
    CHECK(memcmp(l[0].req, rs[0].req, sizeof rs[0].req) == 0);
    m2c_nodestore_recs_free(l, n);
    /* Survives a reopen (a restart between fulfilment and delivery). */
    m2c_nodestore_close(s);
    s = NULL;
    REQUIRE(m2c_nodestore_open(&s, g_path, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_delivery_counts(s, "1", dc, &e) == M2C_OK);
    CHECK_EQ_INT(dc[M2C_DELIVERY_DUE], 1);
    cleanup(s);
}

TEST(test_nodestore_deliveries__submit_replace_requeue_and_finish) {
    m2c_nodestore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    m2c_noderec r = req_rec(5, 10, 1, 1);
    m2c_hash32 top = H(11), tx0 = H(0x70);
    REQUIRE(m2c_nodestore_record_range(s, "1", &r, 1, NULL, NULL, 0, 11, &top, NULL, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_set_computed(s, "1", &r.id, (const uint8_t *)"o", 1, 0, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_set_confirmed(s, "1", &r.id, &tx0, 12, &e) == M2C_OK);
    uint8_t raw[3] = {1, 2, 3};
    m2c_nodetx tx;
    memset(&tx, 0, sizeof tx);
    tx.nonce = 7;
    tx.hash = H(0x71);
    tx.raw = raw;
    tx.raw_len = sizeof raw;
    REQUIRE(m2c_nodestore_submit_delivery(s, "1", &tx, &r.id, &e) == M2C_OK);
    uint64_t next = 0, nonces[4];
    size_t nn = 0;
    REQUIRE(m2c_nodestore_next_nonce(s, "1", &next, &e) == M2C_OK);
    CHECK_EQ_INT(next, 8); /* the delivery's nonce is the node's */
    REQUIRE(m2c_nodestore_open_nonces(s, "1", nonces, 4, &nn, &e) == M2C_OK);
    CHECK(nn == 1 && nonces[0] == 7);
    m2c_noderec *l = NULL;
    size_t n = 0;
    REQUIRE(m2c_nodestore_deliveries_nonce(s, "1", 7, &l, &n, &e) == M2C_OK);
    CHECK_EQ_INT(n, 1);
    m2c_nodestore_recs_free(l, n);
    /* a replacement under the same nonce is fine; under another nonce it is refused */
    tx.hash = H(0x72);
    CHECK(m2c_nodestore_submit_delivery(s, "1", &tx, &r.id, &e) == M2C_OK);
    tx.nonce = 9;
    tx.hash = H(0x73);
    CHECK(m2c_nodestore_submit_delivery(s, "1", &tx, &r.id, &e) == M2C_ERR_STATE);
    m2c_nodetx *txs = NULL;
    size_t nt = 0;
    REQUIRE(m2c_nodestore_txs(s, "1", 9, &txs, &nt, &e) == M2C_OK);
    CHECK_EQ_INT(nt, 0); /* rolled back with the refusal */
    m2c_nodestore_txs_free(txs, nt);
    /* dropped: due again, with no nonce */
    REQUIRE(m2c_nodestore_set_delivery(s, "1", &r.id, M2C_DELIVERY_DUE, NULL, 0, NULL, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_deliveries_nonce(s, "1", 7, &l, &n, &e) == M2C_OK);
    CHECK_EQ_INT(n, 0);
    m2c_nodestore_recs_free(l, n);
    REQUIRE(m2c_nodestore_submit_delivery(s, "1", &tx, &r.id, &e) == M2C_OK);
    m2c_hash32 mined = H(0x73);
    REQUIRE(m2c_nodestore_set_delivery(s, "1", &r.id, M2C_DELIVERY_DONE, &mined, 15, NULL, &e) == M2C_OK);
    uint64_t dc[M2C_DELIVERY_STATES];
    REQUIRE(m2c_nodestore_delivery_counts(s, "1", dc, &e) == M2C_OK);
    CHECK_EQ_INT(dc[M2C_DELIVERY_DONE], 1);
    CHECK_EQ_INT(dc[M2C_DELIVERY_DUE] + dc[M2C_DELIVERY_SUBMITTED], 0);
    /* finished is final: no more moves, and a bad target state is refused */
    CHECK(m2c_nodestore_set_delivery(s, "1", &r.id, M2C_DELIVERY_DUE, NULL, 0, NULL, &e) == M2C_ERR_STATE);
    CHECK(m2c_nodestore_set_delivery(s, "1", &r.id, M2C_DELIVERY_SUBMITTED, NULL, 0, NULL, &e) ==
          M2C_ERR_INVALID);
    CHECK_EQ_STR(m2c_delivery_state_str(M2C_DELIVERY_DONE), "delivered");
    cleanup(s);
}

/* SIGKILL while requests are confirmed: every confirmed final-only request has its delivery
 * row, and no other request has one. */
TEST(test_nodestore_deliveries__confirm_and_delivery_row_are_atomic_under_sigkill) {
    for (int round = 0; round < m2c_test_iters(3); round++) {
        m2c_nodestore *s = fresh();
        REQUIRE(s);
        enum { N = 3000 };
        static m2c_noderec rs[N];
        for (int i = 0; i < N; i++) rs[i] = req_rec((uint64_t)i, 10, i % 2, 1);
        m2c_err e;
        m2c_hash32 top = H(11);
        REQUIRE(m2c_nodestore_record_range(s, "1", rs, N, NULL, NULL, 0, 11, &top, NULL, &e) == M2C_OK);
        m2c_nodestore_close(s);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            m2c_nodestore *cs = NULL;
            m2c_err ce;
            if (m2c_nodestore_open(&cs, g_path, &ce) != M2C_OK) _exit(2);
            m2c_hash32 t = H(0x99);
            for (int i = 0; i < N; i++)
                if (m2c_nodestore_set_confirmed(cs, "1", &rs[i].id, &t, 12, &ce)) _exit(3);
            _exit(0);
        }
        usleep((useconds_t)(10000 + m2c_test_rand() % 100000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        s = NULL;
        REQUIRE(m2c_nodestore_open(&s, g_path, &e) == M2C_OK);
        uint64_t c[M2C_REQ_STATES], dc[M2C_DELIVERY_STATES];
        REQUIRE(m2c_nodestore_counts(s, "1", c, &e) == M2C_OK);
        REQUIRE(m2c_nodestore_delivery_counts(s, "1", dc, &e) == M2C_OK);
        /* requests are confirmed in order, odd ones final-only */
        uint64_t confirmed = c[M2C_REQ_CONFIRMED];
        CHECK_EQ_INT(dc[M2C_DELIVERY_DUE], confirmed / 2);
        m2c_noderec *l = NULL;
        size_t n = 0;
        REQUIRE(m2c_nodestore_deliveries(s, "1", M2C_DELIVERY_DUE, N, &l, &n, &e) == M2C_OK);
        int bad = 0;
        for (size_t i = 0; i < n; i++) bad += !(l[i].req[5 * 32 + 28] & 0x80);
        CHECK_EQ_INT(bad, 0);
        m2c_nodestore_recs_free(l, n);
        cleanup(s);
    }
}

TEST(test_nodestore__open_reports_a_bad_path) {
    m2c_nodestore *s = NULL;
    m2c_err e;
    CHECK(m2c_nodestore_open(&s, "/nonexistent-dir/x/y.db", &e) == M2C_ERR_DB);
    CHECK(s == NULL);
    CHECK(strstr(e.msg, "/nonexistent-dir/x/y.db") != NULL);
}

/* Groups: many changes in one SQL transaction; a rollback undoes all of them, a commit makes
 * them visible to another handle; a failing submit inside a group undoes only its own part. */
TEST(test_nodestore__groups_commit_roll_back_and_nest) {
    m2c_nodestore *s = fresh();
    REQUIRE(s);
    m2c_err e;
    m2c_noderec rs[4] = {rec(1, 10, 0), rec(2, 10, 1), rec(3, 10, 2), rec(4, 10, 3)};
    uint64_t bn[1] = {10};
    m2c_hash32 bh[1] = {H(10)};
    m2c_hash32 top = H(11);
    REQUIRE(m2c_nodestore_record_range(s, "1", rs, 4, bn, bh, 1, 11, &top, NULL, &e) == M2C_OK);
    CHECK(m2c_nodestore_commit(s, &e) == M2C_ERR_STATE); /* nothing open */

    REQUIRE(m2c_nodestore_begin(s, &e) == M2C_OK);
    for (int i = 0; i < 4; i++)
        REQUIRE(m2c_nodestore_set_computed(s, "1", &rs[i].id, (const uint8_t *)"o", 1, 0, &e) == M2C_OK);
    m2c_nodestore_rollback(s);
    uint64_t c[M2C_REQ_STATES];
    REQUIRE(m2c_nodestore_counts(s, "1", c, &e) == M2C_OK);
    CHECK(c[M2C_REQ_SEEN] == 4 && c[M2C_REQ_COMPUTED] == 0);

    REQUIRE(m2c_nodestore_begin(s, &e) == M2C_OK);
    for (int i = 0; i < 3; i++)
        REQUIRE(m2c_nodestore_set_computed(s, "1", &rs[i].id, (const uint8_t *)"o", 1, 0, &e) == M2C_OK);
    m2c_nodetx tx;
    memset(&tx, 0, sizeof tx);
    tx.nonce = 3;
    tx.hash = H(0x33);
    tx.raw = (uint8_t *)"\x02";
    tx.raw_len = 1;
    tx.gas = 21000;
    m2c_hash32 ok[2] = {rs[0].id, rs[1].id};
    REQUIRE(m2c_nodestore_submit(s, "1", &tx, ok, 2, &e) == M2C_OK);
    /* rs[3] is still seen: this submit fails and leaves no tx and no nonce 4 behind. */
    tx.nonce = 4;
    tx.hash = H(0x34);
    m2c_hash32 bad[2] = {rs[2].id, rs[3].id};
    CHECK(m2c_nodestore_submit(s, "1", &tx, bad, 2, &e) == M2C_ERR_STATE);
    /* Not visible to another handle before the commit. */
    m2c_nodestore *o = NULL;
    REQUIRE(m2c_nodestore_open(&o, g_path, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_counts(o, "1", c, &e) == M2C_OK);
    CHECK(c[M2C_REQ_SEEN] == 4);
    REQUIRE(m2c_nodestore_commit(s, &e) == M2C_OK);
    REQUIRE(m2c_nodestore_counts(o, "1", c, &e) == M2C_OK);
    CHECK(c[M2C_REQ_SUBMITTED] == 2 && c[M2C_REQ_COMPUTED] == 1 && c[M2C_REQ_SEEN] == 1);
    uint64_t nonces[8];
    size_t n;
    REQUIRE(m2c_nodestore_open_nonces(o, "1", nonces, 8, &n, &e) == M2C_OK);
    CHECK(n == 1 && nonces[0] == 3);
    m2c_nodestore_close(o);
    cleanup(s);
}

TEST_MAIN(T(test_nodestore__walks_the_state_machine),
          T(test_nodestore__groups_commit_roll_back_and_nest),
          T(test_nodestore__rewind_orphans_unfinished_requests_and_revives_reincluded),
          T(test_nodestore__survives_sigkill_mid_write),
          T(test_nodestore_deliveries__created_when_a_final_only_request_is_confirmed),
          T(test_nodestore_deliveries__submit_replace_requeue_and_finish),
          T(test_nodestore_deliveries__confirm_and_delivery_row_are_atomic_under_sigkill),
          T(test_nodestore__open_reports_a_bad_path))
