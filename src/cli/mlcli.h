/* mlcli.h: what the model subcommands (train, eval, predict, model) share: dataset flags,
 * the model's sidecar file (<model>.json: feature names, target, task, classes, metrics),
 * and metric printing. Only src/cli/ includes this. */
#ifndef ML2CHAIN_MLCLI_H
#define ML2CHAIN_MLCLI_H

#include <stdio.h>

#include "ml2chain/dataset.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/train.h"

/* The sidecar written next to a model by `train` (path + ".json"). */
typedef struct {
    char **features;
    size_t n_features;
    char *target;
    m2c_task task;
    double classes[M2C_TRAIN_MAX_CLASSES];
    size_t n_classes;
} m2c_sidecar;

/* Writes the sidecar for a trained model. */
int m2c_mlcli_write_sidecar(const char *model_path, const m2c_dataset *d, const m2c_fmodel *f,
                            const m2c_metrics *fm, const m2c_metrics *qm, const char *hash_hex,
                            m2c_err *err);
/* Reads it if present: returns 1 when read, 0 when absent, -1 (err set) when malformed. */
int m2c_mlcli_read_sidecar(m2c_sidecar *s, const char *model_path, m2c_err *err);
void m2c_mlcli_sidecar_free(m2c_sidecar *s);

/* The task a qmodel's transform implies. */
m2c_task m2c_mlcli_task_of(const m2c_qmodel *q);

/* Prints metrics as a table; `fm` may be NULL (quantized only). */
void m2c_mlcli_print_metrics(FILE *f, const m2c_metrics *fm, const m2c_metrics *qm);

/* "0x" + 64 hex digits of the model file's keccak-256 into out[67]. */
void m2c_mlcli_hash_hex(char out[67], const m2c_qmodel *q);

#endif
