/* test_key.c: secp256k1 keys, addresses, signatures and EIP-191 messages (src/eth/key.c). */
#include "test.h"

#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"
#include "ml2chain/key.h"

/* Splits a vector line at '|' or ' ' into up to n fields (in place). Returns the count. */
static int split(char *line, char sep, char **f, int n) {
    int k = 0;
    line[strcspn(line, "\r\n")] = 0;
    f[k++] = line;
    for (char *p = line; *p && k < n; p++)
        if (*p == sep) {
            *p = 0;
            f[k++] = p + 1;
        }
    return k;
}

TEST(test_key_address__matches_published_vectors) {
    FILE *f = fopen(m2c_test_data("data/eth/key_vectors.txt"), "r");
    REQUIRE(f);
    char line[512], *fld[2], got[43];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        REQUIRE(split(line, ' ', fld, 2) == 2);
        m2c_key k;
        m2c_err err;
        CHECK_EQ_INT(m2c_key_parse(&k, fld[0], &err), M2C_OK);
        m2c_addr_checksum(got, &k.addr);
        CHECK_EQ_STR(got, fld[1]);
        m2c_key_wipe(&k);
        n++;
    }
    fclose(f);
    CHECK(n >= 5);
}

TEST(test_key_parse__accepts_0x_and_upper_case) {
    m2c_key a, b;
    CHECK_EQ_INT(m2c_key_parse(&a, "0xAC0974BEC39A17E36BA4A6B4D238FF944BACB478CBED5EFCAE784D7BF4F2FF80", NULL), M2C_OK);
    CHECK_EQ_INT(m2c_key_parse(&b, "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", NULL), M2C_OK);
    CHECK_EQ_MEM(a.secret, b.secret, 32);
    CHECK_EQ_MEM(a.addr.b, b.addr.b, 20);
}

TEST(test_key_parse__rejects_bad_text_without_echoing_it) {
    m2c_key k;
    m2c_err err;
    /* one digit short, one too many, a non-hex digit, empty */
    CHECK_EQ_INT(m2c_key_parse(&k, "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8", &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "64 hex digits") != NULL);
    CHECK_EQ_INT(m2c_key_parse(&k, "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff800", &err), M2C_ERR_INVALID);
    CHECK_EQ_INT(m2c_key_parse(&k, "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ffzz", &err), M2C_ERR_INVALID);
    CHECK(strstr(err.msg, "position 62") != NULL);
    CHECK(strstr(err.msg, "ac0974") == NULL);
    CHECK_EQ_INT(m2c_key_parse(&k, "", &err), M2C_ERR_INVALID);
    CHECK_EQ_INT(m2c_key_parse(&k, NULL, &err), M2C_ERR_INVALID);
    /* the failed parse leaves nothing behind */
    static const uint8_t zero[sizeof(m2c_key)];
    CHECK_EQ_MEM(&k, zero, sizeof k);
}

TEST(test_key_from_bytes__range_boundaries) {
    /* n-1 is the largest valid key; n and n+1 and 0 are not. */
    uint8_t n_minus_1[32], n[32], n_plus_1[32], zero[32] = {0}, one[32] = {0};
    m2c_err err;
    m2c_key k;
    REQUIRE(m2c_hex_decode_exact(n, 32, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", NULL) == M2C_OK);
    memcpy(n_minus_1, n, 32);
    n_minus_1[31]--;
    memcpy(n_plus_1, n, 32);
    n_plus_1[31]++;
    one[31] = 1;
    CHECK_EQ_INT(m2c_key_from_bytes(&k, n_minus_1, &err), M2C_OK);
    CHECK_EQ_INT(m2c_key_from_bytes(&k, one, &err), M2C_OK);
    /* key 1: the generator, whose address is well known */
    char a[43];
    m2c_addr_checksum(a, &k.addr);
    CHECK_EQ_STR(a, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
    CHECK_EQ_INT(m2c_key_from_bytes(&k, n, &err), M2C_ERR_RANGE);
    CHECK(strstr(err.msg, "out of range") != NULL);
    CHECK_EQ_INT(m2c_key_from_bytes(&k, n_plus_1, &err), M2C_ERR_RANGE);
    CHECK_EQ_INT(m2c_key_from_bytes(&k, zero, &err), M2C_ERR_RANGE);
}

TEST(test_key_wipe__clears_every_byte) {
    m2c_key k;
    static const uint8_t zero[sizeof(m2c_key)];
    REQUIRE(m2c_key_generate(&k, NULL) == M2C_OK);
    CHECK(memcmp(&k, zero, sizeof k) != 0);
    m2c_key_wipe(&k);
    CHECK_EQ_MEM(&k, zero, sizeof k);
    m2c_key_wipe(NULL);
}

TEST(test_key_generate__gives_distinct_usable_keys) {
    m2c_key a, b;
    m2c_err err;
    REQUIRE(m2c_key_generate(&a, &err) == M2C_OK);
    REQUIRE(m2c_key_generate(&b, &err) == M2C_OK);
    CHECK(memcmp(a.secret, b.secret, 32) != 0);
    CHECK(memcmp(a.addr.b, b.addr.b, 20) != 0);
    /* the derived fields agree with re-deriving from the secret */
    m2c_key c;
    REQUIRE(m2c_key_from_bytes(&c, a.secret, &err) == M2C_OK);
    CHECK_EQ_MEM(&a, &c, sizeof a);
    m2c_key_wipe(&a);
    m2c_key_wipe(&b);
    m2c_key_wipe(&c);
}

TEST(test_pubkey_address__is_keccak_tail_of_public_key) {
    m2c_key k;
    REQUIRE(m2c_key_parse(&k, "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", NULL) == M2C_OK);
    m2c_hash32 h = m2c_keccak256(k.pub, 64);
    CHECK_EQ_MEM(h.b + 12, k.addr.b, 20);
    /* anvil account 0's public key, as `cast wallet public-key` prints it */
    uint8_t pub[64];
    REQUIRE(m2c_hex_decode_exact(pub, 64, "0x8318535b54105d4a7aae60c08fc45f9687181b4fdfc625bd1a753fa7397fed753547f11ca8696646f2f3acb08e31016afac23e630c5d11f59f61fef57b0d2aa5", NULL) == M2C_OK);
    CHECK_EQ_MEM(pub, k.pub, 64);
}

TEST(test_sign_recover__round_trips_on_random_keys) {
    long iters = m2c_test_iters(200);
    for (long i = 0; i < iters; i++) {
        uint8_t sk[32];
        m2c_key k;
        m2c_hash32 h;
        m2c_sig65 sig, sig2;
        m2c_addr20 who;
        m2c_test_rand_bytes(sk, 32);
        if (m2c_key_from_bytes(&k, sk, NULL) != M2C_OK) continue; /* ~2^-128 */
        m2c_test_rand_bytes(h.b, 32);
        REQUIRE(m2c_key_sign_hash(&sig, &k, &h, NULL) == M2C_OK);
        CHECK(sig.b[64] <= 1);
        CHECK(m2c_sig_is_low_s(&sig));
        /* RFC 6979: same key and hash, same signature */
        REQUIRE(m2c_key_sign_hash(&sig2, &k, &h, NULL) == M2C_OK);
        CHECK_EQ_MEM(sig.b, sig2.b, 65);
        REQUIRE(m2c_sig_recover(&who, &h, &sig, NULL) == M2C_OK);
        CHECK_EQ_MEM(who.b, k.addr.b, 20);
        /* a different hash recovers someone else (or nobody) */
        h.b[i % 32] ^= 1;
        if (m2c_sig_recover(&who, &h, &sig, NULL) == M2C_OK) CHECK(memcmp(who.b, k.addr.b, 20) != 0);
        /* the other recovery id recovers a different key */
        sig.b[64] ^= 1;
        h.b[i % 32] ^= 1;
        if (m2c_sig_recover(&who, &h, &sig, NULL) == M2C_OK) CHECK(memcmp(who.b, k.addr.b, 20) != 0);
        m2c_key_wipe(&k);
    }
}

TEST(test_sig_recover__rejects_zero_and_out_of_range_scalars) {
    m2c_hash32 h;
    m2c_sig65 sig;
    m2c_addr20 who;
    m2c_err err;
    memset(h.b, 0x11, 32);
    memset(&sig, 0, sizeof sig);
    CHECK_EQ_INT(m2c_sig_recover(&who, &h, &sig, &err), M2C_ERR_CRYPTO);
    memset(sig.b, 0xff, 64); /* r, s >= n */
    sig.b[64] = 0;
    CHECK_EQ_INT(m2c_sig_recover(&who, &h, &sig, &err), M2C_ERR_CRYPTO);
    sig.b[64] = 4;
    CHECK_EQ_INT(m2c_sig_recover(&who, &h, &sig, &err), M2C_ERR_CRYPTO);
    CHECK(strstr(err.msg, "recovery id") != NULL);
}

TEST(test_sig_is_low_s__boundary_at_half_order) {
    m2c_sig65 sig;
    memset(&sig, 0, sizeof sig);
    REQUIRE(m2c_hex_decode_exact(sig.b + 32, 32, "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", NULL) == M2C_OK);
    CHECK(m2c_sig_is_low_s(&sig));
    sig.b[63]--;
    CHECK(m2c_sig_is_low_s(&sig));
    sig.b[63] = 0xa1;
    CHECK(!m2c_sig_is_low_s(&sig));
}

TEST(test_eip191__matches_cast_wallet_sign) {
    FILE *f = fopen(m2c_test_data("data/eth/eip191_vectors.txt"), "r");
    REQUIRE(f);
    char line[1024], *fld[3];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        REQUIRE(split(line, '|', fld, 3) == 3);
        m2c_key k;
        uint8_t msg[256], want[65], got[65];
        size_t mlen = strlen(fld[1]);
        m2c_sig65 sig;
        REQUIRE(m2c_key_parse(&k, fld[0], NULL) == M2C_OK);
        if (!strncmp(fld[1], "0x", 2)) {
            REQUIRE(m2c_hex_decode(msg, sizeof msg, &mlen, fld[1], strlen(fld[1]), M2C_HEX_PREFIX_REQUIRED, NULL) == M2C_OK);
        } else {
            memcpy(msg, fld[1], mlen);
        }
        REQUIRE(m2c_hex_decode_exact(want, 65, fld[2], NULL) == M2C_OK);
        REQUIRE(m2c_key_sign_message(&sig, &k, msg, mlen, NULL) == M2C_OK);
        m2c_sig_to_rsv(got, &sig);
        CHECK_EQ_MEM(got, want, 65);
        /* verify accepts it for the signer and names the real signer for anyone else */
        m2c_sig65 parsed;
        REQUIRE(m2c_sig_from_rsv(&parsed, want, NULL) == M2C_OK);
        CHECK_EQ_INT(m2c_verify_message(&k.addr, msg, mlen, &parsed, NULL), M2C_OK);
        m2c_addr20 other = k.addr;
        other.b[0] ^= 0xff;
        m2c_err err;
        CHECK_EQ_INT(m2c_verify_message(&other, msg, mlen, &parsed, &err), M2C_ERR_AUTH);
        CHECK(strstr(err.msg, "signature is by") != NULL);
        /* a changed message does not verify */
        msg[0] ^= 1;
        if (mlen) CHECK(m2c_verify_message(&k.addr, msg, mlen, &parsed, NULL) != M2C_OK);
        n++;
    }
    fclose(f);
    CHECK(n >= 5);
}

TEST(test_eip191_hash__prefix_and_decimal_length) {
    /* "\x19Ethereum Signed Message:\n" "5" "hello", hashed directly */
    static const char pre[] = "\x19" "Ethereum Signed Message:\n5hello";
    m2c_hash32 want = m2c_keccak256(pre, sizeof pre - 1);
    m2c_hash32 got = m2c_eip191_hash((const uint8_t *)"hello", 5);
    CHECK_EQ_MEM(got.b, want.b, 32);
    /* a 1000-byte message uses "1000", not a binary length */
    uint8_t big[1000];
    memset(big, 'a', sizeof big);
    m2c_keccak_ctx c;
    m2c_keccak_init(&c);
    static const char pre1000[] = "\x19" "Ethereum Signed Message:\n1000";
    m2c_keccak_update(&c, pre1000, sizeof pre1000 - 1);
    m2c_keccak_update(&c, big, sizeof big);
    m2c_keccak_final(&c, &want);
    got = m2c_eip191_hash(big, sizeof big);
    CHECK_EQ_MEM(got.b, want.b, 32);
}

TEST(test_sig_from_rsv__accepts_only_known_v) {
    uint8_t w[65] = {0};
    m2c_sig65 s;
    m2c_err err;
    w[0] = 1;
    for (int v = 0; v < 256; v++) {
        w[64] = (uint8_t)v;
        m2c_status st = m2c_sig_from_rsv(&s, w, &err);
        if (v == 0 || v == 1 || v == 27 || v == 28) {
            CHECK_EQ_INT(st, M2C_OK);
            CHECK_EQ_INT(s.b[64], v % 27);
            uint8_t back[65];
            m2c_sig_to_rsv(back, &s);
            CHECK_EQ_INT(back[64], 27 + v % 27);
        } else {
            CHECK_EQ_INT(st, M2C_ERR_INVALID);
        }
    }
}

TEST_MAIN(T(test_key_address__matches_published_vectors),
          T(test_key_parse__accepts_0x_and_upper_case),
          T(test_key_parse__rejects_bad_text_without_echoing_it),
          T(test_key_from_bytes__range_boundaries), T(test_key_wipe__clears_every_byte),
          T(test_key_generate__gives_distinct_usable_keys),
          T(test_pubkey_address__is_keccak_tail_of_public_key),
          T(test_sign_recover__round_trips_on_random_keys),
          T(test_sig_recover__rejects_zero_and_out_of_range_scalars),
          T(test_sig_is_low_s__boundary_at_half_order), T(test_eip191__matches_cast_wallet_sign),
          T(test_eip191_hash__prefix_and_decimal_length),
          T(test_sig_from_rsv__accepts_only_known_v))
