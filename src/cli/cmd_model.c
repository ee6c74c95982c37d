/* cmd_model.c: `ml2chain model inspect|hash`: what a qmodel file holds, and its keccak-256
 * (the model hash registered on chain). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mlcli.h"
#include "ml2chain/hex.h"

int m2c_cmd_model_import(int argc, char **argv); /* cmd_import.c */

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: ml2chain model inspect MODEL.qm   kind, sizes, scaling, layers or trees, hash\n"
        "       ml2chain model hash MODEL.qm      keccak-256 of the file (the on-chain model "
        "hash)\n"
        "       ml2chain model import MODEL       ONNX MLP or XGBoost JSON into a qmodel (-h: "
        "options)\n"
        "       ml2chain model register|set-fee|retire|withdraw ...   on the Coordinator (--help each)\n");
}

static int inspect(const char *path) {
    m2c_err err;
    m2c_err_clear(&err);
    m2c_qmodel *q = NULL;
    if (m2c_qmodel_load_file(&q, path, &err))
        return m2c_cli_fail_err("model", &err, "cannot load the model");
    char hh[67];
    m2c_mlcli_hash_hex(hh, q);
    printf("file        %s\n", path);
    printf("format      qmodel v%d, Q%d fixed point\n", M2C_QMODEL_VERSION, M2C_QMODEL_FRAC_BITS);
    printf("kind        %s\n", m2c_qkind_str(q->kind));
    printf("transform   %s\n", m2c_qtransform_str(q->transform));
    printf("inputs      %u (x 1e%u)\n", q->n_in, q->in_decimals);
    printf("outputs     %u (x 1e%u)\n", q->n_out, q->out_decimals);
    if (q->layers) {
        printf("layers      %u:", q->count);
        for (unsigned i = 0; i < q->count; i++)
            printf(" %u %s%s", q->layers[i].width, m2c_qact_str(q->layers[i].act),
                   i + 1 < q->count ? "," : "");
        printf("\n");
    } else {
        size_t nodes = 0, leaves = 0;
        for (unsigned i = 0; i < q->count; i++) {
            nodes += q->trees[i].n_nodes;
            for (unsigned k = 0; k < q->trees[i].n_nodes; k++)
                leaves += q->trees[i].nodes[k].feature == M2C_QMODEL_LEAF;
        }
        printf("trees       %u (%zu nodes, %zu leaves)\n", q->count, nodes, leaves);
    }
    printf("parameters  %zu\n", m2c_qmodel_params(q));
    printf("size        %zu bytes\n", m2c_qmodel_size(q));
    printf("hash        %s\n", hh);
    m2c_sidecar sc;
    int have = m2c_mlcli_read_sidecar(&sc, path, &err);
    if (have > 0) {
        printf("target      %s\n", sc.target);
        printf("features   ");
        for (size_t i = 0; i < sc.n_features; i++)
            printf(" %s", sc.features[i]);
        printf("\n");
        m2c_mlcli_sidecar_free(&sc);
    }
    m2c_qmodel_free(q);
    return 0;
}

static int hash(const char *path) {
    m2c_err err;
    m2c_err_clear(&err);
    m2c_qmodel *q = NULL;
    /* the hash is over the file bytes; loading first refuses to hash a file that is not a
     * valid model (its bytes equal the canonical serialization when it loads) */
    if (m2c_qmodel_load_file(&q, path, &err))
        return m2c_cli_fail_err("model", &err, "cannot load the model");
    char hh[67];
    m2c_mlcli_hash_hex(hh, q);
    printf("%s\n", hh);
    m2c_qmodel_free(q);
    return 0;
}

int m2c_model_chain(int argc, char **argv); /* cmd_model_chain.c */

int m2c_cmd_model(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "import")) return m2c_cmd_model_import(argc - 1, argv + 1);
    if (argc >= 2 &&
        (!strcmp(argv[1], "register") || !strcmp(argv[1], "set-fee") || !strcmp(argv[1], "retire") ||
         !strcmp(argv[1], "withdraw")))
        return m2c_model_chain(argc, argv);
    if (argc < 2 || m2c_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "inspect") || !strcmp(argv[1], "hash")) {
        if (argc != 3) return m2c_cli_fail("model", "%s needs exactly one model file", argv[1]);
        return argv[1][0] == 'i' ? inspect(argv[2]) : hash(argv[2]);
    }
    return m2c_cli_fail(
        "model", "unknown subcommand '%s' (inspect, hash, import, register, set-fee, retire, withdraw)",
        argv[1]);
}
