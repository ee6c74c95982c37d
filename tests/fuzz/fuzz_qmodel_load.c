/* fuzz_qmodel_load.c: libFuzzer target for the qmodel loader (docs/qmodel.md). Invariants:
 * a failed load says why and where (offset within the input); a successful load
 * re-serializes to exactly the input bytes (canonical), and the runtime runs on boundary
 * inputs without any sanitizer report, giving outputs inside the spec's ranges. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/qmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int32_t ZS[] = {0, 1, -1, 65536, -65536, INT32_MAX, INT32_MIN, 1 << 20};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    m2c_qmodel *m = NULL;
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_qmodel_load(&m, data, size, &err) != M2C_OK) {
        if (m || err.msg[0] == 0 || (err.offset != (size_t)-1 && err.offset > size)) abort();
        return 0;
    }
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if (m2c_qmodel_serialize(&b, m, NULL) != M2C_OK) abort();
    if (b.len != size || memcmp(b.p, data, size) != 0) abort();
    if (m2c_qmodel_size(m) != size) abort();
    m2c_buf_free(&b);

    static int32_t z[M2C_QMODEL_MAX_IN];
    int32_t p[M2C_QMODEL_MAX_OUT];
    m2c_u256 y[M2C_QMODEL_MAX_OUT];
    for (size_t r = 0; r < sizeof ZS / sizeof ZS[0]; r++) {
        for (unsigned i = 0; i < m->n_in; i++)
            z[i] = ZS[(r + i) % (sizeof ZS / sizeof ZS[0])];
        m2c_qmodel_run(m, p, z);
        m2c_qmodel_scale_output(m, y, p);
        int label = m2c_qmodel_label(m, p);
        if (m->transform != M2C_QTRANSFORM_IDENTITY) {
            for (unsigned j = 0; j < m->n_out; j++)
                if (p[j] < 0 || p[j] > 65536) abort();
            if (label < 0 || label >= (int)m->n_out + (m->n_out == 1)) abort();
        } else if (label != -1) {
            abort();
        }
    }
    /* the input scaling at the int192 extremes */
    static m2c_u256 x[M2C_QMODEL_MAX_IN];
    for (unsigned i = 0; i < m->n_in; i++) {
        memset(&x[i], i & 1 ? 0xff : 0x00, sizeof x[i]);
        x[i].w[2] = i & 1 ? (uint64_t)1 << 63 : ~(uint64_t)0 >> 1;
    }
    if (m2c_qmodel_predict(m, y, p, NULL, x, NULL) != M2C_OK) abort();
    m2c_qmodel_free(m);
    return 0;
}
