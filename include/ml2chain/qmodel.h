/* qmodel.h: the quantized model (docs/qmodel.md, version 1): a canonical byte format whose
 * keccak-256 is the model's identity on chain, and its integer-only runtime, which gives the
 * same bits on every machine and in the Solidity twin.
 *
 * A model is a heap handle (m2c_qmodel) whose fields are public so that trainers and
 * importers can fill one and serialize it: m2c_qmodel_alloc() sizes every array from the
 * header fields; m2c_qmodel_check() validates a filled model with exactly the loader's rules;
 * m2c_qmodel_load() parses untrusted bytes (every cap and rule of the spec, errors with byte
 * offsets); m2c_qmodel_free() releases everything (NULL accepted). The model owns its
 * arrays. A loaded or checked model is read-only for the runtime functions, which allocate
 * nothing and may be called from any number of threads at once. */
#ifndef ML2CHAIN_QMODEL_H
#define ML2CHAIN_QMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/types.h"

#define M2C_QMODEL_VERSION         1
#define M2C_QMODEL_FRAC_BITS       16
#define M2C_QMODEL_ONE             65536 /* 1.0 in Q16 */
#define M2C_QMODEL_MAX_BYTES       ((size_t)1 << 24)
#define M2C_QMODEL_MAX_IN          4096
#define M2C_QMODEL_MAX_WIDTH       4096
#define M2C_QMODEL_MAX_OUT         256
#define M2C_QMODEL_MAX_LAYERS      16
#define M2C_QMODEL_MAX_TREES       8192
#define M2C_QMODEL_MAX_NODES       65535 /* per tree */
#define M2C_QMODEL_MAX_TOTAL_NODES ((size_t)1 << 21)
#define M2C_QMODEL_MAX_DEPTH       32
#define M2C_QMODEL_MAX_DECIMALS    36
#define M2C_QMODEL_LEAF            0xFFFF /* node.feature of a leaf */
#define M2C_QMODEL_HEADER_BYTES    16
#define M2C_QMODEL_IN_REC_BYTES    37
#define M2C_QMODEL_OUT_REC_BYTES   65
#define M2C_QMODEL_NODE_BYTES      8

typedef enum {
    M2C_QKIND_LINEAR = 1,
    M2C_QKIND_LOGISTIC = 2,
    M2C_QKIND_MLP = 3,
    M2C_QKIND_GBDT = 4,
} m2c_qkind;

typedef enum {
    M2C_QTRANSFORM_IDENTITY = 0,
    M2C_QTRANSFORM_SIGMOID = 1,
    M2C_QTRANSFORM_SOFTMAX = 2,
} m2c_qtransform;

typedef enum {
    M2C_QACT_IDENTITY = 0,
    M2C_QACT_RELU = 1,
    M2C_QACT_TANH = 2,
    M2C_QACT_SIGMOID = 3,
} m2c_qact;

/* z = sat32(rshr((X - mean) * mul, shift)) */
typedef struct {
    m2c_u256 mean; /* int192 range, input units (10^-d_in) */
    uint32_t mul;
    uint8_t shift;
} m2c_qmodel_in;

/* Y = rshr(p * mul, shift) + add */
typedef struct {
    m2c_u256 mul; /* int192 range */
    uint8_t shift;
    m2c_u256 add; /* int192 range, output units (10^-d_out) */
} m2c_qmodel_out;

typedef struct {
    uint16_t width; /* units; fan-in is the previous width (n_in for layer 0) */
    uint8_t act;    /* m2c_qact */
    int32_t *w;     /* width * fan_in, row-major (unit j's weights are w[j*fan_in ..]) */
    int32_t *b;     /* width */
} m2c_qmodel_dense;

typedef struct {
    uint16_t feature; /* < n_in for a split, M2C_QMODEL_LEAF for a leaf */
    int32_t value;    /* split threshold (go left when z[feature] < value) or leaf value */
    uint16_t right;   /* split: right child index; leaf: 0 (left child is always k + 1) */
} m2c_qmodel_node;

typedef struct {
    uint16_t output; /* which output this tree adds to */
    uint16_t n_nodes;
    m2c_qmodel_node *nodes; /* pre-order */
} m2c_qmodel_tree;

typedef struct {
    uint8_t kind;         /* m2c_qkind */
    uint8_t transform;    /* m2c_qtransform */
    uint8_t in_decimals;  /* request inputs are value * 10^in_decimals */
    uint8_t out_decimals; /* outputs are value * 10^out_decimals */
    uint16_t n_in, n_out;
    uint16_t count;           /* layers (dense kinds) or trees (gbdt) */
    m2c_qmodel_in *in;        /* n_in */
    m2c_qmodel_out *out;      /* n_out */
    m2c_qmodel_dense *layers; /* count, dense kinds; NULL for gbdt */
    int32_t *base;            /* n_out, gbdt; NULL otherwise */
    m2c_qmodel_tree *trees;   /* count, gbdt; NULL otherwise */
} m2c_qmodel;

/* Allocates a zeroed model with the given header and its in/out arrays, and the layer
 * (dense kinds) or tree (gbdt) array of `count` entries, whose own arrays are left NULL:
 * fill widths and call m2c_qmodel_alloc_layer(), or set n_nodes and call
 * m2c_qmodel_alloc_tree(). Fails with M2C_ERR_RANGE on zero or over-cap sizes. */
M2C_WUR m2c_status m2c_qmodel_alloc(m2c_qmodel **out, m2c_qkind kind, m2c_qtransform transform,
                                    unsigned n_in, unsigned n_out, unsigned count, m2c_err *err);
/* Allocates layer `i`'s weights and biases (zeroed) for `width` units; the fan-in is taken
 * from layer i-1 (which must already be allocated) or n_in. */
M2C_WUR m2c_status m2c_qmodel_alloc_layer(m2c_qmodel *m, unsigned i, unsigned width, m2c_qact act,
                                          m2c_err *err);
/* Allocates tree `i`'s nodes (zeroed) and sets its output index. */
M2C_WUR m2c_status m2c_qmodel_alloc_tree(m2c_qmodel *m, unsigned i, unsigned output,
                                         unsigned n_nodes, m2c_err *err);
void m2c_qmodel_free(m2c_qmodel *m);

/* Parses `len` untrusted bytes into a new model (*out, NULL on failure). Errors:
 * M2C_ERR_TRUNCATED (ends early), M2C_ERR_NONCANONICAL (trailing bytes), M2C_ERR_UNSUPPORTED
 * (another version or frac_bits), M2C_ERR_RANGE (a size over its cap, an int192 word out of
 * range), M2C_ERR_INVALID (bad magic, kind, rule); err->offset is the offending field. */
M2C_WUR m2c_status m2c_qmodel_load(m2c_qmodel **out, const uint8_t *p, size_t len, m2c_err *err);
/* Reads a file (at most M2C_QMODEL_MAX_BYTES) and loads it; the message names the path. */
M2C_WUR m2c_status m2c_qmodel_load_file(m2c_qmodel **out, const char *path, m2c_err *err);
/* Validates a model built in memory with the loader's rules (err->offset is where the
 * offending field would be in the file). */
M2C_WUR m2c_status m2c_qmodel_check(const m2c_qmodel *m, m2c_err *err);
/* Appends the canonical bytes of a valid model (checked first) to `out`. */
M2C_WUR m2c_status m2c_qmodel_serialize(m2c_buf *out, const m2c_qmodel *m, m2c_err *err);
/* Serializes `m` and writes the file at `path` (replaced atomically via a temp file). */
M2C_WUR m2c_status m2c_qmodel_save_file(const m2c_qmodel *m, const char *path, m2c_err *err);
/* keccak-256 of the bytes: the model hash registered on chain. */
m2c_hash32 m2c_qmodel_hash_bytes(const uint8_t *p, size_t len);
/* Size of the canonical encoding of a valid model. */
size_t m2c_qmodel_size(const m2c_qmodel *m);
/* Number of parameters (weights, biases, node values) — for display. */
size_t m2c_qmodel_params(const m2c_qmodel *m);
/* Lowercase names ("mlp", "softmax", "relu"); "?" for unknown codes. */
const char *m2c_qkind_str(unsigned kind);
const char *m2c_qtransform_str(unsigned t);
const char *m2c_qact_str(unsigned a);

/* ---- runtime (docs/qmodel.md sections 3-6); `m` must be loaded or checked ---- */

/* Input scaling: z[i] from the request integers x[i] (int256 bits). Returns M2C_ERR_RANGE
 * (err names the feature) when an x[i] is outside int192; z is then all zero. */
M2C_WUR m2c_status m2c_qmodel_scale_input(const m2c_qmodel *m, int32_t *z, const m2c_u256 *x,
                                          m2c_err *err);
/* The body and output transform: p[n_out] (Q16) from z[n_in] (Q16). Total. */
void m2c_qmodel_run(const m2c_qmodel *m, int32_t *p, const int32_t *z);
/* Output scaling: y[j] (int256 bits, output units) from p[j]. */
void m2c_qmodel_scale_output(const m2c_qmodel *m, m2c_u256 *y, const int32_t *p);
/* The label of section 6.5 from p, or -1 for transform identity. */
int m2c_qmodel_label(const m2c_qmodel *m, const int32_t *p);
/* All of the above: x[n_in] -> y[n_out]; p (n_out) and label may be NULL. */
M2C_WUR m2c_status m2c_qmodel_predict(const m2c_qmodel *m, m2c_u256 *y, int32_t *p, int *label,
                                      const m2c_u256 *x, m2c_err *err);

/* The nonlinearities on one Q16 value, exactly as the spec's section 6. */
int32_t m2c_q16_sigmoid(int32_t v);
int32_t m2c_q16_tanh(int32_t v);
/* Softmax of q[n] into p[n] (n in 2..M2C_QMODEL_MAX_OUT). */
void m2c_q16_softmax(int32_t *p, const int32_t *q, size_t n);

/* ---- float -> quantized helpers shared by trainers and importers (spec section 9) ---- */

/* round(v * 2^16), ties away from zero, saturated to int32 (NaN -> 0). */
int32_t m2c_q16_from_double(double v);
double m2c_q16_to_double(int32_t v);
/* Input record for a feature with training mean `mu` and std `sigma` (sigma <= 0 or not
 * finite is treated as 1) for inputs scaled by 10^d_in. */
m2c_qmodel_in m2c_qmodel_in_scaling(double mu, double sigma, unsigned d_in);
/* Output record for a regression output: y = mu + sigma * (p / 2^16), scaled by 10^d_out. */
m2c_qmodel_out m2c_qmodel_out_scaling(double mu, double sigma, unsigned d_out);
/* Output record for a probability: Y = p * 10^d_out / 2^16 (omul 10^d_out, oshift 16). */
m2c_qmodel_out m2c_qmodel_out_probability(unsigned d_out);
/* The request integer nearest to v * 10^d (ties away from zero); not range-checked. */
m2c_u256 m2c_qmodel_scale_real(double v, unsigned d);
/* The threshold for a float split `x < t` on a feature with record `rec` (spec section 5). */
int32_t m2c_qmodel_threshold(const m2c_qmodel_in *rec, double t, unsigned d_in);

#endif
