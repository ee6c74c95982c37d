/* Tests for src/core/arena.c: the capped bump allocator. */
#include <stdint.h>
#include <string.h>

#include "ml2chain/arena.h"
#include "test.h"

TEST(test_arena_alloc__zeroed_aligned_and_capped) {
    m2c_arena a;
    m2c_arena_init(&a, 1000);
    unsigned char *p = m2c_arena_alloc(&a, 10);
    REQUIRE(p != NULL);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(p[i], 0);
    CHECK_EQ_INT((uintptr_t)p % _Alignof(max_align_t), 0);
    CHECK(m2c_arena_alloc(&a, 2000) == NULL); /* over the cap */
    CHECK(m2c_arena_alloc(&a, 900) != NULL);
    CHECK(m2c_arena_alloc(&a, 100) == NULL); /* 16 + 912 used: 100 more is over 1000 */
    m2c_arena_free(&a);
    CHECK(a.head == NULL && a.used == 0);
}

TEST(test_arena_reset__forgets_allocations_keeps_one_chunk_and_zeroes_again) {
    m2c_arena a;
    m2c_arena_init(&a, 1 << 20);
    for (int round = 0; round < 50; round++) {
        unsigned char *small = m2c_arena_alloc(&a, 100);
        unsigned char *big = m2c_arena_alloc(&a, 100000); /* a chunk of its own */
        REQUIRE(small && big);
        CHECK_EQ_INT(small[0] | small[99] | big[0] | big[99999], 0); /* zeroed every time */
        memset(small, 0xab, 100);
        memset(big, 0xcd, 100000);
        CHECK(a.used >= 100100);
        m2c_arena_reset(&a);
        CHECK_EQ_INT(a.used, 0);
        REQUIRE(a.head != NULL); /* the small chunk is kept... */
        unsigned char *again = m2c_arena_alloc(&a, 100);
        CHECK(again == small); /* ...and serves the next allocation from the same memory */
        CHECK_EQ_INT(again[0] | again[99], 0);
        m2c_arena_reset(&a);
    }
    /* the cap counts from zero again after a reset */
    CHECK(m2c_arena_alloc(&a, (1 << 20) - 64) != NULL);
    m2c_arena_reset(&a);
    CHECK(m2c_arena_alloc(&a, (1 << 20) - 64) != NULL);
    m2c_arena_free(&a);
    m2c_arena_reset(NULL);
    m2c_arena_reset(&a); /* an empty arena */
    CHECK(a.head == NULL);
}

TEST(test_arena_alloc_uninit__same_placement_and_cap_without_the_fill) {
    m2c_arena a;
    m2c_arena_init(&a, 1000);
    unsigned char *p = m2c_arena_alloc_uninit(&a, 10);
    REQUIRE(p != NULL);
    CHECK_EQ_INT((uintptr_t)p % _Alignof(max_align_t), 0);
    memset(p, 0xee, 10);
    CHECK(m2c_arena_alloc_uninit(&a, 2000) == NULL); /* over the cap, like m2c_arena_alloc */
    CHECK(m2c_arena_alloc_uninit(&a, 900) != NULL);
    CHECK(m2c_arena_alloc_uninit(&a, 100) == NULL);
    /* memory written through an uninitialised allocation comes back zeroed from alloc */
    m2c_arena_reset(&a);
    unsigned char *q = m2c_arena_alloc(&a, 10);
    REQUIRE(q == p);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(q[i], 0);
    m2c_arena_free(&a);
}

TEST_MAIN(T(test_arena_alloc__zeroed_aligned_and_capped),
          T(test_arena_alloc_uninit__same_placement_and_cap_without_the_fill),
          T(test_arena_reset__forgets_allocations_keeps_one_chunk_and_zeroes_again))
