/* cmd_gbdt.c: `ml2chain gbdt` (the gbdt model of `ml2chain train --model gbdt`): trains
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
#include "ml2chain/gbdt.h"
#include "ml2chain/import.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/report.h"

int m2c_cmd_train_gbdt(int argc, char **argv);

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain gbdt --csv FILE --target COL [options]\n"
            "       (the same as ml2chain train --model gbdt ...)\n"
            "\n"
            "Trains gradient-boosted trees with libxgboost, imports the booster (docs/import.md)\n"
            "into a qmodel and prints held-out metrics, float vs quantized.\n"
            "\n"
            "  --csv FILE            training data: a header row, numeric cells\n"
            "  --target COL          the column to predict\n"
            "  --test FILE           held-out rows (same columns); default: a seeded split\n"
            "  --split F             held-out fraction of --csv when no --test (default 0.2)\n"
            "  --seed N              split and sampling seed (default 1)\n"
            "  --task T              auto | regression | binary | multiclass (default auto:\n"
            "                        integer targets 0..k-1 with k <= 20 are classes)\n"
            "  --trees N             boosting rounds (default 100)\n"
            "  --depth D             max tree depth (default 6)\n"
            "  --eta E               learning rate (default 0.3)\n"
            "  --lambda L            L2 regularization of leaves (default 1)\n"
            "  --min-child-weight W  (default 1)\n"
            "  --subsample S         row sampling per tree (default 1)\n"
            "  --threads N           libxgboost threads (default: its own)\n"
            "  --out FILE            qmodel to write (default gbdt.qm)\n"
            "  --json FILE           also write the booster as XGBoost JSON\n"
            "  --report FILE         write the HTML report\n"
            "  --predictions FILE    held-out predictions (p0,... quantized; f0,... float)\n");
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Splits table rows into features x (all columns but target) and targets y. */
static int take_rows(const m2c_csv_table *t, size_t tcol, const size_t *rows, size_t n,
                     double **x, double **y) {
    size_t d = t->cols - 1;
    *x = malloc(n * d * sizeof **x + 1);
    *y = malloc(n * sizeof **y + 1);
    if (!*x || !*y) return -1;
    for (size_t i = 0; i < n; i++) {
        const double *row = &t->v[rows[i] * t->cols];
        size_t k = 0;
        for (size_t c = 0; c < t->cols; c++)
            if (c != tcol) (*x)[i * d + k++] = row[c];
        (*y)[i] = row[tcol];
    }
    return 0;
}

int m2c_cmd_train_gbdt(int argc, char **argv) {
    const char *cmd = "gbdt";
    static const struct option opts[] = {
        {"csv", required_argument, 0, 'c'},          {"target", required_argument, 0, 't'},
        {"test", required_argument, 0, 'T'},         {"split", required_argument, 0, 'S'},
        {"seed", required_argument, 0, 's'},         {"task", required_argument, 0, 'k'},
        {"trees", required_argument, 0, 'n'},        {"depth", required_argument, 0, 'd'},
        {"eta", required_argument, 0, 'e'},          {"lambda", required_argument, 0, 'l'},
        {"min-child-weight", required_argument, 0, 'm'},
        {"subsample", required_argument, 0, 'u'},    {"threads", required_argument, 0, 'j'},
        {"out", required_argument, 0, 'o'},          {"json", required_argument, 0, 'J'},
        {"report", required_argument, 0, 'r'},       {"predictions", required_argument, 0, 'p'},
        {"model", required_argument, 0, 'M'},        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *csv = NULL, *target = NULL, *test = NULL, *task_s = "auto", *out_path = "gbdt.qm",
               *json_path = NULL, *report_path = NULL, *pred_path = NULL;
    double split = 0.2;
    unsigned long seed = 1;
    m2c_gbdt_params prm;
    m2c_gbdt_params_default(&prm, M2C_GBDT_REGRESSION);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end = NULL;
        double v = 0;
        if (strchr("SsndeljmuT", c) && c != 'T') {
            v = strtod(optarg, &end);
            if (!*optarg || *end || !isfinite(v))
                return m2c_cli_fail(cmd, "--%s: '%s' is not a number",
                                    c == 'S' ? "split" : c == 's' ? "seed" : c == 'n' ? "trees"
                                    : c == 'd' ? "depth" : c == 'e' ? "eta" : c == 'l' ? "lambda"
                                    : c == 'j' ? "threads" : c == 'm' ? "min-child-weight"
                                                                      : "subsample",
                                    optarg);
            if (strchr("sndj", c) && (v < 0 || v != floor(v) || v > 1e9))
                return m2c_cli_fail(cmd, "--%s: '%s' is not a non-negative integer",
                                    c == 's' ? "seed" : c == 'n' ? "trees" : c == 'd' ? "depth"
                                                                                     : "threads",
                                    optarg);
        }
        switch (c) {
        case 'c': csv = optarg; break;
        case 't': target = optarg; break;
        case 'T': test = optarg; break;
        case 'S':
            if (!(v > 0 && v < 1)) return m2c_cli_fail(cmd, "--split: %s is not in (0, 1)", optarg);
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
        case 'M':
            if (strcmp(optarg, "gbdt")) return m2c_cli_fail(cmd, "--model: only gbdt here");
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !csv || !target) {
        if (!csv || !target) fprintf(stderr, "ml2chain %s: --csv and --target are required\n", cmd);
        usage(stderr);
        return 2;
    }

    int rc = 1;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_csv_table *tr = NULL, *te = NULL;
    size_t *rows_tr = NULL, *rows_te = NULL;
    double *xtr = NULL, *ytr = NULL, *xte = NULL, *yte = NULL, *pf = NULL, *pq = NULL;
    double *gain = NULL, *splits = NULL;
    m2c_ftrees *trees = NULL;
    m2c_qmodel *q = NULL;
    m2c_feature_stats *stats = NULL;
    m2c_gbdt_curve curve;
    memset(&curve, 0, sizeof curve);
    char *json = NULL;
    const char **fnames = NULL;
    m2c_buf qb;
    m2c_buf_init(&qb, 0);

    if (m2c_csv_read(&tr, csv, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot read training data");
        goto out;
    }
    long tcol = m2c_csv_column(tr, target);
    if (tcol < 0) {
        m2c_cli_fail(cmd, "%s: no column named '%s'", csv, target);
        goto out;
    }
    if (tr->cols < 2) {
        m2c_cli_fail(cmd, "%s: no feature columns besides '%s'", csv, target);
        goto out;
    }
    size_t d = tr->cols - 1, ntr, nte;
    if (test) {
        if (m2c_csv_read(&te, test, &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "cannot read held-out data");
            goto out;
        }
        if (te->cols != tr->cols) {
            m2c_cli_fail(cmd, "%s: %zu columns, %s has %zu", test, te->cols, csv, tr->cols);
            goto out;
        }
        for (size_t i = 0; i < te->cols; i++)
            if (strcmp(te->names[i], tr->names[i])) {
                m2c_cli_fail(cmd, "%s: column %zu is '%s', %s has '%s'", test, i + 1,
                             te->names[i], csv, tr->names[i]);
                goto out;
            }
        ntr = tr->rows;
        nte = te->rows;
        rows_tr = malloc(ntr * sizeof *rows_tr);
        rows_te = malloc(nte * sizeof *rows_te);
        if (!rows_tr || !rows_te) goto nomem;
        for (size_t i = 0; i < ntr; i++) rows_tr[i] = i;
        for (size_t i = 0; i < nte; i++) rows_te[i] = i;
    } else {
        size_t n = tr->rows;
        nte = (size_t)llround(split * (double)n);
        if (nte < 1 || nte >= n) {
            m2c_cli_fail(cmd, "%s: %zu rows cannot be split %.2f/%.2f", csv, n, 1 - split, split);
            goto out;
        }
        ntr = n - nte;
        size_t *perm = malloc(n * sizeof *perm);
        if (!perm) goto nomem;
        for (size_t i = 0; i < n; i++) perm[i] = i;
        uint64_t s = seed;
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(splitmix(&s) % (i + 1));
            size_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        rows_te = perm;          /* first nte */
        rows_tr = malloc(ntr * sizeof *rows_tr);
        if (!rows_tr) goto nomem;
        memcpy(rows_tr, perm + nte, ntr * sizeof *rows_tr);
    }
    if (take_rows(tr, (size_t)tcol, rows_tr, ntr, &xtr, &ytr) ||
        take_rows(te ? te : tr, (size_t)tcol, rows_te, nte, &xte, &yte))
        goto nomem;

    /* Task. */
    m2c_gbdt_task task;
    unsigned n_class = 0;
    {
        double mx = 0;
        int integral = 1;
        for (size_t i = 0; i < ntr; i++) {
            if (ytr[i] != floor(ytr[i]) || ytr[i] < 0) integral = 0;
            mx = fmax(mx, ytr[i]);
        }
        if (!strcmp(task_s, "auto")) {
            task = integral && mx < 20 ? (mx <= 1 ? M2C_GBDT_BINARY : M2C_GBDT_MULTICLASS)
                                       : M2C_GBDT_REGRESSION;
        } else if (!strcmp(task_s, "regression")) {
            task = M2C_GBDT_REGRESSION;
        } else if (!strcmp(task_s, "binary")) {
            task = M2C_GBDT_BINARY;
        } else if (!strcmp(task_s, "multiclass")) {
            task = M2C_GBDT_MULTICLASS;
        } else {
            m2c_cli_fail(cmd, "--task: '%s' is not auto, regression, binary or multiclass",
                         task_s);
            goto out;
        }
        if (task == M2C_GBDT_MULTICLASS) {
            n_class = (unsigned)mx + 1;
            for (size_t i = 0; i < nte; i++)
                if (yte[i] + 1 > n_class && yte[i] == floor(yte[i]) && yte[i] < 256)
                    n_class = (unsigned)yte[i] + 1;
        }
    }
    prm.task = task;
    prm.n_class = n_class;
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
        if (m2c_qmodel_predict_real(q, qo, &xte[i * d], &err) != M2C_OK) {
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
        for (unsigned j = 0; j < per; j++) fprintf(f, "%sp%u", j ? "," : "", j);
        for (unsigned j = 0; j < per; j++) fprintf(f, ",f%u", j);
        fprintf(f, "\n");
        for (size_t i = 0; i < nte; i++) {
            for (unsigned j = 0; j < per; j++) fprintf(f, "%s%.9g", j ? "," : "", pq[i * per + j]);
            for (unsigned j = 0; j < per; j++) fprintf(f, ",%.9g", pf[i * per + j]);
            fprintf(f, "\n");
        }
        if (fclose(f) != 0) {
            m2c_cli_fail(cmd, "cannot write %s", pred_path);
            goto out;
        }
    }

    gain = calloc(d, sizeof *gain);
    splits = calloc(d, sizeof *splits);
    fnames = calloc(d, sizeof *fnames);
    if (!gain || !splits || !fnames) goto nomem;
    m2c_ftrees_importance(trees, gain, splits);
    for (size_t c2 = 0, j = 0; c2 < tr->cols; c2++)
        if (c2 != (size_t)tcol) fnames[j++] = tr->names[c2];
    m2c_hash32 h = m2c_qmodel_hash_bytes(qb.p, qb.len);
    char hash[67] = "0x";
    for (int i = 0; i < 32; i++) snprintf(hash + 2 + 2 * i, 3, "%02x", h.b[i]);
    char title[256], subtitle[256];
    snprintf(title, sizeof title, "gbdt: %s \xe2\x86\x92 %s", csv, target);
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
        .feature_names = fnames,
        .n_features = d,
        .importance = gain,
        .importance_kind = "total gain",
        .importance2 = splits,
        .importance2_kind = "number of splits",
        .model_hash = hash,
        .model_bytes = qb.len,
    };
    double vf[4], vq[4];
    const char *names[4];
    size_t nm = m2c_report_metrics(&rep, pf, vf, names);
    m2c_report_metrics(&rep, pq, vq, NULL);
    printf("gbdt: %s, %u trees, depth %u, %zu features; %zu train / %zu held-out rows; "
           "%.3f s\n",
           trees->objective, prm.trees, prm.depth, d, ntr, nte, secs);
    printf("%-10s %12s %12s\n", "metric", "float", "quantized");
    for (size_t i = 0; i < nm; i++) printf("%-10s %12.6f %12.6f\n", names[i], vf[i], vq[i]);
    printf("wrote %s: %zu bytes, model hash %s\n", out_path, qb.len, hash);
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
    m2c_csv_free(tr);
    m2c_csv_free(te);
    free(rows_tr);
    free(rows_te);
    free(xtr);
    free(ytr);
    free(xte);
    free(yte);
    free(pf);
    free(pq);
    free(gain);
    free(splits);
    free(fnames);
    free(json);
    m2c_gbdt_curve_free(&curve);
    m2c_feature_stats_free(stats);
    m2c_ftrees_free(trees);
    m2c_qmodel_free(q);
    return rc;
}

int m2c_cmd_gbdt(int argc, char **argv) {
    return m2c_cmd_train_gbdt(argc, argv);
}
