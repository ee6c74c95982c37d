/* Tests for src/node/config.c: config file parsing, deployment files, and the checks. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ml2chain/node.h"
#include "ml2chain/u256.h"
#include "test.h"
#include "scratch.h"

static m2c_status parse(m2c_node_cfg *c, const char *json, m2c_err *e) {
    m2c_node_cfg_default(c);
    return m2c_node_cfg_parse_json(c, json, NULL, e);
}

TEST(test_config__parses_chains_and_node_keys) {
    static m2c_node_cfg c;
    m2c_err e;
    REQUIRE(parse(&c,
                  "{\"models\":\"m\",\"state\":\"s.db\",\"metrics\":\"127.0.0.1:9100\",\"workers\":4,"
                  "\"chains\":[{\"rpc\":\"http://a\",\"coordinator\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\","
                  "\"confirmations\":3,\"batchSize\":7,\"feeCapGwei\":1.5,\"interface\":\"template\"},"
                  "{\"rpc\":\"http://b\",\"coordinator\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"chainId\":5}]}",
                  &e) == M2C_OK);
    CHECK_EQ_STR(c.models_dir, "m");
    CHECK_EQ_STR(c.state_path, "s.db");
    CHECK_EQ_STR(c.metrics_addr, "127.0.0.1:9100");
    CHECK_EQ_INT(c.workers, 4);
    REQUIRE(c.n_chains == 2);
    CHECK_EQ_INT(c.chains[0].confirmations, 3);
    CHECK_EQ_INT(c.chains[0].batch_size, 7);
    CHECK_EQ_INT(c.chains[0].iface, M2C_IFACE_TEMPLATE);
    uint64_t cap;
    CHECK(m2c_u256_to_u64(&cap, &c.chains[0].fee_cap) && cap == 1500000000ull);
    CHECK_EQ_INT(c.chains[1].confirmations, 1); /* default kept */
    CHECK_EQ_INT(c.chains[1].expect_chain_id, 5);
    CHECK(c.chains[1].coordinator.b[0] == 0x5f);
    CHECK(m2c_node_cfg_check(&c, &e) == M2C_OK);
}

TEST(test_config__errors_name_the_key) {
    static m2c_node_cfg c;
    m2c_err e;
    static const struct {
        const char *json, *msg;
    } cases[] = {
        {"{\"chains\":[{\"rpc\":\"http://a\",\"confirmation\":3}]}", "chains[0].confirmation: unknown key"},
        {"{\"chains\":[{\"confirmations\":-1}]}", "chains[0].confirmations: expected an integer"},
        {"{\"chains\":[{\"confirmations\":\"3\"}]}", "chains[0].confirmations: expected an integer"},
        {"{\"chains\":[{\"batchSize\":501}]}", "chains[0].batchSize: expected an integer in 0..500"},
        {"{\"chains\":[{\"coordinator\":\"0x1234\"}]}", "chains[0].coordinator: expected a 0x address"},
        {"{\"chains\":[{\"interface\":\"chainlink\"}]}", "chains[0].interface: expected"},
        {"{\"chains\":[{\"feeCapGwei\":-2}]}", "chains[0].feeCapGwei: expected gwei"},
        {"{\"chains\":[]}", "chains: expected a list of 1..16 chains"},
        {"{\"chains\":[1]}", "chains[0]: expected an object"},
        {"{\"modles\":\"m\"}", "modles: unknown key"},
        {"{\"workers\":1000}", "workers: expected an integer in 0..256"},
        {"[1]", "config: expected a JSON object"},
        {"{\"models\":\"m\",}", "config: line 1"},
        {"{\"models\":\"a\",\"models\":\"b\"}", "config: line 1"},
        {"{\"chains\":[{\"deployment\":\"/nonexistent/d.json\"}]}", "deployment /nonexistent/d.json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m2c_err_clear(&e);
        CHECK(parse(&c, cases[i].json, &e) != M2C_OK);
        if (!strstr(e.msg, cases[i].msg)) {
            fprintf(stderr, "  case %zu: message \"%s\" lacks \"%s\"\n", i, e.msg, cases[i].msg);
            CHECK(0);
        }
    }
}

TEST(test_config__check_rejects_incomplete_configs) {
    static m2c_node_cfg c;
    m2c_err e;
    m2c_node_cfg_default(&c);
    CHECK(m2c_node_cfg_check(&c, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "no chain configured") != NULL);
    REQUIRE(parse(&c, "{\"chains\":[{\"rpc\":\"http://a\"}]}", &e) == M2C_OK);
    snprintf(c.models_dir, sizeof c.models_dir, "m");
    CHECK(m2c_node_cfg_check(&c, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "chains[0]: no coordinator") != NULL);
    REQUIRE(parse(&c,
                  "{\"models\":\"m\",\"chains\":[{\"rpc\":\"http://a\",\"coordinator\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\",\"chainId\":7},"
                  "{\"rpc\":\"http://b\",\"coordinator\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\",\"chainId\":7}]}",
                  &e) == M2C_OK);
    CHECK(m2c_node_cfg_check(&c, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "chain id 7 appears twice") != NULL);
    REQUIRE(parse(&c,
                  "{\"models\":\"m\",\"chains\":[{\"rpc\":\"http://a\",\"coordinator\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\",\"batchSize\":0}]}",
                  &e) == M2C_OK);
    CHECK(m2c_node_cfg_check(&c, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "batch size") != NULL);
    c.chains[0].batch_size = 1;
    c.test_lie_rate = 1.5;
    CHECK(m2c_node_cfg_check(&c, &e) == M2C_ERR_INVALID);
}

TEST(test_config__reads_deployment_files) {
    char path[4200];
    m2c_test_tmp_path(path, sizeof path, "deploy.json");
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fprintf(f, "{\"chainId\":31337,\"coordinator\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\","
               "\"deployBlock\":42,\"collector\":\"0x00\"}");
    fclose(f);
    m2c_node_chain_cfg ch;
    m2c_node_chain_default(&ch);
    m2c_err e;
    REQUIRE(m2c_node_chain_load_deployment(&ch, path, &e) == M2C_OK);
    CHECK(ch.has_coordinator && ch.expect_chain_id == 31337 && ch.start_block == 42);
    f = fopen(path, "w");
    REQUIRE(f);
    fprintf(f, "{\"chainId\":\"x\",\"coordinator\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\"}");
    fclose(f);
    CHECK(m2c_node_chain_load_deployment(&ch, path, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "chainId") != NULL);
    f = fopen(path, "w");
    REQUIRE(f);
    fprintf(f, "{\"chainId\":1}");
    fclose(f);
    CHECK(m2c_node_chain_load_deployment(&ch, path, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "coordinator") != NULL);
    unlink(path);
}

TEST_MAIN(T(test_config__parses_chains_and_node_keys), T(test_config__errors_name_the_key),
          T(test_config__check_rejects_incomplete_configs), T(test_config__reads_deployment_files))
