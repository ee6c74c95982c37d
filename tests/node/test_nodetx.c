/* Tests for src/node/nodetx.c: log decoding, fulfil calldata (checked with the independent
 * ABI decoder), the 63/64 gas bound, fee suggestion and bumping, and the nonce sequence. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/abi.h"
#include "ml2chain/arena.h"
#include "ml2chain/keccak.h"
#include "ml2chain/nodetx.h"
#include "ml2chain/u256.h"
#include "test.h"

static void word_u64(uint8_t *w, uint64_t v) {
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++) w[31 - i] = (uint8_t)(v >> (8 * i));
}

/* A Requested log for id/model with `input`, as the Coordinator emits it: data =
 * abi.encode(bytes32 callbackWord, uint256 terms, bytes input) with callbackWord = callback
 * (20 bytes) | selector (4) | callbackGasLimit (4) | 0 (4) and terms = deadline (8) |
 * payment (24). */
static size_t make_requested(uint8_t *data, m2c_hash32 topics[4], uint64_t id, uint64_t model,
                             const uint8_t *input, size_t len) {
    topics[0] = m2c_event_topic(M2C_SIG_REQUESTED);
    word_u64(topics[1].b, id);
    word_u64(topics[2].b, model);
    word_u64(topics[3].b, 0);
    memset(topics[3].b + 12, 0xaa, 20);
    memset(data, 0, 4 * 32);
    memset(data, 0xbb, 20);                       /* callback */
    memcpy(data + 20, "\x12\x34\x56\x78", 4);     /* selector */
    memcpy(data + 24, "\x00\x01\x86\xa0", 4);     /* callbackGasLimit 100000 */
    memcpy(data + 32, "\x00\x00\x00\x00\x65\x53\xf1\x00", 8); /* deadline 1700000000 */
    memset(data + 40, 0, 24);
    data[40] = 0x01;                              /* payment: 2^184 + 5 */
    data[63] = 5;
    word_u64(data + 64, 96);                      /* offset of input */
    word_u64(data + 96, len);
    memcpy(data + 128, input, len);
    size_t padded = (len + 31) / 32 * 32;
    memset(data + 128 + len, 0, padded - len);
    return 128 + padded;
}

TEST(test_nodetx_decode_requested__unpacks_the_nine_request_words) {
    uint8_t data[512];
    m2c_hash32 t[4];
    const uint8_t in[] = "0.5,0.25";
    size_t n = make_requested(data, t, 77, 3, in, 8);
    m2c_noderec r;
    m2c_err e;
    REQUIRE(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_OK);
    CHECK_EQ_STR(r.model, "3");
    CHECK_EQ_INT(r.input_len, 8);
    CHECK(memcmp(r.input, in, 8) == 0);
    CHECK(r.id.b[31] == 77);
    CHECK_EQ_INT(m2c_node_req_callback_gas(r.req), 100000);
    CHECK(m2c_node_req_has_callback(r.req));
    /* each word as abi.encode(Request) has it */
    uint8_t want[32];
    CHECK(memcmp(r.req + 0, t[1].b, 32) == 0);  /* requestId */
    CHECK(memcmp(r.req + 32, t[2].b, 32) == 0); /* modelId */
    CHECK(memcmp(r.req + 64, t[3].b, 32) == 0); /* requester */
    memset(want, 0, 32);
    memset(want + 12, 0xbb, 20);
    CHECK(memcmp(r.req + 96, want, 32) == 0); /* callback */
    memset(want, 0, 32);
    memcpy(want, "\x12\x34\x56\x78", 4);
    CHECK(memcmp(r.req + 128, want, 32) == 0); /* selector, left-aligned */
    word_u64(want, 100000);
    CHECK(memcmp(r.req + 160, want, 32) == 0); /* callbackGasLimit */
    word_u64(want, 1700000000);
    CHECK(memcmp(r.req + 192, want, 32) == 0); /* deadline */
    memset(want, 0, 32);
    want[8] = 0x01;
    want[31] = 5;
    CHECK(memcmp(r.req + 224, want, 32) == 0); /* payment */
    m2c_hash32 ih = m2c_keccak256(in, 8);
    CHECK(memcmp(r.req + 256, ih.b, 32) == 0); /* inputHash */
    m2c_noderec_free(&r);
}

TEST(test_nodetx_decode_requested__rejects_truncated_and_bad_offsets) {
    uint8_t data[512];
    m2c_hash32 t[4];
    size_t n = make_requested(data, t, 1, 1, (const uint8_t *)"1,2", 3);
    m2c_noderec r;
    m2c_err e;
    for (size_t cut = 0; cut < n; cut += 7) {
        m2c_status st = m2c_node_decode_requested(&r, t, 4, data, cut, &e);
        CHECK(st != M2C_OK);
        m2c_noderec_free(&r);
    }
    word_u64(data + 64, 4096); /* offset past the end */
    CHECK(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_ERR_INVALID);
    word_u64(data + 64, 96);
    word_u64(data + 96, 1000); /* length past the end */
    CHECK(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_ERR_TRUNCATED);
    word_u64(data + 96, 3);
    data[31] = 1; /* callbackWord's low bytes must be zero */
    CHECK(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_ERR_INVALID);
    data[31] = 0;
    REQUIRE(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_OK);
    m2c_noderec_free(&r);
    CHECK(m2c_node_decode_requested(&r, t, 3, data, n, &e) == M2C_ERR_INVALID);
    t[0].b[0] ^= 1;
    CHECK(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_ERR_INVALID);
}

TEST(test_nodetx_decode_template_request__reads_strings) {
    /* (uint256 id, address user, string modelId, string input, address cb, string fn) */
    uint8_t d[32 * 12];
    memset(d, 0, sizeof d);
    word_u64(d, 9);
    word_u64(d + 64, 192);
    word_u64(d + 96, 256);
    word_u64(d + 160, 320);
    word_u64(d + 192, 3);
    memcpy(d + 224, "lin", 3);
    word_u64(d + 256, 7);
    memcpy(d + 288, "1.5,2.5", 7);
    word_u64(d + 320, 1);
    memcpy(d + 352, "f", 1);
    m2c_noderec r;
    m2c_err e;
    REQUIRE(m2c_node_decode_template_request(&r, d, sizeof d, &e) == M2C_OK);
    CHECK_EQ_STR(r.model, "lin");
    CHECK_EQ_INT(r.input_len, 7);
    CHECK(!r.has_req);
    m2c_noderec_free(&r);
    word_u64(d + 192, 200); /* modelId longer than the store keeps */
    CHECK(m2c_node_decode_template_request(&r, d, sizeof d, &e) != M2C_OK);
}

/* Decodes calldata with the ABI module and checks it against the items. */
TEST(test_nodetx_fulfil_calldata__batch_decodes_with_the_abi_codec) {
    m2c_arena a;
    m2c_arena_init(&a, 1 << 24);
    m2c_abi_sig sig;
    m2c_err e;
    REQUIRE(m2c_abi_sig_parse(&a, &sig,
                              "fulfillBatch(((uint256,uint256,address,address,bytes4,uint32,uint64,"
                              "uint256,bytes32),bytes,uint32)[])",
                              M2C_ABI_FUNCTION, &e) == M2C_OK);
    for (int iter = 0; iter < m2c_test_iters(50); iter++) {
        size_t n = 1 + (size_t)(m2c_test_rand() % 7);
        uint8_t req[7][288], out[7][100];
        m2c_fulfil_item it[7];
        for (size_t i = 0; i < n; i++) {
            memset(req[i], 0, sizeof req[i]);
            for (int w = 0; w < 9; w++) req[i][w * 32 + 31] = (uint8_t)(i * 9 + (size_t)w);
            memset(req[i] + 2 * 32 + 12, 0xcc, 20);
            req[i][4 * 32 + 31] = 0; /* bytes4: left-aligned */
            memcpy(req[i] + 4 * 32, "\x01\x02\x03\x04", 4);
            it[i].req = req[i];
            it[i].output_len = (size_t)(m2c_test_rand() % 100);
            for (size_t k = 0; k < it[i].output_len; k++) out[i][k] = (uint8_t)m2c_test_rand();
            it[i].output = out[i];
            it[i].error_code = (uint32_t)(m2c_test_rand() % 9);
        }
        m2c_buf b;
        m2c_buf_init(&b, 0);
        REQUIRE(m2c_node_fulfil_calldata(&b, it, n, 1, &e) == M2C_OK);
        CHECK(memcmp(b.p, sig.selector, 4) == 0);
        m2c_abi_value v;
        REQUIRE(m2c_abi_decode(&a, &v, sig.inputs, b.p + 4, b.len - 4, 0, &e) == M2C_OK);
        REQUIRE(v.n == 1 && v.items[0].n == n);
        for (size_t i = 0; i < n; i++) {
            const m2c_abi_value *f = &v.items[0].items[i];
            REQUIRE(f->n == 3);
            CHECK_EQ_INT(f->items[1].len, it[i].output_len);
            CHECK(it[i].output_len == 0 || memcmp(f->items[1].bytes, out[i], it[i].output_len) == 0);
            uint64_t code;
            CHECK(m2c_u256_to_u64(&code, &f->items[2].word) && code == it[i].error_code);
            uint64_t w0;
            CHECK(m2c_u256_to_u64(&w0, &f->items[0].items[0].word) && w0 == i * 9);
        }
        /* Strictness: the encoding has exactly the length of its parts. */
        size_t want = 4 + 64 + 32 * n;
        for (size_t i = 0; i < n; i++) want += 32 * 12 + (it[i].output_len + 31) / 32 * 32;
        CHECK_EQ_INT(b.len, want);
        m2c_buf_free(&b);
    }
    m2c_arena_free(&a);
}

TEST(test_nodetx_fulfil_calldata__single_uses_fulfill) {
    m2c_arena a;
    m2c_arena_init(&a, 1 << 20);
    m2c_abi_sig sig;
    m2c_err e;
    REQUIRE(m2c_abi_sig_parse(&a, &sig,
                              "fulfill((uint256,uint256,address,address,bytes4,uint32,uint64,uint256,"
                              "bytes32),bytes,uint32)",
                              M2C_ABI_FUNCTION, &e) == M2C_OK);
    uint8_t req[288] = {0};
    m2c_fulfil_item it = {req, (const uint8_t *)"abc", 3, 5};
    m2c_buf b;
    m2c_buf_init(&b, 0);
    REQUIRE(m2c_node_fulfil_calldata(&b, &it, 1, 0, &e) == M2C_OK);
    CHECK(memcmp(b.p, sig.selector, 4) == 0);
    m2c_abi_value v;
    REQUIRE(m2c_abi_decode(&a, &v, sig.inputs, b.p + 4, b.len - 4, 0, &e) == M2C_OK);
    CHECK_EQ_INT(v.items[1].len, 3);
    CHECK(m2c_node_fulfil_calldata(&b, &it, 0, 0, &e) == M2C_ERR_INVALID);
    m2c_buf_free(&b);
    m2c_buf_init(&b, 0);
    m2c_hash32 id = {{0}};
    id.b[31] = 4;
    REQUIRE(m2c_node_template_calldata(&b, &id, (const uint8_t *)"1.25", 4, &e) == M2C_OK);
    REQUIRE(m2c_abi_sig_parse(&a, &sig, "fulfillRequest(uint256,string)", M2C_ABI_FUNCTION, &e) == M2C_OK);
    CHECK(memcmp(b.p, sig.selector, 4) == 0);
    REQUIRE(m2c_abi_decode(&a, &v, sig.inputs, b.p + 4, b.len - 4, 0, &e) == M2C_OK);
    CHECK(v.items[1].len == 4 && memcmp(v.items[1].bytes, "1.25", 4) == 0);
    m2c_buf_free(&b);
    m2c_arena_free(&a);
}

/* The callbackGasLimit bytes (24..27) of a Requested log's callbackWord. */
static void set_requested_gas(uint8_t *data, uint32_t v) {
    for (int i = 0; i < 4; i++) data[24 + i] = (uint8_t)(v >> (8 * (3 - i)));
}

TEST(test_nodetx_final_only__flag_is_not_gas) {
    uint8_t data[512];
    m2c_hash32 t[4];
    size_t n = make_requested(data, t, 9, 1, (const uint8_t *)"1", 1);
    set_requested_gas(data, 150000 | M2C_NODE_FINAL_ONLY); /* callbackGasLimit with FINAL_ONLY */
    m2c_noderec r;
    m2c_err e;
    REQUIRE(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_OK);
    CHECK(m2c_node_req_final_only(r.req));
    CHECK_EQ_INT(m2c_node_req_callback_gas(r.req), 150000);
    /* bounded as if called back (a model without a window delivers at fulfilment) */
    CHECK_EQ_INT(m2c_node_req_fulfil_callback_gas(r.req), 150000);
    /* the flag is part of the request words the commitment covers */
    CHECK_EQ_INT(r.req[5 * 32 + 28], 0x80);
    m2c_noderec_free(&r);
    set_requested_gas(data, 150000);
    REQUIRE(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_OK);
    CHECK(!m2c_node_req_final_only(r.req));
    CHECK_EQ_INT(m2c_node_req_fulfil_callback_gas(r.req), 150000);
    m2c_noderec_free(&r);
    /* no callback: nothing to spend either way */
    memset(data, 0, 20); /* callback address(0) */
    set_requested_gas(data, 150000);
    REQUIRE(m2c_node_decode_requested(&r, t, 4, data, n, &e) == M2C_OK);
    CHECK_EQ_INT(m2c_node_req_fulfil_callback_gas(r.req), 0);
    m2c_noderec_free(&r);
}

TEST(test_nodetx_deliver_calldata__decodes_with_the_abi_codec) {
    m2c_arena a;
    m2c_arena_init(&a, 1 << 20);
    m2c_abi_sig sig;
    m2c_err e;
    REQUIRE(m2c_abi_sig_parse(&a, &sig, M2C_SIG_DELIVER, M2C_ABI_FUNCTION, &e) == M2C_OK);
    /* cast sig 'deliver((uint256,uint256,address,address,bytes4,uint32,uint64,uint256,bytes32),bytes,uint32)' */
    CHECK(memcmp(sig.selector, "\x19\x89\xf4\x03", 4) == 0);
    uint8_t req[288];
    memset(req, 0, sizeof req); /* clean words: word w ends in w + 1 (bytes4 leads with it) */
    for (size_t w = 0; w < 9; w++) req[32 * w + (w == 4 ? 0 : 31)] = (uint8_t)(w + 1);
    uint8_t out[70];
    for (size_t i = 0; i < sizeof out; i++) out[i] = (uint8_t)(200 - i);
    m2c_buf b;
    m2c_buf_init(&b, 0);
    REQUIRE(m2c_node_deliver_calldata(&b, req, out, sizeof out, 3, &e) == M2C_OK);
    CHECK(memcmp(b.p, sig.selector, 4) == 0);
    m2c_abi_value v;
    REQUIRE(m2c_abi_decode(&a, &v, sig.inputs, b.p + 4, b.len - 4, 0, &e) == M2C_OK);
    CHECK_EQ_INT(v.items[1].len, sizeof out);
    CHECK(memcmp(v.items[1].bytes, out, sizeof out) == 0);
    CHECK(memcmp(b.p + 4, req, sizeof req) == 0); /* the static tuple leads */
    CHECK_EQ_INT(b.p[4 + 288 + 63], 3);           /* errorCode word */
    m2c_buf_free(&b);
    m2c_arena_free(&a);
}

/* The coordinator's check: g - 5000 - (g - 5000) / 64 > limit. */
static int enough(uint64_t g, uint64_t limit) {
    if (g <= 5000) return 0;
    g -= 5000;
    return g - g / 64 > limit;
}

TEST(test_nodetx_gas_limit__covers_each_callback_under_the_63_64_rule) {
    for (int i = 0; i < m2c_test_iters(2000); i++) {
        uint32_t lim = (uint32_t)(m2c_test_rand() % 5000001);
        uint64_t total = m2c_node_gas_limit(0, &lim, 1, 0);
        uint64_t g = total - 120000; /* tx and item overheads */
        CHECK(enough(g, lim));
        CHECK(!enough(g - 1, lim) || !enough(g - 64, lim)); /* and not wastefully more */
    }
    uint32_t lims[3] = {100000, 200000, 0};
    uint64_t est = 10000000;
    CHECK_EQ_INT(m2c_node_gas_limit(est, lims, 3, 0), est + est / 10); /* 10% dominates */
    uint64_t small = 300000, need = 5000 + (64 * 200001 + 62) / 63;
    CHECK_EQ_INT(m2c_node_gas_limit(small, lims, 3, 0), small + need); /* largest callback */
    CHECK(enough(need, 200000));
    CHECK_EQ_INT(m2c_node_gas_limit(est, lims, 3, 10500000), 10500000); /* capped */
    CHECK_EQ_INT(m2c_node_gas_limit(est, lims, 3, 10100000), 0); /* headroom does not fit */
    uint32_t huge[8] = {5000000, 5000000, 5000000, 5000000, 5000000, 5000000, 5000000, 5000000};
    CHECK_EQ_INT(m2c_node_gas_limit(0, huge, 8, 30000000), 0); /* must split */
}

static m2c_u256 U(uint64_t v) { return m2c_u256_from_u64(v); }
static uint64_t V(const m2c_u256 *u) {
    uint64_t v = 0;
    CHECK(m2c_u256_to_u64(&v, u));
    return v;
}

TEST(test_nodetx_fees__suggest_from_base_fee_and_legacy) {
    m2c_node_fees f;
    m2c_u256 base = U(100), rew = U(3), minp = U(10), gp = U(77), cap = U(0);
    m2c_node_fees_suggest(&f, 1, &base, &rew, &minp, &gp, &cap);
    CHECK(!f.legacy);
    CHECK_EQ_INT(V(&f.prio_fee), 10);
    CHECK_EQ_INT(V(&f.max_fee), 210);
    cap = U(150);
    m2c_node_fees_suggest(&f, 1, &base, &rew, &minp, &gp, &cap);
    CHECK_EQ_INT(V(&f.max_fee), 150);
    m2c_node_fees_suggest(&f, 0, &base, &rew, &minp, &gp, &cap);
    CHECK(f.legacy);
    CHECK_EQ_INT(V(&f.max_fee), 77);
    CHECK_EQ_INT(V(&f.prio_fee), 77);
}

TEST(test_nodetx_fees__bump_raises_both_at_least_ten_percent_up_to_the_cap) {
    m2c_u256 zero = U(0);
    for (int i = 0; i < m2c_test_iters(2000); i++) {
        uint64_t mf = 1 + m2c_test_rand() % 1000000000000ull;
        uint64_t pf = m2c_test_rand() % (mf + 1);
        m2c_node_fees old = {U(mf), U(pf), 0}, fresh = {U(mf / 2), U(pf / 2), 0}, nw;
        REQUIRE(m2c_node_fees_bump(&nw, &old, &fresh, &zero) == M2C_OK);
        CHECK(V(&nw.max_fee) * 10 >= mf * 11 && V(&nw.max_fee) > mf);
        CHECK(V(&nw.prio_fee) * 10 >= pf * 11 && V(&nw.prio_fee) > pf);
        CHECK(V(&nw.prio_fee) <= V(&nw.max_fee));
    }
    /* The current market above the bump wins. */
    m2c_node_fees old = {U(100), U(10), 0}, fresh = {U(500), U(50), 0}, nw;
    REQUIRE(m2c_node_fees_bump(&nw, &old, &fresh, &zero) == M2C_OK);
    CHECK_EQ_INT(V(&nw.max_fee), 500);
    CHECK_EQ_INT(V(&nw.prio_fee), 50);
    /* A cap that leaves less than +10% refuses the replacement. */
    m2c_u256 cap = U(109);
    fresh = (m2c_node_fees){U(1), U(1), 0};
    CHECK(m2c_node_fees_bump(&nw, &old, &fresh, &cap) == M2C_ERR_RANGE);
    cap = U(110);
    REQUIRE(m2c_node_fees_bump(&nw, &old, &fresh, &cap) == M2C_OK);
    CHECK_EQ_INT(V(&nw.max_fee), 110);
    CHECK_EQ_INT(V(&nw.prio_fee), 12);
    /* Legacy: one price. */
    old = (m2c_node_fees){U(1000), U(1000), 1};
    REQUIRE(m2c_node_fees_bump(&nw, &old, &fresh, &zero) == M2C_OK);
    CHECK_EQ_INT(V(&nw.max_fee), 1125);
    CHECK_EQ_INT(V(&nw.prio_fee), 1125);
}

TEST(test_nodetx_nonce__sync_takes_the_larger_and_counts_up) {
    m2c_nonce_seq n = {0, 0};
    m2c_nonce_sync(&n, 5, 3);
    CHECK(n.synced);
    CHECK_EQ_INT(m2c_nonce_take(&n), 5);
    CHECK_EQ_INT(m2c_nonce_take(&n), 6);
    /* The store knows of signed txs the node may not have seen (crash before sending). */
    m2c_nonce_sync(&n, 5, 9);
    CHECK_EQ_INT(m2c_nonce_take(&n), 9);
    /* After a "nonce too low" the chain's pending count wins. */
    m2c_nonce_sync(&n, 12, 0);
    CHECK_EQ_INT(m2c_nonce_take(&n), 12);
}

TEST_MAIN(T(test_nodetx_decode_requested__unpacks_the_nine_request_words),
          T(test_nodetx_decode_requested__rejects_truncated_and_bad_offsets),
          T(test_nodetx_decode_template_request__reads_strings),
          T(test_nodetx_fulfil_calldata__batch_decodes_with_the_abi_codec),
          T(test_nodetx_fulfil_calldata__single_uses_fulfill),
          T(test_nodetx_final_only__flag_is_not_gas),
          T(test_nodetx_deliver_calldata__decodes_with_the_abi_codec),
          T(test_nodetx_gas_limit__covers_each_callback_under_the_63_64_rule),
          T(test_nodetx_fees__suggest_from_base_fee_and_legacy),
          T(test_nodetx_fees__bump_raises_both_at_least_ten_percent_up_to_the_cap),
          T(test_nodetx_nonce__sync_takes_the_larger_and_counts_up))
