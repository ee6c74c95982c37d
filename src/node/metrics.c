/* metrics.c: labelled metrics registry and the Prometheus / health endpoint. */
#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/dynlib.h"

/* libmicrohttpd is loaded when the metrics endpoint is first served (dynlib.h); its functions
 * are called as MHD(name)(...). */
#define MHD_FNS(X)                                                                                 \
    X(MHD_add_response_header)                                                                     \
    X(MHD_create_response_from_buffer)                                                             \
    X(MHD_destroy_response)                                                                        \
    X(MHD_queue_response)                                                                          \
    X(MHD_start_daemon)                                                                            \
    X(MHD_stop_daemon)
M2C_DYNLIB(mhd_lib, "libmicrohttpd.so.12", "libmicrohttpd12", MHD_FNS);
#define MHD(f) M2C_DYNFN(mhd_lib, f)

enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

#define MAX_BOUNDS 16

typedef struct {
    char name[64];
    char help[128];
    char labels[256];
    int kind;
    double value;                 /* counter / gauge; histogram sum */
    size_t n_bounds;
    double bounds[MAX_BOUNDS];
    unsigned long long buckets[MAX_BOUNDS + 1]; /* cumulative at render time */
    unsigned long long count;
} entry;

struct m2c_metrics {
    pthread_mutex_t mu;
    entry *v;
    size_t n, cap;
    int healthy;
    char reason[256];
    struct MHD_Daemon *httpd;
};

m2c_status m2c_metrics_create(m2c_metrics **out, m2c_err *err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return m2c_err_set(err, M2C_ERR_NOMEM, "metrics: out of memory");
    pthread_mutex_init(&(*out)->mu, NULL);
    (*out)->healthy = 1;
    return M2C_OK;
}

void m2c_metrics_destroy(m2c_metrics *m) {
    if (!m) return;
    m2c_metrics_stop(m);
    pthread_mutex_destroy(&m->mu);
    free(m->v);
    free(m);
}

/* Finds or adds an entry (mutex held); NULL when full or out of memory. */
static entry *find(m2c_metrics *m, const char *name, const char *help, const char *labels,
                   int kind) {
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->v[i].name, name) && !strcmp(m->v[i].labels, labels)) return &m->v[i];
    if (m->n == 4096) return NULL;
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        entry *nv = realloc(m->v, nc * sizeof *nv);
        if (!nv) return NULL;
        m->v = nv;
        m->cap = nc;
    }
    entry *e = &m->v[m->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->help, sizeof e->help, "%s", help);
    snprintf(e->labels, sizeof e->labels, "%s", labels);
    e->kind = kind;
    return e;
}

void m2c_metrics_inc(m2c_metrics *m, const char *name, const char *help, const char *labels,
                     double delta) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    entry *e = find(m, name, help, labels, KIND_COUNTER);
    if (e) e->value += delta;
    pthread_mutex_unlock(&m->mu);
}

void m2c_metrics_set(m2c_metrics *m, const char *name, const char *help, const char *labels,
                     double value) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    entry *e = find(m, name, help, labels, KIND_GAUGE);
    if (e) e->value = value;
    pthread_mutex_unlock(&m->mu);
}

void m2c_metrics_observe(m2c_metrics *m, const char *name, const char *help, const char *labels,
                         const double *bounds, size_t n_bounds, double v) {
    if (!m) return;
    if (n_bounds > MAX_BOUNDS) n_bounds = MAX_BOUNDS;
    pthread_mutex_lock(&m->mu);
    entry *e = find(m, name, help, labels, KIND_HISTOGRAM);
    if (e) {
        if (e->count == 0) {
            e->n_bounds = n_bounds;
            memcpy(e->bounds, bounds, n_bounds * sizeof *bounds);
        }
        size_t i = 0;
        while (i < e->n_bounds && v > e->bounds[i]) i++;
        e->buckets[i]++;
        e->count++;
        e->value += v;
    }
    pthread_mutex_unlock(&m->mu);
}

void m2c_metrics_escape(char *out, size_t cap, const char *s) {
    size_t o = 0;
    for (; *s && o + 3 < cap; s++) {
        if (*s == '"' || *s == '\\') {
            out[o++] = '\\';
            out[o++] = *s;
        } else if (*s == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *s;
        }
    }
    if (cap) out[o < cap ? o : cap - 1] = 0;
}

static const char *kind_str(int k) {
    return k == KIND_COUNTER ? "counter" : k == KIND_GAUGE ? "gauge" : "histogram";
}

static m2c_status render_entry(m2c_buf *out, const entry *e) {
    const char *sep = e->labels[0] ? "," : "";
    m2c_status st = M2C_OK;
    if (e->kind != KIND_HISTOGRAM) {
        if (e->labels[0]) return m2c_buf_printf(out, "%s{%s} %.17g\n", e->name, e->labels, e->value);
        return m2c_buf_printf(out, "%s %.17g\n", e->name, e->value);
    }
    unsigned long long cum = 0;
    for (size_t i = 0; i <= e->n_bounds && !st; i++) {
        cum += e->buckets[i];
        if (i < e->n_bounds)
            st = m2c_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", e->name, e->labels, sep,
                                e->bounds[i], cum);
        else
            st = m2c_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", e->name, e->labels,
                                sep, cum);
    }
    if (!st)
        st = m2c_buf_printf(out, "%s_sum%s%s%s %.17g\n%s_count%s%s%s %llu\n", e->name,
                            e->labels[0] ? "{" : "", e->labels, e->labels[0] ? "}" : "", e->value,
                            e->name, e->labels[0] ? "{" : "", e->labels, e->labels[0] ? "}" : "",
                            e->count);
    return st;
}

m2c_status m2c_metrics_render(m2c_metrics *m, m2c_buf *out) {
    m2c_status st = M2C_OK;
    pthread_mutex_lock(&m->mu);
    /* Group by name, in order of first appearance (the text format wants families whole). */
    for (size_t i = 0; i < m->n && !st; i++) {
        int first = 1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->v[j].name, m->v[i].name)) first = 0;
        if (!first) continue;
        st = m2c_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m->v[i].name, m->v[i].help,
                            m->v[i].name, kind_str(m->v[i].kind));
        for (size_t j = i; j < m->n && !st; j++)
            if (!strcmp(m->v[j].name, m->v[i].name)) st = render_entry(out, &m->v[j]);
    }
    pthread_mutex_unlock(&m->mu);
    return st;
}

void m2c_metrics_set_health(m2c_metrics *m, int ok, const char *reason) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->healthy = ok;
    snprintf(m->reason, sizeof m->reason, "%s", reason ? reason : "");
    pthread_mutex_unlock(&m->mu);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls) {
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)req_cls;
    m2c_metrics *m = cls;
    m2c_buf b;
    m2c_buf_init(&b, 64 << 20);
    unsigned code = 200;
    const char *ctype = "text/plain; version=0.0.4; charset=utf-8";
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        code = 405;
        if (m2c_buf_append_str(&b, "method not allowed\n")) code = 500;
    } else if (!strcmp(url, "/metrics")) {
        if (m2c_metrics_render(m, &b)) code = 500;
    } else if (!strcmp(url, "/health")) {
        pthread_mutex_lock(&m->mu);
        code = m->healthy ? 200 : 503;
        m2c_status st = m2c_buf_printf(&b, "%s%s%s\n", m->healthy ? "ok" : "unhealthy",
                                       m->reason[0] ? ": " : "", m->reason);
        pthread_mutex_unlock(&m->mu);
        if (st) code = 500;
        ctype = "text/plain; charset=utf-8";
    } else {
        code = 404;
        if (m2c_buf_append_str(&b, "not found (try /metrics or /health)\n")) code = 500;
    }
    struct MHD_Response *r = MHD(MHD_create_response_from_buffer)(
        b.len, b.p ? (void *)b.p : (void *)"", MHD_RESPMEM_MUST_COPY);
    m2c_buf_free(&b);
    if (!r) return MHD_NO;
    MHD(MHD_add_response_header)(r, "Content-Type", ctype);
    enum MHD_Result ret = MHD(MHD_queue_response)(conn, code, r);
    MHD(MHD_destroy_response)(r);
    return ret;
}

m2c_status m2c_metrics_serve(m2c_metrics *m, const char *addr, m2c_err *err) {
    char host[128];
    const char *colon = strrchr(addr, ':');
    if (!colon) return m2c_err_set(err, M2C_ERR_INVALID, "metrics address %s: expected host:port", addr);
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof host) return m2c_err_set(err, M2C_ERR_INVALID, "metrics address: host too long");
    memcpy(host, addr, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return m2c_err_set(err, M2C_ERR_INVALID, "metrics address %s: bad port", addr);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (!hl || !strcmp(host, "0.0.0.0")) sa.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (!strcmp(host, "localhost")) sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return m2c_err_set(err, M2C_ERR_INVALID, "metrics address %s: host must be an IPv4 address", addr);
    m2c_status st = m2c_dynlib_load(&mhd_lib, err);
    if (st != M2C_OK) return m2c_err_prefix(err, "metrics");
    m->httpd = MHD(MHD_start_daemon)(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                     answer, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!m->httpd) return m2c_err_set(err, M2C_ERR_IO, "metrics: cannot listen on %s", addr);
    return M2C_OK;
}

void m2c_metrics_stop(m2c_metrics *m) {
    if (m && m->httpd) {
        MHD(MHD_stop_daemon)(m->httpd);
        m->httpd = NULL;
    }
}
