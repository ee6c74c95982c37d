/* Tests for src/core/hex.c: strict decoding with offsets, encoding, quantities, EIP-55
 * addresses (vectors from tests/data/eip55_vectors.txt) and hashes. */
#include <ctype.h>

#include "ml2chain/hex.h"
#include "ml2chain/u256.h"
#include "test.h"

static m2c_status dec(uint8_t *out, size_t cap, size_t *n, const char *s, m2c_hex_prefix mode,
                      m2c_err *e) {
    return m2c_hex_decode(out, cap, n, s, strlen(s), mode, e);
}

TEST(test_hex_decode__accepts_both_cases_and_optional_prefix) {
    uint8_t out[8];
    size_t n = 99;
    CHECK(dec(out, sizeof out, &n, "0xdeADbeEF", M2C_HEX_PREFIX_OPTIONAL, NULL) == M2C_OK);
    CHECK_EQ_INT(n, 4);
    CHECK(out[0] == 0xde && out[1] == 0xad && out[2] == 0xbe && out[3] == 0xef);
    CHECK(dec(out, sizeof out, &n, "00ff10", M2C_HEX_PREFIX_OPTIONAL, NULL) == M2C_OK);
    CHECK(n == 3 && out[0] == 0 && out[1] == 0xff && out[2] == 0x10);
    CHECK(dec(out, sizeof out, &n, "0x", M2C_HEX_PREFIX_REQUIRED, NULL) == M2C_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(dec(out, sizeof out, &n, "", M2C_HEX_PREFIX_OPTIONAL, NULL) == M2C_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(dec(out, sizeof out, &n, "0X0a", M2C_HEX_PREFIX_REQUIRED, NULL) == M2C_OK);
    CHECK(n == 1 && out[0] == 0x0a);
}

TEST(test_hex_decode__rejects_bad_digit_naming_offset) {
    uint8_t out[8];
    size_t n = 99;
    m2c_err e;
    m2c_err_clear(&e);
    CHECK(dec(out, sizeof out, &n, "0x12g4", M2C_HEX_PREFIX_OPTIONAL, &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(e.offset, 4);
    CHECK_EQ_STR(e.msg, "hex: invalid hex digit 'g' at offset 4");
    CHECK(dec(out, sizeof out, &n, "1 ", M2C_HEX_PREFIX_OPTIONAL, &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 1);
    CHECK(m2c_hex_decode(out, sizeof out, &n, "ab\0c", 4, M2C_HEX_PREFIX_OPTIONAL, &e) ==
          M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 2);
    CHECK_EQ_STR(e.msg, "hex: invalid hex digit \\x00 at offset 2");
    /* An extra prefix is a bad digit at the second 'x'. */
    CHECK(dec(out, sizeof out, &n, "0x0x12", M2C_HEX_PREFIX_OPTIONAL, &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 3);
}

TEST(test_hex_decode__rejects_odd_length) {
    uint8_t out[8];
    size_t n;
    m2c_err e;
    m2c_err_clear(&e);
    CHECK(dec(out, sizeof out, &n, "0xabc", M2C_HEX_PREFIX_OPTIONAL, &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 5);
    CHECK(strstr(e.msg, "odd number of digits (3)") != NULL);
    /* A bad digit in odd-length input is reported as the bad digit. */
    CHECK(dec(out, sizeof out, &n, "abz", M2C_HEX_PREFIX_OPTIONAL, &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 2);
}

TEST(test_hex_decode__enforces_prefix_mode) {
    uint8_t out[8];
    size_t n;
    m2c_err e;
    m2c_err_clear(&e);
    CHECK(dec(out, sizeof out, &n, "abcd", M2C_HEX_PREFIX_REQUIRED, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "missing 0x") != NULL);
    CHECK(dec(out, sizeof out, &n, "0xabcd", M2C_HEX_PREFIX_FORBIDDEN, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "unexpected 0x") != NULL);
    CHECK(dec(out, sizeof out, &n, "abcd", M2C_HEX_PREFIX_FORBIDDEN, &e) == M2C_OK);
}

TEST(test_hex_decode__capacity_triplet) {
    uint8_t out[4];
    size_t n;
    m2c_err e;
    m2c_err_clear(&e);
    CHECK(dec(out, 4, &n, "010203", M2C_HEX_PREFIX_OPTIONAL, &e) == M2C_OK);
    CHECK(dec(out, 4, &n, "01020304", M2C_HEX_PREFIX_OPTIONAL, &e) == M2C_OK);
    CHECK(dec(out, 4, &n, "0102030405", M2C_HEX_PREFIX_OPTIONAL, &e) == M2C_ERR_RANGE);
}

TEST(test_hex_decode_alloc__round_trips_random_bytes) {
    uint8_t in[300];
    for (long it = 0; it < m2c_test_iters(500); it++) {
        size_t n = (size_t)(m2c_test_rand() % (sizeof in + 1));
        m2c_test_rand_bytes(in, n);
        int pre = (int)(m2c_test_rand() & 1);
        char *s = m2c_hex_encode_alloc(in, n, pre);
        REQUIRE(s != NULL);
        CHECK_EQ_INT(strlen(s), 2 * n + (pre ? 2 : 0));
        /* Random uppercasing must not matter. */
        for (char *c = s + (pre ? 2 : 0); *c; c++)
            if (m2c_test_rand() & 1) *c = (char)toupper((unsigned char)*c);
        uint8_t *back = NULL;
        size_t m = 0;
        CHECK(m2c_hex_decode_alloc(&back, &m, s, strlen(s), M2C_HEX_PREFIX_OPTIONAL, NULL) ==
              M2C_OK);
        CHECK_EQ_INT(m, n);
        if (back && m == n) CHECK_EQ_MEM(back, in, n);
        free(back);
        free(s);
    }
    uint8_t *p = (uint8_t *)"x";
    CHECK(m2c_hex_decode_alloc(&p, NULL, "zz", 2, M2C_HEX_PREFIX_OPTIONAL, NULL) ==
          M2C_ERR_INVALID);
    CHECK(p == NULL);
}

TEST(test_hex_encode__lowercase_with_and_without_prefix) {
    const uint8_t in[] = {0x00, 0x01, 0xab, 0xff};
    char out[16];
    CHECK_EQ_INT(m2c_hex_encode(out, in, 4, 1), 10);
    CHECK_EQ_STR(out, "0x0001abff");
    CHECK_EQ_INT(m2c_hex_encode(out, in, 4, 0), 8);
    CHECK_EQ_STR(out, "0001abff");
    CHECK_EQ_INT(m2c_hex_encode(out, in, 0, 1), 2);
    CHECK_EQ_STR(out, "0x");
}

/* The vector paths (16 bytes at a time) and the byte-wise tails agree with a plain reference,
 * at every length around the 16-byte steps, in both cases; every non-digit at every position
 * is caught, including bytes that differ from a digit only in the case bit or the top bit. */
TEST(test_hex_block_paths__encode_and_decode_agree_with_a_reference) {
    static const char ref_digits[] = "0123456789abcdef";
    uint8_t in[80], back[80];
    char enc[2 * 80 + 3], want[2 * 80 + 3], upper[2 * 80 + 1];
    for (size_t n = 0; n <= 80; n++) {
        m2c_test_rand_bytes(in, n);
        for (size_t i = 0; i < n; i++) {
            want[2 * i] = ref_digits[in[i] >> 4];
            want[2 * i + 1] = ref_digits[in[i] & 15];
        }
        want[2 * n] = 0;
        CHECK_EQ_INT(m2c_hex_encode(enc, in, n, 0), 2 * n);
        CHECK_EQ_STR(enc, want);
        CHECK_EQ_INT(m2c_hex_encode(enc, in, n, 1), 2 * n + 2);
        CHECK(enc[0] == '0' && enc[1] == 'x' && strcmp(enc + 2, want) == 0);
        memset(back, 0, sizeof back);
        CHECK(m2c_hex_to_bytes(back, want, n));
        CHECK(memcmp(back, in, n) == 0);
        for (size_t i = 0; i < 2 * n; i++)
            upper[i] = (char)toupper((unsigned char)want[i]);
        memset(back, 0, sizeof back);
        CHECK(m2c_hex_to_bytes(back, upper, n));
        CHECK(memcmp(back, in, n) == 0);
        static const unsigned char bad[] = {'g', 'G',  'x',  '/',  ':',  '@',  '`', 0,
                                            ' ', 0x10, 0x19, 0x80, 0xb0, 0xe1, 0xff};
        for (size_t i = 0; i < 2 * n; i++) {
            char saved = upper[i];
            upper[i] = (char)bad[(i * 7 + n) % sizeof bad];
            CHECK(!m2c_hex_to_bytes(back, upper, n));
            upper[i] = saved;
        }
    }
}

TEST(test_hex_decode_exact__names_expected_and_actual_length) {
    uint8_t out[4];
    m2c_err e;
    m2c_err_clear(&e);
    CHECK(m2c_hex_decode_exact(out, 4, "0x01020304", &e) == M2C_OK);
    CHECK(out[3] == 4);
    CHECK(m2c_hex_decode_exact(out, 4, "010203", &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "expected 4 bytes (8 digits), got 6 digits") != NULL);
    CHECK(m2c_hex_decode_exact(out, 4, "0102030405", &e) == M2C_ERR_INVALID);
    CHECK(m2c_hex_decode_exact(out, 4, "0x0102030g", &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 9);
}

TEST(test_hex_quantity__parses_canonical_and_rejects_the_rest) {
    uint64_t v = 7;
    m2c_err e;
    m2c_err_clear(&e);
#define Q(s) m2c_hex_parse_quantity_u64(&v, s, strlen(s), &e)
    CHECK(Q("0x0") == M2C_OK && v == 0);
    CHECK(Q("0x1a") == M2C_OK && v == 26);
    CHECK(Q("0xffffffffffffffff") == M2C_OK && v == UINT64_MAX);
    CHECK(Q("0xFFFFFFFFFFFFFFFE") == M2C_OK && v == UINT64_MAX - 1);
    CHECK(Q("0x10000000000000000") == M2C_ERR_RANGE);
    CHECK(Q("0x") == M2C_ERR_INVALID);
    CHECK(Q("0x01") == M2C_ERR_NONCANONICAL);
    CHECK(Q("0x00") == M2C_ERR_NONCANONICAL);
    CHECK(Q("1a") == M2C_ERR_INVALID);
    CHECK(Q("0x1g") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 3);
    CHECK(v == 0);
#undef Q
}

TEST(test_hex_quantity_u256__parses_canonical_and_rejects_the_rest) {
    m2c_u256 v;
    m2c_err e;
    m2c_err_clear(&e);
#define Q(s) m2c_hex_parse_quantity_u256(&v, s, strlen(s), &e)
    CHECK(Q("0x0") == M2C_OK && m2c_u256_is_zero(&v));
    CHECK(Q("0x1a") == M2C_OK && v.w[0] == 26 && !v.w[1]);
    CHECK(Q("0x1000000000000000000000000000000000000000000000000000000000000000") == M2C_OK);
    CHECK(v.w[3] == 1ULL << 60 && !v.w[2] && !v.w[1] && !v.w[0]);
    /* 2^256-1 fits, 2^256 does not */
    CHECK(Q("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff") == M2C_OK);
    CHECK(v.w[0] == UINT64_MAX && v.w[3] == UINT64_MAX);
    CHECK(Q("0x10000000000000000000000000000000000000000000000000000000000000000") ==
          M2C_ERR_RANGE);
    CHECK(m2c_u256_is_zero(&v));
    CHECK(Q("0x") == M2C_ERR_INVALID);
    CHECK(Q("0x01") == M2C_ERR_NONCANONICAL);
    CHECK(Q("ff") == M2C_ERR_INVALID);
    CHECK(Q("0xfg") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 3);
#undef Q
    /* Agrees with the u256 formatter and general parser on random values. */
    for (long it = 0; it < m2c_test_iters(1000); it++) {
        m2c_u256 a, b, c;
        for (int i = 0; i < 4; i++)
            a.w[i] = m2c_test_rand();
        a = m2c_u256_shr(&a, (unsigned)(m2c_test_rand() % 257));
        char buf[80];
        size_t n = m2c_u256_to_hex(buf, sizeof buf, &a);
        CHECK(m2c_hex_parse_quantity_u256(&b, buf, n, NULL) == M2C_OK);
        CHECK(m2c_u256_parse(&c, buf, n, NULL) == M2C_OK);
        CHECK(m2c_u256_cmp(&a, &b) == 0 && m2c_u256_cmp(&a, &c) == 0);
    }
}

TEST(test_hex_quantity__format_round_trips) {
    char buf[19];
    CHECK_EQ_INT(m2c_hex_format_quantity_u64(buf, 0), 3);
    CHECK_EQ_STR(buf, "0x0");
    m2c_hex_format_quantity_u64(buf, UINT64_MAX);
    CHECK_EQ_STR(buf, "0xffffffffffffffff");
    m2c_hex_format_quantity_u64(buf, 0x100);
    CHECK_EQ_STR(buf, "0x100");
    for (long it = 0; it < m2c_test_iters(1000); it++) {
        uint64_t x = m2c_test_rand() >> (m2c_test_rand() % 64), y = 0;
        size_t n = m2c_hex_format_quantity_u64(buf, x);
        CHECK(m2c_hex_parse_quantity_u64(&y, buf, n, NULL) == M2C_OK);
        CHECK(x == y);
        char ref[32];
        snprintf(ref, sizeof ref, "0x%" PRIx64, x);
        CHECK_EQ_STR(buf, ref);
    }
}

TEST(test_addr__eip55_vectors_checksum_and_parse) {
    FILE *f = fopen(m2c_test_data("data/eip55_vectors.txt"), "r");
    REQUIRE(f != NULL);
    char line[128];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] != '0') continue;
        line[strcspn(line, "\r\n")] = 0;
        m2c_addr20 a;
        CHECK(m2c_addr_parse(&a, line, NULL) == M2C_OK);
        char out[43];
        m2c_addr_checksum(out, &a);
        CHECK_EQ_STR(out, line);
        /* The all-lowercase form parses to the same address. */
        char lower[43];
        for (int i = 0; i < 43; i++)
            lower[i] = (char)tolower((unsigned char)line[i]);
        m2c_addr20 b;
        CHECK(m2c_addr_parse(&b, lower, NULL) == M2C_OK);
        CHECK_EQ_MEM(a.b, b.b, 20);
        seen++;
    }
    fclose(f);
    CHECK_EQ_INT(seen, 8);
}

TEST(test_addr_parse__rejects_bad_checksum_and_lengths) {
    m2c_addr20 a;
    m2c_err e;
    m2c_err_clear(&e);
    /* EIP-55 vector with one letter's case flipped (offset 3: 'a' -> 'A'). */
    CHECK(m2c_addr_parse(&a, "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 3);
    CHECK(strstr(e.msg, "checksum") != NULL);
    CHECK(m2c_addr_parse(&a, "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", NULL) == M2C_OK);
    CHECK(m2c_addr_parse(&a, "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", &e) == M2C_ERR_INVALID);
    CHECK(m2c_addr_parse(&a, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea", &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "expected 40 hex digits, got 38") != NULL);
    CHECK(m2c_addr_parse(&a, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00", &e) ==
          M2C_ERR_INVALID);
    CHECK(m2c_addr_parse(&a, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeq", &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 41);
    for (int i = 0; i < 20; i++)
        CHECK(a.b[i] == 0);
}

TEST(test_addr_checksum_chain__eip1191_matches_cast) {
    /* Expected values from `cast to-check-sum-address <addr> <chain-id>`. */
    struct {
        uint64_t chain;
        const char *want;
    } cases[] = {{30, "0xFb6916095cA1Df60bb79ce92cE3EA74c37c5d359"},
                 {31, "0xFb6916095CA1dF60bb79CE92ce3Ea74C37c5D359"},
                 {1, "0xfb6916095Ca1dF60bB79cE92ce3ea74C37c5D359"},
                 {137, "0xfB6916095Ca1DF60bB79ce92Ce3Ea74C37c5d359"}};
    m2c_addr20 a;
    REQUIRE(m2c_addr_parse(&a, "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", NULL) == M2C_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[43];
        m2c_addr_checksum_chain(out, &a, cases[i].chain);
        CHECK_EQ_STR(out, cases[i].want);
    }
}

TEST(test_hash_parse__exact_length) {
    m2c_hash32 h;
    m2c_err e;
    m2c_err_clear(&e);
    CHECK(m2c_hash_parse(&h, "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
                         &e) == M2C_OK);
    CHECK(h.b[0] == 0xc5 && h.b[31] == 0x70);
    CHECK(m2c_hash_parse(&h, "0xc5d2", &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "expected 64 hex digits, got 4") != NULL);
    CHECK(m2c_hash_parse(&h, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
                         &e) == M2C_ERR_INVALID);
}

TEST_MAIN(T(test_hex_decode__accepts_both_cases_and_optional_prefix),
          T(test_hex_block_paths__encode_and_decode_agree_with_a_reference),
          T(test_hex_decode__rejects_bad_digit_naming_offset),
          T(test_hex_decode__rejects_odd_length), T(test_hex_decode__enforces_prefix_mode),
          T(test_hex_decode__capacity_triplet), T(test_hex_decode_alloc__round_trips_random_bytes),
          T(test_hex_encode__lowercase_with_and_without_prefix),
          T(test_hex_decode_exact__names_expected_and_actual_length),
          T(test_hex_quantity__parses_canonical_and_rejects_the_rest),
          T(test_hex_quantity_u256__parses_canonical_and_rejects_the_rest),
          T(test_hex_quantity_u256__parses_canonical_and_rejects_the_rest),
          T(test_hex_quantity__format_round_trips), T(test_addr__eip55_vectors_checksum_and_parse),
          T(test_addr_parse__rejects_bad_checksum_and_lengths),
          T(test_addr_checksum_chain__eip1191_matches_cast), T(test_hash_parse__exact_length))
