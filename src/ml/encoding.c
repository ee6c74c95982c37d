/* encoding.c: request input/output forms and error codes; see encoding.h and
 * docs/encoding.md (section numbers below refer to it). */
#include "ml2chain/encoding.h"

#include <string.h>

#include "q256.h"

const char *m2c_enc_code_str(uint32_t code) {
    switch (code) {
    case M2C_ENC_OK: return "ok";
    case M2C_ENC_EMPTY: return "empty input";
    case M2C_ENC_TOO_LARGE: return "input too large";
    case M2C_ENC_NOT_DECODABLE: return "not decodable";
    case M2C_ENC_JUNK_TEXT: return "junk text";
    case M2C_ENC_FEATURE_COUNT: return "wrong feature count";
    case M2C_ENC_RANGE: return "value out of range";
    case M2C_ENC_UNKNOWN_MODEL: return "unknown model";
    case M2C_ENC_MODEL_FAILURE: return "model failure";
    }
    return "unknown error code";
}

m2c_enc_form m2c_enc_detect(const uint8_t *in, size_t len) {
    return len > 0 && in[0] == 0 ? M2C_ENC_ABI : M2C_ENC_TEXT;
}

static m2c_enc_code fail(m2c_err *err, m2c_enc_code code, m2c_status st, size_t at,
                         const char *what) {
    if (at == (size_t)-1)
        m2c_err_set(err, st, "%s: %s", m2c_enc_code_str(code), what);
    else
        m2c_err_at(err, st, at, "%s at byte %zu: %s", m2c_enc_code_str(code), at, what);
    return code;
}

/* ---------------------------------------------------------------- text */

static int is_ws(uint8_t c) {
    return c == ' ' || c == '\t';
}

static int is_digit(uint8_t c) {
    return c >= '0' && c <= '9';
}

/* Scans one value of the grammar at s[*pos..len): [-] 1*DIGIT [. 1*DIGIT]. Returns 1 and
 * advances *pos past it, or 0 with *pos at the offending byte. */
static int scan_value(const uint8_t *s, size_t len, size_t *pos) {
    size_t i = *pos;
    if (i < len && s[i] == '-') i++;
    size_t d0 = i;
    while (i < len && is_digit(s[i]))
        i++;
    if (i == d0) {
        *pos = i;
        return 0;
    }
    if (i < len && s[i] == '.') {
        i++;
        size_t f0 = i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == f0) {
            *pos = i;
            return 0;
        }
    }
    *pos = i;
    return 1;
}

/* 2^191 as a magnitude: the most negative int192's absolute value. */
static int mag_fits(const m2c_u256 *mag, int neg) {
    /* positive: mag <= 2^191 - 1; negative: mag <= 2^191 */
    if (mag->w[3] != 0) return 0;
    if (mag->w[2] < ((uint64_t)1 << 63)) return 1;
    return neg && mag->w[2] == ((uint64_t)1 << 63) && mag->w[1] == 0 && mag->w[0] == 0;
}

/* Decimal digits into a 256-bit magnitude, 18 at a time through a uint64 chunk. */
typedef struct {
    m2c_u256 mag;
    uint64_t chunk;
    int over;
    uint64_t scale; /* 10^(digits in chunk) */
} digit_acc;

static void flush_digits(digit_acc *d) {
    if (d->scale > 1) d->over |= m2c_q256_muladd_u64(&d->mag, d->scale, d->chunk);
    d->chunk = 0;
    d->scale = 1;
}

static void push_digit(digit_acc *d, unsigned v) {
    d->chunk = d->chunk * 10 + v;
    d->scale *= 10;
    if (d->scale == 1000000000000000000ULL) flush_digits(d);
}

/* Converts a value already known to match the grammar. */
static m2c_enc_code convert_value(m2c_u256 *out, const uint8_t *s, size_t len, unsigned decimals) {
    size_t i = 0;
    int neg = 0, over = 0;
    if (s[0] == '-') neg = 1, i = 1;
    digit_acc acc = {{{0, 0, 0, 0}}, 0, 0, 1};
    for (; i < len && is_digit(s[i]); i++)
        push_digit(&acc, (unsigned)(s[i] - '0'));
    size_t f0 = len, flen = 0;
    if (i < len && s[i] == '.') f0 = i + 1, flen = len - i - 1;
    unsigned round_digit = 0;
    for (unsigned k = 0; k < decimals; k++)
        push_digit(&acc, k < flen ? (unsigned)(s[f0 + k] - '0') : 0);
    flush_digits(&acc);
    m2c_u256 mag = acc.mag;
    over = acc.over;
    if (flen > decimals) round_digit = (unsigned)(s[f0 + decimals] - '0');
    if (round_digit >= 5) {
        m2c_u256 one = m2c_q256_from_i64(1);
        m2c_u256 t = m2c_q256_add(&mag, &one);
        if (m2c_q256_is_zero(&t)) over = 1;
        mag = t;
    }
    if (over || !mag_fits(&mag, neg)) return M2C_ENC_RANGE;
    *out = neg ? m2c_q256_neg(&mag) : mag;
    return M2C_ENC_OK;
}

m2c_enc_code m2c_enc_parse_decimal(m2c_u256 *out, const char *s, size_t len, unsigned decimals,
                                   m2c_err *err) {
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    const uint8_t *u = (const uint8_t *)s;
    if (!scan_value(u, len, &pos) || pos != len)
        return fail(err, M2C_ENC_JUNK_TEXT, M2C_ERR_INVALID, pos, "expected a decimal number");
    m2c_enc_code c = convert_value(out, u, len, decimals);
    if (c) return fail(err, c, M2C_ERR_RANGE, (size_t)-1, "value outside the int192 range");
    return M2C_ENC_OK;
}

/* Grammar pass: counts values, or reports the first bad byte. */
static m2c_enc_code text_scan(size_t *count, const uint8_t *s, size_t len, m2c_err *err) {
    size_t pos = 0, n = 0;
    for (;;) {
        while (pos < len && is_ws(s[pos]))
            pos++;
        if (!scan_value(s, len, &pos)) {
            const char *what =
                pos >= len ? "input ends where a number is expected" : "expected a number";
            return fail(err, M2C_ENC_JUNK_TEXT, M2C_ERR_INVALID, pos, what);
        }
        n++;
        while (pos < len && is_ws(s[pos]))
            pos++;
        if (pos == len) break;
        if (s[pos] != ',')
            return fail(err, M2C_ENC_JUNK_TEXT, M2C_ERR_INVALID, pos,
                        "expected ',' or the end of the input");
        pos++;
    }
    *count = n;
    return M2C_ENC_OK;
}

static m2c_enc_code text_convert(m2c_u256 *x, const uint8_t *s, size_t len, unsigned decimals,
                                 m2c_err *err) {
    size_t pos = 0, n = 0;
    while (pos < len) {
        while (pos < len && is_ws(s[pos]))
            pos++;
        size_t start = pos;
        (void)scan_value(s, len, &pos);
        m2c_enc_code c = convert_value(&x[n], s + start, pos - start, decimals);
        if (c) {
            m2c_err_at(err, M2C_ERR_RANGE, start,
                       "value out of range at byte %zu: value %zu is outside the int192 range "
                       "once scaled by 10^%u",
                       start, n, decimals);
            return c;
        }
        n++;
        while (pos < len && is_ws(s[pos]))
            pos++;
        if (pos < len) pos++; /* the ',' */
    }
    return M2C_ENC_OK;
}

/* ---------------------------------------------------------------- ABI */

static int word_is_small(const uint8_t *w, uint64_t *v) {
    for (int i = 0; i < 24; i++)
        if (w[i]) return 0;
    uint64_t r = 0;
    for (int i = 24; i < 32; i++)
        r = (r << 8) | w[i];
    *v = r;
    return 1;
}

static m2c_enc_code abi_scan(size_t *count, const uint8_t *in, size_t len, m2c_err *err) {
    if (len % 32 != 0)
        return fail(err, M2C_ENC_NOT_DECODABLE, M2C_ERR_INVALID, (size_t)-1,
                    "abi length is not a multiple of 32 bytes");
    if (len < 64)
        return fail(err, M2C_ENC_NOT_DECODABLE, M2C_ERR_TRUNCATED, (size_t)-1,
                    "abi data shorter than 64 bytes");
    uint64_t off, n;
    if (!word_is_small(in, &off) || off != 32)
        return fail(err, M2C_ENC_NOT_DECODABLE, M2C_ERR_NONCANONICAL, 0,
                    "array offset word must be 32");
    if (!word_is_small(in + 32, &n) || n != (len - 64) / 32)
        return fail(err, M2C_ENC_NOT_DECODABLE, M2C_ERR_INVALID, 32,
                    "array length word disagrees with the data size");
    *count = (size_t)n;
    return M2C_ENC_OK;
}

static m2c_enc_code abi_convert(m2c_u256 *x, size_t n, const uint8_t *in, m2c_err *err) {
    for (size_t i = 0; i < n; i++) {
        x[i] = m2c_q256_from_be32(in + 64 + 32 * i);
        if (!m2c_q256_fits_i192(&x[i])) {
            m2c_err_at(err, M2C_ERR_RANGE, 64 + 32 * i,
                       "value out of range at byte %zu: value %zu is outside the int192 range",
                       64 + 32 * i, i);
            return M2C_ENC_RANGE;
        }
    }
    return M2C_ENC_OK;
}

/* ---------------------------------------------------------------- decoding */

static m2c_enc_code decode(m2c_u256 *x, size_t cap, size_t expected, size_t *n_out,
                           m2c_enc_form *form, unsigned decimals, const uint8_t *in, size_t len,
                           m2c_err *err) {
    size_t n = 0;
    m2c_enc_code c;
    if (n_out) *n_out = 0;
    if (form) *form = m2c_enc_detect(in, len);
    if (len == 0) return fail(err, M2C_ENC_EMPTY, M2C_ERR_INVALID, (size_t)-1, "no bytes");
    if (len > M2C_ENC_MAX_INPUT) {
        m2c_err_set(err, M2C_ERR_RANGE, "input too large: %zu bytes, the cap is %d", len,
                    M2C_ENC_MAX_INPUT);
        return M2C_ENC_TOO_LARGE;
    }
    int abi = m2c_enc_detect(in, len) == M2C_ENC_ABI;
    c = abi ? abi_scan(&n, in, len, err) : text_scan(&n, in, len, err);
    if (c) return c;
    if ((expected != (size_t)-1 && n != expected) || n > cap) {
        if (expected != (size_t)-1)
            m2c_err_set(err, M2C_ERR_INVALID,
                        "wrong feature count: %zu values, the model takes %zu", n, expected);
        else
            m2c_err_set(err, M2C_ERR_RANGE, "wrong feature count: %zu values, at most %zu", n, cap);
        return M2C_ENC_FEATURE_COUNT;
    }
    c = abi ? abi_convert(x, n, in, err) : text_convert(x, in, len, decimals, err);
    if (c) {
        memset(x, 0, n * sizeof *x);
        return c;
    }
    if (n_out) *n_out = n;
    return M2C_ENC_OK;
}

m2c_enc_code m2c_enc_decode_input(m2c_u256 *x, size_t n_expected, m2c_enc_form *form,
                                  unsigned decimals, const uint8_t *in, size_t len, m2c_err *err) {
    m2c_enc_code c = decode(x, n_expected, n_expected, NULL, form, decimals, in, len, err);
    if (c) memset(x, 0, n_expected * sizeof *x);
    return c;
}

m2c_enc_code m2c_enc_decode_values(m2c_u256 *x, size_t cap, size_t *n, m2c_enc_form *form,
                                   unsigned decimals, const uint8_t *in, size_t len, m2c_err *err) {
    return decode(x, cap, (size_t)-1, n, form, decimals, in, len, err);
}

/* ---------------------------------------------------------------- encoding */

size_t m2c_enc_format_decimal(char *out, size_t cap, const m2c_u256 *v, unsigned decimals,
                              unsigned max_frac) {
    char digits[96];
    int neg = m2c_q256_is_neg(v);
    m2c_u256 mag = neg ? m2c_q256_neg(v) : *v; /* -2^255 reads as 2^255 unsigned: fine */
    unsigned keep = decimals < max_frac ? decimals : max_frac;
    unsigned last = 0;
    for (unsigned k = keep; k < decimals; k++)
        last = m2c_q256_div10(&mag);
    if (last >= 5) {
        m2c_u256 one = m2c_q256_from_i64(1);
        mag = m2c_q256_add(&mag, &one);
    }
    /* digits of mag, least significant first */
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + m2c_q256_div10(&mag));
    } while (!m2c_q256_is_zero(&mag));
    while (nd <= keep)
        digits[nd++] = '0'; /* at least one integer digit */
    /* trim trailing fractional zeros */
    unsigned frac = keep, skip = 0;
    while (frac > 0 && digits[skip] == '0')
        skip++, frac--;
    int all_zero = 1;
    for (size_t i = skip; i < nd; i++)
        if (digits[i] != '0') all_zero = 0;
    char tmp[100];
    size_t n = 0;
    if (neg && !all_zero) tmp[n++] = '-';
    for (size_t i = nd; i-- > keep;)
        tmp[n++] = digits[i];
    if (frac > 0) {
        tmp[n++] = '.';
        for (size_t i = keep; i-- > skip;)
            tmp[n++] = digits[i];
    }
    tmp[n] = 0;
    if (cap == 0) return n;
    size_t c = n < cap - 1 ? n : cap - 1;
    memcpy(out, tmp, c);
    out[c] = 0;
    return n;
}

m2c_status m2c_enc_encode_abi(m2c_buf *out, const m2c_u256 *v, size_t n) {
    uint8_t w[32];
    memset(w, 0, sizeof w);
    w[31] = 32;
    m2c_status st = m2c_buf_append(out, w, 32);
    if (st) return st;
    m2c_u256 len = m2c_q256_from_i64((int64_t)n);
    m2c_q256_to_be32(w, &len);
    if ((st = m2c_buf_append(out, w, 32))) return st;
    for (size_t i = 0; i < n; i++) {
        m2c_q256_to_be32(w, &v[i]);
        if ((st = m2c_buf_append(out, w, 32))) return st;
    }
    return M2C_OK;
}

m2c_status m2c_enc_encode_text(m2c_buf *out, const m2c_u256 *v, size_t n, unsigned decimals) {
    char s[100];
    for (size_t i = 0; i < n; i++) {
        m2c_status st;
        if (i && (st = m2c_buf_append_byte(out, ','))) return st;
        size_t k = m2c_enc_format_decimal(s, sizeof s, &v[i], decimals, M2C_ENC_TEXT_DIGITS);
        if ((st = m2c_buf_append(out, s, k))) return st;
    }
    return M2C_OK;
}

m2c_status m2c_enc_encode_output(m2c_buf *out, m2c_enc_form form, const m2c_u256 *v, size_t n,
                                 unsigned decimals) {
    return form == M2C_ENC_ABI ? m2c_enc_encode_abi(out, v, n)
                               : m2c_enc_encode_text(out, v, n, decimals);
}
