/* json.h: strict access to untrusted JSON (JSON-RPC answers) over jansson.
 * Parsing enforces hard caps (input size, nesting depth); field getters check type and
 * encoding (QUANTITY hex, fixed-length DATA hex, addresses) and report failures with the
 * path of the offending value: "result.logs[3].topics[1]: expected 32-byte hex, got 31 bytes".
 * Getters write their outputs only on success. Values returned as `const json_t *` are
 * borrowed from their parent; json_t trees from m2c_json_parse are owned by the caller
 * (json_decref). Byte strings decoded into an m2c_arena live as long as the arena.
 * Thread-safe: functions touch only their arguments. */
#ifndef ML2CHAIN_JSON_H
#define ML2CHAIN_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ml2chain/arena.h"
#include "ml2chain/err.h"
#include "ml2chain/types.h"

#define M2C_JSON_MAX_DEPTH 64 /* default nesting cap for m2c_json_parse */

/* Parses exactly `len` bytes at `s` as one JSON value (trailing garbage, duplicate object
 * keys and NUL bytes are errors) nested at most `max_depth` levels (0: M2C_JSON_MAX_DEPTH).
 * On failure *out is NULL and err says where: "invalid json at byte 17: ..."; input that
 * stops early is M2C_ERR_TRUNCATED, other malformed input M2C_ERR_PROTOCOL. */
M2C_WUR m2c_status m2c_json_parse(json_t **out, const char *s, size_t len, int max_depth,
                                  m2c_err *err);

/* m2c_json_parse for JSON-RPC responses: as strict, except that the string
 * `error.message` (of the response object, or of each object of a batch array) may contain
 * \u0000 (anvil puts the raw revert bytes of custom errors there). Read it with
 * json_string_length, never as a C string. A NUL anywhere else is still an error: other
 * strings are used as C strings, where a NUL would silently cut them. */
M2C_WUR m2c_status m2c_json_parse_rpc(json_t **out, const char *s, size_t len, int max_depth,
                                      m2c_err *err);

/* Prepends a path component to the message in `e` (which starts with a path): with
 * component "logs[3]" the message "topics[1]: bad" becomes "logs[3].topics[1]: bad", and
 * "[1]: bad" becomes "logs[3][1]: bad". Returns e->code (M2C_OK for NULL). */
m2c_status m2c_json_prefix(m2c_err *e, const char *fmt, ...) M2C_PRINTF(2, 3);

/* Writes a printable, escaped rendering of up to `max` bytes of p[0..n) into out (capacity
 * cap >= 8), quoted, with "..." when cut: non-printable bytes as \xNN, quotes and
 * backslashes escaped. For error messages that quote what a peer sent. */
void m2c_json_snippet(char *out, size_t cap, const void *p, size_t n, size_t max);

/* A short name for the JSON type of v ("object", "string", ..., "missing" for NULL). */
const char *m2c_json_type_name(const json_t *v);

/* Getters on one value. `name` is the value's path for messages ("gasUsed", "[2]").
 * QUANTITY is "0x" + hex digits without leading zeros ("0x0", "0x1a"); DATA is "0x" + an
 * even number of hex digits. */
M2C_WUR m2c_status m2c_json_quantity_u64(uint64_t *out, const json_t *v, const char *name,
                                         m2c_err *err);
M2C_WUR m2c_status m2c_json_quantity_u256(m2c_u256 *out, const json_t *v, const char *name,
                                          m2c_err *err);
M2C_WUR m2c_status m2c_json_hash32(m2c_hash32 *out, const json_t *v, const char *name,
                                   m2c_err *err);
M2C_WUR m2c_status m2c_json_addr20(m2c_addr20 *out, const json_t *v, const char *name,
                                   m2c_err *err);
/* DATA of any length (at most `max` bytes) copied into `arena`; *out is non-NULL on success
 * even for "0x". */
M2C_WUR m2c_status m2c_json_data(uint8_t **out, size_t *out_len, const json_t *v, size_t max,
                                 m2c_arena *arena, const char *name, m2c_err *err);
M2C_WUR m2c_status m2c_json_bool(int *out, const json_t *v, const char *name, m2c_err *err);
/* An array of at most `max` elements; *n is its size. */
M2C_WUR m2c_status m2c_json_array(size_t *n, const json_t *v, size_t max, const char *name,
                                  m2c_err *err);

/* Object members: `key` is required (missing or null is an error naming the key) unless
 * the *_opt form is used, which sets *present = 0 for a missing or null member. */
M2C_WUR m2c_status m2c_json_member(const json_t **out, const json_t *obj, const char *key,
                                   m2c_err *err);
M2C_WUR m2c_status m2c_json_get_u64(uint64_t *out, const json_t *obj, const char *key,
                                    m2c_err *err);
M2C_WUR m2c_status m2c_json_get_u64_opt(uint64_t *out, int *present, const json_t *obj,
                                        const char *key, m2c_err *err);
M2C_WUR m2c_status m2c_json_get_u256(m2c_u256 *out, const json_t *obj, const char *key,
                                     m2c_err *err);
M2C_WUR m2c_status m2c_json_get_u256_opt(m2c_u256 *out, int *present, const json_t *obj,
                                         const char *key, m2c_err *err);
M2C_WUR m2c_status m2c_json_get_hash32(m2c_hash32 *out, const json_t *obj, const char *key,
                                       m2c_err *err);
M2C_WUR m2c_status m2c_json_get_addr20(m2c_addr20 *out, const json_t *obj, const char *key,
                                       m2c_err *err);
M2C_WUR m2c_status m2c_json_get_addr20_opt(m2c_addr20 *out, int *present, const json_t *obj,
                                           const char *key, m2c_err *err);
M2C_WUR m2c_status m2c_json_get_data(uint8_t **out, size_t *out_len, const json_t *obj,
                                     const char *key, size_t max, m2c_arena *arena, m2c_err *err);
M2C_WUR m2c_status m2c_json_get_bool(int *out, const json_t *obj, const char *key, m2c_err *err);

/* Lower-level decoders of the text forms, shared with the streaming log parser: `s` is the
 * string's content (no quotes), `len` its length. Messages name no path (callers add it). */
M2C_WUR m2c_status m2c_json_text_quantity_u64(uint64_t *out, const char *s, size_t len,
                                              m2c_err *err);
M2C_WUR m2c_status m2c_json_text_quantity_u256(m2c_u256 *out, const char *s, size_t len,
                                               m2c_err *err);
/* Exactly n bytes of "0x"-prefixed hex. */
M2C_WUR m2c_status m2c_json_text_fixed(uint8_t *out, size_t n, const char *s, size_t len,
                                       m2c_err *err);

#endif
