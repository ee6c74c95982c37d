/* Tests for src/core/u256.c: vectors computed with Python integers
 * (tests/data/u256_vectors.txt), boundary triplets, randomised identities, and a slow
 * reference on 32-bit digits (schoolbook multiply, bit-by-bit long division). */
#include <math.h>

#include "ml2chain/u256.h"
#include "test.h"

static m2c_u256 P(const char *s) {
    m2c_u256 v;
    if (m2c_u256_parse(&v, s, strlen(s), NULL) != M2C_OK) memset(&v, 0xee, sizeof v);
    return v;
}

static m2c_u256 SP(const char *s) {
    m2c_u256 v;
    if (m2c_i256_parse(&v, s, strlen(s), NULL) != M2C_OK) memset(&v, 0xee, sizeof v);
    return v;
}

static int eq(const m2c_u256 *a, const m2c_u256 *b) {
    return m2c_u256_cmp(a, b) == 0;
}

#define CHECK_U256(a, b)                                                                           \
    do {                                                                                           \
        m2c_u256 x_ = (a), y_ = (b);                                                               \
        if (!eq(&x_, &y_)) {                                                                       \
            char sx_[80], sy_[80];                                                                 \
            m2c_u256_to_hex(sx_, sizeof sx_, &x_);                                                 \
            m2c_u256_to_hex(sy_, sizeof sy_, &y_);                                                 \
            fprintf(stderr, "  %s:%d: %s == %s: %s != %s\n", __FILE__, __LINE__, #a, #b, sx_,      \
                    sy_);                                                                          \
            m2c_test_failed_ = 1;                                                                  \
        }                                                                                          \
    } while (0)

static m2c_u256 rand_u256(void) {
    m2c_u256 v;
    for (int i = 0; i < 4; i++)
        v.w[i] = m2c_test_rand();
    /* Vary the magnitude so short divisors and quotients are common. */
    unsigned bits = (unsigned)(m2c_test_rand() % 257);
    v = m2c_u256_shr(&v, 256 - bits);
    if (m2c_test_rand() % 8 == 0) { /* limbs of all ones or zero stress carries */
        int i = (int)(m2c_test_rand() % 4);
        v.w[i] = (m2c_test_rand() & 1) ? UINT64_MAX : 0;
    }
    return v;
}

/* ---- slow reference on 32-bit digits ---- */
typedef struct {
    uint32_t d[16]; /* little-endian, up to 512 bits */
} ref_num;

static ref_num ref_from(const m2c_u256 *a) {
    ref_num r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 4; i++) {
        r.d[2 * i] = (uint32_t)a->w[i];
        r.d[2 * i + 1] = (uint32_t)(a->w[i] >> 32);
    }
    return r;
}

static m2c_u256 ref_low(const ref_num *r) {
    m2c_u256 a;
    for (int i = 0; i < 4; i++)
        a.w[i] = (uint64_t)r->d[2 * i + 1] << 32 | r->d[2 * i];
    return a;
}

static ref_num ref_mul(const ref_num *a, const ref_num *b) {
    ref_num r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 8; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 8; j++) {
            uint64_t t = (uint64_t)a->d[i] * b->d[j] + r.d[i + j] + carry;
            r.d[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        r.d[i + 8] = (uint32_t)carry;
    }
    return r;
}

static int ref_bit(const ref_num *a, int i) {
    return (a->d[i / 32] >> (i % 32)) & 1;
}

static int ref_cmp(const ref_num *a, const ref_num *b) {
    for (int i = 15; i >= 0; i--)
        if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

static void ref_sub(ref_num *a, const ref_num *b) {
    int64_t borrow = 0;
    for (int i = 0; i < 16; i++) {
        int64_t t = (int64_t)a->d[i] - b->d[i] - borrow;
        borrow = t < 0;
        a->d[i] = (uint32_t)t;
    }
}

/* Restoring division one bit at a time. */
static void ref_divmod(ref_num *q, ref_num *r, const ref_num *a, const ref_num *b) {
    memset(q, 0, sizeof *q);
    memset(r, 0, sizeof *r);
    for (int i = 255; i >= 0; i--) {
        for (int k = 15; k > 0; k--)
            r->d[k] = r->d[k] << 1 | r->d[k - 1] >> 31;
        r->d[0] = r->d[0] << 1 | (uint32_t)ref_bit(a, i);
        if (ref_cmp(r, b) >= 0) {
            ref_sub(r, b);
            q->d[i / 32] |= 1u << (i % 32);
        }
    }
}

/* ---- vectors ---- */

static m2c_u256 HX(const char *s) {
    return P(s);
}

TEST(test_u256__python_vectors) {
    FILE *f = fopen(m2c_test_data("data/u256_vectors.txt"), "r");
    REQUIRE(f != NULL);
    char line[2048];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        char a_s[100], b_s[100], add_s[80], sub_s[80], mul_s[80], div_s[80], mod_s[80], sdiv_s[80],
            smod_s[80];
        int carry, borrow, movf, iao, iso, imo;
        int k = sscanf(line, "%99s %99s %79s %d %79s %d %79s %d %79s %79s %79s %79s %d %d %d", a_s,
                       b_s, add_s, &carry, sub_s, &borrow, mul_s, &movf, div_s, mod_s, sdiv_s,
                       smod_s, &iao, &iso, &imo);
        REQUIRE(k == 15);
        m2c_u256 a = P(a_s), b = P(b_s), r, q, rem;
        char back[80];
        m2c_u256_to_dec(back, sizeof back, &a);
        CHECK_EQ_STR(back, a_s);
        CHECK_EQ_INT(m2c_u256_add(&r, &a, &b), carry);
        CHECK_U256(r, HX(add_s));
        CHECK_EQ_INT(m2c_u256_sub(&r, &a, &b), borrow);
        CHECK_U256(r, HX(sub_s));
        CHECK_EQ_INT(m2c_u256_mul(&r, &a, &b), movf);
        CHECK_U256(r, HX(mul_s));
        CHECK_EQ_INT(m2c_i256_add(&r, &a, &b), iao);
        CHECK_U256(r, HX(add_s));
        CHECK_EQ_INT(m2c_i256_sub(&r, &a, &b), iso);
        CHECK_EQ_INT(m2c_i256_mul(&r, &a, &b), imo);
        CHECK_U256(r, HX(mul_s));
        if (div_s[0] == '-') {
            CHECK(m2c_u256_divmod(&q, &rem, &a, &b) == M2C_ERR_RANGE);
            CHECK(m2c_i256_divmod(&q, &rem, &a, &b) == M2C_ERR_RANGE);
        } else {
            CHECK(m2c_u256_divmod(&q, &rem, &a, &b) == M2C_OK);
            CHECK_U256(q, HX(div_s));
            CHECK_U256(rem, HX(mod_s));
            CHECK(m2c_i256_divmod(&q, &rem, &a, &b) == M2C_OK);
            CHECK_U256(q, HX(sdiv_s));
            CHECK_U256(rem, HX(smod_s));
        }
        seen++;
    }
    fclose(f);
    CHECK(seen > 400);
}

TEST(test_u256__random_ops_match_slow_reference) {
    for (long it = 0; it < m2c_test_iters(2000); it++) {
        m2c_u256 a = rand_u256(), b = rand_u256(), r, q, rem;
        ref_num ra = ref_from(&a), rb = ref_from(&b);
        ref_num prod = ref_mul(&ra, &rb);
        int ovf = m2c_u256_mul(&r, &a, &b);
        CHECK_U256(r, ref_low(&prod));
        int hi = 0;
        for (int i = 8; i < 16; i++)
            hi |= prod.d[i] != 0;
        CHECK_EQ_INT(ovf, hi);
        if (m2c_u256_is_zero(&b)) continue;
        REQUIRE(m2c_u256_divmod(&q, &rem, &a, &b) == M2C_OK);
        ref_num rq, rr;
        ref_divmod(&rq, &rr, &ra, &rb);
        CHECK_U256(q, ref_low(&rq));
        CHECK_U256(rem, ref_low(&rr));
        /* q * b + r == a and r < b */
        m2c_u256 back;
        CHECK_EQ_INT(m2c_u256_mul(&back, &q, &b), 0);
        CHECK_EQ_INT(m2c_u256_add(&back, &back, &rem), 0);
        CHECK_U256(back, a);
        CHECK(m2c_u256_cmp(&rem, &b) < 0);
    }
}

TEST(test_u256__small_values_match_int128) {
    for (long it = 0; it < m2c_test_iters(3000); it++) {
        unsigned __int128 x = (unsigned __int128)m2c_test_rand() << 64 | m2c_test_rand();
        uint64_t y = m2c_test_rand() >> (m2c_test_rand() % 64);
        x >>= m2c_test_rand() % 128;
        if (!y) y = 1;
        m2c_u256 a = {{(uint64_t)x, (uint64_t)(x >> 64), 0, 0}}, b = m2c_u256_from_u64(y), q, r;
        REQUIRE(m2c_u256_divmod(&q, &r, &a, &b) == M2C_OK);
        unsigned __int128 wq = x / y, wr = x % y;
        m2c_u256 eq_ = {{(uint64_t)wq, (uint64_t)(wq >> 64), 0, 0}};
        CHECK_U256(q, eq_);
        CHECK_U256(r, m2c_u256_from_u64((uint64_t)wr));
        /* signed 64-bit values through int256 */
        int64_t sx = (int64_t)m2c_test_rand() >> (m2c_test_rand() % 63),
                sy = (int64_t)m2c_test_rand() >> (m2c_test_rand() % 63);
        if (sy == 0) sy = -1;
        m2c_u256 sa = m2c_u256_from_i64(sx), sb = m2c_u256_from_i64(sy), s;
        REQUIRE(m2c_i256_divmod(&q, &r, &sa, &sb) == M2C_OK);
        if (!(sx == INT64_MIN && sy == -1)) {
            int64_t gq = 0, gr = 0;
            CHECK(m2c_i256_to_i64(&gq, &q) && gq == sx / sy);
            CHECK(m2c_i256_to_i64(&gr, &r) && gr == sx % sy);
        }
        __int128 p = (__int128)sx * sy;
        int o = m2c_i256_mul(&s, &sa, &sb);
        CHECK_EQ_INT(o, 0);
        CHECK(s.w[0] == (uint64_t)p && s.w[1] == (uint64_t)((unsigned __int128)p >> 64));
        CHECK_EQ_INT(m2c_i256_cmp(&sa, &sb), sx < sy ? -1 : sx > sy);
    }
}

TEST(test_u256__add_sub_boundary_triplets) {
    m2c_u256 max = P("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    m2c_u256 one = m2c_u256_from_u64(1), two = m2c_u256_from_u64(2), zero = {{0}}, r;
    CHECK_EQ_INT(m2c_u256_add(&r, &max, &zero), 0); /* 2^256-1 */
    CHECK_U256(r, max);
    CHECK_EQ_INT(m2c_u256_add(&r, &max, &one), 1); /* 2^256 wraps to 0 */
    CHECK_U256(r, zero);
    CHECK_EQ_INT(m2c_u256_add(&r, &max, &two), 1); /* 2^256+1 wraps to 1 */
    CHECK_U256(r, one);
    CHECK_EQ_INT(m2c_u256_sub(&r, &zero, &one), 1);
    CHECK_U256(r, max);
    /* int256: 2^255-1 + 1 overflows, -2^255 - 1 overflows, -2^255 + 1 does not */
    m2c_u256 imax =
        SP("57896044618658097711785492504343953926634992332820282019728792003956564819967");
    m2c_u256 imin =
        SP("-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    CHECK_EQ_INT(m2c_i256_add(&r, &imax, &zero), 0);
    CHECK_EQ_INT(m2c_i256_add(&r, &imax, &one), 1);
    CHECK_U256(r, imin);
    CHECK_EQ_INT(m2c_i256_sub(&r, &imin, &one), 1);
    CHECK_U256(r, imax);
    CHECK_EQ_INT(m2c_i256_add(&r, &imin, &one), 0);
    CHECK_EQ_INT(m2c_i256_sub(&r, &imin, &zero), 0);
    m2c_u256 neg1 = m2c_u256_from_i64(-1), q, rem;
    CHECK_EQ_INT(m2c_i256_mul(&r, &imin, &neg1), 1); /* -(-2^255) overflows */
    CHECK_U256(r, imin);
    CHECK_EQ_INT(m2c_i256_mul(&r, &imin, &one), 0);
    CHECK(m2c_i256_divmod(&q, &rem, &imin, &neg1) == M2C_OK); /* EVM: wraps to INT256_MIN */
    CHECK_U256(q, imin);
    CHECK_U256(rem, zero);
    CHECK_U256(m2c_i256_neg(&imin), imin);
    CHECK(m2c_i256_cmp(&imin, &imax) < 0 && m2c_u256_cmp(&imin, &imax) > 0);
}

TEST(test_u256__divide_by_zero_is_range_error) {
    m2c_u256 a = m2c_u256_from_u64(5), z = {{0}}, q = a, r = a;
    CHECK(m2c_u256_divmod(&q, &r, &a, &z) == M2C_ERR_RANGE);
    CHECK(m2c_u256_is_zero(&q) && m2c_u256_is_zero(&r));
    CHECK(m2c_i256_divmod(NULL, &r, &a, &z) == M2C_ERR_RANGE);
    CHECK(m2c_u256_divmod(&q, NULL, &a, &a) == M2C_OK);
    CHECK_U256(q, m2c_u256_from_u64(1));
}

TEST(test_u256__divmod_outputs_may_alias_inputs) {
    for (long it = 0; it < m2c_test_iters(200); it++) {
        m2c_u256 a = rand_u256(), b = rand_u256(), q, r;
        if (m2c_u256_is_zero(&b)) continue;
        REQUIRE(m2c_u256_divmod(&q, &r, &a, &b) == M2C_OK);
        m2c_u256 a2 = a, b2 = b;
        REQUIRE(m2c_u256_divmod(&a2, &b2, &a2, &b2) == M2C_OK);
        CHECK_U256(a2, q);
        CHECK_U256(b2, r);
    }
}

TEST(test_u256__shifts_match_multiplication_and_division) {
    for (long it = 0; it < m2c_test_iters(1000); it++) {
        m2c_u256 a = rand_u256(), r, q;
        unsigned n = (unsigned)(m2c_test_rand() % 300);
        m2c_u256 sl = m2c_u256_shl(&a, n), sr = m2c_u256_shr(&a, n);
        if (n < 256) {
            m2c_u256 p = m2c_u256_shl(&(m2c_u256){{1, 0, 0, 0}}, n);
            (void)m2c_u256_mul(&r, &a, &p);
            CHECK_U256(sl, r);
            REQUIRE(m2c_u256_divmod(&q, NULL, &a, &p) == M2C_OK);
            CHECK_U256(sr, q);
            /* arithmetic shift: floor division of the signed value */
            m2c_u256 sar = m2c_i256_sar(&a, n);
            if (!m2c_i256_is_neg(&a)) {
                CHECK_U256(sar, sr);
            } else {
                m2c_u256 nota = m2c_u256_not(&a), t = m2c_u256_shr(&nota, n);
                CHECK_U256(sar, m2c_u256_not(&t));
                CHECK(m2c_i256_is_neg(&sar));
            }
        } else {
            CHECK(m2c_u256_is_zero(&sl) && m2c_u256_is_zero(&sr));
            m2c_u256 sar = m2c_i256_sar(&a, n);
            CHECK_U256(sar, m2c_i256_is_neg(&a) ? m2c_u256_from_i64(-1) : m2c_u256_from_u64(0));
        }
    }
    m2c_u256 m = m2c_u256_from_i64(-8);
    CHECK_U256(m2c_i256_sar(&m, 1), m2c_u256_from_i64(-4));
    CHECK_U256(m2c_i256_sar(&m, 4), m2c_u256_from_i64(-1));
}

TEST(test_u256__bitlen_and_logic) {
    m2c_u256 z = {{0}}, a = P("0x1000000000000000000000000");
    CHECK_EQ_INT(m2c_u256_bitlen(&z), 0);
    CHECK_EQ_INT(m2c_u256_bitlen(&a), 97);
    m2c_u256 mx = m2c_u256_not(&z);
    CHECK_EQ_INT(m2c_u256_bitlen(&mx), 256);
    m2c_u256 x = P("0xf0f0"), y = P("0xff00");
    CHECK_U256(m2c_u256_and(&x, &y), P("0xf000"));
    CHECK_U256(m2c_u256_or(&x, &y), P("0xfff0"));
}

TEST(test_u256__conversions) {
    uint8_t be[32], mn[32];
    for (int i = 0; i < 32; i++)
        be[i] = (uint8_t)(i + 1);
    m2c_u256 a = m2c_u256_from_be32(be);
    CHECK(a.w[3] == 0x0102030405060708ULL && a.w[0] == 0x191a1b1c1d1e1f20ULL);
    uint8_t back[32];
    m2c_u256_to_be32(back, &a);
    CHECK_EQ_MEM(back, be, 32);
    CHECK_EQ_INT(m2c_u256_to_be_min(mn, &a), 32);
    m2c_u256 b;
    CHECK(m2c_u256_from_be(&b, (const uint8_t *)"\x01\x00", 2) == M2C_OK);
    CHECK_U256(b, m2c_u256_from_u64(256));
    CHECK_EQ_INT(m2c_u256_to_be_min(mn, &b), 2);
    CHECK(mn[0] == 1 && mn[1] == 0);
    m2c_u256 z = {{0}};
    CHECK_EQ_INT(m2c_u256_to_be_min(mn, &z), 0);
    CHECK(m2c_u256_from_be(&b, be, 0) == M2C_OK && m2c_u256_is_zero(&b));
    CHECK(m2c_u256_from_be(&b, be, 32) == M2C_OK);
    uint8_t big[33] = {0};
    CHECK(m2c_u256_from_be(&b, big, 33) == M2C_ERR_RANGE);
    uint64_t u = 0;
    int64_t s = 0;
    CHECK(m2c_u256_to_u64(&u, &(m2c_u256){{UINT64_MAX, 0, 0, 0}}) && u == UINT64_MAX);
    CHECK(!m2c_u256_to_u64(&u, &(m2c_u256){{0, 1, 0, 0}}));
    m2c_u256 m = m2c_u256_from_i64(INT64_MIN);
    CHECK(m2c_i256_to_i64(&s, &m) && s == INT64_MIN);
    m2c_u256 one = m2c_u256_from_u64(1);
    (void)m2c_u256_sub(&m, &m, &one); /* INT64_MIN - 1 */
    CHECK(!m2c_i256_to_i64(&s, &m));
    m = m2c_u256_from_u64((uint64_t)INT64_MAX + 1);
    CHECK(!m2c_i256_to_i64(&s, &m));
}

TEST(test_u256_parse__boundary_triplets_and_errors) {
    m2c_u256 v;
    m2c_err e;
    m2c_err_clear(&e);
#define UP(s) m2c_u256_parse(&v, s, strlen(s), &e)
#define IP(s) m2c_i256_parse(&v, s, strlen(s), &e)
    /* 2^256-1, 2^256, 2^256+1 */
    CHECK(UP("115792089237316195423570985008687907853269984665640564039457584007913129639935") ==
          M2C_OK);
    CHECK(m2c_u256_is_zero(&(m2c_u256){{~v.w[0], ~v.w[1], ~v.w[2], ~v.w[3]}}));
    CHECK(UP("115792089237316195423570985008687907853269984665640564039457584007913129639936") ==
          M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 77);
    CHECK(strstr(e.msg, "exceeds 2^256-1 at offset 77") != NULL);
    CHECK(UP("115792089237316195423570985008687907853269984665640564039457584007913129639937") ==
          M2C_ERR_RANGE);
    /* Whichever comes first, overflow or a bad character, is the one reported. */
    CHECK(UP("1157920892373161954235709850086879078532699846656405640394575840079131296399361x") ==
          M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 77);
    CHECK(UP("11579208923731619542357098500868790785326998466564056403945758400791312963993x5") ==
          M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 77);
    CHECK(UP("0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffz") ==
          M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 66);
    CHECK(UP("0x00ffz") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 6);
    CHECK(UP("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff") == M2C_OK);
    CHECK(UP("0x10000000000000000000000000000000000000000000000000000000000000000") ==
          M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 66);
    CHECK(UP("0x0000000000000000000000000000000000000000000000000000000000000000001") == M2C_OK);
    CHECK_U256(v, m2c_u256_from_u64(1));
    CHECK(UP("007") == M2C_OK);
    CHECK_U256(v, m2c_u256_from_u64(7));
    CHECK(UP("") == M2C_ERR_INVALID);
    CHECK(UP("0x") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 2);
    CHECK(UP("-1") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 0);
    CHECK(UP("+1") == M2C_ERR_INVALID);
    CHECK(UP(" 1") == M2C_ERR_INVALID);
    CHECK(UP("1 ") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 1);
    CHECK(UP("12a4") == M2C_ERR_INVALID);
    CHECK_EQ_STR(e.msg, "uint256: invalid decimal digit 'a' at offset 2");
    CHECK(UP("0x12g4") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 4);
    CHECK(m2c_u256_is_zero(&v)); /* outputs zeroed on failure */
    /* int256: 2^255-1 ok, 2^255 not; -2^255 ok, -2^255-1 not */
    CHECK(IP("57896044618658097711785492504343953926634992332820282019728792003956564819967") ==
          M2C_OK);
    CHECK(IP("57896044618658097711785492504343953926634992332820282019728792003956564819968") ==
          M2C_ERR_RANGE);
    CHECK(IP("-57896044618658097711785492504343953926634992332820282019728792003956564819968") ==
          M2C_OK);
    CHECK(m2c_i256_is_neg(&v) && v.w[3] == (1ULL << 63) && !v.w[0]);
    CHECK(IP("-57896044618658097711785492504343953926634992332820282019728792003956564819969") ==
          M2C_ERR_RANGE);
    CHECK(strstr(e.msg, "below -2^255") != NULL);
    CHECK(IP("-0x10") == M2C_OK);
    CHECK_U256(v, m2c_u256_from_i64(-16));
    CHECK(IP("-") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 1);
    CHECK(IP("--1") == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 1);
    CHECK(IP("-0") == M2C_OK && m2c_u256_is_zero(&v));
#undef UP
#undef IP
}

TEST(test_u256_format__decimal_and_hex_round_trip) {
    char buf[80], small[4];
    m2c_u256 z = {{0}};
    CHECK_EQ_INT(m2c_u256_to_dec(buf, sizeof buf, &z), 1);
    CHECK_EQ_STR(buf, "0");
    CHECK_EQ_INT(m2c_u256_to_hex(buf, sizeof buf, &z), 3);
    CHECK_EQ_STR(buf, "0x0");
    m2c_u256 v = P("10000000000000000000"); /* 10^19: a chunk boundary */
    m2c_u256_to_dec(buf, sizeof buf, &v);
    CHECK_EQ_STR(buf, "10000000000000000000");
    v = P("100000000000000000000000000000000000000");
    m2c_u256_to_dec(buf, sizeof buf, &v);
    CHECK_EQ_STR(buf, "100000000000000000000000000000000000000");
    m2c_u256 m1 = m2c_u256_from_i64(-1);
    m2c_i256_to_dec(buf, sizeof buf, &m1);
    CHECK_EQ_STR(buf, "-1");
    CHECK_EQ_INT(m2c_u256_to_dec(small, sizeof small, &v), 0); /* does not fit */
    CHECK_EQ_STR(small, "");
    for (long it = 0; it < m2c_test_iters(2000); it++) {
        m2c_u256 a = rand_u256(), b;
        size_t n = m2c_u256_to_dec(buf, sizeof buf, &a);
        CHECK(n > 0 && (n == 1 || buf[0] != '0'));
        CHECK(m2c_u256_parse(&b, buf, n, NULL) == M2C_OK);
        CHECK_U256(a, b);
        n = m2c_u256_to_hex(buf, sizeof buf, &a);
        CHECK(n > 2 && (n == 3 || buf[2] != '0'));
        CHECK(m2c_u256_parse(&b, buf, n, NULL) == M2C_OK);
        CHECK_U256(a, b);
        n = m2c_i256_to_dec(buf, sizeof buf, &a);
        CHECK(m2c_i256_parse(&b, buf, n, NULL) == M2C_OK);
        CHECK_U256(a, b);
    }
}

TEST(test_u256_to_double__rounds_like_strtod) {
    char buf[90];
    for (long it = 0; it < m2c_test_iters(2000); it++) {
        m2c_u256 a = rand_u256();
        if (it % 3 == 0) { /* near a rounding tie: 54 significant bits, the last one set */
            unsigned sh = (unsigned)(m2c_test_rand() % 200);
            m2c_u256 t = {{(m2c_test_rand() >> 10) | (1ULL << 53) | 1, 0, 0, 0}};
            a = m2c_u256_shl(&t, sh);
        }
        m2c_u256_to_dec(buf, sizeof buf, &a);
        CHECK(m2c_u256_to_double(&a) == strtod(buf, NULL));
        m2c_i256_to_dec(buf, sizeof buf, &a);
        CHECK(m2c_i256_to_double(&a) == strtod(buf, NULL));
    }
    m2c_u256 mx = m2c_u256_not(&(m2c_u256){{0}});
    CHECK(m2c_u256_to_double(&mx) == ldexp(1.0, 256));
}

TEST_MAIN(T(test_u256__python_vectors), T(test_u256__random_ops_match_slow_reference),
          T(test_u256__small_values_match_int128), T(test_u256__add_sub_boundary_triplets),
          T(test_u256__divide_by_zero_is_range_error),
          T(test_u256__divmod_outputs_may_alias_inputs),
          T(test_u256__shifts_match_multiplication_and_division), T(test_u256__bitlen_and_logic),
          T(test_u256__conversions), T(test_u256_parse__boundary_triplets_and_errors),
          T(test_u256_format__decimal_and_hex_round_trip),
          T(test_u256_to_double__rounds_like_strtod))
