/* rpc_logs.c: eth_getLogs throughput of the rpc client. For REPS rounds it fetches every log
 * of ADDRESS with m2c_rpc_call_raw (transport only) and parses the same body with
 * m2c_rpc_parse_logs_body, then times the full m2c_rpc_get_logs; prints one line per phase.
 * usage: rpc_logs URL ADDRESS REPS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml2chain/hex.h"
#include "ml2chain/rpc.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: rpc_logs URL ADDRESS REPS\n");
        return 2;
    }
    int reps = atoi(argv[3]);
    m2c_err err;
    m2c_addr20 addr;
    if (m2c_addr_parse(&addr, argv[2], &err) != M2C_OK) {
        fprintf(stderr, "address: %s\n", err.msg);
        return 1;
    }
    m2c_rpc *c = NULL;
    if (m2c_rpc_create(&c, argv[1], NULL, &err) != M2C_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    m2c_rpc_filter f = {0};
    f.addresses = &addr;
    f.n_addresses = 1;
    f.from = m2c_blockref_num(0);
    f.to = m2c_blockref_latest();
    json_t *filter = NULL;
    if (m2c_rpc_filter_json(&filter, &f, &err) != M2C_OK) return 1;
    json_t *params = json_pack("[O]", filter);
    double t_fetch = 0, t_parse = 0, t_full = 0;
    size_t n = 0, bytes = 0;
    m2c_buf body;
    m2c_buf_init(&body, 0);
    for (int r = 0; r < reps; r++) {
        uint64_t id;
        double t0 = now();
        if (m2c_rpc_call_raw(c, &body, &id, "eth_getLogs", params, &err) != M2C_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double t1 = now();
        m2c_rpc_logs logs;
        if (m2c_rpc_parse_logs_body(&logs, (const char *)body.p, body.len, id, &err) != M2C_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double t2 = now();
        n = logs.n;
        bytes = body.len;
        m2c_rpc_logs_free(&logs);
        double t3 = now();
        if (m2c_rpc_get_logs(c, &logs, &f, &err) != M2C_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        double t4 = now();
        m2c_rpc_logs_free(&logs);
        t_fetch += t1 - t0;
        t_parse += t2 - t1;
        t_full += t4 - t3;
    }
    printf("logs %zu, body %.1f MB, reps %d\n", n, (double)bytes / 1e6, reps);
    printf("transport only  %8.1f ms  %10.0f logs/s\n", 1e3 * t_fetch / reps, n * reps / t_fetch);
    printf("parse only      %8.1f ms  %10.0f logs/s  %6.0f MB/s\n", 1e3 * t_parse / reps,
           n * reps / t_parse, (double)bytes * reps / t_parse / 1e6);
    printf("get_logs        %8.1f ms  %10.0f logs/s\n", 1e3 * t_full / reps, n * reps / t_full);
    json_decref(params);
    json_decref(filter);
    m2c_buf_free(&body);
    m2c_rpc_destroy(c);
    return 0;
}
