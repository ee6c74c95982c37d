/* rlp.c: RLP encoding into an m2c_buf and a strict zero-copy decoder. Every header is checked
 * for canonical form and against the bytes its parent has left, so a decoded item can be read
 * without further bounds checks. */
#include "ml2chain/rlp.h"

#include <string.h>

#include "ml2chain/u256.h"

/* ---- encoding ---- */

void m2c_rlp_enc_init(m2c_rlp_enc *e, m2c_buf *out) {
    memset(e, 0, sizeof *e);
    e->out = out;
}

/* Big-endian length bytes of n without leading zeros; returns the count (1..8). */
static size_t be_len(uint8_t out[8], uint64_t n) {
    size_t k = 0;
    uint8_t tmp[8];
    do {
        tmp[k++] = (uint8_t)n;
        n >>= 8;
    } while (n);
    for (size_t i = 0; i < k; i++)
        out[i] = tmp[k - 1 - i];
    return k;
}

/* Header for a payload of n bytes; `base` is 0x80 (string) or 0xc0 (list). */
static size_t header(uint8_t h[9], size_t n, uint8_t base) {
    if (n < 56) {
        h[0] = (uint8_t)(base + n);
        return 1;
    }
    size_t k = be_len(h + 1, (uint64_t)n);
    h[0] = (uint8_t)(base + 55 + k);
    return 1 + k;
}

m2c_status m2c_rlp_put_bytes(m2c_rlp_enc *e, const uint8_t *p, size_t n) {
    if (n == 1 && p[0] < 0x80) return m2c_buf_append_byte(e->out, p[0]);
    uint8_t h[9];
    size_t hl = header(h, n, 0x80);
    m2c_status st = m2c_buf_reserve(e->out, hl + n);
    if (st != M2C_OK) return st;
    if ((st = m2c_buf_append(e->out, h, hl)) != M2C_OK) return st;
    return n ? m2c_buf_append(e->out, p, n) : M2C_OK;
}

m2c_status m2c_rlp_put_u64(m2c_rlp_enc *e, uint64_t v) {
    if (v == 0) return m2c_rlp_put_bytes(e, NULL, 0);
    uint8_t b[8];
    size_t k = be_len(b, v);
    return m2c_rlp_put_bytes(e, b, k);
}

m2c_status m2c_rlp_put_u256(m2c_rlp_enc *e, const m2c_u256 *v) {
    uint8_t b[32];
    size_t k = m2c_u256_to_be_min(b, v);
    return m2c_rlp_put_bytes(e, b, k);
}

m2c_status m2c_rlp_put_raw(m2c_rlp_enc *e, const uint8_t *p, size_t n) {
    return n ? m2c_buf_append(e->out, p, n) : M2C_OK;
}

/* A list's header is not known until its end: begin leaves one placeholder byte (enough for
 * payloads under 56 bytes) and end widens it when the payload turned out longer. */
m2c_status m2c_rlp_list_begin(m2c_rlp_enc *e) {
    if (e->depth >= M2C_RLP_MAX_DEPTH) return M2C_ERR_RANGE;
    m2c_status st = m2c_buf_append_byte(e->out, 0xc0);
    if (st != M2C_OK) return st;
    e->starts[e->depth++] = e->out->len - 1;
    return M2C_OK;
}

m2c_status m2c_rlp_list_end(m2c_rlp_enc *e) {
    if (e->depth <= 0) return M2C_ERR_STATE;
    size_t start = e->starts[e->depth - 1];
    size_t n = e->out->len - start - 1;
    uint8_t h[9];
    size_t hl = header(h, n, 0xc0);
    if (hl > 1) {
        m2c_status st = m2c_buf_reserve(e->out, hl - 1);
        if (st != M2C_OK) return st;
        uint8_t *payload = e->out->p + start + 1;
        memmove(payload + hl - 1, payload, n);
        e->out->len += hl - 1;
        e->out->p[e->out->len] = 0; /* keep the buffer's NUL terminator */
    }
    memcpy(e->out->p + start, h, hl);
    e->depth--;
    return M2C_OK;
}

/* ---- decoding ---- */

/* Decodes the header of the item at p (n bytes available, `off` its absolute offset); `parent`
 * names what the item must fit in for error messages. */
static m2c_status decode_item(m2c_rlp_item *it, const uint8_t *p, size_t n, size_t off,
                              const char *parent, m2c_err *err) {
    memset(it, 0, sizeof *it);
    it->offset = off;
    if (n == 0)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, off, "rlp: item at offset %zu is missing", off);
    uint8_t b = p[0];
    if (b < 0x80) { /* a single byte is its own encoding */
        it->payload = p;
        it->len = 1;
        return M2C_OK;
    }
    int is_list = b >= 0xc0;
    uint8_t short_base = is_list ? 0xc0 : 0x80, long_base = is_list ? 0xf7 : 0xb7;
    size_t hl, len;
    if (b <= long_base) {
        hl = 1;
        len = (size_t)(b - short_base);
    } else {
        size_t k = (size_t)(b - long_base); /* 1..8 length bytes */
        if (k + 1 > n)
            return m2c_err_at(err, M2C_ERR_TRUNCATED, off,
                              "rlp: length of item at offset %zu runs past end of %s", off, parent);
        if (p[1] == 0)
            return m2c_err_at(err, M2C_ERR_NONCANONICAL, off + 1,
                              "rlp: length of item at offset %zu has a leading zero byte", off);
        uint64_t v = 0;
        for (size_t i = 0; i < k; i++)
            v = v << 8 | p[1 + i];
        if (v < 56)
            return m2c_err_at(err, M2C_ERR_NONCANONICAL, off,
                              "rlp: item at offset %zu uses the long form for %llu bytes", off,
                              (unsigned long long)v);
        if (v > (uint64_t)(n - 1 - k))
            return m2c_err_at(err, M2C_ERR_TRUNCATED, off,
                              "rlp: %s of %llu bytes at offset %zu runs past end of %s (%zu "
                              "bytes left)",
                              is_list ? "list" : "string", (unsigned long long)v, off, parent,
                              n - 1 - k);
        hl = 1 + k;
        len = (size_t)v;
    }
    if (len > n - hl)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, off,
                          "rlp: %s of %zu bytes at offset %zu runs past end of %s (%zu bytes "
                          "left)",
                          is_list ? "list" : "string", len, off, parent, n - hl);
    if (!is_list && len == 1 && p[1] < 0x80)
        return m2c_err_at(err, M2C_ERR_NONCANONICAL, off,
                          "rlp: single byte 0x%02x at offset %zu must not have a string header",
                          p[1], off);
    it->is_list = is_list;
    it->payload = p + hl;
    it->len = len;
    it->header_len = hl;
    return M2C_OK;
}

m2c_status m2c_rlp_decode(m2c_rlp_item *out, const uint8_t *p, size_t n, m2c_err *err) {
    m2c_status st = decode_item(out, p, n, 0, "input", err);
    if (st != M2C_OK) return st;
    size_t span = out->header_len + out->len;
    if (span != n) {
        memset(out, 0, sizeof *out);
        return m2c_err_at(err, M2C_ERR_INVALID, span,
                          "rlp: %zu trailing bytes after the item at offset %zu", n - span, span);
    }
    return M2C_OK;
}

m2c_status m2c_rlp_list_next(m2c_rlp_item *child, const m2c_rlp_item *list, size_t *pos,
                             m2c_err *err) {
    memset(child, 0, sizeof *child);
    if (!list->is_list)
        return m2c_err_at(err, M2C_ERR_INVALID, list->offset,
                          "rlp: item at offset %zu is a string, not a list", list->offset);
    if (*pos >= list->len) return M2C_ERR_NOTFOUND;
    size_t off = list->offset + list->header_len + *pos;
    m2c_status st =
        decode_item(child, list->payload + *pos, list->len - *pos, off, "its parent list", err);
    if (st != M2C_OK) return st;
    *pos += child->header_len + child->len;
    return M2C_OK;
}

m2c_status m2c_rlp_validate(const m2c_rlp_item *it, int max_depth, m2c_err *err) {
    if (max_depth > M2C_RLP_MAX_DEPTH) max_depth = M2C_RLP_MAX_DEPTH;
    if (!it->is_list) return M2C_OK;
    /* Explicit stack of (list, position) so hostile nesting cannot exhaust the C stack. */
    m2c_rlp_item lists[M2C_RLP_MAX_DEPTH + 1];
    size_t pos[M2C_RLP_MAX_DEPTH + 1];
    int top = 0;
    lists[0] = *it;
    pos[0] = 0;
    while (top >= 0) {
        m2c_rlp_item child;
        m2c_status st = m2c_rlp_list_next(&child, &lists[top], &pos[top], err);
        if (st == M2C_ERR_NOTFOUND) {
            top--;
            continue;
        }
        if (st != M2C_OK) return st;
        if (!child.is_list) continue;
        if (top + 1 > max_depth)
            return m2c_err_at(err, M2C_ERR_RANGE, child.offset,
                              "rlp: list at offset %zu nests deeper than %d", child.offset,
                              max_depth);
        top++;
        lists[top] = child;
        pos[top] = 0;
    }
    return M2C_OK;
}

static m2c_status int_item(const m2c_rlp_item *it, size_t max, const char *what, m2c_err *err) {
    if (it->is_list)
        return m2c_err_at(err, M2C_ERR_INVALID, it->offset,
                          "rlp: expected %s at offset %zu, got a list", what, it->offset);
    if (it->len > max)
        return m2c_err_at(err, M2C_ERR_RANGE, it->offset,
                          "rlp: %s at offset %zu has %zu bytes (max %zu)", what, it->offset,
                          it->len, max);
    if (it->len > 0 && it->payload[0] == 0)
        return m2c_err_at(err, M2C_ERR_NONCANONICAL, it->offset,
                          "rlp: %s at offset %zu has a leading zero byte", what, it->offset);
    return M2C_OK;
}

m2c_status m2c_rlp_get_u64(uint64_t *out, const m2c_rlp_item *it, m2c_err *err) {
    *out = 0;
    m2c_status st = int_item(it, 8, "uint64", err);
    if (st != M2C_OK) return st;
    uint64_t v = 0;
    for (size_t i = 0; i < it->len; i++)
        v = v << 8 | it->payload[i];
    *out = v;
    return M2C_OK;
}

m2c_status m2c_rlp_get_u256(m2c_u256 *out, const m2c_rlp_item *it, m2c_err *err) {
    memset(out, 0, sizeof *out);
    m2c_status st = int_item(it, 32, "uint256", err);
    if (st != M2C_OK) return st;
    return m2c_u256_from_be(out, it->payload, it->len);
}
