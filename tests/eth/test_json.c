/* test_json.c: the strict JSON helpers (src/eth/json.c): path-joined error messages, the
 * escaped snippets quoted from peers, QUANTITY / DATA / fixed-size hex getters, optional
 * members, and the parse caps. */
#include "ml2chain/json.h"
#include "test.h"

static json_t *J(const char *s) {
    json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
    if (!v) fprintf(stderr, "  bad test json: %s\n", s);
    return v;
}

TEST(test_json_prefix__joins_paths_indexes_and_text) {
    m2c_err e;
    m2c_err_set(&e, M2C_ERR_PROTOCOL, "topics[1]: bad");
    m2c_json_prefix(&e, "[%d]", 3);
    m2c_json_prefix(&e, "result");
    CHECK_EQ_STR(e.msg, "result[3].topics[1]: bad");
    m2c_err_set(&e, M2C_ERR_PROTOCOL, "[2]: bad");
    m2c_json_prefix(&e, "reward");
    CHECK_EQ_STR(e.msg, "reward[2]: bad");
    m2c_err_set(&e, M2C_ERR_RANGE, "quantity does not fit in 64 bits");
    m2c_json_prefix(&e, "gasUsed");
    CHECK_EQ_STR(e.msg, "gasUsed: quantity does not fit in 64 bits");
    CHECK_EQ_INT(e.code, M2C_ERR_RANGE);
    CHECK_EQ_INT(m2c_json_prefix(NULL, "x"), M2C_OK);
}

TEST(test_json_snippet__escapes_and_cuts) {
    char out[64];
    m2c_json_snippet(out, sizeof out, "a\"b\\c\n\x01\xff", 8, 100);
    CHECK_EQ_STR(out, "\"a\\\"b\\\\c\\n\\x01\\xff\"");
    m2c_json_snippet(out, sizeof out, "abcdefghij", 10, 4);
    CHECK_EQ_STR(out, "\"abcd\"...");
    /* A tiny buffer still yields a terminated, quoted string. */
    char small[12];
    m2c_json_snippet(small, sizeof small, "abcdefghijklmnop", 16, 100);
    CHECK(strlen(small) < sizeof small);
    CHECK(small[0] == '"');
    CHECK(strstr(small, "...") != NULL);
    m2c_json_snippet(out, sizeof out, "", 0, 10);
    CHECK_EQ_STR(out, "\"\"");
}

TEST(test_json_getters__fixed_hex_lengths_and_digits) {
    json_t *o = J("{\"h\":\"0x"
                  "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\","
                  "\"short\":\"0x0011\",\"odd\":\"0x001\",\"bad\":\"0x"
                  "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
                  "\"noprefix\":\""
                  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\",\"num\":5}");
    REQUIRE(o);
    m2c_hash32 h;
    m2c_err e;
    REQUIRE(m2c_json_get_hash32(&h, o, "h", &e) == M2C_OK);
    CHECK_EQ_INT(h.b[0], 0x00);
    CHECK_EQ_INT(h.b[31], 0xff);
    memset(h.b, 0x5a, 32);
    CHECK_EQ_INT(m2c_json_get_hash32(&h, o, "short", &e), M2C_ERR_PROTOCOL);
    CHECK_EQ_STR(e.msg, "short: expected 32-byte hex, got 2 bytes");
    CHECK_EQ_INT(h.b[0], 0x5a); /* outputs untouched on failure */
    CHECK_EQ_INT(m2c_json_get_hash32(&h, o, "odd", &e), M2C_ERR_PROTOCOL);
    CHECK(strstr(e.msg, "odd: expected 32-byte hex, got 3 hex digits") != NULL);
    CHECK_EQ_INT(m2c_json_get_hash32(&h, o, "bad", &e), M2C_ERR_PROTOCOL);
    CHECK(strstr(e.msg, "bad: bad hex digit at offset 2") != NULL);
    CHECK_EQ_INT(e.offset, 2);
    CHECK_EQ_INT(m2c_json_get_hash32(&h, o, "noprefix", &e), M2C_ERR_PROTOCOL);
    CHECK_EQ_INT(m2c_json_get_hash32(&h, o, "num", &e), M2C_ERR_PROTOCOL);
    CHECK_EQ_STR(e.msg, "num: expected 32-byte hex, got integer");
    CHECK_EQ_INT(m2c_json_get_hash32(&h, o, "missing", &e), M2C_ERR_PROTOCOL);
    CHECK_EQ_STR(e.msg, "missing: missing");
    m2c_addr20 a;
    CHECK_EQ_INT(m2c_json_get_addr20(&a, o, "h", &e), M2C_ERR_PROTOCOL);
    CHECK_EQ_STR(e.msg, "h: expected 20-byte hex, got 32 bytes");
    json_decref(o);
}

TEST(test_json_getters__optional_members) {
    json_t *o = J("{\"n\":null,\"v\":\"0x2a\",\"a\":null}");
    REQUIRE(o);
    uint64_t v = 99;
    int present = -1;
    m2c_err e;
    CHECK_EQ_INT(m2c_json_get_u64_opt(&v, &present, o, "n", &e), M2C_OK);
    CHECK(present == 0 && v == 0);
    CHECK_EQ_INT(m2c_json_get_u64_opt(&v, &present, o, "absent", &e), M2C_OK);
    CHECK(present == 0);
    CHECK_EQ_INT(m2c_json_get_u64_opt(&v, &present, o, "v", &e), M2C_OK);
    CHECK(present == 1 && v == 42);
    CHECK_EQ_INT(m2c_json_get_u64(&v, o, "n", &e), M2C_ERR_PROTOCOL);
    CHECK_EQ_STR(e.msg, "n: is null");
    m2c_addr20 a;
    CHECK_EQ_INT(m2c_json_get_addr20_opt(&a, &present, o, "a", &e), M2C_OK);
    CHECK(present == 0);
    json_t *arr = J("[1]");
    CHECK_EQ_INT(m2c_json_get_u64_opt(&v, &present, arr, "v", &e), M2C_ERR_PROTOCOL);
    CHECK(strstr(e.msg, "expected object, got array") != NULL);
    json_decref(arr);
    json_decref(o);
}

TEST(test_json_data__caps_and_arena) {
    json_t *o = J("{\"d\":\"0xdeadbeef\",\"e\":\"0x\",\"odd\":\"0xabc\",\"x\":\"dead\"}");
    REQUIRE(o);
    m2c_arena a;
    m2c_arena_init(&a, 0);
    uint8_t *p = NULL;
    size_t n = 0;
    m2c_err e;
    REQUIRE(m2c_json_get_data(&p, &n, o, "d", 16, &a, &e) == M2C_OK);
    CHECK(n == 4 && p[0] == 0xde && p[3] == 0xef);
    CHECK_EQ_INT(m2c_json_get_data(&p, &n, o, "d", 3, &a, &e), M2C_ERR_RANGE);
    CHECK_EQ_STR(e.msg, "d: 4 bytes exceeds the cap of 3");
    REQUIRE(m2c_json_get_data(&p, &n, o, "e", 16, &a, &e) == M2C_OK);
    CHECK(n == 0 && p != NULL);
    CHECK_EQ_INT(m2c_json_get_data(&p, &n, o, "odd", 16, &a, &e), M2C_ERR_PROTOCOL);
    CHECK_EQ_INT(m2c_json_get_data(&p, &n, o, "x", 16, &a, &e), M2C_ERR_PROTOCOL);
    CHECK(strstr(e.msg, "x: expected hex data") != NULL);
    /* An arena at its cap: out of memory, not a crash. */
    m2c_arena tiny;
    m2c_arena_init(&tiny, 1);
    CHECK_EQ_INT(m2c_json_get_data(&p, &n, o, "d", 16, &tiny, &e), M2C_ERR_NOMEM);
    m2c_arena_free(&tiny);
    m2c_arena_free(&a);
    json_decref(o);
}

TEST(test_json_quantity__boundaries_u64_and_u256) {
    m2c_err e;
    uint64_t v;
    /* 2^64 - 1, 2^64, and leading zeros (tolerated, value must still fit). */
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0xffffffffffffffff", 18, &e), M2C_OK);
    CHECK(v == UINT64_MAX);
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0x10000000000000000", 19, &e), M2C_ERR_RANGE);
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0x00000000000000000001", 22, &e), M2C_OK);
    CHECK(v == 1);
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0X1A", 4, &e), M2C_OK);
    CHECK(v == 26);
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0x-1", 4, &e), M2C_ERR_PROTOCOL);
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0x 1", 4, &e), M2C_ERR_PROTOCOL);
    m2c_u256 u;
    const char *max = "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    const char *over = "0x10000000000000000000000000000000000000000000000000000000000000000";
    CHECK_EQ_INT(m2c_json_text_quantity_u256(&u, max, strlen(max), &e), M2C_OK);
    CHECK(u.w[0] == UINT64_MAX && u.w[1] == UINT64_MAX && u.w[2] == UINT64_MAX &&
          u.w[3] == UINT64_MAX);
    CHECK_EQ_INT(m2c_json_text_quantity_u256(&u, over, strlen(over), &e), M2C_ERR_RANGE);
    CHECK_EQ_INT(m2c_json_text_quantity_u256(&u, "0x123456789abcdef0123", 21, &e), M2C_OK);
    CHECK(u.w[0] == 0x456789abcdef0123ULL && u.w[1] == 0x123 && u.w[2] == 0);
    /* Random round trips against printf's hex. */
    for (long i = 0; i < m2c_test_iters(1000); i++) {
        uint64_t x = m2c_test_rand() >> (m2c_test_rand() % 64);
        char s[24];
        int n = snprintf(s, sizeof s, "0x%llx", (unsigned long long)x);
        CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, s, (size_t)n, &e), M2C_OK);
        CHECK(v == x);
    }
}

TEST(test_json_parse__truncated_vs_invalid_and_offsets) {
    json_t *v = NULL;
    m2c_err e;
    CHECK_EQ_INT(m2c_json_parse(&v, "{\"a\":[1,2", 9, 0, &e), M2C_ERR_TRUNCATED);
    CHECK(strstr(e.msg, "truncated json") != NULL);
    CHECK_EQ_INT(m2c_json_parse(&v, "{\"a\":tru}", 9, 0, &e), M2C_ERR_PROTOCOL);
    CHECK(strstr(e.msg, "invalid json at byte") != NULL);
    CHECK_EQ_INT(m2c_json_parse(&v, "", 0, 0, &e), M2C_ERR_TRUNCATED);
    CHECK_EQ_INT(m2c_json_parse(&v, "\"a\\u0000b\"", 10, 0, &e), M2C_ERR_PROTOCOL);
    /* Brackets inside strings do not count toward depth. */
    const char *s = "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]";
    CHECK_EQ_INT(m2c_json_parse(&v, s, strlen(s), 4, &e), M2C_OK);
    json_decref(v);
    CHECK_EQ_INT(m2c_json_parse(&v, "[[[[[]]]]]", 10, 4, &e), M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 4);
    CHECK_EQ_INT(m2c_json_parse(&v, "[[[[]]]]", 8, 4, &e), M2C_OK);
    json_decref(v);
}

TEST(test_json_parse__caps_depth_and_rejects_trailing_garbage) {
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    json_t *v = NULL;
    m2c_err err;
    CHECK_EQ_INT(m2c_json_parse(&v, deep, 200, 64, &err), M2C_ERR_RANGE);
    CHECK(strstr(err.msg, "deeper than 64") != NULL);
    CHECK_EQ_INT(m2c_json_parse(&v, deep + 40, 120, 64, &err), M2C_OK);
    json_decref(v);
    CHECK_EQ_INT(m2c_json_parse(&v, "{\"a\":1} x", 9, 0, &err), M2C_ERR_PROTOCOL);
    CHECK_EQ_INT(m2c_json_parse(&v, "{\"a\":1,\"a\":2}", 13, 0, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "duplicate") != NULL);
    CHECK_EQ_INT(m2c_json_parse(&v, "[\"x]", 4, 0, &err), M2C_ERR_TRUNCATED);
    CHECK(v == NULL);
}

TEST(test_json_quantity__rejects_bad_forms) {
    uint64_t v;
    m2c_u256 u;
    m2c_err err;
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0x", 2, &err), M2C_ERR_PROTOCOL);
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "12", 2, &err), M2C_ERR_PROTOCOL);
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0xffffffffffffffff", 18, &err), M2C_OK);
    CHECK(v == UINT64_MAX);
    CHECK_EQ_INT(m2c_json_text_quantity_u64(&v, "0x10000000000000000", 19, &err), M2C_ERR_RANGE);
    const char *max256 = "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    CHECK_EQ_INT(m2c_json_text_quantity_u256(&u, max256, strlen(max256), &err), M2C_OK);
    CHECK(u.w[0] == UINT64_MAX && u.w[3] == UINT64_MAX);
    const char *over = "0x10000000000000000000000000000000000000000000000000000000000000000";
    CHECK_EQ_INT(m2c_json_text_quantity_u256(&u, over, strlen(over), &err), M2C_ERR_RANGE);
}

/* \u0000 is refused by m2c_json_parse everywhere, and by m2c_json_parse_rpc everywhere
 * except error.message of a response (or of a batch element). */
TEST(test_json_parse_rpc__allows_nul_only_in_error_message) {
    static const char *const ok[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":3,\"message\":\"reverted: \\u0000\\u0001\",\"data\":\"0x00\"}}",
        "[{\"id\":1,\"result\":\"0x1\"},{\"id\":2,\"error\":{\"code\":3,\"message\":\"\\u0000\"}}]",
    };
    static const char *const bad[] = {
        "{\"id\":1,\"result\":\"0x12\\u000034\"}",                              /* result */
        "{\"id\":1,\"error\":{\"code\":3,\"message\":\"m\",\"data\":\"0x\\u0000\"}}", /* data */
        "{\"id\":1,\"result\":{\"error\":{\"message\":\"\\u0000\"}}}",           /* nested */
        "{\"id\":1,\"message\":\"\\u0000\"}",                                   /* not in error */
        "[[{\"error\":{\"message\":\"\\u0000\"}}]]",                             /* too deep */
        "{\"id\":1,\"error\":{\"code\":3,\"message\":{\"x\":\"\\u0000\"}}}",     /* not a string */
    };
    m2c_err err;
    json_t *v = NULL;
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        CHECK_EQ_INT(m2c_json_parse(&v, ok[i], strlen(ok[i]), 0, &err), M2C_ERR_PROTOCOL);
        CHECK(v == NULL);
        CHECK_EQ_INT(m2c_json_parse_rpc(&v, ok[i], strlen(ok[i]), 0, &err), M2C_OK);
        REQUIRE(v);
        json_decref(v);
        v = NULL;
    }
    REQUIRE(m2c_json_parse_rpc(&v, ok[0], strlen(ok[0]), 0, &err) == M2C_OK);
    const json_t *msg = json_object_get(json_object_get(v, "error"), "message");
    CHECK_EQ_INT(json_string_length(msg), 12); /* "reverted: " + NUL + 0x01 */
    CHECK_EQ_INT(json_string_value(msg)[10], 0);
    json_decref(v);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = NULL;
        CHECK_EQ_INT(m2c_json_parse_rpc(&v, bad[i], strlen(bad[i]), 0, &err), M2C_ERR_PROTOCOL);
        CHECK(v == NULL);
        CHECK(strstr(err.msg, "\\u0000") != NULL);
    }
}

TEST_MAIN(T(test_json_parse__caps_depth_and_rejects_trailing_garbage),
          T(test_json_quantity__rejects_bad_forms),
          T(test_json_prefix__joins_paths_indexes_and_text), T(test_json_snippet__escapes_and_cuts),
          T(test_json_getters__fixed_hex_lengths_and_digits),
          T(test_json_getters__optional_members), T(test_json_data__caps_and_arena),
          T(test_json_quantity__boundaries_u64_and_u256),
          T(test_json_parse__truncated_vs_invalid_and_offsets),
          T(test_json_parse_rpc__allows_nul_only_in_error_message))
