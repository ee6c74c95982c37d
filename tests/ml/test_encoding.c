/* Tests for src/ml/encoding.c (docs/encoding.md): every error code and the order in which
 * they are decided, strict ABI decoding, the text grammar, decimal rounding both ways, the
 * int192 range triplets, and seeded round trips of both forms. */
#include "ml2chain/encoding.h"
#include "ml2chain/u256.h"
#include "test.h"

static m2c_u256 DEC(const char *s) {
    m2c_u256 v;
    if (m2c_i256_parse(&v, s, strlen(s), NULL) != M2C_OK) memset(&v, 0xee, sizeof v);
    return v;
}

static int ueq(m2c_u256 a, m2c_u256 b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static m2c_enc_code text(m2c_u256 *x, size_t n, unsigned dec, const char *s) {
    return m2c_enc_decode_input(x, n, NULL, dec, (const uint8_t *)s, strlen(s), NULL);
}

static const char *fmt(const char *v, unsigned dec, unsigned maxf) {
    static char out[100];
    m2c_u256 x = DEC(v);
    m2c_enc_format_decimal(out, sizeof out, &x, dec, maxf);
    return out;
}

/* 2^191 - 1, 2^191, -2^191, -2^191 - 1 */
#define I192_MAX   "3138550867693340381917894711603833208051177722232017256447"
#define I192_OVER  "3138550867693340381917894711603833208051177722232017256448"
#define I192_MIN   "-3138550867693340381917894711603833208051177722232017256448"
#define I192_UNDER "-3138550867693340381917894711603833208051177722232017256449"

TEST(test_enc_text__values_and_rounding) {
    m2c_u256 x[4];
    REQUIRE(text(x, 4, 18, "0.52,1.3,-0.7,2.25") == M2C_ENC_OK);
    CHECK(ueq(x[0], DEC("520000000000000000")));
    CHECK(ueq(x[1], DEC("1300000000000000000")));
    CHECK(ueq(x[2], DEC("-700000000000000000")));
    CHECK(ueq(x[3], DEC("2250000000000000000")));
    /* half away from zero on the first dropped digit */
    REQUIRE(text(x, 2, 18, "1.0000000000000000005,1.00000000000000000049") == M2C_ENC_OK);
    CHECK(ueq(x[0], DEC("1000000000000000001")));
    CHECK(ueq(x[1], DEC("1000000000000000000")));
    REQUIRE(text(x, 3, 18, "-0.0000000000000000005, -0 ,\t007.50") == M2C_ENC_OK);
    CHECK(ueq(x[0], DEC("-1")));
    CHECK(ueq(x[1], DEC("0")));
    CHECK(ueq(x[2], DEC("7500000000000000000")));
    REQUIRE(text(x, 2, 0, "2.5,-2.5") == M2C_ENC_OK); /* decimals 0 */
    CHECK(ueq(x[0], DEC("3")));
    CHECK(ueq(x[1], DEC("-3")));
    REQUIRE(text(x, 1, 2, "0.994999") == M2C_ENC_OK);
    CHECK(ueq(x[0], DEC("99")));
}

TEST(test_enc_text__int192_triplets) {
    m2c_u256 x[1];
    CHECK_EQ_INT(text(x, 1, 0, I192_MAX), M2C_ENC_OK);
    CHECK(ueq(x[0], DEC(I192_MAX)));
    CHECK_EQ_INT(text(x, 1, 0, I192_OVER), M2C_ENC_RANGE);
    CHECK_EQ_INT(text(x, 1, 0, I192_MIN), M2C_ENC_OK);
    CHECK(ueq(x[0], DEC(I192_MIN)));
    CHECK_EQ_INT(text(x, 1, 0, I192_UNDER), M2C_ENC_RANGE);
    /* rounding can push a value over: 2^191 - 1 + 0.5 rounds to 2^191 */
    CHECK_EQ_INT(text(x, 1, 0, I192_MAX ".5"), M2C_ENC_RANGE);
    CHECK_EQ_INT(text(x, 1, 0, I192_MAX ".4999"), M2C_ENC_OK);
    /* scaled by 10^18: 3.2e39 is over, 3.1e39 is not */
    CHECK_EQ_INT(text(x, 1, 18, "3200000000000000000000000000000000000000"), M2C_ENC_RANGE);
    CHECK_EQ_INT(text(x, 1, 18, "3100000000000000000000000000000000000000"), M2C_ENC_OK);
    /* hundreds of digits overflow 256 bits without harm */
    char big[400];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK_EQ_INT(text(x, 1, 18, big), M2C_ENC_RANGE);
    CHECK(ueq(x[0], DEC("0"))); /* zeroed on failure */
}

TEST(test_enc_text__junk_is_code_4_with_offset) {
    static const struct {
        const char *s;
        size_t at;
    } bad[] = {
        {"1,,2", 2}, {"1,", 2},       {"abc", 0}, {".5", 0},   {"1e5", 1},  {"+1", 0},
        {"1.", 2},   {"1\n", 1},      {"1 2", 2}, {"1;2", 1},  {"--1", 1},  {"1.2.3", 3},
        {" ", 1},    {"\xc3\xa9", 0}, {"1,-", 3}, {"0x10", 1}, {"1,2,", 4}, {",1", 0},
    };
    m2c_u256 x[8];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m2c_err e;
        m2c_enc_code c =
            m2c_enc_decode_input(x, 2, NULL, 18, (const uint8_t *)bad[i].s, strlen(bad[i].s), &e);
        CHECK_EQ_INT(c, M2C_ENC_JUNK_TEXT);
        if (c == M2C_ENC_JUNK_TEXT) CHECK_EQ_INT(e.offset, bad[i].at);
        CHECK(strstr(e.msg, "junk text") != NULL);
    }
    /* grammar is checked before the count: junk in a too-long input is still junk */
    CHECK_EQ_INT(text(x, 5, 18, "1,2,x"), M2C_ENC_JUNK_TEXT);
}

TEST(test_enc_decode__codes_in_order) {
    m2c_u256 x[3];
    m2c_err e;
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, (const uint8_t *)"", 0, &e), M2C_ENC_EMPTY);
    static uint8_t big[M2C_ENC_MAX_INPUT + 1];
    memset(big, '1', sizeof big);
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, big, sizeof big, &e), M2C_ENC_TOO_LARGE);
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, big, sizeof big - 1, &e),
                 M2C_ENC_FEATURE_COUNT); /* one long number: 1 value, not 3 */
    CHECK_EQ_INT(text(x, 3, 18, "1,2"), M2C_ENC_FEATURE_COUNT);
    CHECK_EQ_INT(text(x, 3, 18, "1,2,3,4"), M2C_ENC_FEATURE_COUNT);
    /* count before range: a too-long input with an out-of-range value is a count error */
    CHECK_EQ_INT(text(x, 3, 0, "1,2,3," I192_OVER), M2C_ENC_FEATURE_COUNT);
    CHECK_EQ_INT(text(x, 3, 0, "1,2," I192_OVER), M2C_ENC_RANGE);
    for (uint32_t c = 0; c <= 8; c++)
        CHECK(strcmp(m2c_enc_code_str(c), "unknown error code"));
    CHECK_EQ_STR(m2c_enc_code_str(5), "wrong feature count");
    CHECK_EQ_STR(m2c_enc_code_str(9), "unknown error code");
}

static size_t abi(uint8_t *out, const char **vals, size_t n) {
    m2c_u256 v[8];
    for (size_t i = 0; i < n; i++)
        v[i] = DEC(vals[i]);
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if (m2c_enc_encode_abi(&b, v, n) != M2C_OK) return 0;
    memcpy(out, b.p, b.len);
    size_t len = b.len;
    m2c_buf_free(&b);
    return len;
}

TEST(test_enc_abi__strict_decoding) {
    uint8_t in[512];
    m2c_u256 x[3];
    m2c_err e;
    m2c_enc_form form = M2C_ENC_TEXT;
    const char *v[3] = {"520000000000000000", "-1", I192_MIN};
    size_t n = abi(in, v, 3);
    REQUIRE(n == 64 + 96);
    CHECK_EQ_INT(in[31], 32);
    CHECK_EQ_INT(in[63], 3);
    CHECK_EQ_INT(in[64 + 32 + 31], 0xff); /* -1 */
    REQUIRE(m2c_enc_decode_input(x, 3, &form, 18, in, n, &e) == M2C_ENC_OK);
    CHECK_EQ_INT(form, M2C_ENC_ABI);
    for (int i = 0; i < 3; i++)
        CHECK(ueq(x[i], DEC(v[i])));
    /* not decodable: bad sizes, offsets, length words */
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, in, n - 1, &e), M2C_ENC_NOT_DECODABLE);
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, in, 32, &e), M2C_ENC_NOT_DECODABLE);
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, in, n - 32, &e), M2C_ENC_NOT_DECODABLE);
    in[31] = 64; /* offset 64 */
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, in, n, &e), M2C_ENC_NOT_DECODABLE);
    CHECK_EQ_INT(e.offset, 0);
    in[31] = 32;
    in[40] = 1; /* length word with a high bit set */
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, in, n, &e), M2C_ENC_NOT_DECODABLE);
    CHECK_EQ_INT(e.offset, 32);
    in[40] = 0;
    memset(in + n, 0, 32); /* trailing word */
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, in, n + 32, &e), M2C_ENC_NOT_DECODABLE);
    /* count, then range */
    const char *two[2] = {"1", "2"};
    n = abi(in, two, 2);
    CHECK_EQ_INT(m2c_enc_decode_input(x, 3, NULL, 18, in, n, &e), M2C_ENC_FEATURE_COUNT);
    const char *r[4][1] = {{I192_MAX}, {I192_OVER}, {I192_MIN}, {I192_UNDER}};
    const m2c_enc_code want[4] = {M2C_ENC_OK, M2C_ENC_RANGE, M2C_ENC_OK, M2C_ENC_RANGE};
    for (int i = 0; i < 4; i++) {
        n = abi(in, r[i], 1);
        CHECK_EQ_INT(m2c_enc_decode_input(x, 1, NULL, 18, in, n, &e), want[i]);
        if (want[i]) CHECK_EQ_INT(e.offset, 64);
    }
    /* an empty array is valid ABI with zero values */
    n = abi(in, two, 0);
    size_t cnt = 9;
    CHECK_EQ_INT(m2c_enc_decode_values(x, 3, &cnt, NULL, 18, in, n, &e), M2C_ENC_OK);
    CHECK_EQ_INT(cnt, 0);
}

TEST(test_enc_format__text_output_rules) {
    CHECK_EQ_STR(fmt("873138427734375000", 18, 6), "0.873138");
    CHECK_EQ_STR(fmt("-1500000000000000000", 18, 6), "-1.5");
    CHECK_EQ_STR(fmt("2000000000000000000", 18, 6), "2");
    CHECK_EQ_STR(fmt("400000000000", 18, 6), "0");
    CHECK_EQ_STR(fmt("-400000000000", 18, 6), "0");
    CHECK_EQ_STR(fmt("500000000000", 18, 6), "0.000001"); /* half away from zero */
    CHECK_EQ_STR(fmt("-500000000000", 18, 6), "-0.000001");
    CHECK_EQ_STR(fmt("999999500000000000", 18, 6), "1");
    CHECK_EQ_STR(fmt("12345", 0, 6), "12345");
    CHECK_EQ_STR(fmt("12345", 2, 6), "123.45");
    CHECK_EQ_STR(fmt("-5", 2, 6), "-0.05");
    CHECK_EQ_STR(fmt("0", 18, 6), "0");
    CHECK_EQ_STR(fmt("1", 18, 18), "0.000000000000000001");
    CHECK_EQ_STR(fmt(I192_MIN, 0, 6), I192_MIN);
    /* output encoding: text joins with commas, ABI is abi.encode(int256[]) */
    m2c_u256 y[2] = {DEC("873138427734375000"), DEC("-2000000000000000000")};
    m2c_buf b;
    m2c_buf_init(&b, 0);
    REQUIRE(m2c_enc_encode_output(&b, M2C_ENC_TEXT, y, 2, 18) == M2C_OK);
    CHECK_EQ_STR((const char *)b.p, "0.873138,-2");
    m2c_buf_reset(&b);
    REQUIRE(m2c_enc_encode_output(&b, M2C_ENC_ABI, y, 2, 18) == M2C_OK);
    CHECK_EQ_INT(b.len, 128);
    m2c_buf_free(&b);
}

/* Seeded round trips: ABI exactly; text with all fractional digits exactly. */
TEST(test_enc__round_trips) {
    for (long it = 0; it < m2c_test_iters(2000); it++) {
        size_t n = 1 + m2c_test_rand() % 6;
        unsigned dec = (unsigned)(m2c_test_rand() % 37);
        m2c_u256 v[6], back[6];
        for (size_t i = 0; i < n; i++) {
            unsigned bits = (unsigned)(m2c_test_rand() % 192);
            m2c_u256 r = {{m2c_test_rand(), m2c_test_rand(), m2c_test_rand(), 0}};
            v[i] = m2c_u256_shr(&r, 192 - bits); /* < 2^bits, bits <= 191 */
            if (m2c_test_rand() & 1) v[i] = m2c_i256_neg(&v[i]);
        }
        m2c_buf b;
        m2c_buf_init(&b, 0);
        REQUIRE(m2c_enc_encode_abi(&b, v, n) == M2C_OK);
        m2c_enc_form form;
        REQUIRE(m2c_enc_decode_input(back, n, &form, dec, b.p, b.len, NULL) == M2C_ENC_OK);
        CHECK_EQ_INT(form, M2C_ENC_ABI);
        for (size_t i = 0; i < n; i++)
            CHECK(ueq(v[i], back[i]));
        m2c_buf_reset(&b);
        for (size_t i = 0; i < n; i++) {
            char s[100];
            size_t k = m2c_enc_format_decimal(s, sizeof s, &v[i], dec, dec);
            REQUIRE((i == 0 || m2c_buf_append_str(&b, ", ") == M2C_OK) &&
                    m2c_buf_append(&b, s, k) == M2C_OK);
        }
        m2c_err e;
        m2c_enc_code c = m2c_enc_decode_input(back, n, &form, dec, b.p, b.len, &e);
        CHECK_EQ_INT(c, M2C_ENC_OK);
        if (c) fprintf(stderr, "  %s: %s\n", (const char *)b.p, e.msg);
        CHECK_EQ_INT(form, M2C_ENC_TEXT);
        for (size_t i = 0; i < n; i++)
            CHECK(ueq(v[i], back[i]));
        m2c_buf_free(&b);
    }
}

TEST(test_enc_parse_decimal__single_values) {
    m2c_u256 v;
    m2c_err e;
    CHECK_EQ_INT(m2c_enc_parse_decimal(&v, "-12.345", 7, 2, &e), M2C_ENC_OK);
    CHECK(ueq(v, DEC("-1235")));
    CHECK_EQ_INT(m2c_enc_parse_decimal(&v, "12 ", 3, 2, &e), M2C_ENC_JUNK_TEXT);
    CHECK_EQ_INT(e.offset, 2);
    CHECK_EQ_INT(m2c_enc_parse_decimal(&v, "", 0, 2, &e), M2C_ENC_JUNK_TEXT);
}

TEST_MAIN(T(test_enc_text__values_and_rounding), T(test_enc_text__int192_triplets),
          T(test_enc_text__junk_is_code_4_with_offset), T(test_enc_decode__codes_in_order),
          T(test_enc_abi__strict_decoding), T(test_enc_format__text_output_rules),
          T(test_enc__round_trips), T(test_enc_parse_decimal__single_values))
