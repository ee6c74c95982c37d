/* dynlib.h: shared libraries (libcurl, libpq, libmicrohttpd, libxgboost) are loaded on first
 * use with dlopen, not linked: a command that does not need them does not pay their start-up
 * (about 15 ms of every run), and a machine without them runs every other command. A user
 * module lists the functions it calls and calls them through a table filled here. Thread-safe:
 * the first caller loads, the others wait for it; the library stays loaded. */
#ifndef ML2CHAIN_DYNLIB_H
#define ML2CHAIN_DYNLIB_H

#include <stddef.h>

#include "ml2chain/err.h"

typedef struct {
    const char *soname;       /* e.g. "libpq.so.5" */
    const char *package;      /* the Debian package that ships it, for the error message */
    const char *const *names; /* the n functions to resolve */
    void **fns;               /* receives them, in the same order */
    size_t n;
    int tried;     /* a load was attempted (0 until then) */
    m2c_status st; /* set by the first load */
    char msg[256]; /* why it failed */
} m2c_dynlib;

/* Loads d once (later calls return the first result): M2C_OK with d->fns filled, or
 * M2C_ERR_UNSUPPORTED with err naming the library, the package to install and dlerror(). */
M2C_WUR m2c_status m2c_dynlib_load(m2c_dynlib *d, m2c_err *err);

/* In a module: M2C_DYNLIB(lib, soname, package, FNS) defines `static m2c_dynlib lib` for the
 * functions FNS lists (FNS(X) expands X(name) for each); once m2c_dynlib_load(&lib, ...) has
 * succeeded, M2C_DYNFN(lib, name) is that function, with its declared type. */
#define M2C_DYNLIB_I_(f) m2c_dynlib_i_##f,
#define M2C_DYNLIB_S_(f) #f,
#define M2C_DYNLIB(lib, soname, package, FNS)                                                      \
    enum { FNS(M2C_DYNLIB_I_) lib##_n };                                                           \
    static const char *const lib##_names[] = {FNS(M2C_DYNLIB_S_)};                                 \
    static void *lib##_fns[lib##_n];                                                               \
    static m2c_dynlib lib = {soname, package, lib##_names, lib##_fns, lib##_n, 0, M2C_OK, ""}
#define M2C_DYNFN(lib, f) ((__typeof__(f) *)lib##_fns[m2c_dynlib_i_##f])

#endif
