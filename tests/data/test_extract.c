/* Tests for the pure parts of src/data/extract*.c: the range planner, the split/retry
 * classifier, the adaptive span and scaled numbers. (The eth_getLogs parser the extractor
 * uses is src/eth/rpc_logs.c, tested in tests/eth/test_rpc.c.) */
#include <stdio.h>

#include "ml2chain/extract.h"
#include "test.h"

TEST(test_extract_missing__subtracts_done_ranges) {
    m2c_block_range out[8];
    const m2c_block_range done[] = {{10, 19}, {30, 39}, {50, 100}};
    size_t n = m2c_extract_missing(out, 8, 0, 60, done, 3);
    REQUIRE(n == 3);
    CHECK(out[0].from == 0 && out[0].to == 9);
    CHECK(out[1].from == 20 && out[1].to == 29);
    CHECK(out[2].from == 40 && out[2].to == 49);
    /* fully covered, starting inside a done range, ending inside one */
    CHECK_EQ_INT(m2c_extract_missing(out, 8, 12, 18, done, 3), 0);
    n = m2c_extract_missing(out, 8, 15, 35, done, 3);
    REQUIRE(n == 1);
    CHECK(out[0].from == 20 && out[0].to == 29);
    n = m2c_extract_missing(out, 8, 95, 120, done, 3);
    REQUIRE(n == 1);
    CHECK(out[0].from == 101 && out[0].to == 120);
    /* nothing done; reversed; capacity smaller than the answer */
    n = m2c_extract_missing(out, 8, 5, 5, NULL, 0);
    CHECK(n == 1 && out[0].from == 5 && out[0].to == 5);
    CHECK_EQ_INT(m2c_extract_missing(out, 8, 6, 5, NULL, 0), 0);
    CHECK_EQ_INT(m2c_extract_missing(out, 1, 0, 60, done, 3), 3);
    CHECK(out[0].from == 0 && out[0].to == 9);
    /* the top of the block space */
    const m2c_block_range top[] = {{0, UINT64_MAX}};
    CHECK_EQ_INT(m2c_extract_missing(out, 8, 0, UINT64_MAX, top, 1), 0);
}

TEST(test_extract_missing__random_ranges_cover_exactly_the_gaps) {
    for (long it = 0; it < m2c_test_iters(300); it++) {
        static uint8_t isdone[200];
        memset(isdone, 0, sizeof isdone);
        m2c_block_range done[20];
        size_t nd = 0;
        uint64_t cur = m2c_test_rand() % 10;
        while (nd < 20 && cur < 200) {
            uint64_t len = 1 + m2c_test_rand() % 15;
            uint64_t to = cur + len - 1 < 199 ? cur + len - 1 : 199;
            done[nd].from = cur;
            done[nd].to = to;
            for (uint64_t b = cur; b <= to; b++)
                isdone[b] = 1;
            nd++;
            cur = to + 2 + m2c_test_rand() % 10;
        }
        uint64_t from = m2c_test_rand() % 200, to = from + m2c_test_rand() % (200 - from);
        m2c_block_range out[64];
        size_t n = m2c_extract_missing(out, 64, from, to, done, nd);
        REQUIRE(n <= 64);
        static uint8_t got[200];
        memset(got, 0, sizeof got);
        uint64_t prev_to = 0;
        for (size_t i = 0; i < n; i++) {
            CHECK(out[i].from <= out[i].to);
            CHECK(i == 0 || out[i].from > prev_to + 1); /* sorted, never adjacent */
            prev_to = out[i].to;
            for (uint64_t b = out[i].from; b <= out[i].to; b++)
                got[b]++;
        }
        for (uint64_t b = 0; b < 200; b++) {
            int want = b >= from && b <= to && !isdone[b];
            if (got[b] != want) {
                CHECK_EQ_INT(got[b], want);
                return;
            }
        }
    }
}

static m2c_err rpc_err(const char *msg, long code) {
    m2c_err e;
    m2c_err_clear(&e);
    m2c_err_set(&e, M2C_ERR_RPC, "%s", msg);
    e.rpc_code = code;
    return e;
}

TEST(test_extract_classify__splits_refused_ranges_retries_transient_fails_the_rest) {
    const char *refusals[] = {
        "query returned more than 10000 results",
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block "
        "range",
        "block range too large",
        "eth_getLogs is limited to a 10,000 range",
        "exceed maximum block range: 5000",
        "query timeout exceeded",
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        m2c_err e = rpc_err(refusals[i], -32005);
        CHECK(m2c_extract_classify(M2C_ERR_RPC, &e, 100) == M2C_EXTRACT_SPLIT);
        CHECK(m2c_extract_classify(M2C_ERR_RPC, &e, 1) == M2C_EXTRACT_RETRY);
    }
    m2c_err e = rpc_err("invalid argument 0: hex string has odd length", -32602);
    CHECK(m2c_extract_classify(M2C_ERR_RPC, &e, 100) == M2C_EXTRACT_FAIL);
    e = rpc_err("the method eth_getLogs does not exist/is not available", -32601);
    CHECK(m2c_extract_classify(M2C_ERR_RPC, &e, 100) == M2C_EXTRACT_FAIL);
    e = rpc_err("internal error", -32603);
    CHECK(m2c_extract_classify(M2C_ERR_RPC, &e, 100) == M2C_EXTRACT_RETRY);
    m2c_err_clear(&e);
    CHECK(m2c_extract_classify(M2C_ERR_TIMEOUT, &e, 2) == M2C_EXTRACT_SPLIT);
    CHECK(m2c_extract_classify(M2C_ERR_TIMEOUT, &e, 1) == M2C_EXTRACT_RETRY);
    CHECK(m2c_extract_classify(M2C_ERR_NOMEM, &e, 50) == M2C_EXTRACT_SPLIT); /* over the cap */
    CHECK(m2c_extract_classify(M2C_ERR_TRUNCATED, &e, 50) == M2C_EXTRACT_RETRY);
    CHECK(m2c_extract_classify(M2C_ERR_PROTOCOL, &e, 50) == M2C_EXTRACT_RETRY);
    e.http_status = 429;
    CHECK(m2c_extract_classify(M2C_ERR_HTTP, &e, 50) == M2C_EXTRACT_RETRY);
    e.http_status = 503;
    CHECK(m2c_extract_classify(M2C_ERR_HTTP, &e, 50) == M2C_EXTRACT_RETRY);
    e.http_status = 413;
    CHECK(m2c_extract_classify(M2C_ERR_HTTP, &e, 50) == M2C_EXTRACT_SPLIT);
    e.http_status = 401;
    CHECK(m2c_extract_classify(M2C_ERR_HTTP, &e, 50) == M2C_EXTRACT_FAIL);
    CHECK(m2c_extract_classify(M2C_ERR_STATE, &e, 50) == M2C_EXTRACT_FAIL);
}

TEST(test_extract_next_span__aims_at_target_within_bounds) {
    CHECK_EQ_INT(m2c_extract_next_span(100, 10000, 5000, 2000), 50);
    CHECK_EQ_INT(m2c_extract_next_span(100, 0, 5000, 2000), 200);   /* empty: grow 2x */
    CHECK_EQ_INT(m2c_extract_next_span(100, 1, 5000, 2000), 200);   /* at most 2x */
    CHECK_EQ_INT(m2c_extract_next_span(1500, 0, 5000, 2000), 2000); /* capped */
    CHECK_EQ_INT(m2c_extract_next_span(1, 1000000, 5000, 2000), 1); /* at least one block */
    CHECK_EQ_INT(m2c_extract_next_span(UINT64_MAX, 0, 5000, UINT64_MAX), UINT64_MAX);
}

TEST(test_extract_ramp__doubles_with_each_round_of_workers) {
    CHECK_EQ_INT(m2c_extract_ramp(0, 4), 1);
    CHECK_EQ_INT(m2c_extract_ramp(3, 4), 1); /* the first round is not back yet */
    CHECK_EQ_INT(m2c_extract_ramp(4, 4), 2);
    CHECK_EQ_INT(m2c_extract_ramp(7, 4), 2);
    CHECK_EQ_INT(m2c_extract_ramp(8, 4), 4);
    CHECK_EQ_INT(m2c_extract_ramp(44, 4), 2048); /* past the default ceiling of 2000 blocks */
    CHECK_EQ_INT(m2c_extract_ramp(5, 1), 32);
    CHECK_EQ_INT(m2c_extract_ramp(5, 0), 32); /* no workers counts as one */
    CHECK_EQ_INT(m2c_extract_ramp(62, 1), (uint64_t)1 << 62);
    CHECK_EQ_INT(m2c_extract_ramp(63, 1), UINT64_MAX);
    CHECK_EQ_INT(m2c_extract_ramp(UINT64_MAX, 1), UINT64_MAX);
}

TEST(test_extract_chunk_blocks__shrinks_to_a_share_of_what_is_left) {
    CHECK_EQ_INT(m2c_extract_chunk_blocks(2000, 1000000, 4), 2000); /* far from the end */
    CHECK_EQ_INT(m2c_extract_chunk_blocks(2000, 80, 4), 10);        /* 80 / (2 * 4) */
    CHECK_EQ_INT(m2c_extract_chunk_blocks(2000, 81, 4), 11);        /* rounded up */
    CHECK_EQ_INT(m2c_extract_chunk_blocks(3, 80, 4), 3);            /* the span is smaller */
    CHECK_EQ_INT(m2c_extract_chunk_blocks(2000, 3, 4), 1);
    CHECK_EQ_INT(m2c_extract_chunk_blocks(2000, 0, 4), 1);
    CHECK_EQ_INT(m2c_extract_chunk_blocks(0, 50, 4), 1);
    CHECK_EQ_INT(m2c_extract_chunk_blocks(100, 10, 0), 5); /* no workers counts as one */
    CHECK_EQ_INT(m2c_extract_chunk_blocks(UINT64_MAX, UINT64_MAX, 1), UINT64_MAX / 2 + 1);
    /* a range handed out chunk by chunk: covered exactly, and the chunks only shrink once the
     * share is below the span */
    for (int round = 0; round < 200; round++) {
        uint64_t left = 1 + m2c_test_rand() % 100000, span = 1 + m2c_test_rand() % 3000;
        unsigned workers = 1 + (unsigned)(m2c_test_rand() % 16);
        uint64_t total = left, sum = 0, prev = UINT64_MAX;
        int ok = 1;
        while (left) {
            uint64_t n = m2c_extract_chunk_blocks(span, left, workers);
            if (n > left) n = left; /* what the engine does at the end of a range */
            ok &= n >= 1 && n <= span && n <= prev;
            prev = n;
            sum += n;
            left -= n;
        }
        CHECK(ok && sum == total);
    }
}

TEST(test_extract_scaled__is_correctly_rounded_from_the_decimal_text) {
    CHECK(m2c_extract_scaled("1000000000000000000", 19, 18) == 1.0);
    CHECK(m2c_extract_scaled("-2500000", 8, 6) == -2.5);
    CHECK(m2c_extract_scaled("123", 3, 0) == 123.0);
    const char *max =
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    CHECK(m2c_extract_scaled(max, strlen(max), 0) == 1.157920892373162e77);
    CHECK(m2c_extract_scaled("1", 1, 77) == 1e-77);
    /* 0.1 is not a double: scaling must round once from the decimal, as strtod("0.1") */
    CHECK(m2c_extract_scaled("1", 1, 1) == 0.1);
    /* the fast paths (below 10^19; below 2^53 with a divisor) agree with strtod everywhere */
    for (int it = 0; it < m2c_test_iters(200000); it++) {
        uint64_t v = m2c_test_rand() >> (m2c_test_rand() % 64);
        int d = (int)(m2c_test_rand() % 30), neg = (int)(m2c_test_rand() & 1);
        char txt[40], ref[80];
        int n = snprintf(txt, sizeof txt, "%s%llu", neg && v ? "-" : "", (unsigned long long)v);
        snprintf(ref, sizeof ref, "%se-%d", txt, d);
        double want = strtod(ref, NULL);
        if (m2c_extract_scaled(txt, (size_t)n, d) != want) {
            CHECK(m2c_extract_scaled(txt, (size_t)n, d) == want);
            fprintf(stderr, "  %s scaled by 10^-%d\n", txt, d);
            break;
        }
    }
}

TEST_MAIN(T(test_extract_missing__subtracts_done_ranges),
          T(test_extract_missing__random_ranges_cover_exactly_the_gaps),
          T(test_extract_classify__splits_refused_ranges_retries_transient_fails_the_rest),
          T(test_extract_next_span__aims_at_target_within_bounds),
          T(test_extract_ramp__doubles_with_each_round_of_workers),
          T(test_extract_chunk_blocks__shrinks_to_a_share_of_what_is_left),
          T(test_extract_scaled__is_correctly_rounded_from_the_decimal_text))
