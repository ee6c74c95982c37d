/* Tests for src/core/buf.c and src/core/err.c. */
#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "test.h"

TEST(test_buf__appends_and_stays_nul_terminated) {
    m2c_buf b;
    m2c_buf_init(&b, 0);
    REQUIRE(m2c_buf_append_str(&b, "abc") == M2C_OK);
    REQUIRE(m2c_buf_printf(&b, "-%d-", 42) == M2C_OK);
    CHECK_EQ_INT(b.len, 7);
    CHECK_EQ_STR((char *)b.p, "abc-42-");
    size_t n;
    uint8_t *p = m2c_buf_take(&b, &n);
    CHECK_EQ_INT(n, 7);
    CHECK(b.p == NULL && b.len == 0);
    free(p);
    m2c_buf_free(&b);
}

TEST(test_buf__refuses_growth_past_cap) {
    m2c_buf b;
    m2c_buf_init(&b, 10);
    CHECK(m2c_buf_append(&b, "0123456789", 10) == M2C_OK);
    CHECK(m2c_buf_append_byte(&b, 'x') == M2C_ERR_NOMEM);
    CHECK_EQ_INT(b.len, 10); /* a refused append leaves the contents as they were */
    CHECK(memcmp(b.p, "0123456789", 10) == 0);
    m2c_buf_free(&b);
    m2c_buf_free(NULL);
}

TEST(test_err__set_prefix_and_names) {
    m2c_err e;
    m2c_err_clear(&e);
    CHECK(e.code == M2C_OK && e.offset == (size_t)-1);
    CHECK(m2c_err_at(&e, M2C_ERR_TRUNCATED, 7, "data too short (%d < %d)", 30, 64) ==
          M2C_ERR_TRUNCATED);
    CHECK(m2c_err_prefix(&e, "cannot decode log %d", 3) == M2C_ERR_TRUNCATED);
    CHECK_EQ_STR(e.msg, "cannot decode log 3: data too short (30 < 64)");
    CHECK_EQ_INT(e.offset, 7);
    CHECK(m2c_err_set(NULL, M2C_ERR_RPC, "x") == M2C_ERR_RPC);
    CHECK_EQ_STR(m2c_status_str(M2C_ERR_AUTH), "authentication failed");
    uint8_t secret[16];
    memset(secret, 0xab, sizeof secret);
    m2c_wipe(secret, sizeof secret);
    for (size_t i = 0; i < sizeof secret; i++) CHECK(secret[i] == 0);
}

TEST_MAIN(T(test_buf__appends_and_stays_nul_terminated), T(test_buf__refuses_growth_past_cap),
          T(test_err__set_prefix_and_names))
