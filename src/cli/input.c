/* input.c: argument-or-stdin input and cast-compatible number parsing; see input.h. */
#include "input.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"

#include "ml2chain/u256.h"

m2c_status m2c_cli_read_all(m2c_buf *out, FILE *f, m2c_err *err) {
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (m2c_buf_append(out, chunk, n) != M2C_OK)
            return m2c_err_set(err, M2C_ERR_NOMEM, "input larger than %zu bytes", out->max);
    }
    if (ferror(f)) return m2c_err_set(err, M2C_ERR_IO, "cannot read stdin");
    return M2C_OK;
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void m2c_cli_trim(const char **s, size_t *len) {
    while (*len && is_space(**s))
        (*s)++, (*len)--;
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

int m2c_cli_is_negative_number(const char *s) {
    return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

/* Digits in base 2 or 8 (s[from..len)), offsets absolute. */
static m2c_status parse_pow2(m2c_u256 *out, const char *s, size_t from, size_t len, unsigned bits,
                             m2c_err *err) {
    m2c_u256 v = {{0, 0, 0, 0}};
    unsigned base = 1u << bits;
    if (from == len) return m2c_err_at(err, M2C_ERR_INVALID, from, "no digits at offset %zu", from);
    for (size_t i = from; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d >= base)
            return m2c_err_at(err, M2C_ERR_INVALID, i, "invalid base-%u digit '%c' at offset %zu",
                              base, s[i], i);
        if (m2c_u256_bitlen(&v) + bits > 256)
            return m2c_err_at(err, M2C_ERR_RANGE, i, "value exceeds 2^256-1 at offset %zu", i);
        v = m2c_u256_shl(&v, bits);
        v.w[0] |= d;
    }
    *out = v;
    return M2C_OK;
}

static int all_in(const char *s, size_t len, const char *set) {
    for (size_t i = 0; i < len; i++)
        if (!s[i] || !strchr(set, s[i])) return 0;
    return len > 0;
}

m2c_status m2c_cli_parse_number(m2c_u256 *out, int *neg, const char *s, size_t len, m2c_err *err) {
    memset(out, 0, sizeof *out);
    *neg = len > 0 && s[0] == '-';
    size_t k = *neg ? 1 : 0;
    const char *p = s + k;
    size_t n = len - k;
    m2c_u256 mag;
    m2c_status st;
    if (n >= 2 && p[0] == '0' && (p[1] == 'b' || p[1] == 'o')) {
        st = parse_pow2(&mag, s, k + 2, len, p[1] == 'b' ? 1 : 3, err);
    } else if ((n >= 2 && p[0] == '0' && p[1] == 'x') || all_in(p, n, "0123456789")) {
        st = m2c_u256_parse(&mag, p, n, err);
        if (st != M2C_OK && err) err->offset += k;
    } else if (all_in(p, n, "0123456789abcdefABCDEF")) {
        /* Bare hex digits (cast's autodetect): parse as if "0x" were there. */
        size_t skip = 0;
        while (skip + 1 < n && p[skip] == '0')
            skip++; /* leading zeros do not count */
        if (n - skip > 64)
            return m2c_err_at(err, M2C_ERR_RANGE, k + skip + 64,
                              "value exceeds 2^256-1 at offset %zu", k + skip + 64);
        char tmp[67] = "0x";
        memcpy(tmp + 2, p + skip, n - skip);
        st = m2c_u256_parse(&mag, tmp, 2 + n - skip, err);
    } else {
        /* Name the first character that is neither a decimal nor a hex digit. */
        size_t i = 0;
        while (i < n && p[i] && strchr("0123456789abcdefABCDEF", p[i]))
            i++;
        if (n == 0) return m2c_err_at(err, M2C_ERR_INVALID, k, "no digits at offset %zu", k);
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f)
            return m2c_err_at(err, M2C_ERR_INVALID, k + i, "invalid digit '%c' at offset %zu", c,
                              k + i);
        return m2c_err_at(err, M2C_ERR_INVALID, k + i, "invalid digit \\x%02x at offset %zu", c,
                          k + i);
    }
    if (st != M2C_OK) return st;
    if (*neg) {
        int top = m2c_i256_is_neg(&mag);
        int is_min = mag.w[3] == (1ULL << 63) && !(mag.w[2] | mag.w[1] | mag.w[0]);
        if (top && !is_min) return m2c_err_at(err, M2C_ERR_RANGE, 0, "value below -2^255");
        *out = m2c_i256_neg(&mag);
        if (m2c_u256_is_zero(&mag)) *neg = 0;
    } else {
        *out = mag;
    }
    return M2C_OK;
}

int m2c_cli_bad_option(const char *cmd, char **argv) {
    if (optopt)
        m2c_cli_fail(cmd, "unknown option '-%c' (see ml2chain %s --help)", optopt, cmd);
    else
        m2c_cli_fail(cmd, "unknown option '%s' (see ml2chain %s --help)", argv[optind - 1], cmd);
    return 2;
}

int m2c_cli_help_only_opts(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
                           int negative_values) {
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    opterr = 0;
    if (negative_values && argc > 1 && m2c_cli_is_negative_number(argv[1])) return -1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        return m2c_cli_bad_option(cmd, argv);
    }
    return -1;
}

int m2c_cli_take_input(const char *cmd, int argc, char **argv, m2c_buf *in, int trim,
                       const char **s, size_t *len) {
    if (optind < argc) {
        *s = argv[optind];
        *len = strlen(*s);
        return 1;
    }
    m2c_err err;
    m2c_err_clear(&err);
    if (m2c_cli_read_all(in, stdin, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot read input");
        return 0;
    }
    *s = in->p ? (const char *)in->p : "";
    *len = in->len;
    if (trim) m2c_cli_trim(s, len);
    return 1;
}

int m2c_cli_number_arg(const char *cmd, int argc, char **argv, void (*usage)(FILE *), m2c_u256 *v,
                       int *neg) {
    int rc = m2c_cli_help_only_opts(cmd, argc, argv, usage, 1);
    if (rc >= 0) return rc;
    if (argc - optind > 1) return m2c_cli_fail(cmd, "expected one argument, got %d", argc - optind);
    m2c_buf in;
    m2c_err err;
    const char *s;
    size_t len;
    m2c_buf_init(&in, 1 << 20);
    m2c_err_clear(&err);
    rc = 1;
    if (!m2c_cli_take_input(cmd, argc, argv, &in, 1, &s, &len)) goto out;
    if (m2c_cli_parse_number(v, neg, s, len, &err) != M2C_OK) {
        m2c_cli_fail_err(cmd, &err, "cannot parse '%.*s'", (int)(len > 80 ? 80 : len), s);
        goto out;
    }
    rc = -1;
out:
    m2c_buf_free(&in);
    return rc;
}
