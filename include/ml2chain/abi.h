/* abi.h: the Solidity contract ABI: type grammar, function and event signatures (human-readable
 * and ABI JSON), the binary codec (strict decoder, encoder), event log decoding, and the text
 * forms `cast` takes as arguments and prints as results.
 *
 * Ownership: every tree this module returns (types, signatures, values) is allocated in a
 * caller-owned m2c_arena and lives until m2c_arena_free(); nothing is freed piecemeal. Decoded
 * values may point into the input bytes (byte strings, addresses), so the input must outlive
 * them too. Formatting and encoding append to a caller-owned m2c_buf, which a failing call
 * leaves as it was (no half-written value).
 * Every `m2c_err *err` may be NULL. All functions are pure (no I/O, no globals) and
 * thread-safe on distinct arenas. */
#ifndef ML2CHAIN_ABI_H
#define ML2CHAIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/arena.h"
#include "ml2chain/buf.h"
#include "ml2chain/err.h"
#include "ml2chain/types.h"

/* Hard caps on untrusted type strings and signatures. */
#define M2C_ABI_MAX_DEPTH     32         /* nesting of arrays and tuples */
#define M2C_ABI_MAX_FIELDS    1024       /* components in one tuple */
#define M2C_ABI_MAX_FIXED_LEN 65536      /* k in T[k] */
#define M2C_ABI_MAX_STATIC    (1u << 24) /* static encoded size of one type, bytes */
#define M2C_ABI_MAX_SIG_LEN   65536      /* characters in a signature or type string */

typedef enum {
    M2C_ABI_UINT = 1, /* uintN, bits in `bits` */
    M2C_ABI_INT,      /* intN, bits in `bits` */
    M2C_ABI_ADDRESS,
    M2C_ABI_BOOL,
    M2C_ABI_FBYTES, /* bytesN, N in `size` */
    M2C_ABI_BYTES,
    M2C_ABI_STRING,
    M2C_ABI_ARRAY,  /* T[]  */
    M2C_ABI_FARRAY, /* T[k], k in `size` */
    M2C_ABI_TUPLE,
} m2c_abi_kind;

typedef struct m2c_abi_type m2c_abi_type;

/* One component of a tuple (or one parameter of a function or event). */
typedef struct {
    const m2c_abi_type *type;
    const char *name; /* "" when unnamed; never NULL */
    int indexed;      /* event parameters only */
} m2c_abi_field;

struct m2c_abi_type {
    m2c_abi_kind kind;
    unsigned bits;               /* UINT / INT: 8..256 */
    size_t size;                 /* FBYTES: 1..32; FARRAY: k */
    const m2c_abi_type *elem;    /* ARRAY / FARRAY element */
    const m2c_abi_field *fields; /* TUPLE components */
    size_t n_fields;
    int dynamic;      /* encoded with an offset in its parent's head */
    size_t head_size; /* bytes it takes in its parent's head (32 when dynamic) */
    unsigned depth;   /* 0 for elementary types */
};

typedef enum {
    M2C_ABI_FUNCTION = 1,
    M2C_ABI_EVENT,
    M2C_ABI_ERROR,       /* `error E(...)`, selector like a function */
    M2C_ABI_CONSTRUCTOR, /* ABI JSON only */
} m2c_abi_sig_kind;

/* A function, event or error: name, parameters as tuples, canonical form and hashes. */
typedef struct {
    m2c_abi_sig_kind kind;
    const char *name;
    const m2c_abi_type *inputs;  /* a TUPLE; field.indexed set for event parameters */
    const m2c_abi_type *outputs; /* a TUPLE (empty when none given) */
    int anonymous;               /* events */
    const char *canonical;       /* "transfer(address,uint256)" */
    uint8_t selector[4];         /* first 4 bytes of keccak256(canonical) */
    m2c_hash32 topic0;           /* keccak256(canonical) */
} m2c_abi_sig;

/* ---- type grammar ---- */

/* Parses one type (`uint256`, `(address,bytes)[2][]`, `uint` = uint256; tuple components may
 * carry names) from `len` chars of `s` into *out. Errors give the char offset. */
M2C_WUR m2c_status m2c_abi_type_parse(m2c_arena *a, const m2c_abi_type **out, const char *s,
                                      size_t len, m2c_err *err);
/* Appends the canonical form of `t` (`uint256`, `(bool,string)[]`) to `b`. */
M2C_WUR m2c_status m2c_abi_type_canonical(m2c_buf *b, const m2c_abi_type *t);
/* Builds a tuple type of the given fields (the array is copied). */
M2C_WUR m2c_status m2c_abi_tuple_make(m2c_arena *a, const m2c_abi_type **out,
                                      const m2c_abi_field *fields, size_t n, m2c_err *err);

/* ---- signatures ---- */

/* Parses a human-readable signature:
 *   transfer(address,uint256)
 *   function transfer(address to, uint256 amount) external returns (bool)
 *   balanceOf(address)(uint256)                 (cast's output form)
 *   event Transfer(address indexed from, address indexed to, uint256 value) [anonymous]
 *   Transfer(address indexed,address indexed,uint256)
 *   error Insufficient(uint256 available, uint256 required)
 * `as` says what a bare `name(...)` is (M2C_ABI_FUNCTION or M2C_ABI_EVENT); a leading keyword
 * overrides it. Data locations (memory, calldata, storage) and function modifiers are
 * accepted and dropped. Fills canonical, selector and topic0. */
M2C_WUR m2c_status m2c_abi_sig_parse(m2c_arena *a, m2c_abi_sig *out, const char *s,
                                     m2c_abi_sig_kind as, m2c_err *err);

/* Loads the functions, events and errors of an ABI JSON document (an array, or an object with
 * an "abi" array as Foundry and Hardhat artifacts have) into *out (an arena array of *n
 * entries). Tuples come from `components`; fallback/receive entries are skipped. */
M2C_WUR m2c_status m2c_abi_json_load(m2c_arena *a, m2c_abi_sig **out, size_t *n, const char *json,
                                     size_t len, m2c_err *err);

/* ---- values ---- */

typedef struct m2c_abi_value m2c_abi_value;

/* A decoded or parsed value. Which members are meaningful depends on type->kind:
 *   UINT, INT, BOOL: word (INT as two's complement, sign-extended to 256 bits)
 *   ADDRESS: bytes, len 20;  FBYTES: bytes, len N;  BYTES, STRING: bytes, len (not NUL-ended)
 *   ARRAY, FARRAY, TUPLE: items[0..n)
 * An indexed event parameter of a reference type (string, bytes, array, tuple) has `hashed`
 * set: its topic, the keccak-256 of its encoding, is in `bytes` (len 32) and it has no items. */
struct m2c_abi_value {
    const m2c_abi_type *type; /* what this is; items point at their own (element) types */
    m2c_u256 word;            /* integers and bools */
    const uint8_t *bytes;     /* byte views: into the decoded input, or into the arena */
    size_t len;               /* bytes in `bytes` */
    m2c_abi_value *items;     /* children of arrays and tuples, contiguous */
    size_t n;                 /* number of items */
    int hashed;               /* an indexed event topic standing in for the value */
};

/* Decoder options. */
enum {
    /* Accept what cast accepts: non-zero padding in uintN<256/intN/address/bytesN/bool words
     * (uintN/intN keep the whole word, as cast prints it; a bool is any non-zero word;
     * address and bytesN take their bytes), unpadded or dirty tails of bytes and string.
     * Offsets, lengths and caps stay checked. Such values may not re-encode. */
    M2C_ABI_LENIENT = 1,
};

/* Decodes `len` bytes at `data` as type `t` (a tuple for a parameter list) into *out.
 * Strict by default: every offset and length is bounds-checked against the data, padding and
 * bools must be canonical, and arrays are capped by the bytes that remain so a huge length
 * with little data fails instead of allocating; the arena's cap bounds the rest. Trailing
 * bytes after the encoding are allowed (as Solidity does). Errors give the byte offset. */
M2C_WUR m2c_status m2c_abi_decode(m2c_arena *a, m2c_abi_value *out, const m2c_abi_type *t,
                                  const uint8_t *data, size_t len, unsigned flags, m2c_err *err);

/* Appends the ABI encoding of `v` (whose items must match its type) to `b`. For a tuple this
 * is the standard head/tail layout a parameter list uses. */
M2C_WUR m2c_status m2c_abi_encode(m2c_buf *b, const m2c_abi_value *v, m2c_err *err);

/* Encodes a call: selector || encode(args), args a value of type sig->inputs. */
M2C_WUR m2c_status m2c_abi_encode_call(m2c_buf *b, const m2c_abi_sig *sig,
                                       const m2c_abi_value *args, m2c_err *err);

/* Decodes calldata against `sig`: the first 4 bytes must be its selector (M2C_ERR_NOTFOUND
 * otherwise, M2C_ERR_TRUNCATED when shorter than 4), the rest its parameters (*out is a
 * value of type sig->inputs). Error offsets count from the start of the calldata. */
M2C_WUR m2c_status m2c_abi_decode_call(m2c_arena *a, m2c_abi_value *out, const m2c_abi_sig *sig,
                                       const uint8_t *data, size_t len, unsigned flags,
                                       m2c_err *err);

/* Appends a readable form of revert data to `b`:
 *   Error(string)    -> the reason text as given (raw bytes)
 *   Panic(uint256)   -> "panic 0x11: arithmetic overflow or underflow" (Solidity's codes)
 *   a custom error among errors[0..n) (kind M2C_ABI_ERROR, e.g. from m2c_abi_json_load) ->
 *                       "Name(v1, v2)" with values as m2c_abi_value_format prints them
 *   empty            -> "(no revert data)"
 *   anything else    -> "0x" + hex of the data
 * Malformed Error/Panic/custom payloads fall back to hex. `errors` may be NULL when n == 0. */
M2C_WUR m2c_status m2c_abi_revert_reason(m2c_buf *b, const uint8_t *data, size_t len,
                                         const m2c_abi_sig *errors, size_t n);

/* ---- event logs ---- */

/* Decodes a log against event `ev`: topics[0] must equal ev->topic0 (unless anonymous), the
 * indexed parameters come from the remaining topics in order, the rest from `data`. *out is a
 * tuple value of type ev->inputs, in declared order. Distinct failures:
 *   M2C_ERR_NOTFOUND  topic0 is not this event's (or no topics for a non-anonymous event)
 *   M2C_ERR_PROTOCOL  the topic count does not match the indexed parameters
 *   M2C_ERR_TRUNCATED / M2C_ERR_RANGE / M2C_ERR_NONCANONICAL  from decoding topics or data */
M2C_WUR m2c_status m2c_abi_decode_log(m2c_arena *a, m2c_abi_value *out, const m2c_abi_sig *ev,
                                      const m2c_hash32 *topics, size_t n_topics,
                                      const uint8_t *data, size_t len, unsigned flags,
                                      m2c_err *err);

/* ---- text forms (as cast takes and prints them) ---- */

/* Parses one command-line argument as a value of type `t`:
 *   uintN/intN: decimal or 0x-hex, optional exponent (1e18) and unit (wei, gwei, ether)
 *   address: 0x + 40 hex (mixed case must be a valid EIP-55 checksum);  bool: true | false
 *   bytesN: 0x + 2N hex;  bytes: hex (0x optional);  string: the text as given
 *   arrays: [v, v, ...];  tuples: (v, v, ...); strings inside them are either "quoted" (no
 *   escapes) or bare, ending at , ] or ) with surrounding spaces trimmed.
 * Strings are copied into the arena. Errors give the char offset. */
M2C_WUR m2c_status m2c_abi_value_parse(m2c_arena *a, m2c_abi_value *out, const m2c_abi_type *t,
                                       const char *s, m2c_err *err);

/* Appends `v` as cast prints it: numbers in decimal, those of 5 or more digits followed by
 * cast's hint " [1.234e4]" (4 significant digits, truncated), addresses EIP-55 checksummed,
 * bytes as 0x-hex, strings quoted and escaped as Rust's Debug does (invalid UTF-8 becomes
 * U+FFFD), arrays as [a, b], tuples as (a, b), topic hashes as 0x-hex. */
M2C_WUR m2c_status m2c_abi_value_format(m2c_buf *b, const m2c_abi_value *v);

/* Appends `v` as JSON: integers as decimal strings (exact at any width), addresses
 * checksummed, bytes and topic hashes as "0x..." strings, strings as JSON strings (invalid
 * UTF-8 replaced by U+FFFD), arrays as arrays, tuples as objects when every component has a
 * distinct name, else as arrays. */
M2C_WUR m2c_status m2c_abi_value_json(m2c_buf *b, const m2c_abi_value *v);

/* Appends `v` as one table cell: integers in plain decimal, addresses checksummed, bytes
 * as 0x-hex, bool as true/false, strings as their raw bytes (not quoted; may contain any
 * byte), arrays and tuples as m2c_abi_value_json. */
M2C_WUR m2c_status m2c_abi_value_cell(m2c_buf *b, const m2c_abi_value *v);

#endif
