/* err.c: status names and the error-detail helpers declared in err.h. */
#include "ml2chain/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *m2c_status_str(m2c_status s) {
    switch (s) {
    case M2C_OK: return "ok";
    case M2C_ERR_INVALID: return "invalid input";
    case M2C_ERR_RANGE: return "out of range";
    case M2C_ERR_TRUNCATED: return "truncated input";
    case M2C_ERR_NONCANONICAL: return "non-canonical encoding";
    case M2C_ERR_NOMEM: return "out of memory or size limit";
    case M2C_ERR_IO: return "i/o error";
    case M2C_ERR_HTTP: return "http error";
    case M2C_ERR_TIMEOUT: return "timeout";
    case M2C_ERR_RPC: return "json-rpc error";
    case M2C_ERR_PROTOCOL: return "protocol error";
    case M2C_ERR_CRYPTO: return "crypto error";
    case M2C_ERR_AUTH: return "authentication failed";
    case M2C_ERR_NOTFOUND: return "not found";
    case M2C_ERR_DB: return "database error";
    case M2C_ERR_UNSUPPORTED: return "unsupported";
    case M2C_ERR_STATE: return "invalid state";
    case M2C_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown error";
}

void m2c_err_clear(m2c_err *e) {
    if (!e) return;
    memset(e, 0, sizeof *e);
    e->offset = (size_t)-1;
}

static void set_v(m2c_err *e, m2c_status code, size_t offset, const char *fmt, va_list ap) {
    e->code = code;
    e->offset = offset;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

m2c_status m2c_err_set(m2c_err *e, m2c_status code, const char *fmt, ...) {
    if (!e) return code;
    va_list ap;
    va_start(ap, fmt);
    set_v(e, code, (size_t)-1, fmt, ap);
    va_end(ap);
    return code;
}

m2c_status m2c_err_at(m2c_err *e, m2c_status code, size_t offset, const char *fmt, ...) {
    if (!e) return code;
    va_list ap;
    va_start(ap, fmt);
    set_v(e, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

m2c_status m2c_err_prefix(m2c_err *e, const char *fmt, ...) {
    if (!e) return M2C_OK;
    char old[sizeof e->msg];
    memcpy(old, e->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n < sizeof e->msg ? (size_t)n : sizeof e->msg - 1;
    size_t room = sizeof e->msg - used;
    if (room > 2) {
        memcpy(e->msg + used, ": ", 2);
        size_t olen = strnlen(old, sizeof old - 1);
        size_t take = olen < room - 3 ? olen : room - 3;
        memcpy(e->msg + used + 2, old, take);
        e->msg[used + 2 + take] = 0;
    }
    return e->code;
}

void m2c_wipe(void *p, size_t n) {
    if (!p || !n) return;
    memset(p, 0, n);
    /* The asm barrier tells the compiler the zeroed memory is observed, so the memset stays. */
    __asm__ __volatile__("" : : "r"(p) : "memory");
}
