/* Tests for src/core/abi_type.c: the type grammar, signatures, selectors and topics. */
#include "ml2chain/abi.h"
#include "ml2chain/hex.h"
#include "test.h"

static char canon_buf[4096];

/* Parses `s` and returns its canonical form, or "ERR:<code>" on failure. */
static const char *canon(const char *s) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    const m2c_abi_type *t;
    m2c_err e;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if (m2c_abi_type_parse(&a, &t, s, strlen(s), &e) != M2C_OK) {
        snprintf(canon_buf, sizeof canon_buf, "ERR:%d", (int)e.code);
    } else if (m2c_abi_type_canonical(&b, t) != M2C_OK) {
        snprintf(canon_buf, sizeof canon_buf, "ERR:canonical");
    } else {
        snprintf(canon_buf, sizeof canon_buf, "%s", (char *)b.p);
    }
    m2c_buf_free(&b);
    m2c_arena_free(&a);
    return canon_buf;
}

TEST(test_abi_type_parse__elementary_and_aliases) {
    CHECK_EQ_STR(canon("uint"), "uint256");
    CHECK_EQ_STR(canon("int"), "int256");
    CHECK_EQ_STR(canon("uint8"), "uint8");
    CHECK_EQ_STR(canon("int256"), "int256");
    CHECK_EQ_STR(canon("address"), "address");
    CHECK_EQ_STR(canon("bool"), "bool");
    CHECK_EQ_STR(canon("bytes1"), "bytes1");
    CHECK_EQ_STR(canon("bytes32"), "bytes32");
    CHECK_EQ_STR(canon("bytes"), "bytes");
    CHECK_EQ_STR(canon("string"), "string");
    for (int n = 8; n <= 256; n += 8) {
        char s[16], want[16];
        snprintf(s, sizeof s, "uint%d", n);
        CHECK_EQ_STR(canon(s), s);
        snprintf(s, sizeof s, "int%d", n);
        snprintf(want, sizeof want, "int%d", n);
        CHECK_EQ_STR(canon(s), want);
    }
}

TEST(test_abi_type_parse__rejects_bad_widths_and_names) {
    const char *bad[] = {"uint7", "uint0", "uint264", "uint08", "int9", "bytes0", "bytes33",
                         "bytes01", "foo", "", "uint256[", "uint256]", "uint256[-1]",
                         "(uint256", "(uint256,)", "(,)", "uint256[01]", "address address",
                         "uint 256", "(bool)x", "tuple"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *r = canon(bad[i]);
        if (strncmp(r, "ERR:", 4) != 0) fprintf(stderr, "  accepted '%s' as %s\n", bad[i], r);
        CHECK(strncmp(r, "ERR:", 4) == 0);
    }
    CHECK_EQ_STR(canon("function"), "ERR:15"); /* M2C_ERR_UNSUPPORTED */
    CHECK_EQ_STR(canon("fixed128x18"), "ERR:15");
}

TEST(test_abi_type_parse__arrays_tuples_and_names) {
    CHECK_EQ_STR(canon("uint[]"), "uint256[]");
    CHECK_EQ_STR(canon("uint8[2][]"), "uint8[2][]");
    CHECK_EQ_STR(canon("(uint256, string)[3]"), "(uint256,string)[3]");
    CHECK_EQ_STR(canon("( uint a , (bool ok, bytes data)[] inner )"),
                 "(uint256,(bool,bytes)[])");
    CHECK_EQ_STR(canon("()"), "()");
    CHECK_EQ_STR(canon("()[]"), "()[]");
    CHECK_EQ_STR(canon("tuple(address,uint)"), "(address,uint256)");
    CHECK_EQ_STR(canon("(address payable to)"), "(address)");
    CHECK_EQ_STR(canon("uint256[0]"), "uint256[0]");
}

TEST(test_abi_type_parse__sizes_and_dynamic_flags) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    const m2c_abi_type *t;
    const char *s = "(uint256,bytes10[3],(bool,address)[2])";
    REQUIRE(m2c_abi_type_parse(&a, &t, s, strlen(s), NULL) == M2C_OK);
    CHECK(!t->dynamic);
    CHECK_EQ_INT(t->head_size, 32 + 3 * 32 + 2 * 64);
    CHECK_EQ_INT(t->n_fields, 3);
    CHECK_EQ_INT(t->depth, 3);
    s = "(uint256,string[2])";
    REQUIRE(m2c_abi_type_parse(&a, &t, s, strlen(s), NULL) == M2C_OK);
    CHECK(t->dynamic);
    CHECK(t->fields[1].type->dynamic);
    CHECK_EQ_INT(t->head_size, 32);
    m2c_arena_free(&a);
}

TEST(test_abi_type_parse__caps_depth_and_size) {
    char deep[200];
    size_t n = 0;
    memcpy(deep, "uint8", 5);
    n = 5;
    for (int i = 0; i < M2C_ABI_MAX_DEPTH; i++) deep[n++] = '[', deep[n++] = ']';
    deep[n] = 0;
    CHECK(strncmp(canon(deep), "ERR:", 4) != 0); /* exactly the cap */
    deep[n++] = '[', deep[n++] = ']';
    deep[n] = 0;
    CHECK(strncmp(canon(deep), "ERR:", 4) == 0);
    char tup[200];
    n = 0;
    for (int i = 0; i < 40; i++) tup[n++] = '(';
    memcpy(tup + n, "bool", 4);
    n += 4;
    for (int i = 0; i < 40; i++) tup[n++] = ')';
    tup[n] = 0;
    CHECK(strncmp(canon(tup), "ERR:", 4) == 0);
    CHECK_EQ_STR(canon("uint256[65536][65536]"), "ERR:2"); /* M2C_ERR_RANGE: static size */
    CHECK_EQ_STR(canon("uint256[65537]"), "ERR:2");
}

typedef struct {
    const char *sig;
    m2c_abi_sig_kind as;
    const char *canonical;
    const char *hash; /* selector (8 hex) or topic0 (64 hex) */
} sig_case;

TEST(test_abi_sig_parse__forms_canonical_and_hashes) {
    /* Hashes are the well-known ones (ERC-20) or checked against `cast sig` / `cast
     * sig-event` by tests/integration/test_abi_vs_cast.sh. */
    static const sig_case cases[] = {
        {"transfer(address,uint256)", M2C_ABI_FUNCTION, "transfer(address,uint256)", "a9059cbb"},
        {"function transfer(address to, uint256 amount) external returns (bool)",
         M2C_ABI_FUNCTION, "transfer(address,uint256)", "a9059cbb"},
        {"balanceOf(address)(uint256)", M2C_ABI_FUNCTION, "balanceOf(address)", "70a08231"},
        {"function approve(address spender, uint amount) public returns (bool success);",
         M2C_ABI_FUNCTION, "approve(address,uint256)", "095ea7b3"},
        {"event Transfer(address indexed from, address indexed to, uint256 value)",
         M2C_ABI_FUNCTION, "Transfer(address,address,uint256)",
         "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"},
        {"Transfer(address indexed,address indexed,uint256)", M2C_ABI_EVENT,
         "Transfer(address,address,uint256)",
         "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"},
        {"Approval(address indexed owner, address indexed spender, uint256 value)",
         M2C_ABI_EVENT, "Approval(address,address,uint256)",
         "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"},
        {"function f((uint256 a, string b)[] memory xs, bytes32) view", M2C_ABI_FUNCTION,
         "f((uint256,string)[],bytes32)", "ece935e7"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        m2c_abi_sig s;
        m2c_err e;
        m2c_status st = m2c_abi_sig_parse(&a, &s, cases[i].sig, cases[i].as, &e);
        if (st) fprintf(stderr, "  %s: %s\n", cases[i].sig, e.msg);
        CHECK(st == M2C_OK);
        if (st == M2C_OK) {
            CHECK_EQ_STR(s.canonical, cases[i].canonical);
            char hex[80];
            if (strlen(cases[i].hash) == 8)
                m2c_hex_encode(hex, s.selector, 4, 0);
            else
                m2c_hex_encode(hex, s.topic0.b, 32, 0);
            CHECK_EQ_STR(hex, cases[i].hash);
        }
        m2c_arena_free(&a);
    }
}

TEST(test_abi_sig_parse__event_flags_and_outputs) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig s;
    REQUIRE(m2c_abi_sig_parse(&a, &s,
                              "event E(string indexed s, (uint8,bool) t, uint a) anonymous",
                              M2C_ABI_FUNCTION, NULL) == M2C_OK);
    CHECK(s.kind == M2C_ABI_EVENT);
    CHECK(s.anonymous);
    CHECK_EQ_INT(s.inputs->n_fields, 3);
    CHECK(s.inputs->fields[0].indexed);
    CHECK_EQ_STR(s.inputs->fields[0].name, "s");
    CHECK(!s.inputs->fields[1].indexed);
    CHECK_EQ_STR(s.inputs->fields[1].name, "t");
    CHECK_EQ_STR(s.canonical, "E(string,(uint8,bool),uint256)");
    REQUIRE(m2c_abi_sig_parse(&a, &s, "function g(uint x) returns (bool ok, string msg)",
                              M2C_ABI_FUNCTION, NULL) == M2C_OK);
    CHECK_EQ_INT(s.outputs->n_fields, 2);
    CHECK_EQ_STR(s.outputs->fields[1].name, "msg");
    REQUIRE(m2c_abi_sig_parse(&a, &s, "error Low(uint256 have)", M2C_ABI_FUNCTION, NULL) ==
            M2C_OK);
    CHECK(s.kind == M2C_ABI_ERROR);
    CHECK_EQ_STR(s.canonical, "Low(uint256)");
    /* a keyword directly before '(' is the name itself (found by fuzzing: "event ()") */
    REQUIRE(m2c_abi_sig_parse(&a, &s, "event (uint8)", M2C_ABI_EVENT, NULL) == M2C_OK);
    CHECK_EQ_STR(s.canonical, "event(uint8)");
    CHECK(s.kind == M2C_ABI_EVENT);
    REQUIRE(m2c_abi_sig_parse(&a, &s, s.canonical, M2C_ABI_EVENT, NULL) == M2C_OK);
    CHECK_EQ_STR(s.name, "event");
    CHECK(m2c_abi_sig_parse(&a, &s, "function", M2C_ABI_FUNCTION, NULL) != M2C_OK);
    m2c_arena_free(&a);
}

TEST(test_abi_sig_parse__rejects_malformed_with_offset) {
    static const char *bad[] = {
        "",                              /* no name */
        "f(",                            /* unclosed */
        "f(uint256",                     /* unclosed */
        "f(uint256) x",                  /* stray word */
        "f(uint256 indexed a)",          /* indexed outside an event */
        "event E(uint a indexed)",       /* indexed after name */
        "event E(uint indexed a, uint indexed b, uint indexed c, uint indexed d)",
        "f(uint256)(bool)(bool)",        /* two output lists */
        "f(uint256 a b)",                /* two names */
        "1f()",                          /* bad name */
        "f(uint256); g()",               /* trailing text */
        "f(uint256,,bool)",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        m2c_abi_sig s;
        m2c_err e;
        m2c_err_clear(&e);
        m2c_status st = m2c_abi_sig_parse(&a, &s, bad[i], M2C_ABI_FUNCTION, &e);
        if (st == M2C_OK) fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK(st != M2C_OK);
        CHECK(e.msg[0] != 0);
        m2c_arena_free(&a);
    }
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig s;
    m2c_err e;
    CHECK(m2c_abi_sig_parse(&a, &s, "f(uint256,uint7)", M2C_ABI_FUNCTION, &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(e.offset, 10);
    /* four indexed parameters are fine for an anonymous event */
    CHECK(m2c_abi_sig_parse(&a, &s,
                            "event E(uint indexed a, uint indexed b, uint indexed c, "
                            "uint indexed d) anonymous",
                            M2C_ABI_FUNCTION, &e) == M2C_OK);
    m2c_arena_free(&a);
}

TEST(test_arena__caps_and_zero_fills) {
    m2c_arena a;
    m2c_arena_init(&a, 1024);
    uint8_t *p = m2c_arena_alloc(&a, 100);
    REQUIRE(p != NULL);
    for (int i = 0; i < 100; i++) CHECK(p[i] == 0);
    CHECK(m2c_arena_alloc(&a, 2000) == NULL);
    CHECK(m2c_arena_calloc(&a, SIZE_MAX / 2, 4) == NULL);
    CHECK(m2c_arena_alloc(&a, 0) != NULL);
    m2c_arena_free(&a);
    m2c_arena_init(&a, 0);
    for (int i = 0; i < 1000; i++) REQUIRE(m2c_arena_alloc(&a, (size_t)(i * 37 % 9000)) != NULL);
    m2c_arena_free(&a);
    m2c_arena_free(NULL);
}

TEST_MAIN(T(test_abi_type_parse__elementary_and_aliases),
          T(test_abi_type_parse__rejects_bad_widths_and_names),
          T(test_abi_type_parse__arrays_tuples_and_names),
          T(test_abi_type_parse__sizes_and_dynamic_flags),
          T(test_abi_type_parse__caps_depth_and_size),
          T(test_abi_sig_parse__forms_canonical_and_hashes),
          T(test_abi_sig_parse__event_flags_and_outputs),
          T(test_abi_sig_parse__rejects_malformed_with_offset), T(test_arena__caps_and_zero_fills))
