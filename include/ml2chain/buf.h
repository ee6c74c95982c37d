/* buf.h: a growable byte buffer with a hard size cap (in the spirit of curl's dynbuf).
 * The buffer owns its bytes until m2c_buf_take() hands them to the caller. The contents are
 * always followed by a NUL byte (not counted in len), so text can be read as a C string.
 * Not thread-safe; one owner at a time. */
#ifndef ML2CHAIN_BUF_H
#define ML2CHAIN_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"

typedef struct {
    uint8_t *p;
    size_t len;
    size_t cap;
    size_t max; /* appends that would grow len past max fail with M2C_ERR_NOMEM */
} m2c_buf;

#define M2C_BUF_DEFAULT_MAX ((size_t)1 << 30)

/* Initialises an empty buffer that may grow to `max` bytes (0 means M2C_BUF_DEFAULT_MAX). */
void m2c_buf_init(m2c_buf *b, size_t max);
/* Frees the bytes and leaves an empty buffer with the same cap. NULL is accepted. */
void m2c_buf_free(m2c_buf *b);
/* Empties the buffer, keeping its allocation. */
void m2c_buf_reset(m2c_buf *b);
M2C_WUR m2c_status m2c_buf_reserve(m2c_buf *b, size_t extra);
M2C_WUR m2c_status m2c_buf_append(m2c_buf *b, const void *p, size_t n);
M2C_WUR m2c_status m2c_buf_append_byte(m2c_buf *b, uint8_t c);
M2C_WUR m2c_status m2c_buf_append_str(m2c_buf *b, const char *s);
M2C_WUR m2c_status m2c_buf_printf(m2c_buf *b, const char *fmt, ...) M2C_PRINTF(2, 3);
/* Hands the bytes (NUL-terminated, malloc'd) to the caller and empties the buffer. Returns
 * NULL for an empty buffer that never allocated; *len may be NULL. */
uint8_t *m2c_buf_take(m2c_buf *b, size_t *len);

#endif
