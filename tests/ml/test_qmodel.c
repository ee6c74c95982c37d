/* Tests for src/ml/qmodel.c (docs/qmodel.md): the byte layout, the loader's rejections
 * (truncation at every offset, trailing bytes, each cap and rule), serialize(load(x)) == x,
 * hand-computed runtime results for tiny models of each kind, the nonlinearities at their
 * boundary points, rounding/saturation triplets, and the int256 helpers against the core
 * u256 module. Expected numbers in comments are worked out by hand from the spec. */
#include <math.h>

#include "../../src/ml/q256.h"
#include "../../src/ml/qmodel_tables.h"
#include "ml2chain/keccak.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/u256.h"
#include "qgen.h"
#include "test.h"

static m2c_u256 I(int64_t v) {
    return m2c_u256_from_i64(v);
}

static m2c_u256 DEC(const char *s) {
    m2c_u256 v;
    if (m2c_i256_parse(&v, s, strlen(s), NULL) != M2C_OK) memset(&v, 0xee, sizeof v);
    return v;
}

static int ueq(m2c_u256 a, m2c_u256 b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Serializes m into a fresh buffer (caller frees b). */
static m2c_status ser(m2c_buf *b, const m2c_qmodel *m) {
    m2c_buf_init(b, 0);
    return m2c_qmodel_serialize(b, m, NULL);
}

/* y = 1.0*z0 - 0.5*z1 + 0.25, inputs and output in 1e18, identity scaling on z. */
static m2c_qmodel *tiny_linear(void) {
    m2c_qmodel *m = NULL;
    if (m2c_qmodel_alloc(&m, M2C_QKIND_LINEAR, M2C_QTRANSFORM_IDENTITY, 2, 1, 1, NULL)) return NULL;
    for (int i = 0; i < 2; i++)
        m->in[i] = m2c_qmodel_in_scaling(0, 1, 18);
    m->out[0] = m2c_qmodel_out_probability(18); /* Y = p * 1e18 / 2^16: exact */
    if (m2c_qmodel_alloc_layer(m, 0, 1, M2C_QACT_IDENTITY, NULL)) return NULL;
    m->layers[0].w[0] = 65536;
    m->layers[0].w[1] = -32768;
    m->layers[0].b[0] = 16384;
    return m;
}

/* The tree of section 5's example: z0 < 0 ? 1.0 : (z1 < 1.0 ? 2.0 : 3.0), base 0.5. */
static m2c_qmodel *tiny_gbdt(void) {
    m2c_qmodel *m = NULL;
    if (m2c_qmodel_alloc(&m, M2C_QKIND_GBDT, M2C_QTRANSFORM_IDENTITY, 2, 1, 1, NULL)) return NULL;
    for (int i = 0; i < 2; i++)
        m->in[i] = m2c_qmodel_in_scaling(0, 1, 18);
    m->out[0] = m2c_qmodel_out_probability(18);
    m->base[0] = 32768;
    if (m2c_qmodel_alloc_tree(m, 0, 0, 5, NULL)) return NULL;
    m2c_qmodel_node *n = m->trees[0].nodes;
    n[0] = (m2c_qmodel_node){0, 0, 2};
    n[1] = (m2c_qmodel_node){M2C_QMODEL_LEAF, 65536, 0};
    n[2] = (m2c_qmodel_node){1, 65536, 4};
    n[3] = (m2c_qmodel_node){M2C_QMODEL_LEAF, 131072, 0};
    n[4] = (m2c_qmodel_node){M2C_QMODEL_LEAF, 196608, 0};
    return m;
}

TEST(test_qmodel_tables__match_the_math) {
    for (int k = 0; k <= 512; k++) {
        double s = 65536.0 / (1.0 + exp(-k / 32.0));
        double t = 65536.0 * tanh(k / 64.0);
        CHECK_EQ_INT(M2C_Q_SIG[k], llround(s));
        CHECK_EQ_INT(M2C_Q_TANH[k], llround(t));
        /* no entry is near a tie, so double precision decides the rounding */
        CHECK(fabs(s - floor(s) - 0.5) > 1e-6 && fabs(t - floor(t) - 0.5) > 1e-6);
    }
    for (int k = 0; k <= 256; k++) {
        double e = 1073741824.0 * pow(2.0, -k / 256.0);
        CHECK_EQ_INT(M2C_Q_EXP2[k], llround(e));
        CHECK(fabs(e - floor(e) - 0.5) > 1e-6);
    }
    CHECK_EQ_INT(M2C_Q_SIG[512], 65536);
    CHECK_EQ_INT(M2C_Q_TANH[512], 65536);
    CHECK_EQ_INT(M2C_Q_EXP2[0], 1 << 30);
    CHECK_EQ_INT(M2C_Q_EXP2[256], 1 << 29);
    CHECK_EQ_INT(M2C_Q_LOG2E_Q24, llround(16777216.0 / log(2.0)));
}

TEST(test_q16_sigmoid__boundary_points) {
    CHECK_EQ_INT(m2c_q16_sigmoid(0), 32768);
    CHECK_EQ_INT(m2c_q16_sigmoid(1 << 11), 33280);       /* SIG[1] */
    CHECK_EQ_INT(m2c_q16_sigmoid(1 << 10), 33024);       /* 32768 + rshr(512*1024, 11) */
    CHECK_EQ_INT(m2c_q16_sigmoid(1), 32768);             /* rshr(512, 11) = 0 */
    CHECK_EQ_INT(m2c_q16_sigmoid(2), 32769);             /* rshr(1024, 11): half up */
    CHECK_EQ_INT(m2c_q16_sigmoid(-2), 32767);            /* 65536 - 32769 */
    CHECK_EQ_INT(m2c_q16_sigmoid(1 << 19), 65514);       /* SIG[256] */
    CHECK_EQ_INT(m2c_q16_sigmoid((1 << 19) - 1), 65514); /* 65513 + rshr(2047, 11) */
    CHECK_EQ_INT(m2c_q16_sigmoid((1 << 20) - 1), 65536); /* SIG[511] = SIG[512] */
    CHECK_EQ_INT(m2c_q16_sigmoid(1 << 20), 65536);       /* clamp */
    CHECK_EQ_INT(m2c_q16_sigmoid((1 << 20) + 1), 65536);
    CHECK_EQ_INT(m2c_q16_sigmoid(INT32_MAX), 65536);
    CHECK_EQ_INT(m2c_q16_sigmoid(INT32_MIN), 0);
    CHECK_EQ_INT(m2c_q16_sigmoid(-(1 << 10)), 32512);
    for (int i = 0; i < 2000; i++) {
        int32_t v = (int32_t)m2c_test_rand() >> (m2c_test_rand() % 20);
        if (v == INT32_MIN) continue;
        CHECK_EQ_INT(m2c_q16_sigmoid(-v), 65536 - m2c_q16_sigmoid(v));
        /* within about one Q16 step of the real function */
        CHECK(fabs(m2c_q16_sigmoid(v) / 65536.0 - 1 / (1 + exp(-v / 65536.0))) < 3e-5);
    }
}

TEST(test_q16_tanh__boundary_points) {
    CHECK_EQ_INT(m2c_q16_tanh(0), 0);
    CHECK_EQ_INT(m2c_q16_tanh(1 << 10), 1024); /* TANH[1] */
    CHECK_EQ_INT(m2c_q16_tanh(512), 512);      /* rshr(1024 * 512, 10) */
    CHECK_EQ_INT(m2c_q16_tanh(-512), -512);
    CHECK_EQ_INT(m2c_q16_tanh(1 << 18), 65492);       /* TANH[256] */
    CHECK_EQ_INT(m2c_q16_tanh((1 << 18) - 1), 65492); /* 65491 + rshr(1023, 10) = +1 */
    CHECK_EQ_INT(m2c_q16_tanh(1 << 19), 65536);       /* clamp */
    CHECK_EQ_INT(m2c_q16_tanh(INT32_MAX), 65536);
    CHECK_EQ_INT(m2c_q16_tanh(INT32_MIN), -65536);
    for (int i = 0; i < 2000; i++) {
        int32_t v = (int32_t)m2c_test_rand() >> (m2c_test_rand() % 20);
        if (v == INT32_MIN) continue;
        CHECK_EQ_INT(m2c_q16_tanh(-v), -m2c_q16_tanh(v));
        CHECK(fabs(m2c_q16_tanh(v) / 65536.0 - tanh(v / 65536.0)) < 5e-5);
    }
}

TEST(test_q16_softmax__hand_checked) {
    int32_t p[3], q[3];
    q[0] = q[1] = 0;
    m2c_q16_softmax(p, q, 2);
    CHECK_EQ_INT(p[0], 32768); /* (2^46 + 2^30) / 2^31 */
    CHECK_EQ_INT(p[1], 32768);
    /* d = 45426: t = rshr(45426 * 24204406, 24) = 65536, so E1 = 2^29, S = 3 * 2^29 */
    q[0] = 0, q[1] = -45426;
    m2c_q16_softmax(p, q, 2);
    CHECK_EQ_INT(p[0], 43691);          /* floor(2^17/3 + 1/2) */
    CHECK_EQ_INT(p[1], 21845);          /* floor(2^16/3 + 1/2) */
    q[0] = INT32_MAX, q[1] = INT32_MIN; /* d = 2^32 - 1: e >= 31, E1 = 0 */
    m2c_q16_softmax(p, q, 2);
    CHECK_EQ_INT(p[0], 65536);
    CHECK_EQ_INT(p[1], 0);
    q[0] = q[1] = q[2] = INT32_MIN; /* all equal at the bottom of the range */
    m2c_q16_softmax(p, q, 3);
    CHECK_EQ_INT(p[0], 21845); /* (2^46 + 3*2^29) / (3 * 2^30) */
    CHECK(p[0] == p[1] && p[1] == p[2]);
    for (int i = 0; i < 500; i++) {
        int32_t qq[5], pp[5];
        double mx = -1e300, s = 0;
        for (int j = 0; j < 5; j++) {
            qq[j] = (int32_t)qg_signed(19);
            if (qq[j] / 65536.0 > mx) mx = qq[j] / 65536.0;
        }
        for (int j = 0; j < 5; j++)
            s += exp(qq[j] / 65536.0 - mx);
        m2c_q16_softmax(pp, qq, 5);
        for (int j = 0; j < 5; j++)
            CHECK(fabs(pp[j] / 65536.0 - exp(qq[j] / 65536.0 - mx) / s) < 1e-4);
    }
}

TEST(test_qmodel_serialize__layout_is_the_spec) {
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    m2c_buf b;
    REQUIRE(ser(&b, m) == M2C_OK);
    CHECK_EQ_INT(b.len, 16 + 2 * 37 + 3 + 3 * 4 + 65);
    static const uint8_t hdr[16] = {'M', '2', 'C', 'Q', 1, 1, 16, 0, 18, 18, 0, 2, 0, 1, 0, 1};
    CHECK_EQ_MEM(b.p, hdr, 16);
    const uint8_t *L = b.p + 16 + 74;
    static const uint8_t layer[15] = {0, 1, 0, 0, 1, 0, 0, 0xff, 0xff, 0x80, 0, 0, 0, 0x40, 0};
    CHECK_EQ_MEM(L, layer, 15);
    /* output record: omul = 1e18 = 0x0de0b6b3a7640000, oshift 16, oadd 0 */
    const uint8_t *o = L + 15;
    static const uint8_t e18[8] = {0x0d, 0xe0, 0xb6, 0xb3, 0xa7, 0x64, 0x00, 0x00};
    CHECK_EQ_MEM(o + 24, e18, 8);
    CHECK_EQ_INT(o[32], 16);
    CHECK_EQ_INT(m2c_qmodel_size(m), b.len);
    m2c_hash32 h = m2c_qmodel_hash_bytes(b.p, b.len), k = m2c_keccak256(b.p, b.len);
    CHECK_EQ_MEM(h.b, k.b, 32);
    m2c_buf_free(&b);
    m2c_qmodel_free(m);
}

/* serialize(load(x)) == x for random models of every kind; every proper prefix fails as
 * truncated at its end; one extra byte fails as trailing. */
TEST(test_qmodel_load__round_trip_truncation_and_trailing_bytes) {
    for (long it = 0; it < m2c_test_iters(60); it++) {
        m2c_qmodel *m = qg_model(1 + it % 4), *back = NULL;
        REQUIRE(m);
        m2c_buf b, b2;
        m2c_err e;
        REQUIRE(ser(&b, m) == M2C_OK);
        REQUIRE(m2c_qmodel_load(&back, b.p, b.len, &e) == M2C_OK);
        m2c_buf_init(&b2, 0);
        REQUIRE(m2c_qmodel_serialize(&b2, back, NULL) == M2C_OK);
        CHECK_EQ_INT(b2.len, b.len);
        CHECK_EQ_MEM(b2.p, b.p, b.len);
        m2c_qmodel_free(back);
        for (size_t cut = 0; cut < b.len; cut++) {
            m2c_qmodel *t = NULL;
            m2c_status st = m2c_qmodel_load(&t, b.p, cut, &e);
            CHECK_EQ_INT(st, M2C_ERR_TRUNCATED);
            CHECK(t == NULL);
            CHECK(e.offset <= cut);
            if (st != M2C_ERR_TRUNCATED) {
                m2c_qmodel_free(t);
                break;
            }
        }
        REQUIRE(m2c_buf_append_byte(&b, 0) == M2C_OK);
        CHECK_EQ_INT(m2c_qmodel_load(&back, b.p, b.len, &e), M2C_ERR_NONCANONICAL);
        CHECK_EQ_INT(e.offset, b.len - 1);
        CHECK(strstr(e.msg, "trailing") != NULL);
        m2c_buf_free(&b);
        m2c_buf_free(&b2);
        m2c_qmodel_free(m);
    }
}

/* Loads `b` with byte `at` replaced by `v` and returns the status (e gets the detail). */
static m2c_status patched(const m2c_buf *b, size_t at, uint8_t v, m2c_err *e) {
    uint8_t *c = malloc(b->len);
    memcpy(c, b->p, b->len);
    c[at] = v;
    m2c_qmodel *m = NULL;
    m2c_status st = m2c_qmodel_load(&m, c, b->len, e);
    m2c_qmodel_free(m);
    free(c);
    return st;
}

TEST(test_qmodel_load__rejects_bad_header_fields) {
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    m2c_buf b;
    m2c_err e;
    REQUIRE(ser(&b, m) == M2C_OK);
    CHECK_EQ_INT(patched(&b, 0, 'X', &e), M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 0);
    CHECK_EQ_INT(patched(&b, 4, 2, &e), M2C_ERR_UNSUPPORTED); /* version 2 */
    CHECK(strstr(e.msg, "version 2") != NULL);
    CHECK_EQ_INT(patched(&b, 4, 0, &e), M2C_ERR_UNSUPPORTED);
    CHECK_EQ_INT(patched(&b, 5, 0, &e), M2C_ERR_INVALID);      /* kind 0 */
    CHECK_EQ_INT(patched(&b, 5, 5, &e), M2C_ERR_INVALID);      /* kind 5 */
    CHECK_EQ_INT(patched(&b, 5, 2, &e), M2C_ERR_INVALID);      /* logistic with identity */
    CHECK_EQ_INT(patched(&b, 5, 3, &e), M2C_ERR_RANGE);        /* mlp needs >= 2 layers */
    CHECK_EQ_INT(patched(&b, 6, 15, &e), M2C_ERR_UNSUPPORTED); /* frac_bits */
    CHECK_EQ_INT(patched(&b, 7, 3, &e), M2C_ERR_INVALID);      /* transform 3 */
    CHECK_EQ_INT(patched(&b, 7, 1, &e), M2C_ERR_INVALID);      /* linear + sigmoid */
    CHECK_EQ_INT(patched(&b, 8, 36, &e), M2C_OK);              /* decimals triplet */
    CHECK_EQ_INT(patched(&b, 8, 37, &e), M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 8);
    CHECK_EQ_INT(patched(&b, 9, 37, &e), M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 9);
    CHECK_EQ_INT(patched(&b, 11, 0, &e), M2C_ERR_RANGE); /* n_in 0 */
    CHECK_EQ_INT(e.offset, 10);
    CHECK_EQ_INT(patched(&b, 10, 0x10, &e), M2C_ERR_RANGE); /* n_in 4098 */
    CHECK_EQ_INT(patched(&b, 13, 0, &e), M2C_ERR_RANGE);    /* n_out 0 */
    CHECK_EQ_INT(patched(&b, 12, 1, &e), M2C_ERR_RANGE);    /* n_out 257 */
    CHECK_EQ_INT(patched(&b, 15, 2, &e), M2C_ERR_RANGE);    /* linear with 2 layers */
    CHECK_EQ_INT(e.offset, 14);
    /* layer: width 2 is not n_out; activation relu on the last layer; activation 4 */
    CHECK_EQ_INT(patched(&b, 16 + 74 + 1, 2, &e), M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 90);
    CHECK_EQ_INT(patched(&b, 16 + 74 + 2, 1, &e), M2C_ERR_INVALID);
    CHECK_EQ_INT(patched(&b, 16 + 74 + 2, 4, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "activation") != NULL);
    CHECK_EQ_INT(patched(&b, 16 + 74 + 0, 0x10, &e), M2C_ERR_RANGE); /* width 4097 */
    m2c_buf_free(&b);
    m2c_qmodel_free(m);
}

/* int192 words: 2^191 - 1 and -2^191 load, 2^191 and -2^191 - 1 do not. */
TEST(test_qmodel_load__int192_word_triplets) {
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    m2c_buf b;
    m2c_err e;
    REQUIRE(ser(&b, m) == M2C_OK);
    uint8_t *w = b.p + 16; /* input 0's mean */
    struct {
        uint8_t hi, b8, rest;
        m2c_status want;
    } cases[] = {
        {0x00, 0x7f, 0xff, M2C_OK},        /* 2^191 - 1 */
        {0x00, 0x80, 0x00, M2C_ERR_RANGE}, /* 2^191 */
        {0xff, 0x80, 0x00, M2C_OK},        /* -2^191 */
        {0xff, 0x7f, 0xff, M2C_ERR_RANGE}, /* -2^191 - 1 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memset(w, cases[c].hi, 8);
        w[8] = cases[c].b8;
        memset(w + 9, cases[c].rest, 23);
        m2c_qmodel *t = NULL;
        CHECK_EQ_INT(m2c_qmodel_load(&t, b.p, b.len, &e), cases[c].want);
        if (cases[c].want) CHECK_EQ_INT(e.offset, 16);
        m2c_qmodel_free(t);
    }
    m2c_buf_free(&b);
    m2c_qmodel_free(m);
}

TEST(test_qmodel_load__rejects_bad_trees) {
    m2c_qmodel *m = tiny_gbdt();
    REQUIRE(m);
    m2c_buf b;
    m2c_err e;
    REQUIRE(ser(&b, m) == M2C_OK);
    size_t nodes = 16 + 74 + 4 + 4; /* header, 2 input records, base, tree header */
    CHECK_EQ_INT(patched(&b, nodes + 7, 3, &e), M2C_ERR_INVALID); /* root right 3 */
    CHECK_EQ_INT(e.offset, nodes + 6);
    CHECK(strstr(e.msg, "pre-order") != NULL);
    CHECK_EQ_INT(patched(&b, nodes + 8 + 7, 1, &e), M2C_ERR_NONCANONICAL); /* leaf right 1 */
    CHECK_EQ_INT(patched(&b, nodes + 1, 2, &e), M2C_ERR_RANGE);            /* feature 2, n_in 2 */
    CHECK_EQ_INT(e.offset, nodes);
    CHECK_EQ_INT(patched(&b, nodes - 3, 1, &e), M2C_ERR_RANGE);   /* tree output 1, n_out 1 */
    CHECK_EQ_INT(patched(&b, nodes - 1, 4, &e), M2C_ERR_INVALID); /* 4 nodes declared: */
    /* the root's right subtree would need node 4, past the end; with the bytes shifted the
     * loader also sees trailing data, but the structure check comes first */
    CHECK_EQ_INT(patched(&b, nodes - 1, 0, &e), M2C_ERR_RANGE); /* no nodes */
    /* a leaf-only tree that declares 2 nodes: node 1 is unreachable */
    m2c_qmodel *t = tiny_gbdt();
    REQUIRE(t);
    REQUIRE(m2c_qmodel_alloc_tree(t, 0, 0, 2, NULL) == M2C_OK);
    t->trees[0].nodes[0] = (m2c_qmodel_node){M2C_QMODEL_LEAF, 5, 0};
    t->trees[0].nodes[1] = (m2c_qmodel_node){M2C_QMODEL_LEAF, 6, 0};
    CHECK_EQ_INT(m2c_qmodel_check(t, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "ends at node 1") != NULL);
    m2c_qmodel_free(t);
    m2c_buf_free(&b);
    m2c_qmodel_free(m);
}

/* A right spine of `splits` splits, each with a leaf on the left. */
static m2c_qmodel *spine(unsigned splits) {
    m2c_qmodel *m = tiny_gbdt();
    if (!m || m2c_qmodel_alloc_tree(m, 0, 0, 2 * splits + 1, NULL)) return NULL;
    m2c_qmodel_node *n = m->trees[0].nodes;
    for (unsigned i = 0; i < splits; i++) {
        n[2 * i] = (m2c_qmodel_node){0, (int32_t)i, (uint16_t)(2 * i + 2)};
        n[2 * i + 1] = (m2c_qmodel_node){M2C_QMODEL_LEAF, (int32_t)i, 0};
    }
    n[2 * splits] = (m2c_qmodel_node){M2C_QMODEL_LEAF, 1000, 0};
    return m;
}

TEST(test_qmodel_load__tree_depth_cap) {
    m2c_err e;
    m2c_qmodel *ok = spine(32), *bad = spine(33);
    REQUIRE(ok && bad);
    CHECK_EQ_INT(m2c_qmodel_check(ok, &e), M2C_OK);
    CHECK_EQ_INT(m2c_qmodel_check(bad, &e), M2C_ERR_RANGE);
    CHECK(strstr(e.msg, "deeper than 32") != NULL);
    /* the deepest leaf of the valid spine: z0 >= every threshold goes right 32 times */
    int32_t z[2] = {1000, 0}, p[1];
    m2c_qmodel_run(ok, p, z);
    CHECK_EQ_INT(p[0], 32768 + 1000);
    z[0] = 5; /* goes right at thresholds 0..5, left at 6: leaf value 6 */
    m2c_qmodel_run(ok, p, z);
    CHECK_EQ_INT(p[0], 32768 + 6);
    m2c_qmodel_free(ok);
    m2c_qmodel_free(bad);
}

TEST(test_qmodel_load__size_cap) {
    uint8_t hdr[16] = {'M', '2', 'C', 'Q', 1, 1, 16, 0, 18, 18, 0, 1, 0, 1, 0, 1};
    m2c_qmodel *m = NULL;
    m2c_err e;
    CHECK_EQ_INT(m2c_qmodel_load(&m, hdr, M2C_QMODEL_MAX_BYTES + 1, &e), M2C_ERR_RANGE);
    CHECK(strstr(e.msg, "cap") != NULL);
    /* a header that declares 4096 inputs is rejected as truncated, without allocating
     * anything proportional to the declared size beyond the header arrays */
    hdr[10] = 0x10, hdr[11] = 0x00;
    CHECK_EQ_INT(m2c_qmodel_load(&m, hdr, sizeof hdr, &e), M2C_ERR_TRUNCATED);
    CHECK_EQ_INT(e.offset, 16);
}

TEST(test_qmodel_run__linear_hand_checked) {
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    REQUIRE(m2c_qmodel_check(m, NULL) == M2C_OK);
    /* x = (2, 1) in 1e18: z = (131072, 65536); y = 2 - 0.5 + 0.25 = 1.75 = 114688 in Q16 */
    m2c_u256 x[2] = {DEC("2000000000000000000"), DEC("1000000000000000000")}, y[1];
    int32_t p[1];
    int label = 7;
    REQUIRE(m2c_qmodel_predict(m, y, p, &label, x, NULL) == M2C_OK);
    CHECK_EQ_INT(p[0], 114688);
    CHECK(ueq(y[0], DEC("1750000000000000000")));
    CHECK_EQ_INT(label, -1);
    /* negative result: x = (-1, 3): -1 - 1.5 + 0.25 = -2.25 */
    x[0] = DEC("-1000000000000000000"), x[1] = DEC("3000000000000000000");
    REQUIRE(m2c_qmodel_predict(m, y, p, NULL, x, NULL) == M2C_OK);
    CHECK_EQ_INT(p[0], -147456);
    CHECK(ueq(y[0], DEC("-2250000000000000000")));
    m2c_qmodel_free(m);
}

TEST(test_qmodel_run__dense_rounding_and_saturation) {
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    int32_t z[2], p[1];
    /* acc = 65536*1 + (-32768)*0 + 16384*65536: (1 + 16384*65536) / 65536 rounds to 16384 */
    z[0] = 1, z[1] = 0;
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], 16385); /* 65536*1/65536 = 1 exactly, + 16384 */
    /* half-way: -32768 * 1 = -0.5 ulp: rshr(16384*65536 - 32768, 16) = 16384 (half up) */
    z[0] = 0, z[1] = 1;
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], 16384);
    z[0] = 0, z[1] = 3; /* -1.5 ulp rounds up to -1 */
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], 16383);
    z[0] = INT32_MAX, z[1] = INT32_MIN; /* 2^31-1 + 2^30 + 0.25 saturates */
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], INT32_MAX);
    z[0] = INT32_MIN, z[1] = INT32_MAX;
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], INT32_MIN);
    /* the largest accumulator: 4096 products of (-2^31)^2 stays exact and saturates */
    m2c_qmodel *w = NULL;
    REQUIRE(m2c_qmodel_alloc(&w, M2C_QKIND_LINEAR, M2C_QTRANSFORM_IDENTITY, 4096, 1, 1, NULL) ==
            M2C_OK);
    REQUIRE(m2c_qmodel_alloc_layer(w, 0, 1, M2C_QACT_IDENTITY, NULL) == M2C_OK);
    static int32_t zz[4096];
    for (int i = 0; i < 4096; i++)
        w->layers[0].w[i] = INT32_MIN, zz[i] = INT32_MIN;
    REQUIRE(m2c_qmodel_check(w, NULL) == M2C_OK);
    m2c_qmodel_run(w, p, zz);
    CHECK_EQ_INT(p[0], INT32_MAX);
    /* alternating signs cancel exactly: sum 0, only the bias remains */
    for (int i = 0; i < 4096; i++)
        zz[i] = (i & 1) ? INT32_MIN : INT32_MAX;
    for (int i = 0; i < 4096; i++)
        w->layers[0].w[i] = (i & 1) ? INT32_MAX : INT32_MIN;
    w->layers[0].b[0] = 7;
    m2c_qmodel_run(w, p, zz);
    /* pairs: (-2^31)(2^31-1) + (2^31-1)(-2^31) = -2^63 + 2^32 each... 2048 pairs */
    /* = 2048 * (-2^63 + 2^32) / 2^16 + 7: far below INT32_MIN */
    CHECK_EQ_INT(p[0], INT32_MIN);
    m2c_qmodel_free(w);
    m2c_qmodel_free(m);
}

TEST(test_qmodel_run__mlp_and_classifiers_hand_checked) {
    m2c_qmodel *m = NULL;
    REQUIRE(m2c_qmodel_alloc(&m, M2C_QKIND_MLP, M2C_QTRANSFORM_IDENTITY, 2, 1, 2, NULL) == M2C_OK);
    REQUIRE(m2c_qmodel_alloc_layer(m, 0, 2, M2C_QACT_RELU, NULL) == M2C_OK);
    REQUIRE(m2c_qmodel_alloc_layer(m, 1, 1, M2C_QACT_IDENTITY, NULL) == M2C_OK);
    int32_t w1[4] = {65536, 65536, 65536, -65536}, w2[2] = {65536, 131072};
    memcpy(m->layers[0].w, w1, sizeof w1);
    memcpy(m->layers[1].w, w2, sizeof w2);
    m->layers[1].b[0] = -32768;
    for (int i = 0; i < 2; i++)
        m->in[i] = m2c_qmodel_in_scaling(0, 1, 18);
    m->out[0] = m2c_qmodel_out_probability(18);
    REQUIRE(m2c_qmodel_check(m, NULL) == M2C_OK);
    /* z = (1, 2): hidden relu(3, -1) = (3, 0); out 3 + 0 - 0.5 = 2.5 */
    int32_t z[2] = {65536, 131072}, p[3];
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], 163840);
    /* tanh hidden: tanh(3) = interp(TANH, 192, 0) = 65212; tanh(-1) = -TANH[64] = -49912 */
    m->layers[0].act = M2C_QACT_TANH;
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], 65212 - 2 * 49912 - 32768);
    /* sigmoid output on a logistic model: z*1 + 0 -> sigmoid */
    m2c_qmodel_free(m);
    REQUIRE(m2c_qmodel_alloc(&m, M2C_QKIND_LOGISTIC, M2C_QTRANSFORM_SIGMOID, 1, 1, 1, NULL) ==
            M2C_OK);
    REQUIRE(m2c_qmodel_alloc_layer(m, 0, 1, M2C_QACT_IDENTITY, NULL) == M2C_OK);
    m->layers[0].w[0] = 65536;
    m->in[0] = m2c_qmodel_in_scaling(0, 1, 18);
    m->out[0] = m2c_qmodel_out_probability(18);
    REQUIRE(m2c_qmodel_check(m, NULL) == M2C_OK);
    m2c_u256 x[1] = {I(0)}, y[3];
    int label;
    REQUIRE(m2c_qmodel_predict(m, y, p, &label, x, NULL) == M2C_OK);
    CHECK_EQ_INT(p[0], 32768);
    CHECK_EQ_INT(label, 1); /* p >= 2^15 */
    CHECK(ueq(y[0], DEC("500000000000000000")));
    x[0] = I(-1000000); /* z = rshr(-1e6 * mul, shift) = -1e6 * 2^16 / 1e18: rounds to 0 */
    REQUIRE(m2c_qmodel_predict(m, y, p, &label, x, NULL) == M2C_OK);
    CHECK_EQ_INT(p[0], 32768);
    x[0] = DEC("-1000000000000000"); /* z = -65.536 -> -66 (rshr), sigmoid(-66): 32768-1 */
    REQUIRE(m2c_qmodel_predict(m, y, p, &label, x, NULL) == M2C_OK);
    CHECK_EQ_INT(p[0], 65536 - (32768 + ((512 * 66 + 1024) >> 11)));
    CHECK_EQ_INT(label, 0);
    m2c_qmodel_free(m);
    /* softmax label: ties go to the lowest index */
    REQUIRE(m2c_qmodel_alloc(&m, M2C_QKIND_LOGISTIC, M2C_QTRANSFORM_SOFTMAX, 1, 3, 1, NULL) ==
            M2C_OK);
    REQUIRE(m2c_qmodel_alloc_layer(m, 0, 3, M2C_QACT_IDENTITY, NULL) == M2C_OK);
    m->layers[0].b[0] = 0, m->layers[0].b[1] = 65536, m->layers[0].b[2] = 65536;
    for (int j = 0; j < 3; j++)
        m->out[j] = m2c_qmodel_out_probability(18);
    REQUIRE(m2c_qmodel_check(m, NULL) == M2C_OK);
    z[0] = 0;
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(m2c_qmodel_label(m, p), 1);
    CHECK(p[1] == p[2] && p[1] > p[0]);
    m2c_qmodel_free(m);
}

TEST(test_qmodel_run__gbdt_strict_less_than) {
    m2c_qmodel *m = tiny_gbdt();
    REQUIRE(m);
    REQUIRE(m2c_qmodel_check(m, NULL) == M2C_OK);
    int32_t z[2], p[1];
    z[0] = -1, z[1] = 0; /* left: 0.5 + 1 */
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], 98304);
    z[0] = 0, z[1] = 65535; /* 0 < 0 is false: right; 65535 < 65536: left */
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], 163840);
    z[0] = 0, z[1] = 65536; /* equal to the threshold goes right */
    m2c_qmodel_run(m, p, z);
    CHECK_EQ_INT(p[0], 229376);
    m2c_qmodel_free(m);
}

TEST(test_qmodel_scale_input__hand_checked_and_int192_triplets) {
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    m->in[0].mean = DEC("1000000000000000000");
    m->in[0].mul = 65536;
    m->in[0].shift = 60;
    m->in[1].mean = I(0);
    m->in[1].mul = 1;
    m->in[1].shift = 0;
    int32_t z[2];
    m2c_err e;
    /* (3e18 - 1e18) * 2^16 / 2^60 = 113686.84 -> 113687; the second input passes through */
    m2c_u256 x[2] = {DEC("3000000000000000000"), I(-5)};
    REQUIRE(m2c_qmodel_scale_input(m, z, x, &e) == M2C_OK);
    CHECK_EQ_INT(z[0], 113687);
    CHECK_EQ_INT(z[1], -5);
    x[1] = I((int64_t)1 << 31); /* saturates */
    REQUIRE(m2c_qmodel_scale_input(m, z, x, &e) == M2C_OK);
    CHECK_EQ_INT(z[1], INT32_MAX);
    x[1] = I(-((int64_t)1 << 31) - 1);
    REQUIRE(m2c_qmodel_scale_input(m, z, x, &e) == M2C_OK);
    CHECK_EQ_INT(z[1], INT32_MIN);
    /* int192 triplets on the request integers */
    x[1] = qg_i192_extreme(0);
    CHECK_EQ_INT(m2c_qmodel_scale_input(m, z, x, &e), M2C_OK);
    CHECK_EQ_INT(z[1], INT32_MAX);
    x[1] = qg_i192_extreme(0);
    x[1] = m2c_q256_add(&x[1], &(m2c_u256){{1, 0, 0, 0}}); /* 2^191 */
    CHECK_EQ_INT(m2c_qmodel_scale_input(m, z, x, &e), M2C_ERR_RANGE);
    CHECK(strstr(e.msg, "input 1") != NULL);
    x[1] = qg_i192_extreme(1);
    CHECK_EQ_INT(m2c_qmodel_scale_input(m, z, x, &e), M2C_OK);
    CHECK_EQ_INT(z[1], INT32_MIN);
    x[1] = m2c_q256_sub(&x[1], &(m2c_u256){{1, 0, 0, 0}}); /* -2^191 - 1 */
    CHECK_EQ_INT(m2c_qmodel_scale_input(m, z, x, &e), M2C_ERR_RANGE);
    /* the widest intermediate: (2^191-1 - (-2^191)) * (2^32-1) with shift 255 */
    m->in[1].mean = qg_i192_extreme(1);
    m->in[1].mul = UINT32_MAX;
    m->in[1].shift = 200;
    x[1] = qg_i192_extreme(0);
    REQUIRE(m2c_qmodel_scale_input(m, z, x, &e) == M2C_OK);
    /* (2^192 - 1)(2^32 - 1) / 2^200 = 2^24 - 2^-8 - ... -> rounds to 2^24 */
    CHECK_EQ_INT(z[1], 1 << 24);
    m2c_qmodel_free(m);
}

TEST(test_qmodel_output_scaling__rounding_and_offset) {
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    m->out[0].mul = I(3);
    m->out[0].shift = 1;
    m->out[0].add = I(-100);
    m2c_u256 y[1];
    int32_t p[1] = {1}; /* rshr(3, 1) = 2 (1.5 rounds up) */
    m2c_qmodel_scale_output(m, y, p);
    CHECK(ueq(y[0], I(-98)));
    p[0] = -1; /* rshr(-3, 1) = floor(-1) = -1 (-1.5 rounds up to -1) */
    m2c_qmodel_scale_output(m, y, p);
    CHECK(ueq(y[0], I(-101)));
    m->out[0].shift = 0;
    m2c_qmodel_scale_output(m, y, p);
    CHECK(ueq(y[0], I(-103)));
    m2c_qmodel_free(m);
}

TEST(test_qmodel_helpers__quantize_and_scalings) {
    CHECK_EQ_INT(m2c_q16_from_double(1.0), 65536);
    CHECK_EQ_INT(m2c_q16_from_double(0.5 / 65536), 1); /* ties away from zero */
    CHECK_EQ_INT(m2c_q16_from_double(-0.5 / 65536), -1);
    CHECK_EQ_INT(m2c_q16_from_double(0.49 / 65536), 0);
    CHECK_EQ_INT(m2c_q16_from_double(1e9), INT32_MAX);
    CHECK_EQ_INT(m2c_q16_from_double(-1e9), INT32_MIN);
    CHECK_EQ_INT(m2c_q16_from_double(NAN), 0);
    /* mean 2, std 0.5: x = 3 -> z = 2.0 */
    m2c_qmodel_in r = m2c_qmodel_in_scaling(2.0, 0.5, 18);
    CHECK(r.mul >= (1u << 31)); /* full-precision mantissa */
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    m->in[0] = r;
    m->in[1] = m2c_qmodel_in_scaling(-1e6, 2e5, 18); /* wei-like magnitudes */
    int32_t z[2];
    m2c_u256 x[2] = {DEC("3000000000000000000"), DEC("-600000000000000000000000")};
    REQUIRE(m2c_qmodel_scale_input(m, z, x, NULL) == M2C_OK);
    CHECK(abs(z[0] - 131072) <= 1);
    CHECK(abs(z[1] - 131072) <= 1); /* (-6e5 + 1e6) / 2e5 = 2 */
    /* constant feature: std 0 treated as 1 */
    r = m2c_qmodel_in_scaling(5, 0, 18);
    m->in[0] = r;
    x[0] = DEC("6000000000000000000");
    REQUIRE(m2c_qmodel_scale_input(m, z, x, NULL) == M2C_OK);
    CHECK(abs(z[0] - 65536) <= 1);
    /* regression output: y = 100 + 20 * p */
    m->out[0] = m2c_qmodel_out_scaling(100, 20, 18);
    int32_t p[1] = {65536};
    m2c_u256 y[1];
    m2c_qmodel_scale_output(m, y, p);
    CHECK(fabs(m2c_i256_to_double(&y[0]) - 120e18) < 1e6);
    p[0] = -32768;
    m2c_qmodel_scale_output(m, y, p);
    CHECK(fabs(m2c_i256_to_double(&y[0]) - 90e18) < 1e6);
    /* thresholds: a split x < 2.5 on the feature (mean 2, std 0.5): z(2.5e18) = 1.0 */
    m2c_qmodel_in r2 = m2c_qmodel_in_scaling(2.0, 0.5, 18);
    CHECK(abs(m2c_qmodel_threshold(&r2, 2.5, 18) - 65536) <= 1);
    CHECK_EQ_INT(m2c_qmodel_threshold(&r2, 1e60, 18), INT32_MAX);
    m2c_qmodel_free(m);
}

TEST(test_qmodel_check__in_memory_models_follow_the_loader_rules) {
    m2c_qmodel *m = tiny_linear();
    REQUIRE(m);
    m2c_err e;
    m->layers[0].act = M2C_QACT_RELU;
    CHECK_EQ_INT(m2c_qmodel_check(m, &e), M2C_ERR_INVALID);
    m->layers[0].act = M2C_QACT_IDENTITY;
    m->in[1].mean = qg_i192_extreme(0);
    m->in[1].mean.w[3] = 1; /* beyond int192 */
    CHECK_EQ_INT(m2c_qmodel_check(m, &e), M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 16 + 37);
    m2c_buf b;
    m2c_buf_init(&b, 0);
    CHECK_EQ_INT(m2c_qmodel_serialize(&b, m, &e), M2C_ERR_RANGE);
    CHECK_EQ_INT(b.len, 0);
    m2c_buf_free(&b);
    m2c_qmodel_free(m);
}

/* The private int256 helpers agree with the core u256 module on random operands. */
TEST(test_q256__agrees_with_core_u256) {
    for (long it = 0; it < m2c_test_iters(3000); it++) {
        m2c_u256 a = qg_wide((unsigned)(m2c_test_rand() % 257)),
                 b = qg_wide((unsigned)(m2c_test_rand() % 257));
        m2c_u256 r1, r2;
        r1 = m2c_q256_add(&a, &b);
        (void)m2c_u256_add(&r2, &a, &b);
        CHECK(ueq(r1, r2));
        r1 = m2c_q256_sub(&a, &b);
        (void)m2c_u256_sub(&r2, &a, &b);
        CHECK(ueq(r1, r2));
        r1 = m2c_q256_mul(&a, &b);
        (void)m2c_u256_mul(&r2, &a, &b);
        CHECK(ueq(r1, r2));
        unsigned s = (unsigned)(m2c_test_rand() % 256);
        r1 = m2c_q256_sar(&a, s);
        r2 = m2c_i256_sar(&a, s);
        CHECK(ueq(r1, r2));
        CHECK_EQ_INT(m2c_q256_cmp(&a, &b), m2c_i256_cmp(&a, &b));
        uint8_t be[32], be2[32];
        m2c_q256_to_be32(be, &a);
        m2c_u256_to_be32(be2, &a);
        CHECK_EQ_MEM(be, be2, 32);
        r1 = m2c_q256_from_be32(be);
        CHECK(ueq(r1, a));
        int64_t m = (int64_t)m2c_test_rand();
        r1 = m2c_q256_mul_i64(&a, m);
        m2c_u256 mm = m2c_u256_from_i64(m);
        (void)m2c_u256_mul(&r2, &a, &mm);
        CHECK(ueq(r1, r2));
        /* rshr(a, s) = floor((a + 2^(s-1)) / 2^s) */
        if (s > 0) {
            m2c_u256 one = m2c_u256_from_u64(1), half = m2c_u256_shl(&one, s - 1), t;
            (void)m2c_u256_add(&t, &a, &half);
            r2 = m2c_i256_sar(&t, s);
            r1 = m2c_q256_rshr(&a, s);
            CHECK(ueq(r1, r2));
        }
    }
}

TEST_MAIN(T(test_qmodel_tables__match_the_math), T(test_q16_sigmoid__boundary_points),
          T(test_q16_tanh__boundary_points), T(test_q16_softmax__hand_checked),
          T(test_qmodel_serialize__layout_is_the_spec),
          T(test_qmodel_load__round_trip_truncation_and_trailing_bytes),
          T(test_qmodel_load__rejects_bad_header_fields), T(test_qmodel_load__int192_word_triplets),
          T(test_qmodel_load__rejects_bad_trees), T(test_qmodel_load__tree_depth_cap),
          T(test_qmodel_load__size_cap), T(test_qmodel_run__linear_hand_checked),
          T(test_qmodel_run__dense_rounding_and_saturation),
          T(test_qmodel_run__mlp_and_classifiers_hand_checked),
          T(test_qmodel_run__gbdt_strict_less_than),
          T(test_qmodel_scale_input__hand_checked_and_int192_triplets),
          T(test_qmodel_output_scaling__rounding_and_offset),
          T(test_qmodel_helpers__quantize_and_scalings),
          T(test_qmodel_check__in_memory_models_follow_the_loader_rules),
          T(test_q256__agrees_with_core_u256))
