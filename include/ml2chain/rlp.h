/* rlp.h: Recursive Length Prefix encoding (Ethereum yellow paper, appendix B).
 * The encoder appends to a growable buffer (m2c_buf); the decoder is a zero-copy cursor over
 * caller-owned bytes that rejects every non-canonical form (leading zeros in lengths, long
 * form for short payloads, single bytes < 0x80 wrapped as strings) and every length that
 * runs past its parent. Thread-safe per object. */
#ifndef ML2CHAIN_RLP_H
#define ML2CHAIN_RLP_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/types.h"

/* Encoding. Lists are written by begin/end pairs: begin reserves room, end patches the
 * length prefix. Nesting depth is capped at M2C_RLP_MAX_DEPTH. */
#define M2C_RLP_MAX_DEPTH 32

typedef struct {
    m2c_buf *out;
    size_t starts[M2C_RLP_MAX_DEPTH];
    int depth;
} m2c_rlp_enc;

void m2c_rlp_enc_init(m2c_rlp_enc *e, m2c_buf *out);
M2C_WUR m2c_status m2c_rlp_put_bytes(m2c_rlp_enc *e, const uint8_t *p, size_t n);
/* Integers are big-endian with no leading zeros; zero encodes as the empty string 0x80. */
M2C_WUR m2c_status m2c_rlp_put_u64(m2c_rlp_enc *e, uint64_t v);
M2C_WUR m2c_status m2c_rlp_put_u256(m2c_rlp_enc *e, const m2c_u256 *v);
/* Appends `n` bytes that are already a complete RLP item (no prefix is added). */
M2C_WUR m2c_status m2c_rlp_put_raw(m2c_rlp_enc *e, const uint8_t *p, size_t n);
M2C_WUR m2c_status m2c_rlp_list_begin(m2c_rlp_enc *e);
M2C_WUR m2c_status m2c_rlp_list_end(m2c_rlp_enc *e);

/* Decoding. An item is a view into the input: `payload` points inside it. */
typedef struct {
    int is_list;
    const uint8_t *payload; /* the string bytes, or the list's concatenated items */
    size_t len;             /* payload length */
    size_t header_len;      /* prefix length; the item spans header_len + len bytes */
    size_t offset;          /* offset of the item's first byte in the top-level input */
} m2c_rlp_item;

/* Decodes the single item that must span exactly `n` bytes at `p` (trailing bytes are an
 * error). */
M2C_WUR m2c_status m2c_rlp_decode(m2c_rlp_item *out, const uint8_t *p, size_t n, m2c_err *err);

/* Iterates the items of a list: start with *pos = 0, call until it returns M2C_ERR_NOTFOUND
 * (end of list, not an error). Each child is fully bounds-checked against the list. */
M2C_WUR m2c_status m2c_rlp_list_next(m2c_rlp_item *child, const m2c_rlp_item *list, size_t *pos,
                                     m2c_err *err);

/* Walks the whole tree under `it` (as returned by m2c_rlp_decode) without recursion and
 * checks every nested item is canonical and in bounds, and that lists nest at most
 * `max_depth` deep (the top-level item is depth 0 and max_depth is clamped to
 * M2C_RLP_MAX_DEPTH). Use before handing untrusted RLP to code that recurses. */
M2C_WUR m2c_status m2c_rlp_validate(const m2c_rlp_item *it, int max_depth, m2c_err *err);

/* Reads a canonical unsigned integer item (no leading zero byte, at most 8 / 32 bytes). */
M2C_WUR m2c_status m2c_rlp_get_u64(uint64_t *out, const m2c_rlp_item *it, m2c_err *err);
M2C_WUR m2c_status m2c_rlp_get_u256(m2c_u256 *out, const m2c_rlp_item *it, m2c_err *err);

#endif
