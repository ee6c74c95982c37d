/* bench_abi.c: throughput of the ABI codec on the shapes the extractor and node see: ERC-20
 * Transfer logs (decode + format as table cells), a log with dynamic fields, a long
 * uint256[] and calldata encoding. Prints one line per measurement; CPU time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml2chain/abi.h"
#include "ml2chain/u256.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile size_t sink; /* keeps results alive */

static void report(const char *what, double secs, double ops, double bytes) {
    if (bytes > 0)
        printf("%-44s %10.1f MB/s  %12.0f ops/s\n", what, bytes / secs / 1e6, ops / secs);
    else
        printf("%-44s %10s       %12.0f ops/s\n", what, "", ops / secs);
}

static void die(const char *what, const m2c_err *e) {
    fprintf(stderr, "bench_abi: %s: %s\n", what, e ? e->msg : "failed");
    exit(1);
}

static void bench_transfer(void) {
    m2c_arena sigs;
    m2c_arena_init(&sigs, 0);
    m2c_abi_sig ev;
    m2c_err e;
    if (m2c_abi_sig_parse(&sigs, &ev,
                          "event Transfer(address indexed from, address indexed to, uint256 "
                          "value)",
                          M2C_ABI_EVENT, &e))
        die("sig", &e);
    m2c_hash32 topics[3] = {ev.topic0};
    memset(topics[1].b + 12, 0xab, 20);
    memset(topics[2].b + 12, 0xcd, 20);
    uint8_t data[32] = {0};
    data[20] = 0x0d, data[21] = 0xe0, data[22] = 0xb6, data[23] = 0xb3; /* ~1e18 */
    long n = 2000000;
    m2c_arena a;
    m2c_arena_init(&a, 0);
    double t = now();
    for (long i = 0; i < n; i++) {
        m2c_abi_value v;
        if (m2c_abi_decode_log(&a, &v, &ev, topics, 3, data, 32, 0, &e)) die("decode", &e);
        sink += v.n;
        if ((i & 1023) == 1023) {
            m2c_arena_free(&a);
            m2c_arena_init(&a, 0);
        }
    }
    report("decode_log Transfer (3 topics, 32 B data)", now() - t, (double)n, 0);

    m2c_buf b;
    m2c_buf_init(&b, 0);
    m2c_abi_value v;
    if (m2c_abi_decode_log(&a, &v, &ev, topics, 3, data, 32, 0, &e)) die("decode", &e);
    n = 1000000;
    t = now();
    for (long i = 0; i < n; i++) {
        m2c_buf_reset(&b);
        for (size_t k = 0; k < v.n; k++)
            if (m2c_abi_value_cell(&b, &v.items[k])) die("cell", NULL);
        sink += b.len;
    }
    report("Transfer values as 3 table cells", now() - t, (double)n, 0);
    m2c_buf_free(&b);
    m2c_arena_free(&a);
    m2c_arena_free(&sigs);
}

static void bench_dynamic_log(void) {
    m2c_arena sigs;
    m2c_arena_init(&sigs, 0);
    m2c_abi_sig ev;
    m2c_err e;
    if (m2c_abi_sig_parse(&sigs, &ev,
                          "event Note(address indexed who, string text, bytes data, uint256[] xs)",
                          M2C_ABI_EVENT, &e))
        die("sig", &e);
    m2c_abi_value args;
    if (m2c_abi_value_parse(&sigs, &args, ev.inputs,
                            "(0x00000000000000000000000000000000000000aa, \"a note of some "
                            "length, forty-odd bytes\", 0x0102030405060708090a, [1, 2, 3, 4])",
                            &e))
        die("args", &e);
    /* the data is the encoding of the non-indexed fields */
    const m2c_abi_type *dt;
    m2c_abi_field fs[3] = {ev.inputs->fields[1], ev.inputs->fields[2], ev.inputs->fields[3]};
    if (m2c_abi_tuple_make(&sigs, &dt, fs, 3, &e)) die("tuple", &e);
    m2c_abi_value dv = {.type = dt, .items = args.items + 1, .n = 3};
    m2c_buf data;
    m2c_buf_init(&data, 0);
    if (m2c_abi_encode(&data, &dv, &e)) die("encode", &e);
    m2c_hash32 topics[2] = {ev.topic0};
    memset(topics[1].b + 12, 0xaa, 20);
    long n = 1000000;
    m2c_arena a;
    m2c_arena_init(&a, 0);
    double t = now();
    for (long i = 0; i < n; i++) {
        m2c_abi_value v;
        if (m2c_abi_decode_log(&a, &v, &ev, topics, 2, data.p, data.len, 0, &e)) die("log", &e);
        sink += v.n;
        if ((i & 1023) == 1023) {
            m2c_arena_free(&a);
            m2c_arena_init(&a, 0);
        }
    }
    char what[64];
    snprintf(what, sizeof what, "decode_log string+bytes+uint256[4] (%zu B)", data.len);
    report(what, now() - t, (double)n, (double)n * (double)data.len);
    m2c_arena_free(&a);
    m2c_buf_free(&data);
    m2c_arena_free(&sigs);
}

static void bench_big_array(void) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    const m2c_abi_type *t;
    m2c_err e;
    if (m2c_abi_type_parse(&a, &t, "(uint256[])", 11, &e)) die("type", &e);
    size_t count = 10000;
    m2c_abi_value arr = {.type = t->fields[0].type, .n = count};
    arr.items = m2c_arena_calloc(&a, count, sizeof *arr.items);
    for (size_t i = 0; i < count; i++) {
        arr.items[i].type = t->fields[0].type->elem;
        arr.items[i].word = m2c_u256_from_u64(i * 2654435761u);
    }
    m2c_abi_value top = {.type = t, .items = &arr, .n = 1};
    m2c_buf enc;
    m2c_buf_init(&enc, 0);
    int reps = 300;
    double t0 = now();
    for (int r = 0; r < reps; r++) {
        m2c_buf_reset(&enc);
        if (m2c_abi_encode(&enc, &top, &e)) die("encode", &e);
    }
    report("encode uint256[10000]", now() - t0, reps, (double)reps * (double)enc.len);
    t0 = now();
    for (int r = 0; r < reps; r++) {
        m2c_arena d;
        m2c_arena_init(&d, 0);
        m2c_abi_value v;
        if (m2c_abi_decode(&d, &v, t, enc.p, enc.len, 0, &e)) die("decode", &e);
        sink += v.items[0].n;
        m2c_arena_free(&d);
    }
    report("decode uint256[10000]", now() - t0, reps, (double)reps * (double)enc.len);
    m2c_buf_free(&enc);
    m2c_arena_free(&a);
}

static void bench_calldata(void) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig s;
    m2c_err e;
    if (m2c_abi_sig_parse(&a, &s, "request(bytes32,int256[],address,bytes4)", M2C_ABI_FUNCTION, &e))
        die("sig", &e);
    m2c_abi_value args;
    if (m2c_abi_value_parse(&a, &args, s.inputs,
                            "(0x1111111111111111111111111111111111111111111111111111111111111111,"
                            " [520000000000000000, -1300000000000000000, 700000000000000000, "
                            "2250000000000000000], 0x00000000000000000000000000000000000000bb, "
                            "0x12345678)",
                            &e))
        die("args", &e);
    m2c_buf b;
    m2c_buf_init(&b, 0);
    long n = 1000000;
    double t = now();
    for (long i = 0; i < n; i++) {
        m2c_buf_reset(&b);
        if (m2c_abi_encode_call(&b, &s, &args, &e)) die("encode", &e);
        sink += b.len;
    }
    report("encode_call request(bytes32,int256[4],...)", now() - t, (double)n, 0);
    m2c_buf_free(&b);
    m2c_arena_free(&a);
}

int main(void) {
    bench_transfer();
    bench_dynamic_log();
    bench_big_array();
    bench_calldata();
    return 0;
}
