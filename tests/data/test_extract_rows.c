/* Tests for src/data/extract_rows.c: a fetched chunk of logs becomes rows of the event tables
 * and of undecoded_logs, cell by cell. The logs come through the eth_getLogs parser, as they
 * do in a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/data/extract_impl.h"
#include "ml2chain/abi.h"
#include "ml2chain/hex.h"
#include "ml2chain/rpc.h"
#include "test.h"

#define BLOCK_HASH                                                                                 \
    "0x"                                                                                           \
    "11111111111111111111111111111111"                                                             \
    "11111111111111111111111111111111"
#define TX_A                                                                                       \
    "0x"                                                                                           \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"                                                             \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TX_B                                                                                       \
    "0x"                                                                                           \
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"                                                             \
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define EMITTER "0x5fbdb2315678afecb367f032d93f642f64180aa3"
#define WHO                                                                                        \
    "0x000000000000000000000000"                                                                   \
    "00000000000000000000000000000000000000ee"
#define WORD(x) "000000000000000000000000000000000000000000000000000000000000000" x

/* One log of block 7 as eth_getLogs gives it. */
static void log_json(char *out, size_t cap, const char *topic0, const char *tx, unsigned index,
                     const char *data) {
    snprintf(out, cap,
             "{\"address\":\"" EMITTER "\",\"topics\":[\"%s\",\"" WHO "\"],\"data\":\"0x%s\","
             "\"blockHash\":\"" BLOCK_HASH "\",\"blockNumber\":\"0x7\","
             "\"blockTimestamp\":\"0x64\",\"transactionHash\":\"%s\","
             "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x%x\",\"removed\":false}",
             topic0, data, tx, index);
}

static const char *cell_text(const m2c_sink_table *t, const m2c_sink_val *row, const char *col,
                             char *out, size_t cap) {
    for (size_t c = 0; c < t->ncols; c++)
        if (!strcmp(t->cols[c].name, col)) {
            if (row[c].null) return NULL;
            snprintf(out, cap, "%.*s", (int)row[c].n, row[c].s);
            return out;
        }
    return NULL;
}

/* The schema of one event, Moved(address indexed who, uint256 amount), its signature in a. */
static int moved_schema(m2c_arena *a, m2c_abi_sig *ev, m2c_extract_opts *o, xschema *x) {
    m2c_err err;
    m2c_arena_init(a, 1 << 20);
    if (m2c_abi_sig_parse(a, ev, "Moved(address indexed who, uint256 amount)", M2C_ABI_EVENT,
                          &err) != M2C_OK)
        return 0;
    m2c_extract_opts_default(o);
    o->events = ev;
    o->n_events = 1;
    return m2c_xschema_build(x, o, 31337, &err) == M2C_OK;
}

/* Frees what m2c_xrows_build made of c; parts and blocks are the test's own. */
static void chunk_release(xchunk *c) {
    c->parts = NULL;
    c->nparts = 0;
    c->blocks = NULL;
    c->nblocks = 0;
    m2c_xchunk_clear(c);
}

/* Logs of one block: a Moved, one whose topic0 no event has, then two more Moved, the last of
 * another transaction. The rows repeat the block's hash, a transaction's hash and the address:
 * each must read right whether or not the rows around it decoded. */
TEST(test_xrows__cells_of_decoded_and_undecoded_logs_in_one_block) {
    m2c_arena a;
    m2c_abi_sig ev;
    m2c_extract_opts o;
    xschema x;
    m2c_err err;
    REQUIRE(moved_schema(&a, &ev, &o, &x));
    char topic0[67];
    m2c_hex_encode(topic0, ev.topic0.b, 32, 1);

    char l0[1024], l1[1024], l2[1024], l3[1024], body[4400];
    log_json(l0, sizeof l0, topic0, TX_A, 0, WORD("5"));
    log_json(l1, sizeof l1, "0x" WORD("9") "", TX_A, 1, WORD("6"));
    log_json(l2, sizeof l2, topic0, TX_A, 2, WORD("7"));
    log_json(l3, sizeof l3, topic0, TX_B, 3, WORD("8"));
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[%s,%s,%s,%s]}", l0, l1,
             l2, l3);
    m2c_rpc_logs logs;
    REQUIRE(m2c_rpc_parse_logs_body(&logs, body, strlen(body), 1, &err) == M2C_OK);
    REQUIRE(logs.n == 4);

    m2c_rpc_block blk;
    memset(&blk, 0, sizeof blk);
    blk.number = 7;
    blk.timestamp = 100;
    blk.hash = logs.v[0].block_hash;
    xchunk c;
    memset(&c, 0, sizeof c);
    c.from = c.to = 7;
    c.parts = &logs;
    c.nparts = c.capparts = 1;
    c.nlogs = logs.n;
    c.blocks = &blk;
    c.nblocks = 1;
    REQUIRE(m2c_xrows_build(&x, &o, &c, NULL, &err) == M2C_OK);
    REQUIRE(c.nslices == 1);
    REQUIRE(c.nrows == 4);
    CHECK_EQ_INT(c.slices[0].nrows, 4);
    CHECK_EQ_INT(c.slices[0].undecoded, 1);

    const xbatch *b = &c.slices[0];
    size_t tm = x.events[0].table, tu = x.undecoded_table;
    REQUIRE(b->tstart[tm + 1] - b->tstart[tm] == 3);
    REQUIRE(b->tstart[tu + 1] - b->tstart[tu] == 1);
    char buf[256];
    const char *txs[] = {TX_A, TX_A, TX_B}, *amounts[] = {"5", "7", "8"};
    for (size_t i = 0; i < 3; i++) {
        const m2c_sink_val *row = b->run[b->tstart[tm] + i];
        const m2c_sink_table *t = &x.tables[tm];
        CHECK_EQ_STR(cell_text(t, row, "block_hash", buf, sizeof buf), BLOCK_HASH);
        CHECK_EQ_STR(cell_text(t, row, "transaction_hash", buf, sizeof buf), txs[i]);
        CHECK_EQ_STR(cell_text(t, row, "address", buf, sizeof buf), EMITTER);
        CHECK_EQ_STR(cell_text(t, row, "topic0", buf, sizeof buf), topic0);
        CHECK_EQ_STR(cell_text(t, row, "topic1", buf, sizeof buf), WHO);
        CHECK_EQ_STR(cell_text(t, row, "who", buf, sizeof buf),
                     "0x00000000000000000000000000000000000000ee");
        CHECK_EQ_STR(cell_text(t, row, "amount", buf, sizeof buf), amounts[i]);
    }
    const m2c_sink_val *u = b->run[b->tstart[tu]];
    const m2c_sink_table *ut = &x.tables[tu];
    CHECK_EQ_STR(cell_text(ut, u, "block_hash", buf, sizeof buf), BLOCK_HASH);
    CHECK_EQ_STR(cell_text(ut, u, "transaction_hash", buf, sizeof buf), TX_A);
    CHECK_EQ_STR(cell_text(ut, u, "address", buf, sizeof buf), EMITTER);
    CHECK_EQ_STR(cell_text(ut, u, "topic0", buf, sizeof buf), "0x" WORD("9"));
    CHECK_EQ_STR(cell_text(ut, u, "data", buf, sizeof buf), "0x" WORD("6"));
    /* the repeated values are stored once: the rows of block 7 share the text of its hash */
    const m2c_sink_val *r0 = b->run[b->tstart[tm]], *r2 = b->run[b->tstart[tm] + 2];
    CHECK(r0[2].s == r2[2].s);
    CHECK(u[2].s == r0[2].s);

    chunk_release(&c);
    m2c_rpc_logs_free(&logs);
    m2c_xschema_free(&x);
    m2c_arena_free(&a);
}

typedef struct {
    size_t calls, last;
    int in_order;
} ready_log;

static void on_ready(void *ctx, size_t n) {
    ready_log *r = ctx;
    r->in_order &= n == r->last + 1;
    r->last = n;
    r->calls++;
}

/* A chunk of 2 x X_SLICE_LOGS + 7 logs over three blocks, every fifth log undecodable: three
 * slices of X_SLICE_LOGS, X_SLICE_LOGS and 7 logs, each told complete in turn, holding every
 * log once, in chain order, with its own block's hash and the undecoded count of its logs. */
TEST(test_xrows__dense_chunk_is_built_in_slices_told_in_order) {
    m2c_arena a;
    m2c_abi_sig ev;
    m2c_extract_opts o;
    xschema x;
    m2c_err err;
    REQUIRE(moved_schema(&a, &ev, &o, &x));

    const size_t n = 2 * X_SLICE_LOGS + 7;
    m2c_rpc_logs logs;
    memset(&logs, 0, sizeof logs);
    logs.v = calloc(n, sizeof *logs.v);
    REQUIRE(logs.v);
    logs.n = n;
    uint8_t data[32] = {0};
    m2c_rpc_block blk[3];
    memset(blk, 0, sizeof blk);
    for (size_t k = 0; k < 3; k++) {
        blk[k].number = 10 + k;
        blk[k].timestamp = 1000 + k;
        memset(blk[k].hash.b, 0x21 + (int)k, 32);
    }
    for (size_t i = 0; i < n; i++) {
        m2c_rpc_log *l = &logs.v[i];
        size_t k = i < X_SLICE_LOGS - 3 ? 0 : i < n - 2 ? 1 : 2; /* blocks straddle slices */
        l->block_number = blk[k].number;
        l->block_hash = blk[k].hash;
        l->log_index = i;
        l->transaction_hash.b[0] = (uint8_t)(i / 500);
        l->n_topics = 2;
        l->topics[0] = ev.topic0;
        if (i % 5 == 4) l->topics[0].b[0] ^= 1; /* no event has this topic0 */
        l->topics[1].b[31] = 0xee;
        l->data = data;
        l->data_len = 32;
    }
    xchunk c;
    memset(&c, 0, sizeof c);
    c.from = 10;
    c.to = 12;
    c.parts = &logs;
    c.nparts = c.capparts = 1;
    c.nlogs = n;
    c.blocks = blk;
    c.nblocks = 3;
    ready_log rl = {0, 0, 1};
    xready ready = {on_ready, &rl};
    REQUIRE(m2c_xrows_build(&x, &o, &c, &ready, &err) == M2C_OK);
    REQUIRE(c.nslices == 3);
    CHECK_EQ_INT(rl.calls, 3);
    CHECK(rl.in_order && rl.last == 3);
    CHECK_EQ_INT(c.nrows, n);
    const size_t want[3] = {X_SLICE_LOGS, X_SLICE_LOGS, 7};
    size_t tm = x.events[0].table, tu = x.undecoded_table, next = 0;
    for (size_t s = 0; s < 3; s++) {
        const xbatch *b = &c.slices[s];
        CHECK_EQ_INT(b->nrows, want[s]);
        size_t undecoded = 0;
        for (size_t i = next; i < next + want[s]; i++)
            undecoded += i % 5 == 4;
        CHECK_EQ_INT(b->undecoded, undecoded);
        /* each table's rows in chain order, and between them every log of the slice once */
        size_t seen = 0;
        for (size_t t = 0; t < 2; t++) {
            size_t tb = t ? tu : tm;
            const m2c_sink_table *tt = &x.tables[tb];
            size_t prev = 0;
            for (size_t j = b->tstart[tb]; j < b->tstart[tb + 1]; j++) {
                const m2c_sink_val *row = b->run[j];
                char buf[128], hx[67];
                size_t li = 0;
                for (size_t col = 0; col < tt->ncols; col++)
                    if (!strcmp(tt->cols[col].name, "log_index")) li = (size_t)row[col].i;
                CHECK(li >= next && li < next + want[s]);
                CHECK(j == b->tstart[tb] || li > prev);
                CHECK_EQ_INT(li % 5 == 4, t); /* undecodable logs in undecoded_logs only */
                prev = li;
                size_t k = li < X_SLICE_LOGS - 3 ? 0 : li < n - 2 ? 1 : 2;
                m2c_hex_encode(hx, blk[k].hash.b, 32, 1);
                CHECK_EQ_STR(cell_text(tt, row, "block_hash", buf, sizeof buf), hx);
                seen++;
            }
        }
        CHECK_EQ_INT(seen, want[s]);
        next += want[s];
    }

    chunk_release(&c);
    free(logs.v);
    m2c_xschema_free(&x);
    m2c_arena_free(&a);
}

TEST_MAIN(T(test_xrows__cells_of_decoded_and_undecoded_logs_in_one_block),
          T(test_xrows__dense_chunk_is_built_in_slices_told_in_order))
