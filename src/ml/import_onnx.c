/* import_onnx.c: ONNX models (MLPs exported from PyTorch) into a float dense network. The
 * protobuf is parsed by protobuf-c code generated at build time from Debian's onnx.proto;
 * before unpacking, a walk over the wire format (guided by the generated descriptors)
 * bounds message nesting, so a hostile file cannot recurse the unpacker off the stack. The
 * graph is then followed from its one input to its one output as a chain: linear operators
 * (Gemm, MatMul + Add) become dense layers, activations attach to the layer before them. */
#include "ml2chain/import.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

#define MAX_TENSOR_ELEMS ((size_t)M2C_IMPORT_MAX_WIDTH * M2C_IMPORT_MAX_WIDTH)

static const char *const supported_ops[] = {"Gemm", "MatMul",  "Add",     "Relu",    "Sigmoid",
                                            "Tanh", "Softmax", "Flatten", "Identity"};

void m2c_fmlp_free(m2c_fmlp *m) {
    if (!m) return;
    for (uint32_t i = 0; i < m->n_layers; i++) {
        free(m->layers[i].w);
        free(m->layers[i].b);
    }
    free(m);
}

/* ---- wire-format pre-check ---- */

static int read_varint(uint64_t *v, const uint8_t *p, size_t len, size_t *pos) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len) return -1;
        uint8_t b = p[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return 0;
    }
    return -1;
}

/* 0 if the message of type `d` in p[0..len) nests submessages at most `left` deep; -1 if
 * the wire format is broken; -2 if it nests deeper. */
static int check_nesting(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                         int left, size_t base, size_t *bad_at) {
    size_t pos = 0;
    while (pos < len) {
        size_t at = pos;
        uint64_t key, v;
        if (read_varint(&key, p, len, &pos)) goto broken;
        uint32_t tag = (uint32_t)(key >> 3);
        switch (key & 7) {
        case 0:
            if (read_varint(&v, p, len, &pos)) goto broken;
            break;
        case 1:
            if (len - pos < 8) goto broken;
            pos += 8;
            break;
        case 5:
            if (len - pos < 4) goto broken;
            pos += 4;
            break;
        case 2: {
            if (read_varint(&v, p, len, &pos) || v > len - pos) goto broken;
            const ProtobufCFieldDescriptor *f =
                d ? protobuf_c_message_descriptor_get_field(d, tag) : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (left <= 0) {
                    *bad_at = base + at;
                    return -2;
                }
                int r =
                    check_nesting(f->descriptor, p + pos, (size_t)v, left - 1, base + pos, bad_at);
                if (r) return r;
            }
            pos += (size_t)v;
            break;
        }
        default: goto broken;
        }
        continue;
    broken:
        *bad_at = base + at;
        return -1;
    }
    return 0;
}

/* ---- graph helpers ---- */

static const Onnx__TensorProto *find_init(const Onnx__GraphProto *g, const char *name) {
    for (size_t i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
            return g->initializer[i];
    return NULL;
}

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
    return NULL;
}

static double attr_float(const Onnx__NodeProto *n, const char *name, double dflt) {
    const Onnx__AttributeProto *a = find_attr(n, name);
    return a && a->has_f ? (double)a->f : dflt;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt) {
    const Onnx__AttributeProto *a = find_attr(n, name);
    return a && a->has_i ? a->i : dflt;
}

/* A float tensor's values as doubles (*out malloc'd, *n elements). */
static m2c_status tensor_values(double **out, size_t *n, const Onnx__TensorProto *t, m2c_err *err) {
    *out = NULL;
    *n = 0;
    const char *name = t->name ? t->name : "?";
    size_t numel = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (t->dims[i] > 0 && numel > MAX_TENSOR_ELEMS / (size_t)t->dims[i]))
            return m2c_err_set(err, M2C_ERR_RANGE,
                               "onnx: initializer %.60s: dimensions out of range (more than %zu "
                               "elements)",
                               name, MAX_TENSOR_ELEMS);
        numel *= (size_t)t->dims[i];
    }
    if (t->n_dims > 2)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED, "onnx: initializer %.60s has %zu dimensions",
                           name, t->n_dims);
    if (t->n_external_data > 0)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                           "onnx: initializer %.60s: external data is not supported", name);
    int dbl = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && !dbl)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                           "onnx: initializer %.60s: data type %d (only float and double)", name,
                           (int)t->data_type);
    size_t esz = dbl ? 8 : 4;
    size_t have;
    if (t->has_raw_data)
        have = t->raw_data.len / esz;
    else
        have = dbl ? t->n_double_data : t->n_float_data;
    if ((t->has_raw_data && t->raw_data.len != numel * esz) || have != numel)
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "onnx: initializer %.60s: %zu values for %zu elements", name, have,
                           numel);
    double *v = malloc((numel ? numel : 1) * sizeof *v);
    if (!v) return m2c_err_set(err, M2C_ERR_NOMEM, "onnx: out of memory");
    for (size_t i = 0; i < numel; i++) {
        if (t->has_raw_data) {
            const uint8_t *b = t->raw_data.data + i * esz;
            uint64_t bits = 0;
            for (size_t k = 0; k < esz; k++)
                bits |= (uint64_t)b[k] << (8 * k); /* little-endian */
            if (dbl) {
                memcpy(&v[i], &bits, 8);
            } else {
                uint32_t b32 = (uint32_t)bits;
                float f;
                memcpy(&f, &b32, 4);
                v[i] = f;
            }
        } else {
            v[i] = dbl ? t->double_data[i] : (double)t->float_data[i];
        }
        if (!isfinite(v[i])) {
            free(v);
            return m2c_err_set(err, M2C_ERR_INVALID, "onnx: initializer %.60s[%zu] is not finite",
                               name, i);
        }
    }
    *out = v;
    *n = numel;
    return M2C_OK;
}

typedef struct {
    m2c_fmlp *m;
    int open_bias; /* the last layer came from a linear op and has no activation yet */
} builder;

static m2c_status add_layer(builder *bd, uint32_t n_in, uint32_t n_out, const char *node,
                            m2c_err *err) {
    m2c_fmlp *m = bd->m;
    if (m->n_layers >= M2C_IMPORT_MAX_LAYERS)
        return m2c_err_set(err, M2C_ERR_RANGE, "onnx: node %.60s: more than %d dense layers", node,
                           M2C_IMPORT_MAX_LAYERS);
    if (n_in < 1 || n_in > M2C_IMPORT_MAX_WIDTH || n_out < 1 || n_out > M2C_IMPORT_MAX_WIDTH)
        return m2c_err_set(err, M2C_ERR_RANGE, "onnx: node %.60s: layer %ux%u outside 1..%d", node,
                           n_out, n_in, M2C_IMPORT_MAX_WIDTH);
    uint32_t prev = m->n_layers ? m->layers[m->n_layers - 1].n_out : 0;
    if (m->n_layers && prev != n_in)
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "onnx: node %.60s: layer takes %u inputs but the previous layer has %u "
                           "units",
                           node, n_in, prev);
    m2c_fmlp_layer *l = &m->layers[m->n_layers];
    l->w = calloc((size_t)n_in * n_out, sizeof *l->w);
    l->b = calloc(n_out, sizeof *l->b);
    if (!l->w || !l->b) {
        free(l->w);
        free(l->b);
        l->w = l->b = NULL;
        return m2c_err_set(err, M2C_ERR_NOMEM, "onnx: out of memory");
    }
    l->n_in = n_in;
    l->n_out = n_out;
    l->act = M2C_FACT_IDENTITY;
    if (!m->n_layers) m->n_in = n_in;
    m->n_layers++;
    m->n_out = n_out;
    bd->open_bias = 1;
    return M2C_OK;
}

/* Bias from a tensor of 1 (broadcast) or n_out values, scaled by `scale`, added. */
static m2c_status add_bias(m2c_fmlp_layer *l, const Onnx__TensorProto *t, double scale,
                           const char *node, m2c_err *err) {
    double *v = NULL;
    size_t n = 0;
    m2c_status st = tensor_values(&v, &n, t, err);
    if (st != M2C_OK) return st;
    if (n != 1 && n != l->n_out) {
        free(v);
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "onnx: node %.60s: bias has %zu values for %u units", node, n, l->n_out);
    }
    for (uint32_t j = 0; j < l->n_out; j++)
        l->b[j] += scale * v[n == 1 ? 0 : j];
    free(v);
    return M2C_OK;
}

/* Gemm (Y = alpha * A * op(B) + beta * C) or MatMul (Y = A * B). */
static m2c_status linear_op(builder *bd, const Onnx__GraphProto *g, const Onnx__NodeProto *n,
                            int gemm, const char *nn, m2c_err *err) {
    if (n->n_input < 2 || (!gemm && n->n_input != 2) || n->n_input > 3)
        return m2c_err_set(err, M2C_ERR_INVALID, "onnx: node %.60s: %s with %zu inputs", nn,
                           n->op_type, n->n_input);
    const Onnx__TensorProto *B = find_init(g, n->input[1]);
    if (!B)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                           "onnx: node %.60s: weights %.60s are not an initializer", nn,
                           n->input[1]);
    if (B->n_dims != 2)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                           "onnx: node %.60s: weights have %zu dimensions (need 2)", nn, B->n_dims);
    int transb = gemm ? attr_int(n, "transB", 0) != 0 : 0;
    if (gemm && attr_int(n, "transA", 0) != 0)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED, "onnx: node %.60s: Gemm with transA", nn);
    double alpha = gemm ? attr_float(n, "alpha", 1.0) : 1.0;
    double beta = gemm ? attr_float(n, "beta", 1.0) : 1.0;
    int64_t d0 = B->dims[0], d1 = B->dims[1];
    int64_t K = transb ? d1 : d0, N = transb ? d0 : d1;
    if (K < 1 || N < 1 || K > M2C_IMPORT_MAX_WIDTH || N > M2C_IMPORT_MAX_WIDTH)
        return m2c_err_set(err, M2C_ERR_RANGE, "onnx: node %.60s: weights %lldx%lld outside 1..%d",
                           nn, (long long)d0, (long long)d1, M2C_IMPORT_MAX_WIDTH);
    double *w = NULL;
    size_t nw = 0;
    m2c_status st = tensor_values(&w, &nw, B, err);
    if (st != M2C_OK) return st;
    if ((st = add_layer(bd, (uint32_t)K, (uint32_t)N, nn, err)) != M2C_OK) {
        free(w);
        return st;
    }
    m2c_fmlp_layer *l = &bd->m->layers[bd->m->n_layers - 1];
    for (int64_t j = 0; j < N; j++)
        for (int64_t i = 0; i < K; i++)
            l->w[j * K + i] = alpha * (transb ? w[j * K + i] : w[i * N + j]);
    free(w);
    if (gemm && n->n_input == 3 && n->input[2][0]) {
        const Onnx__TensorProto *C = find_init(g, n->input[2]);
        if (!C)
            return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                               "onnx: node %.60s: bias %.60s is not an initializer", nn,
                               n->input[2]);
        if ((st = add_bias(l, C, beta, nn, err)) != M2C_OK) return st;
    }
    return M2C_OK;
}

/* Appends an identity layer (so that a final activation stays a hidden one). */
static m2c_status close_with_identity(builder *bd, m2c_err *err) {
    uint32_t w = bd->m->n_out;
    m2c_status st = add_layer(bd, w, w, "(output)", err);
    if (st != M2C_OK) return st;
    m2c_fmlp_layer *l = &bd->m->layers[bd->m->n_layers - 1];
    for (uint32_t j = 0; j < w; j++)
        l->w[(size_t)j * w + j] = 1.0;
    bd->open_bias = 0;
    return M2C_OK;
}

static int is_graph_output(const Onnx__GraphProto *g, const char *name) {
    return g->n_output == 1 && g->output[0]->name && !strcmp(g->output[0]->name, name);
}

static m2c_status walk_graph(m2c_fmlp *m, const Onnx__GraphProto *g, m2c_err *err) {
    m2c_status st = M2C_OK;
    builder bd = {m, 0};
    uint8_t *used = NULL;

    /* Every operator first, so that the message lists all unsupported ones at once. */
    char bad[400] = "";
    size_t nbad = 0;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        const char *op = n->op_type ? n->op_type : "";
        int ok = 0;
        for (size_t k = 0; k < sizeof supported_ops / sizeof supported_ops[0]; k++)
            if (!strcmp(op, supported_ops[k])) ok = 1;
        if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx")) ok = 0;
        if (ok) continue;
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            if (g->node[j]->op_type && !strcmp(g->node[j]->op_type, op)) dup = 1;
        if (dup) continue;
        size_t used_len = strlen(bad);
        snprintf(bad + used_len, sizeof bad - used_len, "%s%.40s", nbad ? ", " : "",
                 op[0] ? op : "(empty)");
        nbad++;
    }
    if (nbad)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                           "onnx: unsupported operator%s: %s (supported: Gemm, MatMul, Add, Relu, "
                           "Sigmoid, Tanh, Softmax, Flatten, Identity)",
                           nbad > 1 ? "s" : "", bad);

    /* The one real input (graph inputs may repeat initializers) and the one output. */
    const char *cur = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        const char *nm = g->input[i]->name;
        if (!nm || find_init(g, nm)) continue;
        if (cur)
            return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                               "onnx: graph has more than one input (%.60s, %.60s)", cur, nm);
        cur = nm;
    }
    if (!cur) return m2c_err_set(err, M2C_ERR_INVALID, "onnx: graph has no input");
    if (g->n_output != 1 || !g->output[0]->name)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED, "onnx: graph has %zu outputs (need 1)",
                           g->n_output);

    used = calloc(g->n_node ? g->n_node : 1, 1);
    if (!used) return m2c_err_set(err, M2C_ERR_NOMEM, "onnx: out of memory");
    int softmax_done = 0;
    for (size_t steps = 0; !is_graph_output(g, cur); steps++) {
        /* The one node that consumes `cur`. */
        const Onnx__NodeProto *n = NULL;
        size_t ni = 0;
        for (size_t i = 0; i < g->n_node; i++)
            for (size_t k = 0; k < g->node[i]->n_input; k++)
                if (g->node[i]->input[k] && !strcmp(g->node[i]->input[k], cur)) {
                    if (n && n != g->node[i]) {
                        st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                                         "onnx: value %.60s feeds more than one node (only chains "
                                         "are supported)",
                                         cur);
                        goto out;
                    }
                    n = g->node[i];
                    ni = i;
                }
        if (!n) {
            st = m2c_err_set(err, M2C_ERR_INVALID,
                             "onnx: value %.60s is not consumed and is not the graph output", cur);
            goto out;
        }
        if (used[ni] || steps > g->n_node) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "onnx: the graph has a cycle at %.60s", cur);
            goto out;
        }
        used[ni] = 1;
        char nn[80];
        snprintf(nn, sizeof nn, "%zu (%.40s)", ni, n->name && n->name[0] ? n->name : n->op_type);
        if (n->n_output != 1 || !n->output[0] || !n->output[0][0]) {
            st = m2c_err_set(err, M2C_ERR_UNSUPPORTED, "onnx: node %s has %zu outputs", nn,
                             n->n_output);
            goto out;
        }
        if (softmax_done) {
            st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                             "onnx: node %s follows Softmax (Softmax must be last)", nn);
            goto out;
        }
        if (n->n_input >= 1 && strcmp(n->input[0], cur) && strcmp(n->op_type, "Add")) {
            st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                             "onnx: node %s takes the network's value as a later input, not the "
                             "first",
                             nn);
            goto out;
        }
        const char *op = n->op_type;
        if (!strcmp(op, "Identity")) {
            /* nothing */
        } else if (!strcmp(op, "Flatten")) {
            if (attr_int(n, "axis", 1) != 1) {
                st = m2c_err_set(err, M2C_ERR_UNSUPPORTED, "onnx: node %s: Flatten axis %lld", nn,
                                 (long long)attr_int(n, "axis", 1));
                goto out;
            }
            /* on [batch, features] values (all this importer handles) a no-op */
        } else if (!strcmp(op, "Gemm") || !strcmp(op, "MatMul")) {
            if ((st = linear_op(&bd, g, n, op[0] == 'G', nn, err)) != M2C_OK) goto out;
        } else if (!strcmp(op, "Add")) {
            if (n->n_input != 2) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "onnx: node %s: Add with %zu inputs", nn,
                                 n->n_input);
                goto out;
            }
            const char *other = !strcmp(n->input[0], cur) ? n->input[1] : n->input[0];
            const Onnx__TensorProto *C = find_init(g, other);
            if (!C || !bd.open_bias) {
                st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                                 "onnx: node %s: Add is supported only as the bias of a MatMul or "
                                 "Gemm (a constant initializer right after it)",
                                 nn);
                goto out;
            }
            if ((st = add_bias(&m->layers[m->n_layers - 1], C, 1.0, nn, err)) != M2C_OK) goto out;
        } else if (!strcmp(op, "Relu") || !strcmp(op, "Tanh") || !strcmp(op, "Sigmoid")) {
            if (!bd.open_bias) {
                st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                                 "onnx: node %s: %s must directly follow a dense layer", nn, op);
                goto out;
            }
            m->layers[m->n_layers - 1].act = op[0] == 'R'   ? M2C_FACT_RELU
                                             : op[0] == 'T' ? M2C_FACT_TANH
                                                            : M2C_FACT_SIGMOID;
            bd.open_bias = 0;
        } else if (!strcmp(op, "Softmax")) {
            int64_t axis = attr_int(n, "axis", -1);
            if (axis != 1 && axis != -1) {
                st = m2c_err_set(err, M2C_ERR_UNSUPPORTED, "onnx: node %s: Softmax axis %lld", nn,
                                 (long long)axis);
                goto out;
            }
            if (!m->n_layers || m->n_out < 2) {
                st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                                 "onnx: node %s: Softmax needs a dense layer of 2 or more units "
                                 "before it",
                                 nn);
                goto out;
            }
            if (m->layers[m->n_layers - 1].act != M2C_FACT_IDENTITY &&
                (st = close_with_identity(&bd, err)) != M2C_OK)
                goto out;
            m->transform = M2C_FOUT_SOFTMAX;
            softmax_done = 1;
        }
        cur = n->output[0];
    }
    for (size_t i = 0; i < g->n_node; i++)
        if (!used[i]) {
            st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                             "onnx: node %zu (%.40s) is not on the path from input to output", i,
                             g->node[i]->op_type);
            goto out;
        }
    if (!m->n_layers) {
        st = m2c_err_set(err, M2C_ERR_UNSUPPORTED, "onnx: the graph has no Gemm or MatMul layer");
        goto out;
    }
    if (m->transform == M2C_FOUT_IDENTITY) {
        m2c_fmlp_layer *last = &m->layers[m->n_layers - 1];
        if (last->act == M2C_FACT_SIGMOID && last->n_out == 1) {
            /* A final sigmoid on one unit is the qmodel sigmoid transform. */
            last->act = M2C_FACT_IDENTITY;
            m->transform = M2C_FOUT_SIGMOID;
        } else if (last->act != M2C_FACT_IDENTITY) {
            st = close_with_identity(&bd, err);
        }
    }
out:
    free(used);
    return st;
}

m2c_status m2c_onnx_parse(m2c_fmlp **out, const uint8_t *p, size_t len, m2c_err *err) {
    m2c_status st = M2C_OK;
    Onnx__ModelProto *mp = NULL;
    m2c_fmlp *m = NULL;
    *out = NULL;
    if (len > M2C_IMPORT_MAX_ONNX_BYTES)
        return m2c_err_set(err, M2C_ERR_RANGE, "onnx: model is %zu bytes, more than %zu", len,
                           M2C_IMPORT_MAX_ONNX_BYTES);
    if (len == 0) return m2c_err_set(err, M2C_ERR_TRUNCATED, "onnx: empty file");
    size_t bad_at = 0;
    int r = check_nesting(&onnx__model_proto__descriptor, p, len, M2C_IMPORT_MAX_ONNX_NESTING, 0,
                          &bad_at);
    if (r == -1)
        return m2c_err_at(err, M2C_ERR_INVALID, bad_at,
                          "onnx: not a valid protobuf: malformed field at byte %zu (truncated or "
                          "corrupt file)",
                          bad_at);
    if (r == -2)
        return m2c_err_at(err, M2C_ERR_RANGE, bad_at,
                          "onnx: messages nested more than %d deep at byte %zu",
                          M2C_IMPORT_MAX_ONNX_NESTING, bad_at);
    mp = onnx__model_proto__unpack(NULL, len, p);
    if (!mp) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "onnx: not a valid onnx model protobuf");
        goto out;
    }
    const Onnx__GraphProto *g = mp->graph;
    if (!g || g->n_node == 0) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "onnx: the model has no graph");
        goto out;
    }
    if (g->n_node > M2C_IMPORT_MAX_ONNX_NODES || g->n_initializer > M2C_IMPORT_MAX_ONNX_NODES) {
        st = m2c_err_set(err, M2C_ERR_RANGE, "onnx: %zu nodes and %zu initializers (cap %d)",
                         g->n_node, g->n_initializer, M2C_IMPORT_MAX_ONNX_NODES);
        goto out;
    }
    for (size_t i = 0; i < g->n_node; i++)
        if (!g->node[i]->op_type) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "onnx: node %zu has no op_type", i);
            goto out;
        }
    m = calloc(1, sizeof *m);
    if (!m) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "onnx: out of memory");
        goto out;
    }
    if ((st = walk_graph(m, g, err)) != M2C_OK) goto out;
    *out = m;
    m = NULL;
out:
    if (mp) onnx__model_proto__free_unpacked(mp, NULL);
    m2c_fmlp_free(m);
    return st;
}

m2c_status m2c_onnx_parse_file(m2c_fmlp **out, const char *path, m2c_err *err) {
    *out = NULL;
    m2c_status st = M2C_OK;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return m2c_err_set(err, M2C_ERR_IO, "%s: %s", path, strerror(errno));
    buf = malloc(M2C_IMPORT_MAX_ONNX_BYTES + 1);
    if (!buf) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    size_t len = fread(buf, 1, M2C_IMPORT_MAX_ONNX_BYTES + 1, f);
    if (ferror(f)) {
        st = m2c_err_set(err, M2C_ERR_IO, "%s: read error", path);
        goto out;
    }
    if (len > M2C_IMPORT_MAX_ONNX_BYTES) {
        st = m2c_err_set(err, M2C_ERR_RANGE, "%s: larger than %zu bytes", path,
                         M2C_IMPORT_MAX_ONNX_BYTES);
        goto out;
    }
    if ((st = m2c_onnx_parse(out, buf, len, err)) != M2C_OK) m2c_err_prefix(err, "%s", path);
out:
    free(buf);
    fclose(f);
    return st;
}

static double act_f(uint8_t a, double v) {
    switch (a) {
    case M2C_FACT_RELU: return v > 0 ? v : 0;
    case M2C_FACT_TANH: return tanh(v);
    case M2C_FACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    default: return v;
    }
}

void m2c_fmlp_predict(const m2c_fmlp *m, double *p, const double *x) {
    double a[M2C_IMPORT_MAX_WIDTH], b[M2C_IMPORT_MAX_WIDTH];
    memcpy(a, x, m->n_in * sizeof *x);
    for (uint32_t li = 0; li < m->n_layers; li++) {
        const m2c_fmlp_layer *l = &m->layers[li];
        for (uint32_t j = 0; j < l->n_out; j++) {
            double s = l->b[j];
            for (uint32_t i = 0; i < l->n_in; i++)
                s += l->w[(size_t)j * l->n_in + i] * a[i];
            b[j] = act_f(l->act, s);
        }
        memcpy(a, b, l->n_out * sizeof *b);
    }
    if (m->transform == M2C_FOUT_SIGMOID) {
        p[0] = 1.0 / (1.0 + exp(-a[0]));
    } else if (m->transform == M2C_FOUT_SOFTMAX) {
        double mx = a[0], s = 0;
        for (uint32_t j = 1; j < m->n_out; j++)
            if (a[j] > mx) mx = a[j];
        for (uint32_t j = 0; j < m->n_out; j++)
            s += (p[j] = exp(a[j] - mx));
        for (uint32_t j = 0; j < m->n_out; j++)
            p[j] /= s;
    } else {
        memcpy(p, a, m->n_out * sizeof *a);
    }
}
