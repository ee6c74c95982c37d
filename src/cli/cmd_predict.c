/* cmd_predict.c: `ml2chain predict`: run a quantized model on one request input (text or
 * ABI, decoded exactly as a node decodes it: docs/encoding.md) or on every row of a CSV. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mlcli.h"
#include "ml2chain/encoding.h"
#include "ml2chain/hex.h"
#include "ml2chain/u256.h"

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: ml2chain predict --model MODEL.qm (--input TEXT | --input-abi 0xHEX | --csv FILE)\n"
        "                        [--features A,B,C] [--json]\n"
        "\n"
        "  --input \"0.52,1.3,-0.7,2.25\"   text request input; prints the text output "
        "(\"0.8731\")\n"
        "  --input-abi 0x...              abi.encode(int256[]) input (1e18 fixed point); prints "
        "the\n"
        "                                 ABI output as hex\n"
        "  --csv FILE                     predicts every row (features from MODEL.qm.json or\n"
        "                                 --features); prints CSV: outputs, then the label\n"
        "  --json                         one JSON object: output integers, text, label, code\n"
        "\n"
        "A bad input fails with the error code a node would put on chain (docs/encoding.md).\n");
}

static int one(const m2c_qmodel *q, const uint8_t *in, size_t len, int json) {
    m2c_u256 x[M2C_QMODEL_MAX_IN], y[M2C_QMODEL_MAX_OUT];
    int32_t p[M2C_QMODEL_MAX_OUT];
    int label;
    m2c_enc_form form;
    m2c_err err;
    m2c_err_clear(&err);
    m2c_enc_code code = m2c_enc_decode_input(x, q->n_in, &form, q->in_decimals, in, len, &err);
    if (code == M2C_ENC_OK && m2c_qmodel_predict(q, y, p, &label, x, &err) != M2C_OK)
        code = M2C_ENC_RANGE;
    if (code != M2C_ENC_OK) {
        if (json) printf("{\"error\":%u,\"message\":\"%s\"}\n", code, m2c_enc_code_str(code));
        return m2c_cli_fail("predict", "%s (error code %u)", err.msg, code);
    }
    m2c_buf out;
    m2c_buf_init(&out, 0);
    if (m2c_enc_encode_output(&out, form, y, q->n_out, q->out_decimals) != M2C_OK) {
        m2c_buf_free(&out);
        return m2c_cli_fail("predict", "out of memory");
    }
    if (json) {
        m2c_buf t;
        m2c_buf_init(&t, 0);
        if (m2c_enc_encode_text(&t, y, q->n_out, q->out_decimals) != M2C_OK) return 1;
        printf("{\"error\":0,\"output\":[");
        for (unsigned j = 0; j < q->n_out; j++) {
            char s[90];
            m2c_i256_to_dec(s, sizeof s, &y[j]);
            printf("%s\"%s\"", j ? "," : "", s);
        }
        printf("],\"text\":\"%s\",\"label\":", (const char *)t.p);
        if (label < 0)
            printf("null");
        else
            printf("%d", label);
        printf("}\n");
        m2c_buf_free(&t);
    } else if (form == M2C_ENC_ABI) {
        char *hex = m2c_hex_encode_alloc(out.p, out.len, 1);
        printf("%s\n", hex ? hex : "");
        free(hex);
    } else {
        printf("%s\n", (const char *)out.p);
    }
    m2c_buf_free(&out);
    return 0;
}

static int csv(const m2c_qmodel *q, const char *model, const char *path, const char *features) {
    m2c_err err;
    m2c_err_clear(&err);
    m2c_dataset_opts dso;
    memset(&dso, 0, sizeof dso);
    dso.csv = path;
    dso.features = features;
    m2c_sidecar sc;
    int have = m2c_mlcli_read_sidecar(&sc, model, &err), rc = 1;
    char *feats = NULL;
    m2c_dataset *d = NULL;
    if (have < 0) return m2c_cli_fail_err("predict", &err, "cannot read the sidecar");
    if (!features && have) {
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
        rc = m2c_cli_fail_err("predict", &err, "cannot load %s", path);
        goto out;
    }
    if (d->n_features != q->n_in) {
        rc = m2c_cli_fail("predict", "the model takes %u features, %s gives %zu", q->n_in, path,
                          d->n_features);
        goto out;
    }
    for (unsigned j = 0; j < q->n_out; j++)
        printf("%soutput_%u", j ? "," : "", j);
    printf(",label\n");
    for (size_t r = 0; r < d->n_rows; r++) {
        m2c_u256 x[M2C_QMODEL_MAX_IN], y[M2C_QMODEL_MAX_OUT];
        int32_t p[M2C_QMODEL_MAX_OUT];
        int label;
        for (unsigned k = 0; k < q->n_in; k++)
            x[k] = m2c_qmodel_scale_real(d->x[r * q->n_in + k], q->in_decimals);
        if (m2c_qmodel_predict(q, y, p, &label, x, &err)) {
            rc = m2c_cli_fail_err("predict", &err, "%s row %zu", path, r + 1);
            goto out;
        }
        m2c_buf t;
        m2c_buf_init(&t, 0);
        if (m2c_enc_encode_text(&t, y, q->n_out, q->out_decimals) != M2C_OK) goto out;
        printf("%s,", (const char *)t.p);
        if (label >= 0) printf("%d", label);
        printf("\n");
        m2c_buf_free(&t);
    }
    rc = 0;
out:
    free(feats);
    if (have > 0) m2c_mlcli_sidecar_free(&sc);
    m2c_dataset_free(d);
    return rc;
}

int m2c_cmd_predict(int argc, char **argv) {
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"input", required_argument, 0, 'i'},
                                         {"input-abi", required_argument, 0, 'a'},
                                         {"csv", required_argument, 0, 'c'},
                                         {"features", required_argument, 0, 'f'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *input = NULL, *abi = NULL, *path = NULL, *features = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'i': input = optarg; break;
        case 'a': abi = optarg; break;
        case 'c': path = optarg; break;
        case 'f': features = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind < argc) return m2c_cli_fail("predict", "unexpected argument '%s'", argv[optind]);
    if (!model) return m2c_cli_fail("predict", "--model is required");
    if ((input != NULL) + (abi != NULL) + (path != NULL) != 1)
        return m2c_cli_fail("predict", "give exactly one of --input, --input-abi or --csv");
    m2c_err err;
    m2c_err_clear(&err);
    m2c_qmodel *q = NULL;
    if (m2c_qmodel_load_file(&q, model, &err))
        return m2c_cli_fail_err("predict", &err, "cannot load the model");
    int rc;
    if (input) {
        rc = one(q, (const uint8_t *)input, strlen(input), json);
    } else if (abi) {
        uint8_t *bytes = NULL;
        size_t n = 0;
        if (m2c_hex_decode_alloc(&bytes, &n, abi, strlen(abi), M2C_HEX_PREFIX_OPTIONAL, &err)) {
            rc = m2c_cli_fail_err("predict", &err, "--input-abi is not hex");
        } else if (n > 0 && bytes[0] != 0) {
            rc = m2c_cli_fail("predict", "--input-abi: not abi.encode(int256[]) (error code %u)",
                              M2C_ENC_NOT_DECODABLE);
        } else {
            rc = one(q, bytes, n, json);
        }
        free(bytes);
    } else {
        rc = csv(q, model, path, features);
    }
    m2c_qmodel_free(q);
    return rc;
}
