/* cmd_gbdt.c: `ml2chain train --model gbdt` (dispatched from cmd_train.c): trains
 * gradient-boosted trees with libxgboost on a CSV, converts the booster through the XGBoost
 * JSON importer into a qmodel, prints held-out metrics of the float and quantized models
 * side by side, and optionally writes the HTML report. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "mlcli.h"
#include "ml2chain/dataset.h"
#include "ml2chain/gbdt.h"
#include "ml2chain/import.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/report.h"
#include "ml2chain/train.h"

int m2c_cmd_train_gbdt(int argc, char **argv);

static void usage(FILE *f) {
    fprintf(
        f, "usage: ml2chain train --model gbdt (--csv FILE | --data DB (--query SQL | --table T))\n"
           "                      --target COL [options]\n"
           "\n"
           "Trains gradient-boosted trees with libxgboost, imports the booster (docs/import.md)\n"
           "into a qmodel and prints held-out metrics, float vs quantized.\n"
           "\n"
           "data (as ml2chain train):\n"
           "  --csv FILE | --data DB --query SQL | --table T\n"
           "  --target COL          the column to predict\n"
           "  --features A,B,C      feature columns (default: every other numeric column)\n"
           "  --split F             held-out fraction (default 0.2), seeded random rows\n"
           "  --split-by COL        held-out rows are the last F ordered by COL (time order)\n"
           "  --test FILE           held-out rows from this CSV instead of a split\n"
           "  --seed N              split and sampling seed (default 1)\n"
           "model:\n"
           "  --task T              auto | regression | classification (default auto: a target\n"
           "                        of at most 20 distinct integer values is classes)\n"
           "  --trees N             boosting rounds (default 100)\n"
           "  --depth D             max tree depth (default 6)\n"
           "  --eta E               learning rate (default 0.3)\n"
           "  --lambda L            L2 regularization of leaves (default 1)\n"
           "  --min-child-weight W  (default 1)\n"
           "  --subsample S         row sampling per tree (default 1)\n"
           "  --threads N           libxgboost threads (default: its own)\n"
           "output:\n"
           "  --out FILE            qmodel to write (default gbdt.qm), with FILE.json sidecar\n"
           "  --json FILE           also write the booster as XGBoost JSON\n"
           "  --report FILE         write the HTML report\n"
           "  --predictions FILE    held-out predictions (p0,... quantized; f0,... float)\n");
}

/* Class index of v among the sorted distinct values cls[0..k), or -1. */
static long class_index(const double *cls, size_t k, double v) {
    for (size_t j = 0; j < k; j++)
        if (cls[j] == v) return (long)j;
    return -1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int m2c_cmd_train_gbdt(int argc, char **argv) {
    const char *cmd = "train";
    static const struct option opts[] = {{"csv", required_argument, 0, 'c'},
                                         {"data", required_argument, 0, 'D'},
                                         {"query", required_argument, 0, 'q'},
                                         {"table", required_argument, 0, 'B'},
                                         {"target", required_argument, 0, 't'},
                                         {"features", required_argument, 0, 'f'},
                                         {"split-by", required_argument, 0, 'Y'},
                                         {"test", required_argument, 0, 'T'},
                                         {"split", required_argument, 0, 'S'},
                                         {"seed", required_argument, 0, 's'},
                                         {"task", required_argument, 0, 'k'},
                                         {"trees", required_argument, 0, 'n'},
                                         {"depth", required_argument, 0, 'd'},
                                         {"eta", required_argument, 0, 'e'},
                                         {"lambda", required_argument, 0, 'l'},
                                         {"min-child-weight", required_argument, 0, 'm'},
                                         {"subsample", required_argument, 0, 'u'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"out", required_argument, 0, 'o'},
                                         {"json", required_argument, 0, 'J'},
                                         {"report", required_argument, 0, 'r'},
                                         {"predictions", required_argument, 0, 'p'},
                                         {"model", required_argument, 0, 'M'},
                                         {"quiet", no_argument, 0, 'Q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static const char *numeric = "Ssndelmuj"; /* options taking a number */
    m2c_dataset_opts dso;
    memset(&dso, 0, sizeof dso);
    const char *test = NULL, *task_s = "auto", *out_path = "gbdt.qm", *json_path = NULL,
               *report_path = NULL, *pred_path = NULL;
    double split = 0.2;
    unsigned long seed = 1;
    m2c_gbdt_params prm;
    m2c_gbdt_params_default(&prm, M2C_GBDT_REGRESSION);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        double v = 0;
        if (c > 0 && strchr(numeric, c)) {
            const char *name = "";
            for (size_t i = 0; opts[i].name; i++)
                if (opts[i].val == c) name = opts[i].name;
            v = strtod(optarg, &end);
            if (!*optarg || *end || !isfinite(v))
                return m2c_cli_fail(cmd, "--%s %s: expected a number", name, optarg);
            if (strchr("sndj", c) && (v < 0 || v != floor(v) || v > 1e9))
                return m2c_cli_fail(cmd, "--%s %s: expected a non-negative integer", name, optarg);
        }
        switch (c) {
        case 'c': dso.csv = optarg; break;
        case 'D': dso.sqlite = optarg; break;
        case 'q': dso.query = optarg; break;
        case 'B': dso.table = optarg; break;
        case 't': dso.target = optarg; break;
        case 'f': dso.features = optarg; break;
        case 'Y': dso.split_by = optarg; break;
        case 'T': test = optarg; break;
        case 'S':
            if (!(v > 0 && v < 1))
                return m2c_cli_fail(cmd,
                                    "--split %s: expected a fraction in "
                                    "(0, 1)",
                                    optarg);
            split = v;
            break;
        case 's': seed = (unsigned long)v; break;
        case 'k': task_s = optarg; break;
        case 'n': prm.trees = (unsigned)v; break;
        case 'd': prm.depth = (unsigned)v; break;
        case 'e': prm.eta = v; break;
        case 'l': prm.lambda = v; break;
        case 'm': prm.min_child_weight = v; break;
        case 'u': prm.subsample = v; break;
        case 'j': prm.threads = (unsigned)v; break;
        case 'o': out_path = optarg; break;
        case 'J': json_path = optarg; break;
        case 'r': report_path = optarg; break;
        case 'p': pred_path = optarg; break;
        case 'Q': break; /* no per-round progress is printed */
        case 'M':
            if (strcmp(optarg, "gbdt"))
                return m2c_cli_fail(cmd, "--model %s: this is gbdt", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) return m2c_cli_fail(cmd, "unexpected argument '%s'", argv[optind]);
    if (!dso.csv == !dso.sqlite) return m2c_cli_fail(cmd, "give one of --csv or --data");
    if (dso.sqlite && !dso.query == !dso.table)
        return m2c_cli_fail(cmd, "--data needs one of --query or --table");
    if (!dso.target) return m2c_cli_fail(cmd, "--target is required");
    if (test && dso.split_by) return m2c_cli_fail(cmd, "--test and --split-by exclude each other");

    int rc = 1;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_dataset *all = NULL, *tr = NULL, *te = NULL;
    double *ytr = NULL, *yte = NULL, *pf = NULL, *pq = NULL;
    double *gain = NULL, *splits = NULL;
    double classes[M2C_TRAIN_MAX_CLASSES];
    size_t n_classes = 0;
    m2c_ftrees *trees = NULL;
    m2c_qmodel *q = NULL;
    m2c_feature_stats *stats = NULL;
    m2c_gbdt_curve curve;
    memset(&curve, 0, sizeof curve);
    char *json = NULL;
    m2c_buf qb;
    m2c_buf_init(&qb, 0);

    if (m2c_dataset_load(&all, &dso, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot load the data");
        goto out;
    }
    if (test) {
        m2c_dataset_opts to = dso;
        to.csv = test;
        to.sqlite = to.query = to.table = NULL;
        to.features = NULL;
        if (m2c_dataset_load(&te, &to, &err) != M2C_OK ||
            m2c_dataset_select(te, all->names, all->n_features, &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "cannot load the held-out data");
            goto out;
        }
        tr = all;
        all = NULL;
    } else {
        m2c_status st = dso.split_by ? m2c_dataset_split_ordered(&tr, &te, all, split, &err)
                                     : m2c_dataset_split_random(&tr, &te, all, split, seed, &err);
        if (st != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "cannot split the data");
            goto out;
        }
    }
    size_t d = tr->n_features, ntr = tr->n_rows, nte = te->n_rows;
    const double *xtr = tr->x, *xte = te->x;

    /* Task: classification when the training target has at most 20 distinct integers. */
    m2c_gbdt_task task = M2C_GBDT_REGRESSION;
    {
        int labels = 1;
        for (size_t i = 0; i < ntr && labels; i++) {
            double v = tr->y[i];
            if (v != floor(v))
                labels = 0;
            else if (class_index(classes, n_classes, v) < 0) {
                if (n_classes == 20)
                    labels = 0;
                else
                    classes[n_classes++] = v;
            }
        }
        if (!strcmp(task_s, "auto")) {
            task = labels && n_classes >= 2 ? M2C_GBDT_BINARY : M2C_GBDT_REGRESSION;
        } else if (!strcmp(task_s, "regression")) {
            task = M2C_GBDT_REGRESSION;
        } else if (!strcmp(task_s, "classification")) {
            if (!labels || n_classes < 2) {
                m2c_cli_fail(cmd, "--task classification: the target needs 2..20 distinct "
                                  "integer values");
                goto out;
            }
            task = M2C_GBDT_BINARY;
        } else {
            m2c_cli_fail(cmd, "--task %s: expected auto, regression or classification", task_s);
            goto out;
        }
        if (task == M2C_GBDT_BINARY) {
            qsort(classes, n_classes, sizeof *classes, cmp_double);
            if (n_classes > 2) task = M2C_GBDT_MULTICLASS;
        } else {
            n_classes = 0;
        }
    }
    ytr = malloc((ntr + 1) * sizeof *ytr);
    yte = malloc((nte + 1) * sizeof *yte);
    if (!ytr || !yte) goto nomem;
    for (int set = 0; set < 2; set++) {
        const m2c_dataset *ds = set ? te : tr;
        double *yy = set ? yte : ytr;
        for (size_t i = 0; i < ds->n_rows; i++) {
            if (!n_classes) {
                yy[i] = ds->y[i];
                continue;
            }
            long ci = class_index(classes, n_classes, ds->y[i]);
            if (ci < 0) {
                m2c_cli_fail(cmd, "held-out row %zu: target %g is not a class seen in training",
                             i + 1, ds->y[i]);
                goto out;
            }
            yy[i] = (double)ci;
        }
    }
    prm.task = task;
    prm.n_class = (unsigned)n_classes;
    prm.seed = (unsigned)seed;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (m2c_train_gbdt(&trees, json_path ? &json : NULL, &curve, xtr, ytr, ntr, d, xte, yte, nte,
                       &prm, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "training failed");
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (m2c_feature_stats_compute(&stats, xtr, ntr, d, &err) != M2C_OK ||
        m2c_ftrees_to_qmodel(&q, trees, stats, 18, 18, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot quantize the trained model");
        goto out;
    }
    if (m2c_qmodel_save_file(q, out_path, &err) != M2C_OK ||
        m2c_qmodel_serialize(&qb, q, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot write %s", out_path);
        goto out;
    }
    if (json_path) {
        FILE *jf = fopen(json_path, "w");
        if (!jf || fputs(json, jf) < 0 || fclose(jf) != 0) {
            m2c_cli_fail(cmd, "cannot write %s", json_path);
            goto out;
        }
    }

    /* Held-out predictions, float and quantized. */
    unsigned k = trees->n_out;
    unsigned per = task == M2C_GBDT_MULTICLASS ? k : 1;
    pf = malloc(nte * per * sizeof *pf);
    pq = malloc(nte * per * sizeof *pq);
    if (!pf || !pq) goto nomem;
    for (size_t i = 0; i < nte; i++) {
        double fo[M2C_QMODEL_MAX_OUT], qo[M2C_QMODEL_MAX_OUT];
        m2c_ftrees_predict(trees, fo, NULL, &xte[i * d]);
        if (m2c_qmodel_predict_double(q, qo, &xte[i * d], &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "held-out row %zu", i + 1);
            goto out;
        }
        memcpy(&pf[i * per], fo, per * sizeof *fo);
        memcpy(&pq[i * per], qo, per * sizeof *qo);
    }
    if (pred_path) {
        FILE *f = fopen(pred_path, "w");
        if (!f) {
            m2c_cli_fail(cmd, "cannot write %s: %s", pred_path, strerror(errno));
            goto out;
        }
        for (unsigned j = 0; j < per; j++)
            fprintf(f, "%sp%u", j ? "," : "", j);
        for (unsigned j = 0; j < per; j++)
            fprintf(f, ",f%u", j);
        fprintf(f, "\n");
        for (size_t i = 0; i < nte; i++) {
            for (unsigned j = 0; j < per; j++)
                fprintf(f, "%s%.9g", j ? "," : "", pq[i * per + j]);
            for (unsigned j = 0; j < per; j++)
                fprintf(f, ",%.9g", pf[i * per + j]);
            fprintf(f, "\n");
        }
        if (fclose(f) != 0) {
            m2c_cli_fail(cmd, "cannot write %s", pred_path);
            goto out;
        }
    }

    gain = calloc(d, sizeof *gain);
    splits = calloc(d, sizeof *splits);
    if (!gain || !splits) goto nomem;
    m2c_ftrees_importance(trees, gain, splits);
    m2c_hash32 h = m2c_qmodel_hash_bytes(qb.p, qb.len);
    char hash[67] = "0x";
    for (int i = 0; i < 32; i++)
        snprintf(hash + 2 + 2 * i, 3, "%02x", h.b[i]);
    char title[256], subtitle[256];
    snprintf(title, sizeof title, "gbdt: %s \xe2\x86\x92 %s", dso.csv ? dso.csv : dso.sqlite,
             dso.target);
    snprintf(subtitle, sizeof subtitle,
             "%s, %u trees of depth %u, eta %g; %zu training rows, %zu held-out rows; trained in "
             "%.2f s",
             trees->objective, prm.trees, prm.depth, prm.eta, ntr, nte, secs);
    m2c_report_series series[2] = {{"train", curve.train, curve.rounds},
                                   {"held-out", curve.valid, curve.valid ? curve.rounds : 0}};
    m2c_report rep = {
        .title = title,
        .subtitle = subtitle,
        .task = task == M2C_GBDT_REGRESSION ? M2C_REPORT_REGRESSION
                : task == M2C_GBDT_BINARY   ? M2C_REPORT_BINARY
                                            : M2C_REPORT_MULTICLASS,
        .n = nte,
        .n_class = task == M2C_GBDT_MULTICLASS ? k : 2,
        .y = yte,
        .pf = pf,
        .pq = pq,
        .loss_name = curve.metric,
        .curves = series,
        .n_curves = curve.valid ? 2 : 1,
        .feature_names = (const char *const *)tr->names,
        .n_features = d,
        .importance = gain,
        .importance_kind = "total gain",
        .importance2 = splits,
        .importance2_kind = "number of splits",
        .model_hash = hash,
        .model_bytes = qb.len,
    };
    /* The same metrics, table and sidecar as the other models of `ml2chain train`. */
    m2c_task mt = (m2c_task)task;
    m2c_metrics fm = m2c_metrics_compute(mt, pf, per, te->y, classes, n_classes, nte);
    m2c_metrics qm = m2c_metrics_compute(mt, pq, per, te->y, classes, n_classes, nte);
    m2c_fmodel stub;
    memset(&stub, 0, sizeof stub);
    stub.type = M2C_MODEL_GBDT;
    stub.task = mt;
    stub.n_in = d;
    stub.n_out = per;
    stub.n_classes = n_classes;
    stub.classes = n_classes ? classes : NULL;
    if (m2c_mlcli_write_sidecar(out_path, tr, &stub, &fm, &qm, hash, &err)) {
        m2c_cli_fail_err(cmd, &err, "cannot write the sidecar");
        goto out;
    }
    printf("model     gbdt (%s, %s, %zu features", trees->objective, tr->target, d);
    if (n_classes) printf(", %zu classes", n_classes);
    printf(")\n");
    printf("rows      %zu train, %zu held out (%s)\n", ntr, nte,
           test           ? "--test"
           : dso.split_by ? "last by split column"
                          : "seeded random");
    printf("training  %.3f s, %u trees of depth <= %u\n", secs, prm.trees, prm.depth);
    printf("held-out metrics (%zu rows):\n", nte);
    m2c_mlcli_print_metrics(stdout, &fm, &qm);
    printf("wrote     %s (%zu bytes, %zu parameters)\n", out_path, qb.len, m2c_qmodel_params(q));
    printf("hash      %s\n", hash);
    if (report_path) {
        if (m2c_report_write(report_path, &rep, &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "cannot write the report");
            goto out;
        }
        printf("wrote %s\n", report_path);
    }
    rc = 0;
    goto out;
nomem:
    m2c_cli_fail(cmd, "out of memory");
out:
    m2c_buf_free(&qb);
    m2c_dataset_free(all);
    m2c_dataset_free(tr);
    m2c_dataset_free(te);
    free(ytr);
    free(yte);
    free(pf);
    free(pq);
    free(gain);
    free(splits);
    free(json);
    m2c_gbdt_curve_free(&curve);
    m2c_feature_stats_free(stats);
    m2c_ftrees_free(trees);
    m2c_qmodel_free(q);
    return rc;
}
