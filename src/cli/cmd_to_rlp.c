/* cmd_to_rlp.c: `ml2chain to-rlp [value]`, like `cast to-rlp`. When VALUE is JSON, arrays
 * become lists, strings are hex data ("0x" optional), non-negative integers are RLP
 * integers and null is the empty string; any other VALUE is itself one hex string. Prints
 * the encoding as 0x hex. Reads stdin without an argument. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "input.h"
#include "ml2chain/hex.h"
#include "ml2chain/rlp.h"
#include "ml2chain/u256.h"

#define JSON_MAX_DEPTH 64 /* syntax check only; lists are capped by M2C_RLP_MAX_DEPTH */

typedef struct {
    const char *s;
    size_t len, pos;
    m2c_err *err;
} cursor;

static void skip_ws(cursor *c) {
    while (c->pos < c->len && strchr(" \t\r\n", c->s[c->pos]) && c->s[c->pos])
        c->pos++;
}

static int at_end(const cursor *c) {
    return c->pos >= c->len;
}

/* ---- pass 1: is the input JSON at all? (the full grammar, so objects and floats are
 * recognised as JSON and then refused with a clear message in pass 2) ---- */

static int syn_value(cursor *c, int depth);

static int syn_string(cursor *c) {
    c->pos++; /* opening quote */
    while (!at_end(c)) {
        unsigned char ch = (unsigned char)c->s[c->pos++];
        if (ch == '"') return 1;
        if (ch < 0x20) return 0;
        if (ch == '\\') {
            if (at_end(c)) return 0;
            char e = c->s[c->pos++];
            if (e == 'u') {
                for (int i = 0; i < 4; i++, c->pos++)
                    if (at_end(c) || !strchr("0123456789abcdefABCDEF", c->s[c->pos]) ||
                        !c->s[c->pos])
                        return 0;
            } else if (!e || !strchr("\"\\/bfnrt", e)) {
                return 0;
            }
        }
    }
    return 0;
}

static int is_digit(const cursor *c) {
    return !at_end(c) && c->s[c->pos] >= '0' && c->s[c->pos] <= '9';
}

static int syn_number(cursor *c) {
    if (c->s[c->pos] == '-') c->pos++;
    if (!is_digit(c)) return 0;
    if (c->s[c->pos] == '0')
        c->pos++;
    else
        while (is_digit(c))
            c->pos++;
    if (!at_end(c) && c->s[c->pos] == '.') {
        c->pos++;
        if (!is_digit(c)) return 0;
        while (is_digit(c))
            c->pos++;
    }
    if (!at_end(c) && (c->s[c->pos] == 'e' || c->s[c->pos] == 'E')) {
        c->pos++;
        if (!at_end(c) && (c->s[c->pos] == '+' || c->s[c->pos] == '-')) c->pos++;
        if (!is_digit(c)) return 0;
        while (is_digit(c))
            c->pos++;
    }
    return 1;
}

static int syn_word(cursor *c, const char *w) {
    size_t n = strlen(w);
    if (c->len - c->pos < n || memcmp(c->s + c->pos, w, n) != 0) return 0;
    c->pos += n;
    return 1;
}

static int syn_seq(cursor *c, int depth, char close, int object) {
    c->pos++;
    skip_ws(c);
    if (!at_end(c) && c->s[c->pos] == close) {
        c->pos++;
        return 1;
    }
    for (;;) {
        skip_ws(c);
        if (object) {
            if (at_end(c) || c->s[c->pos] != '"' || !syn_string(c)) return 0;
            skip_ws(c);
            if (at_end(c) || c->s[c->pos++] != ':') return 0;
        }
        if (!syn_value(c, depth + 1)) return 0;
        skip_ws(c);
        if (at_end(c)) return 0;
        char ch = c->s[c->pos++];
        if (ch == close) return 1;
        if (ch != ',') return 0;
    }
}

static int syn_value(cursor *c, int depth) {
    if (depth > JSON_MAX_DEPTH) return 0;
    skip_ws(c);
    if (at_end(c)) return 0;
    switch (c->s[c->pos]) {
    case '[': return syn_seq(c, depth, ']', 0);
    case '{': return syn_seq(c, depth, '}', 1);
    case '"': return syn_string(c);
    case 't': return syn_word(c, "true");
    case 'f': return syn_word(c, "false");
    case 'n': return syn_word(c, "null");
    default: return syn_number(c);
    }
}

static int is_json(const char *s, size_t len) {
    cursor c = {s, len, 0, NULL};
    if (!syn_value(&c, 0)) return 0;
    skip_ws(&c);
    return at_end(&c);
}

/* ---- pass 2: encode (the input is known to be well-formed JSON) ---- */

/* Hex data d[0..n) that started at input offset `off`; "0x" optional (lowercase, as cast).
 * Error offsets are made absolute in the input. */
static m2c_status put_hex(m2c_rlp_enc *e, const char *d, size_t n, size_t off, m2c_err *err) {
    size_t skip = n >= 2 && d[0] == '0' && d[1] == 'x' ? 2 : 0;
    uint8_t *bytes = NULL;
    size_t m = 0;
    m2c_err sub;
    m2c_err_clear(&sub);
    m2c_status st =
        m2c_hex_decode_alloc(&bytes, &m, d + skip, n - skip, M2C_HEX_PREFIX_FORBIDDEN, &sub);
    if (st != M2C_OK) {
        size_t rel = sub.offset;
        if (st == M2C_ERR_INVALID && rel < n - skip) {
            unsigned char ch = (unsigned char)d[skip + rel];
            if (ch >= 0x20 && ch < 0x7f)
                return m2c_err_at(err, st, off + skip + rel, "invalid hex digit '%c' at offset %zu",
                                  ch, off + skip + rel);
            return m2c_err_at(err, st, off + skip + rel, "invalid hex digit \\x%02x at offset %zu",
                              ch, off + skip + rel);
        }
        if (st == M2C_ERR_INVALID)
            return m2c_err_at(err, st, off, "odd number of hex digits (%zu) in data at offset %zu",
                              n - skip, off);
        return m2c_err_at(err, st, off, "data at offset %zu: %s", off, sub.msg);
    }
    st = m2c_rlp_put_bytes(e, bytes, m);
    free(bytes);
    if (st != M2C_OK) return m2c_err_at(err, st, off, "cannot encode item at offset %zu", off);
    return M2C_OK;
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return ch - 'A' + 10;
}

static m2c_status enc_string(cursor *c, m2c_rlp_enc *e) {
    size_t start = ++c->pos;
    m2c_buf tmp;
    m2c_buf_init(&tmp, 0);
    m2c_status st = M2C_OK;
    /* Unescape (hex data never needs escapes, but JSON allows them). Non-ASCII escapes
     * cannot be hex digits, so they become a byte that the hex decoder will name. */
    while (st == M2C_OK && c->s[c->pos] != '"') {
        char ch = c->s[c->pos++];
        if (ch == '\\') {
            char x = c->s[c->pos++];
            if (x == 'u') {
                int v = 0;
                for (int i = 0; i < 4; i++)
                    v = v * 16 + hexval(c->s[c->pos++]);
                ch = v < 0x80 ? (char)v : (char)0xff;
            } else {
                ch = x == 'b'   ? '\b'
                     : x == 'f' ? '\f'
                     : x == 'n' ? '\n'
                     : x == 'r' ? '\r'
                     : x == 't' ? '\t'
                                : x;
            }
        }
        st = m2c_buf_append_byte(&tmp, (uint8_t)ch);
    }
    c->pos++;
    if (st == M2C_OK)
        st = put_hex(e, tmp.p ? (const char *)tmp.p : "", tmp.len, start, c->err);
    else
        st = m2c_err_set(c->err, st, "out of memory");
    m2c_buf_free(&tmp);
    return st;
}

static m2c_status enc_number(cursor *c, m2c_rlp_enc *e) {
    size_t start = c->pos;
    (void)syn_number(c);
    const char *p = c->s + start;
    size_t n = c->pos - start;
    if (p[0] == '-')
        return m2c_err_at(c->err, M2C_ERR_INVALID, start,
                          "negative number at offset %zu cannot be an RLP integer", start);
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return m2c_err_at(c->err, M2C_ERR_INVALID, start + i,
                              "number at offset %zu is not an integer ('%c' at offset %zu)", start,
                              p[i], start + i);
    m2c_u256 v;
    if (m2c_u256_parse(&v, p, n, c->err) != M2C_OK)
        return m2c_err_at(c->err, c->err ? c->err->code : M2C_ERR_RANGE, start,
                          "integer at offset %zu exceeds 2^256-1", start);
    if (m2c_rlp_put_u256(e, &v) != M2C_OK)
        return m2c_err_set(c->err, M2C_ERR_NOMEM, "out of memory");
    return M2C_OK;
}

static m2c_status enc_value(cursor *c, m2c_rlp_enc *e) {
    skip_ws(c);
    size_t at = c->pos;
    m2c_status st;
    switch (c->s[at]) {
    case '[':
        if (m2c_rlp_list_begin(e) != M2C_OK)
            return m2c_err_at(c->err, M2C_ERR_RANGE, at, "list at offset %zu nests deeper than %d",
                              at, M2C_RLP_MAX_DEPTH);
        c->pos++;
        skip_ws(c);
        if (c->s[c->pos] == ']') {
            c->pos++;
        } else {
            for (;;) {
                if ((st = enc_value(c, e)) != M2C_OK) return st;
                skip_ws(c);
                if (c->s[c->pos++] == ']') break; /* else ',' (syntax already checked) */
            }
        }
        if (m2c_rlp_list_end(e) != M2C_OK)
            return m2c_err_set(c->err, M2C_ERR_NOMEM, "out of memory");
        return M2C_OK;
    case '{':
        return m2c_err_at(c->err, M2C_ERR_INVALID, at,
                          "rlp input cannot contain objects (offset %zu)", at);
    case 't':
    case 'f':
        return m2c_err_at(c->err, M2C_ERR_INVALID, at,
                          "rlp input cannot contain booleans (offset %zu)", at);
    case 'n':
        c->pos += 4;
        return m2c_rlp_put_bytes(e, NULL, 0) == M2C_OK
                   ? M2C_OK
                   : m2c_err_set(c->err, M2C_ERR_NOMEM, "out of memory");
    case '"': return enc_string(c, e);
    default: return enc_number(c, e);
    }
}

static void usage(FILE *f) {
    fprintf(f, "usage: ml2chain to-rlp [VALUE]\n\n"
               "RLP-encodes VALUE (or stdin): a hex string, or JSON whose arrays are lists,\n"
               "strings hex data, integers RLP integers and null the empty string.\n"
               "Example: ml2chain to-rlp '[\"0xf1\", [\"f2\"], 1024]'\n");
}

int m2c_cmd_to_rlp(int argc, char **argv) {
    const char *cmd = "to-rlp";
    int rc = 1;
    m2c_buf in, out;
    m2c_err err;
    char *hex = NULL;
    m2c_buf_init(&in, 0);
    m2c_buf_init(&out, 0);
    m2c_err_clear(&err);
    int done = m2c_cli_help_only_opts(cmd, argc, argv, usage, 0);
    if (done >= 0) return done;
    if (argc - optind > 1) return m2c_cli_fail(cmd, "expected one argument, got %d", argc - optind);
    const char *s;
    size_t len;
    if (!m2c_cli_take_input(cmd, argc, argv, &in, 1, &s, &len)) goto out;
    m2c_rlp_enc e;
    m2c_rlp_enc_init(&e, &out);
    m2c_status st;
    if (is_json(s, len)) {
        cursor cur = {s, len, 0, &err};
        st = enc_value(&cur, &e);
    } else {
        st = put_hex(&e, s, len, 0, &err);
    }
    if (st != M2C_OK) {
        rc = m2c_cli_fail_err(cmd, &err, "cannot encode");
        goto out;
    }
    hex = m2c_hex_encode_alloc(out.p, out.len, 1);
    if (!hex) {
        rc = m2c_cli_fail(cmd, "out of memory");
        goto out;
    }
    printf("%s\n", hex);
    rc = 0;
out:
    free(hex);
    m2c_buf_free(&in);
    m2c_buf_free(&out);
    return rc;
}
