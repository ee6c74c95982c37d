/* err.h: the one status enum every ml2chain function returns, and the caller-owned error
 * struct that carries the detail (node message, HTTP status, byte offset, sqlite message).
 * There is no global error state: each fallible call takes an `m2c_err *` (may be NULL when
 * the caller does not want detail). Thread-safe: the functions here touch only their args. */
#ifndef ML2CHAIN_ERR_H
#define ML2CHAIN_ERR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define M2C_WUR __attribute__((warn_unused_result))
#define M2C_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define M2C_WUR
#define M2C_PRINTF(f, a)
#endif

typedef enum {
    M2C_OK = 0,
    M2C_ERR_INVALID,     /* malformed input: bad digit, bad type string, bad field */
    M2C_ERR_RANGE,       /* value does not fit: overflow, out of bounds, too large */
    M2C_ERR_TRUNCATED,   /* input ended before the structure did */
    M2C_ERR_NONCANONICAL,/* well-formed but not the canonical encoding */
    M2C_ERR_NOMEM,       /* allocation failed or a hard size cap was hit */
    M2C_ERR_IO,          /* file or socket I/O */
    M2C_ERR_HTTP,        /* transport failure or non-2xx HTTP status */
    M2C_ERR_TIMEOUT,     /* no answer in time */
    M2C_ERR_RPC,         /* the node answered with a JSON-RPC error object */
    M2C_ERR_PROTOCOL,    /* the peer answered something that is not what the protocol says */
    M2C_ERR_CRYPTO,      /* a signature or key operation failed */
    M2C_ERR_AUTH,        /* wrong password / MAC mismatch */
    M2C_ERR_NOTFOUND,    /* the thing asked for does not exist */
    M2C_ERR_DB,          /* SQLite or PostgreSQL error */
    M2C_ERR_UNSUPPORTED, /* valid, but not something ml2chain implements */
    M2C_ERR_STATE,       /* call not valid in the object's current state */
    M2C_ERR_INTERRUPTED, /* stopped by a signal or a cancel request */
} m2c_status;

/* Detail for the last failure of a call. `msg` is lowercase, says what failed first and
 * where ("abi decode: offset 96 points past end of data (64 bytes)"). `offset` is the byte
 * offset into the input where parsing failed, or (size_t)-1 when it does not apply. */
typedef struct {
    m2c_status code;
    size_t offset;
    long http_status; /* HTTP status when code == M2C_ERR_HTTP, else 0 */
    long rpc_code;    /* JSON-RPC error code when code == M2C_ERR_RPC, else 0 */
    char msg[512];
} m2c_err;

/* Returns a static, lowercase name for `s` ("invalid input", ...); never NULL. */
const char *m2c_status_str(m2c_status s);

/* Resets `e` to "no error". `e` may be NULL. */
void m2c_err_clear(m2c_err *e);

/* Records `code` and a formatted message in `e` (may be NULL) and returns `code`, so a
 * failing path reads `return m2c_err_set(err, M2C_ERR_INVALID, "bad digit at %zu", i);`. */
m2c_status m2c_err_set(m2c_err *e, m2c_status code, const char *fmt, ...) M2C_PRINTF(3, 4);

/* As m2c_err_set, also recording the byte offset where parsing failed. */
m2c_status m2c_err_at(m2c_err *e, m2c_status code, size_t offset, const char *fmt, ...)
    M2C_PRINTF(4, 5);

/* Prepends "prefix: " to the message already in `e` (keeps code and offset); returns e->code
 * (or M2C_OK if e is NULL). Used to add context as an error travels up. */
m2c_status m2c_err_prefix(m2c_err *e, const char *fmt, ...) M2C_PRINTF(2, 3);

/* Overwrites `n` bytes at `p` with zeros in a way the compiler cannot elide (for secrets). */
void m2c_wipe(void *p, size_t n);

#endif
