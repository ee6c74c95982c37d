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

/* Parses the options of a command whose only option is -h/--help, stopping at the first
 * positional argument. With negative_values, a first argument such as "-5" is a value and
 * options are not parsed at all. Returns -1 to go on (optind then indexes the first
 * positional argument), else the exit code: 0 after usage(stdout) for --help, or
 * m2c_cli_bad_option's for anything else. */
M2C_WUR int m2c_cli_help_only_opts(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
                                   int negative_values);

/* The command's value: argv[optind] when there is a positional argument, else all of stdin
 * read into `in` (initialised by the caller, whose max caps the size), narrowed by
 * m2c_cli_trim when `trim`. Returns 1, or 0 after printing "cannot read input: <reason>". */
M2C_WUR int m2c_cli_take_input(const char *cmd, int argc, char **argv, m2c_buf *in, int trim,
                               const char **s, size_t *len);

/* The front half of to-dec and to-hex: options (only --help; a negative number is a value),
 * at most one positional VALUE, else stdin (up to 1 MiB, trimmed), parsed by
 * m2c_cli_parse_number into *v and *neg. Returns -1 to go on, else the exit code after
 * printing usage or the one-line error. */
M2C_WUR int m2c_cli_number_arg(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
                               m2c_u256 *v, int *neg);

/* Reports the option getopt_long just refused (call with opterr = 0, on '?') as one line
 * and returns 2, the exit code for usage errors. */
int m2c_cli_bad_option(const char *cmd, char **argv);

#endif
