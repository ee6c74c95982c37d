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

static char g_path[256];

static m2c_nodestore *fresh(void) {
    snprintf(g_path, sizeof g_path, "/tmp/m2c-test-nodestore-%d-%llu.db", (int)getpid(),
             (unsigned long long)m2c_test_rand());
    unlink(g_path);
    m2c_nodestore *s = NULL;
    m2c_err e;
    if (m2c_nodestore_open(&s, g_path, &e) != M2C_OK) return NULL;
    return s;
}

static void cleanup(m2c_nodestore *s) {
    m2c_nodestore_close(s);
    char p[300];
    unlink(g_path);
    snprintf(p, sizeof p, "%s-wal", g_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", g_path);
    unlink(p);
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
          T(test_nodestore__survives_sigkill_mid_write), T(test_nodestore__open_reports_a_bad_path))
