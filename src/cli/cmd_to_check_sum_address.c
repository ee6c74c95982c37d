/* cmd_to_check_sum_address.c: `ml2chain to-check-sum-address <addr> [chain-id]`, like cast:
 * any-case 40 hex digits (0x optional) in, EIP-55 checksummed address out; with a chain id,
 * the EIP-1191 checksum for that chain. Reads the address from stdin when not given. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "input.h"
#include "ml2chain/hex.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain to-check-sum-address [ADDRESS] [CHAIN_ID]\n\n"
               "Prints ADDRESS (or stdin) with its EIP-55 mixed-case checksum; with CHAIN_ID,\n"
               "the EIP-1191 checksum for that chain.\n");
}

int m2c_cmd_to_check_sum_address(int argc, char **argv) {
    const char *cmd = "to-check-sum-address";
    int rc = 1;
    m2c_buf in;
    m2c_err err;
    uint8_t *bytes = NULL;
    m2c_buf_init(&in, 1 << 20);
    m2c_err_clear(&err);
    int done = m2c_cli_help_only_opts(cmd, argc, argv, usage, 0);
    if (done >= 0) return done;
    int npos = argc - optind;
    if (npos > 2) return m2c_cli_fail(cmd, "expected at most two arguments, got %d", npos);
    const char *s;
    size_t len;
    if (!m2c_cli_take_input(cmd, argc, argv, &in, 1, &s, &len)) goto out;
    size_t n = 0;
    if (m2c_hex_decode_alloc(&bytes, &n, s, len, M2C_HEX_PREFIX_OPTIONAL, &err) != M2C_OK) {
        rc = m2c_cli_fail_err(cmd, &err, "invalid address '%.*s'", (int)(len > 80 ? 80 : len), s);
        goto out;
    }
    if (n != 20) {
        rc = m2c_cli_fail(cmd, "invalid address '%.*s': expected 20 bytes, got %zu",
                          (int)(len > 80 ? 80 : len), s, n);
        goto out;
    }
    m2c_addr20 a;
    memcpy(a.b, bytes, 20);
    char outs[43];
    if (npos == 2) {
        const char *cs = argv[optind + 1];
        uint64_t chain = 0;
        size_t i = 0;
        for (; cs[i] >= '0' && cs[i] <= '9'; i++) {
            unsigned d = (unsigned)(cs[i] - '0');
            if (chain > (UINT64_MAX - d) / 10) break;
            chain = chain * 10 + d;
        }
        if (i == 0 || cs[i]) {
            rc = m2c_cli_fail(cmd, "invalid chain id '%s': %s at offset %zu", cs,
                              cs[i] >= '0' && cs[i] <= '9' ? "exceeds 2^64-1" : "bad digit", i);
            goto out;
        }
        m2c_addr_checksum_chain(outs, &a, chain);
    } else {
        m2c_addr_checksum(outs, &a);
    }
    printf("%s\n", outs);
    rc = 0;
out:
    free(bytes);
    m2c_buf_free(&in);
    return rc;
}
