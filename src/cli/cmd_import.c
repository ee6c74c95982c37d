/* cmd_import.c: `ml2chain model import MODEL` (dispatched from cmd_model.c): an ONNX
 * MLP or an XGBoost JSON model into a qmodel file, optionally calibrated on data and checked
 * row by row against the float model. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ml2chain/dataset.h"
#include "ml2chain/import.h"
#include "ml2chain/keccak.h"
#include "ml2chain/qmodel.h"
#include "ml2chain/train.h"

int m2c_cmd_model_import(int argc, char **argv);

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain model import MODEL [options]\n"
            "\n"
            "Converts an ONNX MLP (.onnx) or an XGBoost JSON model (save_model(\"x.json\")) into\n"
            "a qmodel file (docs/qmodel.md, docs/import.md).\n"
            "\n"
            "  --out FILE            qmodel to write (default: MODEL with extension .qm)\n"
            "  --format F            onnx | xgboost (default: from the file's first byte)\n"
            "  --calibration CSV     feature rows (header row) for the input scaling: mean/std\n"
            "                        for ONNX, min/max widening the threshold range for trees\n"
            "  --target COL          a column of the CSVs that is not a feature (dropped)\n"
            "  --output-scale S      ONNX regression: divide the last layer by S >= 1 (outputs\n"
            "                        beyond +-32768 need it; default 1)\n"
            "  --decimals-in D       request inputs are x * 10^D (default 18)\n"
            "  --decimals-out D      outputs are y * 10^D (default 18)\n"
            "  --compare CSV         run float and quantized models on these rows; print the\n"
            "                        largest difference and label agreement\n"
            "  --predictions FILE    with --compare: write the quantized outputs (p0,...) and\n"
            "                        the float outputs (f0,...) per row as CSV\n");
}

/* Feature rows from a CSV: every numeric column but `target` (may be NULL). */
static m2c_status load_rows(m2c_dataset **out, const char *path, const char *target, m2c_err *err) {
    m2c_dataset_opts o;
    memset(&o, 0, sizeof o);
    o.csv = path;
    o.target = target;
    return m2c_dataset_load(out, &o, err);
}

static int is_classifier(uint8_t transform) {
    return transform != M2C_FOUT_IDENTITY;
}

static int argmax(const double *p, size_t n) {
    size_t b = 0;
    for (size_t j = 1; j < n; j++)
        if (p[j] > p[b]) b = j;
    return (int)b;
}

int m2c_cmd_model_import(int argc, char **argv) {
    const char *cmd = "model import";
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"format", required_argument, 0, 'f'},
                                         {"calibration", required_argument, 0, 'c'},
                                         {"target", required_argument, 0, 't'},
                                         {"output-scale", required_argument, 0, 's'},
                                         {"decimals-in", required_argument, 0, 'i'},
                                         {"decimals-out", required_argument, 0, 'D'},
                                         {"compare", required_argument, 0, 'C'},
                                         {"predictions", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out_path = NULL, *format = NULL, *calib = NULL, *target = NULL, *compare = NULL,
               *pred_path = NULL;
    double out_scale = 1;
    long d_in = 18, d_out = 18;
    int c, rc = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:f:c:t:h", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'f': format = optarg; break;
        case 'c': calib = optarg; break;
        case 't': target = optarg; break;
        case 'C': compare = optarg; break;
        case 'p': pred_path = optarg; break;
        case 's':
            out_scale = strtod(optarg, &end);
            if (*end || !(out_scale >= 1) || !isfinite(out_scale))
                return m2c_cli_fail(cmd, "--output-scale: '%s' is not a number >= 1", optarg);
            break;
        case 'i':
        case 'D': {
            long v = strtol(optarg, &end, 10);
            if (*end || !*optarg || v < 0 || v > M2C_QMODEL_MAX_DECIMALS)
                return m2c_cli_fail(cmd, "--decimals-%s: '%s' is not in 0..%d",
                                    c == 'i' ? "in" : "out", optarg, M2C_QMODEL_MAX_DECIMALS);
            if (c == 'i')
                d_in = v;
            else
                d_out = v;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    if (pred_path && !compare) return m2c_cli_fail(cmd, "--predictions needs --compare");
    const char *in_path = argv[optind];
    m2c_err err;
    m2c_err_clear(&err);
    m2c_ftrees *trees = NULL;
    m2c_fmlp *mlp = NULL;
    m2c_qmodel *q = NULL;
    m2c_feature_stats *stats = NULL;
    m2c_dataset *ct = NULL, *cmp = NULL;
    char *auto_out = NULL;
    FILE *pf = NULL;

    if (!format) {
        FILE *f = fopen(in_path, "rb");
        if (!f) {
            m2c_cli_fail(cmd, "cannot open %s: %s", in_path, strerror(errno));
            goto out;
        }
        int ch;
        do
            ch = fgetc(f);
        while (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t');
        fclose(f);
        format = ch == '{' ? "xgboost" : "onnx";
    }
    int is_xgb = !strcmp(format, "xgboost") || !strcmp(format, "xgb");
    if (!is_xgb && strcmp(format, "onnx")) {
        m2c_cli_fail(cmd, "--format: '%s' is not onnx or xgboost", format);
        goto out;
    }
    if ((is_xgb ? m2c_xgb_parse_file(&trees, in_path, &err)
                : m2c_onnx_parse_file(&mlp, in_path, &err)) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot import model");
        goto out;
    }
    uint32_t n_in = is_xgb ? trees->n_features : mlp->n_in;
    uint32_t n_out = is_xgb ? trees->n_out : mlp->n_out;
    uint8_t transform = is_xgb ? trees->transform : mlp->transform;

    if (calib) {
        if (load_rows(&ct, calib, target, &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "cannot read calibration data");
            goto out;
        }
        if (ct->n_features != n_in) {
            m2c_cli_fail(cmd, "%s: %zu feature columns, the model takes %u", calib, ct->n_features,
                         n_in);
            goto out;
        }
        if (m2c_feature_stats_compute(&stats, ct->x, ct->n_rows, ct->n_features, &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "%s", calib);
            goto out;
        }
    }
    m2c_status st =
        is_xgb
            ? m2c_ftrees_to_qmodel(&q, trees, stats, (unsigned)d_in, (unsigned)d_out, &err)
            : m2c_fmlp_to_qmodel(&q, mlp, stats, out_scale, (unsigned)d_in, (unsigned)d_out, &err);
    if (st != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot quantize %s", in_path);
        goto out;
    }
    if (!out_path) {
        size_t n = strlen(in_path);
        const char *dot = strrchr(in_path, '.'), *slash = strrchr(in_path, '/');
        if (dot && (!slash || dot > slash)) n = (size_t)(dot - in_path);
        if (!(auto_out = malloc(n + 4))) goto nomem;
        snprintf(auto_out, n + 4, "%.*s.qm", (int)n, in_path);
        out_path = auto_out;
    }
    if (m2c_qmodel_save_file(q, out_path, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot write %s", out_path);
        goto out;
    }
    {
        m2c_buf b;
        m2c_buf_init(&b, 0);
        if (m2c_qmodel_serialize(&b, q, &err) != M2C_OK) {
            m2c_buf_free(&b);
            m2c_cli_fail_err(cmd, &err, "cannot serialize");
            goto out;
        }
        m2c_hash32 h = m2c_qmodel_hash_bytes(b.p, b.len);
        printf("imported %s %s: %u inputs, %u output%s, %s", is_xgb ? "xgboost" : "onnx",
               m2c_qkind_str(q->kind), n_in, n_out, n_out == 1 ? "" : "s",
               m2c_qtransform_str(q->transform));
        if (is_xgb)
            printf(", %zu trees (%s)", trees->n_trees, trees->objective);
        else {
            printf(", layers %u", mlp->layers[0].n_in);
            for (uint32_t l = 0; l < mlp->n_layers; l++)
                printf("-%u%s%s", mlp->layers[l].n_out, mlp->layers[l].act ? ":" : "",
                       mlp->layers[l].act ? m2c_qact_str(mlp->layers[l].act) : "");
        }
        printf("\nwrote %s: %zu bytes, model hash 0x", out_path, b.len);
        for (int i = 0; i < 32; i++)
            printf("%02x", h.b[i]);
        printf("\n");
        m2c_buf_free(&b);
    }

    if (compare) {
        if (load_rows(&cmp, compare, target, &err) != M2C_OK) {
            m2c_cli_fail_err(cmd, &err, "cannot read comparison rows");
            goto out;
        }
        size_t nf = cmp->n_features;
        if (nf != n_in) {
            m2c_cli_fail(cmd, "%s: %zu feature columns, the model takes %u", compare, nf, n_in);
            goto out;
        }
        const double *x = cmp->x;
        if (pred_path) {
            if (!(pf = fopen(pred_path, "w"))) {
                m2c_cli_fail(cmd, "cannot write %s: %s", pred_path, strerror(errno));
                goto out;
            }
            for (uint32_t j = 0; j < n_out; j++)
                fprintf(pf, "%sp%u", j ? "," : "", j);
            for (uint32_t j = 0; j < n_out; j++)
                fprintf(pf, ",f%u", j);
            fprintf(pf, "\n");
        }
        double maxd = 0, fo[M2C_QMODEL_MAX_OUT], qo[M2C_QMODEL_MAX_OUT];
        size_t agree = 0;
        for (size_t r = 0; r < cmp->n_rows; r++) {
            const double *xr = &x[r * nf];
            if (is_xgb)
                m2c_ftrees_predict(trees, fo, NULL, xr);
            else
                m2c_fmlp_predict(mlp, fo, xr);
            if (m2c_qmodel_predict_double(q, qo, xr, &err) != M2C_OK) {
                m2c_cli_fail_err(cmd, &err, "%s: row %zu", compare, r + 1);
                goto out;
            }
            for (uint32_t j = 0; j < n_out; j++)
                maxd = fmax(maxd, fabs(fo[j] - qo[j]));
            if (is_classifier(transform))
                agree += n_out == 1 ? (fo[0] >= 0.5) == (qo[0] >= 0.5)
                                    : argmax(fo, n_out) == argmax(qo, n_out);
            if (pf) {
                for (uint32_t j = 0; j < n_out; j++)
                    fprintf(pf, "%s%.9g", j ? "," : "", qo[j]);
                for (uint32_t j = 0; j < n_out; j++)
                    fprintf(pf, ",%.9g", fo[j]);
                fprintf(pf, "\n");
            }
        }
        printf("compare: %zu rows, max |float - quantized| %.3g", cmp->n_rows, maxd);
        if (is_classifier(transform)) printf(", labels agree on %zu of %zu", agree, cmp->n_rows);
        printf("\n");
        if (pf && fclose(pf) != 0) {
            pf = NULL;
            m2c_cli_fail(cmd, "cannot write %s", pred_path);
            goto out;
        }
        pf = NULL;
    }
    rc = 0;
    goto out;
nomem:
    m2c_cli_fail(cmd, "out of memory");
out:
    if (pf) fclose(pf);
    free(auto_out);
    m2c_dataset_free(ct);
    m2c_dataset_free(cmp);
    m2c_feature_stats_free(stats);
    m2c_qmodel_free(q);
    m2c_ftrees_free(trees);
    m2c_fmlp_free(mlp);
    return rc;
}
