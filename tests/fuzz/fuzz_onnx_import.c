/* fuzz_onnx_import.c: libFuzzer target for the ONNX importer. Invariants: no crash or leak on
 * any bytes; a failure always carries a message; an accepted network has consistent layer
 * shapes, converts to a qmodel that passes the loader's checks (or fails with a message),
 * and that qmodel serializes to bytes the loader accepts. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/import.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    m2c_fmlp *m = NULL;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_onnx_parse(&m, data, size, &err) != M2C_OK) {
        if (m || !err.msg[0]) abort();
        return 0;
    }
    if (!m->n_layers || m->n_layers > M2C_IMPORT_MAX_LAYERS) abort();
    for (uint32_t i = 1; i < m->n_layers; i++)
        if (m->layers[i].n_in != m->layers[i - 1].n_out) abort();
    double *x = calloc(m->n_in, sizeof *x), p[M2C_IMPORT_MAX_WIDTH];
    if (!x) abort();
    m2c_fmlp_predict(m, p, x);
    m2c_qmodel *q = NULL, *back = NULL;
    m2c_err_clear(&err);
    if (m2c_fmlp_to_qmodel(&q, m, NULL, 1, 18, 18, &err) == M2C_OK) {
        m2c_buf b;
        m2c_buf_init(&b, 0);
        if (m2c_qmodel_serialize(&b, q, &err) != M2C_OK) abort();
        if (m2c_qmodel_load(&back, b.p, b.len, &err) != M2C_OK) abort();
        double y[M2C_QMODEL_MAX_OUT];
        if (m2c_qmodel_predict_double(q, y, x, &err) != M2C_OK) abort();
        m2c_qmodel_free(back);
        m2c_buf_free(&b);
    } else if (q || !err.msg[0]) {
        abort();
    }
    m2c_qmodel_free(q);
    free(x);
    m2c_fmlp_free(m);
    return 0;
}
