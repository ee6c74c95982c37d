/* cmd_eval.c: `ml2chain eval`: metrics of a quantized model on a dataset. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mlcli.h"

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: ml2chain eval --model MODEL.qm (--csv FILE | --data DB (--query SQL | --table T))\n"
        "                     [--target COL] [--features A,B,C]\n"
        "\n"
        "Runs the quantized model on every row and prints accuracy, AUC, log-loss and F1\n"
        "(classifiers) or RMSE, MAE and R^2 (regression). Target and features default to the\n"
        "ones in MODEL.qm.json, written by `ml2chain train`.\n");
}

int m2c_cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"csv", required_argument, 0, 'c'},
                                         {"data", required_argument, 0, 'd'},
                                         {"query", required_argument, 0, 'q'},
                                         {"table", required_argument, 0, 'T'},
                                         {"target", required_argument, 0, 't'},
                                         {"features", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    m2c_dataset_opts dso;
    memset(&dso, 0, sizeof dso);
    const char *model = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'c': dso.csv = optarg; break;
        case 'd': dso.sqlite = optarg; break;
        case 'q': dso.query = optarg; break;
        case 'T': dso.table = optarg; break;
        case 't': dso.target = optarg; break;
        case 'f': dso.features = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind < argc) return m2c_cli_fail("eval", "unexpected argument '%s'", argv[optind]);
    if (!model) return m2c_cli_fail("eval", "--model is required");
    if (!dso.csv == !dso.sqlite) return m2c_cli_fail("eval", "give one of --csv or --data");
    if (dso.sqlite && !dso.query == !dso.table)
        return m2c_cli_fail("eval", "--data needs one of --query or --table");
    m2c_err err;
    m2c_err_clear(&err);
    m2c_qmodel *q = NULL;
    m2c_dataset *d = NULL;
    m2c_sidecar sc;
    char *feats = NULL;
    int rc = 1;
    if (m2c_qmodel_load_file(&q, model, &err))
        return m2c_cli_fail_err("eval", &err, "cannot load the model");
    int have = m2c_mlcli_read_sidecar(&sc, model, &err);
    if (have < 0) {
        rc = m2c_cli_fail_err("eval", &err, "cannot read the sidecar");
        goto out;
    }
    if (!dso.target && have) dso.target = sc.target;
    if (!dso.target) {
        rc = m2c_cli_fail("eval", "--target is required (no %s.json)", model);
        goto out;
    }
    if (!dso.features && have) {
        size_t n = 1;
        for (size_t i = 0; i < sc.n_features; i++)
            n += strlen(sc.features[i]) + 1;
        feats = calloc(1, n);
        for (size_t i = 0; feats && i < sc.n_features; i++) {
            if (i) strcat(feats, ",");
            strcat(feats, sc.features[i]);
        }
        dso.features = feats;
    }
    if (m2c_dataset_load(&d, &dso, &err)) {
        rc = m2c_cli_fail_err("eval", &err, "cannot load the data");
        goto out;
    }
    if (d->n_features != q->n_in) {
        rc = m2c_cli_fail("eval", "the model takes %u features, the data gives %zu", q->n_in,
                          d->n_features);
        goto out;
    }
    m2c_task task = m2c_mlcli_task_of(q);
    double classes[M2C_QMODEL_MAX_OUT];
    size_t nc = task == M2C_TASK_REGRESSION ? 0 : task == M2C_TASK_BINARY ? 2 : q->n_out;
    for (size_t k = 0; k < nc; k++)
        classes[k] = (have && sc.n_classes == nc) ? sc.classes[k] : (double)k;
    m2c_metrics qm;
    if (m2c_evaluate(NULL, &qm, NULL, q, task, classes, nc, d, &err)) {
        rc = m2c_cli_fail_err("eval", &err, "cannot evaluate");
        goto out;
    }
    char hh[67];
    m2c_mlcli_hash_hex(hh, q);
    printf("model     %s (%s, %s)\n", model, m2c_qkind_str(q->kind), hh);
    printf("rows      %zu\n", d->n_rows);
    m2c_mlcli_print_metrics(stdout, NULL, &qm);
    rc = 0;
out:
    free(feats);
    if (have > 0) m2c_mlcli_sidecar_free(&sc);
    m2c_dataset_free(d);
    m2c_qmodel_free(q);
    return rc;
}
