/* cmd_deploy.c: `ml2chain deploy`: deploys the Coordinator, its OutputCollector and the
 * RiskGate example consumer (and with --template the template-interface pair) from the forge
 * artifacts, and writes a deployment file (docs/deploy.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chaintx.h"
#include "cli.h"
#include "ml2chain/hex.h"
#include "ml2chain/encoding.h"
#include "ml2chain/keccak.h"
#include "ml2chain/u256.h"

#define CMD "deploy"

enum { OPT_OUT = 0x3000, OPT_ARTIFACTS, OPT_TEMPLATE, OPT_TIMEOUT, OPT_RISK_MODEL,
       OPT_RISK_THRESHOLD, OPT_REQUEST_TIMEOUT, OPT_TEMPLATE_OPERATOR };

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain deploy [options]\n"
            "\n"
            "Deploys Coordinator, OutputCollector and RiskGate (with --template also\n"
            "TemplateCoordinator and TemplateOutputCollector) from the forge artifacts, waits\n"
            "for each receipt and writes a deployment file (docs/deploy.md).\n"
            "\n"
            "  --out FILE             deployment file (default deployments/local.json)\n"
            "  --artifacts DIR        forge output (default contracts/out, else the one next\n"
            "                         to the binary); build it with scripts/forge.sh build\n"
            "  --template             also deploy the template-interface coordinator + collector\n"
            "  --template-operator A  allow operator A to fulfil on the template coordinator\n"
            "                         (setOperator(A, true); with --template)\n"
            "  --request-timeout S    seconds before a requester may cancel (default 3600)\n"
            "  --risk-model ID        model RiskGate asks (default 1: the first registered)\n"
            "  --risk-threshold X     RiskGate approves scores below X (default 0.5)\n"
            "  --timeout S            seconds to wait for each receipt (default 120)\n" M2C_CLI_RPC_HELP
            "%s",
            m2c_cli_keyarg_help);
}

typedef struct {
    const char *name;
    m2c_addr20 addr;
    m2c_hash32 code_hash;
    int deployed;
} contract;

/* Reads bytecode.object of DIR/<name>.sol/<name>.json, or in DIR/<sub>/ for the given sub. */
static int load_bytecode(const char *dir, const char *name, uint8_t **code, size_t *n) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.sol/%s.json", dir, name, name);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        if (access(path, R_OK) != 0)
            return m2c_cli_fail(CMD, "missing artifact %s (run scripts/forge.sh build, or give "
                                     "--artifacts DIR)",
                                path),
                   0;
        return m2c_cli_fail(CMD, "artifact %s: line %d: %s", path, je.line, je.text), 0;
    }
    json_t *bc = json_object_get(j, "bytecode");
    json_t *obj = json_is_object(bc) ? json_object_get(bc, "object") : NULL;
    m2c_err err;
    m2c_err_clear(&err);
    int ok = 0;
    if (!json_is_string(obj))
        m2c_cli_fail(CMD, "artifact %s: no bytecode.object", path);
    else if (m2c_hex_decode_alloc(code, n, json_string_value(obj),
                                  strlen(json_string_value(obj)), M2C_HEX_PREFIX_OPTIONAL,
                                  &err) != M2C_OK)
        m2c_cli_fail_err(CMD, &err, "artifact %s: bytecode.object", path);
    else if (*n == 0)
        m2c_cli_fail(CMD, "artifact %s: empty bytecode (an interface or abstract contract?)",
                     path);
    else
        ok = 1;
    if (!ok) {
        free(*code);
        *code = NULL;
    }
    json_decref(j);
    return ok;
}

static int default_artifacts(char *out, size_t cap) {
    struct stat st;
    if (stat("contracts/out", &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(out, cap, "contracts/out");
        return 1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(out, cap, "%.4000s/../contracts/out", exe);
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) return 1;
    }
    snprintf(out, cap, "contracts/out");
    return 1;
}

/* Deploys `c` with code followed by the constructor arguments (sig with text args). */
static int deploy_one(m2c_cli_chain *ch, const char *dir, contract *c, const char *ctor,
                      char **args, int nargs, uint64_t *block) {
    uint8_t *code = NULL;
    size_t n = 0;
    int ok = 0;
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_buf data;
    m2c_buf_init(&data, 0);
    m2c_rpc_receipt r;
    memset(&r, 0, sizeof r);
    if (!load_bytecode(dir, c->name, &code, &n)) goto out;
    c->code_hash = m2c_keccak256(code, n);
    if (m2c_buf_append(&data, code, n) != M2C_OK) {
        m2c_cli_fail(CMD, "out of memory");
        goto out;
    }
    if (ctor) {
        m2c_abi_sig sig;
        if (!m2c_cli_encode_args(CMD, &a, &data, &sig, ctor, args, nargs, 0)) goto out;
    }
    char what[96];
    snprintf(what, sizeof what, "deploy %s", c->name);
    if (!m2c_cli_chain_send(ch, what, NULL, data.p, data.len, NULL, &r)) goto out;
    if (!r.has_contract_address) {
        m2c_cli_fail(CMD, "%s: the receipt has no contractAddress", what);
        goto out;
    }
    c->addr = r.contract_address;
    c->deployed = 1;
    if (*block == 0 || r.block_number < *block) *block = r.block_number;
    char buf[48];
    m2c_addr_checksum(buf, &c->addr);
    printf("%-24s %s  (block %llu, gas %llu)\n", c->name, buf, (unsigned long long)r.block_number,
           (unsigned long long)r.gas_used);
    fflush(stdout);
    ok = 1;
out:
    m2c_rpc_receipt_free(&r);
    m2c_buf_free(&data);
    m2c_arena_free(&a);
    free(code);
    return ok;
}

/* TemplateCoordinator.setOperator(op, true): the template's fulfillers are an allow-list. */
static int set_operator(m2c_cli_chain *ch, const contract *tc, const m2c_addr20 *op) {
    m2c_buf data;
    m2c_buf_init(&data, 0);
    m2c_rpc_receipt r;
    memset(&r, 0, sizeof r);
    m2c_hash32 h = m2c_keccak256("setOperator(address,bool)", 25);
    uint8_t w[32] = {0};
    int ok = 0;
    if (m2c_buf_append(&data, h.b, 4) != M2C_OK) goto oom;
    memcpy(w + 12, op->b, 20);
    if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
    memset(w, 0, 32);
    w[31] = 1;
    if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
    if (!m2c_cli_chain_send(ch, "TemplateCoordinator.setOperator", &tc->addr, data.p, data.len,
                            NULL, &r))
        goto out;
    char buf[48];
    m2c_addr_checksum(buf, op);
    printf("%-24s %s allowed to fulfil\n", "  setOperator", buf);
    ok = 1;
    goto out;
oom:
    m2c_cli_fail(CMD, "out of memory");
out:
    m2c_rpc_receipt_free(&r);
    m2c_buf_free(&data);
    return ok;
}

static int mkdir_parent(const char *path) {
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", path);
    for (char *p = d + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(d, 0755) != 0 && errno != EEXIST) return 0;
        *p = '/';
    }
    return 1;
}

static int write_deployment(const char *path, const m2c_cli_chain *ch, contract *cs, size_t n,
                            uint64_t block, const char *risk_model, const char *risk_threshold) {
    char buf[80];
    json_t *j = json_object(), *addrs = json_object(), *hashes = json_object();
    int ok = 0;
    if (!j || !addrs || !hashes) goto out;
    json_object_set_new(j, "chainId", json_integer((json_int_t)ch->chain_id));
    m2c_addr_checksum(buf, &cs[0].addr);
    json_object_set_new(j, "coordinator", json_string(buf));
    json_object_set_new(j, "deployBlock", json_integer((json_int_t)block));
    m2c_addr_checksum(buf, &ch->key.addr);
    json_object_set_new(j, "deployer", json_string(buf));
    for (size_t i = 0; i < n; i++) {
        if (!cs[i].deployed) continue;
        m2c_addr_checksum(buf, &cs[i].addr);
        json_object_set_new(addrs, cs[i].name, json_string(buf));
        m2c_hex_encode(buf, cs[i].code_hash.b, 32, 1);
        json_object_set_new(hashes, cs[i].name, json_string(buf));
    }
    json_object_set(j, "contracts", addrs);
    json_object_set(j, "artifacts", hashes);
    json_object_set_new(j, "riskGate", json_pack("{s:s,s:s}", "modelId", risk_model, "threshold",
                                                 risk_threshold));
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!mkdir_parent(path)) {
        m2c_cli_fail(CMD, "cannot create the directory of %s: %s", path, strerror(errno));
        goto out;
    }
    if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        rename(tmp, path) != 0) {
        m2c_cli_fail(CMD, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    ok = 1;
out:
    if (!ok && !(j && addrs && hashes)) m2c_cli_fail(CMD, "out of memory");
    json_decref(addrs);
    json_decref(hashes);
    json_decref(j);
    return ok;
}

int m2c_cmd_deploy(int argc, char **argv) {
    static const struct option longopts[] = {
        M2C_CLI_RPC_LONGOPTS,
        M2C_CLI_KEY_OPTIONS,
        {"out", required_argument, NULL, OPT_OUT},
        {"artifacts", required_argument, NULL, OPT_ARTIFACTS},
        {"template", no_argument, NULL, OPT_TEMPLATE},
        {"template-operator", required_argument, NULL, OPT_TEMPLATE_OPERATOR},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
        {"risk-model", required_argument, NULL, OPT_RISK_MODEL},
        {"risk-threshold", required_argument, NULL, OPT_RISK_THRESHOLD},
        {"help", no_argument, NULL, 'h'},
        {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    m2c_cli_keyarg ka = {0};
    const char *out = "deployments/local.json", *artifacts = NULL, *req_timeout = "3600",
               *risk_model = "1", *risk_threshold = "0.5", *tmpl_op = NULL;
    int template = 0, opt;
    long timeout_s = 120;
    unsigned long long u;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag(CMD, &rf, opt, optarg);
        if (k < 0) return 1;
        if (k || m2c_cli_keyarg_opt(&ka, opt, optarg)) continue;
        switch (opt) {
        case OPT_OUT: out = optarg; break;
        case OPT_ARTIFACTS: artifacts = optarg; break;
        case OPT_TEMPLATE: template = 1; break;
        case OPT_TEMPLATE_OPERATOR: tmpl_op = optarg; break;
        case OPT_REQUEST_TIMEOUT: req_timeout = optarg; break;
        case OPT_RISK_MODEL: risk_model = optarg; break;
        case OPT_RISK_THRESHOLD: risk_threshold = optarg; break;
        case OPT_TIMEOUT:
            if (m2c_cli_uint(CMD, "--timeout", optarg, 1, 2592000, "seconds", &u)) return 1;
            timeout_s = (long)u;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind < argc) return m2c_cli_fail(CMD, "unexpected argument \"%.80s\"", argv[optind]);
    if (tmpl_op && !template) return m2c_cli_fail(CMD, "--template-operator needs --template");
    m2c_addr20 op_addr;
    m2c_err aerr;
    m2c_err_clear(&aerr);
    if (tmpl_op && m2c_addr_parse(&op_addr, tmpl_op, &aerr) != M2C_OK)
        return m2c_cli_fail_err(CMD, &aerr, "bad --template-operator \"%.80s\"", tmpl_op);

    /* The threshold in 1e18 fixed point, as RiskGate compares the model's score. */
    m2c_err err;
    m2c_err_clear(&err);
    m2c_u256 thr;
    if (m2c_enc_parse_decimal(&thr, risk_threshold, strlen(risk_threshold), 18, &err) != 0)
        return m2c_cli_fail(CMD, "bad --risk-threshold \"%.80s\": %s", risk_threshold, err.msg);
    char thr_dec[90];
    m2c_i256_to_dec(thr_dec, sizeof thr_dec, &thr);

    char dir[PATH_MAX];
    if (artifacts)
        snprintf(dir, sizeof dir, "%s", artifacts);
    else
        default_artifacts(dir, sizeof dir);
    /* Every artifact must be there before anything is sent. */
    const char *need[] = {"Coordinator", "OutputCollector", "RiskGate", "TemplateCoordinator",
                          "TemplateOutputCollector"};
    for (size_t i = 0; i < (template ? 5u : 3u); i++) {
        uint8_t *code = NULL;
        size_t n = 0;
        if (!load_bytecode(dir, need[i], &code, &n)) return 1;
        free(code);
    }

    int rc = 1;
    m2c_cli_chain ch;
    contract cs[5];
    memset(cs, 0, sizeof cs);
    for (size_t i = 0; i < 5; i++) cs[i].name = need[i];
    uint64_t block = 0;
    if (!m2c_cli_chain_open(&ch, CMD, &rf, &ka)) goto out;
    ch.timeout_s = timeout_s;
    char coord[48];
    {
        char *a0[] = {(char *)req_timeout};
        if (!deploy_one(&ch, dir, &cs[0], "constructor(uint64)", a0, 1, &block)) goto out;
        m2c_addr_checksum(coord, &cs[0].addr);
        char *a1[] = {coord};
        if (!deploy_one(&ch, dir, &cs[1], "constructor(address)", a1, 1, &block)) goto out;
        char *a2[] = {coord, (char *)risk_model, thr_dec};
        if (!deploy_one(&ch, dir, &cs[2], "constructor(address,uint256,int256)", a2, 3, &block))
            goto out;
    }
    if (template) {
        if (!deploy_one(&ch, dir, &cs[3], NULL, NULL, 0, &block)) goto out;
        char tc[48];
        m2c_addr_checksum(tc, &cs[3].addr);
        char *a4[] = {tc};
        if (!deploy_one(&ch, dir, &cs[4], "constructor(address)", a4, 1, &block)) goto out;
        if (tmpl_op && !set_operator(&ch, &cs[3], &op_addr)) goto out;
    }
    if (!write_deployment(out, &ch, cs, 5, block, risk_model, risk_threshold)) goto out;
    printf("deployment written to %s (chain %llu)\n", out, (unsigned long long)ch.chain_id);
    rc = 0;
out:
    m2c_cli_chain_close(&ch);
    return rc;
}
