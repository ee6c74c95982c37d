/* bench_ml.c: qmodel single-prediction latency.
 *
 *   bench_ml                      synthetic models (logistic 30 features; MLPs; a tree
 *                                 ensemble): CPU ns per prediction
 *   bench_ml MODEL.qm "x0,x1,..." one model and one text request input: ns per prediction
 *                                 for the runtime alone (decoded input -> outputs) and for
 *                                 the whole request path (text in -> text out, as a node)
 * CPU time (CLOCK_PROCESS_CPUTIME_ID); the median of 7 runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml2chain/encoding.h"
#include "ml2chain/qmodel.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static volatile uint64_t sink;

/* ns per call of the runtime on x */
static double time_predict(const m2c_qmodel *m, const m2c_u256 *x) {
    m2c_u256 y[M2C_QMODEL_MAX_OUT];
    int32_t p[M2C_QMODEL_MAX_OUT];
    double runs[7];
    long n = 1000;
    for (;;) { /* calibrate to ~20 ms per run */
        double t0 = now();
        for (long i = 0; i < n; i++) {
            if (m2c_qmodel_predict(m, y, p, NULL, x, NULL)) return -1;
            sink += y[0].w[0];
        }
        if (now() - t0 > 0.02 || n > 100000000) break;
        n *= 4;
    }
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            if (m2c_qmodel_predict(m, y, p, NULL, x, NULL)) return -1;
            sink += y[0].w[0];
        }
        runs[r] = (now() - t0) / (double)n * 1e9;
    }
    qsort(runs, 7, sizeof runs[0], cmp);
    return runs[3];
}

static double time_request(const m2c_qmodel *m, const char *text) {
    size_t len = strlen(text);
    double runs[7];
    long n = 1000;
    m2c_buf out;
    m2c_buf_init(&out, 0);
    for (int r = -1; r < 7; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            m2c_u256 x[M2C_QMODEL_MAX_IN], y[M2C_QMODEL_MAX_OUT];
            m2c_enc_form form;
            if (m2c_enc_decode_input(x, m->n_in, &form, m->in_decimals, (const uint8_t *)text, len,
                                     NULL) != M2C_ENC_OK ||
                m2c_qmodel_predict(m, y, NULL, NULL, x, NULL) != M2C_OK)
                return -1;
            m2c_buf_reset(&out);
            if (m2c_enc_encode_output(&out, form, y, m->n_out, m->out_decimals)) return -1;
            sink += out.len;
        }
        if (r >= 0) runs[r] = (now() - t0) / (double)n * 1e9;
    }
    m2c_buf_free(&out);
    qsort(runs, 7, sizeof runs[0], cmp);
    return runs[3];
}

static uint64_t rs = 12345;
static uint64_t rnd(void) {
    uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static m2c_qmodel *dense(m2c_qkind kind, m2c_qtransform tr, unsigned n_in, const unsigned *w,
                         unsigned nl, unsigned act) {
    m2c_qmodel *m = NULL;
    if (m2c_qmodel_alloc(&m, kind, tr, n_in, w[nl - 1], nl, NULL)) return NULL;
    for (unsigned i = 0; i < n_in; i++)
        m->in[i] = m2c_qmodel_in_scaling(0, 1, 18);
    for (unsigned j = 0; j < w[nl - 1]; j++)
        m->out[j] = m2c_qmodel_out_probability(18);
    unsigned fan = n_in;
    for (unsigned l = 0; l < nl; l++) {
        if (m2c_qmodel_alloc_layer(m, l, w[l], l + 1 == nl ? M2C_QACT_IDENTITY : act, NULL))
            return NULL;
        for (size_t k = 0; k < (size_t)w[l] * fan; k++)
            m->layers[l].w[k] = (int32_t)(rnd() % 65536) - 32768;
        fan = w[l];
    }
    return m;
}

static m2c_qmodel *forest(unsigned n_in, unsigned trees, unsigned depth) {
    m2c_qmodel *m = NULL;
    if (m2c_qmodel_alloc(&m, M2C_QKIND_GBDT, M2C_QTRANSFORM_SIGMOID, n_in, 1, trees, NULL))
        return NULL;
    for (unsigned i = 0; i < n_in; i++)
        m->in[i] = m2c_qmodel_in_scaling(0, 1, 18);
    m->out[0] = m2c_qmodel_out_probability(18);
    unsigned nodes = (1u << (depth + 1)) - 1;
    for (unsigned t = 0; t < trees; t++) {
        if (m2c_qmodel_alloc_tree(m, t, 0, nodes, NULL)) return NULL;
        /* a full tree in pre-order: node k at depth d has its right child k + 2^(depth-d) */
        unsigned k = 0;
        struct {
            unsigned k, d;
        } st[64];
        int sp = 0;
        st[sp].k = 0, st[sp].d = 0, sp++;
        while (sp) {
            sp--;
            unsigned kk = st[sp].k, d = st[sp].d;
            m2c_qmodel_node *nd = &m->trees[t].nodes[kk];
            if (d == depth) {
                *nd = (m2c_qmodel_node){M2C_QMODEL_LEAF, (int32_t)(rnd() % 20000) - 10000, 0};
                continue;
            }
            unsigned right = kk + (1u << (depth - d));
            *nd = (m2c_qmodel_node){(uint16_t)(rnd() % n_in), (int32_t)(rnd() % 131072) - 65536,
                                    (uint16_t)right};
            st[sp].k = right, st[sp].d = d + 1, sp++;
            st[sp].k = kk + 1, st[sp].d = d + 1, sp++;
        }
        (void)k;
    }
    return m;
}

int main(int argc, char **argv) {
    if (argc == 3) {
        m2c_qmodel *m = NULL;
        m2c_err e;
        if (m2c_qmodel_load_file(&m, argv[1], &e)) {
            fprintf(stderr, "bench_ml: %s\n", e.msg);
            return 1;
        }
        m2c_u256 x[M2C_QMODEL_MAX_IN];
        if (m2c_enc_decode_input(x, m->n_in, NULL, m->in_decimals, (const uint8_t *)argv[2],
                                 strlen(argv[2]), &e)) {
            fprintf(stderr, "bench_ml: input: %s\n", e.msg);
            return 1;
        }
        printf("runtime_ns %.1f\nrequest_ns %.1f\n", time_predict(m, x), time_request(m, argv[2]));
        m2c_qmodel_free(m);
        return 0;
    }
    struct {
        const char *name;
        m2c_qmodel *m;
    } cases[6];
    unsigned w1[1] = {1}, w2[2] = {32, 1}, w3[3] = {64, 32, 10}, w4[3] = {256, 256, 10};
    cases[0].name = "logistic, 30 features",
    cases[0].m = dense(M2C_QKIND_LOGISTIC, M2C_QTRANSFORM_SIGMOID, 30, w1, 1, 0);
    cases[1].name = "mlp 30-32-1 relu",
    cases[1].m = dense(M2C_QKIND_MLP, M2C_QTRANSFORM_SIGMOID, 30, w2, 2, M2C_QACT_RELU);
    cases[2].name = "mlp 64-64-32-10 tanh, softmax",
    cases[2].m = dense(M2C_QKIND_MLP, M2C_QTRANSFORM_SOFTMAX, 64, w3, 3, M2C_QACT_TANH);
    cases[3].name = "mlp 64-256-256-10 relu, softmax",
    cases[3].m = dense(M2C_QKIND_MLP, M2C_QTRANSFORM_SOFTMAX, 64, w4, 3, M2C_QACT_RELU);
    cases[4].name = "gbdt 100 trees depth 6, 30 features", cases[4].m = forest(30, 100, 6);
    cases[5].name = "gbdt 500 trees depth 8, 30 features", cases[5].m = forest(30, 500, 8);
    printf("%-40s %12s %10s\n", "qmodel", "ns/predict", "bytes");
    for (int c = 0; c < 6; c++) {
        m2c_qmodel *m = cases[c].m;
        if (!m || m2c_qmodel_check(m, NULL)) {
            fprintf(stderr, "bench_ml: cannot build %s\n", cases[c].name);
            return 1;
        }
        m2c_u256 x[M2C_QMODEL_MAX_IN];
        for (unsigned i = 0; i < m->n_in; i++) {
            x[i].w[0] = rnd() % 3000000000000000000ULL, x[i].w[1] = x[i].w[2] = x[i].w[3] = 0;
        }
        printf("%-40s %12.1f %10zu\n", cases[c].name, time_predict(m, x), m2c_qmodel_size(m));
        m2c_qmodel_free(m);
    }
    return 0;
}
