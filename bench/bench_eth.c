/* bench_eth.c: cost of the signing layer the node's transaction manager and watchers lean on:
 * secp256k1 signing and recovery, EIP-1559 sign + serialise, raw tx decode + sender recovery,
 * and keystore unlocking at common scrypt costs (cast's n = 2^13, geth's n = 2^18), with
 * ml2chain's portable scrypt next to OpenSSL's for comparison. One line per measurement. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ml2chain/keystore.h"
#include "ml2chain/tx.h"
#include "ml2chain/u256.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint8_t sink;

static void report(const char *what, double secs, double ops) {
    if (ops / secs >= 100)
        printf("%-52s %12.0f ops/s\n", what, ops / secs);
    else
        printf("%-52s %12.1f ms each\n", what, secs / ops * 1e3);
}

static int fail(const char *what, const m2c_err *e) {
    fprintf(stderr, "bench_eth: %s: %s\n", what, e->msg);
    return 1;
}

int main(void) {
    m2c_key k;
    m2c_err err;
    m2c_hash32 h;
    m2c_sig65 sig;
    m2c_addr20 who;
    memset(h.b, 0x5a, 32);
    if (m2c_key_parse(&k, "4646464646464646464646464646464646464646464646464646464646464646", &err))
        return fail("key", &err);

    long n = 20000;
    double t = now();
    for (long i = 0; i < n; i++) {
        h.b[0] = (uint8_t)i;
        if (m2c_key_sign_hash(&sig, &k, &h, &err)) return fail("sign", &err);
        sink ^= sig.b[0];
    }
    report("sign 32-byte hash (recoverable, RFC 6979)", now() - t, (double)n);

    t = now();
    for (long i = 0; i < n; i++) {
        if (m2c_sig_recover(&who, &h, &sig, &err)) return fail("recover", &err);
        sink ^= who.b[0];
    }
    report("recover address from hash + signature", now() - t, (double)n);

    /* an ERC-20 transfer as an EIP-1559 tx */
    uint8_t data[68] = {0xa9, 0x05, 0x9c, 0xbb};
    m2c_tx tx = {0};
    tx.type = M2C_TX_EIP1559;
    tx.chain_id = 1;
    tx.gas_limit = 60000;
    tx.max_fee_per_gas = m2c_u256_from_u64(30000000000ull);
    tx.max_priority_fee_per_gas = m2c_u256_from_u64(1000000000ull);
    tx.has_to = 1;
    memset(tx.to.b, 0x35, 20);
    tx.data = data;
    tx.data_len = sizeof data;
    m2c_buf raw;
    m2c_buf_init(&raw, 0);
    t = now();
    for (long i = 0; i < n; i++) {
        tx.nonce = (uint64_t)i;
        m2c_buf_reset(&raw);
        if (m2c_tx_sign(&tx, &k, &err) || m2c_tx_encode_signed(&raw, &tx, &err))
            return fail("sign tx", &err);
        sink ^= raw.p[raw.len - 1];
    }
    report("EIP-1559 ERC-20 transfer: sign + serialise", now() - t, (double)n);

    t = now();
    for (long i = 0; i < n; i++) {
        m2c_tx d;
        if (m2c_tx_decode(&d, raw.p, raw.len, &err) || m2c_tx_sender(&who, &d, &err))
            return fail("decode", &err);
        sink ^= who.b[0];
        m2c_tx_free(&d);
    }
    report("decode raw tx + recover sender", now() - t, (double)n);
    m2c_buf_free(&raw);

    static const struct {
        const char *what;
        m2c_keystore_params p;
        int reps;
    } kdfs[] = {
        {"keystore unlock, scrypt n=2^13 r=8 p=1 (cast)", {M2C_KDF_SCRYPT, 1u << 13, 8, 1, 0}, 10},
        {"keystore unlock, scrypt n=2^18 r=8 p=1 (geth)", {M2C_KDF_SCRYPT, 1u << 18, 8, 1, 0}, 2},
        {"keystore unlock, pbkdf2 c=262144", {M2C_KDF_PBKDF2, 0, 0, 0, 262144}, 3},
    };
    for (size_t i = 0; i < sizeof kdfs / sizeof kdfs[0]; i++) {
        m2c_keystore ks;
        m2c_key back;
        if (m2c_keystore_encrypt(&ks, &k, "pw", 2, &kdfs[i].p, &err)) return fail("encrypt", &err);
        t = now();
        for (int r = 0; r < kdfs[i].reps; r++) {
            if (m2c_keystore_decrypt(&back, &ks, "pw", 2, &err)) return fail("decrypt", &err);
            sink ^= back.secret[0];
        }
        report(kdfs[i].what, now() - t, kdfs[i].reps);
        m2c_key_wipe(&back);
    }

    uint8_t dk[32];
    int reps = 5;
    t = now();
    for (int r = 0; r < reps; r++)
        if (m2c_scrypt(dk, 32, "pw", 2, (const uint8_t *)"salt", 4, 1u << 14, 8, 1, &err))
            return fail("scrypt", &err);
    report("scrypt n=2^14 r=8 p=1, OpenSSL", now() - t, reps);
    t = now();
    for (int r = 0; r < reps; r++)
        if (m2c_scrypt_portable(dk, 32, "pw", 2, (const uint8_t *)"salt", 4, 1u << 14, 8, 1, &err))
            return fail("scrypt", &err);
    report("scrypt n=2^14 r=8 p=1, portable ROMix", now() - t, reps);
    m2c_key_wipe(&k);
    return 0;
}
