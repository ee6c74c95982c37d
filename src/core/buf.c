/* buf.c: growable byte buffer with a hard cap; see buf.h. */
#include "ml2chain/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void m2c_buf_init(m2c_buf *b, size_t max) {
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : M2C_BUF_DEFAULT_MAX;
}

void m2c_buf_free(m2c_buf *b) {
    if (!b) return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void m2c_buf_reset(m2c_buf *b) {
    b->len = 0;
    if (b->p) b->p[0] = 0;
}

m2c_status m2c_buf_reserve(m2c_buf *b, size_t extra) {
    if (extra > b->max - b->len) return M2C_ERR_NOMEM;
    size_t need = b->len + extra + 1; /* +1 for the trailing NUL */
    if (need <= b->cap) return M2C_OK;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    uint8_t *np = realloc(b->p, ncap);
    if (!np) return M2C_ERR_NOMEM;
    b->p = np;
    b->cap = ncap;
    return M2C_OK;
}

m2c_status m2c_buf_append(m2c_buf *b, const void *p, size_t n) {
    m2c_status st = m2c_buf_reserve(b, n);
    if (st != M2C_OK) return st;
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
    return M2C_OK;
}

m2c_status m2c_buf_append_byte(m2c_buf *b, uint8_t c) { return m2c_buf_append(b, &c, 1); }

m2c_status m2c_buf_append_str(m2c_buf *b, const char *s) {
    return m2c_buf_append(b, s, strlen(s));
}

m2c_status m2c_buf_printf(m2c_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return M2C_ERR_INVALID;
    m2c_status st = m2c_buf_reserve(b, (size_t)n);
    if (st != M2C_OK) return st;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return M2C_OK;
}

uint8_t *m2c_buf_take(m2c_buf *b, size_t *len) {
    uint8_t *p = b->p;
    if (len) *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}
