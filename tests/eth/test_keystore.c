/* test_keystore.c: Web3 Secret Storage v3 read/write (src/eth/keystore.c). */
#include "test.h"
#include "scratch.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml2chain/hex.h"
#include "ml2chain/keystore.h"

static const char CAST_KEY[] = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/* Reads a whole test data file into a malloc'd NUL-terminated string. */
static char *slurp(const char *rel, size_t *len) {
    FILE *f = fopen(m2c_test_data(rel), "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

/* Returns a malloc'd copy of src with the first occurrence of `from` replaced by `to`
 * (NULL if `from` does not occur, which fails the calling test). */
static char *mutate(const char *src, const char *from, const char *to) {
    const char *p = strstr(src, from);
    if (!p) return NULL;
    size_t a = (size_t)(p - src), fl = strlen(from), tl = strlen(to), rest = strlen(p + fl);
    char *out = malloc(a + tl + rest + 1);
    memcpy(out, src, a);
    memcpy(out + a, to, tl);
    memcpy(out + a + tl, p + fl, rest + 1);
    return out;
}

static void check_vector(const char *file, const char *pw, const char *want_key) {
    size_t len;
    char *json = slurp(file, &len);
    REQUIRE(json);
    m2c_keystore ks;
    m2c_key k;
    m2c_err err;
    uint8_t want[32];
    CHECK_EQ_INT(m2c_keystore_parse(&ks, json, len, &err), M2C_OK);
    REQUIRE(m2c_hex_decode_exact(want, 32, want_key, NULL) == M2C_OK);
    CHECK_EQ_INT(m2c_keystore_decrypt(&k, &ks, pw, strlen(pw), &err), M2C_OK);
    CHECK_EQ_MEM(k.secret, want, 32);
    /* one wrong character in the password: mac mismatch, named as such */
    char bad[64];
    snprintf(bad, sizeof bad, "%s", pw);
    bad[0] ^= 1;
    CHECK_EQ_INT(m2c_keystore_decrypt(&k, &ks, bad, strlen(bad), &err), M2C_ERR_AUTH);
    CHECK_EQ_STR(err.msg, "wrong password (mac mismatch)");
    static const uint8_t zero[sizeof(m2c_key)];
    CHECK_EQ_MEM(&k, zero, sizeof k);
    free(json);
}

TEST(test_keystore__decrypts_spec_scrypt_vector) {
    check_vector("data/eth/keystore_scrypt_spec.json", "testpassword",
                 "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d");
}

TEST(test_keystore__decrypts_spec_pbkdf2_vector) {
    check_vector("data/eth/keystore_pbkdf2_spec.json", "testpassword",
                 "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d");
}

TEST(test_keystore__decrypts_cast_wallet_import_file) {
    check_vector("data/eth/keystore_cast_import.json", "correct horse", CAST_KEY);
}

TEST(test_keystore__load_file_reads_parses_and_decrypts) {
    m2c_key k;
    m2c_err err;
    CHECK_EQ_INT(m2c_keystore_load_file(&k, m2c_test_data("data/eth/keystore_cast_import.json"),
                                        "correct horse", 13, &err),
                 M2C_OK);
    char a[43];
    m2c_addr_checksum(a, &k.addr);
    CHECK_EQ_STR(a, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    CHECK_EQ_INT(m2c_keystore_load_file(&k, m2c_test_data("data/eth/keystore_cast_import.json"),
                                        "wrong", 5, &err),
                 M2C_ERR_AUTH);
    CHECK(strstr(err.msg, "wrong password (mac mismatch)") != NULL);
    CHECK(strstr(err.msg, "keystore_cast_import.json") != NULL);
    CHECK_EQ_INT(m2c_keystore_load_file(&k, "/nonexistent/ks.json", "x", 1, &err), M2C_ERR_IO);
    CHECK(strstr(err.msg, "/nonexistent/ks.json") != NULL);
}

static void round_trip(const m2c_keystore_params *p) {
    m2c_key k, back;
    m2c_keystore ks, ks2;
    m2c_buf b;
    m2c_err err;
    m2c_buf_init(&b, 0);
    uint8_t sk[32];
    m2c_test_rand_bytes(sk, 32);
    sk[0] &= 0x7f; /* stay below n */
    REQUIRE(m2c_key_from_bytes(&k, sk, NULL) == M2C_OK);
    REQUIRE(m2c_keystore_encrypt(&ks, &k, "pw", 2, p, &err) == M2C_OK);
    REQUIRE(m2c_keystore_to_json(&b, &ks, &err) == M2C_OK);
    CHECK(strstr((char *)b.p, "\"version\":3") != NULL);
    /* address lowercase without 0x, as geth writes it */
    char addr[41];
    m2c_hex_encode(addr, k.addr.b, 20, 0);
    char want[64];
    snprintf(want, sizeof want, "\"address\":\"%s\"", addr);
    CHECK(strstr((char *)b.p, want) != NULL);
    /* uuid v4 */
    CHECK_EQ_INT(strlen(ks.id), 36);
    CHECK_EQ_INT(ks.id[14], '4');
    CHECK(strchr("89ab", ks.id[19]) != NULL);
    REQUIRE(m2c_keystore_parse(&ks2, (char *)b.p, b.len, &err) == M2C_OK);
    CHECK_EQ_MEM(&ks, &ks2, sizeof ks);
    CHECK_EQ_INT(m2c_keystore_decrypt(&back, &ks2, "pw", 2, &err), M2C_OK);
    CHECK_EQ_MEM(back.secret, k.secret, 32);
    CHECK_EQ_INT(m2c_keystore_decrypt(&back, &ks2, "pW", 2, &err), M2C_ERR_AUTH);
    m2c_buf_free(&b);
}

TEST(test_keystore__scrypt_round_trip_through_json) {
    m2c_keystore_params p = {M2C_KDF_SCRYPT, 1024, 8, 1, 0};
    round_trip(&p);
}

TEST(test_keystore__pbkdf2_round_trip_through_json) {
    m2c_keystore_params p = {M2C_KDF_PBKDF2, 0, 0, 0, 1000};
    round_trip(&p);
}

TEST(test_keystore_encrypt__fresh_salt_iv_and_id_each_time) {
    m2c_key k;
    m2c_keystore a, b;
    m2c_keystore_params p = {M2C_KDF_SCRYPT, 16, 1, 1, 0};
    REQUIRE(m2c_key_parse(&k, CAST_KEY, NULL) == M2C_OK);
    REQUIRE(m2c_keystore_encrypt(&a, &k, "x", 1, &p, NULL) == M2C_OK);
    REQUIRE(m2c_keystore_encrypt(&b, &k, "x", 1, &p, NULL) == M2C_OK);
    CHECK(memcmp(a.salt, b.salt, 32) != 0);
    CHECK(memcmp(a.iv, b.iv, 16) != 0);
    CHECK(strcmp(a.id, b.id) != 0);
    CHECK(memcmp(a.ciphertext, b.ciphertext, 32) != 0);
}

TEST(test_keystore_encrypt__rejects_params_outside_caps) {
    m2c_key k;
    m2c_keystore ks;
    m2c_err err;
    REQUIRE(m2c_key_parse(&k, CAST_KEY, NULL) == M2C_OK);
    m2c_keystore_params bad[] = {
        {M2C_KDF_SCRYPT, 1000, 8, 1, 0},     /* not a power of two */
        {M2C_KDF_SCRYPT, 1u << 21, 1, 1, 0}, /* n above 2^20 */
        {M2C_KDF_SCRYPT, 1u << 20, 8, 1, 0}, /* 1 GiB */
        {M2C_KDF_SCRYPT, 1024, 8, 17, 0},    /* p above 16 */
        {M2C_KDF_PBKDF2, 0, 0, 0, 0},        /* c zero */
        {M2C_KDF_PBKDF2, 0, 0, 0, 10000001}, {(m2c_kdf)7, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(m2c_keystore_encrypt(&ks, &k, "x", 1, &bad[i], &err) != M2C_OK);
}

TEST(test_keystore_write_file__mode_0600_and_never_overwrites) {
    char path[4200];
    m2c_test_tmp_path(path, sizeof path, "k.json");
    m2c_key k, back;
    m2c_keystore ks;
    m2c_err err;
    m2c_keystore_params p = {M2C_KDF_SCRYPT, 16, 1, 1, 0};
    REQUIRE(m2c_key_parse(&k, CAST_KEY, NULL) == M2C_OK);
    REQUIRE(m2c_keystore_encrypt(&ks, &k, "x", 1, &p, NULL) == M2C_OK);
    CHECK_EQ_INT(m2c_keystore_write_file(path, &ks, &err), M2C_OK);
    struct stat st;
    REQUIRE(stat(path, &st) == 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    CHECK_EQ_INT(m2c_keystore_write_file(path, &ks, &err), M2C_ERR_IO);
    CHECK(strstr(err.msg, "File exists") != NULL);
    CHECK_EQ_INT(m2c_keystore_load_file(&back, path, "x", 1, &err), M2C_OK);
    CHECK_EQ_MEM(back.secret, k.secret, 32);
    unlink(path);
}

TEST(test_keystore_read_password__trims_trailing_whitespace_only) {
    char path[4200], pw[64];
    size_t n;
    m2c_err err;
    m2c_test_tmp_path(path, sizeof path, "pw-trim");
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fputs("  pass word \t\r\n\n", f);
    fclose(f);
    CHECK_EQ_INT(m2c_keystore_read_password(pw, sizeof pw, &n, path, &err), M2C_OK);
    CHECK_EQ_STR(pw, "  pass word");
    CHECK_EQ_INT(n, 11);
    /* a file longer than the buffer is an error, not a truncated password */
    CHECK_EQ_INT(m2c_keystore_read_password(pw, 8, &n, path, &err), M2C_ERR_RANGE);
    unlink(path);
    CHECK_EQ_INT(m2c_keystore_read_password(pw, sizeof pw, &n, path, &err), M2C_ERR_IO);
}

/* A password of cap-2, cap-1 and cap bytes in a buffer of cap: the last does not fit. */
TEST(test_keystore_read_password__size_boundary_triplet) {
    char path[4200], pw[64];
    size_t n;
    m2c_test_tmp_path(path, sizeof path, "pw-triplet");
    for (size_t len = sizeof pw - 2; len <= sizeof pw; len++) {
        FILE *f = fopen(path, "w");
        REQUIRE(f);
        for (size_t i = 0; i < len; i++)
            fputc('a' + (int)(i % 26), f);
        fclose(f);
        m2c_status st = m2c_keystore_read_password(pw, sizeof pw, &n, path, NULL);
        if (len < sizeof pw) {
            CHECK_EQ_INT(st, M2C_OK);
            CHECK_EQ_INT(n, len);
            CHECK_EQ_INT(pw[n], 0);
        } else {
            CHECK_EQ_INT(st, M2C_ERR_RANGE);
        }
    }
    unlink(path);
}

/* Each mutation of the cast keystore must fail to parse with the given status and a message
 * containing `needle`. */
TEST(test_keystore_parse__rejects_malformed_files_naming_the_field) {
    size_t len;
    char *base = slurp("data/eth/keystore_cast_import.json", &len);
    REQUIRE(base);
    static const struct {
        const char *from, *to;
        m2c_status st;
        const char *needle;
    } cases[] = {
        {"\"version\":3", "\"version\":4", M2C_ERR_RANGE, "version"},
        {"\"version\":3", "\"version\":\"3\"", M2C_ERR_INVALID, "version is not an integer"},
        {",\"version\":3", "", M2C_ERR_INVALID, "missing field version"},
        {"\"crypto\"", "\"cryptx\"", M2C_ERR_INVALID, "missing field crypto"},
        {"aes-128-ctr", "aes-128-cbc", M2C_ERR_UNSUPPORTED, "cipher"},
        {"\"iv\":\"d16365200eef1c95c6b806c3e33a10e9\"", "\"iv\":\"d16365200eef1c95c6b806c3e33a10\"",
         M2C_ERR_INVALID, "cipherparams.iv"},
        {"\"iv\":\"d1", "\"iv\":\"z1", M2C_ERR_INVALID, "cipherparams.iv"},
        {"\"ciphertext\":\"be", "\"ciphertext\":\"bebe", M2C_ERR_INVALID, "crypto.ciphertext"},
        {"\"mac\":\"3b1c", "\"mac\":\"3b1", M2C_ERR_INVALID, "crypto.mac"},
        {"\"mac\":", "\"mak\":", M2C_ERR_INVALID, "missing field crypto.mac"},
        {"\"kdf\":\"scrypt\"", "\"kdf\":\"argon2\"", M2C_ERR_UNSUPPORTED, "kdf"},
        {"\"n\":8192", "\"n\":8191", M2C_ERR_INVALID, "power of two"},
        {"\"n\":8192", "\"n\":2097152", M2C_ERR_RANGE, "kdfparams.n"},
        {"\"n\":8192", "\"n\":1048576", M2C_ERR_RANGE, "MiB"},
        {"\"n\":8192", "\"n\":-8192", M2C_ERR_RANGE, "kdfparams.n"},
        {"\"n\":8192", "\"n\":8192.0", M2C_ERR_INVALID, "not an integer"},
        {"\"p\":1", "\"p\":0", M2C_ERR_RANGE, "kdfparams.p"},
        {"\"p\":1", "\"p\":17", M2C_ERR_RANGE, "kdfparams.p"},
        {"\"r\":8", "\"r\":0", M2C_ERR_RANGE, "kdfparams.r"},
        {"\"dklen\":32", "\"dklen\":16", M2C_ERR_RANGE, "dklen"},
        {"\"salt\":\"d4", "\"salt\":\"d", M2C_ERR_INVALID, "salt"},
        {"\"salt\":\"d4ecf69851672a7e633fc2fcd1312f9e312a3c3e8564458888700c8edc0d5b49\"",
         "\"salt\":\"\"", M2C_ERR_INVALID, "salt is empty"},
        {"\"id\":\"620e81cd", "\"id\":\"620e81cd-620e81cd", M2C_ERR_INVALID, "id"},
        {"\"version\":3", "\"version\":3,\"version\":3", M2C_ERR_INVALID, "invalid json"},
        {"\"version\":3}", "\"version\":3", M2C_ERR_INVALID, "invalid json"},
        {"\"version\":3", "\"version\":3,\"address\":\"0000000000000000000000000000000000000001\"",
         M2C_OK, ""},
        {"\"version\":3", "\"version\":3,\"address\":\"zz\"", M2C_ERR_INVALID, "address"},
        {"\"crypto\"", "\"Crypto\"", M2C_OK, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *j = mutate(base, cases[i].from, cases[i].to);
        if (!j) {
            fprintf(stderr, "  case %zu: '%s' not in vector\n", i, cases[i].from);
            CHECK(j != NULL);
            continue;
        }
        m2c_keystore ks;
        m2c_err err;
        m2c_err_clear(&err);
        m2c_status st = m2c_keystore_parse(&ks, j, strlen(j), &err);
        if (st != cases[i].st || !strstr(err.msg, cases[i].needle)) {
            fprintf(stderr, "  case %zu: got %d '%s'\n", i, (int)st, err.msg);
            CHECK(0);
        }
        free(j);
    }
    free(base);
}

TEST(test_keystore_parse__rejects_non_objects_and_oversized_input) {
    m2c_keystore ks;
    m2c_err err;
    CHECK_EQ_INT(m2c_keystore_parse(&ks, "[]", 2, &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "not a json object") != NULL);
    CHECK_EQ_INT(m2c_keystore_parse(&ks, "", 0, &err), M2C_ERR_INVALID);
    CHECK_EQ_INT(m2c_keystore_parse(&ks, "{\"version\":3,\"crypto\":[]}", 25, &err),
                 M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "crypto is not an object") != NULL);
    size_t big = M2C_KEYSTORE_MAX_JSON + 1;
    char *j = malloc(big);
    memset(j, ' ', big);
    CHECK_EQ_INT(m2c_keystore_parse(&ks, j, big, &err), M2C_ERR_RANGE);
    free(j);
}

TEST(test_keystore_decrypt__address_field_must_match_key) {
    size_t len;
    char *base = slurp("data/eth/keystore_cast_import.json", &len);
    REQUIRE(base);
    m2c_keystore ks;
    m2c_key k;
    m2c_err err;
    char *good = mutate(base, "\"version\":3",
                        "\"version\":3,\"address\":\"70997970c51812dc3a010c7d01b50e0d17dc79c8\"");
    char *bad = mutate(base, "\"version\":3",
                       "\"version\":3,\"address\":\"f39fd6e51aad88f6f4ce6ab8827279cfffb92266\"");
    REQUIRE(good && bad);
    REQUIRE(m2c_keystore_parse(&ks, good, strlen(good), &err) == M2C_OK);
    CHECK_EQ_INT(m2c_keystore_decrypt(&k, &ks, "correct horse", 13, &err), M2C_OK);
    REQUIRE(m2c_keystore_parse(&ks, bad, strlen(bad), &err) == M2C_OK);
    CHECK_EQ_INT(m2c_keystore_decrypt(&k, &ks, "correct horse", 13, &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "does not match") != NULL);
    free(good);
    free(bad);
    free(base);
}

/* RFC 7914 section 12 vectors, through both implementations. */
TEST(test_scrypt__rfc7914_vectors_both_implementations) {
    static const struct {
        const char *pw, *salt;
        uint64_t n;
        uint32_t r, p;
        const char *dk;
    } v[] = {
        {"", "", 16, 1, 1,
         "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
         "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"},
        {"password", "NaCl", 1024, 8, 16,
         "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
         "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t want[64], a[64], b[64];
        REQUIRE(m2c_hex_decode_exact(want, 64, v[i].dk, NULL) == M2C_OK);
        CHECK_EQ_INT(m2c_scrypt(a, 64, v[i].pw, strlen(v[i].pw), (const uint8_t *)v[i].salt,
                                strlen(v[i].salt), v[i].n, v[i].r, v[i].p, NULL),
                     M2C_OK);
        CHECK_EQ_INT(m2c_scrypt_portable(b, 64, v[i].pw, strlen(v[i].pw),
                                         (const uint8_t *)v[i].salt, strlen(v[i].salt), v[i].n,
                                         v[i].r, v[i].p, NULL),
                     M2C_OK);
        CHECK_EQ_MEM(a, want, 64);
        CHECK_EQ_MEM(b, want, 64);
    }
}

/* The portable ROMix agrees with OpenSSL on random small parameter sets. */
TEST(test_scrypt_portable__matches_openssl_on_random_params) {
    long iters = m2c_test_iters(20);
    for (long i = 0; i < iters; i++) {
        uint8_t salt[40], a[48], b[48];
        char pw[24];
        size_t sl = m2c_test_rand() % sizeof salt + 1, pl = m2c_test_rand() % sizeof pw;
        uint32_t r = (uint32_t)(m2c_test_rand() % 8 + 1), p = (uint32_t)(m2c_test_rand() % 3 + 1);
        uint64_t n = 2ull << (m2c_test_rand() % 9); /* 2 .. 512 */
        size_t dl = m2c_test_rand() % sizeof a + 1;
        m2c_test_rand_bytes(salt, sl);
        m2c_test_rand_bytes((uint8_t *)pw, pl);
        REQUIRE(m2c_scrypt(a, dl, pw, pl, salt, sl, n, r, p, NULL) == M2C_OK);
        REQUIRE(m2c_scrypt_portable(b, dl, pw, pl, salt, sl, n, r, p, NULL) == M2C_OK);
        CHECK_EQ_MEM(a, b, dl);
    }
}

TEST(test_scrypt__rejects_params_outside_caps) {
    uint8_t out[32];
    m2c_err err;
    CHECK_EQ_INT(m2c_scrypt(out, 32, "", 0, (const uint8_t *)"s", 1, 3, 1, 1, &err), M2C_ERR_RANGE);
    CHECK_EQ_INT(m2c_scrypt(out, 32, "", 0, (const uint8_t *)"s", 1, 1u << 21, 1, 1, &err),
                 M2C_ERR_RANGE);
    CHECK_EQ_INT(m2c_scrypt_portable(out, 32, "", 0, (const uint8_t *)"s", 1, 1u << 20, 8, 1, &err),
                 M2C_ERR_RANGE);
    CHECK_EQ_INT(m2c_scrypt(out, 32, "", 0, (const uint8_t *)"s", 1, 16, 1, 0, &err),
                 M2C_ERR_RANGE);
}

TEST_MAIN(T(test_scrypt__rfc7914_vectors_both_implementations),
          T(test_scrypt_portable__matches_openssl_on_random_params),
          T(test_scrypt__rejects_params_outside_caps),
          T(test_keystore__decrypts_spec_scrypt_vector),
          T(test_keystore__decrypts_spec_pbkdf2_vector),
          T(test_keystore__decrypts_cast_wallet_import_file),
          T(test_keystore__load_file_reads_parses_and_decrypts),
          T(test_keystore__scrypt_round_trip_through_json),
          T(test_keystore__pbkdf2_round_trip_through_json),
          T(test_keystore_encrypt__fresh_salt_iv_and_id_each_time),
          T(test_keystore_encrypt__rejects_params_outside_caps),
          T(test_keystore_write_file__mode_0600_and_never_overwrites),
          T(test_keystore_read_password__trims_trailing_whitespace_only),
          T(test_keystore_read_password__size_boundary_triplet),
          T(test_keystore_parse__rejects_malformed_files_naming_the_field),
          T(test_keystore_parse__rejects_non_objects_and_oversized_input),
          T(test_keystore_decrypt__address_field_must_match_key))
