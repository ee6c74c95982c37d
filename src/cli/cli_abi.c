/* cli_abi.c: shared helpers of the ABI subcommands; see cli_abi.h. */
#include "cli_abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ml2chain/hex.h"

int m2c_cli_abi_sig(const char *cmd, m2c_arena *a, m2c_abi_sig *out, const char *s,
                    m2c_abi_sig_kind as) {
    m2c_err e;
    m2c_err_clear(&e);
    const char *p = s;
    while (*p == ' ' || *p == '\t') p++;
    char *named = NULL;
    if (*p == '(') { /* "(uint256,bool)": a parameter list without a name */
        named = m2c_arena_alloc(a, strlen(p) + 2);
        if (!named) return m2c_cli_fail(cmd, "out of memory");
        named[0] = 'f';
        strcpy(named + 1, p);
        p = named;
    }
    if (m2c_abi_sig_parse(a, out, p, as, &e) != M2C_OK)
        return m2c_cli_fail_err(cmd, &e, "cannot parse signature '%s'", s);
    return 0;
}

int m2c_cli_abi_args(const char *cmd, m2c_arena *a, m2c_abi_value *out, const m2c_abi_type *t,
                     int argc, char **argv) {
    m2c_err e;
    m2c_err_clear(&e);
    memset(out, 0, sizeof *out);
    if ((size_t)argc != t->n_fields)
        return m2c_cli_fail(cmd, "expected %zu argument%s, got %d", t->n_fields,
                            t->n_fields == 1 ? "" : "s", argc);
    m2c_abi_value *items = m2c_arena_calloc(a, t->n_fields ? t->n_fields : 1, sizeof *items);
    if (!items) return m2c_cli_fail(cmd, "out of memory");
    for (int i = 0; i < argc; i++) {
        if (m2c_abi_value_parse(a, &items[i], t->fields[i].type, argv[i], &e) != M2C_OK) {
            m2c_buf tb;
            m2c_buf_init(&tb, 0);
            if (m2c_abi_type_canonical(&tb, t->fields[i].type) != M2C_OK) tb.len = 0;
            m2c_cli_fail_err(cmd, &e, "cannot parse argument %d ('%s') as %s", i + 1, argv[i],
                             tb.p ? (char *)tb.p : "?");
            m2c_buf_free(&tb);
            return 1;
        }
    }
    out->type = t;
    out->items = items;
    out->n = t->n_fields;
    return 0;
}

int m2c_cli_abi_hex(const char *cmd, m2c_arena *a, uint8_t **out, size_t *len, const char *what,
                    const char *s) {
    m2c_err e;
    m2c_err_clear(&e);
    size_t n = strlen(s);
    uint8_t *p = m2c_arena_alloc(a, n / 2 + 1);
    if (!p) return m2c_cli_fail(cmd, "out of memory");
    if (m2c_hex_decode(p, n / 2 + 1, len, s, n, M2C_HEX_PREFIX_OPTIONAL, &e) != M2C_OK)
        return m2c_cli_fail_err(cmd, &e, "cannot read %s as hex", what);
    *out = p;
    return 0;
}

int m2c_cli_abi_print(const char *cmd, const m2c_abi_value *v, int names) {
    m2c_buf b;
    m2c_buf_init(&b, 0);
    for (size_t i = 0; i < v->n; i++) {
        m2c_buf_reset(&b);
        m2c_status st = M2C_OK;
        if (names) {
            const char *nm = v->type->fields[i].name;
            st = nm[0] ? m2c_buf_printf(&b, "%s: ", nm) : m2c_buf_printf(&b, "%zu: ", i);
        }
        if (!st) st = m2c_abi_value_format(&b, &v->items[i]);
        if (st) {
            m2c_buf_free(&b);
            return m2c_cli_fail(cmd, "cannot format value %zu: %s", i, m2c_status_str(st));
        }
        fwrite(b.p, 1, b.len, stdout);
        fputc('\n', stdout);
    }
    m2c_buf_free(&b);
    return 0;
}

void m2c_cli_abi_print_hex(const uint8_t *p, size_t n) {
    char *h = m2c_hex_encode_alloc(p, n, 1);
    if (h) puts(h);
    free(h);
}
