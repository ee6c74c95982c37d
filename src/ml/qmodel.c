/* qmodel.c: the qmodel v1 format (load, check, serialize, hash) and its integer runtime.
 * docs/qmodel.md is the specification; section numbers below refer to it. */
#include "ml2chain/qmodel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml2chain/keccak.h"
#include "q256.h"
#include "qmodel_tables.h"

typedef __int128 i128;

/* The dense layer splits int64 products with >>, which must be arithmetic (GCC and Clang
 * define it so); the spec's floor_div is implemented explicitly everywhere else. */
_Static_assert((-5 >> 1) == -3, "signed right shift must be arithmetic");

static const uint8_t MAGIC[4] = {0x4d, 0x32, 0x43, 0x51}; /* "M2CQ" */

const char *m2c_qkind_str(unsigned kind) {
    switch (kind) {
    case M2C_QKIND_LINEAR: return "linear";
    case M2C_QKIND_LOGISTIC: return "logistic";
    case M2C_QKIND_MLP: return "mlp";
    case M2C_QKIND_GBDT: return "gbdt";
    }
    return "?";
}

const char *m2c_qtransform_str(unsigned t) {
    switch (t) {
    case M2C_QTRANSFORM_IDENTITY: return "identity";
    case M2C_QTRANSFORM_SIGMOID: return "sigmoid";
    case M2C_QTRANSFORM_SOFTMAX: return "softmax";
    }
    return "?";
}

const char *m2c_qact_str(unsigned a) {
    switch (a) {
    case M2C_QACT_IDENTITY: return "identity";
    case M2C_QACT_RELU: return "relu";
    case M2C_QACT_TANH: return "tanh";
    case M2C_QACT_SIGMOID: return "sigmoid";
    }
    return "?";
}

/* ---------------------------------------------------------------- allocation */

static int is_dense(unsigned kind) {
    return kind == M2C_QKIND_LINEAR || kind == M2C_QKIND_LOGISTIC || kind == M2C_QKIND_MLP;
}

void m2c_qmodel_free(m2c_qmodel *m) {
    if (!m) return;
    if (m->layers)
        for (unsigned i = 0; i < m->count; i++) {
            free(m->layers[i].w);
            free(m->layers[i].b);
        }
    if (m->trees)
        for (unsigned i = 0; i < m->count; i++)
            free(m->trees[i].nodes);
    free(m->layers);
    free(m->trees);
    free(m->base);
    free(m->in);
    free(m->out);
    free(m);
}

m2c_status m2c_qmodel_alloc(m2c_qmodel **out, m2c_qkind kind, m2c_qtransform transform,
                            unsigned n_in, unsigned n_out, unsigned count, m2c_err *err) {
    *out = NULL;
    if (kind < M2C_QKIND_LINEAR || kind > M2C_QKIND_GBDT)
        return m2c_err_set(err, M2C_ERR_INVALID, "qmodel: unknown kind %u", (unsigned)kind);
    unsigned max_count = kind == M2C_QKIND_GBDT ? M2C_QMODEL_MAX_TREES : M2C_QMODEL_MAX_LAYERS;
    if (n_in < 1 || n_in > M2C_QMODEL_MAX_IN || n_out < 1 || n_out > M2C_QMODEL_MAX_OUT ||
        count < 1 || count > max_count)
        return m2c_err_set(err, M2C_ERR_RANGE,
                           "qmodel: sizes out of range (n_in %u, n_out %u, count %u)", n_in, n_out,
                           count);
    m2c_qmodel *m = calloc(1, sizeof *m);
    if (!m) return m2c_err_set(err, M2C_ERR_NOMEM, "qmodel: out of memory");
    m->kind = (uint8_t)kind;
    m->transform = (uint8_t)transform;
    m->in_decimals = m->out_decimals = 18;
    m->n_in = (uint16_t)n_in;
    m->n_out = (uint16_t)n_out;
    m->count = (uint16_t)count;
    m->in = calloc(n_in, sizeof *m->in);
    m->out = calloc(n_out, sizeof *m->out);
    if (is_dense(kind)) {
        m->layers = calloc(count, sizeof *m->layers);
    } else {
        m->trees = calloc(count, sizeof *m->trees);
        m->base = calloc(n_out, sizeof *m->base);
    }
    if (!m->in || !m->out || (is_dense(kind) ? !m->layers : (!m->trees || !m->base))) {
        m2c_qmodel_free(m);
        return m2c_err_set(err, M2C_ERR_NOMEM, "qmodel: out of memory");
    }
    *out = m;
    return M2C_OK;
}

m2c_status m2c_qmodel_alloc_layer(m2c_qmodel *m, unsigned i, unsigned width, m2c_qact act,
                                  m2c_err *err) {
    if (!m->layers || i >= m->count)
        return m2c_err_set(err, M2C_ERR_STATE, "qmodel: no layer %u", i);
    unsigned fan_in = i == 0 ? m->n_in : m->layers[i - 1].width;
    if (i > 0 && !m->layers[i - 1].w)
        return m2c_err_set(err, M2C_ERR_STATE, "qmodel: layer %u allocated before %u", i, i - 1);
    if (width < 1 || width > M2C_QMODEL_MAX_WIDTH)
        return m2c_err_set(err, M2C_ERR_RANGE, "qmodel: layer %u width %u out of range", i, width);
    m2c_qmodel_dense *L = &m->layers[i];
    free(L->w);
    free(L->b);
    L->w = calloc((size_t)width * fan_in, sizeof *L->w);
    L->b = calloc(width, sizeof *L->b);
    L->width = (uint16_t)width;
    L->act = (uint8_t)act;
    if (!L->w || !L->b) return m2c_err_set(err, M2C_ERR_NOMEM, "qmodel: out of memory");
    return M2C_OK;
}

m2c_status m2c_qmodel_alloc_tree(m2c_qmodel *m, unsigned i, unsigned output, unsigned n_nodes,
                                 m2c_err *err) {
    if (!m->trees || i >= m->count) return m2c_err_set(err, M2C_ERR_STATE, "qmodel: no tree %u", i);
    if (n_nodes < 1 || n_nodes > M2C_QMODEL_MAX_NODES)
        return m2c_err_set(err, M2C_ERR_RANGE, "qmodel: tree %u has %u nodes", i, n_nodes);
    m2c_qmodel_tree *t = &m->trees[i];
    free(t->nodes);
    t->nodes = calloc(n_nodes, sizeof *t->nodes);
    t->n_nodes = (uint16_t)n_nodes;
    t->output = (uint16_t)output;
    if (!t->nodes) return m2c_err_set(err, M2C_ERR_NOMEM, "qmodel: out of memory");
    return M2C_OK;
}

/* ---------------------------------------------------------------- loading (untrusted) */

typedef struct {
    const uint8_t *p;
    size_t len, pos;
    m2c_err *err;
} reader;

static m2c_status need(reader *r, size_t n, const char *what) {
    if (r->len - r->pos >= n) return M2C_OK;
    return m2c_err_at(r->err, M2C_ERR_TRUNCATED, r->pos,
                      "qmodel: offset %zu: truncated in %s (needs %zu bytes, %zu left)", r->pos,
                      what, n, r->len - r->pos);
}

static uint8_t rd_u8(reader *r) {
    return r->p[r->pos++];
}

static uint16_t rd_u16(reader *r) {
    uint16_t v = (uint16_t)((r->p[r->pos] << 8) | r->p[r->pos + 1]);
    r->pos += 2;
    return v;
}

static uint32_t rd_u32(reader *r) {
    const uint8_t *q = r->p + r->pos;
    r->pos += 4;
    return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
}

static int32_t rd_i32(reader *r) {
    uint32_t u = rd_u32(r);
    return u > INT32_MAX ? -(int32_t)(~u) - 1 : (int32_t)u;
}

static m2c_status rd_i192w(reader *r, m2c_u256 *out, const char *what, unsigned idx) {
    size_t at = r->pos;
    *out = m2c_q256_from_be32(r->p + r->pos);
    r->pos += 32;
    if (!m2c_q256_fits_i192(out))
        return m2c_err_at(r->err, M2C_ERR_RANGE, at,
                          "qmodel: offset %zu: %s %u is outside the int192 range", at, what, idx);
    return M2C_OK;
}

static m2c_status load_dense(reader *r, m2c_qmodel *m) {
    m2c_status st;
    unsigned fan_in = m->n_in;
    for (unsigned i = 0; i < m->count; i++) {
        size_t at = r->pos;
        if ((st = need(r, 3, "layer header"))) return st;
        unsigned width = rd_u16(r);
        unsigned act = rd_u8(r);
        if (width < 1 || width > M2C_QMODEL_MAX_WIDTH)
            return m2c_err_at(r->err, M2C_ERR_RANGE, at,
                              "qmodel: offset %zu: layer %u width %u is not in 1..%d", at, i, width,
                              M2C_QMODEL_MAX_WIDTH);
        if (act > M2C_QACT_SIGMOID)
            return m2c_err_at(r->err, M2C_ERR_INVALID, at + 2,
                              "qmodel: offset %zu: layer %u has unknown activation %u", at + 2, i,
                              act);
        int last = i + 1 == m->count;
        if (last && act != M2C_QACT_IDENTITY)
            return m2c_err_at(r->err, M2C_ERR_INVALID, at + 2,
                              "qmodel: offset %zu: last layer activation must be identity, "
                              "not %s",
                              at + 2, m2c_qact_str(act));
        if (last && width != m->n_out)
            return m2c_err_at(r->err, M2C_ERR_INVALID, at,
                              "qmodel: offset %zu: last layer width %u differs from n_out %u", at,
                              width, m->n_out);
        size_t nw = (size_t)width * fan_in;
        if ((st = need(r, (nw + width) * 4, "layer weights"))) return st;
        m2c_qmodel_dense *L = &m->layers[i];
        L->width = (uint16_t)width;
        L->act = (uint8_t)act;
        L->w = malloc(nw * sizeof *L->w);
        L->b = malloc((size_t)width * sizeof *L->b);
        if (!L->w || !L->b) return m2c_err_set(r->err, M2C_ERR_NOMEM, "qmodel: out of memory");
        for (size_t k = 0; k < nw; k++)
            L->w[k] = rd_i32(r);
        for (unsigned k = 0; k < width; k++)
            L->b[k] = rd_i32(r);
        fan_in = width;
    }
    return M2C_OK;
}

/* Section 5: the nodes must be a pre-order tree of depth <= 32 ending exactly at n_nodes.
 * Iterative, with a stack bounded by the depth cap. */
static m2c_status check_tree(reader *r, const m2c_qmodel *m, unsigned ti, size_t nodes_at) {
    const m2c_qmodel_tree *t = &m->trees[ti];
    struct {
        unsigned k, depth;
        int right_done;
    } st[M2C_QMODEL_MAX_DEPTH];
    int sp = 0;
    unsigned k = 0, depth = 0;
    for (;;) {
        if (k >= t->n_nodes)
            return m2c_err_at(r->err, M2C_ERR_INVALID, nodes_at,
                              "qmodel: offset %zu: tree %u: a split's child index %u is past "
                              "its %u nodes",
                              nodes_at, ti, k, (unsigned)t->n_nodes);
        const m2c_qmodel_node *nd = &t->nodes[k];
        size_t at = nodes_at + (size_t)k * M2C_QMODEL_NODE_BYTES;
        if (nd->feature != M2C_QMODEL_LEAF) {
            if (nd->feature >= m->n_in)
                return m2c_err_at(r->err, M2C_ERR_RANGE, at,
                                  "qmodel: offset %zu: tree %u node %u splits on feature %u "
                                  "but n_in is %u",
                                  at, ti, k, (unsigned)nd->feature, (unsigned)m->n_in);
            if (depth >= M2C_QMODEL_MAX_DEPTH)
                return m2c_err_at(r->err, M2C_ERR_RANGE, at,
                                  "qmodel: offset %zu: tree %u node %u is deeper than %d", at, ti,
                                  k, M2C_QMODEL_MAX_DEPTH);
            st[sp].k = k;
            st[sp].depth = depth;
            st[sp].right_done = 0;
            sp++;
            k++;
            depth++;
            continue;
        }
        if (nd->right != 0)
            return m2c_err_at(r->err, M2C_ERR_NONCANONICAL, at + 6,
                              "qmodel: offset %zu: tree %u leaf %u has a nonzero right field",
                              at + 6, ti, k);
        unsigned end = k + 1;
        while (sp > 0 && st[sp - 1].right_done)
            sp--; /* subtrees that just ended */
        if (sp == 0) {
            if (end != t->n_nodes)
                return m2c_err_at(r->err, M2C_ERR_INVALID, nodes_at + (size_t)end * 8,
                                  "qmodel: offset %zu: tree %u ends at node %u but declares "
                                  "%u nodes",
                                  nodes_at + (size_t)end * 8, ti, end, (unsigned)t->n_nodes);
            return M2C_OK;
        }
        unsigned sk = st[sp - 1].k;
        if (t->nodes[sk].right != end) {
            size_t sat = nodes_at + (size_t)sk * 8 + 6;
            return m2c_err_at(r->err, M2C_ERR_INVALID, sat,
                              "qmodel: offset %zu: tree %u node %u: right child is %u, "
                              "pre-order needs %u",
                              sat, ti, sk, (unsigned)t->nodes[sk].right, end);
        }
        st[sp - 1].right_done = 1;
        k = end;
        depth = st[sp - 1].depth + 1;
    }
}

static m2c_status load_trees(reader *r, m2c_qmodel *m) {
    m2c_status st;
    if ((st = need(r, (size_t)m->n_out * 4, "base scores"))) return st;
    for (unsigned j = 0; j < m->n_out; j++)
        m->base[j] = rd_i32(r);
    size_t total = 0;
    for (unsigned i = 0; i < m->count; i++) {
        size_t at = r->pos;
        if ((st = need(r, 4, "tree header"))) return st;
        unsigned output = rd_u16(r);
        unsigned n = rd_u16(r);
        if (output >= m->n_out)
            return m2c_err_at(r->err, M2C_ERR_RANGE, at,
                              "qmodel: offset %zu: tree %u adds to output %u but n_out is %u", at,
                              i, output, (unsigned)m->n_out);
        if (n < 1)
            return m2c_err_at(r->err, M2C_ERR_RANGE, at + 2,
                              "qmodel: offset %zu: tree %u has no nodes", at + 2, i);
        total += n;
        if (total > M2C_QMODEL_MAX_TOTAL_NODES)
            return m2c_err_at(r->err, M2C_ERR_RANGE, at + 2,
                              "qmodel: offset %zu: more than %zu nodes in all trees", at + 2,
                              M2C_QMODEL_MAX_TOTAL_NODES);
        if ((st = need(r, (size_t)n * M2C_QMODEL_NODE_BYTES, "tree nodes"))) return st;
        m2c_qmodel_tree *t = &m->trees[i];
        t->output = (uint16_t)output;
        t->n_nodes = (uint16_t)n;
        t->nodes = malloc((size_t)n * sizeof *t->nodes);
        if (!t->nodes) return m2c_err_set(r->err, M2C_ERR_NOMEM, "qmodel: out of memory");
        size_t nodes_at = r->pos;
        for (unsigned k = 0; k < n; k++) {
            t->nodes[k].feature = rd_u16(r);
            t->nodes[k].value = rd_i32(r);
            t->nodes[k].right = rd_u16(r);
        }
        if ((st = check_tree(r, m, i, nodes_at))) return st;
    }
    return M2C_OK;
}

m2c_status m2c_qmodel_load(m2c_qmodel **out, const uint8_t *p, size_t len, m2c_err *err) {
    *out = NULL;
    m2c_status st;
    reader r = {p, len, 0, err};
    m2c_qmodel *m = NULL;
    if (len > M2C_QMODEL_MAX_BYTES)
        return m2c_err_at(err, M2C_ERR_RANGE, M2C_QMODEL_MAX_BYTES,
                          "qmodel: file is %zu bytes, more than the %zu-byte cap", len,
                          M2C_QMODEL_MAX_BYTES);
    if ((st = need(&r, M2C_QMODEL_HEADER_BYTES, "header"))) return st;
    if (memcmp(p, MAGIC, 4) != 0)
        return m2c_err_at(err, M2C_ERR_INVALID, 0, "qmodel: offset 0: bad magic (not a qmodel)");
    r.pos = 4;
    unsigned version = rd_u8(&r), kind = rd_u8(&r), frac = rd_u8(&r), transform = rd_u8(&r);
    unsigned d_in = rd_u8(&r), d_out = rd_u8(&r);
    unsigned n_in = rd_u16(&r), n_out = rd_u16(&r), count = rd_u16(&r);
    if (version != M2C_QMODEL_VERSION)
        return m2c_err_at(err, M2C_ERR_UNSUPPORTED, 4,
                          "qmodel: offset 4: version %u is unsupported (this build reads %d)",
                          version, M2C_QMODEL_VERSION);
    if (kind < M2C_QKIND_LINEAR || kind > M2C_QKIND_GBDT)
        return m2c_err_at(err, M2C_ERR_INVALID, 5, "qmodel: offset 5: unknown kind %u", kind);
    if (frac != M2C_QMODEL_FRAC_BITS)
        return m2c_err_at(err, M2C_ERR_UNSUPPORTED, 6,
                          "qmodel: offset 6: frac_bits %u is unsupported (version 1 needs 16)",
                          frac);
    if (transform > M2C_QTRANSFORM_SOFTMAX)
        return m2c_err_at(err, M2C_ERR_INVALID, 7, "qmodel: offset 7: unknown transform %u",
                          transform);
    if (d_in > M2C_QMODEL_MAX_DECIMALS || d_out > M2C_QMODEL_MAX_DECIMALS)
        return m2c_err_at(err, M2C_ERR_RANGE, d_in > M2C_QMODEL_MAX_DECIMALS ? 8 : 9,
                          "qmodel: offset %d: decimals %u exceed %d",
                          d_in > M2C_QMODEL_MAX_DECIMALS ? 8 : 9,
                          d_in > M2C_QMODEL_MAX_DECIMALS ? d_in : d_out, M2C_QMODEL_MAX_DECIMALS);
    if (n_in < 1 || n_in > M2C_QMODEL_MAX_IN)
        return m2c_err_at(err, M2C_ERR_RANGE, 10, "qmodel: offset 10: n_in %u is not in 1..%d",
                          n_in, M2C_QMODEL_MAX_IN);
    if (n_out < 1 || n_out > M2C_QMODEL_MAX_OUT)
        return m2c_err_at(err, M2C_ERR_RANGE, 12, "qmodel: offset 12: n_out %u is not in 1..%d",
                          n_out, M2C_QMODEL_MAX_OUT);
    unsigned cmin = 1, cmax = 1;
    if (kind == M2C_QKIND_MLP) cmin = 2, cmax = M2C_QMODEL_MAX_LAYERS;
    if (kind == M2C_QKIND_GBDT) cmax = M2C_QMODEL_MAX_TREES;
    if (count < cmin || count > cmax)
        return m2c_err_at(
            err, M2C_ERR_RANGE, 14, "qmodel: offset 14: a %s model needs %u..%u %s, not %u",
            m2c_qkind_str(kind), cmin, cmax, kind == M2C_QKIND_GBDT ? "trees" : "layers", count);
    if (transform == M2C_QTRANSFORM_SIGMOID && n_out != 1)
        return m2c_err_at(err, M2C_ERR_INVALID, 7,
                          "qmodel: offset 7: sigmoid transform needs n_out 1, not %u", n_out);
    if (transform == M2C_QTRANSFORM_SOFTMAX && n_out < 2)
        return m2c_err_at(err, M2C_ERR_INVALID, 7,
                          "qmodel: offset 7: softmax transform needs n_out >= 2");
    if (kind == M2C_QKIND_LINEAR && transform != M2C_QTRANSFORM_IDENTITY)
        return m2c_err_at(err, M2C_ERR_INVALID, 7,
                          "qmodel: offset 7: a linear model's transform must be identity");
    if (kind == M2C_QKIND_LOGISTIC && transform == M2C_QTRANSFORM_IDENTITY)
        return m2c_err_at(err, M2C_ERR_INVALID, 7,
                          "qmodel: offset 7: a logistic model's transform must be sigmoid "
                          "or softmax");

    if ((st = m2c_qmodel_alloc(&m, (m2c_qkind)kind, (m2c_qtransform)transform, n_in, n_out, count,
                               err)))
        return st;
    m->in_decimals = (uint8_t)d_in;
    m->out_decimals = (uint8_t)d_out;

    if ((st = need(&r, (size_t)n_in * M2C_QMODEL_IN_REC_BYTES, "input scaling"))) goto out;
    for (unsigned i = 0; i < n_in; i++) {
        if ((st = rd_i192w(&r, &m->in[i].mean, "input mean", i))) goto out;
        m->in[i].mul = rd_u32(&r);
        m->in[i].shift = rd_u8(&r);
    }
    st = is_dense(kind) ? load_dense(&r, m) : load_trees(&r, m);
    if (st) goto out;
    if ((st = need(&r, (size_t)n_out * M2C_QMODEL_OUT_REC_BYTES, "output scaling"))) goto out;
    for (unsigned j = 0; j < n_out; j++) {
        if ((st = rd_i192w(&r, &m->out[j].mul, "output multiplier", j))) goto out;
        m->out[j].shift = rd_u8(&r);
        if ((st = rd_i192w(&r, &m->out[j].add, "output offset", j))) goto out;
    }
    if (r.pos != len) {
        st = m2c_err_at(err, M2C_ERR_NONCANONICAL, r.pos,
                        "qmodel: offset %zu: %zu trailing bytes after the model", r.pos,
                        len - r.pos);
        goto out;
    }
    *out = m;
    m = NULL;
out:
    m2c_qmodel_free(m);
    return st;
}

/* ---------------------------------------------------------------- writing */

size_t m2c_qmodel_size(const m2c_qmodel *m) {
    size_t n = M2C_QMODEL_HEADER_BYTES + (size_t)m->n_in * M2C_QMODEL_IN_REC_BYTES +
               (size_t)m->n_out * M2C_QMODEL_OUT_REC_BYTES;
    if (m->layers) {
        size_t fan_in = m->n_in;
        for (unsigned i = 0; i < m->count; i++) {
            n += 3 + ((size_t)m->layers[i].width * fan_in + m->layers[i].width) * 4;
            fan_in = m->layers[i].width;
        }
    } else if (m->trees) {
        n += (size_t)m->n_out * 4;
        for (unsigned i = 0; i < m->count; i++)
            n += 4 + (size_t)m->trees[i].n_nodes * M2C_QMODEL_NODE_BYTES;
    }
    return n;
}

size_t m2c_qmodel_params(const m2c_qmodel *m) {
    size_t n = 0;
    if (m->layers) {
        size_t fan_in = m->n_in;
        for (unsigned i = 0; i < m->count; i++) {
            n += (size_t)m->layers[i].width * (fan_in + 1);
            fan_in = m->layers[i].width;
        }
    } else if (m->trees) {
        n += m->n_out;
        for (unsigned i = 0; i < m->count; i++)
            n += m->trees[i].n_nodes;
    }
    return n;
}

static void put_u16(uint8_t *q, unsigned v) {
    q[0] = (uint8_t)(v >> 8);
    q[1] = (uint8_t)v;
}

static void put_u32(uint8_t *q, uint32_t v) {
    q[0] = (uint8_t)(v >> 24);
    q[1] = (uint8_t)(v >> 16);
    q[2] = (uint8_t)(v >> 8);
    q[3] = (uint8_t)v;
}

/* Writes the bytes of a model whose arrays match its header (no rule checks). */
static m2c_status write_raw(m2c_buf *out, const m2c_qmodel *m, m2c_err *err) {
    if (!m->in || !m->out || (is_dense(m->kind) ? !m->layers : (!m->trees || !m->base)))
        return m2c_err_set(err, M2C_ERR_STATE, "qmodel: model arrays not allocated");
    size_t size = m2c_qmodel_size(m);
    if (size > M2C_QMODEL_MAX_BYTES)
        return m2c_err_set(err, M2C_ERR_RANGE, "qmodel: model would be %zu bytes, over the %zu cap",
                           size, M2C_QMODEL_MAX_BYTES);
    if (m2c_buf_reserve(out, size)) return m2c_err_set(err, M2C_ERR_NOMEM, "qmodel: out of memory");
    uint8_t *q = out->p + out->len;
    memcpy(q, MAGIC, 4);
    q[4] = M2C_QMODEL_VERSION;
    q[5] = m->kind;
    q[6] = M2C_QMODEL_FRAC_BITS;
    q[7] = m->transform;
    q[8] = m->in_decimals;
    q[9] = m->out_decimals;
    put_u16(q + 10, m->n_in);
    put_u16(q + 12, m->n_out);
    put_u16(q + 14, m->count);
    q += M2C_QMODEL_HEADER_BYTES;
    for (unsigned i = 0; i < m->n_in; i++) {
        m2c_q256_to_be32(q, &m->in[i].mean);
        put_u32(q + 32, m->in[i].mul);
        q[36] = m->in[i].shift;
        q += M2C_QMODEL_IN_REC_BYTES;
    }
    if (is_dense(m->kind)) {
        size_t fan_in = m->n_in;
        for (unsigned i = 0; i < m->count; i++) {
            const m2c_qmodel_dense *L = &m->layers[i];
            if (!L->w || !L->b)
                return m2c_err_set(err, M2C_ERR_STATE, "qmodel: layer %u not allocated", i);
            put_u16(q, L->width);
            q[2] = L->act;
            q += 3;
            size_t nw = (size_t)L->width * fan_in;
            for (size_t k = 0; k < nw; k++, q += 4)
                put_u32(q, (uint32_t)L->w[k]);
            for (unsigned k = 0; k < L->width; k++, q += 4)
                put_u32(q, (uint32_t)L->b[k]);
            fan_in = L->width;
        }
    } else {
        for (unsigned j = 0; j < m->n_out; j++, q += 4)
            put_u32(q, (uint32_t)m->base[j]);
        for (unsigned i = 0; i < m->count; i++) {
            const m2c_qmodel_tree *t = &m->trees[i];
            if (!t->nodes)
                return m2c_err_set(err, M2C_ERR_STATE, "qmodel: tree %u not allocated", i);
            put_u16(q, t->output);
            put_u16(q + 2, t->n_nodes);
            q += 4;
            for (unsigned k = 0; k < t->n_nodes; k++, q += M2C_QMODEL_NODE_BYTES) {
                put_u16(q, t->nodes[k].feature);
                put_u32(q + 2, (uint32_t)t->nodes[k].value);
                put_u16(q + 6, t->nodes[k].right);
            }
        }
    }
    for (unsigned j = 0; j < m->n_out; j++) {
        m2c_q256_to_be32(q, &m->out[j].mul);
        q[32] = m->out[j].shift;
        m2c_q256_to_be32(q + 33, &m->out[j].add);
        q += M2C_QMODEL_OUT_REC_BYTES;
    }
    out->len += size;
    out->p[out->len] = 0;
    return M2C_OK;
}

/* One set of rules: a model in memory is valid exactly when its bytes load. */
m2c_status m2c_qmodel_check(const m2c_qmodel *m, m2c_err *err) {
    m2c_buf b;
    m2c_buf_init(&b, M2C_QMODEL_MAX_BYTES + 1);
    m2c_qmodel *back = NULL;
    m2c_status st = write_raw(&b, m, err);
    if (!st) st = m2c_qmodel_load(&back, b.p, b.len, err);
    m2c_qmodel_free(back);
    m2c_buf_free(&b);
    return st;
}

m2c_status m2c_qmodel_serialize(m2c_buf *out, const m2c_qmodel *m, m2c_err *err) {
    m2c_status st = m2c_qmodel_check(m, err);
    if (st) return st;
    return write_raw(out, m, err);
}

m2c_status m2c_qmodel_save_file(const m2c_qmodel *m, const char *path, m2c_err *err) {
    m2c_buf b;
    m2c_buf_init(&b, M2C_QMODEL_MAX_BYTES + 1);
    char *tmp = NULL;
    FILE *f = NULL;
    m2c_status st = m2c_qmodel_serialize(&b, m, err);
    if (st) goto out;
    size_t n = strlen(path) + 16;
    tmp = malloc(n);
    if (!tmp) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    f = fopen(tmp, "wb");
    if (!f) {
        st = m2c_err_set(err, M2C_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0) {
        f = NULL;
        remove(tmp);
        st = m2c_err_set(err, M2C_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        remove(tmp);
        st = m2c_err_set(err, M2C_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
out:
    if (f) fclose(f);
    free(tmp);
    m2c_buf_free(&b);
    return st;
}

m2c_status m2c_qmodel_load_file(m2c_qmodel **out, const char *path, m2c_err *err) {
    *out = NULL;
    m2c_status st = M2C_OK;
    uint8_t *p = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return m2c_err_set(err, M2C_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = M2C_QMODEL_MAX_BYTES + 1, len = 0;
    p = malloc(cap);
    if (!p) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t n;
    while (len < cap && (n = fread(p + len, 1, cap - len, f)) > 0)
        len += n;
    if (ferror(f)) {
        st = m2c_err_set(err, M2C_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    st = m2c_qmodel_load(out, p, len, err);
    if (st) m2c_err_prefix(err, "%s", path);
out:
    free(p);
    fclose(f);
    return st;
}

m2c_hash32 m2c_qmodel_hash_bytes(const uint8_t *p, size_t len) {
    return m2c_keccak256(p, len);
}

/* ---------------------------------------------------------------- runtime */

/* floor(v / 2^s) without relying on the implementation's signed right shift. */
static inline int64_t floor_shr64(int64_t v, unsigned s) {
    return v >= 0 ? (int64_t)((uint64_t)v >> s) : -(int64_t)((uint64_t)(-(v + 1)) >> s) - 1;
}

static inline int64_t rshr64(int64_t v, unsigned s) {
    return s == 0 ? v : floor_shr64(v + ((int64_t)1 << (s - 1)), s);
}

static inline i128 rshr128(i128 v, unsigned s) {
    v += (i128)1 << (s - 1);
    if (v >= 0) return (i128)((unsigned __int128)v >> s);
    return -(i128)((unsigned __int128)(-(v + 1)) >> s) - 1;
}

static inline int32_t sat32_64(int64_t v) {
    return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

static inline int32_t sat32_128(i128 v) {
    return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

static inline int64_t interp(const int32_t *T, int64_t k, int64_t f, unsigned b) {
    return T[k] + rshr64((int64_t)(T[k + 1] - T[k]) * f, b);
}

static int64_t sig_pos(int64_t u) {
    if (u >= ((int64_t)16 << 16)) return M2C_Q_SIG[512];
    return interp(M2C_Q_SIG, u >> 11, u & 0x7ff, 11);
}

int32_t m2c_q16_sigmoid(int32_t v) {
    int64_t x = v;
    return (int32_t)(x >= 0 ? sig_pos(x) : M2C_QMODEL_ONE - sig_pos(-x));
}

static int64_t tanh_pos(int64_t u) {
    if (u >= ((int64_t)8 << 16)) return M2C_Q_TANH[512];
    return interp(M2C_Q_TANH, u >> 10, u & 0x3ff, 10);
}

int32_t m2c_q16_tanh(int32_t v) {
    int64_t x = v;
    return (int32_t)(x >= 0 ? tanh_pos(x) : -tanh_pos(-x));
}

void m2c_q16_softmax(int32_t *p, const int32_t *q, size_t n) {
    int64_t E[M2C_QMODEL_MAX_OUT];
    int32_t mx = q[0];
    for (size_t j = 1; j < n; j++)
        if (q[j] > mx) mx = q[j];
    int64_t S = 0;
    for (size_t j = 0; j < n; j++) {
        int64_t d = (int64_t)mx - q[j];
        int64_t t = rshr64(d * M2C_Q_LOG2E_Q24, 24);
        int64_t e = t >> 16, r = t & 0xffff; /* t >= 0 */
        int64_t g = interp(M2C_Q_EXP2, r >> 8, r & 0xff, 8);
        E[j] = e >= 31 ? 0 : rshr64(g, (unsigned)e);
        S += E[j];
    }
    for (size_t j = 0; j < n; j++)
        p[j] = (int32_t)((E[j] * 65536 + S / 2) / S);
}

static inline int32_t act(unsigned a, int32_t v) {
    switch (a) {
    case M2C_QACT_RELU: return v > 0 ? v : 0;
    case M2C_QACT_TANH: return m2c_q16_tanh(v);
    case M2C_QACT_SIGMOID: return m2c_q16_sigmoid(v);
    default: return v;
    }
}

static void run_dense(const m2c_qmodel *m, int32_t *q, const int32_t *z) {
    int32_t bufs[2][M2C_QMODEL_MAX_WIDTH];
    const int32_t *a = z;
    size_t fan_in = m->n_in;
    for (unsigned i = 0; i < m->count; i++) {
        const m2c_qmodel_dense *L = &m->layers[i];
        int32_t *o = i + 1 == m->count ? q : bufs[i & 1];
        for (unsigned j = 0; j < L->width; j++) {
            const int32_t *w = L->w + (size_t)j * fan_in;
            /* Each product fits int64 (|w*a| <= 2^62) but the sum needs up to 75 bits. Summing
             * the products' high and low 32-bit halves separately keeps every partial sum in
             * int64 (4096 * 2^31 < 2^43) and the loop free of 128-bit adds: exact, cheap. */
            int64_t hi = 0, lo = 0;
            for (size_t k = 0; k < fan_in; k++) {
                int64_t pr = (int64_t)w[k] * a[k];
                hi += pr >> 32; /* arithmetic shift: checked by the static assertion above */
                lo += (int64_t)(uint32_t)pr;
            }
            i128 acc = (i128)hi * 4294967296 + lo + (i128)L->b[j] * 65536;
            o[j] = act(L->act, sat32_128(rshr128(acc, 16)));
        }
        a = o;
        fan_in = L->width;
    }
}

static void run_trees(const m2c_qmodel *m, int32_t *q, const int32_t *z) {
    int64_t s[M2C_QMODEL_MAX_OUT];
    for (unsigned j = 0; j < m->n_out; j++)
        s[j] = m->base[j];
    for (unsigned i = 0; i < m->count; i++) {
        const m2c_qmodel_tree *t = &m->trees[i];
        const m2c_qmodel_node *nd = t->nodes;
        unsigned k = 0;
        while (nd[k].feature != M2C_QMODEL_LEAF)
            k = z[nd[k].feature] < nd[k].value ? k + 1 : nd[k].right;
        s[t->output] += nd[k].value;
    }
    for (unsigned j = 0; j < m->n_out; j++)
        q[j] = sat32_64(s[j]);
}

void m2c_qmodel_run(const m2c_qmodel *m, int32_t *p, const int32_t *z) {
    int32_t q[M2C_QMODEL_MAX_OUT];
    if (m->kind == M2C_QKIND_GBDT)
        run_trees(m, q, z);
    else
        run_dense(m, q, z);
    switch (m->transform) {
    case M2C_QTRANSFORM_SIGMOID: p[0] = m2c_q16_sigmoid(q[0]); break;
    case M2C_QTRANSFORM_SOFTMAX: m2c_q16_softmax(p, q, m->n_out); break;
    default: memcpy(p, q, (size_t)m->n_out * sizeof *p); break;
    }
}

/* *out = a when -2^93 < a < 2^93 (as int256), returning 1; else 0. */
static inline int small128(i128 *out, const m2c_u256 *a) {
    uint64_t fill = (a->w[1] >> 63) ? ~(uint64_t)0 : 0;
    if (a->w[2] != fill || a->w[3] != fill) return 0;
    i128 v = (i128)(((unsigned __int128)a->w[1] << 64) | a->w[0]);
    i128 lim = (i128)1 << 93;
    if (v <= -lim || v >= lim) return 0;
    *out = v;
    return 1;
}

m2c_status m2c_qmodel_scale_input(const m2c_qmodel *m, int32_t *z, const m2c_u256 *x,
                                  m2c_err *err) {
    for (unsigned i = 0; i < m->n_in; i++) {
        if (!m2c_q256_fits_i192(&x[i])) {
            memset(z, 0, (size_t)m->n_in * sizeof *z);
            return m2c_err_set(err, M2C_ERR_RANGE, "input %u is outside the int192 range", i);
        }
        i128 xs, ms;
        if (m->in[i].shift >= 1 && m->in[i].shift <= 126 && small128(&xs, &x[i]) &&
            small128(&ms, &m->in[i].mean)) {
            /* the common case in 128 bits: |x - mean| < 2^94, times mul < 2^32: < 2^126 */
            i128 v = (xs - ms) * (i128)m->in[i].mul;
            z[i] = sat32_128(rshr128(v, m->in[i].shift));
            continue;
        }
        m2c_u256 d = m2c_q256_sub(&x[i], &m->in[i].mean);
        m2c_u256 v = m2c_q256_mul_i64(&d, (int64_t)m->in[i].mul);
        m2c_u256 r = m2c_q256_rshr(&v, m->in[i].shift);
        z[i] = m2c_q256_sat32(&r);
    }
    return M2C_OK;
}

void m2c_qmodel_scale_output(const m2c_qmodel *m, m2c_u256 *y, const int32_t *p) {
    for (unsigned j = 0; j < m->n_out; j++) {
        m2c_u256 pv = m2c_q256_from_i64(p[j]);
        m2c_u256 v = m2c_q256_mul(&pv, &m->out[j].mul);
        m2c_u256 r = m2c_q256_rshr(&v, m->out[j].shift);
        y[j] = m2c_q256_add(&r, &m->out[j].add);
    }
}

int m2c_qmodel_label(const m2c_qmodel *m, const int32_t *p) {
    if (m->transform == M2C_QTRANSFORM_SIGMOID) return p[0] >= 32768 ? 1 : 0;
    if (m->transform != M2C_QTRANSFORM_SOFTMAX) return -1;
    int best = 0;
    for (unsigned j = 1; j < m->n_out; j++)
        if (p[j] > p[best]) best = (int)j;
    return best;
}

m2c_status m2c_qmodel_predict(const m2c_qmodel *m, m2c_u256 *y, int32_t *p, int *label,
                              const m2c_u256 *x, m2c_err *err) {
    int32_t z[M2C_QMODEL_MAX_IN];
    int32_t pp[M2C_QMODEL_MAX_OUT];
    m2c_status st = m2c_qmodel_scale_input(m, z, x, err);
    if (st) return st;
    m2c_qmodel_run(m, pp, z);
    m2c_qmodel_scale_output(m, y, pp);
    if (p) memcpy(p, pp, (size_t)m->n_out * sizeof *p);
    if (label) *label = m2c_qmodel_label(m, pp);
    return M2C_OK;
}

/* ---------------------------------------------------------------- float -> quantized */

int32_t m2c_q16_from_double(double v) {
    if (isnan(v)) return 0;
    double r = round(v * 65536.0);
    if (r >= 2147483647.0) return INT32_MAX;
    if (r <= -2147483648.0) return INT32_MIN;
    return (int32_t)r;
}

double m2c_q16_to_double(int32_t v) {
    return v / 65536.0;
}

m2c_u256 m2c_qmodel_scale_real(double v, unsigned d) {
    return m2c_q256_from_double(v * pow(10.0, (double)d));
}

m2c_qmodel_in m2c_qmodel_in_scaling(double mu, double sigma, unsigned d_in) {
    m2c_qmodel_in rec;
    memset(&rec, 0, sizeof rec);
    if (!isfinite(sigma) || sigma <= 0) sigma = 1;
    rec.mean = m2c_qmodel_scale_real(isfinite(mu) ? mu : 0, d_in);
    double c = 65536.0 / (sigma * pow(10.0, (double)d_in));
    int e;
    (void)frexp(c, &e); /* c = f * 2^e, f in [0.5, 1) */
    int s = 32 - e;
    if (s > 255) s = 255;
    if (s < 0) {
        rec.mul = UINT32_MAX;
        rec.shift = 0;
        return rec;
    }
    double mr = round(ldexp(c, s));
    if (mr >= 4294967296.0 && s > 0) mr = round(ldexp(c, --s));
    rec.mul = mr >= 4294967296.0 ? UINT32_MAX : (uint32_t)mr;
    rec.shift = (uint8_t)s;
    return rec;
}

m2c_qmodel_out m2c_qmodel_out_scaling(double mu, double sigma, unsigned d_out) {
    m2c_qmodel_out rec;
    memset(&rec, 0, sizeof rec);
    if (!isfinite(sigma) || sigma <= 0) sigma = 1;
    double a = sigma * pow(10.0, (double)d_out) / 65536.0;
    int e;
    (void)frexp(a, &e);
    int s = 190 - e;
    if (s > 255) s = 255;
    if (s < 0) s = 0;
    double mr = round(ldexp(a, s));
    if (mr >= ldexp(1.0, 191)) mr = ldexp(1.0, 191) - ldexp(1.0, 191 - 53);
    rec.mul = m2c_q256_from_double(mr);
    rec.shift = (uint8_t)s;
    rec.add = m2c_qmodel_scale_real(isfinite(mu) ? mu : 0, d_out);
    return rec;
}

m2c_qmodel_out m2c_qmodel_out_probability(unsigned d_out) {
    m2c_qmodel_out rec;
    memset(&rec, 0, sizeof rec);
    m2c_u256 one = m2c_q256_from_i64(1);
    for (unsigned i = 0; i < d_out; i++)
        (void)m2c_q256_mul10_add(&one, 0);
    rec.mul = one;
    rec.shift = 16;
    return rec;
}

int32_t m2c_qmodel_threshold(const m2c_qmodel_in *rec, double t, unsigned d_in) {
    double v = ceil(t * pow(10.0, (double)d_in));
    if (!(v < ldexp(1.0, 191))) return INT32_MAX;
    if (!(v >= -ldexp(1.0, 191))) return INT32_MIN;
    m2c_u256 x = m2c_q256_from_double(v);
    m2c_u256 d = m2c_q256_sub(&x, &rec->mean);
    m2c_u256 p = m2c_q256_mul_i64(&d, (int64_t)rec->mul);
    m2c_u256 r = m2c_q256_rshr(&p, rec->shift);
    return m2c_q256_sat32(&r);
}
