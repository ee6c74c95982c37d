/* test_import.c: the XGBoost JSON and ONNX importers (src/ml/import_*.c). ONNX fixtures in
 * tests/data/onnx/ were exported by PyTorch (tests/ml/gen_onnx_fixtures.py) with PyTorch's
 * own outputs beside them; the float model must reproduce them to float precision and the
 * quantized model within the quantization tolerance (docs/import.md). The XGBoost side is
 * cross-checked against Python XGBoost in tests/integration/test_ml_xgb.sh; here: layout,
 * split semantics and every rejection path. */
#include <math.h>

#include "ml2chain/encoding.h"
#include "ml2chain/import.h"
#include "ml2chain/qmodel.h"
#include "test.h"

#define PROB_TOL 2e-3 /* |p_quantized - p_reference| for probabilities */

typedef struct {
    size_t rows, cols;
    char **lines; /* the raw text rows, for exact decimal parsing */
    double *v;    /* rows * cols */
} csv_t;

static void csv_free(csv_t *c) {
    for (size_t i = 0; i < c->rows; i++)
        free(c->lines[i]);
    free(c->lines);
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* A numeric CSV with a header row (test fixtures only: trusted). */
static int csv_read(csv_t *c, const char *path) {
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[8192];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return -1;
    }
    c->cols = 1;
    for (char *p = line; *p; p++)
        c->cols += *p == ',';
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        if (c->rows == cap) {
            cap = cap ? cap * 2 : 64;
            c->lines = realloc(c->lines, cap * sizeof *c->lines);
            c->v = realloc(c->v, cap * c->cols * sizeof *c->v);
        }
        c->lines[c->rows] = strdup(line);
        char *p = line;
        for (size_t j = 0; j < c->cols; j++) {
            c->v[c->rows * c->cols + j] = strtod(p, &p);
            if (*p == ',') p++;
        }
        c->rows++;
    }
    fclose(f);
    return c->rows ? 0 : -1;
}

static double u256_to_double(const m2c_u256 *v) {
    int neg = (v->w[3] >> 63) != 0;
    m2c_u256 a = *v;
    if (neg) { /* two's complement negate */
        for (int i = 0; i < 4; i++)
            a.w[i] = ~a.w[i];
        for (int i = 0; i < 4 && ++a.w[i] == 0; i++) {
        }
    }
    double d = 0;
    for (int i = 3; i >= 0; i--)
        d = d * 18446744073709551616.0 + (double)a.w[i];
    return neg ? -d : d;
}

/* Runs `q` on every row of `in` (decimal text, exact) and returns the largest |y - ref|
 * over all outputs, with y read back in real units. */
static double max_qerr(const m2c_qmodel *q, const csv_t *in, const csv_t *ref, int *fails) {
    double worst = 0;
    *fails = 0;
    for (size_t r = 0; r < in->rows; r++) {
        m2c_u256 x[64], y[16];
        size_t n = 0;
        m2c_err e;
        if (m2c_enc_decode_values(x, 64, &n, NULL, q->in_decimals, (const uint8_t *)in->lines[r],
                                  strlen(in->lines[r]), &e) != M2C_ENC_OK ||
            n != q->n_in) {
            (*fails)++;
            continue;
        }
        if (m2c_qmodel_predict(q, y, NULL, NULL, x, &e) != M2C_OK) {
            (*fails)++;
            continue;
        }
        for (size_t j = 0; j < q->n_out; j++) {
            double yv = u256_to_double(&y[j]) / pow(10.0, q->out_decimals);
            double d = fabs(yv - ref->v[r * ref->cols + j]);
            if (d > worst) worst = d;
        }
    }
    return worst;
}

static double max_ferr(const m2c_fmlp *m, const csv_t *in, const csv_t *ref) {
    double worst = 0, p[16];
    for (size_t r = 0; r < in->rows; r++) {
        m2c_fmlp_predict(m, p, &in->v[r * in->cols]);
        for (size_t j = 0; j < m->n_out; j++) {
            double d = fabs(p[j] - ref->v[r * ref->cols + j]);
            if (d > worst) worst = d;
        }
    }
    return worst;
}

/* Imports fixture NAME, checks float and quantized predictions against PyTorch's. */
static void check_onnx_fixture(const char *name, unsigned n_in, unsigned n_out, int kind,
                               int transform, double qtol) {
    char path[256];
    m2c_err e;
    m2c_fmlp *m = NULL;
    m2c_qmodel *q = NULL, *qs = NULL, *back = NULL;
    m2c_feature_stats *st = NULL;
    csv_t in, ref;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    snprintf(path, sizeof path, "data/onnx/%s.onnx", name);
    REQUIRE(m2c_onnx_parse_file(&m, m2c_test_data(path), &e) == M2C_OK);
    CHECK_EQ_INT(m->n_in, n_in);
    CHECK_EQ_INT(m->n_out, n_out);
    CHECK_EQ_INT(m->transform, transform);
    snprintf(path, sizeof path, "data/onnx/%s.inputs.csv", name);
    REQUIRE(csv_read(&in, m2c_test_data(path)) == 0);
    snprintf(path, sizeof path, "data/onnx/%s.outputs.csv", name);
    REQUIRE(csv_read(&ref, m2c_test_data(path)) == 0);
    REQUIRE(in.rows == ref.rows && in.cols == n_in && ref.cols == n_out);

    /* The float network is PyTorch's function (float32 there, double here). */
    double ferr = max_ferr(m, &in, &ref);
    if (!(ferr < 1e-5)) fprintf(stderr, "  %s: float error %g\n", name, ferr);
    CHECK(ferr < 1e-5);

    /* Quantized, with identity input scaling and with statistics of the inputs. */
    REQUIRE(m2c_fmlp_to_qmodel(&q, m, NULL, 1, 18, 18, &e) == M2C_OK);
    CHECK_EQ_INT(q->kind, kind);
    int fails = 0;
    double qerr = max_qerr(q, &in, &ref, &fails);
    CHECK_EQ_INT(fails, 0);
    if (!(qerr <= qtol)) fprintf(stderr, "  %s: quantized error %g > %g\n", name, qerr, qtol);
    CHECK(qerr <= qtol);

    REQUIRE(m2c_feature_stats_compute(&st, in.v, in.rows, in.cols, &e) == M2C_OK);
    REQUIRE(m2c_fmlp_to_qmodel(&qs, m, st, 1, 18, 18, &e) == M2C_OK);
    double qerr2 = max_qerr(qs, &in, &ref, &fails);
    CHECK_EQ_INT(fails, 0);
    if (!(qerr2 <= qtol))
        fprintf(stderr, "  %s: quantized (stats) error %g > %g\n", name, qerr2, qtol);
    CHECK(qerr2 <= qtol);
    if (getenv("M2C_TEST_VERBOSE"))
        printf("  %s: max |error| float %.3g, quantized %.3g, quantized with stats %.3g\n", name,
               ferr, qerr, qerr2);

    /* What the importer writes is a canonical qmodel: load(serialize(q)) reproduces it. */
    REQUIRE(m2c_qmodel_serialize(&b, qs, &e) == M2C_OK);
    REQUIRE(m2c_qmodel_load(&back, b.p, b.len, &e) == M2C_OK);
    m2c_buf b2;
    m2c_buf_init(&b2, 0);
    REQUIRE(m2c_qmodel_serialize(&b2, back, &e) == M2C_OK);
    CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
    m2c_buf_free(&b2);
    m2c_buf_free(&b);
    m2c_qmodel_free(back);
    m2c_feature_stats_free(st);
    m2c_qmodel_free(q);
    m2c_qmodel_free(qs);
    m2c_fmlp_free(m);
    csv_free(&in);
    csv_free(&ref);
}

TEST(test_onnx_import__sigmoid_mlp_matches_pytorch) {
    check_onnx_fixture("mlp8_sigmoid", 8, 1, M2C_QKIND_MLP, M2C_FOUT_SIGMOID, PROB_TOL);
}

TEST(test_onnx_import__softmax_relu_tanh_mlp_matches_pytorch) {
    check_onnx_fixture("mlp4_softmax", 4, 3, M2C_QKIND_MLP, M2C_FOUT_SOFTMAX, PROB_TOL);
}

TEST(test_onnx_import__matmul_add_flatten_regression_matches_pytorch) {
    /* regression output in real units; targets are about -6..12 */
    check_onnx_fixture("mlp6_matmul", 6, 1, M2C_QKIND_MLP, M2C_FOUT_IDENTITY, 2e-3);
}

TEST(test_onnx_import__gemm_alpha_beta_float_data_matches_numpy) {
    check_onnx_fixture("gemm_float_data", 5, 3, M2C_QKIND_LOGISTIC, M2C_FOUT_SOFTMAX, PROB_TOL);
}

TEST(test_onnx_import__final_tanh_gets_an_identity_layer_and_bias_first_add) {
    m2c_fmlp *m = NULL;
    m2c_err e;
    REQUIRE(m2c_onnx_parse_file(&m, m2c_test_data("data/onnx/tanh_out.onnx"), &e) == M2C_OK);
    /* MatMul+Add+Relu, MatMul+Tanh, then the appended identity 2x2 */
    CHECK_EQ_INT(m->n_layers, 3);
    CHECK_EQ_INT(m->layers[0].act, M2C_FACT_RELU);
    CHECK_EQ_INT(m->layers[1].act, M2C_FACT_TANH);
    CHECK_EQ_INT(m->layers[2].act, M2C_FACT_IDENTITY);
    CHECK(m->layers[2].w[0] == 1 && m->layers[2].w[1] == 0 && m->layers[2].w[3] == 1);
    m2c_fmlp_free(m);
    check_onnx_fixture("tanh_out", 3, 2, M2C_QKIND_MLP, M2C_FOUT_IDENTITY, 2e-3);
}

TEST(test_onnx_import__unsupported_ops_are_all_named) {
    m2c_fmlp *m = NULL;
    m2c_err e;
    m2c_err_clear(&e);
    CHECK_EQ_INT(m2c_onnx_parse_file(&m, m2c_test_data("data/onnx/conv.onnx"), &e),
                 M2C_ERR_UNSUPPORTED);
    CHECK(m == NULL);
    CHECK(strstr(e.msg, "Conv") != NULL);
    CHECK(strstr(e.msg, "MaxPool") != NULL);
    CHECK(strstr(e.msg, "unsupported operators") != NULL);
}

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *p = malloc(1 << 20);
    *len = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

TEST(test_onnx_import__every_truncation_fails_or_is_the_same_model) {
    size_t len = 0;
    uint8_t *p = read_all(m2c_test_data("data/onnx/mlp4_softmax.onnx"), &len);
    REQUIRE(p && len > 100);
    m2c_fmlp *full = NULL;
    m2c_err e;
    REQUIRE(m2c_onnx_parse(&full, p, len, &e) == M2C_OK);
    size_t accepted = 0;
    for (size_t n = 0; n < len; n++) {
        m2c_fmlp *m = NULL;
        m2c_err_clear(&e);
        m2c_status st = m2c_onnx_parse(&m, p, n, &e);
        if (st != M2C_OK) {
            CHECK(m == NULL);
            CHECK(e.msg[0] != 0);
            continue;
        }
        /* A prefix that ends at a field boundary after the graph drops only trailing
         * metadata (opset_import): it must then be the same network. */
        accepted++;
        CHECK_EQ_INT(m->n_layers, full->n_layers);
        for (uint32_t l = 0; l < m->n_layers && l < full->n_layers; l++)
            CHECK(memcmp(m->layers[l].w, full->layers[l].w,
                         (size_t)m->layers[l].n_in * m->layers[l].n_out * sizeof(double)) == 0);
        m2c_fmlp_free(m);
    }
    CHECK(accepted < 4);
    m2c_fmlp_free(full);
    free(p);
}

TEST(test_onnx_import__garbage_and_deep_nesting_are_rejected) {
    m2c_fmlp *m = NULL;
    m2c_err e;
    const char *junk = "this is not a protobuf at all";
    CHECK(m2c_onnx_parse(&m, (const uint8_t *)junk, strlen(junk), &e) != M2C_OK);
    CHECK(m == NULL);
    CHECK_EQ_INT(m2c_onnx_parse(&m, (const uint8_t *)"", 0, &e), M2C_ERR_TRUNCATED);
    /* ModelProto.graph (7) -> GraphProto.node (1) -> NodeProto.attribute (5) ->
     * AttributeProto.g (6) -> GraphProto.node ... nested 2000 levels: each level is a
     * length-delimited field, built inside out. */
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap), *tmp = malloc(cap);
    static const uint8_t tags[] = {0x0a, 0x32, 0x2a}; /* node, g, attribute: wire type 2 */
    for (int lvl = 0; lvl < 2000 && n + 8 < cap; lvl++) {
        uint8_t tag = lvl == 1999 ? 0x3a : tags[lvl % 3];
        size_t h = 0;
        tmp[h++] = tag;
        size_t v = n;
        do {
            uint8_t c = v & 0x7f;
            v >>= 7;
            tmp[h++] = c | (v ? 0x80 : 0);
        } while (v);
        memcpy(tmp + h, buf, n);
        n += h;
        memcpy(buf, tmp, n);
    }
    m2c_err_clear(&e);
    CHECK_EQ_INT(m2c_onnx_parse(&m, buf, n, &e), M2C_ERR_RANGE);
    CHECK(strstr(e.msg, "nested") != NULL);
    free(buf);
    free(tmp);
}

/* ---- XGBoost ---- */

static const char *xgb_tiny =
    "{\"learner\":{\"objective\":{\"name\":\"binary:logistic\"},"
    "\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":\"0\",\"num_feature\":\"3\"},"
    "\"gradient_booster\":{\"name\":\"gbtree\",\"model\":{\"tree_info\":[0],\"trees\":[{"
    "\"tree_param\":{\"num_nodes\":\"5\",\"size_leaf_vector\":\"0\"},"
    /* ids: 0 split f2<1.5 -> 1 (leaf -0.5), 2 split f0<0.25 -> 3 (leaf 0.25), 4 (leaf 1) */
    "\"left_children\":[1,-1,3,-1,-1],\"right_children\":[2,-1,4,-1,-1],"
    "\"split_indices\":[2,0,0,0,0],\"split_conditions\":[1.5,-0.5,0.25,0.25,1.0],"
    "\"loss_changes\":[10.0,0,4.0,0,0],\"split_type\":[0,0,0,0,0],"
    "\"default_left\":[1,0,0,0,0]}]}}},\"version\":[1,7,4]}";

static m2c_status parse_str(m2c_ftrees **t, const char *s, m2c_err *e) {
    m2c_err_clear(e);
    return m2c_xgb_parse(t, s, strlen(s), e);
}

/* xgb_tiny with `from` replaced by `to` (once). */
static char *patched(const char *from, const char *to) {
    const char *at = strstr(xgb_tiny, from);
    if (!at) return NULL;
    size_t n = strlen(xgb_tiny) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - xgb_tiny), xgb_tiny, to, at + strlen(from));
    return s;
}

TEST(test_xgb_parse__tiny_tree_is_preorder_and_predicts) {
    m2c_ftrees *t = NULL;
    m2c_err e;
    REQUIRE(parse_str(&t, xgb_tiny, &e) == M2C_OK);
    CHECK_EQ_INT(t->n_trees, 1);
    CHECK_EQ_INT(t->n_features, 3);
    CHECK_EQ_INT(t->transform, M2C_FOUT_SIGMOID);
    CHECK(fabs(t->base[0]) < 1e-12); /* logit(0.5) */
    const m2c_ftree_node *n = t->trees[0].nodes;
    REQUIRE(t->trees[0].n_nodes == 5);
    CHECK_EQ_INT(n[0].feature, 2);
    CHECK_EQ_INT(n[0].right, 2);
    CHECK_EQ_INT(n[1].feature, M2C_FTREE_LEAF);
    CHECK(n[1].value == -0.5f);
    CHECK_EQ_INT(n[2].feature, 0);
    CHECK_EQ_INT(n[2].right, 4);
    CHECK(n[3].value == 0.25f && n[4].value == 1.0f);
    double p, mg, x1[3] = {0, 0, 1.0}, x2[3] = {0.25, 0, 1.5}, x3[3] = {0.2, 0, 2};
    m2c_ftrees_predict(t, &p, &mg, x1);
    CHECK(mg == -0.5);
    m2c_ftrees_predict(t, &p, &mg, x2); /* equal to the threshold: right */
    CHECK(mg == 1.0);
    CHECK(fabs(p - 1 / (1 + exp(-1.0))) < 1e-12);
    m2c_ftrees_predict(t, &p, &mg, x3);
    CHECK(mg == 0.25);
    double gain[3], splits[3];
    m2c_ftrees_importance(t, gain, splits);
    CHECK(gain[2] == 10 && gain[0] == 4 && gain[1] == 0);
    CHECK(splits[2] == 1 && splits[0] == 1 && splits[1] == 0);
    m2c_ftrees_free(t);
}

TEST(test_xgb_parse__base_score_is_a_probability_for_logistic) {
    char *s = patched("\"5E-1\"", "\"0.8\"");
    m2c_ftrees *t = NULL;
    m2c_err e;
    REQUIRE(s && parse_str(&t, s, &e) == M2C_OK);
    CHECK(fabs(t->base[0] - log(0.8 / 0.2)) < 1e-12);
    m2c_ftrees_free(t);
    free(s);
    /* XGBoost 2.1+ spelling of the same value */
    s = patched("\"5E-1\"", "\"[8E-1]\"");
    REQUIRE(s && parse_str(&t, s, &e) == M2C_OK);
    CHECK(fabs(t->base[0] - log(0.8 / 0.2)) < 1e-12);
    m2c_ftrees_free(t);
    free(s);
    s = patched("\"5E-1\"", "\"[5E-1,4E-1]\"");
    REQUIRE(s);
    CHECK_EQ_INT(parse_str(&t, s, &e), M2C_ERR_UNSUPPORTED);
    free(s);
    s = patched("\"5E-1\"", "\"[5E-1\"");
    REQUIRE(s);
    CHECK_EQ_INT(parse_str(&t, s, &e), M2C_ERR_INVALID);
    free(s);
    s = patched("binary:logistic", "reg:squarederror");
    char *s2 = NULL;
    REQUIRE(s);
    const char *at = strstr(s, "\"5E-1\"");
    REQUIRE(at);
    size_t k = (size_t)(at - s);
    s2 = malloc(strlen(s) + 8);
    sprintf(s2, "%.*s\"152.5\"%s", (int)k, s, at + 6);
    REQUIRE(parse_str(&t, s2, &e) == M2C_OK);
    CHECK(t->base[0] == 152.5);
    CHECK_EQ_INT(t->transform, M2C_FOUT_IDENTITY);
    m2c_ftrees_free(t);
    free(s);
    free(s2);
}

TEST(test_xgb_parse__rejects_bad_models_with_a_message) {
    static const struct {
        const char *from, *to;
        m2c_status code;
        const char *needle;
    } cases[] = {
        {"binary:logistic", "count:poisson", M2C_ERR_UNSUPPORTED, "count:poisson"},
        {"\"gbtree\"", "\"gblinear\"", M2C_ERR_UNSUPPORTED, "gblinear"},
        {"\"split_type\":[0,0,0,0,0]", "\"split_type\":[0,0,1,0,0]", M2C_ERR_UNSUPPORTED,
         "categorical"},
        {"[1,-1,3,-1,-1]", "[1,-1,1,-1,-1]", M2C_ERR_INVALID, "reached twice"},
        {"[1,-1,3,-1,-1]", "[1,-1,9,-1,-1]", M2C_ERR_INVALID, "out of range"},
        {"[1,-1,3,-1,-1]", "[1,-1,0,-1,-1]", M2C_ERR_INVALID, "out of range"},
        {"[2,0,0,0,0]", "[3,0,0,0,0]", M2C_ERR_INVALID, "split feature 3"},
        {"[1,-1,3,-1,-1]", "[1,-1,3,-1]", M2C_ERR_INVALID, "left_children has 4"},
        {"\"num_nodes\":\"5\"", "\"num_nodes\":\"x5\"", M2C_ERR_INVALID, "num_nodes"},
        {"\"base_score\":\"5E-1\"", "\"base_score\":\"1.5\"", M2C_ERR_INVALID, "base_score"},
        {"\"num_feature\":\"3\"", "\"num_feature\":\"5000\"", M2C_ERR_RANGE, "num_feature"},
        {"\"tree_info\":[0]", "\"tree_info\":[1]", M2C_ERR_INVALID, "tree_info"},
        {"\"size_leaf_vector\":\"0\"", "\"size_leaf_vector\":\"3\"", M2C_ERR_UNSUPPORTED,
         "vector leaves"},
        {"[1.5,-0.5,", "[\"1.5\",-0.5,", M2C_ERR_INVALID, "split_conditions[0]"},
        {"{\"learner\"", "{\"learner\":1,\"learner\"", M2C_ERR_INVALID, "json"},
        {"\"version\":[1,7,4]}", "\"version\":[1,7,4]", M2C_ERR_INVALID, "json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = patched(cases[i].from, cases[i].to);
        REQUIRE(s);
        m2c_ftrees *t = NULL;
        m2c_err e;
        m2c_status st = parse_str(&t, s, &e);
        if (st != cases[i].code || !strstr(e.msg, cases[i].needle))
            fprintf(stderr, "  case %zu: status %d, message \"%s\"\n", i, (int)st, e.msg);
        CHECK_EQ_INT(st, cases[i].code);
        CHECK(strstr(e.msg, cases[i].needle) != NULL);
        CHECK(t == NULL);
        free(s);
    }
}

/* A path-shaped tree of `depth` splits as XGBoost JSON. */
static char *chain_tree(int depth) {
    int n = 2 * depth + 1;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    int ok = m2c_buf_printf(&b,
                            "{\"learner\":{\"objective\":{\"name\":\"reg:squarederror\"},"
                            "\"learner_model_param\":{\"base_score\":\"0\",\"num_class\":\"0\","
                            "\"num_feature\":\"1\"},\"gradient_booster\":{\"name\":\"gbtree\","
                            "\"model\":{\"tree_info\":[0],\"trees\":[{\"tree_param\":{"
                            "\"num_nodes\":\"%d\"},",
                            n) == M2C_OK;
    /* node 2k splits into 2k+1 (leaf) and 2k+2; node 2*depth is the last leaf. */
    const char *keys[] = {"left_children", "right_children", "split_indices", "split_conditions"};
    for (int a = 0; a < 4; a++) {
        ok &= m2c_buf_printf(&b, "%s\"%s\":[", a ? "," : "", keys[a]) == M2C_OK;
        for (int i = 0; i < n; i++) {
            int split = i % 2 == 0 && i < 2 * depth;
            int v = a == 0   ? (split ? i + 1 : -1)
                    : a == 1 ? (split ? i + 2 : -1)
                    : a == 2 ? 0
                             : (split ? i : -i);
            ok &= m2c_buf_printf(&b, "%s%d", i ? "," : "", v) == M2C_OK;
        }
        ok &= m2c_buf_append_str(&b, "]") == M2C_OK;
    }
    ok &= m2c_buf_append_str(&b, "}]}}}}") == M2C_OK;
    if (!ok) {
        m2c_buf_free(&b);
        return NULL;
    }
    return (char *)m2c_buf_take(&b, NULL);
}

TEST(test_xgb_parse__depth_cap_triplet) {
    int depths[] = {31, 32, 33};
    for (int i = 0; i < 3; i++) {
        char *s = chain_tree(depths[i]);
        REQUIRE(s);
        m2c_ftrees *t = NULL;
        m2c_err e;
        m2c_status st = parse_str(&t, s, &e);
        if (depths[i] <= 32) {
            CHECK_EQ_INT(st, M2C_OK);
            if (t) {
                /* the chain in pre-order: split k has its leaf at k+1 and the rest at k+2 */
                CHECK_EQ_INT(t->trees[0].n_nodes, 2 * depths[i] + 1);
                CHECK_EQ_INT(t->trees[0].nodes[0].right, 2);
                double x = 3.5, y;
                m2c_ftrees_predict(t, &y, NULL, &x); /* 0<3.5, 2<3.5: goes left at split 4 */
                CHECK(y == -5);
            }
        } else {
            CHECK_EQ_INT(st, M2C_ERR_RANGE);
            CHECK(strstr(e.msg, "deeper than 32") != NULL);
        }
        m2c_ftrees_free(t);
        free(s);
    }
}

TEST(test_xgb_to_qmodel__thresholds_follow_float32_comparison) {
    m2c_ftrees *t = NULL;
    m2c_qmodel *q = NULL;
    m2c_err e;
    REQUIRE(parse_str(&t, xgb_tiny, &e) == M2C_OK);
    REQUIRE(m2c_ftrees_to_qmodel(&q, t, NULL, 18, 18, &e) == M2C_OK);
    CHECK_EQ_INT(q->kind, M2C_QKIND_GBDT);
    CHECK_EQ_INT(q->transform, M2C_QTRANSFORM_SIGMOID);
    /* Values around the 0.25 split on feature 0 (feature 2 fixed at 2: right branch):
     * exactly 0.25 and anything that rounds to it in float32 goes right; the float32 just
     * below goes left, as in XGBoost. */
    float below = nextafterf(0.25f, 0.0f);
    double mid = ((double)below + 0.25) / 2; /* float32 rounding boundary */
    double xs[] = {0.25, 0.25 + 1e-12, mid + 1e-12, (double)below, mid - 1e-12, 0.2, 1e6, -1e6};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x[3] = {xs[i], 0.5, 2}, p, mg;
        m2c_ftrees_predict(t, &p, &mg, x);
        m2c_u256 X[3], y;
        int32_t qp;
        for (int k = 0; k < 3; k++)
            X[k] = m2c_qmodel_scale_real(x[k], 18);
        REQUIRE(m2c_qmodel_predict(q, &y, &qp, NULL, X, &e) == M2C_OK);
        double qprob = qp / 65536.0;
        if (!(fabs(qprob - p) <= PROB_TOL))
            fprintf(stderr, "  x=%.17g: float %g, quantized %g\n", xs[i], p, qprob);
        CHECK(fabs(qprob - p) <= PROB_TOL);
    }
    m2c_qmodel_free(q);
    m2c_ftrees_free(t);
}

TEST(test_xgb_to_qmodel__regression_leaves_scale_into_output) {
    char *s = chain_tree(20); /* leaves -1, -3, ... -41 and -40 */
    m2c_ftrees *t = NULL;
    m2c_qmodel *q = NULL;
    m2c_err e;
    REQUIRE(s && parse_str(&t, s, &e) == M2C_OK);
    REQUIRE(m2c_ftrees_to_qmodel(&q, t, NULL, 18, 6, &e) == M2C_OK);
    for (double xv = -1; xv < 42; xv += 0.75) {
        double f;
        m2c_ftrees_predict(t, &f, NULL, &xv);
        m2c_u256 X = m2c_qmodel_scale_real(xv, 18), y;
        REQUIRE(m2c_qmodel_predict(q, &y, NULL, NULL, &X, &e) == M2C_OK);
        CHECK(fabs(u256_to_double(&y) / 1e6 - f) <= 1e-5 * fabs(f) + 1e-6);
    }
    m2c_qmodel_free(q);
    m2c_ftrees_free(t);
    free(s);
}

TEST(test_feature_stats__mean_std_min_max_and_nonfinite) {
    double x[] = {1, 10, 2, 20, 3, 60};
    m2c_feature_stats *s = NULL;
    m2c_err e;
    REQUIRE(m2c_feature_stats_compute(&s, x, 3, 2, &e) == M2C_OK);
    CHECK(s->mean[0] == 2 && s->mean[1] == 30);
    CHECK(fabs(s->std[0] - sqrt(2.0 / 3)) < 1e-15);
    CHECK(s->min[1] == 10 && s->max[1] == 60);
    m2c_feature_stats_free(s);
    x[3] = NAN;
    m2c_err_clear(&e);
    CHECK_EQ_INT(m2c_feature_stats_compute(&s, x, 3, 2, &e), M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "row 2 column 2") != NULL);
}

TEST_MAIN(T(test_onnx_import__sigmoid_mlp_matches_pytorch),
          T(test_onnx_import__softmax_relu_tanh_mlp_matches_pytorch),
          T(test_onnx_import__matmul_add_flatten_regression_matches_pytorch),
          T(test_onnx_import__gemm_alpha_beta_float_data_matches_numpy),
          T(test_onnx_import__final_tanh_gets_an_identity_layer_and_bias_first_add),
          T(test_onnx_import__unsupported_ops_are_all_named),
          T(test_onnx_import__every_truncation_fails_or_is_the_same_model),
          T(test_onnx_import__garbage_and_deep_nesting_are_rejected),
          T(test_xgb_parse__tiny_tree_is_preorder_and_predicts),
          T(test_xgb_parse__base_score_is_a_probability_for_logistic),
          T(test_xgb_parse__rejects_bad_models_with_a_message),
          T(test_xgb_parse__depth_cap_triplet),
          T(test_xgb_to_qmodel__thresholds_follow_float32_comparison),
          T(test_xgb_to_qmodel__regression_leaves_scale_into_output),
          T(test_feature_stats__mean_std_min_max_and_nonfinite))
