/* rpc.c: the JSON-RPC transport: one libcurl easy handle per client (so the connection is
 * kept alive), retries with backoff and full jitter, rate cap, response envelopes and
 * batches. Typed eth_* helpers are in rpc_eth.c; see rpc.h for the contract. */
#include "ml2chain/rpc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml2chain/dynlib.h"
#include "ml2chain/json.h"

/* libcurl is loaded when the first client is created (dynlib.h): commands that make no
 * request (keccak, abi, ...) start without it. Its functions are called as CU(name)(...). */
#define CU_FNS(X)                                                                                  \
    X(curl_easy_cleanup)                                                                           \
    X(curl_easy_getinfo)                                                                           \
    X(curl_easy_init)                                                                              \
    X(curl_easy_perform)                                                                           \
    X(curl_easy_setopt)                                                                            \
    X(curl_easy_strerror)                                                                          \
    X(curl_getdate)                                                                                \
    X(curl_global_init)                                                                            \
    X(curl_slist_append)                                                                           \
    X(curl_slist_free_all)
M2C_DYNLIB(curl_lib, "libcurl.so.4", "libcurl4", CU_FNS);
#define CU(f) M2C_DYNFN(curl_lib, f)

#define RPC_MAX_DEPTH 256 /* nesting allowed in generic results (call traces nest deeply) */
#define SNIPPET_BYTES 120 /* bytes of a bad answer quoted in messages */

struct m2c_rpc {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    char redacted[256];
    m2c_rpc_opts o;
    m2c_rpc_stats stats;
    uint64_t next_id;
    uint64_t rng;
    double tokens;          /* rate-limit bucket */
    struct timespec refill; /* last refill time */
    int bucket_started;
    m2c_buf body;        /* response of the current attempt */
    int too_big;         /* write callback hit max_response */
    long retry_after_ms; /* from the last response's Retry-After, -1 if none */
    char errbuf[CURL_ERROR_SIZE];
};

void m2c_rpc_opts_default(m2c_rpc_opts *o) {
    memset(o, 0, sizeof *o);
    o->timeout_ms = 30000;
    o->connect_timeout_ms = 10000;
    o->max_response = (size_t)256 << 20;
    o->max_retries = 5;
    o->backoff_base_ms = 200;
    o->backoff_max_ms = 10000;
    o->retry_budget_ms = 30000;
    o->max_batch = 100;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) {
    curl_init_rc = CU(curl_global_init)(CURL_GLOBAL_DEFAULT);
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t rng_next(m2c_rpc *c) { /* splitmix64 */
    uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cancelled(const m2c_rpc *c) {
    return c->o.cancel && *c->o.cancel;
}

/* Sleeps ms milliseconds in slices so a cancel request is seen quickly. */
static m2c_status sleep_ms(m2c_rpc *c, uint64_t ms, m2c_err *err) {
    uint64_t end = now_ms() + ms;
    for (;;) {
        if (cancelled(c)) return m2c_err_set(err, M2C_ERR_INTERRUPTED, "rpc call interrupted");
        uint64_t t = now_ms();
        if (t >= end) break;
        uint64_t left = end - t;
        if (left > 50) left = 50;
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
        }
    }
    c->stats.waited_ms += ms;
    return M2C_OK;
}

/* ---- URL redaction --------------------------------------------------------------------- */

void m2c_rpc_redact_url(char *out, size_t cap, const char *url) {
    if (!cap) return;
    const char *p = strstr(url, "://");
    size_t o = 0;
    const char *rest = url;
#define PUT(s, n)                                                                                  \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        if (o + n_ >= cap) n_ = cap - 1 - o;                                                       \
        memcpy(out + o, (s), n_);                                                                  \
        o += n_;                                                                                   \
    } while (0)
    if (p) {
        PUT(url, (size_t)(p - url) + 3);
        rest = p + 3;
    }
    size_t auth_len = strcspn(rest, "/?#");
    const char *at = memchr(rest, '@', auth_len);
    if (at) {
        PUT("***@", 4);
        auth_len -= (size_t)(at + 1 - rest);
        rest = at + 1;
    }
    PUT(rest, auth_len);
    rest += auth_len;
    size_t path_len = strcspn(rest, "?#");
    if (path_len > 1 || (path_len == 1 && rest[0] != '/'))
        PUT("/***", 4);
    else if (path_len == 1)
        PUT("/", 1);
    if (rest[path_len] == '?') PUT("?***", 4);
    out[o] = 0;
#undef PUT
}

const char *m2c_rpc_url_redacted(const m2c_rpc *c) {
    return c->redacted;
}

void m2c_rpc_get_stats(const m2c_rpc *c, m2c_rpc_stats *out) {
    *out = c->stats;
}

/* ---- handle ---------------------------------------------------------------------------- */

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud) {
    m2c_rpc *c = ud;
    size_t n = size * nmemb;
    if (c->body.len + n > c->o.max_response) {
        c->too_big = 1;
        return 0;
    }
    if (m2c_buf_append(&c->body, ptr, n) != M2C_OK) return 0;
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud) {
    m2c_rpc *c = ud;
    size_t n = size * nmemb;
    static const char key[] = "retry-after:", clen[] = "content-length:";
    if (n > sizeof clen - 1 && strncasecmp(ptr, clen, sizeof clen - 1) == 0) {
        /* size the body once instead of doubling it (each doubling copies the body so far);
         * only a hint: an oversized or wrong length is still caught by on_write */
        unsigned long long len = strtoull(ptr + sizeof clen - 1, NULL, 10);
        m2c_status st =
            len > 0 && len <= c->o.max_response ? m2c_buf_reserve(&c->body, (size_t)len) : M2C_OK;
        (void)st; /* out of memory shows in on_write, which then fails the transfer */
        return n;
    }
    if (n > sizeof key - 1 && strncasecmp(ptr, key, sizeof key - 1) == 0) {
        char v[64];
        size_t k = n - (sizeof key - 1);
        if (k >= sizeof v) k = sizeof v - 1;
        memcpy(v, ptr + sizeof key - 1, k);
        v[k] = 0;
        char *s = v;
        while (*s == ' ' || *s == '\t')
            s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
            *--e = 0;
        if (*s >= '0' && *s <= '9') {
            char *end;
            unsigned long long secs = strtoull(s, &end, 10);
            if (*end == 0 || *end == '.')
                c->retry_after_ms = secs > 86400 ? 86400000L : (long)secs * 1000;
        } else if (*s) {
            time_t t = CU(curl_getdate)(s, NULL);
            if (t > 0) {
                time_t now = time(NULL);
                c->retry_after_ms = t > now ? (long)(t - now) * 1000 : 0;
            }
        }
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return cancelled(ud) ? 1 : 0;
}

m2c_status m2c_rpc_create(m2c_rpc **out, const char *url, const m2c_rpc_opts *opts, m2c_err *err) {
    m2c_status st = M2C_OK;
    *out = NULL;
    m2c_rpc *c = NULL;
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        char red[256];
        m2c_rpc_redact_url(red, sizeof red, url ? url : "");
        return m2c_err_set(err, M2C_ERR_INVALID, "rpc url %s: expected http:// or https://", red);
    }
    if ((st = m2c_dynlib_load(&curl_lib, err)) != M2C_OK) return st;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return m2c_err_set(err, M2C_ERR_HTTP, "cannot initialise libcurl: %s",
                           CU(curl_easy_strerror)(curl_init_rc));
    c = calloc(1, sizeof *c);
    if (!c) return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    if (opts)
        c->o = *opts;
    else
        m2c_rpc_opts_default(&c->o);
    if (c->o.max_batch == 0) c->o.max_batch = 100;
    if (c->o.max_response == 0) c->o.max_response = (size_t)256 << 20;
    if (c->o.max_retries < 0) c->o.max_retries = 0;
    c->url = strdup(url);
    if (!c->url) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    m2c_rpc_redact_url(c->redacted, sizeof c->redacted, url);
    c->next_id = 1;
    c->rng =
        c->o.seed ? c->o.seed : ((uint64_t)time(NULL) << 20) ^ (uint64_t)(uintptr_t)c ^ now_ms();
    c->retry_after_ms = -1;
    m2c_buf_init(&c->body, c->o.max_response + 1);
    c->curl = CU(curl_easy_init)();
    c->headers = CU(curl_slist_append)(NULL, "Content-Type: application/json");
    if (c->headers) {
        struct curl_slist *h = CU(curl_slist_append)(c->headers, "Accept: application/json");
        if (h) c->headers = h;
        /* libcurl otherwise sends "Expect: 100-continue" for large bodies: a wasted RTT. */
        h = CU(curl_slist_append)(c->headers, "Expect:");
        if (h) c->headers = h;
    }
    if (!c->curl || !c->headers) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "cannot create the http handle");
        goto out;
    }
    CURL *h = c->curl;
    CU(curl_easy_setopt)(h, CURLOPT_URL, c->url);
    CU(curl_easy_setopt)(h, CURLOPT_HTTPHEADER, c->headers);
    CU(curl_easy_setopt)(h, CURLOPT_POST, 1L);
    CU(curl_easy_setopt)(h, CURLOPT_NOSIGNAL, 1L);
    CU(curl_easy_setopt)(h, CURLOPT_TCP_KEEPALIVE, 1L);
    CU(curl_easy_setopt)(h, CURLOPT_TCP_NODELAY, 1L);
    CU(curl_easy_setopt)(h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip/deflate/br if built in */
    CU(curl_easy_setopt)(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
    CU(curl_easy_setopt)(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
    CU(curl_easy_setopt)(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->o.max_response);
    CU(curl_easy_setopt)(h, CURLOPT_WRITEFUNCTION, on_write);
    CU(curl_easy_setopt)(h, CURLOPT_WRITEDATA, c);
    CU(curl_easy_setopt)(h, CURLOPT_HEADERFUNCTION, on_header);
    CU(curl_easy_setopt)(h, CURLOPT_HEADERDATA, c);
    CU(curl_easy_setopt)(h, CURLOPT_ERRORBUFFER, c->errbuf);
    CU(curl_easy_setopt)(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CU(curl_easy_setopt)(h, CURLOPT_USERAGENT, "ml2chain");
    if (c->o.ca_file) CU(curl_easy_setopt)(h, CURLOPT_CAINFO, c->o.ca_file);
    if (c->o.cancel) {
        CU(curl_easy_setopt)(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        CU(curl_easy_setopt)(h, CURLOPT_XFERINFODATA, c);
        CU(curl_easy_setopt)(h, CURLOPT_NOPROGRESS, 0L);
    }
out:
    if (st) {
        m2c_rpc_destroy(c);
        return st;
    }
    *out = c;
    return M2C_OK;
}

void m2c_rpc_destroy(m2c_rpc *c) {
    if (!c) return;
    if (c->curl) CU(curl_easy_cleanup)(c->curl);
    CU(curl_slist_free_all)(c->headers);
    if (c->url) m2c_wipe(c->url, strlen(c->url)); /* it may hold an API key */
    free(c->url);
    m2c_buf_free(&c->body);
    free(c);
}

/* ---- one HTTP exchange with retries ----------------------------------------------------- */

/* Token bucket: capacity max(1, rps) tokens refilled at rps per second. */
static m2c_status rate_wait(m2c_rpc *c, m2c_err *err) {
    double rps = c->o.max_rps;
    if (rps <= 0) return M2C_OK;
    double burst = rps < 1 ? 1 : rps;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!c->bucket_started) {
        c->bucket_started = 1;
        c->tokens = 1; /* start with one token so the first call goes out at once */
        c->refill = now;
    }
    double dt =
        (double)(now.tv_sec - c->refill.tv_sec) + (double)(now.tv_nsec - c->refill.tv_nsec) / 1e9;
    c->refill = now;
    c->tokens += dt * rps;
    if (c->tokens > burst) c->tokens = burst;
    if (c->tokens < 1) {
        uint64_t wait = (uint64_t)((1 - c->tokens) / rps * 1000.0 + 0.999);
        m2c_status st = sleep_ms(c, wait, err);
        if (st) return st;
        clock_gettime(CLOCK_MONOTONIC, &c->refill);
        c->tokens = 1;
    }
    c->tokens -= 1;
    return M2C_OK;
}

static long status_of(m2c_rpc *c) {
    long code = 0;
    CU(curl_easy_getinfo)(c->curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

static const char *content_type_of(m2c_rpc *c) {
    char *ct = NULL;
    CU(curl_easy_getinfo)(c->curl, CURLINFO_CONTENT_TYPE, &ct);
    return ct ? ct : "no content type";
}

/* The error object of a JSON-RPC envelope in `body`, if it is one: sets err to M2C_ERR_RPC. */
static int rpc_error_in(const char *body, size_t len, m2c_err *err);

/* Describes a non-2xx answer: a JSON-RPC error in the body wins (some providers send them
 * with 4xx/5xx), otherwise the status, content type and the start of the body. */
static m2c_status http_failure(m2c_rpc *c, long status, m2c_err *err) {
    if (rpc_error_in((const char *)c->body.p, c->body.len, err)) {
        err->http_status = status;
        return err->code;
    }
    char snip[SNIPPET_BYTES * 4 + 16];
    m2c_json_snippet(snip, sizeof snip, c->body.p, c->body.len, SNIPPET_BYTES);
    m2c_status st =
        m2c_err_set(err, M2C_ERR_HTTP, "%s: http %ld (%s, %zu bytes): %s", c->redacted, status,
                    content_type_of(c), c->body.len, c->body.len ? snip : "empty body");
    if (err) err->http_status = status;
    return st;
}

static int curl_retryable(CURLcode rc) {
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return 1;
    default: return 0;
    }
}

/* POSTs payload; on M2C_OK c->body holds a 2xx answer's body. */
static m2c_status exchange(m2c_rpc *c, const char *payload, size_t len, m2c_err *err) {
    uint64_t waited = 0;
    for (int attempt = 0;; attempt++) {
        m2c_status st = rate_wait(c, err);
        if (st) return st;
        if (cancelled(c)) return m2c_err_set(err, M2C_ERR_INTERRUPTED, "rpc call interrupted");
        m2c_buf_reset(&c->body);
        c->too_big = 0;
        c->retry_after_ms = -1;
        c->errbuf[0] = 0;
        CU(curl_easy_setopt)(c->curl, CURLOPT_POSTFIELDS, payload);
        CU(curl_easy_setopt)(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        c->stats.http_requests++;
        if (attempt) c->stats.retries++;
        CURLcode rc = CU(curl_easy_perform)(c->curl);
        c->stats.bytes_in += c->body.len;

        int retry = 0;
        long status = 0;
        if (rc == CURLE_OK) {
            status = status_of(c);
            if (status >= 200 && status < 300) return M2C_OK;
            retry = status == 429 || (status >= 500 && status != 501 && status != 505);
            st = http_failure(c, status, err);
        } else if (c->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
            return m2c_err_set(err, M2C_ERR_NOMEM, "%s: response larger than the %zu-byte cap",
                               c->redacted, c->o.max_response);
        } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
            return m2c_err_set(err, M2C_ERR_INTERRUPTED, "rpc call interrupted");
        } else {
            retry = curl_retryable(rc);
            const char *detail = c->errbuf[0] ? c->errbuf : CU(curl_easy_strerror)(rc);
            if (rc == CURLE_OPERATION_TIMEDOUT)
                st = m2c_err_set(err, M2C_ERR_TIMEOUT, "%s: no answer within %ld ms (%s)",
                                 c->redacted, c->o.timeout_ms, detail);
            else
                st = m2c_err_set(err, M2C_ERR_HTTP, "%s: %s", c->redacted, detail);
        }
        if (!retry) return st;
        if (attempt >= c->o.max_retries) {
            if (attempt > 0) m2c_err_prefix(err, "gave up after %d attempts", attempt + 1);
            return st;
        }
        /* Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
        uint64_t ceil_ms = (uint64_t)(c->o.backoff_base_ms > 0 ? c->o.backoff_base_ms : 1);
        for (int i = 0; i < attempt && ceil_ms < (uint64_t)c->o.backoff_max_ms; i++)
            ceil_ms *= 2;
        if (ceil_ms > (uint64_t)c->o.backoff_max_ms) ceil_ms = (uint64_t)c->o.backoff_max_ms;
        uint64_t delay = rng_next(c) % (ceil_ms + 1);
        if ((status == 429 || status == 503) && c->retry_after_ms >= 0) {
            if (c->retry_after_ms > c->o.backoff_max_ms) {
                m2c_err_prefix(err, "rate limited, retry-after %ld s exceeds the %ld ms cap",
                               c->retry_after_ms / 1000, c->o.backoff_max_ms);
                return st;
            }
            delay = (uint64_t)c->retry_after_ms;
        }
        if (waited + delay > (uint64_t)c->o.retry_budget_ms) {
            m2c_err_prefix(err, "gave up after %d attempts (retry budget %ld ms spent)",
                           attempt + 1, c->o.retry_budget_ms);
            return st;
        }
        st = sleep_ms(c, delay, err);
        if (st) return st;
        waited += delay;
    }
}

/* ---- envelopes ------------------------------------------------------------------------- */

/* Copies a node-supplied message, replacing control and non-ASCII bytes with '?'. */
static void sanitize(char *out, size_t cap, const char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
    }
    out[o] = 0;
}

/* Sets err from a JSON-RPC "error" member value. */
static m2c_status error_object(const json_t *e, m2c_err *err) {
    if (!json_is_object(e))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "error: expected object, got %s",
                           m2c_json_type_name(e));
    const json_t *code = json_object_get(e, "code"), *msg = json_object_get(e, "message");
    if (!json_is_integer(code))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "error.code: expected integer, got %s",
                           m2c_json_type_name(code));
    char text[320] = "";
    if (json_is_string(msg))
        sanitize(text, sizeof text, json_string_value(msg), json_string_length(msg));
    const json_t *data = json_object_get(e, "data");
    char dtext[160] = "";
    if (json_is_string(data)) {
        char d[128];
        sanitize(d, sizeof d, json_string_value(data), json_string_length(data));
        snprintf(dtext, sizeof dtext, " (data %s%s)", d,
                 json_string_length(data) >= sizeof d ? "..." : "");
    }
    long long cv = json_integer_value(code);
    m2c_status st = m2c_err_set(err, M2C_ERR_RPC, "node error %lld: %s%s", cv,
                                text[0] ? text : "(no message)", dtext);
    if (err) err->rpc_code = (long)cv;
    return st;
}

static int rpc_error_in(const char *body, size_t len, m2c_err *err) {
    if (!body || !len) return 0;
    json_t *v = NULL;
    if (m2c_json_parse_rpc(&v, body, len, 16, NULL) != M2C_OK) return 0;
    const json_t *e = json_is_object(v) ? json_object_get(v, "error") : NULL;
    int found = json_is_object(e) && json_is_integer(json_object_get(e, "code"));
    if (found) (void)error_object(e, err);
    json_decref(v);
    return found;
}

/* Checks one envelope object: an error object, or a result for request `id`. */
static m2c_status envelope(json_t **result, const json_t *v, uint64_t id, m2c_err *err) {
    *result = NULL;
    if (!json_is_object(v))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "expected a json-rpc response object, got %s",
                           m2c_json_type_name(v));
    const json_t *jid = json_object_get(v, "id");
    const json_t *res = json_object_get(v, "result");
    const json_t *e = json_object_get(v, "error");
    if (res && e && !json_is_null(e))
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "response has both result and error");
    int id_matches = json_is_integer(jid) && (uint64_t)json_integer_value(jid) == id &&
                     json_integer_value(jid) >= 0;
    if (e && !json_is_null(e)) {
        /* A node that could not parse the request answers with a null id. */
        if (!id_matches && !json_is_null(jid) && jid)
            return m2c_err_set(err, M2C_ERR_PROTOCOL, "error response for another id");
        return error_object(e, err);
    }
    if (!res) return m2c_err_set(err, M2C_ERR_PROTOCOL, "response has neither result nor error");
    if (!id_matches) {
        char snip[64];
        char *dump = jid ? json_dumps(jid, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        sanitize(snip, sizeof snip, dump ? dump : "missing", dump ? strlen(dump) : 7);
        free(dump);
        return m2c_err_set(err, M2C_ERR_PROTOCOL, "response id %s does not match request id %llu",
                           snip, (unsigned long long)id);
    }
    *result = json_incref((json_t *)res);
    return M2C_OK;
}

/* Parses the body as JSON or explains what it is instead. */
static m2c_status parse_body(json_t **v, const char *body, size_t len, m2c_err *err) {
    if (len == 0) return m2c_err_set(err, M2C_ERR_PROTOCOL, "empty response body");
    m2c_status st = m2c_json_parse_rpc(v, body, len, RPC_MAX_DEPTH, err);
    if (st == M2C_OK) return st;
    char snip[SNIPPET_BYTES * 4 + 16];
    m2c_json_snippet(snip, sizeof snip, body, len, SNIPPET_BYTES);
    char why[200] = "";
    if (err) {
        sanitize(why, sizeof why, err->msg, strnlen(err->msg, sizeof why - 1));
    }
    if (st == M2C_ERR_TRUNCATED)
        return m2c_err_set(err, st, "truncated json-rpc response (%zu bytes): %s", len, snip);
    return m2c_err_set(err, st, "not a json-rpc response (%s): %s", why, snip);
}

m2c_status m2c_rpc_parse_response(json_t **result, const char *body, size_t len, uint64_t id,
                                  m2c_err *err) {
    *result = NULL;
    json_t *v = NULL;
    m2c_status st = parse_body(&v, body, len, err);
    if (st) return st;
    st = envelope(result, v, id, err);
    json_decref(v);
    return st;
}

m2c_status m2c_rpc_parse_batch_response(m2c_rpc_req *reqs, size_t n, uint64_t first_id,
                                        const char *body, size_t len, m2c_err *err) {
    for (size_t i = 0; i < n; i++) {
        reqs[i].result = NULL;
        reqs[i].status = M2C_ERR_PROTOCOL;
        m2c_err_clear(&reqs[i].err);
    }
    json_t *v = NULL;
    m2c_status st = parse_body(&v, body, len, err);
    if (st) goto out;
    if (json_is_object(v)) {
        /* A node that rejects the whole batch answers with one error object. */
        const json_t *e = json_object_get(v, "error");
        if (e && !json_is_null(e))
            st = error_object(e, err);
        else
            st = m2c_err_set(err, M2C_ERR_PROTOCOL,
                             "batch answered with a single object, not an array");
        goto out;
    }
    size_t k;
    st = m2c_json_array(&k, v, M2C_RPC_MAX_BATCH, "batch response", err);
    if (st) goto out;
    for (size_t i = 0; i < k; i++) {
        const json_t *item = json_array_get(v, i);
        const json_t *jid = json_is_object(item) ? json_object_get(item, "id") : NULL;
        if (!json_is_integer(jid)) {
            const json_t *e = json_is_object(item) ? json_object_get(item, "error") : NULL;
            if (e && !json_is_null(e)) {
                st = error_object(e, err);
                m2c_err_prefix(err, "batch item [%zu] without id", i);
                goto out;
            }
            st =
                m2c_err_set(err, M2C_ERR_PROTOCOL, "batch item [%zu]: id: expected integer, got %s",
                            i, m2c_json_type_name(jid));
            goto out;
        }
        json_int_t idv = json_integer_value(jid);
        if (idv < 0 || (uint64_t)idv < first_id || (uint64_t)idv - first_id >= n) {
            st = m2c_err_set(err, M2C_ERR_PROTOCOL, "batch item [%zu]: unexpected id %lld", i,
                             (long long)idv);
            goto out;
        }
        m2c_rpc_req *r = &reqs[(uint64_t)idv - first_id];
        if (r->err.code != M2C_OK || r->result) {
            st = m2c_err_set(err, M2C_ERR_PROTOCOL, "batch item [%zu]: duplicate id %lld", i,
                             (long long)idv);
            goto out;
        }
        r->status = envelope(&r->result, item, (uint64_t)idv, &r->err);
        if (r->status == M2C_OK)
            r->err.code = M2C_OK;
        else if (r->err.code == M2C_OK)
            r->err.code = r->status;
    }
    for (size_t i = 0; i < n; i++)
        if (!reqs[i].result && reqs[i].err.code == M2C_OK)
            reqs[i].status = m2c_err_set(&reqs[i].err, M2C_ERR_PROTOCOL, "no response for id %llu",
                                         (unsigned long long)(first_id + i));
out:
    json_decref(v);
    if (st) {
        m2c_rpc_reqs_release(reqs, n);
        for (size_t i = 0; i < n; i++) {
            reqs[i].status = st;
            if (err) reqs[i].err = *err;
        }
    }
    return st;
}

void m2c_rpc_reqs_release(m2c_rpc_req *reqs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        json_decref(reqs[i].result);
        reqs[i].result = NULL;
    }
}

/* ---- calls ----------------------------------------------------------------------------- */

static int method_ok(const char *m) {
    if (!m || !*m || strlen(m) > 128) return 0;
    for (const char *p = m; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_') return 0;
    return 1;
}

/* Appends one request object to `out`. */
static m2c_status append_request(m2c_buf *out, uint64_t id, const char *method,
                                 const json_t *params, m2c_err *err) {
    if (!method_ok(method)) return m2c_err_set(err, M2C_ERR_INVALID, "bad json-rpc method name");
    if (params && !json_is_array(params) && !json_is_object(params))
        return m2c_err_set(err, M2C_ERR_INVALID, "%s: params must be an array or object", method);
    char *p = params ? json_dumps(params, JSON_COMPACT) : NULL;
    if (params && !p) return m2c_err_set(err, M2C_ERR_NOMEM, "cannot encode params of %s", method);
    m2c_status st =
        m2c_buf_printf(out, "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"%s\",\"params\":%s}",
                       (unsigned long long)id, method, p ? p : "[]");
    free(p);
    if (st) return m2c_err_set(err, st, "request too large");
    return M2C_OK;
}

m2c_status m2c_rpc_call_raw(m2c_rpc *c, m2c_buf *body, uint64_t *id, const char *method,
                            const json_t *params, m2c_err *err) {
    m2c_buf req;
    m2c_buf_init(&req, 0);
    m2c_buf_reset(body);
    *id = c->next_id++;
    c->stats.calls++;
    m2c_status st = append_request(&req, *id, method, params, err);
    if (st) goto out;
    st = exchange(c, (const char *)req.p, req.len, err);
    if (st) {
        m2c_err_prefix(err, "%s", method);
        goto out;
    }
    /* Hand the body over without copying it (it can be hundreds of megabytes). */
    m2c_buf tmp = *body;
    *body = c->body;
    c->body = tmp;
    body->max = c->o.max_response + 1;
    c->body.max = c->o.max_response + 1;
out:
    m2c_buf_free(&req);
    return st;
}

m2c_status m2c_rpc_call(m2c_rpc *c, json_t **result, const char *method, const json_t *params,
                        m2c_err *err) {
    *result = NULL;
    uint64_t id;
    m2c_status st = m2c_rpc_call_raw(c, &c->body, &id, method, params, err);
    if (st) return st;
    st = m2c_rpc_parse_response(result, (const char *)c->body.p, c->body.len, id, err);
    if (st) m2c_err_prefix(err, "%s", method);
    if (c->body.cap > ((size_t)4 << 20)) m2c_buf_free(&c->body); /* don't pin huge buffers */
    return st;
}

m2c_status m2c_rpc_call_text(m2c_rpc *c, json_t **result, const char *method,
                             const char *params_json, m2c_err *err) {
    *result = NULL;
    json_t *p = NULL;
    if (params_json) {
        m2c_status st = m2c_json_parse(&p, params_json, strlen(params_json), RPC_MAX_DEPTH, err);
        if (st) return m2c_err_prefix(err, "params");
        if (!json_is_array(p)) {
            json_decref(p);
            return m2c_err_set(err, M2C_ERR_INVALID, "params: expected a json array");
        }
    }
    m2c_status st = m2c_rpc_call(c, result, method, p, err);
    json_decref(p);
    return st;
}

m2c_status m2c_rpc_batch(m2c_rpc *c, m2c_rpc_req *reqs, size_t n, m2c_err *err) {
    m2c_status st = M2C_OK;
    m2c_buf req;
    m2c_buf_init(&req, 0);
    for (size_t i = 0; i < n; i++) {
        reqs[i].result = NULL;
        reqs[i].status = M2C_ERR_STATE;
        m2c_err_clear(&reqs[i].err);
    }
    c->stats.calls++;
    for (size_t start = 0; start < n; start += c->o.max_batch) {
        size_t k = n - start < c->o.max_batch ? n - start : c->o.max_batch;
        uint64_t first = c->next_id;
        c->next_id += k;
        m2c_buf_reset(&req);
        st = m2c_buf_append_byte(&req, '[');
        for (size_t i = 0; i < k && !st; i++) {
            if (i) st = m2c_buf_append_byte(&req, ',');
            if (!st)
                st = append_request(&req, first + i, reqs[start + i].method, reqs[start + i].params,
                                    err);
        }
        if (!st) st = m2c_buf_append_byte(&req, ']');
        if (st) {
            if (err && err->code == M2C_OK) m2c_err_set(err, st, "batch request too large");
            break;
        }
        st = exchange(c, (const char *)req.p, req.len, err);
        if (st) {
            m2c_err_prefix(err, "batch of %zu (%s...)", k, reqs[start].method);
            break;
        }
        st = m2c_rpc_parse_batch_response(reqs + start, k, first, (const char *)c->body.p,
                                          c->body.len, err);
        if (st) {
            m2c_err_prefix(err, "batch of %zu (%s...)", k, reqs[start].method);
            break;
        }
    }
    if (st) {
        for (size_t i = 0; i < n; i++)
            if (reqs[i].status == M2C_ERR_STATE) {
                reqs[i].status = st;
                if (err) reqs[i].err = *err;
            }
    }
    if (c->body.cap > ((size_t)4 << 20)) m2c_buf_free(&c->body);
    m2c_buf_free(&req);
    return st;
}
