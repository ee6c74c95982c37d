/* Tests for src/core/abi_codec.c, abi_text.c and abi_json.c: the Solidity spec's vectors,
 * integer boundaries, seeded random round trips, strictness on hostile data, event logs, and
 * solc's ABI JSON. */
#include <stdarg.h>
#include <stdio.h>

#include <jansson.h>

#include "ml2chain/abi.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/u256.h"
#include "test.h"

static const m2c_abi_type *type_of(m2c_arena *a, const char *s) {
    const m2c_abi_type *t = NULL;
    m2c_err e;
    if (m2c_abi_type_parse(a, &t, s, strlen(s), &e) != M2C_OK) {
        fprintf(stderr, "  cannot parse type %s: %s\n", s, e.msg);
        return NULL;
    }
    return t;
}

/* Formats v (top-level form) into a static string. */
static const char *fmt(const m2c_abi_value *v) {
    static char out[8192];
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if (m2c_abi_value_format(&b, v) != M2C_OK || !b.p)
        snprintf(out, sizeof out, "(format failed)");
    else
        snprintf(out, sizeof out, "%s", (char *)b.p);
    m2c_buf_free(&b);
    return out;
}

static int value_eq(const m2c_abi_value *x, const m2c_abi_value *y) {
    if (x->type != y->type || x->n != y->n || x->len != y->len || x->hashed != y->hashed) return 0;
    if (m2c_u256_cmp(&x->word, &y->word) != 0) return 0;
    if (x->len && memcmp(x->bytes, y->bytes, x->len) != 0) return 0;
    for (size_t i = 0; i < x->n; i++)
        if (!value_eq(&x->items[i], &y->items[i])) return 0;
    return 1;
}

/* ---- the spec's vectors (tests/data/abi/spec_vectors.txt) ---- */

TEST(test_abi_encode__spec_vectors_encode_decode_and_print) {
    FILE *f = fopen(m2c_test_data("data/abi/spec_vectors.txt"), "r");
    REQUIRE(f != NULL);
    char line[256], sig[256] = "", args[8][256], fmts[8][256], out[4096] = "";
    int nargs = 0, nfmt = 0, cases = 0;
    for (int eof = 0; !eof;) {
        eof = fgets(line, sizeof line, f) == NULL;
        if (!eof) line[strcspn(line, "\n")] = 0;
        if (!eof && !strncmp(line, "sig: ", 5)) snprintf(sig, sizeof sig, "%s", line + 5);
        if (!eof && !strncmp(line, "arg: ", 5) && nargs < 8)
            snprintf(args[nargs++], sizeof args[0], "%s", line + 5);
        if (!eof && !strncmp(line, "fmt: ", 5) && nfmt < 8)
            snprintf(fmts[nfmt++], sizeof fmts[0], "%s", line + 5);
        if (!eof && !strncmp(line, "out: ", 5))
            strncat(out, line + 5, sizeof out - strlen(out) - 1);
        if ((eof || line[0] == 0) && sig[0]) {
            cases++;
            m2c_arena a;
            m2c_arena_init(&a, 0);
            m2c_abi_sig s;
            m2c_err e;
            REQUIRE(m2c_abi_sig_parse(&a, &s, sig, M2C_ABI_FUNCTION, &e) == M2C_OK);
            REQUIRE((size_t)nargs == s.inputs->n_fields);
            m2c_abi_value v = {0};
            v.type = s.inputs;
            v.n = (size_t)nargs;
            v.items = m2c_arena_calloc(&a, 8, sizeof *v.items);
            for (int i = 0; i < nargs; i++) {
                m2c_status st =
                    m2c_abi_value_parse(&a, &v.items[i], s.inputs->fields[i].type, args[i], &e);
                if (st) fprintf(stderr, "  %s arg %d: %s\n", sig, i, e.msg);
                REQUIRE(st == M2C_OK);
            }
            m2c_buf b;
            m2c_buf_init(&b, 0);
            REQUIRE(m2c_abi_encode_call(&b, &s, &v, &e) == M2C_OK);
            char *hex = m2c_hex_encode_alloc(b.p, b.len, 0);
            if (strcmp(hex, out) != 0)
                fprintf(stderr, "  %s:\n  got  %s\n  want %s\n", sig, hex, out);
            CHECK_EQ_STR(hex, out);
            /* Decode the expected bytes back and print them as cast does. */
            m2c_abi_value d;
            REQUIRE(m2c_abi_decode(&a, &d, s.inputs, b.p + 4, b.len - 4, 0, &e) == M2C_OK);
            CHECK(value_eq(&d, &v));
            CHECK_EQ_INT(nfmt, nargs);
            for (int i = 0; i < nfmt && (size_t)i < d.n; i++)
                CHECK_EQ_STR(fmt(&d.items[i]), fmts[i]);
            free(hex);
            m2c_buf_free(&b);
            m2c_arena_free(&a);
            sig[0] = 0, out[0] = 0, nargs = 0, nfmt = 0;
        }
    }
    fclose(f);
    CHECK_EQ_INT(cases, 5);
}

/* ---- integers at their boundaries ---- */

typedef struct {
    const char *type, *text;
    int ok;
    const char *hex; /* expected 32-byte word when ok */
} int_case;

TEST(test_abi_value_parse__integer_boundaries) {
    static const int_case cases[] = {
        {"int8", "-128", 1, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80"},
        {"int8", "127", 1, "000000000000000000000000000000000000000000000000000000000000007f"},
        {"int8", "128", 0, NULL},
        {"int8", "-129", 0, NULL},
        {"int8", "-0x80", 1, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80"},
        {"uint8", "255", 1, "00000000000000000000000000000000000000000000000000000000000000ff"},
        {"uint8", "256", 0, NULL},
        {"uint8", "-1", 0, NULL},
        {"uint8", "0", 1, "0000000000000000000000000000000000000000000000000000000000000000"},
        {"uint256",
         "115792089237316195423570985008687907853269984665640564039457584007913129639935", 1,
         "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
        {"uint256",
         "115792089237316195423570985008687907853269984665640564039457584007913129639936", 0, NULL},
        {"uint256", "0x10000000000000000000000000000000000000000000000000000000000000000", 0, NULL},
        {"int256", "-57896044618658097711785492504343953926634992332820282019728792003956564819968",
         1, "8000000000000000000000000000000000000000000000000000000000000000"},
        {"int256", "-57896044618658097711785492504343953926634992332820282019728792003956564819969",
         0, NULL},
        {"int256", "57896044618658097711785492504343953926634992332820282019728792003956564819967",
         1, "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
        {"int256", "57896044618658097711785492504343953926634992332820282019728792003956564819968",
         0, NULL},
        {"uint64", "18446744073709551615", 1,
         "000000000000000000000000000000000000000000000000ffffffffffffffff"},
        {"uint64", "18446744073709551616", 0, NULL},
        {"uint256", "1e18", 1, "0000000000000000000000000000000000000000000000000de0b6b3a7640000"},
        {"uint256", "1.5 ether", 1,
         "00000000000000000000000000000000000000000000000014d1120d7b160000"},
        {"uint256", "2gwei", 1, "0000000000000000000000000000000000000000000000000000000077359400"},
        {"int256", "-1.5gwei", 1,
         "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffa697d100"},
        {"uint256", "1.5", 0, NULL},
        {"uint256", "1e78", 0, NULL},
        {"uint256", "0x", 0, NULL},
        {"uint256", "", 0, NULL},
        {"uint256", "+1", 0, NULL},
        {"uint256", "1_000", 0, NULL},
        {"uint256", "12abc", 0, NULL},
        {"uint256", "0xFF", 1, "00000000000000000000000000000000000000000000000000000000000000ff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        const m2c_abi_type *t = type_of(&a, cases[i].type);
        REQUIRE(t != NULL);
        m2c_abi_value v;
        m2c_err e;
        m2c_err_clear(&e);
        m2c_status st = m2c_abi_value_parse(&a, &v, t, cases[i].text, &e);
        if ((st == M2C_OK) != cases[i].ok)
            fprintf(stderr, "  %s '%s': status %d (%s)\n", cases[i].type, cases[i].text, st, e.msg);
        CHECK((st == M2C_OK) == cases[i].ok);
        if (st == M2C_OK && cases[i].hex) {
            m2c_buf b;
            m2c_buf_init(&b, 0);
            REQUIRE(m2c_abi_encode(&b, &v, &e) == M2C_OK);
            char *h = m2c_hex_encode_alloc(b.p, b.len, 0);
            CHECK_EQ_STR(h, cases[i].hex);
            free(h);
            m2c_buf_free(&b);
        } else if (st != M2C_OK) {
            CHECK(e.msg[0] != 0);
        }
        m2c_arena_free(&a);
    }
}

/* Builds n 32-byte big-endian words from uint64 values into out; returns the byte count. */
static size_t mkwords(uint8_t *out, int n, ...) {
    va_list ap;
    va_start(ap, n);
    memset(out, 0, (size_t)n * 32);
    for (int i = 0; i < n; i++) {
        uint64_t x = va_arg(ap, uint64_t);
        for (int k = 31; k >= 24; k--, x >>= 8)
            out[i * 32 + k] = (uint8_t)x;
    }
    va_end(ap);
    return (size_t)n * 32;
}

static m2c_status decode_raw(m2c_arena *a, m2c_abi_value *v, const char *type, const uint8_t *d,
                             size_t n, unsigned flags, m2c_err *e) {
    const m2c_abi_type *t = type_of(a, type);
    if (!t) return M2C_ERR_INVALID;
    return m2c_abi_decode(a, v, t, d, n, flags, e);
}

typedef struct {
    const char *type, *hex;
    m2c_status strict;   /* expected status in strict mode */
    const char *lenient; /* what lenient mode prints (what cast prints for the same data) */
} dec_case;

#define Z56 "00000000000000000000000000000000000000000000000000000000"
#define Z62 Z56 "000000"
#define F62 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

TEST(test_abi_decode__padding_and_bool_strict_vs_lenient) {
    static const dec_case cases[] = {
        {"(uint8)", Z62 "ff", M2C_OK, "(255)"},
        {"(uint8)", Z56 "00000101", M2C_ERR_NONCANONICAL, "(257)"},
        {"(int8)", F62 "80", M2C_OK, "(-128)"},
        {"(int8)", Z62 "80", M2C_ERR_NONCANONICAL, "(128)"},
        {"(int8)", F62 "7f", M2C_ERR_NONCANONICAL, "(-129)"},
        {"(bool)", Z62 "02", M2C_ERR_NONCANONICAL, "(true)"},
        {"(bool)", "01" Z62, M2C_ERR_NONCANONICAL, "(true)"},
        {"(address)", "01" Z56 "000001", M2C_ERR_NONCANONICAL,
         "(0x0000000000000000000000000000000000000001)"},
        {"(bytes3)", "616263" Z56 "01", M2C_ERR_NONCANONICAL, "(0x616263)"},
        /* bytes: a dirty tail, then a tail cut short */
        {"(bytes)",
         Z62 "20" Z62 "02"
             "abcd" Z56 "0001",
         M2C_ERR_NONCANONICAL, "(0xabcd)"},
        {"(bytes)",
         Z62 "20" Z62 "02"
             "abcd",
         M2C_ERR_TRUNCATED, "(0xabcd)"},
        {"(string)",
         Z62 "20" Z62 "03"
             "616263",
         M2C_ERR_TRUNCATED, "(\"abc\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        m2c_abi_value v;
        m2c_err e;
        m2c_err_clear(&e);
        size_t hl = strlen(cases[i].hex);
        uint8_t d[256];
        size_t n = 0;
        REQUIRE(m2c_hex_decode(d, sizeof d, &n, cases[i].hex, hl, M2C_HEX_PREFIX_OPTIONAL, &e) ==
                M2C_OK);
        m2c_status st = decode_raw(&a, &v, cases[i].type, d, n, 0, &e);
        if (st != cases[i].strict)
            fprintf(stderr, "  case %zu %s: strict status %d (%s)\n", i, cases[i].type, st, e.msg);
        CHECK(st == cases[i].strict);
        if (st != M2C_OK) CHECK(e.offset != (size_t)-1 && strstr(e.msg, "offset") != NULL);
        st = decode_raw(&a, &v, cases[i].type, d, n, M2C_ABI_LENIENT, &e);
        if (st != M2C_OK) fprintf(stderr, "  case %zu %s: lenient: %s\n", i, cases[i].type, e.msg);
        CHECK(st == M2C_OK);
        if (st == M2C_OK) CHECK_EQ_STR(fmt(&v), cases[i].lenient);
        m2c_arena_free(&a);
    }
}

TEST(test_abi_decode__rejects_offsets_and_lengths_past_the_data) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_value v;
    m2c_err e;
    uint8_t d[256];
    size_t n;
    /* offset past the end */
    n = mkwords(d, 1, (uint64_t)0x40);
    CHECK(decode_raw(&a, &v, "(bytes)", d, n, 0, &e) == M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 0);
    /* an offset that stays inside the data, with nothing behind it */
    n = mkwords(d, 1, (uint64_t)0x20);
    CHECK(decode_raw(&a, &v, "(bytes)", d, n, 0, &e) == M2C_ERR_TRUNCATED);
    CHECK_EQ_INT(e.offset, 32);
    /* an offset inside a nested array's region that points past the end */
    n = mkwords(d, 3, (uint64_t)0x20, (uint64_t)1, (uint64_t)0x1000);
    CHECK(decode_raw(&a, &v, "(string[])", d, n, 0, &e) == M2C_ERR_RANGE);
    CHECK_EQ_INT(e.offset, 64);
    /* offset with its high bits set */
    n = mkwords(d, 1, (uint64_t)0x20);
    d[0] = 0x10;
    CHECK(decode_raw(&a, &v, "(string)", d, n, 0, &e) == M2C_ERR_RANGE);
    CHECK(strstr(e.msg, "too large") != NULL);
    /* length of 2^255 */
    n = mkwords(d, 2, (uint64_t)0x20, (uint64_t)0);
    d[32] = 0x80;
    CHECK(decode_raw(&a, &v, "(bytes)", d, n, 0, &e) == M2C_ERR_RANGE);
    /* length 64 with 32 bytes of data */
    n = mkwords(d, 3, (uint64_t)0x20, (uint64_t)0x40, (uint64_t)0);
    CHECK(decode_raw(&a, &v, "(bytes)", d, n, 0, &e) == M2C_ERR_TRUNCATED);
    CHECK_EQ_INT(e.offset, 32);
    /* short words */
    CHECK(decode_raw(&a, &v, "(uint256)", d, 31, 0, &e) == M2C_ERR_TRUNCATED);
    n = mkwords(d, 1, (uint64_t)1);
    CHECK(decode_raw(&a, &v, "(uint256,bool)", d, n, 0, &e) == M2C_ERR_TRUNCATED);
    CHECK_EQ_INT(e.offset, 32);
    /* trailing bytes after a complete encoding are allowed, as Solidity allows them */
    n = mkwords(d, 2, (uint64_t)1, (uint64_t)77);
    CHECK(decode_raw(&a, &v, "(uint8)", d, n, 0, &e) == M2C_OK);
    m2c_arena_free(&a);
}

TEST(test_abi_decode__huge_array_length_fails_without_allocating) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_value v;
    m2c_err e;
    uint8_t d[256];
    const char *types[] = {"(uint256[])", "(string[])", "((uint256,uint256)[])", "(bytes32[4][])",
                           "(uint8[][])"};
    uint64_t lens[] = {(uint64_t)1 << 32, (uint64_t)1 << 62, 5, 1000000};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            /* offset 0x20, the claimed length, then four zero words */
            size_t n = mkwords(d, 6, (uint64_t)0x20, lens[k], (uint64_t)0, (uint64_t)0, (uint64_t)0,
                               (uint64_t)0);
            m2c_status st = decode_raw(&a, &v, types[i], d, n, 0, &e);
            CHECK(st == M2C_ERR_TRUNCATED || st == M2C_ERR_RANGE);
            if (st == M2C_ERR_TRUNCATED) CHECK(strstr(e.msg, "array length") != NULL);
        }
    }
    CHECK(a.used < 64 * 1024); /* nothing sized by a claimed length was allocated */
    m2c_arena_free(&a);
}

/* uint256[][] whose N outer offsets all point at one inner array of M elements: N*M values
 * from ~(N+M)*32 bytes. The decoder must stop at its value cap, not build them all. */
TEST(test_abi_decode__aliased_offsets_hit_the_value_cap) {
    size_t n = 3000, m = 3000;
    size_t len = 32 + 32 + n * 32 + 32 + m * 32;
    uint8_t *d = calloc(1, len);
    REQUIRE(d != NULL);
    d[31] = 0x20;                                            /* offset of the outer array */
    d[32 + 30] = (uint8_t)(n >> 8), d[32 + 31] = (uint8_t)n; /* outer length */
    size_t inner = n * 32; /* offset of the inner array, relative to element 0 */
    for (size_t i = 0; i < n; i++) {
        uint8_t *w = d + 64 + i * 32;
        w[29] = (uint8_t)(inner >> 16), w[30] = (uint8_t)(inner >> 8), w[31] = (uint8_t)inner;
    }
    uint8_t *il = d + 64 + n * 32;
    il[30] = (uint8_t)(m >> 8), il[31] = (uint8_t)m;
    m2c_arena a;
    m2c_arena_init(&a, 0);
    const m2c_abi_type *t = type_of(&a, "(uint256[][])");
    m2c_abi_value v;
    m2c_err e;
    CHECK(m2c_abi_decode(&a, &v, t, d, len, 0, &e) == M2C_ERR_NOMEM);
    if (!strstr(e.msg, "values")) fprintf(stderr, "  %s\n", e.msg);
    CHECK(strstr(e.msg, "values") != NULL);
    /* with a small outer count the same aliasing is legal and decodes */
    m2c_arena_free(&a);
    t = type_of(&a, "(uint256[][])");
    d[32 + 30] = 0, d[32 + 31] = 3;
    REQUIRE(m2c_abi_decode(&a, &v, t, d, len, 0, &e) == M2C_OK);
    CHECK_EQ_INT(v.items[0].n, 3);
    CHECK_EQ_INT(v.items[0].items[2].n, m); /* all three alias the one inner array */
    m2c_arena_free(&a);
    free(d);
}

TEST(test_abi_encode__checks_values_against_their_types) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    const m2c_abi_type *arr = type_of(&a, "uint256[]"), *u256 = type_of(&a, "uint256"),
                       *u8 = type_of(&a, "uint8");
    REQUIRE(arr && u256 && u8);
    m2c_abi_value items[2] = {{.type = u256}, {.type = u256}};
    items[1].word = m2c_u256_from_u64(7);
    m2c_abi_value v = {.type = arr, .items = items, .n = 2};
    m2c_buf b;
    m2c_buf_init(&b, 0);
    m2c_err e;
    /* elements typed by a separately parsed, structurally equal type encode */
    REQUIRE(m2c_abi_encode(&b, &v, &e) == M2C_OK);
    CHECK_EQ_INT(b.len, 4 * 32);
    CHECK_EQ_INT(b.p[127], 7);
    m2c_buf_reset(&b);
    items[1].type = u8;
    CHECK(m2c_abi_encode(&b, &v, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "mistyped element") != NULL);
    CHECK_EQ_INT(b.len, 0); /* nothing half-written is left behind */
    items[1].type = u256;
    items[1].word = m2c_u256_from_u64(256);
    v.type = type_of(&a, "uint8[]"), items[0].type = items[1].type = u8;
    CHECK(m2c_abi_encode(&b, &v, &e) == M2C_ERR_INVALID);
    CHECK(strstr(e.msg, "does not fit") != NULL);
    m2c_buf_free(&b);
    m2c_arena_free(&a);
}

/* ---- random round trips ---- */

static const char *const elementary[] = {"uint8",  "uint16", "uint64",  "uint256", "int8",
                                         "int24",  "int128", "int256",  "address", "bool",
                                         "bytes1", "bytes7", "bytes32", "bytes",   "string"};

static void rand_type_str(m2c_buf *b, int depth) {
    uint64_t r = m2c_test_rand() % 10;
    m2c_status st = M2C_OK;
    if (depth <= 0 || r < 5) {
        st = m2c_buf_append_str(b, elementary[m2c_test_rand() % 15]);
    } else if (r < 7) {
        size_t n = m2c_test_rand() % 4;
        st = m2c_buf_append_byte(b, '(');
        for (size_t i = 0; i < n + 1 && !st; i++) {
            if (i) st = m2c_buf_append_byte(b, ',');
            rand_type_str(b, depth - 1);
        }
        if (!st) st = m2c_buf_append_byte(b, ')');
    } else {
        rand_type_str(b, depth - 1);
        if (r < 9)
            st = m2c_buf_append_str(b, "[]");
        else
            st = m2c_buf_printf(b, "[%d]", (int)(m2c_test_rand() % 3) + 1);
    }
    if (st) abort();
}

static void rand_value(m2c_arena *a, m2c_abi_value *v, const m2c_abi_type *t) {
    static const char alpha[] = "abcXYZ019 ,()_-";
    memset(v, 0, sizeof *v);
    v->type = t;
    switch (t->kind) {
    case M2C_ABI_UINT:
    case M2C_ABI_INT: {
        for (int i = 0; i < 4; i++)
            v->word.w[i] = m2c_test_rand();
        uint64_t pick = m2c_test_rand() % 8;
        if (pick == 0) memset(&v->word, 0, sizeof v->word);
        if (pick == 1) memset(&v->word, 0xff, sizeof v->word);
        if (pick == 2)
            v->word.w[0] = m2c_test_rand() % 100000, v->word.w[1] = v->word.w[2] = v->word.w[3] = 0;
        unsigned sh = 256 - t->bits;
        m2c_u256 x = m2c_u256_shl(&v->word, sh);
        v->word = t->kind == M2C_ABI_UINT ? m2c_u256_shr(&x, sh) : m2c_i256_sar(&x, sh);
        break;
    }
    case M2C_ABI_BOOL: v->word.w[0] = m2c_test_rand() & 1; break;
    case M2C_ABI_ADDRESS:
    case M2C_ABI_FBYTES:
    case M2C_ABI_BYTES:
    case M2C_ABI_STRING: {
        size_t n = t->kind == M2C_ABI_ADDRESS  ? 20
                   : t->kind == M2C_ABI_FBYTES ? t->size
                                               : m2c_test_rand() % 70;
        uint8_t *p = m2c_arena_alloc(a, n + 1);
        m2c_test_rand_bytes(p, n);
        if (t->kind == M2C_ABI_STRING) {
            for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t)alpha[p[i] % (sizeof alpha - 1)];
            if (n) p[0] = 'a', p[n - 1] = 'z'; /* bare strings lose edge spaces */
        }
        v->bytes = p;
        v->len = n;
        break;
    }
    case M2C_ABI_ARRAY:
    case M2C_ABI_FARRAY:
    case M2C_ABI_TUPLE: {
        size_t n = t->kind == M2C_ABI_TUPLE    ? t->n_fields
                   : t->kind == M2C_ABI_FARRAY ? t->size
                                               : m2c_test_rand() % 4;
        v->items = m2c_arena_calloc(a, n ? n : 1, sizeof *v->items);
        v->n = n;
        for (size_t i = 0; i < n; i++)
            rand_value(a, &v->items[i], t->kind == M2C_ABI_TUPLE ? t->fields[i].type : t->elem);
        break;
    }
    }
}

/* Removes cast's " [1.234e5]" hints from printed text so it can be parsed back. */
static void strip_hints(char *s) {
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == ' ' && r[1] == '[') {
            size_t k = 2;
            while (r[k] == '-' || r[k] == '.' || r[k] == 'e' || (r[k] >= '0' && r[k] <= '9'))
                k++;
            if (r[k] == ']' && k > 2 && memchr(r + 2, 'e', k - 2)) {
                r += k + 1;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = 0;
}

TEST(test_abi_roundtrip__random_types_encode_decode_and_text) {
    long iters = m2c_test_iters(400);
    for (long it = 0; it < iters; it++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        m2c_buf ts, enc, enc2, txt;
        m2c_buf_init(&ts, 0);
        m2c_buf_init(&enc, 0);
        m2c_buf_init(&enc2, 0);
        m2c_buf_init(&txt, 0);
        REQUIRE(m2c_buf_append_byte(&ts, '(') == M2C_OK);
        rand_type_str(&ts, 3);
        REQUIRE(m2c_buf_append_str(&ts, ",uint8)") == M2C_OK);
        const m2c_abi_type *t = type_of(&a, (char *)ts.p);
        REQUIRE(t != NULL);
        m2c_abi_value v, d, p;
        rand_value(&a, &v, t);
        m2c_err e;
        REQUIRE(m2c_abi_encode(&enc, &v, &e) == M2C_OK);
        CHECK_EQ_INT(enc.len % 32, 0);
        m2c_status st = m2c_abi_decode(&a, &d, t, enc.p, enc.len, 0, &e);
        if (st) fprintf(stderr, "  %s: %s\n", (char *)ts.p, e.msg);
        REQUIRE(st == M2C_OK);
        CHECK(value_eq(&v, &d));
        /* Text round trip: each component as printed inside a list, parsed back. */
        m2c_abi_value *items = m2c_arena_calloc(&a, t->n_fields, sizeof *items);
        for (size_t i = 0; i < t->n_fields; i++) {
            m2c_buf_reset(&txt);
            REQUIRE(m2c_abi_value_format(&txt, &d.items[i]) == M2C_OK);
            strip_hints((char *)txt.p);
            st = m2c_abi_value_parse(&a, &items[i], t->fields[i].type, (char *)txt.p, &e);
            if (st) fprintf(stderr, "  %s: '%s': %s\n", (char *)ts.p, (char *)txt.p, e.msg);
            CHECK(st == M2C_OK);
        }
        p.type = t, p.items = items, p.n = t->n_fields, p.bytes = NULL, p.len = 0, p.hashed = 0;
        memset(&p.word, 0, sizeof p.word);
        REQUIRE(m2c_abi_encode(&enc2, &p, &e) == M2C_OK);
        CHECK(enc2.len == enc.len && memcmp(enc2.p, enc.p, enc.len) == 0);
        /* Every strict prefix of a canonical encoding is rejected, never read past. */
        for (size_t cut = 0; cut < enc.len; cut += 1 + m2c_test_rand() % 29) {
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, enc.p, cut);
            m2c_abi_value x;
            CHECK(m2c_abi_decode(&a, &x, t, copy, cut, 0, &e) != M2C_OK);
            free(copy);
        }
        m2c_buf_free(&ts);
        m2c_buf_free(&enc);
        m2c_buf_free(&enc2);
        m2c_buf_free(&txt);
        m2c_arena_free(&a);
    }
}

/* Random bytes under random types never crash and fail with a message. */
TEST(test_abi_decode__random_bytes_never_crash) {
    long iters = m2c_test_iters(2000);
    uint8_t data[512];
    for (long it = 0; it < iters; it++) {
        m2c_arena a;
        m2c_arena_init(&a, 1 << 20);
        m2c_buf ts;
        m2c_buf_init(&ts, 0);
        rand_type_str(&ts, 3);
        const m2c_abi_type *t = type_of(&a, (char *)ts.p);
        REQUIRE(t != NULL);
        size_t n = m2c_test_rand() % sizeof data;
        m2c_test_rand_bytes(data, n);
        /* small words so offsets and lengths are sometimes in range */
        for (size_t i = 0; i + 32 <= n; i += 32)
            if (m2c_test_rand() % 2) memset(data + i, 0, 31), data[i + 31] &= 0x7f;
        m2c_abi_value v;
        m2c_err e;
        m2c_err_clear(&e);
        if (m2c_abi_decode(&a, &v, t, data, n, m2c_test_rand() % 2, &e) != M2C_OK)
            CHECK(e.msg[0] != 0);
        m2c_buf_free(&ts);
        m2c_arena_free(&a);
    }
}

/* ---- JSON and cells ---- */

TEST(test_abi_value_json__valid_json_exact_numbers_and_named_tuples) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    const m2c_abi_type *t = type_of(&a, "(uint256 big, int8 neg, address who, string s, "
                                        "(bool,bytes2)[] xs, string[] names)");
    REQUIRE(t != NULL);
    m2c_abi_value v;
    m2c_err e;
    REQUIRE(m2c_abi_value_parse(&a, &v, t,
                                "(115792089237316195423570985008687907853269984665640564039457"
                                "584007913129639935, -128, 0xf39fd6e51aad88f6f4ce6ab8827279cfff"
                                "b92266, \"q\\\", [(true, 0xbeef)], [a, b])",
                                &e) == M2C_OK);
    m2c_buf b;
    m2c_buf_init(&b, 0);
    REQUIRE(m2c_abi_value_json(&b, &v) == M2C_OK);
    CHECK_EQ_STR((char *)b.p,
                 "{\"big\":\"115792089237316195423570985008687907853269984665640564039457584"
                 "007913129639935\",\"neg\":\"-128\",\"who\":\"0xf39Fd6e51aad88F6F4ce6aB88272"
                 "79cffFb92266\",\"s\":\"q\\\\\",\"xs\":[[true,\"0xbeef\"]],\"names\":[\"a\","
                 "\"b\"]}");
    m2c_buf_reset(&b);
    REQUIRE(m2c_abi_value_cell(&b, &v.items[0]) == M2C_OK);
    CHECK_EQ_STR((char *)b.p,
                 "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    m2c_buf_reset(&b);
    REQUIRE(m2c_abi_value_cell(&b, &v.items[3]) == M2C_OK);
    CHECK_EQ_STR((char *)b.p, "q\\");
    /* a buffer cap hit part-way leaves the buffer as it was */
    m2c_buf small;
    m2c_buf_init(&small, 40);
    REQUIRE(m2c_buf_append_str(&small, "keep") == M2C_OK);
    CHECK(m2c_abi_value_json(&small, &v) == M2C_ERR_NOMEM);
    CHECK(m2c_abi_value_format(&small, &v) == M2C_ERR_NOMEM);
    CHECK_EQ_INT(small.len, 4);
    CHECK_EQ_STR((char *)small.p, "keep");
    m2c_buf_free(&small);
    m2c_buf_free(&b);
    m2c_arena_free(&a);
}

TEST(test_abi_value_json__random_values_parse_as_json) {
    long iters = m2c_test_iters(300);
    for (long it = 0; it < iters; it++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        m2c_buf ts, js;
        m2c_buf_init(&ts, 0);
        m2c_buf_init(&js, 0);
        rand_type_str(&ts, 3);
        const m2c_abi_type *t = type_of(&a, (char *)ts.p);
        REQUIRE(t != NULL);
        m2c_abi_value v;
        rand_value(&a, &v, t);
        /* strings with arbitrary bytes, including invalid UTF-8 and controls */
        if (t->kind == M2C_ABI_STRING && v.len) ((uint8_t *)v.bytes)[0] = (uint8_t)m2c_test_rand();
        REQUIRE(m2c_abi_value_json(&js, &v) == M2C_OK);
        json_error_t je;
        json_t *j = json_loadb((char *)js.p, js.len, JSON_DECODE_ANY, &je);
        if (!j) fprintf(stderr, "  %s: %s: %s\n", (char *)ts.p, (char *)js.p, je.text);
        CHECK(j != NULL);
        json_decref(j);
        m2c_buf_free(&ts);
        m2c_buf_free(&js);
        m2c_arena_free(&a);
    }
}

/* ---- event logs ---- */

static m2c_hash32 word_of(const char *hex) {
    m2c_hash32 h;
    if (m2c_hash_parse(&h, hex, NULL) != M2C_OK) memset(&h, 0xee, sizeof h);
    return h;
}

TEST(test_abi_decode_log__transfer_and_distinct_errors) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig ev;
    REQUIRE(m2c_abi_sig_parse(&a, &ev,
                              "event Transfer(address indexed from, address indexed to, uint256 "
                              "value)",
                              M2C_ABI_EVENT, NULL) == M2C_OK);
    m2c_hash32 topics[4] = {
        ev.topic0,
        word_of("0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
        word_of("0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"),
    };
    uint8_t data[32] = {0};
    data[30] = 0x03, data[31] = 0xe8;
    m2c_abi_value v;
    m2c_err e;
    REQUIRE(m2c_abi_decode_log(&a, &v, &ev, topics, 3, data, 32, 0, &e) == M2C_OK);
    REQUIRE(v.n == 3);
    CHECK_EQ_STR(fmt(&v.items[0]), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    CHECK_EQ_STR(fmt(&v.items[1]), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    CHECK_EQ_STR(fmt(&v.items[2]), "1000");
    /* the values must not point into the caller's topics */
    memset(topics[1].b, 0, 32);
    CHECK_EQ_STR(fmt(&v.items[0]), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    topics[1] = word_of("0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266");

    m2c_hash32 wrong[3] = {topics[1], topics[1], topics[2]};
    CHECK(m2c_abi_decode_log(&a, &v, &ev, wrong, 3, data, 32, 0, &e) == M2C_ERR_NOTFOUND);
    CHECK(m2c_abi_decode_log(&a, &v, &ev, topics, 0, data, 32, 0, &e) == M2C_ERR_NOTFOUND);
    CHECK(m2c_abi_decode_log(&a, &v, &ev, topics, 2, data, 32, 0, &e) == M2C_ERR_PROTOCOL);
    CHECK(strstr(e.msg, "expects 3 topics, log has 2") != NULL);
    topics[3] = topics[2];
    CHECK(m2c_abi_decode_log(&a, &v, &ev, topics, 4, data, 32, 0, &e) == M2C_ERR_PROTOCOL);
    CHECK(m2c_abi_decode_log(&a, &v, &ev, topics, 3, data, 31, 0, &e) == M2C_ERR_TRUNCATED);
    CHECK(m2c_abi_decode_log(&a, &v, &ev, topics, 3, NULL, 0, 0, &e) == M2C_ERR_TRUNCATED);
    /* a dirty address topic is non-canonical strictly, accepted leniently */
    topics[1].b[0] = 1;
    CHECK(m2c_abi_decode_log(&a, &v, &ev, topics, 3, data, 32, 0, &e) == M2C_ERR_NONCANONICAL);
    CHECK(strstr(e.msg, "topic 1 (from)") != NULL);
    CHECK(m2c_abi_decode_log(&a, &v, &ev, topics, 3, data, 32, M2C_ABI_LENIENT, &e) == M2C_OK);
    m2c_arena_free(&a);
}

TEST(test_abi_decode_log__indexed_dynamic_values_are_topic_hashes) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig ev;
    REQUIRE(m2c_abi_sig_parse(&a, &ev,
                              "event Named(string indexed label, uint8[] indexed xs, bool ok, "
                              "bytes4 indexed tag) anonymous",
                              M2C_ABI_EVENT, NULL) == M2C_OK);
    m2c_hash32 topics[3];
    topics[0] = m2c_keccak256("hello", 5);
    memset(&topics[1], 0x5a, 32);
    topics[2] = word_of("0xdeadbeef00000000000000000000000000000000000000000000000000000000");
    uint8_t data[32] = {0};
    data[31] = 1;
    m2c_abi_value v;
    m2c_err e;
    REQUIRE(m2c_abi_decode_log(&a, &v, &ev, topics, 3, data, 32, 0, &e) == M2C_OK);
    CHECK(v.items[0].hashed && v.items[0].len == 32);
    CHECK_EQ_MEM(v.items[0].bytes, topics[0].b, 32);
    CHECK_EQ_STR(fmt(&v.items[0]),
                 "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8");
    CHECK(v.items[1].hashed && v.items[1].n == 0);
    CHECK_EQ_STR(fmt(&v.items[2]), "true");
    CHECK_EQ_STR(fmt(&v.items[3]), "0xdeadbeef");
    /* a hashed value cannot be re-encoded */
    m2c_buf b;
    m2c_buf_init(&b, 0);
    CHECK(m2c_abi_encode(&b, &v, &e) == M2C_ERR_INVALID);
    CHECK_EQ_INT(b.len, 0);
    m2c_buf_free(&b);
    m2c_arena_free(&a);
}

/* ---- text forms ---- */

typedef struct {
    const char *type, *text, *printed;
} text_case;

TEST(test_abi_value_text__parse_and_print_as_cast_does) {
    /* printed forms are what `cast abi-decode` prints for the same encodings */
    static const text_case cases[] = {
        {"uint256", "9999", "9999"},
        {"uint256", "10000", "10000 [1e4]"},
        {"uint256", "10100", "10100 [1.01e4]"},
        {"uint256", "123456789", "123456789 [1.234e8]"},
        {"int256", "-10000", "-10000 [-1e4]"},
        {"int256", "-9999", "-9999"},
        {"uint256[]", "[100000, 5]", "[100000 [1e5], 5]"},
        {"address", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
         "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"},
        {"string", "he said \"hi\"\\n", "\"he said \\\"hi\\\"\\\\n\""},
        {"string", "\"quoted\"", "\"quoted\""},
        {"string", " spaced  ", "\" spaced\""},
        {"string",
         "a\tb\x01"
         "c\x7f \xc3\xa9 \xe2\x80\x8b \xcc\x81 x'y",
         "\"a\\tb\\u{1}c\\u{7f} \xc3\xa9 \\u{200b} \\u{301} x'y\""},
        {"string[]", "[a b, \"c,d\" ,  e ]", "[\"a b\", \"c,d\", \"e\"]"},
        {"(string,uint8)", "( hi there , 3)", "(\"hi there\", 3)"},
        {"(uint8)", "(1)", "(1)"},
        {"bytes", "0x", "0x"},
        {"bytes", "1234", "0x1234"},
        {"bytes1[2]", "[0x00,0xff]", "[0x00, 0xff]"},
        {"uint8[][]", "[[],[1]]", "[[], [1]]"},
        {"(bool,(string,bytes)[])", "(true,[(x,0x01),(\"y]\",0x)])",
         "(true, [(\"x\", 0x01), (\"y]\", 0x)])"},
        {"uint256[]", "[1 ether, 0x10]", "[1000000000000000000 [1e18], 16]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        const m2c_abi_type *t = type_of(&a, cases[i].type);
        REQUIRE(t != NULL);
        m2c_abi_value v;
        m2c_err e;
        m2c_status st = m2c_abi_value_parse(&a, &v, t, cases[i].text, &e);
        if (st) fprintf(stderr, "  %s '%s': %s\n", cases[i].type, cases[i].text, e.msg);
        CHECK(st == M2C_OK);
        if (st == M2C_OK) CHECK_EQ_STR(fmt(&v), cases[i].printed);
        m2c_arena_free(&a);
    }
}

TEST(test_abi_value_text__invalid_utf8_prints_replacement_chars) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    const m2c_abi_type *t = type_of(&a, "string");
    /* 0x80 alone, a truncated 3-byte sequence, an overlong form, a surrogate */
    static const uint8_t raw[] = {'a', 0x80, 'b', 0xe2, 0x82, 'c', 0xc0, 0xaf, 0xed, 0xa0, 0x80};
    m2c_abi_value v = {0};
    v.type = t;
    v.bytes = raw;
    v.len = sizeof raw;
#define FFFD "\xef\xbf\xbd"
    CHECK_EQ_STR(fmt(&v), "\"a" FFFD "b" FFFD "c" FFFD FFFD FFFD FFFD FFFD "\"");
    m2c_arena_free(&a);
}

TEST(test_abi_value_parse__rejects_malformed_with_offset) {
    static const char *const bad[][2] = {
        {"bool", "1"},
        {"bool", "True"},
        {"bytes2", "0x12"},
        {"bytes2", "0x123456"},
        {"bytes", ""},
        {"bytes", "0xabc"},
        {"address", "0x1234"},
        {"address", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267"},
        {"uint8[2]", "[1,2,3]"},
        {"uint8[]", " [1]"},
        {"uint8[]", "[1,]"},
        {"uint8[]", "[,]"},
        {"uint8[]", "[1 2]"},
        {"(uint8,bool)", "(1)"},
        {"(uint8,bool)", "(1,true,2)"},
        {"string[]", "[\"a]"},
        {"string", "\"a"},
        {"uint8[]", "[1]x"},
        {"(uint8)", "1"},
        {"uint256", "1 szabo"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        const m2c_abi_type *t = type_of(&a, bad[i][0]);
        REQUIRE(t != NULL);
        m2c_abi_value v;
        m2c_err e;
        m2c_err_clear(&e);
        m2c_status st = m2c_abi_value_parse(&a, &v, t, bad[i][1], &e);
        if (st == M2C_OK) fprintf(stderr, "  accepted %s '%s'\n", bad[i][0], bad[i][1]);
        CHECK(st != M2C_OK);
        CHECK(strstr(e.msg, "char") != NULL);
        m2c_arena_free(&a);
    }
}

/* ---- ABI JSON (solc output, tests/data/abi/Sample.*) ---- */

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *p = malloc(1 << 20);
    *len = p ? fread(p, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (p) p[*len] = 0;
    return p;
}

TEST(test_abi_json_load__solc_abi_matches_solc_selectors) {
    size_t len;
    char *json = slurp(m2c_test_data("data/abi/Sample.abi.json"), &len);
    REQUIRE(json != NULL);
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig *sigs;
    size_t n;
    m2c_err e;
    m2c_status st = m2c_abi_json_load(&a, &sigs, &n, json, len, &e);
    if (st) fprintf(stderr, "  %s\n", e.msg);
    REQUIRE(st == M2C_OK);
    /* constructor, 3 functions, 3 events, 1 error; receive and fallback skipped */
    CHECK_EQ_INT(n, 8);
    FILE *f = fopen(m2c_test_data("data/abi/Sample.hashes.txt"), "r");
    REQUIRE(f != NULL);
    char line[512];
    int matched = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        const char *canon = line + 9;
        for (size_t i = 0; i < n; i++) {
            if (sigs[i].kind != M2C_ABI_FUNCTION || strcmp(sigs[i].canonical, canon) != 0) continue;
            char hex[9];
            m2c_hex_encode(hex, sigs[i].selector, 4, 0);
            CHECK(!strncmp(hex, line, 8));
            matched++;
        }
    }
    fclose(f);
    CHECK_EQ_INT(matched, 3);
    int events = 0;
    for (size_t i = 0; i < n; i++) {
        if (sigs[i].kind == M2C_ABI_EVENT && !strcmp(sigs[i].name, "Drawn")) {
            events++;
            CHECK(sigs[i].anonymous);
            CHECK_EQ_STR(sigs[i].canonical,
                         "Drawn((string,(int64,int64)[],bytes32[2]),string,(int64,int64),uint8)");
            CHECK(sigs[i].inputs->fields[0].indexed && sigs[i].inputs->fields[1].indexed);
            CHECK(!sigs[i].inputs->fields[2].indexed);
            CHECK_EQ_STR(sigs[i].inputs->fields[0].type->fields[1].name, "points");
        }
        if (sigs[i].kind == M2C_ABI_EVENT && !strcmp(sigs[i].name, "Transfer")) {
            events++;
            char hex[65];
            m2c_hex_encode(hex, sigs[i].topic0.b, 32, 0);
            CHECK_EQ_STR(hex, "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
        }
        if (sigs[i].kind == M2C_ABI_ERROR)
            CHECK_EQ_STR(sigs[i].canonical, "TooSmall(uint256,uint256)");
        if (sigs[i].kind == M2C_ABI_FUNCTION && !strcmp(sigs[i].name, "many"))
            CHECK_EQ_STR(sigs[i].outputs->fields[1].type->kind == M2C_ABI_STRING ? "ok" : "no",
                         "ok");
    }
    CHECK_EQ_INT(events, 2);
    m2c_arena_free(&a);
    free(json);
}

/* ---- calldata and revert data ---- */

TEST(test_abi_decode_call__checks_selector_and_offsets) {
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig s;
    REQUIRE(m2c_abi_sig_parse(&a, &s, "transfer(address,uint256)", M2C_ABI_FUNCTION, NULL) ==
            M2C_OK);
    uint8_t cd[68] = {0xa9, 0x05, 0x9c, 0xbb};
    cd[4 + 31] = 0x42, cd[36 + 31] = 7;
    m2c_abi_value v;
    m2c_err e;
    REQUIRE(m2c_abi_decode_call(&a, &v, &s, cd, sizeof cd, 0, &e) == M2C_OK);
    CHECK_EQ_STR(fmt(&v.items[1]), "7");
    CHECK(m2c_abi_decode_call(&a, &v, &s, cd, 3, 0, &e) == M2C_ERR_TRUNCATED);
    CHECK(m2c_abi_decode_call(&a, &v, &s, cd, 40, 0, &e) == M2C_ERR_TRUNCATED);
    CHECK_EQ_INT(e.offset, 36); /* counted from the start of the calldata */
    cd[4] = 1;                  /* dirty address padding */
    CHECK(m2c_abi_decode_call(&a, &v, &s, cd, sizeof cd, 0, &e) == M2C_ERR_NONCANONICAL);
    CHECK_EQ_INT(e.offset, 4);
    cd[0] = 0;
    CHECK(m2c_abi_decode_call(&a, &v, &s, cd, sizeof cd, 0, &e) == M2C_ERR_NOTFOUND);
    CHECK(strstr(e.msg, "selector 0x00059cbb is not transfer(address,uint256)'s") != NULL);
    m2c_arena_free(&a);
}

static const char *revert(const char *hex, const m2c_abi_sig *errs, size_t n) {
    static char out[512];
    uint8_t d[512];
    size_t len = 0;
    m2c_buf b;
    m2c_buf_init(&b, 0);
    if (m2c_hex_decode(d, sizeof d, &len, hex, strlen(hex), M2C_HEX_PREFIX_OPTIONAL, NULL) ||
        m2c_abi_revert_reason(&b, d, len, errs, n))
        snprintf(out, sizeof out, "(failed)");
    else
        snprintf(out, sizeof out, "%s", b.p ? (char *)b.p : "");
    m2c_buf_free(&b);
    return out;
}

TEST(test_abi_revert_reason__error_panic_custom_and_unknown) {
    /* the Solidity documentation's example of revert("Not enough Ether provided.") */
    CHECK_EQ_STR(revert("08c379a0"
                        "0000000000000000000000000000000000000000000000000000000000000020"
                        "000000000000000000000000000000000000000000000000000000000000001a"
                        "4e6f7420656e6f7567682045746865722070726f76696465642e000000000000",
                        NULL, 0),
                 "Not enough Ether provided.");
    CHECK_EQ_STR(revert("4e487b71"
                        "0000000000000000000000000000000000000000000000000000000000000011",
                        NULL, 0),
                 "panic 0x11: arithmetic overflow or underflow");
    CHECK_EQ_STR(revert("4e487b71"
                        "0000000000000000000000000000000000000000000000000000000000000032",
                        NULL, 0),
                 "panic 0x32: array index out of bounds");
    CHECK_EQ_STR(revert("", NULL, 0), "(no revert data)");
    CHECK_EQ_STR(revert("deadbeef01", NULL, 0), "0xdeadbeef01");
    CHECK_EQ_STR(revert("08c379a000", NULL, 0), "0x08c379a000"); /* malformed: hex */
    /* a custom error from solc's ABI JSON */
    size_t len;
    char *json = slurp(m2c_test_data("data/abi/Sample.abi.json"), &len);
    REQUIRE(json != NULL);
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig *sigs;
    size_t n;
    REQUIRE(m2c_abi_json_load(&a, &sigs, &n, json, len, NULL) == M2C_OK);
    const m2c_abi_sig *too_small = NULL;
    for (size_t i = 0; i < n; i++)
        if (sigs[i].kind == M2C_ABI_ERROR) too_small = &sigs[i];
    REQUIRE(too_small != NULL);
    char hex[300];
    size_t k = m2c_hex_encode(hex, too_small->selector, 4, 0);
    snprintf(hex + k, sizeof hex - k, "%064x%064x", 5, 100000);
    CHECK_EQ_STR(revert(hex, sigs, n), "TooSmall(5, 100000 [1e5])");
    m2c_arena_free(&a);
    free(json);
}

TEST(test_abi_json_load__rejects_malformed_documents) {
    static const char *const bad[] = {
        "",
        "{",
        "42",
        "{\"abi\": 3}",
        "[3]",
        "[{\"type\": \"function\"}]",
        "[{\"type\": \"function\", \"name\": \"f\", \"inputs\": [{\"type\": \"uint7\"}]}]",
        "[{\"type\": \"function\", \"name\": \"f\", \"inputs\": [{\"type\": \"tuple\"}]}]",
        "[{\"type\": \"function\", \"name\": \"f\", \"inputs\": [{\"type\": \"tuple[x]\", "
        "\"components\": []}]}]",
        "[{\"type\": \"event\", \"name\": \"E\", \"inputs\": [{\"type\": \"uint8\", \"indexed\": "
        "1}]}]",
        "[{\"type\": \"weird\", \"name\": \"f\"}]",
        "[{\"type\": \"function\", \"name\": \"f\", \"inputs\": {}}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m2c_arena a;
        m2c_arena_init(&a, 0);
        m2c_abi_sig *sigs;
        size_t n;
        m2c_err e;
        m2c_err_clear(&e);
        m2c_status st = m2c_abi_json_load(&a, &sigs, &n, bad[i], strlen(bad[i]), &e);
        if (st == M2C_OK) fprintf(stderr, "  accepted %s\n", bad[i]);
        CHECK(st != M2C_OK);
        CHECK(!strncmp(e.msg, "abi json", 8));
        m2c_arena_free(&a);
    }
    /* Hardhat/Foundry artifact shape, tuple arrays from components */
    const char *ok = "{\"abi\": [{\"type\": \"function\", \"name\": \"f\", \"inputs\": [{\"name\": "
                     "\"ps\", \"type\": \"tuple[2][]\", \"components\": [{\"name\": \"x\", "
                     "\"type\": \"int64\"}, {\"name\": \"s\", \"type\": \"string\"}]}]}]}";
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig *sigs;
    size_t n;
    REQUIRE(m2c_abi_json_load(&a, &sigs, &n, ok, strlen(ok), NULL) == M2C_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(sigs[0].canonical, "f((int64,string)[2][])");
    m2c_arena_free(&a);
}

TEST_MAIN(T(test_abi_encode__spec_vectors_encode_decode_and_print),
          T(test_abi_value_parse__integer_boundaries),
          T(test_abi_decode__padding_and_bool_strict_vs_lenient),
          T(test_abi_decode__rejects_offsets_and_lengths_past_the_data),
          T(test_abi_decode__huge_array_length_fails_without_allocating),
          T(test_abi_decode__aliased_offsets_hit_the_value_cap),
          T(test_abi_encode__checks_values_against_their_types),
          T(test_abi_roundtrip__random_types_encode_decode_and_text),
          T(test_abi_decode__random_bytes_never_crash),
          T(test_abi_value_json__valid_json_exact_numbers_and_named_tuples),
          T(test_abi_value_json__random_values_parse_as_json),
          T(test_abi_decode_log__transfer_and_distinct_errors),
          T(test_abi_decode_log__indexed_dynamic_values_are_topic_hashes),
          T(test_abi_value_text__parse_and_print_as_cast_does),
          T(test_abi_value_text__invalid_utf8_prints_replacement_chars),
          T(test_abi_value_parse__rejects_malformed_with_offset),
          T(test_abi_json_load__solc_abi_matches_solc_selectors),
          T(test_abi_json_load__rejects_malformed_documents),
          T(test_abi_decode_call__checks_selector_and_offsets),
          T(test_abi_revert_reason__error_panic_custom_and_unknown))
