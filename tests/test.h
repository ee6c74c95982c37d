/* test.h: ml2chain's small unit-test harness. A test file defines test functions with
 * TEST(name), lists them in TEST_MAIN(...), and gets a main() that runs them, prints one
 * line per failure with file:line, and closes with "file: N passed, N failed".
 * Randomised tests use m2c_test_rand() seeded from M2C_TEST_SEED (printed on failure) and
 * scale their loops by m2c_test_iters(n) (M2C_TEST_ITERS multiplies n). Scratch files:
 * tests/scratch.h. */
#ifndef ML2CHAIN_TEST_H
#define ML2CHAIN_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    void (*fn)(void);
} m2c_test_case;

static int m2c_test_failed_;
static uint64_t m2c_test_seed_ = 0x6d6c32636861696eULL; /* "ml2chain" */
static uint64_t m2c_test_state_;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            m2c_test_failed_ = 1;                                                          \
        }                                                                                  \
    } while (0)

/* Stops the current test: use when later checks would dereference what just failed. */
#define REQUIRE(cond)                                                                      \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "  %s:%d: required: %s\n", __FILE__, __LINE__, #cond);         \
            m2c_test_failed_ = 1;                                                          \
            return;                                                                        \
        }                                                                                  \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                 \
    do {                                                                                   \
        long long a_ = (long long)(a), b_ = (long long)(b);                                \
        if (a_ != b_) {                                                                    \
            fprintf(stderr, "  %s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a,   \
                    #b, a_, b_);                                                           \
            m2c_test_failed_ = 1;                                                          \
        }                                                                                  \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                 \
    do {                                                                                   \
        const char *a_ = (a), *b_ = (b);                                                   \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                           \
            fprintf(stderr, "  %s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__,   \
                    #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                       \
            m2c_test_failed_ = 1;                                                          \
        }                                                                                  \
    } while (0)

#define CHECK_EQ_MEM(a, b, n)                                                              \
    do {                                                                                   \
        if (memcmp((a), (b), (n)) != 0) {                                                  \
            fprintf(stderr, "  %s:%d: %s and %s differ (%zu bytes)\n", __FILE__, __LINE__,  \
                    #a, #b, (size_t)(n));                                                  \
            m2c_test_failed_ = 1;                                                          \
        }                                                                                  \
    } while (0)

/* splitmix64: small, fast, and the same sequence everywhere for a given seed. */
static inline uint64_t m2c_test_rand(void) {
    uint64_t z = (m2c_test_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void m2c_test_rand_bytes(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)m2c_test_rand();
}

static inline long m2c_test_iters(long n) {
    const char *s = getenv("M2C_TEST_ITERS");
    long k = s ? strtol(s, NULL, 10) : 1;
    return n * (k > 0 ? k : 1);
}

/* Path of a test data file under tests/ (M2C_TEST_DATA overrides the root). */
static inline const char *m2c_test_data(const char *rel) {
    static char path[4096];
    const char *root = getenv("M2C_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", root ? root : "tests", rel);
    return path;
}

static inline int m2c_test_run_(const char *file, const m2c_test_case *cases, size_t n,
                                int argc, char **argv) {
    const char *s = getenv("M2C_TEST_SEED");
    if (s) m2c_test_seed_ = strtoull(s, NULL, 0);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && !strstr(cases[i].name, argv[1])) continue;
        m2c_test_failed_ = 0;
        m2c_test_state_ = m2c_test_seed_;
        cases[i].fn();
        if (m2c_test_failed_) {
            fprintf(stderr, "FAIL %s (seed 0x%016" PRIx64 ")\n", cases[i].name, m2c_test_seed_);
            failed++;
        } else {
            passed++;
        }
    }
    printf("%s: %d passed, %d failed\n", file, passed, failed);
    return failed ? 1 : 0;
}

#define TEST_MAIN(...)                                                                     \
    int main(int argc, char **argv) {                                                      \
        static const m2c_test_case cases_[] = {__VA_ARGS__};                               \
        return m2c_test_run_(__FILE__, cases_, sizeof cases_ / sizeof cases_[0], argc,     \
                             argv);                                                        \
    }
#define T(name) {#name, name}

#endif
