/* qgen.h: seeded random qmodels and inputs for the qmodel tests, the test-vector generator
 * and the fuzz seed corpus. Models cover every kind, transform and activation, with
 * parameters mixed between realistic magnitudes and the int32 / int192 extremes so that
 * saturation, table ends and softmax underflow are all reached. Uses m2c_test_rand(). */
#ifndef ML2CHAIN_TESTS_QGEN_H
#define ML2CHAIN_TESTS_QGEN_H

#include "ml2chain/qmodel.h"
#include "test.h"

static inline uint64_t qg_below(uint64_t n) {
    return n ? m2c_test_rand() % n : 0;
}

/* A signed value of up to `bits` magnitude bits (bits <= 63). */
static inline int64_t qg_signed(unsigned bits) {
    uint64_t mag = bits >= 64 ? m2c_test_rand() >> 1 : m2c_test_rand() >> (64 - bits);
    return (m2c_test_rand() & 1) ? -(int64_t)mag : (int64_t)mag;
}

static inline int32_t qg_i32(void) {
    switch (qg_below(16)) {
    case 0: return INT32_MIN;
    case 1: return INT32_MAX;
    case 2: return (int32_t)m2c_test_rand();
    case 3: return 0;
    default: return (int32_t)qg_signed(1 + (unsigned)qg_below(19)); /* |w| < 8 in Q16 */
    }
}

/* An int256 whose magnitude has about `bits` bits (bits <= 191), as two's complement. */
static inline m2c_u256 qg_wide(unsigned bits) {
    m2c_u256 v = {{0, 0, 0, 0}};
    for (unsigned l = 0; l < 4 && l * 64 < bits; l++)
        v.w[l] = m2c_test_rand();
    if (bits < 256) {
        unsigned l = bits / 64, b = bits % 64;
        if (l < 4) {
            v.w[l] &= b ? (((uint64_t)1 << b) - 1) : 0;
            for (unsigned k = l + 1; k < 4; k++)
                v.w[k] = 0;
        }
    }
    if (m2c_test_rand() & 1) {
        /* negate */
        unsigned __int128 c = 1;
        for (int l = 0; l < 4; l++) {
            c += (unsigned __int128)(~v.w[l]);
            v.w[l] = (uint64_t)c;
            c >>= 64;
        }
    }
    return v;
}

static inline m2c_u256 qg_i192_extreme(int which) {
    m2c_u256 v;
    if (which == 0) { /* 2^191 - 1 */
        v.w[0] = v.w[1] = ~(uint64_t)0;
        v.w[2] = ~(uint64_t)0 >> 1;
        v.w[3] = 0;
    } else { /* -2^191 */
        v.w[0] = v.w[1] = 0;
        v.w[2] = (uint64_t)1 << 63;
        v.w[3] = ~(uint64_t)0;
    }
    return v;
}

/* A request integer: usually a few units in 1e18 fixed point, sometimes the extremes. */
static inline m2c_u256 qg_input(void) {
    switch (qg_below(24)) {
    case 0: return qg_i192_extreme(0);
    case 1: return qg_i192_extreme(1);
    case 2: return qg_wide(191);
    case 3: return qg_wide(0);
    default: return qg_wide(58 + (unsigned)qg_below(10)); /* about 0.3 .. 150 at 1e18 */
    }
}

static inline void qg_in_rec(m2c_qmodel_in *r) {
    r->mean = qg_below(4) ? qg_wide(58 + (unsigned)qg_below(8)) : qg_wide((unsigned)qg_below(192));
    r->mul = (uint32_t)m2c_test_rand();
    /* inputs near 2^60 times mul near 2^32, shifted to land around 2^16 .. 2^20 */
    r->shift = qg_below(8) ? (uint8_t)(68 + qg_below(16)) : (uint8_t)qg_below(256);
}

static inline void qg_out_rec(m2c_qmodel_out *r, unsigned transform) {
    if (transform != M2C_QTRANSFORM_IDENTITY && qg_below(2)) {
        *r = m2c_qmodel_out_probability(18);
        return;
    }
    r->mul = qg_wide((unsigned)qg_below(192));
    r->shift = (uint8_t)qg_below(256);
    r->add = qg_wide((unsigned)qg_below(192));
}

/* Writes a random pre-order subtree at nodes[*k..]; returns 0 when out of room. */
static inline int qg_subtree(m2c_qmodel_node *nodes, unsigned cap, unsigned *k, unsigned depth,
                             unsigned max_depth, unsigned n_in) {
    if (*k >= cap) return 0;
    unsigned me = (*k)++;
    int leaf = depth >= max_depth || cap - *k < 2 || qg_below(3) == 0;
    if (leaf) {
        nodes[me].feature = M2C_QMODEL_LEAF;
        nodes[me].value = qg_i32();
        nodes[me].right = 0;
        return 1;
    }
    nodes[me].feature = (uint16_t)qg_below(n_in);
    nodes[me].value = qg_below(8) ? (int32_t)qg_signed(18) : qg_i32();
    if (!qg_subtree(nodes, cap, k, depth + 1, max_depth, n_in)) return 0;
    nodes[me].right = (uint16_t)*k;
    return qg_subtree(nodes, cap, k, depth + 1, max_depth, n_in);
}

/* A random valid model of `kind` (0 = any). NULL only on allocation failure. */
static inline m2c_qmodel *qg_model(unsigned kind) {
    if (kind == 0) kind = 1 + (unsigned)qg_below(4);
    unsigned transform;
    unsigned n_in = 1 + (unsigned)(qg_below(8) ? qg_below(6) : qg_below(40));
    unsigned n_out;
    switch (kind) {
    case M2C_QKIND_LINEAR: transform = M2C_QTRANSFORM_IDENTITY; break;
    case M2C_QKIND_LOGISTIC: transform = 1 + (unsigned)qg_below(2); break;
    default: transform = (unsigned)qg_below(3); break;
    }
    if (transform == M2C_QTRANSFORM_SIGMOID)
        n_out = 1;
    else if (transform == M2C_QTRANSFORM_SOFTMAX)
        n_out = 2 + (unsigned)qg_below(5);
    else
        n_out = 1 + (unsigned)qg_below(3);
    unsigned count = kind == M2C_QKIND_MLP    ? 2 + (unsigned)qg_below(3)
                     : kind == M2C_QKIND_GBDT ? 1 + (unsigned)qg_below(12)
                                              : 1;
    m2c_qmodel *m = NULL;
    if (m2c_qmodel_alloc(&m, (m2c_qkind)kind, (m2c_qtransform)transform, n_in, n_out, count, NULL))
        return NULL;
    m->in_decimals = qg_below(4) ? 18 : (uint8_t)qg_below(37);
    m->out_decimals = qg_below(4) ? 18 : (uint8_t)qg_below(37);
    for (unsigned i = 0; i < n_in; i++)
        qg_in_rec(&m->in[i]);
    for (unsigned j = 0; j < n_out; j++)
        qg_out_rec(&m->out[j], transform);
    if (kind == M2C_QKIND_GBDT) {
        for (unsigned j = 0; j < n_out; j++)
            m->base[j] = (int32_t)qg_signed(17);
        for (unsigned t = 0; t < count; t++) {
            m2c_qmodel_node nodes[128]; /* depth <= 6: at most 127 nodes */
            unsigned k = 0;
            (void)qg_subtree(nodes, 128, &k, 0, 1 + (unsigned)qg_below(6), n_in);
            if (m2c_qmodel_alloc_tree(m, t, (unsigned)qg_below(n_out), k, NULL)) {
                m2c_qmodel_free(m);
                return NULL;
            }
            memcpy(m->trees[t].nodes, nodes, k * sizeof nodes[0]);
        }
    } else {
        unsigned fan_in = n_in;
        for (unsigned l = 0; l < count; l++) {
            int last = l + 1 == count;
            unsigned width = last ? n_out : 1 + (unsigned)qg_below(8);
            unsigned a = last ? M2C_QACT_IDENTITY : (unsigned)qg_below(4);
            if (m2c_qmodel_alloc_layer(m, l, width, (m2c_qact)a, NULL)) {
                m2c_qmodel_free(m);
                return NULL;
            }
            for (size_t k = 0; k < (size_t)width * fan_in; k++)
                m->layers[l].w[k] = qg_i32();
            for (unsigned k = 0; k < width; k++)
                m->layers[l].b[k] = qg_i32();
            fan_in = width;
        }
    }
    return m;
}

#endif
