/* cmd_request.c: `ml2chain request`: what a consumer does by hand: quote, pay, request an
 * inference from the Coordinator (answered to the OutputCollector by default), print the
 * request id, and with --wait the output once Fulfilled lands (docs/deploy.md). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chaintx.h"
#include "cli.h"
#include "ml2chain/encoding.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/nodetx.h"
#include "ml2chain/u256.h"

#define CMD "request"
#define MAX_VALUES 4096

enum { OPT_MODEL = 0x3200, OPT_INPUT, OPT_INPUT_ABI, OPT_CALLBACK, OPT_SELECTOR, OPT_GAS_LIMIT,
       OPT_WAIT, OPT_TIMEOUT, OPT_DEPLOYMENT, OPT_COORDINATOR, OPT_VALUE, OPT_FINAL_ONLY };

/* The Coordinator's FINAL_ONLY flag: bit 31 of callbackGasLimit (docs/verification.md). */
#define FINAL_ONLY 0x80000000ul

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain request --model ID (--input \"0.52,1.3\" | --input-abi 0x..)\n"
            "                        (--deployment FILE | --coordinator ADDR) [options]\n"
            "\n"
            "Quotes the model, pays the quote and sends Coordinator.request; prints the request\n"
            "id. --input values are sent as abi.encode(int256[]) in 1e18 fixed point.\n"
            "\n"
            "  --callback ADDR        contract called back (default: the deployment's\n"
            "                         OutputCollector)\n"
            "  --selector SIG|0x..    callback function (default\n"
            "                         rawFulfillInference(uint256,bytes,uint32))\n"
            "  --gas-limit N          callback gas (default 200000)\n"
            "  --value WEI            pay this instead of the quote\n"
            "  --final-only           call back only once the result is final (after the\n"
            "                         model's challenge window, via deliver)\n"
            "  --wait                 wait for Fulfilled and print the output (read back from\n"
            "                         the OutputCollector when it is the callback); with\n"
            "                         --final-only, wait for Delivered and print its output\n"
            "  --timeout S            how long --wait waits (default 120)\n"
            "  --deployment FILE      deployment file written by `ml2chain deploy`\n"
            "  --coordinator ADDR     the Coordinator, instead of --deployment\n" M2C_CLI_RPC_HELP
            "%s",
            m2c_cli_keyarg_help);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static m2c_hash32 topic_of(const char *sig) { return m2c_keccak256(sig, strlen(sig)); }

/* Polls for the first log of `topic0` with topic1 = id from `from` on; 0 on timeout or
 * error (printed), with *waited (ms) counting across calls. */
static int wait_log(m2c_rpc *rpc, const m2c_addr20 *coord, const m2c_hash32 *topic0,
                    const m2c_hash32 *id, uint64_t from, long timeout_s, long *waited,
                    const char *what, const char *model_s, m2c_rpc_logs *logs) {
    m2c_rpc_filter flt;
    memset(&flt, 0, sizeof flt);
    flt.addresses = coord;
    flt.n_addresses = 1;
    flt.topics[0] = topic0;
    flt.n_topic_or[0] = 1;
    flt.topics[1] = id;
    flt.n_topic_or[1] = 1;
    flt.n_topics = 2;
    flt.from = m2c_blockref_num(from);
    flt.to = m2c_blockref_latest();
    long step = 100;
    m2c_err err;
    for (;;) {
        m2c_err_clear(&err);
        if (m2c_rpc_get_logs(rpc, logs, &flt, &err) != M2C_OK) {
            m2c_cli_fail_err(CMD, &err, "waiting for %s", what);
            return 0;
        }
        if (logs->n > 0) return 1;
        m2c_rpc_logs_free(logs);
        memset(logs, 0, sizeof *logs);
        if (*waited >= timeout_s * 1000) {
            m2c_cli_fail(CMD, "no %s event for the request within %ld s (is a node serving model %s?)",
                         what, timeout_s, model_s);
            return 0;
        }
        sleep_ms(step);
        *waited += step;
        if (step < 500) step *= 2;
    }
}

/* Prints output bytes as values when they are strictly abi.encode(int256[]), else as hex. */
static void print_output_bytes(const uint8_t *p, size_t n) {
    m2c_u256 off = n >= 64 ? m2c_u256_from_be32(p) : m2c_u256_from_u64(0);
    m2c_u256 lw = n >= 64 ? m2c_u256_from_be32(p + 32) : m2c_u256_from_u64(0);
    uint64_t o = 0, len = 0;
    if (n >= 64 && m2c_u256_to_u64(&o, &off) && o == 32 && m2c_u256_to_u64(&len, &lw) &&
        len <= MAX_VALUES && n == 64 + 32 * len) {
        printf("output     ");
        for (uint64_t i = 0; i < len; i++) {
            m2c_u256 v = m2c_u256_from_be32(p + 64 + 32 * i);
            char d[96];
            m2c_enc_format_decimal(d, sizeof d, &v, 18, M2C_ENC_TEXT_DIGITS);
            printf("%s%s", i ? "," : "", d);
        }
        printf("\n");
        return;
    }
    char *hex = m2c_hex_encode_alloc(p, n, 1);
    printf("output     %s\n", hex ? hex : "?");
    free(hex);
}

static int encode_call1(m2c_buf *b, const char *sig, const m2c_u256 *arg) {
    m2c_hash32 h = topic_of(sig);
    uint8_t w[32];
    m2c_u256_to_be32(w, arg);
    return m2c_buf_append(b, h.b, 4) == M2C_OK && m2c_buf_append(b, w, 32) == M2C_OK;
}

/* Prints getOutput(requestId)'s (int256[] values, uint32 errorCode) decoded strictly. */
static int print_collector_output(const uint8_t *p, size_t n) {
    if (n < 96 || n % 32) return 0;
    m2c_u256 off = m2c_u256_from_be32(p), ec = m2c_u256_from_be32(p + 32);
    uint64_t o, code, len;
    if (!m2c_u256_to_u64(&o, &off) || !m2c_u256_to_u64(&code, &ec) || code > UINT32_MAX ||
        o != 64)
        return 0;
    m2c_u256 lw = m2c_u256_from_be32(p + 64);
    if (!m2c_u256_to_u64(&len, &lw) || len > MAX_VALUES || n != 96 + 32 * len) return 0;
    printf("output     ");
    for (uint64_t i = 0; i < len; i++) {
        m2c_u256 v = m2c_u256_from_be32(p + 96 + 32 * i);
        char d[96];
        m2c_enc_format_decimal(d, sizeof d, &v, 18, M2C_ENC_TEXT_DIGITS);
        printf("%s%s", i ? "," : "", d);
    }
    printf("\nerror      %llu%s%s\n", (unsigned long long)code, code ? " " : "",
           code ? m2c_enc_code_str((m2c_enc_code)code) : "");
    return 1;
}

int m2c_cmd_request(int argc, char **argv) {
    static const struct option longopts[] = {
        M2C_CLI_RPC_LONGOPTS,
        M2C_CLI_KEY_OPTIONS,
        {"model", required_argument, NULL, OPT_MODEL},
        {"input", required_argument, NULL, OPT_INPUT},
        {"input-abi", required_argument, NULL, OPT_INPUT_ABI},
        {"callback", required_argument, NULL, OPT_CALLBACK},
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"gas-limit", required_argument, NULL, OPT_GAS_LIMIT},
        {"value", required_argument, NULL, OPT_VALUE},
        {"wait", no_argument, NULL, OPT_WAIT},
        {"final-only", no_argument, NULL, OPT_FINAL_ONLY},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"deployment", required_argument, NULL, OPT_DEPLOYMENT},
        {"coordinator", required_argument, NULL, OPT_COORDINATOR},
        {"help", no_argument, NULL, 'h'},
        {0}};
    m2c_cli_rpc_flags rf;
    m2c_cli_rpc_flags_init(&rf);
    m2c_cli_keyarg ka = {0};
    const char *model_s = NULL, *input = NULL, *input_abi = NULL, *callback_s = NULL,
               *selector_s = "rawFulfillInference(uint256,bytes,uint32)", *gas_s = "200000",
               *dep = NULL, *coord_s = NULL, *value_s = NULL;
    int wait = 0, final_only = 0, opt;
    long timeout_s = 120;
    unsigned long long u;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
        int k = m2c_cli_rpc_flag(CMD, &rf, opt, optarg);
        if (k < 0) return 1;
        if (k || m2c_cli_keyarg_opt(&ka, opt, optarg)) continue;
        switch (opt) {
        case OPT_MODEL: model_s = optarg; break;
        case OPT_INPUT: input = optarg; break;
        case OPT_INPUT_ABI: input_abi = optarg; break;
        case OPT_CALLBACK: callback_s = optarg; break;
        case OPT_SELECTOR: selector_s = optarg; break;
        case OPT_GAS_LIMIT: gas_s = optarg; break;
        case OPT_VALUE: value_s = optarg; break;
        case OPT_WAIT: wait = 1; break;
        case OPT_FINAL_ONLY: final_only = 1; break;
        case OPT_DEPLOYMENT: dep = optarg; break;
        case OPT_COORDINATOR: coord_s = optarg; break;
        case OPT_TIMEOUT:
            if (m2c_cli_uint(CMD, "--timeout", optarg, 1, 2592000, "seconds", &u)) return 1;
            timeout_s = (long)u;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind < argc) return m2c_cli_fail(CMD, "unexpected argument \"%.80s\"", argv[optind]);
    m2c_err err;
    m2c_err_clear(&err);
    if (!model_s) return m2c_cli_fail(CMD, "--model ID is required");
    m2c_u256 model;
    if (m2c_u256_parse(&model, model_s, strlen(model_s), &err) != M2C_OK)
        return m2c_cli_fail_err(CMD, &err, "bad --model \"%.80s\"", model_s);
    if (!input == !input_abi) return m2c_cli_fail(CMD, "give one of --input and --input-abi");
    char *gend = NULL;
    unsigned long gas = strtoul(gas_s, &gend, 10);
    if (!*gas_s || *gend || gas == 0 || gas >= FINAL_ONLY)
        return m2c_cli_fail(CMD, "bad --gas-limit \"%.80s\"", gas_s);
    unsigned long gas_field = final_only ? gas | FINAL_ONLY : gas;

    m2c_addr20 coord, callback, collector;
    int have_collector = 0;
    if (dep && coord_s) return m2c_cli_fail(CMD, "give --deployment or --coordinator, not both");
    if (coord_s) {
        if (m2c_addr_parse(&coord, coord_s, &err) != M2C_OK)
            return m2c_cli_fail_err(CMD, &err, "bad --coordinator \"%.80s\"", coord_s);
    } else if (dep) {
        if (!m2c_cli_deployment_addr(CMD, dep, "Coordinator", &coord)) return 1;
        if (!callback_s) {
            if (!m2c_cli_deployment_addr(CMD, dep, "OutputCollector", &collector)) return 1;
            have_collector = 1;
        }
    } else {
        return m2c_cli_fail(CMD, "--deployment FILE or --coordinator ADDR is required");
    }
    if (callback_s) {
        if (m2c_addr_parse(&callback, callback_s, &err) != M2C_OK)
            return m2c_cli_fail_err(CMD, &err, "bad --callback \"%.80s\"", callback_s);
    } else if (have_collector) {
        callback = collector;
    } else {
        return m2c_cli_fail(CMD, "--callback ADDR is required without --deployment");
    }
    uint8_t selector[4];
    if (!strncmp(selector_s, "0x", 2)) {
        if (m2c_hex_decode_exact(selector, 4, selector_s, &err) != M2C_OK)
            return m2c_cli_fail_err(CMD, &err, "bad --selector \"%.80s\"", selector_s);
    } else {
        if (!strchr(selector_s, '('))
            return m2c_cli_fail(CMD, "bad --selector \"%.80s\": expected 0x + 8 hex digits or a "
                                     "signature",
                                selector_s);
        m2c_hash32 h = topic_of(selector_s);
        memcpy(selector, h.b, 4);
    }

    int rc = 1;
    m2c_cli_chain ch;
    memset(&ch, 0, sizeof ch);
    m2c_buf in, data;
    m2c_buf_init(&in, 0);
    m2c_buf_init(&data, 0);
    m2c_u256 *vals = NULL;
    uint8_t *raw = NULL, *ret = NULL;
    size_t raw_len = 0, ret_len = 0;
    m2c_rpc_receipt r;
    memset(&r, 0, sizeof r);
    m2c_rpc_logs logs;
    memset(&logs, 0, sizeof logs);

    if (input) {
        vals = calloc(MAX_VALUES, sizeof *vals);
        if (!vals) {
            m2c_cli_fail(CMD, "out of memory");
            goto out;
        }
        size_t nv = 0;
        const char *s = input;
        for (;;) {
            const char *e = strchr(s, ',');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if (nv == MAX_VALUES) {
                m2c_cli_fail(CMD, "--input has more than %d values", MAX_VALUES);
                goto out;
            }
            if (m2c_enc_parse_decimal(&vals[nv], s, len, 18, &err) != 0) {
                m2c_cli_fail(CMD, "bad --input value %zu \"%.*s\": %s", nv + 1,
                             (int)(len > 40 ? 40 : len), s, err.msg);
                goto out;
            }
            nv++;
            if (!e) break;
            s = e + 1;
        }
        if (m2c_enc_encode_abi(&in, vals, nv) != M2C_OK) {
            m2c_cli_fail(CMD, "out of memory");
            goto out;
        }
    } else {
        if (m2c_hex_decode_alloc(&raw, &raw_len, input_abi, strlen(input_abi),
                                 M2C_HEX_PREFIX_OPTIONAL, &err) != M2C_OK) {
            m2c_cli_fail_err(CMD, &err, "bad --input-abi");
            goto out;
        }
        if (raw_len == 0 || m2c_buf_append(&in, raw, raw_len) != M2C_OK) {
            m2c_cli_fail(CMD, "--input-abi is empty");
            goto out;
        }
    }

    if (!m2c_cli_chain_open(&ch, CMD, &rf, &ka)) goto out;
    ch.timeout_s = timeout_s;

    /* quote(modelId, gasLimit) unless --value */
    m2c_u256 pay;
    if (value_s) {
        if (!m2c_cli_parse_amount(&pay, value_s, &err)) {
            m2c_cli_fail(CMD, "bad --value \"%.80s\": %s", value_s, err.msg);
            goto out;
        }
    } else {
        m2c_u256 g = m2c_u256_from_u64(gas);
        m2c_hash32 h = topic_of("quote(uint256,uint32)");
        uint8_t w[32];
        if (m2c_buf_append(&data, h.b, 4) != M2C_OK) goto oom;
        m2c_u256_to_be32(w, &model);
        if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
        m2c_u256_to_be32(w, &g);
        if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
        if (!m2c_cli_chain_call(ch.rpc, CMD, "quote", &coord, data.p, data.len, &ret, &ret_len))
            goto out;
        if (ret_len != 32) {
            m2c_cli_fail(CMD, "quote: expected 32 bytes, got %zu (is %s a Coordinator?)",
                         ret_len, coord_s ? coord_s : "the deployment's coordinator");
            goto out;
        }
        pay = m2c_u256_from_be32(ret);
        free(ret);
        ret = NULL;
        data.len = 0;
    }

    /* request(uint256 modelId, bytes input, address callback, bytes4 selector, uint32 gas) */
    {
        m2c_hash32 h = topic_of("request(uint256,bytes,address,bytes4,uint32)");
        uint8_t w[32];
        if (m2c_buf_append(&data, h.b, 4) != M2C_OK) goto oom;
        m2c_u256_to_be32(w, &model);
        if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
        m2c_u256 off = m2c_u256_from_u64(160);
        m2c_u256_to_be32(w, &off);
        if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
        memset(w, 0, 32);
        memcpy(w + 12, callback.b, 20);
        if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
        memset(w, 0, 32);
        memcpy(w, selector, 4);
        if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
        m2c_u256 g = m2c_u256_from_u64(gas_field), l = m2c_u256_from_u64(in.len);
        m2c_u256_to_be32(w, &g);
        if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
        m2c_u256_to_be32(w, &l);
        if (m2c_buf_append(&data, w, 32) != M2C_OK) goto oom;
        if (m2c_buf_append(&data, in.p, in.len) != M2C_OK) goto oom;
        memset(w, 0, 32);
        if (in.len % 32 && m2c_buf_append(&data, w, 32 - in.len % 32) != M2C_OK) goto oom;
    }
    if (!m2c_cli_chain_send(&ch, "request", &coord, data.p, data.len, &pay, &r)) goto out;

    m2c_hash32 t_req = topic_of(M2C_SIG_REQUESTED);
    m2c_hash32 req_id;
    int found = 0;
    for (size_t i = 0; i < r.n_logs && !found; i++) {
        const m2c_rpc_log *lg = &r.logs[i];
        if (lg->n_topics == 4 && !memcmp(lg->topics[0].b, t_req.b, 32) &&
            !memcmp(lg->address.b, coord.b, 20)) {
            req_id = lg->topics[1];
            found = 1;
        }
    }
    if (!found) {
        m2c_cli_fail(CMD, "the request transaction has no Requested event");
        goto out;
    }
    char d[96], th[67];
    m2c_u256 rid = m2c_u256_from_be32(req_id.b);
    m2c_u256_to_dec(d, sizeof d, &rid);
    m2c_hex_encode(th, r.transaction_hash.b, 32, 1);
    printf("request id %s\n", d);
    m2c_u256_to_dec(d, sizeof d, &pay);
    printf("paid       %s wei\ntx         %s (block %llu)\n", d, th,
           (unsigned long long)r.block_number);
    fflush(stdout);
    if (!wait) {
        rc = 0;
        goto out;
    }

    /* Wait for Fulfilled(requestId) from the coordinator. */
    m2c_hash32 t_ful = topic_of(M2C_SIG_FULFILLED);
    long waited = 0;
    if (!wait_log(ch.rpc, &coord, &t_ful, &req_id, r.block_number, timeout_s, &waited,
                  "Fulfilled", model_s, &logs))
        goto out;
    const m2c_rpc_log *fl = &logs.v[0];
    /* data: outcome = errorCode << 8 | callbackSuccess, outputHash */
    if (fl->data_len != 64) {
        m2c_cli_fail(CMD, "Fulfilled event data is %zu bytes, expected 64", fl->data_len);
        goto out;
    }
    m2c_u256 ow = m2c_u256_from_be32(fl->data);
    uint64_t outcome = 0;
    if (!m2c_u256_to_u64(&outcome, &ow) || outcome >> 40) {
        m2c_cli_fail(CMD, "Fulfilled outcome word is out of range");
        goto out;
    }
    uint64_t ec = outcome >> 8, cbok = outcome & 1;
    /* the operator is the fulfilling transaction's sender (the event does not repeat it) */
    m2c_rpc_receipt frc;
    memset(&frc, 0, sizeof frc);
    m2c_err ferr;
    if (m2c_rpc_get_receipt(ch.rpc, &frc, &fl->transaction_hash, &ferr) != M2C_OK) {
        m2c_cli_fail_err(CMD, &ferr, "fulfilment receipt");
        goto out;
    }
    char opbuf[48], oh[67];
    m2c_addr_checksum(opbuf, &frc.from);
    m2c_rpc_receipt_free(&frc);
    m2c_hex_encode(oh, fl->data + 32, 32, 1);
    printf("fulfilled  block %llu by %s\ncallback   %s\noutputHash %s\n",
           (unsigned long long)fl->block_number, opbuf,
           final_only ? "when final (deliver)" : cbok ? "ok" : "reverted", oh);
    if (ec)
        printf("errorCode  %llu %s\n", (unsigned long long)ec,
               m2c_enc_code_str((m2c_enc_code)ec));
    if (final_only) {
        /* Delivered(requestId, caller, errorCode, callbackSuccess, output): after the window
         * by deliver, or at once with the corrected output by a challenge */
        fflush(stdout);
        uint64_t from = fl->block_number;
        uint8_t fulfilled_hash[32];
        memcpy(fulfilled_hash, fl->data + 32, 32);
        m2c_rpc_logs_free(&logs);
        memset(&logs, 0, sizeof logs);
        m2c_hash32 t_del = topic_of("Delivered(uint256,address,uint32,bool,bytes)");
        if (!wait_log(ch.rpc, &coord, &t_del, &req_id, from, timeout_s, &waited, "Delivered",
                      model_s, &logs))
            goto out;
        const m2c_rpc_log *dl = &logs.v[0];
        m2c_u256 w0, w1, w2, w3;
        uint64_t dcode = 0, dok = 0, doff = 0, dlen = 0;
        if (dl->n_topics < 3 || dl->data_len < 128) {
            m2c_cli_fail(CMD, "Delivered event data is %zu bytes, expected at least 128",
                         dl->data_len);
            goto out;
        }
        w0 = m2c_u256_from_be32(dl->data), w1 = m2c_u256_from_be32(dl->data + 32);
        w2 = m2c_u256_from_be32(dl->data + 64), w3 = m2c_u256_from_be32(dl->data + 96);
        if (!m2c_u256_to_u64(&dcode, &w0) || dcode > UINT32_MAX || !m2c_u256_to_u64(&dok, &w1) ||
            dok > 1 || !m2c_u256_to_u64(&doff, &w2) || doff != 96 ||
            !m2c_u256_to_u64(&dlen, &w3) || dlen > dl->data_len - 128) {
            m2c_cli_fail(CMD, "Delivered event data is malformed");
            goto out;
        }
        m2c_addr20 by;
        memcpy(by.b, dl->topics[2].b + 12, 20);
        m2c_addr_checksum(opbuf, &by);
        printf("delivered  block %llu by %s\ncallback   %s\n", (unsigned long long)dl->block_number,
               opbuf, dok ? "ok" : "reverted");
        m2c_hash32 dh = m2c_keccak256(dl->data + 128, (size_t)dlen);
        if (memcmp(dh.b, fulfilled_hash, 32) || dcode != ec)
            printf("corrected  by a challenge (the fulfilled result was wrong)\n");
        print_output_bytes(dl->data + 128, (size_t)dlen);
        printf("error      %llu%s%s\n", (unsigned long long)dcode, dcode ? " " : "",
               dcode ? m2c_enc_code_str((m2c_enc_code)dcode) : "");
        rc = 0;
        goto out;
    }
    if (have_collector && cbok) {
        data.len = 0;
        if (!encode_call1(&data, "getOutput(uint256)", &rid)) goto oom;
        if (!m2c_cli_chain_call(ch.rpc, CMD, "getOutput", &collector, data.p, data.len, &ret,
                                &ret_len))
            goto out;
        if (!print_collector_output(ret, ret_len)) {
            m2c_cli_fail(CMD, "getOutput: cannot decode %zu bytes as (int256[],uint32)", ret_len);
            goto out;
        }
    }
    rc = 0;
    goto out;
oom:
    m2c_cli_fail(CMD, "out of memory");
out:
    m2c_cli_chain_close(&ch);
    m2c_rpc_logs_free(&logs);
    m2c_rpc_receipt_free(&r);
    m2c_buf_free(&in);
    m2c_buf_free(&data);
    free(vals);
    free(raw);
    free(ret);
    return rc;
}
