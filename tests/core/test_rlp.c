/* Tests for src/core/rlp.c: the Ethereum RLP test vectors and rejection cases in
 * tests/data/rlp_vectors.json, randomised encode/decode round trips, and the caps. */
#include <jansson.h>

#include "ml2chain/hex.h"
#include "ml2chain/rlp.h"
#include "ml2chain/u256.h"
#include "test.h"

/* Encodes a vector's "in" value: text strings as bytes, integers (or "#decimal") as
 * integers, arrays as lists. */
static m2c_status encode_json(m2c_rlp_enc *e, const json_t *v) {
    m2c_status st;
    if (json_is_array(v)) {
        if ((st = m2c_rlp_list_begin(e)) != M2C_OK) return st;
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if ((st = encode_json(e, x)) != M2C_OK) return st;
        }
        return m2c_rlp_list_end(e);
    }
    if (json_is_integer(v)) return m2c_rlp_put_u64(e, (uint64_t)json_integer_value(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > 0 && s[0] == '#') {
        m2c_u256 u;
        if ((st = m2c_u256_parse(&u, s + 1, n - 1, NULL)) != M2C_OK) return st;
        return m2c_rlp_put_u256(e, &u);
    }
    return m2c_rlp_put_bytes(e, (const uint8_t *)s, n);
}

/* Checks a decoded item against the vector's "in" value; returns 1 when they match. */
static int matches_json(const m2c_rlp_item *it, const json_t *v) {
    if (json_is_array(v)) {
        if (!it->is_list) return 0;
        size_t pos = 0, i;
        json_t *x;
        m2c_rlp_item c;
        json_array_foreach(v, i, x) {
            if (m2c_rlp_list_next(&c, it, &pos, NULL) != M2C_OK) return 0;
            if (!matches_json(&c, x)) return 0;
        }
        return m2c_rlp_list_next(&c, it, &pos, NULL) == M2C_ERR_NOTFOUND;
    }
    if (json_is_integer(v)) {
        uint64_t u;
        return m2c_rlp_get_u64(&u, it, NULL) == M2C_OK && u == (uint64_t)json_integer_value(v);
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > 0 && s[0] == '#') {
        m2c_u256 want, got;
        if (m2c_u256_parse(&want, s + 1, n - 1, NULL) != M2C_OK) return 0;
        return m2c_rlp_get_u256(&got, it, NULL) == M2C_OK && m2c_u256_cmp(&want, &got) == 0;
    }
    return !it->is_list && it->len == n && memcmp(it->payload, s, n) == 0;
}

static json_t *load_vectors(void) {
    json_error_t je;
    json_t *root = json_load_file(m2c_test_data("data/rlp_vectors.json"), JSON_ALLOW_NUL, &je);
    if (!root) fprintf(stderr, "  rlp_vectors.json:%d: %s\n", je.line, je.text);
    return root;
}

TEST(test_rlp_encode__matches_ethereum_vectors) {
    json_t *root = load_vectors();
    REQUIRE(root != NULL);
    const char *name;
    json_t *tc;
    int seen = 0;
    json_object_foreach(json_object_get(root, "valid"), name, tc) {
        m2c_buf b;
        m2c_buf_init(&b, 0);
        m2c_rlp_enc e;
        m2c_rlp_enc_init(&e, &b);
        CHECK(encode_json(&e, json_object_get(tc, "in")) == M2C_OK);
        CHECK_EQ_INT(e.depth, 0);
        char *hex = m2c_hex_encode_alloc(b.p, b.len, 1);
        REQUIRE(hex != NULL);
        if (strcmp(hex, json_string_value(json_object_get(tc, "out"))) != 0)
            fprintf(stderr, "  vector %s\n", name);
        CHECK_EQ_STR(hex, json_string_value(json_object_get(tc, "out")));
        free(hex);
        m2c_buf_free(&b);
        seen++;
    }
    CHECK(seen >= 25);
    json_decref(root);
}

TEST(test_rlp_decode__matches_ethereum_vectors) {
    json_t *root = load_vectors();
    REQUIRE(root != NULL);
    const char *name;
    json_t *tc;
    json_object_foreach(json_object_get(root, "valid"), name, tc) {
        uint8_t *bytes = NULL;
        size_t n = 0;
        const char *out = json_string_value(json_object_get(tc, "out"));
        REQUIRE(m2c_hex_decode_alloc(&bytes, &n, out, strlen(out), M2C_HEX_PREFIX_REQUIRED, NULL) ==
                M2C_OK);
        m2c_rlp_item it;
        m2c_err e;
        m2c_err_clear(&e);
        m2c_status st = m2c_rlp_decode(&it, bytes, n, &e);
        if (st == M2C_OK) st = m2c_rlp_validate(&it, M2C_RLP_MAX_DEPTH, &e);
        if (st != M2C_OK) fprintf(stderr, "  vector %s: %s\n", name, e.msg);
        CHECK(st == M2C_OK);
        if (st == M2C_OK) {
            CHECK_EQ_INT(it.header_len + it.len, n);
            if (!matches_json(&it, json_object_get(tc, "in")))
                fprintf(stderr, "  vector %s decodes to something else\n", name);
            CHECK(matches_json(&it, json_object_get(tc, "in")));
        }
        free(bytes);
    }
    json_decref(root);
}

static m2c_status status_named(const char *s) {
    if (!strcmp(s, "truncated")) return M2C_ERR_TRUNCATED;
    if (!strcmp(s, "noncanonical")) return M2C_ERR_NONCANONICAL;
    if (!strcmp(s, "invalid")) return M2C_ERR_INVALID;
    if (!strcmp(s, "range")) return M2C_ERR_RANGE;
    return M2C_OK;
}

TEST(test_rlp_decode__rejects_invalid_vectors) {
    json_t *root = load_vectors();
    REQUIRE(root != NULL);
    const char *name;
    json_t *tc;
    int seen = 0;
    json_object_foreach(json_object_get(root, "invalid"), name, tc) {
        uint8_t *bytes = NULL;
        size_t n = 0;
        const char *out = json_string_value(json_object_get(tc, "out"));
        REQUIRE(m2c_hex_decode_alloc(&bytes, &n, out, strlen(out), M2C_HEX_PREFIX_REQUIRED, NULL) ==
                M2C_OK);
        m2c_status want = status_named(json_string_value(json_object_get(tc, "error")));
        REQUIRE(want != M2C_OK);
        m2c_rlp_item it;
        m2c_err e;
        m2c_err_clear(&e);
        m2c_status st = m2c_rlp_decode(&it, bytes, n, &e);
        if (st == M2C_OK) st = m2c_rlp_validate(&it, M2C_RLP_MAX_DEPTH, &e);
        if (st != want)
            fprintf(stderr, "  vector %s: got %s (%s)\n", name, m2c_status_str(st), e.msg);
        CHECK(st == want);
        CHECK(e.msg[0] != 0 && e.offset <= n);
        free(bytes);
        seen++;
    }
    CHECK(seen >= 20);
    json_decref(root);
}

TEST(test_rlp_decode__error_messages_name_offsets) {
    m2c_rlp_item it;
    m2c_err e;
    m2c_err_clear(&e);
    CHECK(m2c_rlp_decode(&it, (const uint8_t *)"\xc4\xc2\x82\x01\x02", 5, &e) == M2C_OK);
    CHECK(m2c_rlp_validate(&it, 8, &e) == M2C_ERR_TRUNCATED);
    CHECK_EQ_INT(e.offset, 2);
    CHECK_EQ_STR(e.msg, "rlp: string of 2 bytes at offset 2 runs past end of its parent list "
                        "(1 bytes left)");
    CHECK(m2c_rlp_decode(&it, (const uint8_t *)"\xb9\x00\x40", 3, &e) == M2C_ERR_NONCANONICAL);
    CHECK_EQ_INT(e.offset, 1);
    CHECK(m2c_rlp_decode(&it, (const uint8_t *)"\xc0\xc0", 2, &e) == M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "rlp: 1 trailing bytes after the item at offset 1");
    CHECK(m2c_rlp_decode(&it, (const uint8_t *)"\x81\x05", 2, &e) == M2C_ERR_NONCANONICAL);
    CHECK(strstr(e.msg, "single byte 0x05") != NULL);
}

TEST(test_rlp_decode__single_bytes_and_strings) {
    m2c_rlp_item it;
    CHECK(m2c_rlp_decode(&it, (const uint8_t *)"\x7f", 1, NULL) == M2C_OK);
    CHECK(!it.is_list && it.len == 1 && it.header_len == 0 && it.payload[0] == 0x7f);
    CHECK(m2c_rlp_decode(&it, (const uint8_t *)"\x81\x80", 2, NULL) == M2C_OK);
    CHECK(!it.is_list && it.len == 1 && it.header_len == 1 && it.payload[0] == 0x80);
    size_t pos = 0;
    m2c_rlp_item c;
    CHECK(m2c_rlp_list_next(&c, &it, &pos, NULL) == M2C_ERR_INVALID); /* not a list */
    CHECK(m2c_rlp_decode(&it, (const uint8_t *)"\xc0", 1, NULL) == M2C_OK);
    CHECK(it.is_list && it.len == 0);
    CHECK(m2c_rlp_list_next(&c, &it, &pos, NULL) == M2C_ERR_NOTFOUND);
}

/* Builds a random tree into the encoder while recording, in `shape`, a flat pre-order
 * description: for strings their bytes, for lists their child count. */
typedef struct {
    int is_list;
    size_t n;       /* string length or child count */
    uint8_t b[100]; /* string bytes (first min(n, 100)) */
} node;

static size_t build(m2c_rlp_enc *e, node *nodes, size_t at, size_t cap, int depth) {
    node *me = &nodes[at++];
    int list = depth < 6 && (m2c_test_rand() % 3 == 0) && at + 8 < cap;
    memset(me, 0, sizeof *me);
    if (!list) {
        size_t n = (size_t)(m2c_test_rand() % 4 == 0 ? m2c_test_rand() % 100 : m2c_test_rand() % 3);
        me->n = n;
        m2c_test_rand_bytes(me->b, n);
        if (n == 1 && m2c_test_rand() % 2) me->b[0] &= 0x7f;
        if (m2c_rlp_put_bytes(e, me->b, n) != M2C_OK) me->n = (size_t)-1;
        return at;
    }
    me->is_list = 1;
    if (m2c_rlp_list_begin(e) != M2C_OK) me->n = (size_t)-1;
    size_t k = (size_t)(m2c_test_rand() % 6);
    for (size_t i = 0; i < k && at + 8 < cap; i++) {
        at = build(e, nodes, at, cap, depth + 1);
        me->n++;
    }
    if (m2c_rlp_list_end(e) != M2C_OK) me->n = (size_t)-1;
    return at;
}

static int check_tree(const m2c_rlp_item *it, const node *nodes, size_t *at) {
    const node *me = &nodes[(*at)++];
    if (me->is_list != it->is_list) return 0;
    if (!me->is_list) return it->len == me->n && memcmp(it->payload, me->b, me->n) == 0;
    size_t pos = 0;
    m2c_rlp_item c;
    for (size_t i = 0; i < me->n; i++) {
        if (m2c_rlp_list_next(&c, it, &pos, NULL) != M2C_OK) return 0;
        if (!check_tree(&c, nodes, at)) return 0;
    }
    return m2c_rlp_list_next(&c, it, &pos, NULL) == M2C_ERR_NOTFOUND;
}

TEST(test_rlp__random_trees_round_trip) {
    static node nodes[400];
    for (long iter = 0; iter < m2c_test_iters(500); iter++) {
        m2c_buf b;
        m2c_buf_init(&b, 0);
        m2c_rlp_enc e;
        m2c_rlp_enc_init(&e, &b);
        size_t used = build(&e, nodes, 0, sizeof nodes / sizeof nodes[0], 0);
        CHECK_EQ_INT(e.depth, 0);
        m2c_rlp_item it;
        m2c_err err;
        m2c_err_clear(&err);
        REQUIRE(m2c_rlp_decode(&it, b.p, b.len, &err) == M2C_OK);
        CHECK(m2c_rlp_validate(&it, M2C_RLP_MAX_DEPTH, &err) == M2C_OK);
        size_t at = 0;
        CHECK(check_tree(&it, nodes, &at));
        CHECK_EQ_INT(at, used);
        CHECK_EQ_INT(b.p[b.len], 0); /* the buffer stays NUL-terminated */
        m2c_buf_free(&b);
    }
}

TEST(test_rlp_encode__length_boundaries_55_56) {
    uint8_t data[70000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(0x80 | i);
    size_t sizes[] = {54, 55, 56, 57, 255, 256, 257, 65535, 65536};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        m2c_buf b;
        m2c_buf_init(&b, 0);
        m2c_rlp_enc e;
        m2c_rlp_enc_init(&e, &b);
        REQUIRE(m2c_rlp_put_bytes(&e, data, n) == M2C_OK);
        size_t want_hl = n < 56 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 4;
        CHECK_EQ_INT(b.len, want_hl + n);
        CHECK_EQ_INT(b.p[0], n < 56 ? 0x80 + n : 0xb7 + want_hl - 1);
        /* A list whose payload is the same n bytes gets the same header shape. */
        m2c_buf_reset(&b);
        REQUIRE(m2c_rlp_list_begin(&e) == M2C_OK);
        REQUIRE(m2c_rlp_put_raw(&e, data, n) == M2C_OK); /* raw bytes as the list payload */
        REQUIRE(m2c_rlp_list_end(&e) == M2C_OK);
        CHECK_EQ_INT(b.len, want_hl + n);
        CHECK_EQ_INT(b.p[0], n < 56 ? 0xc0 + n : 0xf7 + want_hl - 1);
        CHECK_EQ_MEM(b.p + want_hl, data, n);
        m2c_buf_free(&b);
    }
}

TEST(test_rlp_encode__integers) {
    struct {
        uint64_t v;
        const char *hex;
    } cases[] = {
        {0, "80"},      {1, "01"},         {0x7f, "7f"},     {0x80, "8180"},
        {0xff, "81ff"}, {0x100, "820100"}, {1024, "820400"}, {UINT64_MAX, "88ffffffffffffffff"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m2c_buf b;
        m2c_buf_init(&b, 0);
        m2c_rlp_enc e;
        m2c_rlp_enc_init(&e, &b);
        REQUIRE(m2c_rlp_put_u64(&e, cases[i].v) == M2C_OK);
        char hex[40];
        m2c_hex_encode(hex, b.p, b.len, 0);
        CHECK_EQ_STR(hex, cases[i].hex);
        m2c_rlp_item it;
        uint64_t back = 7;
        REQUIRE(m2c_rlp_decode(&it, b.p, b.len, NULL) == M2C_OK);
        CHECK(m2c_rlp_get_u64(&back, &it, NULL) == M2C_OK && back == cases[i].v);
        m2c_u256 u;
        CHECK(m2c_rlp_get_u256(&u, &it, NULL) == M2C_OK && u.w[0] == cases[i].v);
        m2c_buf_free(&b);
    }
}

TEST(test_rlp_get_int__rejects_leading_zero_oversize_and_lists) {
    m2c_rlp_item it;
    uint64_t v = 1;
    m2c_u256 u;
    m2c_err e;
    m2c_err_clear(&e);
    REQUIRE(m2c_rlp_decode(&it, (const uint8_t *)"\x82\x00\x01", 3, NULL) == M2C_OK);
    CHECK(m2c_rlp_get_u64(&v, &it, &e) == M2C_ERR_NONCANONICAL);
    CHECK(v == 0);
    REQUIRE(m2c_rlp_decode(&it, (const uint8_t *)"\x00", 1, NULL) == M2C_OK);
    CHECK(m2c_rlp_get_u64(&v, &it, &e) == M2C_ERR_NONCANONICAL); /* zero is 0x80 */
    /* 8 bytes ok, 9 bytes out of range for u64 but fine for u256 */
    REQUIRE(m2c_rlp_decode(&it, (const uint8_t *)"\x88\x01\x02\x03\x04\x05\x06\x07\x08", 9, NULL) ==
            M2C_OK);
    CHECK(m2c_rlp_get_u64(&v, &it, &e) == M2C_OK && v == 0x0102030405060708ULL);
    REQUIRE(m2c_rlp_decode(&it, (const uint8_t *)"\x89\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10,
                           NULL) == M2C_OK);
    CHECK(m2c_rlp_get_u64(&v, &it, &e) == M2C_ERR_RANGE);
    CHECK(m2c_rlp_get_u256(&u, &it, &e) == M2C_OK && u.w[1] == 0x01);
    uint8_t b33[34] = {0xa1, 0x01};
    REQUIRE(m2c_rlp_decode(&it, b33, 34, NULL) == M2C_OK);
    CHECK(m2c_rlp_get_u256(&u, &it, &e) == M2C_ERR_RANGE);
    REQUIRE(m2c_rlp_decode(&it, (const uint8_t *)"\xc0", 1, NULL) == M2C_OK);
    CHECK(m2c_rlp_get_u64(&v, &it, &e) == M2C_ERR_INVALID);
}

TEST(test_rlp__depth_caps) {
    m2c_buf b;
    m2c_buf_init(&b, 0);
    m2c_rlp_enc e;
    m2c_rlp_enc_init(&e, &b);
    for (int i = 0; i < M2C_RLP_MAX_DEPTH; i++)
        REQUIRE(m2c_rlp_list_begin(&e) == M2C_OK);
    CHECK(m2c_rlp_list_begin(&e) == M2C_ERR_RANGE);
    for (int i = 0; i < M2C_RLP_MAX_DEPTH; i++)
        REQUIRE(m2c_rlp_list_end(&e) == M2C_OK);
    CHECK(m2c_rlp_list_end(&e) == M2C_ERR_STATE);
    m2c_rlp_item it;
    m2c_err err;
    m2c_err_clear(&err);
    REQUIRE(m2c_rlp_decode(&it, b.p, b.len, &err) == M2C_OK);
    /* 32 nested lists: depth 31 below the top; allowed at 31, refused at 30. */
    CHECK(m2c_rlp_validate(&it, 31, &err) == M2C_OK);
    CHECK(m2c_rlp_validate(&it, 30, &err) == M2C_ERR_RANGE);
    CHECK_EQ_INT(err.offset, 31);
    m2c_buf_free(&b);
    /* 40 nested lists (deeper than the cap) as untrusted input: refused even when the
     * caller asks for more, and walked without recursion. */
    static uint8_t deep[64];
    size_t n = 0;
    for (int i = 0; i < 40; i++) {
        memmove(deep + 1, deep, n);
        deep[0] = (uint8_t)(0xc0 + n);
        n++;
    }
    REQUIRE(m2c_rlp_decode(&it, deep, n, &err) == M2C_OK);
    CHECK(m2c_rlp_validate(&it, 1000, &err) == M2C_ERR_RANGE); /* clamped to the cap */
}

TEST_MAIN(T(test_rlp_encode__matches_ethereum_vectors),
          T(test_rlp_decode__matches_ethereum_vectors), T(test_rlp_decode__rejects_invalid_vectors),
          T(test_rlp_decode__error_messages_name_offsets),
          T(test_rlp_decode__single_bytes_and_strings), T(test_rlp__random_trees_round_trip),
          T(test_rlp_encode__length_boundaries_55_56), T(test_rlp_encode__integers),
          T(test_rlp_get_int__rejects_leading_zero_oversize_and_lists), T(test_rlp__depth_caps))
