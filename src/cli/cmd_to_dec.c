/* cmd_to_dec.c: `ml2chain to-dec [value]`, like `cast to-dec` for 256-bit values
 * (see docs/cli-core.md for where it is stricter than cast). Reads stdin without an argument. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "input.h"
#include "ml2chain/u256.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain to-dec [VALUE]\n\n"
               "Prints VALUE (or stdin) in decimal. VALUE is decimal, 0x hex, bare hex digits,\n0b "
               "binary or 0o octal, up to 2^256-1; a leading '-' gives a negative int256.\n");
}

int m2c_cmd_to_dec(int argc, char **argv) {
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *cmd = "to-dec";
    int c, rc = 1;
    m2c_buf in;
    m2c_err err;
    m2c_buf_init(&in, 1 << 20);
    m2c_err_clear(&err);
    optind = 1;
    opterr = 0;
    /* A negative number is a value, not an option. */
    if (!(argc > 1 && m2c_cli_is_negative_number(argv[1]))) {
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
            if (c == 'h') {
                usage(stdout);
                return 0;
            }
            return m2c_cli_bad_option(cmd, argv);
        }
    }
    if (argc - optind > 1) return m2c_cli_fail(cmd, "expected one argument, got %d", argc - optind);
    const char *s;
    size_t len;
    if (optind == argc) {
        if (m2c_cli_read_all(&in, stdin, &err) != M2C_OK) {
            rc = m2c_cli_fail_err(cmd, &err, "cannot read input");
            goto out;
        }
        s = in.p ? (const char *)in.p : "";
        len = in.len;
        m2c_cli_trim(&s, &len);
    } else {
        s = argv[optind];
        len = strlen(s);
    }
    m2c_u256 v;
    int neg;
    if (m2c_cli_parse_number(&v, &neg, s, len, &err) != M2C_OK) {
        rc = m2c_cli_fail_err(cmd, &err, "cannot parse '%.*s'", (int)(len > 80 ? 80 : len), s);
        goto out;
    }
    char buf[80];
    if (neg)
        m2c_i256_to_dec(buf, sizeof buf, &v);
    else
        m2c_u256_to_dec(buf, sizeof buf, &v);
    printf("%s\n", buf);
    rc = 0;
out:
    m2c_buf_free(&in);
    return rc;
}
