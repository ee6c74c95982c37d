/* cmd_from_rlp.c: `ml2chain from-rlp [--as-int] [hex]`, like `cast from-rlp`: decodes RLP
 * and prints strings as "0x.." and lists as [..] (JSON, no spaces); --as-int prints a
 * string item as a decimal integer. Stricter than cast: trailing bytes after the item are
 * an error. Reads stdin without an argument. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "input.h"
#include "ml2chain/hex.h"
#include "ml2chain/rlp.h"
#include "ml2chain/u256.h"

/* Appends the JSON form of `it`; the tree is validated, so depth is bounded. */
static m2c_status print_item(m2c_buf *out, const m2c_rlp_item *it) {
    m2c_status st;
    if (!it->is_list) {
        if ((st = m2c_buf_reserve(out, 2 * it->len + 4)) != M2C_OK) return st;
        out->p[out->len++] = '"';
        out->len += m2c_hex_encode((char *)out->p + out->len, it->payload, it->len, 1);
        out->p[out->len++] = '"';
        out->p[out->len] = 0;
        return M2C_OK;
    }
    if ((st = m2c_buf_append_byte(out, '[')) != M2C_OK) return st;
    size_t pos = 0;
    m2c_rlp_item c;
    int first = 1;
    while ((st = m2c_rlp_list_next(&c, it, &pos, NULL)) == M2C_OK) {
        if (!first && (st = m2c_buf_append_byte(out, ',')) != M2C_OK) return st;
        first = 0;
        if ((st = print_item(out, &c)) != M2C_OK) return st;
    }
    if (st != M2C_ERR_NOTFOUND) return st;
    return m2c_buf_append_byte(out, ']');
}

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain from-rlp [--as-int] [HEX]\n\n"
               "Decodes the RLP item in HEX (or stdin) and prints it as JSON: strings as\n"
               "\"0x..\", lists as [..]. The input must be exactly one canonical item.\n\n"
               "  --as-int   print a string item as a decimal integer (at most 32 bytes)\n");
}

int m2c_cmd_from_rlp(int argc, char **argv) {
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'}, {"as-int", no_argument, NULL, 'i'}, {NULL, 0, NULL, 0}};
    const char *cmd = "from-rlp";
    int c, rc = 1, as_int = 0;
    m2c_buf in, out;
    m2c_err err;
    uint8_t *bytes = NULL;
    m2c_buf_init(&in, 0);
    m2c_buf_init(&out, 0);
    m2c_err_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == 'i') {
            as_int = 1;
            continue;
        }
        return m2c_cli_bad_option(cmd, argv);
    }
    if (argc - optind > 1) return m2c_cli_fail(cmd, "expected one argument, got %d", argc - optind);
    const char *s;
    size_t len, n;
    if (!m2c_cli_take_input(cmd, argc, argv, &in, 1, &s, &len)) goto out;
    if (m2c_hex_decode_alloc(&bytes, &n, s, len, M2C_HEX_PREFIX_OPTIONAL, &err) != M2C_OK) {
        rc = m2c_cli_fail_err(cmd, &err, "cannot decode input");
        goto out;
    }
    m2c_rlp_item it;
    if (m2c_rlp_decode(&it, bytes, n, &err) != M2C_OK ||
        m2c_rlp_validate(&it, M2C_RLP_MAX_DEPTH, &err) != M2C_OK) {
        rc = m2c_cli_fail_err(cmd, &err, "cannot decode rlp");
        goto out;
    }
    if (as_int) {
        m2c_u256 v;
        char dec[80];
        if (m2c_rlp_get_u256(&v, &it, &err) != M2C_OK) {
            rc = m2c_cli_fail_err(cmd, &err, "cannot decode rlp integer");
            goto out;
        }
        m2c_u256_to_dec(dec, sizeof dec, &v);
        printf("%s\n", dec);
    } else {
        if (print_item(&out, &it) != M2C_OK) {
            rc = m2c_cli_fail(cmd, "out of memory");
            goto out;
        }
        printf("%s\n", (const char *)out.p);
    }
    rc = 0;
out:
    free(bytes);
    m2c_buf_free(&in);
    m2c_buf_free(&out);
    return rc;
}
