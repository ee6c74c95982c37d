/* cmd_keccak.c: `ml2chain keccak [data]`, like `cast keccak`: input starting with "0x" is
 * hex and its bytes are hashed; anything else is hashed as its UTF-8 bytes. With no argument
 * the data comes from stdin (hex input there may end in whitespace, text is hashed as is). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "input.h"
#include "ml2chain/hex.h"
#include "ml2chain/keccak.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain keccak [--] [DATA]\n\n"
               "Prints the keccak-256 hash of DATA (or stdin). DATA starting with 0x is\n"
               "decoded as hex; anything else is hashed as UTF-8 text.\n");
}

int m2c_cmd_keccak(int argc, char **argv) {
    int rc = 1;
    m2c_buf in;
    m2c_err err;
    uint8_t *bytes = NULL;
    m2c_buf_init(&in, 0);
    m2c_err_clear(&err);
    int done = m2c_cli_help_only_opts("keccak", argc, argv, usage, 0);
    if (done >= 0) return done;
    if (argc - optind > 1)
        return m2c_cli_fail("keccak", "expected one argument, got %d", argc - optind);
    const char *s;
    size_t len;
    int from_stdin = optind == argc;
    if (!m2c_cli_take_input("keccak", argc, argv, &in, 0, &s, &len)) goto out;
    m2c_hash32 h;
    if (len >= 2 && s[0] == '0' && s[1] == 'x') {
        if (from_stdin) {
            const char *t = s;
            m2c_cli_trim(&t, &len); /* s starts with 0x, so only the end moves */
        }
        size_t n;
        if (m2c_hex_decode_alloc(&bytes, &n, s, len, M2C_HEX_PREFIX_REQUIRED, &err) != M2C_OK) {
            rc = m2c_cli_fail_err("keccak", &err, "cannot decode hex input");
            goto out;
        }
        h = m2c_keccak256(bytes, n);
    } else {
        h = m2c_keccak256(s, len);
    }
    char hex[67];
    m2c_hex_encode(hex, h.b, 32, 1);
    printf("%s\n", hex);
    rc = 0;
out:
    free(bytes);
    m2c_buf_free(&in);
    return rc;
}
