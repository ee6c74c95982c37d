/* Tests for the pure parts of src/data/extract*.c: the range planner, the split/retry
 * classifier, the adaptive span, scaled numbers, and the fast eth_getLogs parser (checked
 * against the generic parser in src/eth on valid, mutated and random bodies). */
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
            for (uint64_t b = cur; b <= to; b++) isdone[b] = 1;
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
            for (uint64_t b = out[i].from; b <= out[i].to; b++) got[b]++;
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
    CHECK_EQ_INT(m2c_extract_next_span(100, 0, 5000, 2000), 200);    /* empty: grow 2x */
    CHECK_EQ_INT(m2c_extract_next_span(100, 1, 5000, 2000), 200);    /* at most 2x */
    CHECK_EQ_INT(m2c_extract_next_span(1500, 0, 5000, 2000), 2000);  /* capped */
    CHECK_EQ_INT(m2c_extract_next_span(1, 1000000, 5000, 2000), 1);  /* at least one block */
    CHECK_EQ_INT(m2c_extract_next_span(UINT64_MAX, 0, 5000, UINT64_MAX), UINT64_MAX);
}

TEST(test_extract_scaled__is_correctly_rounded_from_the_decimal_text) {
    CHECK(m2c_extract_scaled("1000000000000000000", 19, 18) == 1.0);
    CHECK(m2c_extract_scaled("-2500000", 8, 6) == -2.5);
    CHECK(m2c_extract_scaled("123", 3, 0) == 123.0);
    const char *max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    CHECK(m2c_extract_scaled(max, strlen(max), 0) == 1.157920892373162e77);
    CHECK(m2c_extract_scaled("1", 1, 77) == 1e-77);
    /* 0.1 is not a double: scaling must round once from the decimal, as strtod("0.1") */
    CHECK(m2c_extract_scaled("1", 1, 1) == 0.1);
}

/* ---- fast eth_getLogs parser vs the generic one ---------------------------------------- */

static const char *LOG1 =
    "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":["
    "\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\","
    "\"0x0000000000000000000000000000000000000000000000000000000000000001\"],"
    "\"data\":\"0x00000000000000000000000000000000000000000000000000000000000000ff\","
    "\"blockHash\":\"0x2d3238b39638baac2d230b5f43c40a3b5fc2155b12351ff9ea5bfafa016ac336\","
    "\"blockNumber\":\"0x1a\",\"blockTimestamp\":\"0x6543\","
    "\"transactionHash\":\"0x2cf75ca2c8d2b4b451e5526cfa31fe03faa4b7fc0e9d898f0a131b122104927a\","
    "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x3\",\"removed\":false}";

static int same_logs(const m2c_rpc_logs *a, const m2c_rpc_logs *b) {
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++) {
        const m2c_rpc_log *x = &a->v[i], *y = &b->v[i];
        if (memcmp(&x->address, &y->address, 20) || x->n_topics != y->n_topics ||
            memcmp(x->topics, y->topics, x->n_topics * 32) || x->data_len != y->data_len ||
            (x->data_len && memcmp(x->data, y->data, x->data_len)) ||
            x->block_number != y->block_number || memcmp(&x->block_hash, &y->block_hash, 32) ||
            memcmp(&x->transaction_hash, &y->transaction_hash, 32) ||
            x->transaction_index != y->transaction_index || x->log_index != y->log_index ||
            x->removed != y->removed)
            return 0;
    }
    return 1;
}

/* The fast parser must agree with the generic one whenever it answers, and never accept what
 * the generic one rejects. Returns 1 if the fast parser answered. */
static int agree(const char *body, size_t len, uint64_t id) {
    m2c_rpc_logs f, g;
    m2c_err e;
    m2c_status sf = m2c_extract_parse_logs_fast(&f, body, len, id);
    m2c_status sg = m2c_rpc_parse_logs_body(&g, body, len, id, &e);
    int answered = sf == M2C_OK;
    if (sf == M2C_OK) {
        if (sg != M2C_OK) {
            fprintf(stderr, "  fast accepted what generic rejects (%s): %.*s\n", e.msg,
                    (int)(len > 200 ? 200 : len), body);
            m2c_test_failed_ = 1;
        } else if (!same_logs(&f, &g)) {
            fprintf(stderr, "  fast and generic disagree on: %.*s\n", (int)(len > 200 ? 200 : len),
                    body);
            m2c_test_failed_ = 1;
        }
    } else {
        CHECK(sf == M2C_ERR_UNSUPPORTED);
        CHECK(f.n == 0 && f.v == NULL);
    }
    m2c_rpc_logs_free(&f);
    m2c_rpc_logs_free(&g);
    return answered;
}

TEST(test_extract_parse_logs_fast__agrees_with_the_generic_parser) {
    char body[8192];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[%s,%s]}", LOG1, LOG1);
    CHECK(agree(body, strlen(body), 7));
    m2c_rpc_logs f;
    REQUIRE(m2c_extract_parse_logs_fast(&f, body, strlen(body), 7) == M2C_OK);
    REQUIRE(f.n == 2);
    CHECK_EQ_INT(f.v[0].block_number, 26);
    CHECK_EQ_INT(f.v[1].log_index, 3);
    CHECK_EQ_INT(f.v[0].n_topics, 2);
    CHECK(f.v[0].data_len == 32 && f.v[0].data[31] == 0xff);
    m2c_rpc_logs_free(&f);
    /* whitespace and key order do not matter */
    snprintf(body, sizeof body, " { \"result\" : [ %s ] , \"id\" : 7 , \"jsonrpc\" : \"2.0\" } \n",
             LOG1);
    CHECK(agree(body, strlen(body), 7));
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[]}");
    CHECK(agree(body, strlen(body), 7));
    /* shapes the fast path leaves to the generic parser */
    const char *hand_off[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32005,\"message\":\"query returned more "
        "than 10000 results\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":[]}",   /* wrong id */
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[]",    /* truncated */
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[]}x",  /* trailing garbage */
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":null}",
        "<html>502 Bad Gateway</html>",
        "",
    };
    for (size_t i = 0; i < sizeof hand_off / sizeof hand_off[0]; i++)
        CHECK(!agree(hand_off[i], strlen(hand_off[i]), 7));
    /* a log missing a field, an odd-length data, a leading-zero quantity, five topics */
    const char *bad_logs[] = {
        "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[]}",
        "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[],\"data\":\"0x0\","
        "\"blockHash\":\"0x2d3238b39638baac2d230b5f43c40a3b5fc2155b12351ff9ea5bfafa016ac336\","
        "\"blockNumber\":\"0x1\",\"transactionHash\":"
        "\"0x2cf75ca2c8d2b4b451e5526cfa31fe03faa4b7fc0e9d898f0a131b122104927a\","
        "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\"}",
        "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[],\"data\":\"0x\","
        "\"blockHash\":\"0x2d3238b39638baac2d230b5f43c40a3b5fc2155b12351ff9ea5bfafa016ac336\","
        "\"blockNumber\":\"0x01\",\"transactionHash\":"
        "\"0x2cf75ca2c8d2b4b451e5526cfa31fe03faa4b7fc0e9d898f0a131b122104927a\","
        "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\"}",
    };
    for (size_t i = 0; i < sizeof bad_logs / sizeof bad_logs[0]; i++) {
        snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[%s]}", bad_logs[i]);
        CHECK(!agree(body, strlen(body), 7));
    }
}

TEST(test_extract_parse_logs_fast__never_disagrees_on_mutated_bodies) {
    char base[4096], body[4096];
    snprintf(base, sizeof base, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":[%s,%s]}", LOG1, LOG1);
    size_t n = strlen(base);
    int answered = 0;
    for (long it = 0; it < m2c_test_iters(3000); it++) {
        memcpy(body, base, n + 1);
        size_t len = n;
        int k = 1 + (int)(m2c_test_rand() % 3);
        for (int j = 0; j < k && len > 0; j++) {
            size_t at = m2c_test_rand() % len;
            switch (m2c_test_rand() % 3) {
            case 0: body[at] = "0x{}[]\",:a9 \\-"[m2c_test_rand() % 15]; break;
            case 1: len = at; break; /* cut */
            default:
                memmove(body + at, body + at + 1, len - at - 1); /* drop a byte */
                len--;
            }
        }
        answered += agree(body, len, 3);
    }
    CHECK(answered > 0); /* some mutations (in hex digits) stay valid */
}

TEST_MAIN(T(test_extract_missing__subtracts_done_ranges),
          T(test_extract_missing__random_ranges_cover_exactly_the_gaps),
          T(test_extract_classify__splits_refused_ranges_retries_transient_fails_the_rest),
          T(test_extract_next_span__aims_at_target_within_bounds),
          T(test_extract_scaled__is_correctly_rounded_from_the_decimal_text),
          T(test_extract_parse_logs_fast__agrees_with_the_generic_parser),
          T(test_extract_parse_logs_fast__never_disagrees_on_mutated_bodies))
