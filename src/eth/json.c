/* json.c: strict, path-reporting access to untrusted JSON; see json.h. Hex decoding here is
 * inline over hex.h's digit table: it runs once per field of every log the extractor
 * fetches, so it is on the hot path. */
#include "ml2chain/hex.h"
#include "ml2chain/json.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

m2c_status m2c_json_prefix(m2c_err *e, const char *fmt, ...) {
    if (!e) return M2C_OK;
    char pre[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    char old[sizeof e->msg];
    memcpy(old, e->msg, sizeof old);
    old[sizeof old - 1] = 0;
    size_t o = strlen(pre);
    memcpy(e->msg, pre, o);
    /* A message that starts with a path ("topics[1]: ...") is joined with '.', one that
     * starts with an index with nothing, and plain text ("bad hex digit") with ": ". */
    size_t id = 0;
    while (old[id] && (isalnum((unsigned char)old[id]) || old[id] == '_'))
        id++;
    if (old[0] == '[') {
    } else if (id > 0 && (old[id] == ':' || old[id] == '.' || old[id] == '[')) {
        e->msg[o++] = '.';
    } else {
        e->msg[o++] = ':';
        e->msg[o++] = ' ';
    }
    size_t olen = strlen(old), room = sizeof e->msg - 1 - o;
    if (olen > room) olen = room;
    memcpy(e->msg + o, old, olen);
    e->msg[o + olen] = 0;
    return e->code;
}

void m2c_json_snippet(char *out, size_t cap, const void *p, size_t n, size_t max) {
    const uint8_t *s = p;
    size_t o = 0;
    if (cap < 8) {
        if (cap) out[0] = 0;
        return;
    }
    out[o++] = '"';
    size_t i = 0;
    for (; i < n && i < max; i++) {
        char tmp[8];
        size_t k;
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            k = 2;
        } else if (c == '\n') {
            memcpy(tmp, "\\n", 2);
            k = 2;
        } else if (c == '\r') {
            memcpy(tmp, "\\r", 2);
            k = 2;
        } else if (c == '\t') {
            memcpy(tmp, "\\t", 2);
            k = 2;
        } else if (c < 0x20 || c >= 0x7f) {
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
            k = 4;
        } else {
            tmp[0] = (char)c;
            k = 1;
        }
        if (o + k + 5 > cap) break; /* keep room for "...\"" and NUL */
        memcpy(out + o, tmp, k);
        o += k;
    }
    out[o++] = '"';
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
}

const char *m2c_json_type_name(const json_t *v) {
    if (!v) return "missing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Nesting depth of the JSON text (brackets outside strings), stopping early past `cap`. */
static int text_depth_exceeds(const char *s, size_t len, int cap, size_t *where) {
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > cap) {
                *where = i;
                return 1;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

/* Nonzero if some string in v holds a NUL byte, other than the allowed JSON-RPC error
 * message (a member "message" of a member "error" of a top-level object, or of an object
 * that is an element of a top-level array): `level` 0 is the top, 1 a batch element. */
static int has_nul(const json_t *v, int allow_rpc, int level, int in_error) {
    if (json_is_string(v)) return strlen(json_string_value(v)) != json_string_length(v);
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (has_nul(json_array_get(v, i), allow_rpc && level == 0, 1, 0)) return 1;
        return 0;
    }
    if (!json_is_object(v)) return 0;
    const char *k;
    const json_t *m;
    json_object_foreach((json_t *)v, k, m) {
        if (in_error && !strcmp(k, "message") && json_is_string(m)) continue;
        if (has_nul(m, 0, 2, allow_rpc && level <= 1 && !strcmp(k, "error"))) return 1;
    }
    return 0;
}

static m2c_status parse(json_t **out, const char *s, size_t len, int max_depth, int rpc,
                        m2c_err *err);

m2c_status m2c_json_parse(json_t **out, const char *s, size_t len, int max_depth, m2c_err *err) {
    return parse(out, s, len, max_depth, 0, err);
}

m2c_status m2c_json_parse_rpc(json_t **out, const char *s, size_t len, int max_depth,
                              m2c_err *err) {
    return parse(out, s, len, max_depth, 1, err);
}

static m2c_status parse(json_t **out, const char *s, size_t len, int max_depth, int rpc,
                        m2c_err *err) {
    *out = NULL;
    if (max_depth <= 0) max_depth = M2C_JSON_MAX_DEPTH;
    size_t where = 0;
    if (text_depth_exceeds(s, len, max_depth, &where))
        return m2c_err_at(err, M2C_ERR_RANGE, where,
                          "json nested deeper than %d levels at byte %zu", max_depth, where);
    json_error_t je;
    json_t *v = json_loadb(s, len,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | (rpc ? JSON_ALLOW_NUL : 0),
                           &je);
    if (!v) {
        size_t pos = je.position > 0 ? (size_t)je.position : 0;
        m2c_status st = json_error_code(&je) == json_error_premature_end_of_input
                            ? M2C_ERR_TRUNCATED
                            : M2C_ERR_PROTOCOL;
        if (st == M2C_ERR_TRUNCATED)
            return m2c_err_at(err, st, pos, "truncated json (%zu bytes): %s", len, je.text);
        return m2c_err_at(err, st, pos, "invalid json at byte %zu: %s", pos, je.text);
    }
    if (rpc && has_nul(v, 1, 0, 0)) {
        json_decref(v);
        return m2c_err_set(err, M2C_ERR_PROTOCOL,
                           "invalid json: \\u0000 in a string other than error.message");
    }
    *out = v;
    return M2C_OK;
}

static m2c_status want_string(const char **s, size_t *len, const json_t *v, const char *name,
                              const char *what, m2c_err *err) {
    if (!json_is_string(v))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "%s: expected %s, got %s", name, what,
                           m2c_json_type_name(v));
    *s = json_string_value(v);
    *len = json_string_length(v);
    return M2C_OK;
}

m2c_status m2c_json_text_quantity_u64(uint64_t *out, const char *s, size_t len, m2c_err *err) {
    if (len < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected hex quantity \"0x...\"");
    uint64_t v = 0;
    for (size_t i = 2; i < len; i++) {
        uint8_t d = m2c_hex_digit_value[(uint8_t)s[i]];
        if (d == 0xff)
            return m2c_err_at(err, M2C_ERR_PROTOCOL, i, "bad hex digit at offset %zu", i);
        if (v >> 60) return m2c_err_set(err, M2C_ERR_RANGE, "quantity does not fit in 64 bits");
        v = v << 4 | d;
    }
    *out = v;
    return M2C_OK;
}

m2c_status m2c_json_text_quantity_u256(m2c_u256 *out, const char *s, size_t len, m2c_err *err) {
    if (len < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected hex quantity \"0x...\"");
    m2c_u256 v = {{0, 0, 0, 0}};
    for (size_t i = 2; i < len; i++) {
        uint8_t d = m2c_hex_digit_value[(uint8_t)s[i]];
        if (d == 0xff)
            return m2c_err_at(err, M2C_ERR_PROTOCOL, i, "bad hex digit at offset %zu", i);
        if (v.w[3] >> 60)
            return m2c_err_set(err, M2C_ERR_RANGE, "quantity does not fit in 256 bits");
        v.w[3] = v.w[3] << 4 | v.w[2] >> 60;
        v.w[2] = v.w[2] << 4 | v.w[1] >> 60;
        v.w[1] = v.w[1] << 4 | v.w[0] >> 60;
        v.w[0] = v.w[0] << 4 | d;
    }
    *out = v;
    return M2C_OK;
}

/* Decodes 2n hex digits at s into out; returns the offset of the first bad digit or -1. */
static long decode_digits(uint8_t *out, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t hi = m2c_hex_digit_value[(uint8_t)s[2 * i]], lo = m2c_hex_digit_value[(uint8_t)s[2 * i + 1]];
        if ((hi | lo) == 0xff || hi == 0xff || lo == 0xff)
            return (long)(hi == 0xff ? 2 * i : 2 * i + 1);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return -1;
}

m2c_status m2c_json_text_fixed(uint8_t *out, size_t n, const char *s, size_t len, m2c_err *err) {
    if (len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected %zu-byte hex \"0x...\"", n);
    if (len != 2 + 2 * n) {
        if ((len - 2) % 2)
            return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected %zu-byte hex, got %zu hex digits",
                               n, len - 2);
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected %zu-byte hex, got %zu bytes", n,
                           (len - 2) / 2);
    }
    uint8_t tmp[64];
    if (n > sizeof tmp) return m2c_err_set(err, M2C_ERR_RANGE, "fixed hex too long");
    long bad = decode_digits(tmp, s + 2, n);
    if (bad >= 0)
        return m2c_err_at(err, M2C_ERR_PROTOCOL, (size_t)bad + 2, "bad hex digit at offset %ld",
                          bad + 2);
    memcpy(out, tmp, n);
    return M2C_OK;
}

m2c_status m2c_json_quantity_u64(uint64_t *out, const json_t *v, const char *name, m2c_err *err) {
    const char *s;
    size_t len;
    m2c_status st = want_string(&s, &len, v, name, "hex quantity", err);
    if (st) return st;
    st = m2c_json_text_quantity_u64(out, s, len, err);
    return st ? m2c_json_prefix(err, "%s", name) : M2C_OK;
}

m2c_status m2c_json_quantity_u256(m2c_u256 *out, const json_t *v, const char *name, m2c_err *err) {
    const char *s;
    size_t len;
    m2c_status st = want_string(&s, &len, v, name, "hex quantity", err);
    if (st) return st;
    st = m2c_json_text_quantity_u256(out, s, len, err);
    return st ? m2c_json_prefix(err, "%s", name) : M2C_OK;
}

static m2c_status fixed(uint8_t *out, size_t n, const json_t *v, const char *name, m2c_err *err) {
    const char *s;
    size_t len;
    m2c_status st =
        want_string(&s, &len, v, name, n == 20 ? "20-byte hex address" : "32-byte hex", err);
    if (st) return st;
    st = m2c_json_text_fixed(out, n, s, len, err);
    return st ? m2c_json_prefix(err, "%s", name) : M2C_OK;
}

m2c_status m2c_json_hash32(m2c_hash32 *out, const json_t *v, const char *name, m2c_err *err) {
    return fixed(out->b, 32, v, name, err);
}

m2c_status m2c_json_addr20(m2c_addr20 *out, const json_t *v, const char *name, m2c_err *err) {
    return fixed(out->b, 20, v, name, err);
}

m2c_status m2c_json_data(uint8_t **out, size_t *out_len, const json_t *v, size_t max,
                         m2c_arena *arena, const char *name, m2c_err *err) {
    const char *s;
    size_t len;
    m2c_status st = want_string(&s, &len, v, name, "hex data", err);
    if (st) return st;
    if (len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "%s: expected hex data \"0x...\"", name);
    if ((len - 2) % 2)
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "%s: odd number of hex digits (%zu)", name,
                           len - 2);
    size_t n = (len - 2) / 2;
    if (n > max)
        return m2c_err_set(err, M2C_ERR_RANGE, "%s: %zu bytes exceeds the cap of %zu", name, n,
                           max);
    uint8_t *p = m2c_arena_alloc(arena, n);
    if (!p) return m2c_err_set(err, M2C_ERR_NOMEM, "%s: out of memory (%zu bytes)", name, n);
    long bad = decode_digits(p, s + 2, n);
    if (bad >= 0)
        return m2c_err_at(err, M2C_ERR_PROTOCOL, (size_t)bad + 2, "%s: bad hex digit at offset %ld",
                          name, bad + 2);
    *out = p;
    *out_len = n;
    return M2C_OK;
}

m2c_status m2c_json_bool(int *out, const json_t *v, const char *name, m2c_err *err) {
    if (!json_is_boolean(v))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "%s: expected boolean, got %s", name,
                           m2c_json_type_name(v));
    *out = json_is_true(v);
    return M2C_OK;
}

m2c_status m2c_json_array(size_t *n, const json_t *v, size_t max, const char *name, m2c_err *err) {
    if (!json_is_array(v))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "%s: expected array, got %s", name,
                           m2c_json_type_name(v));
    size_t k = json_array_size(v);
    if (k > max)
        return m2c_err_set(err, M2C_ERR_RANGE, "%s: %zu elements exceeds the cap of %zu", name, k,
                           max);
    *n = k;
    return M2C_OK;
}

m2c_status m2c_json_member(const json_t **out, const json_t *obj, const char *key, m2c_err *err) {
    if (!json_is_object(obj))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected object, got %s",
                           m2c_json_type_name(obj));
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "%s: %s", key, v ? "is null" : "missing");
    *out = v;
    return M2C_OK;
}

/* Member lookup for the *_opt getters: *v is NULL when absent or null. */
static m2c_status member_opt(const json_t **v, const json_t *obj, m2c_err *err, const char *key) {
    if (!json_is_object(obj))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected object, got %s",
                           m2c_json_type_name(obj));
    *v = json_object_get(obj, key);
    if (*v && json_is_null(*v)) *v = NULL;
    return M2C_OK;
}

m2c_status m2c_json_get_u64(uint64_t *out, const json_t *obj, const char *key, m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = m2c_json_member(&v, obj, key, err);
    return st ? st : m2c_json_quantity_u64(out, v, key, err);
}

m2c_status m2c_json_get_u64_opt(uint64_t *out, int *present, const json_t *obj, const char *key,
                                m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = member_opt(&v, obj, err, key);
    if (st) return st;
    *present = v != NULL;
    if (!v) {
        *out = 0;
        return M2C_OK;
    }
    return m2c_json_quantity_u64(out, v, key, err);
}

m2c_status m2c_json_get_u256(m2c_u256 *out, const json_t *obj, const char *key, m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = m2c_json_member(&v, obj, key, err);
    return st ? st : m2c_json_quantity_u256(out, v, key, err);
}

m2c_status m2c_json_get_u256_opt(m2c_u256 *out, int *present, const json_t *obj, const char *key,
                                 m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = member_opt(&v, obj, err, key);
    if (st) return st;
    *present = v != NULL;
    if (!v) {
        memset(out, 0, sizeof *out);
        return M2C_OK;
    }
    return m2c_json_quantity_u256(out, v, key, err);
}

m2c_status m2c_json_get_hash32(m2c_hash32 *out, const json_t *obj, const char *key, m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = m2c_json_member(&v, obj, key, err);
    return st ? st : m2c_json_hash32(out, v, key, err);
}

m2c_status m2c_json_get_addr20(m2c_addr20 *out, const json_t *obj, const char *key, m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = m2c_json_member(&v, obj, key, err);
    return st ? st : m2c_json_addr20(out, v, key, err);
}

m2c_status m2c_json_get_addr20_opt(m2c_addr20 *out, int *present, const json_t *obj,
                                   const char *key, m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = member_opt(&v, obj, err, key);
    if (st) return st;
    *present = v != NULL;
    if (!v) {
        memset(out, 0, sizeof *out);
        return M2C_OK;
    }
    return m2c_json_addr20(out, v, key, err);
}

m2c_status m2c_json_get_data(uint8_t **out, size_t *out_len, const json_t *obj, const char *key,
                             size_t max, m2c_arena *arena, m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = m2c_json_member(&v, obj, key, err);
    return st ? st : m2c_json_data(out, out_len, v, max, arena, key, err);
}

m2c_status m2c_json_get_bool(int *out, const json_t *obj, const char *key, m2c_err *err) {
    const json_t *v = NULL;
    m2c_status st = m2c_json_member(&v, obj, key, err);
    return st ? st : m2c_json_bool(out, v, key, err);
}
