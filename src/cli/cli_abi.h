/* cli_abi.h: what the ABI subcommands (abi, calldata, sig, sig-event, decode-event) share:
 * reading a signature, turning arguments into values, hex data in, values out. */
#ifndef ML2CHAIN_CLI_ABI_H
#define ML2CHAIN_CLI_ABI_H

#include <stdint.h>

#include "ml2chain/abi.h"

/* Parses `s` as a signature of kind `as` (a bare "(T,...)" gets the name "f"). On failure
 * prints the error for `cmd` and returns non-zero. */
int m2c_cli_abi_sig(const char *cmd, m2c_arena *a, m2c_abi_sig *out, const char *s,
                    m2c_abi_sig_kind as);
/* Parses argv[0..argc) as the components of tuple type `t` into *out (a tuple value). */
int m2c_cli_abi_args(const char *cmd, m2c_arena *a, m2c_abi_value *out, const m2c_abi_type *t,
                     int argc, char **argv);
/* Decodes hex text (0x optional) into arena bytes. */
int m2c_cli_abi_hex(const char *cmd, m2c_arena *a, uint8_t **out, size_t *len, const char *what,
                    const char *s);
/* Prints each component of tuple value `v` on its own line as cast does; with `names`,
 * "name: value" (unnamed components get their index). */
int m2c_cli_abi_print(const char *cmd, const m2c_abi_value *v, int names);
/* Prints bytes as one line of 0x-hex. */
void m2c_cli_abi_print_hex(const uint8_t *p, size_t n);

#endif
