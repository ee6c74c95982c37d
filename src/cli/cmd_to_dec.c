/* cmd_to_dec.c: `ml2chain to-dec [value]`, like `cast to-dec` for 256-bit values
 * (see docs/cli-core.md for where it is stricter than cast). Reads stdin without an argument. */
#include <stdio.h>

#include "input.h"
#include "ml2chain/u256.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain to-dec [VALUE]\n\n"
               "Prints VALUE (or stdin) in decimal. VALUE is decimal, 0x hex, bare hex digits,\n0b "
               "binary or 0o octal, up to 2^256-1; a leading '-' gives a negative int256.\n");
}

int m2c_cmd_to_dec(int argc, char **argv) {
    m2c_u256 v;
    int neg;
    int done = m2c_cli_number_arg("to-dec", argc, argv, usage, &v, &neg);
    if (done >= 0) return done;
    char buf[80];
    if (neg)
        m2c_i256_to_dec(buf, sizeof buf, &v);
    else
        m2c_u256_to_dec(buf, sizeof buf, &v);
    printf("%s\n", buf);
    return 0;
}
