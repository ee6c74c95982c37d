/* watchtx.c: the challenge watcher's calldata: finding a posted output in fulfil calldata,
 * encoding `challenge(...)`. */
#include "ml2chain/watchtx.h"

#include <string.h>

#include "ml2chain/nodestore.h"
#include "ml2chain/nodetx.h"

#define REQ_BYTES (32 * M2C_NODE_REQ_WORDS)

/* A word at p[off..off+32) as a size no larger than lim. */
static m2c_status word_size(size_t *out, const uint8_t *p, size_t len, size_t off, size_t lim,
                            const char *what, m2c_err *err) {
    if (off > len || len - off < 32)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, off,
                          "fulfil calldata: %s word at %zu past end (%zu bytes)", what, off, len);
    uint64_t v = 0;
    for (int i = 0; i < 32; i++) {
        if (i < 24 && p[off + (size_t)i])
            v = UINT64_MAX;
        else if (i >= 24 && v != UINT64_MAX)
            v = v << 8 | p[off + (size_t)i];
    }
    if (v > lim)
        return m2c_err_at(err, M2C_ERR_RANGE, off, "fulfil calldata: %s at %zu out of range", what,
                          off);
    *out = (size_t)v;
    return M2C_OK;
}

/* One (Request, bytes, uint32) tuple whose head starts at base (offsets relative to base). */
static m2c_status decode_item(const uint8_t *p, size_t len, size_t base, const uint8_t **req,
                              const uint8_t **out, size_t *out_len, uint32_t *code, m2c_err *err) {
    size_t off, n, c;
    m2c_status s;
    if (base > len || len - base < REQ_BYTES + 64)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, base, "fulfil calldata: item at %zu past end",
                          base);
    if ((s = word_size(&off, p, len, base + REQ_BYTES, len - base, "output offset", err)) != M2C_OK)
        return s;
    if ((s = word_size(&c, p, len, base + REQ_BYTES + 32, UINT32_MAX, "errorCode", err)) != M2C_OK)
        return s;
    if ((s = word_size(&n, p, len, base + off, len, "output length", err)) != M2C_OK) return s;
    size_t start = base + off + 32;
    if (len - start < n)
        return m2c_err_at(err, M2C_ERR_TRUNCATED, base + off,
                          "fulfil calldata: output at %zu past end", base + off);
    *req = p + base;
    *out = p + start;
    *out_len = n;
    *code = (uint32_t)c;
    return M2C_OK;
}

static uint32_t sel_of(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

m2c_status m2c_watch_find_fulfilment(const uint8_t *cd, size_t len, const m2c_hash32 *id,
                                     const uint8_t **req, const uint8_t **out, size_t *out_len,
                                     uint32_t *code, m2c_err *err) {
    if (len < 4) return m2c_err_at(err, M2C_ERR_TRUNCATED, 0, "fulfil calldata: no selector");
    const uint8_t *p = cd + 4;
    size_t n = len - 4;
    m2c_status s;
    uint32_t sel = sel_of(cd);
    if (sel == m2c_selector(M2C_SIG_FULFILL)) {
        if ((s = decode_item(p, n, 0, req, out, out_len, code, err)) != M2C_OK) return s;
        if (memcmp(*req, id->b, 32))
            return m2c_err_set(err, M2C_ERR_NOTFOUND, "fulfil calldata: request not in it");
        return M2C_OK;
    }
    if (sel != m2c_selector(M2C_SIG_FULFILL_BATCH))
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                           "calldata is not fulfill or fulfillBatch (selector 0x%08x)",
                           (unsigned)sel);
    size_t arr, cnt;
    if ((s = word_size(&arr, p, n, 0, n, "array offset", err)) != M2C_OK) return s;
    if ((s = word_size(&cnt, p, n, arr, n / 32, "array length", err)) != M2C_OK) return s;
    size_t heads = arr + 32;
    for (size_t i = 0; i < cnt; i++) {
        size_t rel;
        if ((s = word_size(&rel, p, n, heads + 32 * i, n - heads, "item offset", err)) != M2C_OK)
            return s;
        if ((s = decode_item(p, n, heads + rel, req, out, out_len, code, err)) != M2C_OK) return s;
        if (!memcmp(*req, id->b, 32)) return M2C_OK;
    }
    return m2c_err_set(err, M2C_ERR_NOTFOUND, "fulfil calldata: request not in the batch");
}

static m2c_status put_word(m2c_buf *b, uint64_t v) {
    uint8_t w[32] = {0};
    for (int i = 0; i < 8; i++)
        w[31 - i] = (uint8_t)(v >> (8 * i));
    return m2c_buf_append(b, w, 32);
}

static m2c_status put_bytes(m2c_buf *b, const uint8_t *p, size_t n) {
    static const uint8_t z[32];
    m2c_status s = put_word(b, n);
    if (s == M2C_OK && n) s = m2c_buf_append(b, p, n);
    if (s == M2C_OK && n % 32) s = m2c_buf_append(b, z, 32 - n % 32);
    return s;
}

static size_t padded(size_t n) {
    return (n + 31) / 32 * 32;
}

m2c_status m2c_watch_challenge_calldata(m2c_buf *cd, const uint8_t *req, const uint8_t *output,
                                        size_t output_len, uint32_t code, const uint8_t *model,
                                        size_t model_len, const uint8_t *input, size_t input_len,
                                        m2c_err *err) {
    uint32_t sel = m2c_selector(M2C_SIG_CHALLENGE);
    uint8_t sb[4] = {(uint8_t)(sel >> 24), (uint8_t)(sel >> 16), (uint8_t)(sel >> 8), (uint8_t)sel};
    size_t o_out = REQ_BYTES + 4 * 32;
    size_t o_model = o_out + 32 + padded(output_len);
    size_t o_in = o_model + 32 + padded(model_len);
    m2c_status s = m2c_buf_append(cd, sb, 4);
    if (s == M2C_OK) s = m2c_buf_append(cd, req, REQ_BYTES);
    if (s == M2C_OK) s = put_word(cd, o_out);
    if (s == M2C_OK) s = put_word(cd, code);
    if (s == M2C_OK) s = put_word(cd, o_model);
    if (s == M2C_OK) s = put_word(cd, o_in);
    if (s == M2C_OK) s = put_bytes(cd, output, output_len);
    if (s == M2C_OK) s = put_bytes(cd, model, model_len);
    if (s == M2C_OK) s = put_bytes(cd, input, input_len);
    if (s != M2C_OK) return m2c_err_set(err, s, "challenge calldata: too large");
    return M2C_OK;
}
