/* mlcli.c: shared helpers of the model subcommands; see mlcli.h. */
#include "mlcli.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/hex.h"

static const char *task_name(m2c_task t) {
    return t == M2C_TASK_REGRESSION ? "regression" : t == M2C_TASK_BINARY ? "binary" : "multiclass";
}

static json_t *metrics_json(const m2c_metrics *m) {
    json_t *o = json_object();
    if (m->classification) {
        json_object_set_new(o, "accuracy", json_real(m->accuracy));
        json_object_set_new(o, "auc", isnan(m->auc) ? json_null() : json_real(m->auc));
        json_object_set_new(o, "logloss", json_real(m->logloss));
        json_object_set_new(o, "f1", json_real(m->f1));
    } else {
        json_object_set_new(o, "rmse", json_real(m->rmse));
        json_object_set_new(o, "mae", json_real(m->mae));
        json_object_set_new(o, "r2", isnan(m->r2) ? json_null() : json_real(m->r2));
    }
    json_object_set_new(o, "n", json_integer((json_int_t)m->n));
    return o;
}

int m2c_mlcli_write_sidecar(const char *model_path, const m2c_dataset *d, const m2c_fmodel *f,
                            const m2c_metrics *fm, const m2c_metrics *qm, const char *hash_hex,
                            m2c_err *err) {
    json_t *o = json_object(), *feats = json_array(), *cls = json_array();
    for (size_t k = 0; k < d->n_features; k++)
        json_array_append_new(feats, json_string(d->names[k]));
    for (size_t k = 0; k < f->n_classes; k++)
        json_array_append_new(cls, json_real(f->classes[k]));
    json_object_set_new(o, "model", json_string(model_path));
    json_object_set_new(o, "hash", json_string(hash_hex));
    json_object_set_new(o, "features", feats);
    json_object_set_new(o, "target", json_string(d->target));
    json_object_set_new(o, "task", json_string(task_name(f->task)));
    json_object_set_new(o, "classes", cls);
    if (fm && qm) {
        json_t *m = json_object();
        json_object_set_new(m, "float", metrics_json(fm));
        json_object_set_new(m, "quantized", metrics_json(qm));
        json_object_set_new(o, "test_metrics", m);
    }
    size_t n = strlen(model_path) + 6;
    char *p = malloc(n);
    int rc = 0;
    if (!p) {
        m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        rc = -1;
    } else {
        snprintf(p, n, "%s.json", model_path);
        if (json_dump_file(o, p, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) != 0) {
            m2c_err_set(err, M2C_ERR_IO, "cannot write %s", p);
            rc = -1;
        }
    }
    free(p);
    json_decref(o);
    return rc;
}

void m2c_mlcli_sidecar_free(m2c_sidecar *s) {
    if (s->features)
        for (size_t i = 0; i < s->n_features; i++)
            free(s->features[i]);
    free(s->features);
    free(s->target);
    memset(s, 0, sizeof *s);
}

int m2c_mlcli_read_sidecar(m2c_sidecar *s, const char *model_path, m2c_err *err) {
    memset(s, 0, sizeof *s);
    size_t n = strlen(model_path) + 6;
    char *p = malloc(n);
    if (!p) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory"), -1;
    snprintf(p, n, "%s.json", model_path);
    FILE *f = fopen(p, "rb");
    if (!f) {
        free(p);
        return 0;
    }
    fclose(f);
    json_error_t je;
    json_t *o = json_load_file(p, 0, &je);
    int rc = 1;
    json_t *feats = o ? json_object_get(o, "features") : NULL;
    json_t *target = o ? json_object_get(o, "target") : NULL;
    json_t *task = o ? json_object_get(o, "task") : NULL;
    json_t *cls = o ? json_object_get(o, "classes") : NULL;
    if (!json_is_array(feats) || !json_is_string(target) || !json_is_string(task) ||
        !json_is_array(cls) || json_array_size(cls) > M2C_TRAIN_MAX_CLASSES) {
        m2c_err_set(err, M2C_ERR_INVALID, "%s: not a model sidecar%s%s", p, o ? "" : ": ",
                    o ? "" : je.text);
        rc = -1;
        goto out;
    }
    s->n_features = json_array_size(feats);
    s->features = calloc(s->n_features ? s->n_features : 1, sizeof *s->features);
    s->target = strdup(json_string_value(target));
    const char *t = json_string_value(task);
    s->task = !strcmp(t, "regression") ? M2C_TASK_REGRESSION
              : !strcmp(t, "binary")   ? M2C_TASK_BINARY
                                       : M2C_TASK_MULTICLASS;
    for (size_t i = 0; i < s->n_features; i++) {
        json_t *v = json_array_get(feats, i);
        s->features[i] = strdup(json_is_string(v) ? json_string_value(v) : "?");
    }
    s->n_classes = json_array_size(cls);
    for (size_t i = 0; i < s->n_classes; i++)
        s->classes[i] = json_number_value(json_array_get(cls, i));
out:
    json_decref(o);
    free(p);
    if (rc < 0) m2c_mlcli_sidecar_free(s);
    return rc;
}

m2c_task m2c_mlcli_task_of(const m2c_qmodel *q) {
    return q->transform == M2C_QTRANSFORM_IDENTITY  ? M2C_TASK_REGRESSION
           : q->transform == M2C_QTRANSFORM_SIGMOID ? M2C_TASK_BINARY
                                                    : M2C_TASK_MULTICLASS;
}

static void row(FILE *f, const char *name, double a, double b, int has_a) {
    if (has_a)
        fprintf(f, "  %-10s %12.6f %12.6f %+12.6f\n", name, a, b, b - a);
    else
        fprintf(f, "  %-10s %12.6f\n", name, b);
}

void m2c_mlcli_print_metrics(FILE *f, const m2c_metrics *fm, const m2c_metrics *qm) {
    int h = fm != NULL;
    if (h)
        fprintf(f, "  %-10s %12s %12s %12s\n", "metric", "float", "quantized", "difference");
    else
        fprintf(f, "  %-10s %12s\n", "metric", "quantized");
    if (qm->classification) {
        row(f, "accuracy", h ? fm->accuracy : 0, qm->accuracy, h);
        row(f, "auc", h ? fm->auc : 0, qm->auc, h);
        row(f, "log-loss", h ? fm->logloss : 0, qm->logloss, h);
        row(f, "f1", h ? fm->f1 : 0, qm->f1, h);
    } else {
        row(f, "rmse", h ? fm->rmse : 0, qm->rmse, h);
        row(f, "mae", h ? fm->mae : 0, qm->mae, h);
        row(f, "r2", h ? fm->r2 : 0, qm->r2, h);
    }
}

void m2c_mlcli_hash_hex(char out[67], const m2c_qmodel *q) {
    m2c_buf b;
    m2c_buf_init(&b, M2C_QMODEL_MAX_BYTES + 1);
    m2c_hash32 h;
    memset(&h, 0, sizeof h);
    if (m2c_qmodel_serialize(&b, q, NULL) == M2C_OK) h = m2c_qmodel_hash_bytes(b.p, b.len);
    m2c_hex_encode(out, h.b, 32, 1);
    m2c_buf_free(&b);
}
