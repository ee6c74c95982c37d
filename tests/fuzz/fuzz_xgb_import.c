/* fuzz_xgb_import.c: libFuzzer target for the XGBoost JSON importer. Invariants: no crash or
 * leak on any bytes; a failure always carries a message; an accepted ensemble is in valid
 * pre-order (children inside the tree, right child past the left subtree), converts to a
 * qmodel the loader accepts, and the float and quantized predictors run on it. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/import.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    m2c_ftrees *t = NULL;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_xgb_parse(&t, (const char *)data, size, &err) != M2C_OK) {
        if (t || !err.msg[0]) abort();
        return 0;
    }
    for (size_t i = 0; i < t->n_trees; i++) {
        const m2c_ftree *tr = &t->trees[i];
        if (!tr->n_nodes || tr->output >= t->n_out) abort();
        for (uint32_t k = 0; k < tr->n_nodes; k++) {
            const m2c_ftree_node *n = &tr->nodes[k];
            if (n->feature == M2C_FTREE_LEAF) continue;
            if (n->feature >= t->n_features || k + 1 >= tr->n_nodes || n->right <= k + 1 ||
                n->right >= tr->n_nodes)
                abort();
        }
    }
    double *x = calloc(t->n_features, sizeof *x), p[M2C_IMPORT_MAX_OUTPUTS];
    if (!x) abort();
    m2c_ftrees_predict(t, p, NULL, x);
    m2c_qmodel *q = NULL, *back = NULL;
    m2c_err_clear(&err);
    if (m2c_ftrees_to_qmodel(&q, t, NULL, 18, 18, &err) == M2C_OK) {
        m2c_buf b;
        m2c_buf_init(&b, 0);
        if (m2c_qmodel_serialize(&b, q, &err) != M2C_OK) abort();
        if (m2c_qmodel_load(&back, b.p, b.len, &err) != M2C_OK) abort();
        if (m2c_qmodel_predict_double(q, p, x, &err) != M2C_OK) abort();
        m2c_qmodel_free(back);
        m2c_buf_free(&b);
    } else if (q || !err.msg[0]) {
        abort();
    }
    m2c_qmodel_free(q);
    free(x);
    m2c_ftrees_free(t);
    return 0;
}
