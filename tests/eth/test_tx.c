/* test_tx.c: legacy / EIP-155, EIP-2930 and EIP-1559 transactions (src/eth/tx.c). */
#include "test.h"

#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/rlp.h"
#include "ml2chain/tx.h"
#include "ml2chain/u256.h"

/* A transaction parsed from one line of tests/data/eth/tx_vectors.txt, with storage. */
typedef struct {
    m2c_key key;
    m2c_tx tx;
    uint8_t data[256];
    m2c_access_entry al[4];
    m2c_hash32 keys[8];
    uint8_t raw[1024];
    size_t raw_len;
} vec;

static int u256_field(m2c_u256 *out, const char *s) {
    return m2c_u256_parse(out, s, strlen(s), NULL) == M2C_OK;
}

static int u64_field(uint64_t *out, const char *s) {
    m2c_u256 v;
    return u256_field(&v, s) && m2c_u256_to_u64(out, &v);
}

/* Parses "addr:key,key;addr:" into v->al / v->keys. */
static int parse_access(vec *v, char *s) {
    size_t ne = 0, nk = 0;
    if (!strcmp(s, "-")) return 1;
    for (char *ent = strtok(s, ";"); ent; ent = strtok(NULL, ";")) {
        char *colon = strchr(ent, ':');
        if (!colon || ne == 4) return 0;
        *colon = 0;
        if (m2c_addr_parse(&v->al[ne].address, ent, NULL) != M2C_OK) return 0;
        v->al[ne].keys = v->keys + nk;
        v->al[ne].n_keys = 0;
        for (char *k = colon + 1; *k;) {
            char *comma = strchr(k, ',');
            if (comma) *comma = 0;
            if (nk == 8 || m2c_hash_parse(&v->keys[nk], k, NULL) != M2C_OK) return 0;
            nk++;
            v->al[ne].n_keys++;
            if (!comma) break;
            k = comma + 1;
        }
        ne++;
    }
    v->tx.access_list = v->al;
    v->tx.access_len = ne;
    return 1;
}

static int parse_vec(vec *v, char *line) {
    char *f[13];
    int k = 0;
    memset(v, 0, sizeof *v);
    line[strcspn(line, "\r\n")] = 0;
    f[k++] = line;
    for (char *p = line; *p && k < 13; p++)
        if (*p == '|') *p = 0, f[k++] = p + 1;
    if (k != 13) return 0;
    uint64_t type;
    if (m2c_key_parse(&v->key, f[0], NULL) != M2C_OK || !u64_field(&type, f[1])) return 0;
    v->tx.type = (m2c_tx_type)type;
    if (!u64_field(&v->tx.chain_id, f[2]) || !u64_field(&v->tx.nonce, f[3]) ||
        !u256_field(&v->tx.gas_price, f[4]) || !u256_field(&v->tx.max_priority_fee_per_gas, f[5]) ||
        !u256_field(&v->tx.max_fee_per_gas, f[6]) || !u64_field(&v->tx.gas_limit, f[7]) ||
        !u256_field(&v->tx.value, f[9]))
        return 0;
    if (strcmp(f[8], "-")) {
        if (m2c_addr_parse(&v->tx.to, f[8], NULL) != M2C_OK) return 0;
        v->tx.has_to = 1;
    }
    if (m2c_hex_decode(v->data, sizeof v->data, &v->tx.data_len, f[10], strlen(f[10]),
                       M2C_HEX_PREFIX_REQUIRED, NULL) != M2C_OK)
        return 0;
    v->tx.data = v->data;
    if (!parse_access(v, f[11])) return 0;
    return m2c_hex_decode(v->raw, sizeof v->raw, &v->raw_len, f[12], strlen(f[12]),
                          M2C_HEX_PREFIX_REQUIRED, NULL) == M2C_OK;
}

/* Compares the fields a decode must reproduce. */
static void check_same_tx(const m2c_tx *a, const m2c_tx *b) {
    CHECK_EQ_INT(a->type, b->type);
    CHECK_EQ_INT(a->chain_id, b->chain_id);
    CHECK_EQ_INT(a->nonce, b->nonce);
    CHECK_EQ_INT(a->gas_limit, b->gas_limit);
    if (a->type != M2C_TX_EIP1559) CHECK(m2c_u256_cmp(&a->gas_price, &b->gas_price) == 0);
    if (a->type == M2C_TX_EIP1559) {
        CHECK(m2c_u256_cmp(&a->max_fee_per_gas, &b->max_fee_per_gas) == 0);
        CHECK(m2c_u256_cmp(&a->max_priority_fee_per_gas, &b->max_priority_fee_per_gas) == 0);
    }
    CHECK(m2c_u256_cmp(&a->value, &b->value) == 0);
    CHECK_EQ_INT(a->has_to, b->has_to);
    if (a->has_to && b->has_to) CHECK_EQ_MEM(a->to.b, b->to.b, 20);
    CHECK_EQ_INT(a->data_len, b->data_len);
    if (a->data_len == b->data_len && a->data_len) CHECK_EQ_MEM(a->data, b->data, a->data_len);
    CHECK_EQ_INT(a->access_len, b->access_len);
    for (size_t i = 0; i < a->access_len && i < b->access_len; i++) {
        CHECK_EQ_MEM(a->access_list[i].address.b, b->access_list[i].address.b, 20);
        CHECK_EQ_INT(a->access_list[i].n_keys, b->access_list[i].n_keys);
        for (size_t k = 0; k < a->access_list[i].n_keys && k < b->access_list[i].n_keys; k++)
            CHECK_EQ_MEM(a->access_list[i].keys[k].b, b->access_list[i].keys[k].b, 32);
    }
    CHECK_EQ_INT(a->is_signed, b->is_signed);
    if (a->is_signed && b->is_signed) CHECK_EQ_MEM(a->sig.b, b->sig.b, 65);
}

TEST(test_tx_sign__matches_eip155_example_and_cast_mktx) {
    FILE *f = fopen(m2c_test_data("data/eth/tx_vectors.txt"), "r");
    REQUIRE(f);
    char line[4096];
    int n = 0;
    static vec v;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        REQUIRE(parse_vec(&v, line));
        m2c_buf b;
        m2c_err err;
        m2c_buf_init(&b, 0);
        CHECK_EQ_INT(m2c_tx_sign(&v.tx, &v.key, &err), M2C_OK);
        CHECK_EQ_INT(m2c_tx_encode_signed(&b, &v.tx, &err), M2C_OK);
        CHECK_EQ_INT(b.len, v.raw_len);
        if (b.len == v.raw_len) CHECK_EQ_MEM(b.p, v.raw, b.len);
        /* the tx hash is keccak of the raw bytes */
        m2c_hash32 h, want = m2c_keccak256(v.raw, v.raw_len);
        CHECK_EQ_INT(m2c_tx_hash(&h, &v.tx, &err), M2C_OK);
        CHECK_EQ_MEM(h.b, want.b, 32);
        /* decoding the reference bytes gives back the fields and the signer */
        m2c_tx d;
        m2c_addr20 from;
        CHECK_EQ_INT(m2c_tx_decode(&d, v.raw, v.raw_len, &err), M2C_OK);
        check_same_tx(&d, &v.tx);
        CHECK_EQ_INT(m2c_tx_sender(&from, &d, &err), M2C_OK);
        CHECK_EQ_MEM(from.b, v.key.addr.b, 20);
        m2c_tx_free(&d);
        m2c_buf_free(&b);
        n++;
    }
    fclose(f);
    CHECK_EQ_INT(n, 7);
}

TEST(test_tx_encode_unsigned__eip155_signing_data_and_hash) {
    m2c_tx tx = {0};
    m2c_buf b;
    m2c_hash32 h;
    uint8_t want[64], want_h[32];
    size_t wl;
    tx.type = M2C_TX_LEGACY;
    tx.chain_id = 1;
    tx.nonce = 9;
    tx.gas_price = m2c_u256_from_u64(20000000000ull);
    tx.gas_limit = 21000;
    tx.has_to = 1;
    memset(tx.to.b, 0x35, 20);
    tx.value = m2c_u256_from_u64(1000000000000000000ull);
    m2c_buf_init(&b, 0);
    REQUIRE(m2c_tx_encode_unsigned(&b, &tx, NULL) == M2C_OK);
    REQUIRE(m2c_hex_decode(want, sizeof want, &wl,
                           "0xec098504a817c800825208943535353535353535353535353535353535353535880de"
                           "0b6b3a764000080018080",
                           92, M2C_HEX_PREFIX_REQUIRED, NULL) == M2C_OK);
    CHECK_EQ_INT(b.len, wl);
    CHECK_EQ_MEM(b.p, want, wl);
    REQUIRE(m2c_tx_signing_hash(&h, &tx, NULL) == M2C_OK);
    REQUIRE(m2c_hex_decode_exact(want_h, 32,
                                 "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53",
                                 NULL) == M2C_OK);
    CHECK_EQ_MEM(h.b, want_h, 32);
    /* unsigned: no raw form */
    m2c_buf_reset(&b);
    m2c_err err;
    CHECK_EQ_INT(m2c_tx_encode_signed(&b, &tx, &err), M2C_ERR_STATE);
    m2c_buf_free(&b);
}

TEST(test_tx_encode__typed_tx_needs_chain_id_and_legacy_no_access_list) {
    m2c_tx tx = {0};
    m2c_buf b;
    m2c_err err;
    m2c_access_entry e = {{{0}}, NULL, 0};
    m2c_buf_init(&b, 0);
    tx.type = M2C_TX_EIP1559;
    CHECK_EQ_INT(m2c_tx_encode_unsigned(&b, &tx, &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "chain id") != NULL);
    tx.type = M2C_TX_LEGACY;
    tx.access_list = &e;
    tx.access_len = 1;
    CHECK_EQ_INT(m2c_tx_encode_unsigned(&b, &tx, &err), M2C_ERR_INVALID);
    tx.type = (m2c_tx_type)3;
    CHECK_EQ_INT(m2c_tx_encode_unsigned(&b, &tx, &err), M2C_ERR_UNSUPPORTED);
    m2c_buf_free(&b);
}

/* Fills tx with random fields of a random type; storage comes from the caller. */
static void random_tx(m2c_tx *tx, uint8_t *data, size_t data_cap, m2c_access_entry *al,
                      m2c_hash32 *keys) {
    memset(tx, 0, sizeof *tx);
    tx->type = (m2c_tx_type)(m2c_test_rand() % 3);
    uint64_t r = m2c_test_rand();
    /* chain ids: 0 (pre-EIP-155, legacy only), small, and near the u64 limit */
    tx->chain_id = r % 4 == 0   ? 1
                   : r % 4 == 1 ? m2c_test_rand() % 100000 + 1
                   : r % 4 == 2 ? (UINT64_MAX - 36) / 2
                                : m2c_test_rand() >> 1;
    if (tx->type == M2C_TX_LEGACY && m2c_test_rand() % 5 == 0) tx->chain_id = 0;
    tx->nonce = m2c_test_rand() % 3 ? m2c_test_rand() % 1000 : UINT64_MAX;
    uint8_t w[32];
    m2c_test_rand_bytes(w, 32);
    size_t cut = m2c_test_rand() % 33;
    memset(w, 0, cut);
    tx->gas_price = m2c_u256_from_be32(w);
    tx->max_fee_per_gas = tx->gas_price;
    tx->max_priority_fee_per_gas = m2c_u256_from_u64(m2c_test_rand() % 3 ? m2c_test_rand() : 0);
    tx->gas_limit = m2c_test_rand() % 30000000;
    tx->has_to = m2c_test_rand() % 4 != 0;
    if (tx->has_to) m2c_test_rand_bytes(tx->to.b, 20);
    m2c_test_rand_bytes(w, 32);
    memset(w, 0, m2c_test_rand() % 33);
    tx->value = m2c_u256_from_be32(w);
    tx->data_len = m2c_test_rand() % 3 ? m2c_test_rand() % data_cap : 0;
    m2c_test_rand_bytes(data, tx->data_len);
    tx->data = data;
    if (tx->type != M2C_TX_LEGACY) {
        tx->access_len = m2c_test_rand() % 4;
        size_t nk = 0;
        for (size_t i = 0; i < tx->access_len; i++) {
            m2c_test_rand_bytes(al[i].address.b, 20);
            al[i].keys = keys + nk;
            al[i].n_keys = m2c_test_rand() % 3;
            for (size_t k = 0; k < al[i].n_keys; k++)
                m2c_test_rand_bytes(keys[nk++].b, 32);
        }
        tx->access_list = al;
    }
}

TEST(test_tx__random_sign_encode_decode_recover_round_trip) {
    long iters = m2c_test_iters(300);
    static uint8_t data[2000];
    m2c_access_entry al[4];
    m2c_hash32 keys[12];
    for (long i = 0; i < iters; i++) {
        m2c_tx tx, d;
        m2c_key k;
        uint8_t sk[32];
        m2c_buf b, b2;
        m2c_err err;
        m2c_addr20 from;
        random_tx(&tx, data, sizeof data, al, keys);
        m2c_test_rand_bytes(sk, 32);
        if (m2c_key_from_bytes(&k, sk, NULL) != M2C_OK) continue;
        m2c_buf_init(&b, 0);
        m2c_buf_init(&b2, 0);
        REQUIRE(m2c_tx_sign(&tx, &k, &err) == M2C_OK);
        REQUIRE(m2c_tx_encode_signed(&b, &tx, &err) == M2C_OK);
        /* typed txs start with their type byte; legacy ones with a list header */
        if (tx.type == M2C_TX_LEGACY)
            CHECK(b.p[0] >= 0xc0);
        else
            CHECK_EQ_INT(b.p[0], tx.type);
        if (m2c_tx_decode(&d, b.p, b.len, &err) != M2C_OK) {
            fprintf(stderr, "  iteration %ld: %s\n", i, err.msg);
            CHECK(0);
        } else {
            check_same_tx(&d, &tx);
            CHECK_EQ_INT(m2c_tx_sender(&from, &d, &err), M2C_OK);
            CHECK_EQ_MEM(from.b, k.addr.b, 20);
            REQUIRE(m2c_tx_encode_signed(&b2, &d, &err) == M2C_OK);
            CHECK_EQ_INT(b2.len, b.len);
            if (b2.len == b.len) CHECK_EQ_MEM(b2.p, b.p, b.len);
            m2c_tx_free(&d);
        }
        m2c_buf_free(&b);
        m2c_buf_free(&b2);
        m2c_key_wipe(&k);
    }
}

/* ---- malformed input ------------------------------------------------------------- */

/* A field for build(): hex bytes as an RLP string, or already-encoded RLP when raw. */
typedef struct {
    const char *hex;
    int raw;
} fld;

/* Encodes [type byte] || RLP list of the fields into b. */
static void build(m2c_buf *b, int type, const fld *f, size_t n) {
    m2c_rlp_enc e;
    uint8_t tmp[512];
    size_t tl;
    int bad = 0;
    m2c_buf_reset(b);
    if (type > 0) bad |= m2c_buf_append_byte(b, (uint8_t)type) != M2C_OK;
    m2c_rlp_enc_init(&e, b);
    bad |= m2c_rlp_list_begin(&e) != M2C_OK;
    for (size_t i = 0; i < n; i++) {
        bad |= m2c_hex_decode(tmp, sizeof tmp, &tl, f[i].hex, strlen(f[i].hex),
                              M2C_HEX_PREFIX_OPTIONAL, NULL) != M2C_OK;
        if (f[i].raw)
            bad |= m2c_rlp_put_raw(&e, tmp, tl) != M2C_OK;
        else
            bad |= m2c_rlp_put_bytes(&e, tmp, tl) != M2C_OK;
    }
    bad |= m2c_rlp_list_end(&e) != M2C_OK;
    if (bad) abort(); /* the test's own fields are wrong */
}

#define R_OK "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276"
#define S_OK "67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
/* n - S_OK: the same signature with high s */
#define S_HIGH "98341627668089e51348fccfb4c7ff31c55912f2d2e47ef09652acf665fad3be"
#define TO     "3535353535353535353535353535353535353535"

static m2c_status decode_fields(int type, const fld *f, size_t n, m2c_err *err) {
    m2c_buf b;
    m2c_tx d;
    m2c_buf_init(&b, 0);
    build(&b, type, f, n);
    m2c_status st = m2c_tx_decode(&d, b.p, b.len, err);
    m2c_tx_free(&d);
    m2c_buf_free(&b);
    return st;
}

TEST(test_tx_decode__eip155_example_rebuilt_is_accepted) {
    /* the harness itself: the unmodified example fields must decode */
    fld f[] = {{"09", 0}, {"04a817c800", 0}, {"5208", 0}, {TO, 0},  {"0de0b6b3a7640000", 0},
               {"", 0},   {"25", 0},         {R_OK, 0},   {S_OK, 0}};
    m2c_err err;
    CHECK_EQ_INT(decode_fields(0, f, 9, &err), M2C_OK);
}

TEST(test_tx_decode__rejects_bad_legacy_fields) {
    static const struct {
        int idx;
        const char *hex;
        m2c_status st;
        const char *needle;
    } cases[] = {
        {0, "0009", M2C_ERR_NONCANONICAL, "nonce"},        /* leading zero */
        {0, "010203040506070809", M2C_ERR_RANGE, "nonce"}, /* > 8 bytes */
        {2, "005208", M2C_ERR_NONCANONICAL, "gasLimit"},
        {3, "35353535353535353535353535353535353535", M2C_ERR_INVALID, "to must be empty or 20"},
        {3, "353535353535353535353535353535353535353535", M2C_ERR_INVALID,
         "to must be empty or 20"},
        {6, "1d", M2C_ERR_INVALID, "v is neither"}, /* v = 29 */
        {6, "00", M2C_ERR_NONCANONICAL, "field v"}, /* non-canonical zero */
        {6, "01", M2C_ERR_INVALID, "v is neither"},
        {6, "23", M2C_ERR_INVALID, "chain id 0"}, /* v = 35: found by fuzzing */
        {6, "24", M2C_ERR_INVALID, "chain id 0"},
        {7, "", M2C_ERR_INVALID, "r is zero"},
        {7, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", M2C_ERR_INVALID,
         "curve order"},
        {8, S_HIGH, M2C_ERR_INVALID, "EIP-2"},
        {8, "00" S_OK, M2C_ERR_RANGE, "s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fld f[] = {{"09", 0}, {"04a817c800", 0}, {"5208", 0}, {TO, 0},  {"0de0b6b3a7640000", 0},
                   {"", 0},   {"25", 0},         {R_OK, 0},   {S_OK, 0}};
        f[cases[i].idx].hex = cases[i].hex;
        m2c_err err;
        m2c_err_clear(&err);
        m2c_status st = decode_fields(0, f, 9, &err);
        if (st != cases[i].st || !strstr(err.msg, cases[i].needle)) {
            fprintf(stderr, "  case %zu: got %d '%s'\n", i, (int)st, err.msg);
            CHECK(0);
        }
    }
}

TEST(test_tx_decode__rejects_wrong_field_counts_and_shapes) {
    fld f[] = {{"09", 0}, {"04a817c800", 0}, {"5208", 0}, {TO, 0},   {"0de0b6b3a7640000", 0},
               {"", 0},   {"25", 0},         {R_OK, 0},   {S_OK, 0}, {"01", 0}};
    m2c_err err;
    CHECK_EQ_INT(decode_fields(0, f, 10, &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "more fields") != NULL);
    CHECK_EQ_INT(decode_fields(0, f, 8, &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "field s missing") != NULL);
    /* a list where the nonce should be */
    fld g[] = {{"c0", 1}, {"04a817c800", 0}, {"5208", 0}, {TO, 0},  {"0de0b6b3a7640000", 0},
               {"", 0},   {"25", 0},         {R_OK, 0},   {S_OK, 0}};
    CHECK_EQ_INT(decode_fields(0, g, 9, &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "nonce is a list") != NULL);
}

TEST(test_tx_decode__rejects_bad_typed_fields) {
    /* type 2: chainId nonce tip maxfee gas to value data accessList yParity r s */
    fld ok[] = {{"01", 0}, {"", 0}, {"01", 0}, {"02", 0}, {"5208", 0}, {TO, 0},
                {"", 0},   {"", 0}, {"c0", 1}, {"", 0},   {R_OK, 0},   {S_OK, 0}};
    m2c_err err;
    /* the signature does not belong to this payload, but decoding does not check that */
    CHECK_EQ_INT(decode_fields(2, ok, 12, &err), M2C_OK);
    static const struct {
        int idx;
        const char *hex;
        int raw;
        const char *needle;
    } cases[] = {
        {9, "02", 0, "yParity"},
        {9, "1b", 0, "yParity"},
        {8, "", 0, "access list is not a list"},
        {8, "c180", 1, "entry 0 is not a list"},
        {8, "c3c28080", 1, "address must be 20 bytes"},
        {8, "d7d6943535353535353535353535353535353535353535", 1, "storage keys"},
        {8, "d8d7943535353535353535353535353535353535353535c0", 1, "entry 0 has more than 2 items"},
        {8, "d8d7943535353535353535353535353535353535353535c180", 1,
         "storage key must be 32 bytes"},
        {0, "", 0, "chain id 0"}, /* found by fuzz_tx_decode: the encoder refuses it */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fld f[12];
        memcpy(f, ok, sizeof f);
        f[cases[i].idx].hex = cases[i].hex;
        f[cases[i].idx].raw = cases[i].raw;
        m2c_err_clear(&err);
        m2c_status st = decode_fields(2, f, 12, &err);
        if (st == M2C_OK || !strstr(err.msg, cases[i].needle)) {
            fprintf(stderr, "  case %zu: got %d '%s'\n", i, (int)st, err.msg);
            CHECK(0);
        }
    }
    /* type 1 has no fee-market fields: 11 items */
    CHECK(decode_fields(1, ok, 12, &err) != M2C_OK);
}

TEST(test_tx_decode__rejects_unknown_types_and_framing) {
    m2c_tx d;
    m2c_err err;
    uint8_t b[4] = {0x03, 0xc0};
    CHECK_EQ_INT(m2c_tx_decode(&d, b, 2, &err), M2C_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "type 0x03") != NULL);
    b[0] = 0x00;
    CHECK_EQ_INT(m2c_tx_decode(&d, b, 2, &err), M2C_ERR_UNSUPPORTED);
    b[0] = 0x85; /* a string, not a list */
    CHECK_EQ_INT(m2c_tx_decode(&d, b, 2, &err), M2C_ERR_INVALID);
    CHECK_EQ_INT(m2c_tx_decode(&d, b, 0, &err), M2C_ERR_TRUNCATED);
    b[0] = 0x02;
    b[1] = 0x80; /* typed, payload a string */
    CHECK_EQ_INT(m2c_tx_decode(&d, b, 2, &err), M2C_ERR_INVALID);
    CHECK_EQ_INT(m2c_tx_decode(&d, b, 1, &err), M2C_ERR_TRUNCATED);
}

/* Every prefix of a valid raw tx, and the tx with a trailing byte, must be rejected. */
TEST(test_tx_decode__rejects_every_truncation_and_trailing_bytes) {
    FILE *f = fopen(m2c_test_data("data/eth/tx_vectors.txt"), "r");
    REQUIRE(f);
    char line[4096];
    static vec v;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        REQUIRE(parse_vec(&v, line));
        for (size_t len = 0; len < v.raw_len; len++) {
            uint8_t *cut = malloc(len ? len : 1);
            memcpy(cut, v.raw, len);
            m2c_tx d;
            m2c_err err;
            if (m2c_tx_decode(&d, cut, len, &err) == M2C_OK) {
                fprintf(stderr, "  prefix %zu accepted\n", len);
                CHECK(0);
                m2c_tx_free(&d);
            }
            free(cut);
        }
        uint8_t more[1025];
        memcpy(more, v.raw, v.raw_len);
        more[v.raw_len] = 0;
        m2c_tx d;
        m2c_err err;
        CHECK_EQ_INT(m2c_tx_decode(&d, more, v.raw_len + 1, &err), M2C_ERR_INVALID);
        CHECK(strstr(err.msg, "trailing") != NULL);
        n++;
    }
    fclose(f);
    CHECK(n > 0);
}

TEST(test_tx_decode__legacy_chain_id_boundaries) {
    /* v = 35 + 2 * chain_id + parity for the largest chain id that fits u64, and one past */
    m2c_tx tx = {0}, d;
    m2c_key k;
    m2c_buf b;
    m2c_err err;
    m2c_addr20 from;
    REQUIRE(m2c_key_parse(&k, "4646464646464646464646464646464646464646464646464646464646464646",
                          NULL) == M2C_OK);
    m2c_buf_init(&b, 0);
    tx.type = M2C_TX_LEGACY;
    tx.chain_id = UINT64_MAX;
    tx.gas_limit = 21000;
    REQUIRE(m2c_tx_sign(&tx, &k, &err) == M2C_OK);
    REQUIRE(m2c_tx_encode_signed(&b, &tx, &err) == M2C_OK);
    CHECK_EQ_INT(m2c_tx_decode(&d, b.p, b.len, &err), M2C_OK);
    CHECK(d.chain_id == UINT64_MAX);
    CHECK_EQ_INT(m2c_tx_sender(&from, &d, &err), M2C_OK);
    CHECK_EQ_MEM(from.b, k.addr.b, 20);
    m2c_tx_free(&d);
    /* v for chain id 2^64 (35 + 2^65): decodes as out of range */
    fld f[] = {
        {"", 0},   {"", 0},  {"5208", 0}, {TO, 0}, {"", 0}, {"", 0}, {"020000000000000023", 0},
        {R_OK, 0}, {S_OK, 0}};
    CHECK_EQ_INT(decode_fields(0, f, 9, &err), M2C_ERR_RANGE);
    CHECK(strstr(err.msg, "chain id") != NULL);
    /* pre-EIP-155 (v = 27/28) decodes with chain id 0 */
    tx.chain_id = 0;
    m2c_buf_reset(&b);
    REQUIRE(m2c_tx_sign(&tx, &k, &err) == M2C_OK);
    REQUIRE(m2c_tx_encode_signed(&b, &tx, &err) == M2C_OK);
    CHECK_EQ_INT(m2c_tx_decode(&d, b.p, b.len, &err), M2C_OK);
    CHECK(d.chain_id == 0);
    CHECK_EQ_INT(m2c_tx_sender(&from, &d, &err), M2C_OK);
    CHECK_EQ_MEM(from.b, k.addr.b, 20);
    m2c_tx_free(&d);
    m2c_buf_free(&b);
}

TEST(test_tx_decode__rejects_oversized_input) {
    uint8_t *big = calloc(1, M2C_TX_MAX_RAW + 1);
    REQUIRE(big);
    big[0] = 0xc0;
    m2c_tx d;
    m2c_err err;
    CHECK_EQ_INT(m2c_tx_decode(&d, big, M2C_TX_MAX_RAW + 1, &err), M2C_ERR_RANGE);
    CHECK(strstr(err.msg, "too large") != NULL);
    /* at and just under the cap the size is fine and the content is what fails */
    CHECK_EQ_INT(m2c_tx_decode(&d, big, M2C_TX_MAX_RAW, &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "too large") == NULL);
    CHECK_EQ_INT(m2c_tx_decode(&d, big, M2C_TX_MAX_RAW - 1, &err), M2C_ERR_INVALID);
    free(big);
}

TEST_MAIN(T(test_tx_sign__matches_eip155_example_and_cast_mktx),
          T(test_tx_encode_unsigned__eip155_signing_data_and_hash),
          T(test_tx_encode__typed_tx_needs_chain_id_and_legacy_no_access_list),
          T(test_tx__random_sign_encode_decode_recover_round_trip),
          T(test_tx_decode__eip155_example_rebuilt_is_accepted),
          T(test_tx_decode__rejects_bad_legacy_fields),
          T(test_tx_decode__rejects_wrong_field_counts_and_shapes),
          T(test_tx_decode__rejects_bad_typed_fields),
          T(test_tx_decode__rejects_unknown_types_and_framing),
          T(test_tx_decode__rejects_every_truncation_and_trailing_bytes),
          T(test_tx_decode__legacy_chain_id_boundaries), T(test_tx_decode__rejects_oversized_input))
