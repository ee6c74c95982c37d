/* Tests for src/core/keccak.c: vectors from tests/data/keccak_vectors.txt (computed with cast)
 * across the 136-byte block boundaries, and incremental hashing in odd chunk sizes. */
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "test.h"

static void pattern(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + 1);
}

static m2c_hash32 hash_hex(const char *hex) {
    m2c_hash32 h;
    memset(&h, 0, sizeof h);
    if (m2c_hash_parse(&h, hex, NULL) != M2C_OK) memset(&h, 0xee, sizeof h);
    return h;
}

TEST(test_keccak__empty_input_is_the_known_digest) {
    m2c_hash32 want =
        hash_hex("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    m2c_hash32 got = m2c_keccak256("", 0);
    CHECK_EQ_MEM(got.b, want.b, 32);
    got = m2c_keccak256(NULL, 0);
    CHECK_EQ_MEM(got.b, want.b, 32);
}

TEST(test_keccak__text_vectors) {
    m2c_hash32 want =
        hash_hex("0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    m2c_hash32 got = m2c_keccak256("abc", 3);
    CHECK_EQ_MEM(got.b, want.b, 32);
    /* transfer(address,uint256) selector a9059cbb: the first 4 bytes of its keccak. */
    got = m2c_keccak256("transfer(address,uint256)", 25);
    CHECK(got.b[0] == 0xa9 && got.b[1] == 0x05 && got.b[2] == 0x9c && got.b[3] == 0xbb);
}

TEST(test_keccak__matches_vectors_across_block_boundaries) {
    FILE *f = fopen(m2c_test_data("data/keccak_vectors.txt"), "r");
    REQUIRE(f != NULL);
    char line[256];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        size_t n;
        char hex[80];
        REQUIRE(sscanf(line, "%zu %79s", &n, hex) == 2);
        uint8_t *in = malloc(n ? n : 1);
        REQUIRE(in != NULL);
        pattern(in, n);
        m2c_hash32 want = hash_hex(hex), got = m2c_keccak256(in, n);
        if (memcmp(got.b, want.b, 32) != 0) fprintf(stderr, "  length %zu differs\n", n);
        CHECK_EQ_MEM(got.b, want.b, 32);
        free(in);
        seen++;
    }
    fclose(f);
    CHECK(seen >= 20);
}

TEST(test_keccak__incremental_in_odd_chunks_equals_one_shot) {
    static uint8_t buf[3000];
    for (long it = 0; it < m2c_test_iters(300); it++) {
        size_t n = (size_t)(m2c_test_rand() % sizeof buf);
        m2c_test_rand_bytes(buf, n);
        m2c_hash32 one = m2c_keccak256(buf, n), inc;
        m2c_keccak_ctx ctx;
        m2c_keccak_init(&ctx);
        size_t off = 0;
        while (off < n) {
            /* Chunk sizes from 0 to 300, so some straddle and some fill whole blocks. */
            size_t k = (size_t)(m2c_test_rand() % 301);
            if (k > n - off) k = n - off;
            m2c_keccak_update(&ctx, buf + off, k);
            off += k;
        }
        m2c_keccak_final(&ctx, &inc);
        CHECK_EQ_MEM(one.b, inc.b, 32);
    }
}

TEST(test_keccak__byte_at_a_time_matches_vectors) {
    uint8_t in[409];
    pattern(in, sizeof in);
    m2c_keccak_ctx ctx;
    m2c_keccak_init(&ctx);
    for (size_t i = 0; i < sizeof in; i++)
        m2c_keccak_update(&ctx, in + i, 1);
    m2c_hash32 got;
    m2c_keccak_final(&ctx, &got);
    m2c_hash32 want =
        hash_hex("0x1325f995a4261ed220618d6a2ec206fe1d95c55c721cd16c7ebfdfde6f1d636f");
    CHECK_EQ_MEM(got.b, want.b, 32);
}

TEST(test_keccak__context_reinit_gives_same_digest) {
    m2c_keccak_ctx ctx;
    m2c_hash32 a, b;
    m2c_keccak_init(&ctx);
    m2c_keccak_update(&ctx, "hello", 5);
    m2c_keccak_final(&ctx, &a);
    m2c_keccak_init(&ctx);
    m2c_keccak_update(&ctx, "hel", 3);
    m2c_keccak_update(&ctx, "", 0);
    m2c_keccak_update(&ctx, "lo", 2);
    m2c_keccak_final(&ctx, &b);
    CHECK_EQ_MEM(a.b, b.b, 32);
    m2c_hash32 want =
        hash_hex("0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8");
    CHECK_EQ_MEM(a.b, want.b, 32);
}

TEST_MAIN(T(test_keccak__empty_input_is_the_known_digest), T(test_keccak__text_vectors),
          T(test_keccak__matches_vectors_across_block_boundaries),
          T(test_keccak__incremental_in_odd_chunks_equals_one_shot),
          T(test_keccak__byte_at_a_time_matches_vectors),
          T(test_keccak__context_reinit_gives_same_digest))
