/* test_qvectors.c: the qmodel test-vector generator (docs/qmodel.md section 10), and a unit
 * test of the runtime's invariants on the same random models.
 *
 *   test_qvectors                       run the invariant tests (unit-test mode)
 *   test_qvectors --emit [--seed N] [--models N] [--inputs N]
 *                                       print one JSON object per model on stdout
 *   test_qvectors --corpus DIR [--models N]
 *                                       write model files DIR/<kind>-<i>.qm (fuzz seeds)
 *
 * The emitted file is what the determinism check compares across -O0/-O2/-O3 and
 * sanitizer builds, what tests/ml/qref.py recomputes independently, and what the Solidity
 * twin replays. */
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/u256.h"
#include "qgen.h"
#include "test.h"

static void print_u256_list(const m2c_u256 *v, size_t n) {
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        char s[90];
        m2c_i256_to_dec(s, sizeof s, &v[i]);
        printf("%s\"%s\"", i ? "," : "", s);
    }
    putchar(']');
}

/* Inputs just outside int192, to exercise the range error. */
static m2c_u256 outside_i192(void) {
    m2c_u256 v = qg_i192_extreme((int)(m2c_test_rand() & 1));
    m2c_u256 one = m2c_u256_from_u64(1);
    if (m2c_i256_is_neg(&v))
        (void)m2c_u256_sub(&v, &v, &one);
    else
        (void)m2c_u256_add(&v, &v, &one);
    if (m2c_test_rand() & 1) v.w[3] ^= (uint64_t)1 << 62;
    return v;
}

static int emit(long models, long inputs) {
    for (long k = 0; k < models; k++) {
        m2c_qmodel *m = qg_model(1 + (unsigned)(k % 4));
        if (!m) return 1;
        m2c_buf b;
        m2c_buf_init(&b, 0);
        m2c_err e;
        if (m2c_qmodel_serialize(&b, m, &e)) {
            fprintf(stderr, "qvectors: %s\n", e.msg);
            return 1;
        }
        char *hex = m2c_hex_encode_alloc(b.p, b.len, 1);
        m2c_hash32 h = m2c_qmodel_hash_bytes(b.p, b.len);
        char hh[70];
        m2c_hex_encode(hh, h.b, 32, 1);
        printf("{\"kind\":\"%s\",\"model\":\"%s\",\"hash\":\"%s\",\"cases\":[",
               m2c_qkind_str(m->kind), hex, hh);
        free(hex);
        for (long c = 0; c < inputs; c++) {
            m2c_u256 x[M2C_QMODEL_MAX_IN], y[M2C_QMODEL_MAX_OUT];
            int32_t p[M2C_QMODEL_MAX_OUT];
            int label;
            for (unsigned i = 0; i < m->n_in; i++)
                x[i] = qg_input();
            if (qg_below(32) == 0) x[qg_below(m->n_in)] = outside_i192();
            printf("%s{\"x\":", c ? "," : "");
            print_u256_list(x, m->n_in);
            if (m2c_qmodel_predict(m, y, p, &label, x, NULL) != M2C_OK) {
                printf(",\"error\":\"range\"}");
                continue;
            }
            printf(",\"q\":[");
            for (unsigned j = 0; j < m->n_out; j++)
                printf("%s%d", j ? "," : "", p[j]);
            printf("],\"y\":");
            print_u256_list(y, m->n_out);
            if (label < 0)
                printf(",\"label\":null}");
            else
                printf(",\"label\":%d}", label);
        }
        printf("]}\n");
        m2c_buf_free(&b);
        m2c_qmodel_free(m);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

static int corpus(const char *dir, long models) {
    for (long k = 0; k < models; k++) {
        m2c_qmodel *m = qg_model(1 + (unsigned)(k % 4));
        if (!m) return 1;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s-%ld.qm", dir, m2c_qkind_str(m->kind), k);
        m2c_err e;
        if (m2c_qmodel_save_file(m, path, &e)) {
            fprintf(stderr, "qvectors: %s\n", e.msg);
            return 1;
        }
        m2c_qmodel_free(m);
    }
    return 0;
}

/* ---------------------------------------------------------------- unit-test mode */

/* Properties every output must have, whatever the random model. */
TEST(test_qvectors__runtime_invariants_on_random_models) {
    for (long k = 0; k < m2c_test_iters(400); k++) {
        m2c_qmodel *m = qg_model(1 + (unsigned)(k % 4));
        REQUIRE(m);
        REQUIRE(m2c_qmodel_check(m, NULL) == M2C_OK);
        for (int c = 0; c < 20; c++) {
            m2c_u256 x[M2C_QMODEL_MAX_IN], y[M2C_QMODEL_MAX_OUT];
            int32_t p[M2C_QMODEL_MAX_OUT], p2[M2C_QMODEL_MAX_OUT], z[M2C_QMODEL_MAX_IN];
            int label;
            for (unsigned i = 0; i < m->n_in; i++)
                x[i] = qg_input();
            REQUIRE(m2c_qmodel_predict(m, y, p, &label, x, NULL) == M2C_OK);
            /* the pieces compose to predict */
            REQUIRE(m2c_qmodel_scale_input(m, z, x, NULL) == M2C_OK);
            m2c_qmodel_run(m, p2, z);
            CHECK_EQ_MEM(p, p2, m->n_out * sizeof *p);
            if (m->transform == M2C_QTRANSFORM_SIGMOID) {
                CHECK(p[0] >= 0 && p[0] <= 65536);
                CHECK_EQ_INT(label, p[0] >= 32768);
            } else if (m->transform == M2C_QTRANSFORM_SOFTMAX) {
                long sum = 0;
                for (unsigned j = 0; j < m->n_out; j++) {
                    CHECK(p[j] >= 0 && p[j] <= 65536);
                    sum += p[j];
                    CHECK(p[j] <= p[label]);
                    if (j < (unsigned)label) CHECK(p[j] < p[label]);
                }
                CHECK(labs(sum - 65536) <= (long)m->n_out / 2 + 1);
            } else {
                CHECK_EQ_INT(label, -1);
            }
            /* output scaling stays within the int224 bound of the spec's section 7 */
            for (unsigned j = 0; j < m->n_out; j++) {
                m2c_u256 a = m2c_i256_is_neg(&y[j]) ? m2c_i256_neg(&y[j]) : y[j];
                CHECK(m2c_u256_bitlen(&a) <= 223);
            }
        }
        m2c_qmodel_free(m);
    }
}

/* The same seed gives the same model bytes; a different seed gives different ones. */
TEST(test_qvectors__generator_is_seeded) {
    uint64_t saved = m2c_test_state_;
    m2c_qmodel *a = qg_model(3);
    m2c_test_state_ = saved;
    m2c_qmodel *b = qg_model(3);
    m2c_qmodel *c = qg_model(3);
    REQUIRE(a && b && c);
    m2c_buf ba, bb, bc;
    m2c_buf_init(&ba, 0), m2c_buf_init(&bb, 0), m2c_buf_init(&bc, 0);
    REQUIRE(m2c_qmodel_serialize(&ba, a, NULL) == M2C_OK);
    REQUIRE(m2c_qmodel_serialize(&bb, b, NULL) == M2C_OK);
    REQUIRE(m2c_qmodel_serialize(&bc, c, NULL) == M2C_OK);
    CHECK(ba.len == bb.len && memcmp(ba.p, bb.p, ba.len) == 0);
    CHECK(ba.len != bc.len || memcmp(ba.p, bc.p, ba.len) != 0);
    m2c_buf_free(&ba), m2c_buf_free(&bb), m2c_buf_free(&bc);
    m2c_qmodel_free(a), m2c_qmodel_free(b), m2c_qmodel_free(c);
}

int main(int argc, char **argv) {
    long models = 1000, inputs = 8;
    const char *dir = NULL;
    int do_emit = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--emit"))
            do_emit = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            m2c_test_seed_ = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--models") && i + 1 < argc)
            models = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--inputs") && i + 1 < argc)
            inputs = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--corpus") && i + 1 < argc)
            dir = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr,
                    "usage: %s [--emit|--corpus DIR] [--seed N] [--models N] "
                    "[--inputs N]\n",
                    argv[0]);
            return 2;
        } else
            break; /* a test-name filter for the unit-test mode */
    }
    if (do_emit || dir) {
        m2c_test_state_ = m2c_test_seed_;
        return do_emit ? emit(models, inputs) : corpus(dir, models);
    }
    static const m2c_test_case cases[] = {
        T(test_qvectors__runtime_invariants_on_random_models),
        T(test_qvectors__generator_is_seeded),
    };
    return m2c_test_run_(__FILE__, cases, sizeof cases / sizeof cases[0], argc, argv);
}
