/* dynlib.c: optional shared libraries loaded on first use; see dynlib.h. */
#include "ml2chain/dynlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* First loads are serialised; the library is loaded once and stays. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static void load(m2c_dynlib *d) {
    void *h = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        d->st = M2C_ERR_UNSUPPORTED;
        snprintf(d->msg, sizeof d->msg, "cannot load %s (install the Debian package %s): %s",
                 d->soname, d->package, dlerror());
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        d->fns[i] = dlsym(h, d->names[i]);
        if (!d->fns[i]) {
            d->st = M2C_ERR_UNSUPPORTED;
            snprintf(d->msg, sizeof d->msg, "%s has no function %s (version too old?)", d->soname,
                     d->names[i]);
            return;
        }
    }
    d->st = M2C_OK;
}

m2c_status m2c_dynlib_load(m2c_dynlib *d, m2c_err *err) {
    pthread_mutex_lock(&g_mu);
    if (!d->tried) {
        load(d);
        d->tried = 1;
    }
    pthread_mutex_unlock(&g_mu);
    if (d->st != M2C_OK) return m2c_err_set(err, d->st, "%s", d->msg);
    return M2C_OK;
}
