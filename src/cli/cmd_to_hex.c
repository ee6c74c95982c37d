/* cmd_to_hex.c: `ml2chain to-hex [value]`, like `cast to-hex` for 256-bit values
 * (see docs/cli-core.md for where it is stricter than cast). Reads stdin without an argument. */
#include <stdio.h>

#include "input.h"
#include "ml2chain/u256.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain to-hex [VALUE]\n\n"
               "Prints VALUE (or stdin) as 0x-prefixed lowercase hex without leading zeros. VALUE "
               "is\ndecimal, 0x hex, bare hex digits, 0b binary or 0o octal, up to 2^256-1; a "
               "negative\nvalue prints as its 256-bit two's complement.\n");
}

int m2c_cmd_to_hex(int argc, char **argv) {
    m2c_u256 v;
    int neg;
    int done = m2c_cli_number_arg("to-hex", argc, argv, usage, &v, &neg);
    if (done >= 0) return done;
    char buf[80];
    (void)neg; /* negatives are already two's complement */
    m2c_u256_to_hex(buf, sizeof buf, &v);
    printf("%s\n", buf);
    return 0;
}
