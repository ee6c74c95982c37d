/* test_watchtx.c: the watcher's calldata: posted outputs found in fulfil / fulfillBatch
 * calldata made by the node's encoder, bad calldata refused, and challenge calldata checked
 * with the ABI codec. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/abi.h"
#include "ml2chain/arena.h"
#include "ml2chain/nodetx.h"
#include "ml2chain/u256.h"
#include "ml2chain/watchtx.h"
#include "test.h"

static void make_req(uint8_t *req, size_t i) {
    memset(req, 0, 288);
    for (int w = 0; w < 9; w++)
        req[w * 32 + 31] = (uint8_t)(i * 9 + (size_t)w);
    req[0] = (uint8_t)(0x80 | i); /* request ids differ in their first byte too */
}

TEST(test_watchtx_find_fulfilment__finds_each_item_of_node_calldata) {
    for (int iter = 0; iter < m2c_test_iters(50); iter++) {
        size_t n = 1 + (size_t)(m2c_test_rand() % 6);
        int batch = n > 1 || m2c_test_rand() % 2;
        uint8_t req[6][288], out[6][100];
        m2c_fulfil_item it[6];
        for (size_t i = 0; i < n; i++) {
            make_req(req[i], i);
            it[i].req = req[i];
            it[i].output_len = (size_t)(m2c_test_rand() % 100);
            for (size_t k = 0; k < it[i].output_len; k++)
                out[i][k] = (uint8_t)m2c_test_rand();
            it[i].output = out[i];
            it[i].error_code = (uint32_t)(m2c_test_rand() % 9);
        }
        m2c_buf b;
        m2c_buf_init(&b, 0);
        m2c_err e;
        REQUIRE(m2c_node_fulfil_calldata(&b, it, n, batch, &e) == M2C_OK);
        for (size_t i = 0; i < n; i++) {
            m2c_hash32 id;
            memcpy(id.b, req[i], 32);
            const uint8_t *r, *o;
            size_t ol;
            uint32_t code;
            REQUIRE(m2c_watch_find_fulfilment(b.p, b.len, &id, &r, &o, &ol, &code, &e) == M2C_OK);
            CHECK(memcmp(r, req[i], 288) == 0);
            CHECK_EQ_INT(ol, it[i].output_len);
            CHECK(ol == 0 || memcmp(o, out[i], ol) == 0);
            CHECK_EQ_INT(code, it[i].error_code);
        }
        m2c_hash32 absent;
        memset(absent.b, 0x55, 32);
        const uint8_t *r, *o;
        size_t ol;
        uint32_t code;
        CHECK(m2c_watch_find_fulfilment(b.p, b.len, &absent, &r, &o, &ol, &code, &e) ==
              M2C_ERR_NOTFOUND);
        m2c_buf_free(&b);
    }
}

TEST(test_watchtx_find_fulfilment__rejects_truncated_and_foreign_calldata) {
    uint8_t req[3][288], out[3] = {1, 2, 3};
    m2c_fulfil_item it[3];
    for (size_t i = 0; i < 3; i++) {
        make_req(req[i], i);
        it[i] = (m2c_fulfil_item){req[i], out, 3, 0};
    }
    m2c_buf b;
    m2c_buf_init(&b, 0);
    m2c_err e;
    REQUIRE(m2c_node_fulfil_calldata(&b, it, 3, 1, &e) == M2C_OK);
    m2c_hash32 last;
    memcpy(last.b, req[2], 32);
    const uint8_t *r, *o;
    size_t ol;
    uint32_t code;
    /* Every cut before the end of the last item's output (3 bytes, then 29 of padding) fails;
     * cuts inside the padding still carry everything. */
    size_t end = b.len - 29;
    for (size_t cut = 0; cut < b.len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        REQUIRE(copy);
        memcpy(copy, b.p, cut);
        m2c_status s = m2c_watch_find_fulfilment(copy, cut, &last, &r, &o, &ol, &code, &e);
        if (cut < end)
            CHECK(s == M2C_ERR_TRUNCATED || s == M2C_ERR_RANGE);
        else
            CHECK(s == M2C_OK && ol == 3 && memcmp(o, out, 3) == 0);
        free(copy);
    }
    /* An item offset pointing far away. */
    b.p[4 + 64 + 31] = 0xff;
    b.p[4 + 64 + 30] = 0xff;
    CHECK(m2c_watch_find_fulfilment(b.p, b.len, &last, &r, &o, &ol, &code, &e) != M2C_OK);
    /* Another function's calldata. */
    memset(b.p, 0, 4);
    CHECK(m2c_watch_find_fulfilment(b.p, b.len, &last, &r, &o, &ol, &code, &e) ==
          M2C_ERR_UNSUPPORTED);
    m2c_buf_free(&b);
}

TEST(test_watchtx_challenge_calldata__decodes_with_the_abi_codec) {
    m2c_arena a;
    m2c_arena_init(&a, 1 << 22);
    m2c_abi_sig sig;
    m2c_err e;
    REQUIRE(m2c_abi_sig_parse(&a, &sig, M2C_SIG_CHALLENGE, M2C_ABI_FUNCTION, &e) == M2C_OK);
    for (int iter = 0; iter < m2c_test_iters(50); iter++) {
        uint8_t req[288], out[70], model[200], in[100];
        make_req(req, (size_t)iter % 7);
        memset(req + 2 * 32, 0, 12); /* address words: 20 bytes, left zero */
        memset(req + 3 * 32, 0, 12);
        memset(req + 4 * 32 + 4, 0, 28); /* bytes4: left-aligned */
        memset(req + 5 * 32, 0, 28);     /* uint32 */
        memset(req + 6 * 32, 0, 24);     /* uint64 */
        size_t lo = (size_t)m2c_test_rand() % sizeof out,
               lm = (size_t)m2c_test_rand() % sizeof model,
               li = (size_t)m2c_test_rand() % sizeof in;
        for (size_t k = 0; k < sizeof out; k++)
            out[k] = (uint8_t)m2c_test_rand();
        for (size_t k = 0; k < sizeof model; k++)
            model[k] = (uint8_t)m2c_test_rand();
        for (size_t k = 0; k < sizeof in; k++)
            in[k] = (uint8_t)m2c_test_rand();
        uint32_t code = (uint32_t)m2c_test_rand();
        m2c_buf b;
        m2c_buf_init(&b, 0);
        REQUIRE(m2c_watch_challenge_calldata(&b, req, out, lo, code, model, lm, in, li, &e) ==
                M2C_OK);
        CHECK(memcmp(b.p, sig.selector, 4) == 0);
        m2c_abi_value v;
        REQUIRE(m2c_abi_decode(&a, &v, sig.inputs, b.p + 4, b.len - 4, 0, &e) == M2C_OK);
        REQUIRE(v.n == 5);
        REQUIRE(v.items[0].n == 9);
        uint8_t w[32];
        m2c_u256_to_be32(w, &v.items[0].items[0].word);
        CHECK(memcmp(w, req, 32) == 0);
        CHECK_EQ_INT(v.items[1].len, lo);
        CHECK(lo == 0 || memcmp(v.items[1].bytes, out, lo) == 0);
        uint64_t c;
        CHECK(m2c_u256_to_u64(&c, &v.items[2].word) && c == code);
        CHECK_EQ_INT(v.items[3].len, lm);
        CHECK(lm == 0 || memcmp(v.items[3].bytes, model, lm) == 0);
        CHECK_EQ_INT(v.items[4].len, li);
        CHECK(li == 0 || memcmp(v.items[4].bytes, in, li) == 0);
        m2c_buf_free(&b);
    }
    m2c_arena_free(&a);
}

TEST_MAIN(T(test_watchtx_find_fulfilment__finds_each_item_of_node_calldata),
          T(test_watchtx_find_fulfilment__rejects_truncated_and_foreign_calldata),
          T(test_watchtx_challenge_calldata__decodes_with_the_abi_codec))
