/* Tests for src/data/extract_rows.c: a fetched chunk of logs becomes rows of the event tables
 * and of undecoded_logs, cell by cell. The logs come through the eth_getLogs parser, as they
 * do in a run. */
#include <stdio.h>
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

/* Logs of one block: a Moved, one whose topic0 no event has, then two more Moved, the last of
 * another transaction. The rows repeat the block's hash, a transaction's hash and the address:
 * each must read right whether or not the rows around it decoded. */
TEST(test_xrows__cells_of_decoded_and_undecoded_logs_in_one_block) {
    m2c_arena a;
    m2c_arena_init(&a, 1 << 20);
    m2c_abi_sig ev;
    m2c_err err;
    REQUIRE(m2c_abi_sig_parse(&a, &ev, "Moved(address indexed who, uint256 amount)", M2C_ABI_EVENT,
                              &err) == M2C_OK);
    char topic0[67];
    m2c_hex_encode(topic0, ev.topic0.b, 32, 1);
    m2c_extract_opts o;
    m2c_extract_opts_default(&o);
    o.events = &ev;
    o.n_events = 1;
    xschema x;
    REQUIRE(m2c_xschema_build(&x, &o, 31337, &err) == M2C_OK);

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
    REQUIRE(m2c_xrows_build(&x, &o, &c, &err) == M2C_OK);
    REQUIRE(c.rows.nrows == 4);
    CHECK_EQ_INT(c.rows.undecoded, 1);

    const xbatch *b = &c.rows;
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

    m2c_xbatch_free(&c.rows);
    m2c_rpc_logs_free(&logs);
    m2c_xschema_free(&x);
    m2c_arena_free(&a);
}

TEST_MAIN(T(test_xrows__cells_of_decoded_and_undecoded_logs_in_one_block))
