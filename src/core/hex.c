/* hex.c: strict hex decoding/encoding, JSON-RPC quantities, EIP-55 addresses, hashes.
 * Decoding goes through a 256-entry table so the hot loop is two loads and a test per byte. */
#include "ml2chain/hex.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ml2chain/keccak.h"

/* Declared in hex.h: 0..15 for hex digits, 0xff otherwise. */
// clang-format off
#define XX 0xff
const uint8_t m2c_hex_digit_value[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
     0,  1,  2,  3,  4,  5,  6,  7,  8,  9, XX, XX, XX, XX, XX, XX,
    XX, 10, 11, 12, 13, 14, 15, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, 10, 11, 12, 13, 14, 15, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
#undef XX
// clang-format on

static const char DIGITS[] = "0123456789abcdef";
/* The two lowercase digits of every byte value, in order: one lookup per byte. */
static const char PAIRS[513] =
    "000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f"
    "505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f"
    "707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f"
    "909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";


static int has_prefix(const char *s, size_t len) {
    return len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

/* Describes byte c for an error message: printable chars quoted, others as \xNN. */
static const char *describe(char buf[8], unsigned char c) {
    if (c >= 0x20 && c < 0x7f) {
        buf[0] = '\'';
        buf[1] = (char)c;
        buf[2] = '\'';
        buf[3] = 0;
    } else {
        buf[0] = '\\';
        buf[1] = 'x';
        buf[2] = DIGITS[c >> 4];
        buf[3] = DIGITS[c & 15];
        buf[4] = 0;
    }
    return buf;
}

/* Checks the prefix per `mode`; on success *skip is 0 or 2. */
static m2c_status check_prefix(size_t *skip, const char *s, size_t len, m2c_hex_prefix mode,
                               m2c_err *err) {
    int p = has_prefix(s, len);
    *skip = p ? 2 : 0;
    if (mode == M2C_HEX_PREFIX_REQUIRED && !p)
        return m2c_err_at(err, M2C_ERR_INVALID, 0, "hex: missing 0x prefix at offset 0");
    if (mode == M2C_HEX_PREFIX_FORBIDDEN && p)
        return m2c_err_at(err, M2C_ERR_INVALID, 0, "hex: unexpected 0x prefix at offset 0");
    return M2C_OK;
}

/* Validates digits s[from..len) (absolute offsets in messages); `what` starts the message. */
static m2c_status check_digits(const char *what, const char *s, size_t from, size_t len,
                               m2c_err *err) {
    for (size_t i = from; i < len; i++) {
        if (m2c_hex_digit_value[(unsigned char)s[i]] > 15) {
            char d[8];
            return m2c_err_at(err, M2C_ERR_INVALID, i, "%s: invalid hex digit %s at offset %zu",
                              what, describe(d, (unsigned char)s[i]), i);
        }
    }
    return M2C_OK;
}

m2c_status m2c_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *s, size_t len,
                          m2c_hex_prefix mode, m2c_err *err) {
    size_t skip;
    m2c_status st;
    if (out_len) *out_len = 0;
    if (!s && len) return m2c_err_set(err, M2C_ERR_INVALID, "hex: null input");
    if ((st = check_prefix(&skip, s, len, mode, err)) != M2C_OK) return st;
    size_t nd = len - skip;
    if (nd & 1) {
        /* Name the first bad digit if there is one: it is the likelier mistake. */
        if ((st = check_digits("hex", s, skip, len, err)) != M2C_OK) return st;
        return m2c_err_at(err, M2C_ERR_INVALID, len,
                          "hex: odd number of digits (%zu) ending at offset %zu", nd, len);
    }
    size_t n = nd / 2;
    if (n > cap)
        return m2c_err_at(err, M2C_ERR_RANGE, skip, "hex: %zu bytes do not fit in %zu", n, cap);
    const unsigned char *p = (const unsigned char *)s + skip;
    for (size_t i = 0; i < n; i++) {
        unsigned hi = m2c_hex_digit_value[p[2 * i]], lo = m2c_hex_digit_value[p[2 * i + 1]];
        if ((hi | lo) > 15) return check_digits("hex", s, skip + 2 * i, len, err);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (out_len) *out_len = n;
    return M2C_OK;
}

m2c_status m2c_hex_decode_alloc(uint8_t **out, size_t *out_len, const char *s, size_t len,
                                m2c_hex_prefix mode, m2c_err *err) {
    *out = NULL;
    if (out_len) *out_len = 0;
    if (!s && len) return m2c_err_set(err, M2C_ERR_INVALID, "hex: null input");
    size_t skip = has_prefix(s, len) ? 2 : 0;
    size_t cap = (len - skip) / 2;
    uint8_t *p = malloc(cap ? cap : 1);
    if (!p) return m2c_err_set(err, M2C_ERR_NOMEM, "hex: cannot allocate %zu bytes", cap);
    size_t n;
    m2c_status st = m2c_hex_decode(p, cap, &n, s, len, mode, err);
    if (st != M2C_OK) {
        free(p);
        return st;
    }
    *out = p;
    if (out_len) *out_len = n;
    return M2C_OK;
}

m2c_status m2c_hex_decode_exact(uint8_t *out, size_t n, const char *s, m2c_err *err) {
    size_t len = strlen(s);
    size_t skip = has_prefix(s, len) ? 2 : 0;
    if (len - skip != 2 * n) {
        m2c_status st = check_digits("hex", s, skip, len, err);
        if (st != M2C_OK) return st;
        return m2c_err_at(err, M2C_ERR_INVALID, len,
                          "hex: expected %zu bytes (%zu digits), got %zu digits", n, 2 * n,
                          len - skip);
    }
    size_t got;
    return m2c_hex_decode(out, n, &got, s, len, M2C_HEX_PREFIX_OPTIONAL, err);
}

#ifdef __SSE2__
/* 16 nibbles (0..15) to their lowercase digits: '0' + v, plus 39 more for 10..15. */
static inline __m128i nibble_digits(__m128i v) {
    __m128i over9 = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(9)), _mm_set1_epi8(39));
    return _mm_add_epi8(_mm_add_epi8(v, _mm_set1_epi8('0')), over9);
}

/* 16 hex digits (either case) to their values in the low byte of 8 16-bit lanes each pair
 * (high digit << 4 | low digit); *bad gets a lane mask of the non-digits. */
static inline __m128i digit_pairs(const char *hex, __m128i *bad) {
    __m128i c = _mm_loadu_si128((const __m128i *)hex);
    __m128i lc = _mm_or_si128(c, _mm_set1_epi8(0x20)); /* 'A'..'F' -> 'a'..'f' */
    __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                _mm_cmpgt_epi8(_mm_set1_epi8('9' + 1), c));
    __m128i let = _mm_and_si128(_mm_cmpgt_epi8(lc, _mm_set1_epi8('a' - 1)),
                                _mm_cmpgt_epi8(_mm_set1_epi8('f' + 1), lc));
    *bad = _mm_or_si128(*bad, _mm_andnot_si128(_mm_or_si128(dig, let), _mm_set1_epi8(-1)));
    __m128i v = _mm_or_si128(_mm_and_si128(dig, _mm_sub_epi8(c, _mm_set1_epi8('0'))),
                             _mm_and_si128(let, _mm_sub_epi8(lc, _mm_set1_epi8('a' - 10))));
    /* lanes hold (low digit << 8 | high digit): combine into high << 4 | low */
    __m128i hi = _mm_and_si128(v, _mm_set1_epi16(0x00ff)), lo = _mm_srli_epi16(v, 8);
    return _mm_or_si128(_mm_slli_epi16(hi, 4), lo);
}
#endif

int m2c_hex_to_bytes(uint8_t *out, const char *hex, size_t n) {
    size_t i = 0;
#ifdef __SSE2__
    __m128i bad = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i a = digit_pairs(hex + 2 * i, &bad), b = digit_pairs(hex + 2 * i + 16, &bad);
        _mm_storeu_si128((__m128i *)(out + i), _mm_packus_epi16(a, b));
    }
    if (_mm_movemask_epi8(bad)) return 0;
#endif
    uint8_t badd = 0;
    for (; i < n; i++) {
        uint8_t hi = m2c_hex_digit_value[(unsigned char)hex[2 * i]],
                lo = m2c_hex_digit_value[(unsigned char)hex[2 * i + 1]];
        badd |= hi | lo;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return !(badd & 0xf0);
}

size_t m2c_hex_encode(char *out, const uint8_t *in, size_t n, int with_prefix) {
    char *o = out;
    if (with_prefix) {
        *o++ = '0';
        *o++ = 'x';
    }
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16, o += 32) {
        __m128i x = _mm_loadu_si128((const __m128i *)(in + i));
        __m128i hi = nibble_digits(_mm_and_si128(_mm_srli_epi16(x, 4), _mm_set1_epi8(0x0f)));
        __m128i lo = nibble_digits(_mm_and_si128(x, _mm_set1_epi8(0x0f)));
        _mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi8(hi, lo));
        _mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi8(hi, lo));
    }
#endif
    for (; i < n; i++, o += 2)
        memcpy(o, PAIRS + 2 * in[i], 2);
    *o = 0;
    return (size_t)(o - out);
}

char *m2c_hex_encode_alloc(const uint8_t *in, size_t n, int with_prefix) {
    if (n > (SIZE_MAX - 3) / 2) return NULL;
    char *s = malloc(2 * n + 3);
    if (!s) return NULL;
    m2c_hex_encode(s, in, n, with_prefix);
    return s;
}

m2c_status m2c_hex_parse_quantity_u64(uint64_t *out, const char *s, size_t len, m2c_err *err) {
    *out = 0;
    if (!has_prefix(s, len))
        return m2c_err_at(err, M2C_ERR_INVALID, 0, "quantity: missing 0x prefix at offset 0");
    if (len == 2) return m2c_err_at(err, M2C_ERR_INVALID, 2, "quantity: no digits after 0x");
    m2c_status st = check_digits("quantity", s, 2, len, err);
    if (st != M2C_OK) return st;
    if (s[2] == '0' && len > 3)
        return m2c_err_at(err, M2C_ERR_NONCANONICAL, 2, "quantity: leading zero at offset 2");
    if (len - 2 > 16)
        return m2c_err_at(err, M2C_ERR_RANGE, 2, "quantity: %zu digits exceed 64 bits", len - 2);
    uint64_t v = 0;
    for (size_t i = 2; i < len; i++)
        v = v << 4 | m2c_hex_digit_value[(unsigned char)s[i]];
    *out = v;
    return M2C_OK;
}

m2c_status m2c_hex_parse_quantity_u256(m2c_u256 *out, const char *s, size_t len, m2c_err *err) {
    memset(out, 0, sizeof *out);
    if (!has_prefix(s, len))
        return m2c_err_at(err, M2C_ERR_INVALID, 0, "quantity: missing 0x prefix at offset 0");
    if (len == 2) return m2c_err_at(err, M2C_ERR_INVALID, 2, "quantity: no digits after 0x");
    m2c_status st = check_digits("quantity", s, 2, len, err);
    if (st != M2C_OK) return st;
    if (s[2] == '0' && len > 3)
        return m2c_err_at(err, M2C_ERR_NONCANONICAL, 2, "quantity: leading zero at offset 2");
    if (len - 2 > 64)
        return m2c_err_at(err, M2C_ERR_RANGE, 2, "quantity: %zu digits exceed 256 bits", len - 2);
    /* Nibble j counted from the right goes to limb j / 16. */
    for (size_t i = len, j = 0; i-- > 2; j++)
        out->w[j / 16] |= (uint64_t)m2c_hex_digit_value[(unsigned char)s[i]] << (4 * (j % 16));
    return M2C_OK;
}

size_t m2c_hex_format_quantity_u64(char *out, uint64_t v) {
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = DIGITS[v & 15];
        v >>= 4;
    } while (v);
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < n; i++)
        out[2 + i] = tmp[n - 1 - i];
    out[2 + n] = 0;
    return 2 + n;
}

/* Upper-cases each letter of the lowercase hex whose nibble in `h` is >= 8. */
static void apply_case(char out[43], const char lower[41], const m2c_hash32 *h) {
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        char c = lower[i];
        unsigned nib = (i & 1) ? (h->b[i / 2] & 15) : (h->b[i / 2] >> 4);
        if (c >= 'a' && nib >= 8) c = (char)(c - 'a' + 'A');
        out[2 + i] = c;
    }
    out[42] = 0;
}

/* EIP-55: the keccak of the 40 lowercase hex chars decides the case. */
void m2c_addr_checksum(char out[43], const m2c_addr20 *a) {
    char lower[41];
    m2c_hex_encode(lower, a->b, 20, 0);
    m2c_hash32 h = m2c_keccak256(lower, 40);
    apply_case(out, lower, &h);
}

void m2c_addr_checksum_chain(char out[43], const m2c_addr20 *a, uint64_t chain_id) {
    char lower[41], pre[24];
    m2c_hex_encode(lower, a->b, 20, 0);
    int n = snprintf(pre, sizeof pre, "%" PRIu64 "0x", chain_id);
    m2c_keccak_ctx ctx;
    m2c_hash32 h;
    m2c_keccak_init(&ctx);
    m2c_keccak_update(&ctx, pre, (size_t)n);
    m2c_keccak_update(&ctx, lower, 40);
    m2c_keccak_final(&ctx, &h);
    apply_case(out, lower, &h);
}

m2c_status m2c_addr_parse(m2c_addr20 *out, const char *s, m2c_err *err) {
    memset(out, 0, sizeof *out);
    size_t len = strlen(s);
    m2c_status st;
    size_t got;
    if (!has_prefix(s, len))
        return m2c_err_at(err, M2C_ERR_INVALID, 0, "address: missing 0x prefix at offset 0");
    if ((st = check_digits("address", s, 2, len, err)) != M2C_OK) return st;
    if (len != 42)
        return m2c_err_at(err, M2C_ERR_INVALID, len < 42 ? len : 42,
                          "address: expected 40 hex digits, got %zu", len - 2);
    int upper = 0, lower = 0;
    for (size_t i = 2; i < 42; i++) {
        if (s[i] >= 'a' && s[i] <= 'f') lower = 1;
        if (s[i] >= 'A' && s[i] <= 'F') upper = 1;
    }
    m2c_addr20 a;
    if ((st = m2c_hex_decode(a.b, 20, &got, s, len, M2C_HEX_PREFIX_REQUIRED, err)) != M2C_OK)
        return m2c_err_prefix(err, "address");
    if (upper && lower) {
        char want[43];
        m2c_addr_checksum(want, &a);
        for (size_t i = 2; i < 42; i++)
            if (want[i] != s[i])
                return m2c_err_at(err, M2C_ERR_INVALID, i,
                                  "address: bad EIP-55 checksum at offset %zu (expected %s)", i,
                                  want);
    }
    *out = a;
    return M2C_OK;
}

m2c_status m2c_hash_parse(m2c_hash32 *out, const char *s, m2c_err *err) {
    memset(out, 0, sizeof *out);
    size_t len = strlen(s);
    m2c_status st;
    size_t got;
    if (!has_prefix(s, len))
        return m2c_err_at(err, M2C_ERR_INVALID, 0, "hash: missing 0x prefix at offset 0");
    if ((st = check_digits("hash", s, 2, len, err)) != M2C_OK) return st;
    if (len != 66)
        return m2c_err_at(err, M2C_ERR_INVALID, len < 66 ? len : 66,
                          "hash: expected 64 hex digits, got %zu", len - 2);
    if ((st = m2c_hex_decode(out->b, 32, &got, s, len, M2C_HEX_PREFIX_REQUIRED, err)) != M2C_OK)
        return m2c_err_prefix(err, "hash");
    return M2C_OK;
}
