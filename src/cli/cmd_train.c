/* cmd_train.c: `ml2chain train`: load a dataset, split it, train a float model, quantize it
 * into a qmodel, and report held-out metrics for both side by side. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mlcli.h"
#include "train_report.h"

int m2c_cmd_train_gbdt(int argc, char **argv); /* cmd_gbdt.c */

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: ml2chain train (--csv FILE | --data DB.sqlite (--query SQL | --table T))\n"
        "                      --target COL --model linear|logistic|mlp --out MODEL.qm [options]\n"
        "\n"
        "Trains on the data, quantizes the model into a qmodel file (docs/qmodel.md) and prints\n"
        "held-out metrics of the float and the quantized model side by side. Also writes\n"
        "MODEL.qm.json (feature names, target, classes, metrics) for eval and predict.\n"
        "\n"
        "data:\n"
        "  --csv FILE            CSV with a header row\n"
        "  --data DB             SQLite database, with --query 'SELECT ...' or --table NAME\n"
        "  --target COL          the column to predict\n"
        "  --features A,B,C      feature columns (default: every other numeric column)\n"
        "  --split FRAC          held-out fraction (default 0.2), seeded random rows\n"
        "  --split-by COL        held-out rows are the last FRAC ordered by COL (time order);\n"
        "                        COL is not a feature unless listed in --features\n"
        "model:\n"
        "  --model KIND          linear (ridge regression), logistic (binary or multiclass), mlp,\n"
        "                        gbdt (libxgboost; its options: ml2chain train --model gbdt -h)\n"
        "  --task T              mlp only: regression or classification (default: classification\n"
        "                        when the target has at most 20 distinct integer values)\n"
        "  --l2 X                L2 penalty added to the mean loss as X/2*||W||^2 (defaults:\n"
        "                        linear 0, logistic 1/n as scikit-learn's C=1, mlp 1e-4)\n"
        "  --hidden 32,16        mlp hidden layer widths (default 32)\n"
        "  --activation A        mlp hidden activation: relu (default), tanh, sigmoid\n"
        "  --epochs N            mlp epochs (default 200); logistic solver iterations (500)\n"
        "  --lr X --batch N      Adam learning rate (1e-3), minibatch size (32)\n"
        "  --patience N          early-stopping patience in epochs (10)\n"
        "  --validation FRAC     mlp: training rows held back for early stopping (0.1; 0: none,\n"
        "                        every epoch runs)\n"
        "  --seed N              seed for the split, initialisation and shuffling (1)\n"
        "  --out MODEL.qm        where to write the quantized model\n"
        "  --quiet               no per-epoch progress (shown only on a terminal anyway)\n"
        "  --report FILE         write the HTML training report (docs/import.md)\n");
}

static void progress(void *ctx, unsigned epoch, unsigned epochs, double tl, double vl) {
    (void)ctx;
    if (isnan(vl))
        fprintf(stderr, "\r  epoch %u/%u  train loss %.6f   ", epoch, epochs, tl);
    else
        fprintf(stderr, "\r  epoch %u/%u  train loss %.6f  validation loss %.6f   ", epoch, epochs,
                tl, vl);
    fflush(stderr);
}

static int parse_list(unsigned *out, unsigned cap, unsigned *n, const char *s) {
    *n = 0;
    while (*s) {
        char *e;
        long v = strtol(s, &e, 10);
        if (e == s || v < 1 || v > M2C_QMODEL_MAX_WIDTH || *n == cap) return 0;
        out[(*n)++] = (unsigned)v;
        if (*e == ',')
            e++;
        else if (*e)
            return 0;
        s = e;
    }
    return *n > 0;
}

static int parse_double(double *out, const char *s) {
    char *e;
    *out = strtod(s, &e);
    return e != s && *e == 0 && isfinite(*out);
}

int m2c_cmd_train(int argc, char **argv) {
    static const struct option opts[] = {{"csv", required_argument, 0, 'c'},
                                         {"data", required_argument, 0, 'd'},
                                         {"query", required_argument, 0, 'q'},
                                         {"table", required_argument, 0, 'T'},
                                         {"target", required_argument, 0, 't'},
                                         {"features", required_argument, 0, 'f'},
                                         {"split", required_argument, 0, 's'},
                                         {"split-by", required_argument, 0, 'S'},
                                         {"model", required_argument, 0, 'm'},
                                         {"task", required_argument, 0, 'k'},
                                         {"l2", required_argument, 0, 'l'},
                                         {"hidden", required_argument, 0, 'H'},
                                         {"activation", required_argument, 0, 'a'},
                                         {"epochs", required_argument, 0, 'e'},
                                         {"lr", required_argument, 0, 'r'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"patience", required_argument, 0, 'p'},
                                         {"seed", required_argument, 0, 'x'},
                                         {"out", required_argument, 0, 'o'},
                                         {"quiet", no_argument, 0, 'Q'},
                                         {"report", required_argument, 0, 'R'},
                                         {"validation", required_argument, 0, 'V'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    for (int i = 1; i < argc; i++) /* gbdt has its own options (cmd_gbdt.c) */
        if ((!strcmp(argv[i], "--model") && i + 1 < argc && !strcmp(argv[i + 1], "gbdt")) ||
            !strcmp(argv[i], "--model=gbdt"))
            return m2c_cmd_train_gbdt(argc, argv);
    m2c_dataset_opts dso;
    memset(&dso, 0, sizeof dso);
    const char *model = NULL, *out = NULL, *task = NULL, *report = NULL;
    m2c_curve_rec rec;
    memset(&rec, 0, sizeof rec);
    double split = 0.2, l2 = -1, lr = 0, val = 0.1;
    unsigned long long epochs = 0, batch = 0, patience = 0, seed = 1;
    unsigned hidden[M2C_TRAIN_MAX_HIDDEN], n_hidden = 0, act = M2C_QACT_RELU;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': dso.csv = optarg; break;
        case 'd': dso.sqlite = optarg; break;
        case 'q': dso.query = optarg; break;
        case 'T': dso.table = optarg; break;
        case 't': dso.target = optarg; break;
        case 'f': dso.features = optarg; break;
        case 'S': dso.split_by = optarg; break;
        case 's':
            if (!parse_double(&split, optarg) || !(split > 0 && split < 1))
                return m2c_cli_fail("train", "--split %s: expected a fraction in (0, 1)", optarg);
            break;
        case 'm': model = optarg; break;
        case 'k': task = optarg; break;
        case 'l':
            if (!parse_double(&l2, optarg) || l2 < 0)
                return m2c_cli_fail("train", "--l2 %s: expected a number >= 0", optarg);
            break;
        case 'H':
            if (!parse_list(hidden, M2C_TRAIN_MAX_HIDDEN, &n_hidden, optarg))
                return m2c_cli_fail("train",
                                    "--hidden %s: expected widths like 32,16 (1..%d, "
                                    "at most %d layers)",
                                    optarg, M2C_QMODEL_MAX_WIDTH, M2C_TRAIN_MAX_HIDDEN);
            break;
        case 'a':
            if (!strcmp(optarg, "relu"))
                act = M2C_QACT_RELU;
            else if (!strcmp(optarg, "tanh"))
                act = M2C_QACT_TANH;
            else if (!strcmp(optarg, "sigmoid"))
                act = M2C_QACT_SIGMOID;
            else
                return m2c_cli_fail("train", "--activation %s: expected relu, tanh or sigmoid",
                                    optarg);
            break;
        case 'e':
            if (m2c_cli_uint("train", "--epochs", optarg, 1, 1000000, NULL, &epochs)) return 1;
            break;
        case 'r':
            if (!parse_double(&lr, optarg) || !(lr > 0))
                return m2c_cli_fail("train", "--lr %s: expected a positive number", optarg);
            break;
        case 'b':
            if (m2c_cli_uint("train", "--batch", optarg, 1, 1u << 24, "rows", &batch)) return 1;
            break;
        case 'p':
            if (m2c_cli_uint("train", "--patience", optarg, 1, 1000000, "epochs", &patience))
                return 1;
            break;
        case 'x':
            if (m2c_cli_uint("train", "--seed", optarg, 0, ULLONG_MAX, NULL, &seed)) return 1;
            break;
        case 'o': out = optarg; break;
        case 'Q': quiet = 1; break;
        case 'R': report = optarg; break;
        case 'V':
            if (!parse_double(&val, optarg) || !(val >= 0 && val < 1))
                return m2c_cli_fail("train", "--validation %s: expected a fraction in [0, 1)",
                                    optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind < argc) return m2c_cli_fail("train", "unexpected argument '%s'", argv[optind]);
    if (!dso.csv == !dso.sqlite) return m2c_cli_fail("train", "give one of --csv or --data");
    if (dso.sqlite && !dso.query == !dso.table)
        return m2c_cli_fail("train", "--data needs one of --query or --table");
    if (!dso.target) return m2c_cli_fail("train", "--target is required");
    if (!out) return m2c_cli_fail("train", "--out is required");
    m2c_train_opts o;
    if (!model) return m2c_cli_fail("train", "--model is required (linear, logistic or mlp)");
    if (!strcmp(model, "linear"))
        m2c_train_opts_default(&o, M2C_MODEL_LINEAR);
    else if (!strcmp(model, "logistic"))
        m2c_train_opts_default(&o, M2C_MODEL_LOGISTIC);
    else if (!strcmp(model, "mlp"))
        m2c_train_opts_default(&o, M2C_MODEL_MLP);
    else
        return m2c_cli_fail("train", "--model %s: expected linear, logistic or mlp", model);
    o.l2 = l2;
    if (epochs) o.epochs = (unsigned)epochs;
    if (lr > 0) o.lr = lr;
    if (batch) o.batch = (unsigned)batch;
    if (patience) o.patience = (unsigned)patience;
    o.seed = seed;
    o.val_frac = val;
    o.activation = act;
    o.n_hidden = n_hidden;
    memcpy(o.hidden, hidden, sizeof hidden);
    if (!quiet && isatty(STDERR_FILENO) && o.type == M2C_MODEL_MLP) o.progress = progress;
    if (report) { /* record the curve for the report, still printing progress */
        rec.chain = o.progress;
        o.progress = m2c_curve_rec_cb;
        o.progress_ctx = &rec;
    }

    m2c_err err;
    m2c_err_clear(&err);
    m2c_dataset *d = NULL, *tr = NULL, *te = NULL;
    m2c_fmodel *f = NULL;
    m2c_qmodel *q = NULL;
    int rc = 1;
    if (m2c_dataset_load(&d, &dso, &err)) {
        rc = m2c_cli_fail_err("train", &err, "cannot load the data");
        goto out;
    }
    if (o.type == M2C_MODEL_MLP) {
        if (task && !strcmp(task, "regression"))
            o.task = M2C_TASK_REGRESSION;
        else if (task && !strcmp(task, "classification"))
            o.task = M2C_TASK_BINARY;
        else if (task) {
            rc = m2c_cli_fail("train", "--task %s: expected regression or classification", task);
            goto out;
        } else {
            /* classification when the target looks like labels */
            double seen[21];
            size_t k = 0;
            int labels = 1;
            for (size_t r = 0; r < d->n_rows && labels; r++) {
                double v = d->y[r];
                if (v != floor(v)) labels = 0;
                size_t j = 0;
                while (j < k && seen[j] != v)
                    j++;
                if (j == k) {
                    if (k == 20)
                        labels = 0;
                    else
                        seen[k++] = v;
                }
            }
            o.task = labels ? M2C_TASK_BINARY : M2C_TASK_REGRESSION;
        }
    } else if (task) {
        rc = m2c_cli_fail("train", "--task applies to --model mlp only");
        goto out;
    }
    m2c_status st = dso.split_by ? m2c_dataset_split_ordered(&tr, &te, d, split, &err)
                                 : m2c_dataset_split_random(&tr, &te, d, split, seed, &err);
    if (st) {
        rc = m2c_cli_fail_err("train", &err, "cannot split the data");
        goto out;
    }
    if (d->n_ignored) {
        fprintf(stderr, "ml2chain train: note: non-numeric columns left out:");
        for (size_t i = 0; i < d->n_ignored; i++)
            fprintf(stderr, " %s", d->ignored[i]);
        fputc('\n', stderr);
    }
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    st = m2c_train(&f, tr, &o, &err);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (o.progress) fputc('\n', stderr);
    if (st) {
        rc = m2c_cli_fail_err("train", &err, "training failed");
        goto out;
    }
    if (f->n_const)
        fprintf(stderr,
                "ml2chain train: warning: %zu constant feature(s) in the training rows "
                "(std 0, scaled with std 1; they only shift the output)\n",
                f->n_const);
    if (m2c_fmodel_quantize(&q, f, &err)) {
        rc = m2c_cli_fail_err("train", &err, "cannot quantize the model");
        goto out;
    }
    m2c_metrics fm, qm;
    if (m2c_evaluate(&fm, &qm, f, q, f->task, f->classes, f->n_classes, te, &err)) {
        rc = m2c_cli_fail_err("train", &err, "cannot evaluate the held-out rows");
        goto out;
    }
    if (m2c_qmodel_save_file(q, out, &err)) {
        rc = m2c_cli_fail_err("train", &err, "cannot write the model");
        goto out;
    }
    char hh[67];
    m2c_mlcli_hash_hex(hh, q);
    if (m2c_mlcli_write_sidecar(out, d, f, &fm, &qm, hh, &err)) {
        rc = m2c_cli_fail_err("train", &err, "cannot write the sidecar");
        goto out;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("model     %s (%s, %s, %zu features", model,
           f->task == M2C_TASK_REGRESSION ? "regression"
           : f->task == M2C_TASK_BINARY   ? "binary"
                                          : "multiclass",
           d->target, d->n_features);
    if (f->n_classes) printf(", %zu classes", f->n_classes);
    printf(")\n");
    printf("rows      %zu train, %zu held out (%s)\n", tr->n_rows, te->n_rows,
           dso.split_by ? "last by split column" : "seeded random");
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    printf("training  %.4g s (cpu %.4g s), %u %s\n", secs, cpu, f->epochs_run,
           o.type == M2C_MODEL_MLP        ? "epochs"
           : o.type == M2C_MODEL_LOGISTIC ? "iterations"
                                          : "solve");
    printf("held-out metrics (%zu rows):\n", te->n_rows);
    m2c_mlcli_print_metrics(stdout, &fm, &qm);
    printf("wrote     %s (%zu bytes, %zu parameters)\n", out, m2c_qmodel_size(q),
           m2c_qmodel_params(q));
    printf("hash      %s\n", hh);
    if (report) {
        char title[256], sub[256];
        snprintf(title, sizeof title, "%s: %s \xe2\x86\x92 %s", model,
                 dso.csv ? dso.csv : dso.sqlite, d->target);
        snprintf(sub, sizeof sub, "%zu training rows, %zu held-out rows; trained in %.2f s",
                 tr->n_rows, te->n_rows, secs);
        if (m2c_train_report_write(report, title, sub, te, f, q, &rec, hh, &err)) {
            rc = m2c_cli_fail_err("train", &err, "cannot write the report");
            goto out;
        }
        printf("report    %s\n", report);
    }
    rc = 0;
out:
    m2c_curve_rec_free(&rec);
    m2c_qmodel_free(q);
    m2c_fmodel_free(f);
    m2c_dataset_free(tr);
    m2c_dataset_free(te);
    m2c_dataset_free(d);
    return rc;
}
