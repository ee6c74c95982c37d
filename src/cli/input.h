/* input.h: how the conversion subcommands (keccak, to-dec, to-rlp, ...) take their value:
 * from the one positional argument or, when there is none, from stdin; plus the number
 * syntax they share with cast (decimal, 0x hex, bare hex, 0b, 0o, leading '-'). */
#ifndef ML2CHAIN_CLI_INPUT_H
#define ML2CHAIN_CLI_INPUT_H

#include <stdio.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/types.h"

/* Reads all of `f` into `out` (initialised by the caller). */
M2C_WUR m2c_status m2c_cli_read_all(m2c_buf *out, FILE *f, m2c_err *err);

/* Narrows [*s, *s + *len) to exclude leading and trailing ASCII whitespace. */
void m2c_cli_trim(const char **s, size_t *len);

/* True for "-" followed by a digit: a negative number, not an option. */
int m2c_cli_is_negative_number(const char *s);

/* Parses a number the way cast's to-dec/to-hex autodetect it: optional '-', then "0x" hex,
 * "0b" binary, "0o" octal, all-decimal digits, or else bare hex digits. Sets *neg. The
 * magnitude must fit in 256 bits; negatives must fit int256 (the result is then the
 * two's complement). Errors name the offset in s. */
M2C_WUR m2c_status m2c_cli_parse_number(m2c_u256 *out, int *neg, const char *s, size_t len,
                                        m2c_err *err);

/* Reports the option getopt_long just refused (call with opterr = 0, on '?') as one line
 * and returns 2, the exit code for usage errors. */
int m2c_cli_bad_option(const char *cmd, char **argv);

#endif
