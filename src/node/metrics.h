/* metrics.h (internal to src/node): a small thread-safe registry of labelled counters,
 * gauges and histograms, rendered in the Prometheus text format, and the /metrics +
 * /health HTTP endpoint (libmicrohttpd). Label values are escaped when rendered. */
#ifndef ML2CHAIN_NODE_METRICS_H
#define ML2CHAIN_NODE_METRICS_H

#include <stddef.h>

#include "ml2chain/buf.h"
#include "ml2chain/err.h"

typedef struct m2c_metrics m2c_metrics;

M2C_WUR m2c_status m2c_metrics_create(m2c_metrics **out, m2c_err *err);
void m2c_metrics_destroy(m2c_metrics *m);

/* `labels` is the rendered label set without braces ('chain="31337",model="1"'), or "". */
void m2c_metrics_inc(m2c_metrics *m, const char *name, const char *help, const char *labels,
                     double delta);
void m2c_metrics_set(m2c_metrics *m, const char *name, const char *help, const char *labels,
                     double value);
/* Observes `v` into a histogram with the given upper bounds (ascending; +Inf is added). */
void m2c_metrics_observe(m2c_metrics *m, const char *name, const char *help, const char *labels,
                         const double *bounds, size_t n_bounds, double v);
/* Appends the text exposition. */
M2C_WUR m2c_status m2c_metrics_render(m2c_metrics *m, m2c_buf *out);
/* Sets whether /health answers 200 (1) or 503 (0), with a one-line reason. */
void m2c_metrics_set_health(m2c_metrics *m, int ok, const char *reason);

/* Serves /metrics and /health on "host:port" (host may be empty for all interfaces). */
M2C_WUR m2c_status m2c_metrics_serve(m2c_metrics *m, const char *addr, m2c_err *err);
void m2c_metrics_stop(m2c_metrics *m);

/* Writes s into out (cap) with '"', '\\' and newlines escaped for a label value. */
void m2c_metrics_escape(char *out, size_t cap, const char *s);

#endif
