/* test_rpc.c: the JSON-RPC client against a real HTTP server (libmicrohttpd on 127.0.0.1,
 * a free port) that plays a script of answers: valid responses, node errors, HTML error
 * pages, garbage, truncated JSON, 429 with Retry-After, 5xx storms, stalls, oversized
 * bodies and batches answered out of order. Also the pure parsers on hand-made results. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "ml2chain/json.h"
#include "ml2chain/rpc.h"
#include "test.h"

/* ---- scripted server ------------------------------------------------------------------- */

typedef struct {
    int status;
    const char *ctype;
    const char *body;    /* "%ID%" is replaced by the request's id */
    size_t repeat_bytes; /* when non-zero: a body of this many 'x' bytes */
    int chunked;         /* send without Content-Length */
    int delay_ms;
    const char *retry_after;
} reply;

#define MAX_SCRIPT 16
static struct {
    struct MHD_Daemon *d;
    unsigned short port;
    pthread_mutex_t mu;
    reply script[MAX_SCRIPT];
    int n, next;
    int hits, connections;
    char last_req[8192];
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

typedef struct {
    char buf[65536];
    size_t len;
} upload;

static int server_start(void);
static void server_stop(void) {
    if (srv.d) MHD_stop_daemon(srv.d);
    srv.d = NULL;
}

/* Loads the answers the server gives next (the last one repeats); starts it on first use. */
static void script(const reply *r, int n) {
    if (!srv.d) {
        if (!server_start()) {
            fprintf(stderr, "cannot start the test http server\n");
            exit(1);
        }
        atexit(server_stop);
    }
    pthread_mutex_lock(&srv.mu);
    memcpy(srv.script, r, (size_t)n * sizeof *r);
    srv.n = n;
    srv.next = 0;
    srv.hits = 0;
    srv.connections = 0;
    srv.last_req[0] = 0;
    pthread_mutex_unlock(&srv.mu);
}

static ssize_t fill_x(void *cls, uint64_t pos, char *buf, size_t max) {
    size_t total = (size_t)(uintptr_t)cls;
    if (pos >= total) return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = total - pos < max ? total - pos : max;
    memset(buf, 'x', n);
    return (ssize_t)n;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_size, void **con_cls) {
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    upload *u = *con_cls;
    if (!u) {
        u = calloc(1, sizeof *u);
        *con_cls = u;
        return MHD_YES;
    }
    if (*data_size) {
        size_t n =
            *data_size < sizeof u->buf - 1 - u->len ? *data_size : sizeof u->buf - 1 - u->len;
        memcpy(u->buf + u->len, data, n);
        u->len += n;
        *data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&srv.mu);
    reply r = srv.script[srv.next < srv.n ? srv.next : srv.n - 1];
    srv.next++;
    srv.hits++;
    snprintf(srv.last_req, sizeof srv.last_req, "%.*s", (int)u->len, u->buf);
    pthread_mutex_unlock(&srv.mu);
    if (r.delay_ms) usleep((useconds_t)r.delay_ms * 1000);

    struct MHD_Response *resp;
    if (r.repeat_bytes && r.chunked) {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, fill_x,
                                                 (void *)(uintptr_t)r.repeat_bytes, NULL);
    } else if (r.repeat_bytes) {
        char *b = malloc(r.repeat_bytes);
        memset(b, 'x', r.repeat_bytes);
        resp = MHD_create_response_from_buffer(r.repeat_bytes, b, MHD_RESPMEM_MUST_FREE);
    } else {
        /* Substitute the request id. */
        char id[32] = "null";
        json_t *req = json_loadb(u->buf, u->len, 0, NULL);
        if (json_is_integer(json_object_get(req, "id")))
            snprintf(id, sizeof id, "%lld",
                     (long long)json_integer_value(json_object_get(req, "id")));
        json_decref(req);
        const char *body = r.body ? r.body : "";
        char *out = malloc(strlen(body) + 64);
        const char *p = strstr(body, "%ID%");
        if (p)
            sprintf(out, "%.*s%s%s", (int)(p - body), body, id, p + 4);
        else
            strcpy(out, body);
        resp = MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_FREE);
    }
    if (r.ctype) MHD_add_response_header(resp, "Content-Type", r.ctype);
    if (r.retry_after) MHD_add_response_header(resp, "Retry-After", r.retry_after);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode t) {
    (void)cls;
    (void)c;
    (void)t;
    free(*con_cls);
    *con_cls = NULL;
}

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                    enum MHD_ConnectionNotificationCode code) {
    (void)cls;
    (void)c;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&srv.mu);
        srv.connections++;
        pthread_mutex_unlock(&srv.mu);
    }
}

static int server_start(void) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                             NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                             MHD_OPTION_NOTIFY_CONNECTION, on_conn, NULL,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!srv.d) return 0;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = info ? info->port : 0;
    return srv.port != 0;
}

/* The server's URL into out (per caller: threads build clients at once). */
static const char *server_url(char out[64]) {
    snprintf(out, 64, "http://127.0.0.1:%u/", srv.port);
    return out;
}

/* A client with fast retries so the tests stay short. */
static m2c_rpc *client(int retries, m2c_rpc_opts *tweak) {
    m2c_rpc_opts o;
    if (tweak)
        o = *tweak;
    else
        m2c_rpc_opts_default(&o);
    o.max_retries = retries;
    if (!tweak) {
        o.backoff_base_ms = 2;
        o.backoff_max_ms = 5000;
        o.seed = 42;
    }
    m2c_rpc *c = NULL;
    m2c_err err;
    char url[64];
    if (m2c_rpc_create(&c, server_url(url), &o, &err) != M2C_OK) {
        fprintf(stderr, "create: %s\n", err.msg);
        return NULL;
    }
    return c;
}

static uint64_t ms_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define OKJSON(body)                                                                               \
    { 200, "application/json", body, 0, 0, 0, NULL }

/* ---- transport ------------------------------------------------------------------------- */

TEST(test_rpc_call__returns_result_and_sends_jsonrpc_request) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1a\"}")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    uint64_t n = 0;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_block_number(c, &n, &err), M2C_OK);
    CHECK_EQ_INT(n, 26);
    json_t *req = json_loads(srv.last_req, 0, NULL);
    REQUIRE(req);
    CHECK_EQ_STR(json_string_value(json_object_get(req, "jsonrpc")), "2.0");
    CHECK_EQ_STR(json_string_value(json_object_get(req, "method")), "eth_blockNumber");
    CHECK(json_is_array(json_object_get(req, "params")));
    CHECK(json_is_integer(json_object_get(req, "id")));
    json_decref(req);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__reuses_one_connection) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1\"}")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_err err;
    for (int i = 0; i < 5; i++) {
        uint64_t v;
        CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_OK);
        CHECK_EQ_INT(v, 1);
    }
    CHECK_EQ_INT(srv.hits, 5);
    CHECK_EQ_INT(srv.connections, 1);
    m2c_rpc_destroy(c);
}

/* Several threads, one handle each, calling at once: every call answered, none lost. */
static void *hammer(void *arg) {
    int *fails = arg;
    m2c_rpc *c = client(0, NULL);
    if (!c) {
        *fails = 1000;
        return NULL;
    }
    for (int i = 0; i < 25; i++) {
        uint64_t v = 0;
        m2c_err err;
        if (m2c_rpc_chain_id(c, &v, &err) != M2C_OK || v != 1) (*fails)++;
    }
    m2c_rpc_destroy(c);
    return NULL;
}

TEST(test_rpc_handles__one_per_thread_work_concurrently) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1\"}")};
    script(r, 1);
    pthread_t th[4];
    int fails[4] = {0};
    for (int i = 0; i < 4; i++)
        REQUIRE(pthread_create(&th[i], NULL, hammer, &fails[i]) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(fails[i], 0);
    CHECK_EQ_INT(srv.hits, 100);
    CHECK_EQ_INT(srv.connections, 4); /* each handle kept its own connection alive */
}

TEST(test_rpc_call__node_error_is_rpc_status_with_code_and_message) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"error\":{\"code\":-32601,"
                        "\"message\":\"the method eth_foo does not exist\"}}")};
    script(r, 1);
    m2c_rpc *c = client(3, NULL);
    REQUIRE(c);
    json_t *res = NULL;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_call(c, &res, "eth_foo", NULL, &err), M2C_ERR_RPC);
    CHECK(res == NULL);
    CHECK_EQ_INT(err.rpc_code, -32601);
    CHECK(strstr(err.msg, "eth_foo does not exist") != NULL);
    CHECK(strstr(err.msg, "-32601") != NULL);
    CHECK_EQ_INT(srv.hits, 1); /* node errors are answers, not retried */
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__html_502_is_http_error_naming_status_type_and_body) {
    reply r[] = {{502, "text/html", "<html><head><title>502 Bad Gateway</title></head></html>", 0,
                  0, 0, NULL}};
    script(r, 1);
    m2c_rpc *c = client(2, NULL);
    REQUIRE(c);
    json_t *res = NULL;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_call(c, &res, "eth_chainId", NULL, &err), M2C_ERR_HTTP);
    CHECK_EQ_INT(err.http_status, 502);
    CHECK(strstr(err.msg, "http 502") != NULL);
    CHECK(strstr(err.msg, "text/html") != NULL);
    CHECK(strstr(err.msg, "502 Bad Gateway") != NULL);
    CHECK(strstr(err.msg, "gave up after 3 attempts") != NULL);
    CHECK_EQ_INT(srv.hits, 3);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__garbage_is_protocol_error_with_escaped_bytes) {
    reply r[] = {OKJSON("\x01garbage\"\n\xff")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    json_t *res = NULL;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_call(c, &res, "eth_chainId", NULL, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "not a json-rpc response") != NULL);
    CHECK(strstr(err.msg, "\"\\x01garbage\\\"\\n\\xff\"") != NULL);
    for (const char *p = err.msg; *p; p++)
        CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__truncated_json_is_truncated) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":{\"number\":\"0x1\",\"ha")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    json_t *res = NULL;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_call(c, &res, "eth_getBlockByNumber", NULL, &err), M2C_ERR_TRUNCATED);
    CHECK(strstr(err.msg, "truncated json-rpc response") != NULL);
    CHECK(strstr(err.msg, "eth_getBlockByNumber") != NULL);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__429_is_retried_after_retry_after) {
    reply r[] = {{429, "application/json", "{\"error\":\"slow down\"}", 0, 0, 0, "1"},
                 OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x5\"}")};
    script(r, 2);
    m2c_rpc *c = client(3, NULL);
    REQUIRE(c);
    uint64_t v = 0, t0 = ms_now();
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_OK);
    uint64_t dt = ms_now() - t0;
    CHECK_EQ_INT(v, 5);
    CHECK_EQ_INT(srv.hits, 2);
    m2c_rpc_stats s;
    m2c_rpc_get_stats(c, &s);
    CHECK_EQ_INT(s.retries, 1);
    CHECK_EQ_INT(s.http_requests, 2);
    CHECK(s.waited_ms >= 1000); /* Retry-After: 1 was honoured, not the 2 ms backoff */
    CHECK(dt >= 1000);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__503_retry_after_http_date_is_honoured) {
    /* An HTTP date two seconds ahead; whole-second dates make the wait 1..2 s. */
    char date[64];
    time_t t = time(NULL) + 2;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    reply r[] = {{503, "text/plain", "maintenance", 0, 0, 0, date},
                 OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x9\"}")};
    script(r, 2);
    m2c_rpc *c = client(2, NULL);
    REQUIRE(c);
    uint64_t v = 0;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_OK);
    CHECK_EQ_INT(v, 9);
    CHECK_EQ_INT(srv.hits, 2);
    m2c_rpc_stats s;
    m2c_rpc_get_stats(c, &s);
    CHECK(s.waited_ms >= 1000 && s.waited_ms <= 2000);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__retry_after_beyond_cap_gives_up_at_once) {
    reply r[] = {{429, "text/plain", "rate limited", 0, 0, 0, "3600"}};
    script(r, 1);
    m2c_rpc *c = client(5, NULL);
    REQUIRE(c);
    uint64_t v;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_HTTP);
    CHECK_EQ_INT(err.http_status, 429);
    CHECK(strstr(err.msg, "retry-after 3600 s") != NULL);
    CHECK_EQ_INT(srv.hits, 1);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__5xx_beyond_retry_budget_fails_with_count) {
    reply r[] = {{500, "text/plain", "internal error", 0, 0, 0, NULL},
                 {503, "text/plain", "unavailable", 0, 0, 0, NULL}};
    script(r, 2);
    m2c_rpc *c = client(4, NULL);
    REQUIRE(c);
    uint64_t v;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_HTTP);
    CHECK_EQ_INT(srv.hits, 5);
    CHECK_EQ_INT(err.http_status, 503);
    CHECK(strstr(err.msg, "gave up after 5 attempts") != NULL);
    m2c_rpc_stats s;
    m2c_rpc_get_stats(c, &s);
    CHECK_EQ_INT(s.retries, 4);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__retry_time_budget_stops_retries) {
    reply r[] = {{500, "text/plain", "boom", 0, 0, 0, NULL}};
    script(r, 1);
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.backoff_base_ms = 400; /* jitter draws from [0, 400 * 2^k] */
    o.retry_budget_ms = 1;
    o.seed = 7;
    m2c_rpc *c = client(50, &o);
    REQUIRE(c);
    uint64_t v;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_HTTP);
    CHECK(srv.hits < 50);
    CHECK(strstr(err.msg, "retry budget") != NULL);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__4xx_is_not_retried_and_jsonrpc_error_body_wins) {
    reply r[] = {{400, "application/json",
                  "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"error\":{\"code\":-32602,\"message\":"
                  "\"invalid params\"}}",
                  0, 0, 0, NULL}};
    script(r, 1);
    m2c_rpc *c = client(5, NULL);
    REQUIRE(c);
    uint64_t v;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_RPC);
    CHECK_EQ_INT(err.rpc_code, -32602);
    CHECK_EQ_INT(err.http_status, 400);
    CHECK(strstr(err.msg, "invalid params") != NULL);
    CHECK_EQ_INT(srv.hits, 1);
    reply r2[] = {{501, "text/html", "<h1>Unsupported method ('POST')</h1>", 0, 0, 0, NULL}};
    script(r2, 1);
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_HTTP);
    CHECK_EQ_INT(srv.hits, 1);
    CHECK(strstr(err.msg, "http 501") != NULL);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__stall_longer_than_timeout_times_out) {
    reply r[] = {{200, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1\"}",
                  0, 0, 1200, NULL}};
    script(r, 1);
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.timeout_ms = 300;
    m2c_rpc *c = client(0, &o);
    REQUIRE(c);
    uint64_t v, t0 = ms_now();
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_TIMEOUT);
    CHECK(ms_now() - t0 < 1100);
    CHECK(strstr(err.msg, "no answer within 300 ms") != NULL);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__response_over_cap_is_rejected) {
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.max_response = 1 << 20;
    for (int chunked = 0; chunked <= 1; chunked++) {
        reply r[] = {{200, "application/json", NULL, (size_t)3 << 20, chunked, 0, NULL}};
        script(r, 1);
        m2c_rpc *c = client(3, &o);
        REQUIRE(c);
        json_t *res = NULL;
        m2c_err err;
        CHECK_EQ_INT(m2c_rpc_call(c, &res, "eth_getLogs", NULL, &err), M2C_ERR_NOMEM);
        CHECK(strstr(err.msg, "larger than the 1048576-byte cap") != NULL);
        CHECK_EQ_INT(srv.hits, 1);
        m2c_rpc_destroy(c);
    }
}

TEST(test_rpc_call__mismatched_id_is_protocol_error) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":\"0x1\"}")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    uint64_t v;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "response id 999 does not match request id 1") != NULL);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_call__unreachable_port_fails_and_url_secrets_are_redacted) {
    /* A port nothing listens on: bind one, close it. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    REQUIRE(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0);
    REQUIRE(getsockname(s, (struct sockaddr *)&sa, &sl) == 0);
    close(s);
    char url[256];
    snprintf(url, sizeof url, "http://alice:hunter2@127.0.0.1:%u/v3/SECRETKEY?apikey=TOPSECRET",
             ntohs(sa.sin_port));
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.max_retries = 1;
    o.backoff_base_ms = 1;
    m2c_rpc *c = NULL;
    m2c_err err;
    REQUIRE(m2c_rpc_create(&c, url, &o, &err) == M2C_OK);
    uint64_t v;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_HTTP);
    CHECK(strstr(err.msg, "hunter2") == NULL);
    CHECK(strstr(err.msg, "alice") == NULL);
    CHECK(strstr(err.msg, "SECRETKEY") == NULL);
    CHECK(strstr(err.msg, "TOPSECRET") == NULL);
    CHECK(strstr(err.msg, "127.0.0.1") != NULL);
    CHECK(strstr(err.msg, "gave up after 2 attempts") != NULL);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_redact_url__hides_userinfo_path_and_query) {
    char out[256];
    m2c_rpc_redact_url(out, sizeof out, "https://u:p@mainnet.infura.io/v3/abc123?x=1");
    CHECK_EQ_STR(out, "https://***@mainnet.infura.io/***?***");
    m2c_rpc_redact_url(out, sizeof out, "http://127.0.0.1:8545");
    CHECK_EQ_STR(out, "http://127.0.0.1:8545");
    m2c_rpc_redact_url(out, sizeof out, "http://127.0.0.1:8545/");
    CHECK_EQ_STR(out, "http://127.0.0.1:8545/");
    m2c_rpc_redact_url(out, sizeof out, "https://eth-mainnet.g.alchemy.com/v2/KEY");
    CHECK_EQ_STR(out, "https://eth-mainnet.g.alchemy.com/***");
    m2c_rpc_redact_url(out, 12, "https://eth-mainnet.g.alchemy.com/v2/KEY");
    CHECK_EQ_INT(strlen(out), 11);
}

TEST(test_rpc_create__rejects_non_http_urls) {
    m2c_rpc *c = NULL;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_create(&c, "ws://localhost:8546", NULL, &err), M2C_ERR_INVALID);
    CHECK(c == NULL);
    CHECK(strstr(err.msg, "expected http:// or https://") != NULL);
    CHECK_EQ_INT(m2c_rpc_create(&c, "file:///etc/passwd", NULL, &err), M2C_ERR_INVALID);
}

TEST(test_rpc_rate_cap__spaces_requests) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1\"}")};
    script(r, 1);
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.max_rps = 20; /* one request per 50 ms after the first */
    m2c_rpc *c = client(0, &o);
    REQUIRE(c);
    uint64_t t0 = ms_now(), v;
    m2c_err err;
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_OK);
    /* 20 tokens of burst would let them all through at once; the bucket holds 20 but
     * starts with 1, so the later ones wait. */
    m2c_rpc_stats s;
    m2c_rpc_get_stats(c, &s);
    CHECK(s.waited_ms >= 200);
    CHECK(ms_now() - t0 >= 200);
    m2c_rpc_destroy(c);
}

static volatile sig_atomic_t stop_flag;

TEST(test_rpc_call__cancel_flag_interrupts_backoff) {
    reply r[] = {{503, "text/plain", "busy", 0, 0, 0, NULL}};
    script(r, 1);
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.cancel = &stop_flag;
    stop_flag = 1;
    m2c_rpc *c = client(5, &o);
    REQUIRE(c);
    uint64_t v;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_INTERRUPTED);
    CHECK(srv.hits <= 1);
    stop_flag = 0;
    m2c_rpc_destroy(c);
}

/* ---- https ------------------------------------------------------------------------------ */

/* A self-signed P-256 certificate for IP 127.0.0.1, as PEM strings (caller frees). */
static int make_cert(char **key_pem, char **cert_pem) {
    int ok = 0;
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    if (!pk || !x || !kb || !cb) goto out;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pk);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
                               0);
    X509_set_issuer_name(x, nm);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
    if (!ext) goto out;
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (!X509_sign(x, pk, EVP_sha256())) goto out;
    if (!PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) || !PEM_write_bio_X509(cb, x))
        goto out;
    char *p;
    long n = BIO_get_mem_data(kb, &p);
    *key_pem = strndup(p, (size_t)n);
    n = BIO_get_mem_data(cb, &p);
    *cert_pem = strndup(p, (size_t)n);
    ok = *key_pem && *cert_pem;
out:
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(pk);
    return ok;
}

TEST(test_rpc_https__verified_with_ca_file_and_refused_without) {
    char *key = NULL, *cert = NULL;
    REQUIRE(make_cert(&key, &cert));
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x2a\"}")};
    script(r, 1); /* starts the plain server too; the https one shares its script */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_TLS, 0, NULL,
        NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_KEY, key,
        MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_END);
    REQUIRE(d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char url[64], ca[] = "/tmp/m2c-test-ca-XXXXXX";
    snprintf(url, sizeof url, "https://127.0.0.1:%u/", info ? info->port : 0);
    int fd = mkstemp(ca);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, cert, strlen(cert)) == (ssize_t)strlen(cert));
    close(fd);

    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.max_retries = 3;
    m2c_rpc *c = NULL;
    m2c_err err;
    uint64_t v = 0;
    /* Unknown CA: refused, not retried, and the message says why. */
    REQUIRE(m2c_rpc_create(&c, url, &o, &err) == M2C_OK);
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_ERR_HTTP);
    CHECK(strstr(err.msg, "certificate") != NULL);
    CHECK_EQ_INT(srv.hits, 0);
    m2c_rpc_destroy(c);
    /* Trusted through ca_file: answered. */
    o.ca_file = ca;
    REQUIRE(m2c_rpc_create(&c, url, &o, &err) == M2C_OK);
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_OK);
    CHECK_EQ_INT(v, 42);
    CHECK_EQ_INT(m2c_rpc_chain_id(c, &v, &err), M2C_OK);
    CHECK_EQ_INT(srv.hits, 2);
    m2c_rpc_destroy(c);
    MHD_stop_daemon(d);
    unlink(ca);
    free(key);
    free(cert);
}

/* ---- batches --------------------------------------------------------------------------- */

static void make_reqs(m2c_rpc_req *q, size_t n) {
    memset(q, 0, n * sizeof *q);
    for (size_t i = 0; i < n; i++)
        q[i].method = "eth_getBalance";
}

TEST(test_rpc_batch__matches_out_of_order_ids_with_item_errors) {
    reply r[] = {OKJSON("[{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"0x3\"},"
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"},"
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32000,\"message\":"
                        "\"header not found\"}}]")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_rpc_req q[3];
    make_reqs(q, 3);
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_batch(c, q, 3, &err), M2C_OK);
    CHECK_EQ_INT(q[0].status, M2C_OK);
    CHECK_EQ_STR(json_string_value(q[0].result), "0x1");
    CHECK_EQ_INT(q[1].status, M2C_ERR_RPC);
    CHECK(q[1].result == NULL);
    CHECK_EQ_INT(q[1].err.rpc_code, -32000);
    CHECK(strstr(q[1].err.msg, "header not found") != NULL);
    CHECK_EQ_INT(q[2].status, M2C_OK);
    CHECK_EQ_STR(json_string_value(q[2].result), "0x3");
    json_t *sent = json_loads(srv.last_req, 0, NULL);
    CHECK(json_is_array(sent) && json_array_size(sent) == 3);
    json_decref(sent);
    m2c_rpc_reqs_release(q, 3);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_batch__missing_id_fails_only_that_item) {
    reply r[] = {OKJSON("[{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"0x3\"},"
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}]")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_rpc_req q[3];
    make_reqs(q, 3);
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_batch(c, q, 3, &err), M2C_OK);
    CHECK_EQ_INT(q[0].status, M2C_OK);
    CHECK_EQ_INT(q[1].status, M2C_ERR_PROTOCOL);
    CHECK(strstr(q[1].err.msg, "no response for id 2") != NULL);
    CHECK_EQ_INT(q[2].status, M2C_OK);
    m2c_rpc_reqs_release(q, 3);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_batch__duplicate_unknown_ids_and_single_error_fail_whole_batch) {
    const char *bodies[] = {
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"},{\"jsonrpc\":\"2.0\",\"id\":1,"
        "\"result\":\"0x1\"}]",
        "[{\"jsonrpc\":\"2.0\",\"id\":77,\"result\":\"0x1\"}]",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32005,\"message\":\"batch too "
        "large\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}",
        "[1,2]",
    };
    const char *want[] = {"duplicate id 1", "unexpected id 77", "batch too large", "single object",
                          "id: expected integer, got integer"};
    m2c_status codes[] = {M2C_ERR_PROTOCOL, M2C_ERR_PROTOCOL, M2C_ERR_RPC, M2C_ERR_PROTOCOL,
                          M2C_ERR_PROTOCOL};
    for (size_t k = 0; k < 5; k++) {
        reply r[] = {OKJSON(bodies[k])};
        script(r, 1);
        m2c_rpc *c = client(0, NULL);
        REQUIRE(c);
        m2c_rpc_req q[2];
        make_reqs(q, 2);
        m2c_err err;
        m2c_status st = m2c_rpc_batch(c, q, 2, &err);
        CHECK_EQ_INT(st, codes[k]);
        if (k < 4) CHECK(strstr(err.msg, want[k]) != NULL);
        if (k < 4 && !strstr(err.msg, want[k])) fprintf(stderr, "  got: %s\n", err.msg);
        CHECK_EQ_INT(q[0].status, codes[k]);
        CHECK(q[0].result == NULL && q[1].result == NULL);
        m2c_rpc_destroy(c);
    }
}

TEST(test_rpc_batch__splits_into_max_batch_requests) {
    /* Each HTTP batch of 2 gets answered for ids of that batch via %ID% not usable for
     * arrays; answer with ids 1,2 then 3,4 then 5. */
    reply r[] = {OKJSON("[{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":\"0x2\"},{\"jsonrpc\":\"2.0\","
                        "\"id\":1,\"result\":\"0x1\"}]"),
                 OKJSON("[{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"0x3\"},{\"jsonrpc\":\"2.0\","
                        "\"id\":4,\"result\":\"0x4\"}]"),
                 OKJSON("[{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":\"0x5\"}]")};
    script(r, 3);
    m2c_rpc_opts o;
    m2c_rpc_opts_default(&o);
    o.max_batch = 2;
    m2c_rpc *c = client(0, &o);
    REQUIRE(c);
    m2c_rpc_req q[5];
    make_reqs(q, 5);
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_batch(c, q, 5, &err), M2C_OK);
    CHECK_EQ_INT(srv.hits, 3);
    for (int i = 0; i < 5; i++) {
        char want[24];
        snprintf(want, sizeof want, "0x%d", i + 1);
        CHECK_EQ_INT(q[i].status, M2C_OK);
        CHECK_EQ_STR(json_string_value(q[i].result), want);
    }
    m2c_rpc_reqs_release(q, 5);
    m2c_rpc_destroy(c);
}

/* ---- typed calls and parsers ----------------------------------------------------------- */

#define H32(c)                                                                                     \
    "0x" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
        c c c c c c c c c c c c c c c c c c c
#define A20(c) "0x" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static const char *LOG_A =
    "{\"address\":"
    "\"" A20("a") "\",\"topics\":[\"" H32("1") "\",\"" H32(
        "2") "\"],"
             "\"data\":\"0x0102ff\",\"blockNumber\":\"0x10\",\"blockHash\":\"" H32(
                 "b") "\","
                      "\"transactionHash\":\"" H32(
                          "c") "\",\"transactionIndex\":\"0x2\",\"logIndex\":\"0x7\","
                               "\"removed\":false}";

TEST(test_rpc_get_logs__parses_logs_and_sends_filter) {
    char body[4096];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%%ID%%,\"result\":[%s,%s]}", LOG_A,
             LOG_A);
    reply r[] = {OKJSON(body)};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_addr20 addrs[2];
    memset(addrs[0].b, 0xaa, 20);
    memset(addrs[1].b, 0xbb, 20);
    m2c_hash32 t0[2], t2[1];
    memset(t0[0].b, 0x11, 32);
    memset(t0[1].b, 0x22, 32);
    memset(t2[0].b, 0x33, 32);
    m2c_rpc_filter f = {0};
    f.addresses = addrs;
    f.n_addresses = 2;
    f.topics[0] = t0;
    f.n_topic_or[0] = 2;
    f.topics[2] = t2;
    f.n_topic_or[2] = 1;
    f.n_topics = 3;
    f.from = m2c_blockref_num(16);
    f.to = m2c_blockref_latest();
    m2c_rpc_logs logs;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_get_logs(c, &logs, &f, &err), M2C_OK);
    REQUIRE(logs.n == 2);
    CHECK_EQ_INT(logs.v[1].block_number, 16);
    CHECK_EQ_INT(logs.v[1].log_index, 7);
    CHECK_EQ_INT(logs.v[1].transaction_index, 2);
    CHECK_EQ_INT(logs.v[1].n_topics, 2);
    CHECK_EQ_INT(logs.v[1].topics[1].b[31], 0x22);
    CHECK_EQ_INT(logs.v[1].address.b[0], 0xaa);
    CHECK_EQ_INT(logs.v[1].data_len, 3);
    CHECK_EQ_INT(logs.v[1].data[2], 0xff);
    m2c_rpc_logs_free(&logs);
    /* The filter on the wire. */
    json_t *req = json_loads(srv.last_req, 0, NULL);
    json_t *fo = json_array_get(json_object_get(req, "params"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(fo, "fromBlock")), "0x10");
    CHECK_EQ_STR(json_string_value(json_object_get(fo, "toBlock")), "latest");
    CHECK_EQ_INT(json_array_size(json_object_get(fo, "address")), 2);
    json_t *tp = json_object_get(fo, "topics");
    CHECK_EQ_INT(json_array_size(tp), 3);
    CHECK(json_is_array(json_array_get(tp, 0)) && json_array_size(json_array_get(tp, 0)) == 2);
    CHECK(json_is_null(json_array_get(tp, 1)));
    CHECK_EQ_STR(json_string_value(json_array_get(tp, 2)), H32("3"));
    json_decref(req);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_filter_json__block_hash_replaces_range) {
    m2c_hash32 bh;
    memset(bh.b, 0xcc, 32);
    m2c_rpc_filter f = {0};
    f.block_hash = &bh;
    f.from = m2c_blockref_num(5);
    f.to = m2c_blockref_num(6);
    json_t *o = NULL;
    m2c_err err;
    REQUIRE(m2c_rpc_filter_json(&o, &f, &err) == M2C_OK);
    CHECK_EQ_STR(json_string_value(json_object_get(o, "blockHash")), H32("c"));
    CHECK(json_object_get(o, "fromBlock") == NULL && json_object_get(o, "toBlock") == NULL);
    CHECK(json_object_get(o, "address") == NULL && json_object_get(o, "topics") == NULL);
    json_decref(o);
    f.block_hash = NULL;
    f.n_topics = 5;
    CHECK_EQ_INT(m2c_rpc_filter_json(&o, &f, &err), M2C_ERR_INVALID);
    CHECK(o == NULL);
}

TEST(test_rpc_client_version__sanitized_and_typed) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"anvil/v1.7\\u001b[31m\"}"),
                 OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":17}")};
    script(r, 2);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    char v[64];
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_client_version(c, v, sizeof v, &err), M2C_OK);
    CHECK_EQ_STR(v, "anvil/v1.7?[31m"); /* the escape byte is not passed to terminals */
    CHECK_EQ_INT(m2c_rpc_client_version(c, v, sizeof v, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "expected string, got integer") != NULL);
    m2c_rpc_destroy(c);
}

/* Parses `result_json` as logs and checks the error message. */
static void expect_logs_error(const char *result_json, m2c_status want, const char *msg) {
    json_t *v = json_loads(result_json, 0, NULL);
    REQUIRE(v);
    m2c_rpc_logs logs;
    m2c_err err;
    m2c_err_clear(&err);
    CHECK_EQ_INT(m2c_rpc_parse_logs(&logs, v, &err), want);
    if (!strstr(err.msg, msg)) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.msg, msg);
        CHECK(0);
    }
    CHECK(logs.v == NULL && logs.n == 0);
    json_decref(v);
}

TEST(test_rpc_parse_logs__names_the_bad_field) {
    char buf[8192];
    const char *short_topic = "0x"
                              "11111111111111111111111111111111111111111111111111111111111111";
    snprintf(buf, sizeof buf,
             "[%s,%s,%s,{\"address\":\"%s\",\"topics\":[\"%s\",\"%s\"],\"data\":\"0x\"}]", LOG_A,
             LOG_A, LOG_A, A20("a"), H32("1"), short_topic);
    expect_logs_error(buf, M2C_ERR_PROTOCOL,
                      "result[3].topics[1]: expected 32-byte hex, got 31 bytes");
    snprintf(buf, sizeof buf, "[{\"address\":\"%s\",\"topics\":[],\"data\":\"0x123\"}]", A20("a"));
    expect_logs_error(buf, M2C_ERR_PROTOCOL, "result[0].data: odd number of hex digits");
    snprintf(buf, sizeof buf,
             "[{\"address\":\"%s\",\"topics\":[],\"data\":\"0x\",\"logIndex\":\"0x1g\"}]",
             A20("a"));
    expect_logs_error(buf, M2C_ERR_PROTOCOL, "result[0].logIndex: bad hex digit");
    snprintf(buf, sizeof buf,
             "[{\"address\":\"%s\",\"topics\":[],\"data\":\"0x\",\"blockNumber\":"
             "\"0x10000000000000000\"}]",
             A20("a"));
    expect_logs_error(buf, M2C_ERR_RANGE,
                      "result[0].blockNumber: quantity does not fit in 64 bits");
    snprintf(
        buf, sizeof buf,
        "[{\"address\":\"%s\",\"topics\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"],\"data\":\"0x\"}]",
        A20("a"), H32("1"), H32("1"), H32("1"), H32("1"), H32("1"));
    expect_logs_error(buf, M2C_ERR_RANGE, "result[0].topics: 5 elements exceeds the cap of 4");
    expect_logs_error("[{\"topics\":[],\"data\":\"0x\"}]", M2C_ERR_PROTOCOL,
                      "result[0].address: missing");
    expect_logs_error("{\"logs\":[]}", M2C_ERR_PROTOCOL, "result.logs: expected array, got object");
    expect_logs_error("[7]", M2C_ERR_PROTOCOL, "result[0]: expected log object, got integer");
    snprintf(buf, sizeof buf,
             "[{\"address\":\"%s\",\"topics\":[],\"data\":\"0x\",\"removed\":\"no\"}]", A20("a"));
    expect_logs_error(buf, M2C_ERR_PROTOCOL, "result[0].removed: expected boolean, got string");
}

TEST(test_rpc_parse_logs_body__matches_tree_parser) {
    char body[4096];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":[%s]}", LOG_A);
    m2c_rpc_logs a;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_parse_logs_body(&a, body, strlen(body), 9, &err), M2C_OK);
    CHECK_EQ_INT(a.n, 1);
    m2c_rpc_logs_free(&a);
    CHECK_EQ_INT(m2c_rpc_parse_logs_body(&a, body, strlen(body), 8, &err), M2C_ERR_PROTOCOL);
    CHECK(a.n == 0 && a.v == NULL);
    CHECK_EQ_INT(m2c_rpc_parse_logs_body(&a, body, strlen(body) - 3, 9, &err), M2C_ERR_TRUNCATED);
    m2c_rpc_logs_free(&a);
}

/* Appends "0x" + n random bytes as hex (upper or lower case) to b. */
static void rand_hex(m2c_buf *b, size_t n, int upper) {
    const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    REQUIRE(m2c_buf_append_str(b, "\"0x") == M2C_OK);
    for (size_t i = 0; i < n; i++) {
        uint8_t v = (uint8_t)m2c_test_rand();
        REQUIRE(m2c_buf_append_byte(b, (uint8_t)d[v >> 4]) == M2C_OK);
        REQUIRE(m2c_buf_append_byte(b, (uint8_t)d[v & 15]) == M2C_OK);
    }
    REQUIRE(m2c_buf_append_byte(b, '"') == M2C_OK);
}

static void rand_ws(m2c_buf *b) {
    static const char w[] = " \n\t\r";
    int k = (int)(m2c_test_rand() % 3);
    for (int i = 0; i < k; i++)
        (void)!m2c_buf_append_byte(b, (uint8_t)w[m2c_test_rand() % 4]);
}

/* One log object with its fields in random order, random spacing, some nulls, and an
 * unknown field now and then. */
static void rand_log(m2c_buf *b) {
    int order[10];
    for (int i = 0; i < 10; i++)
        order[i] = i;
    for (int i = 9; i > 0; i--) {
        int j = (int)(m2c_test_rand() % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    (void)!m2c_buf_append_byte(b, '{');
    int first = 1;
    for (int k = 0; k < 10; k++) {
        int f = order[k];
        if (f == 9 && m2c_test_rand() % 2) continue; /* optional unknown field */
        if (!first) (void)!m2c_buf_append_byte(b, ',');
        first = 0;
        rand_ws(b);
        int upper = (int)(m2c_test_rand() % 4 == 0), null = (int)(m2c_test_rand() % 8 == 0);
        char q[40];
        switch (f) {
        case 0:
            (void)!m2c_buf_append_str(b, "\"address\":");
            rand_hex(b, 20, upper);
            break;
        case 1: {
            (void)!m2c_buf_append_str(b, "\"topics\":[");
            int nt = (int)(m2c_test_rand() % 5);
            for (int t = 0; t < nt; t++) {
                if (t) (void)!m2c_buf_append_byte(b, ',');
                rand_ws(b);
                rand_hex(b, 32, upper);
            }
            (void)!m2c_buf_append_byte(b, ']');
            break;
        }
        case 2:
            (void)!m2c_buf_append_str(b, "\"data\":");
            rand_hex(b, (size_t)(m2c_test_rand() % 200), upper);
            break;
        case 3:
        case 6:
        case 7: {
            const char *name = f == 3 ? "blockNumber" : f == 6 ? "transactionIndex" : "logIndex";
            if (null)
                snprintf(q, sizeof q, "null");
            else
                snprintf(q, sizeof q, "\"0x%llx\"",
                         (unsigned long long)(m2c_test_rand() >> (m2c_test_rand() % 64)));
            (void)!m2c_buf_printf(b, "\"%s\":%s", name, q);
            break;
        }
        case 4:
        case 5:
            (void)!m2c_buf_printf(b, "\"%s\":", f == 4 ? "blockHash" : "transactionHash");
            if (null)
                (void)!m2c_buf_append_str(b, "null");
            else
                rand_hex(b, 32, upper);
            break;
        case 8:
            (void)!m2c_buf_append_str(b, null                  ? "\"removed\":null"
                                         : m2c_test_rand() % 2 ? "\"removed\":true"
                                                               : "\"removed\":false");
            break;
        case 9: /* a quantity (newer nodes), null, or a value of another type (ignored) */
            if (m2c_test_rand() % 2)
                (void)!m2c_buf_printf(b, "\"blockTimestamp\":\"0x%llx\"",
                                      (unsigned long long)(m2c_test_rand() >> 30));
            else
                (void)!m2c_buf_append_str(b, null ? "\"blockTimestamp\":null"
                                                  : "\"blockTimestamp\":{\"a\":[true,null,\"x\"]}");
            break;
        }
        rand_ws(b);
    }
    (void)!m2c_buf_append_byte(b, '}');
}

TEST(test_rpc_parse_logs_fast__agrees_with_tree_on_random_logs) {
    for (long round = 0; round < m2c_test_iters(40); round++) {
        m2c_buf b;
        m2c_buf_init(&b, 0);
        int n = (int)(m2c_test_rand() % 50);
        (void)!m2c_buf_printf(&b, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[");
        for (int i = 0; i < n; i++) {
            if (i) (void)!m2c_buf_append_byte(&b, ',');
            rand_ws(&b);
            rand_log(&b);
        }
        (void)!m2c_buf_append_str(&b, "]}\n");
        m2c_rpc_logs f, t;
        json_t *res = NULL;
        m2c_err err;
        CHECK_EQ_INT(m2c_rpc_parse_logs_fast(&f, (const char *)b.p, b.len, 7), M2C_OK);
        REQUIRE(m2c_rpc_parse_response(&res, (const char *)b.p, b.len, 7, &err) == M2C_OK);
        REQUIRE(m2c_rpc_parse_logs(&t, res, &err) == M2C_OK);
        CHECK_EQ_INT(f.n, (size_t)n);
        REQUIRE(f.n == t.n);
        for (size_t i = 0; i < f.n; i++) {
            const m2c_rpc_log *x = &f.v[i], *y = &t.v[i];
            CHECK_EQ_MEM(x->address.b, y->address.b, 20);
            CHECK_EQ_INT(x->n_topics, y->n_topics);
            CHECK_EQ_MEM(x->topics, y->topics, sizeof x->topics);
            CHECK_EQ_INT(x->data_len, y->data_len);
            if (x->data_len) CHECK_EQ_MEM(x->data, y->data, x->data_len);
            CHECK_EQ_INT(x->block_number, y->block_number);
            CHECK_EQ_MEM(x->block_hash.b, y->block_hash.b, 32);
            CHECK_EQ_MEM(x->transaction_hash.b, y->transaction_hash.b, 32);
            CHECK_EQ_INT(x->transaction_index, y->transaction_index);
            CHECK_EQ_INT(x->log_index, y->log_index);
            CHECK_EQ_INT(x->removed, y->removed);
            CHECK_EQ_INT(x->has_block_timestamp, y->has_block_timestamp);
            CHECK_EQ_INT(x->block_timestamp, y->block_timestamp);
        }
        m2c_rpc_logs_free(&f);
        m2c_rpc_logs_free(&t);
        json_decref(res);
        m2c_buf_free(&b);
    }
}

/* ---- the one-pass parser vs the tree parser on whole bodies (the extractor's hot path) -- */

static const char *XLOG1 =
    "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":["
    "\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\","
    "\"0x0000000000000000000000000000000000000000000000000000000000000001\"],"
    "\"data\":\"0x00000000000000000000000000000000000000000000000000000000000000ff\","
    "\"blockHash\":\"0x2d3238b39638baac2d230b5f43c40a3b5fc2155b12351ff9ea5bfafa016ac336\","
    "\"blockNumber\":\"0x1a\",\"blockTimestamp\":\"0x6543\","
    "\"transactionHash\":\"0x2cf75ca2c8d2b4b451e5526cfa31fe03faa4b7fc0e9d898f0a131b122104927a\","
    "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x3\",\"removed\":false}";

static int same_xlogs(const m2c_rpc_logs *a, const m2c_rpc_logs *b) {
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++) {
        const m2c_rpc_log *x = &a->v[i], *y = &b->v[i];
        if (memcmp(&x->address, &y->address, 20) || x->n_topics != y->n_topics ||
            memcmp(x->topics, y->topics, x->n_topics * 32) || x->data_len != y->data_len ||
            (x->data_len && memcmp(x->data, y->data, x->data_len)) ||
            x->block_number != y->block_number || memcmp(&x->block_hash, &y->block_hash, 32) ||
            memcmp(&x->transaction_hash, &y->transaction_hash, 32) ||
            x->transaction_index != y->transaction_index || x->log_index != y->log_index ||
            x->removed != y->removed || x->has_block_timestamp != y->has_block_timestamp ||
            x->block_timestamp != y->block_timestamp)
            return 0;
    }
    return 1;
}

/* The one-pass parser must agree with the tree parser (m2c_rpc_parse_response +
 * m2c_rpc_parse_logs) whenever it answers, and never accept what the tree parser rejects.
 * Returns 1 if the one-pass parser answered. */
static int fast_agrees(const char *body, size_t len, uint64_t id) {
    m2c_rpc_logs f, g;
    memset(&g, 0, sizeof g);
    m2c_err e;
    json_t *res = NULL;
    m2c_status sf = m2c_rpc_parse_logs_fast(&f, body, len, id);
    m2c_status sg = m2c_rpc_parse_response(&res, body, len, id, &e);
    if (sg == M2C_OK) sg = m2c_rpc_parse_logs(&g, res, &e);
    json_decref(res);
    int answered = sf == M2C_OK;
    if (sf == M2C_OK) {
        if (sg != M2C_OK) {
            fprintf(stderr, "  one-pass accepted what the tree parser rejects (%s): %.*s\n", e.msg,
                    (int)(len > 200 ? 200 : len), body);
            m2c_test_failed_ = 1;
        } else if (!same_xlogs(&f, &g)) {
            fprintf(stderr, "  one-pass and tree parsers disagree on: %.*s\n",
                    (int)(len > 200 ? 200 : len), body);
            m2c_test_failed_ = 1;
        }
    } else {
        CHECK(sf == M2C_ERR_UNSUPPORTED);
        CHECK(f.n == 0 && f.v == NULL);
    }
    m2c_rpc_logs_free(&f);
    m2c_rpc_logs_free(&g);
    return answered;
}

TEST(test_rpc_parse_logs_fast__reads_node_bodies_and_hands_off_the_rest) {
    char body[8192];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[%s,%s]}", XLOG1, XLOG1);
    CHECK(fast_agrees(body, strlen(body), 7));
    m2c_rpc_logs f;
    REQUIRE(m2c_rpc_parse_logs_fast(&f, body, strlen(body), 7) == M2C_OK);
    REQUIRE(f.n == 2);
    CHECK_EQ_INT(f.v[0].block_number, 26);
    CHECK_EQ_INT(f.v[1].log_index, 3);
    CHECK_EQ_INT(f.v[0].n_topics, 2);
    CHECK(f.v[0].has_block_timestamp && f.v[0].block_timestamp == 0x6543);
    CHECK(f.v[0].data_len == 32 && f.v[0].data[31] == 0xff);
    m2c_rpc_logs_free(&f);
    /* whitespace and key order do not matter */
    snprintf(body, sizeof body, " { \"result\" : [ %s ] , \"id\" : 7 , \"jsonrpc\" : \"2.0\" } \n",
             XLOG1);
    CHECK(fast_agrees(body, strlen(body), 7));
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[]}");
    CHECK(fast_agrees(body, strlen(body), 7));
    /* shapes the fast path leaves to the generic parser */
    const char *hand_off[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32005,\"message\":\"query returned "
        "more "
        "than 10000 results\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":[]}",  /* wrong id */
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[]",   /* truncated */
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[]}x", /* trailing garbage */
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":null}",
        "<html>502 Bad Gateway</html>",
        "",
    };
    for (size_t i = 0; i < sizeof hand_off / sizeof hand_off[0]; i++)
        CHECK(!fast_agrees(hand_off[i], strlen(hand_off[i]), 7));
    /* a log without data, an odd-length data, a leading-zero quantity (as the tree parser says) */
    const char *bad_logs[] = {
        "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[]}",
        "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[],\"data\":"
        "\"0x0\","
        "\"blockHash\":\"0x2d3238b39638baac2d230b5f43c40a3b5fc2155b12351ff9ea5bfafa016ac336\","
        "\"blockNumber\":\"0x1\",\"transactionHash\":"
        "\"0x2cf75ca2c8d2b4b451e5526cfa31fe03faa4b7fc0e9d898f0a131b122104927a\","
        "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\"}",
        "{\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[],\"data\":\"0x\","
        "\"blockHash\":\"0x2d3238b39638baac2d230b5f43c40a3b5fc2155b12351ff9ea5bfafa016ac336\","
        "\"blockNumber\":\"0x01\",\"transactionHash\":"
        "\"0x2cf75ca2c8d2b4b451e5526cfa31fe03faa4b7fc0e9d898f0a131b122104927a\","
        "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\"}",
    };
    for (size_t i = 0; i < sizeof bad_logs / sizeof bad_logs[0]; i++) {
        snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[%s]}", bad_logs[i]);
        int answered = fast_agrees(body, strlen(body), 7);
        if (i < 2) CHECK(!answered); /* no data, odd-length data: invalid for both */
    }
}

TEST(test_rpc_parse_logs_fast__never_disagrees_with_tree_on_mutated_bodies) {
    char base[4096], body[4096];
    snprintf(base, sizeof base, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":[%s,%s]}", XLOG1, XLOG1);
    size_t n = strlen(base);
    int answered = 0;
    for (long it = 0; it < m2c_test_iters(3000); it++) {
        memcpy(body, base, n + 1);
        size_t len = n;
        int k = 1 + (int)(m2c_test_rand() % 3);
        for (int j = 0; j < k && len > 0; j++) {
            size_t at = m2c_test_rand() % len;
            switch (m2c_test_rand() % 3) {
            case 0: body[at] = "0x{}[]\",:a9 \\-"[m2c_test_rand() % 15]; break;
            case 1: len = at; break; /* cut */
            default:
                memmove(body + at, body + at + 1, len - at - 1); /* drop a byte */
                len--;
            }
        }
        answered += fast_agrees(body, len, 3);
    }
    CHECK(answered > 0); /* some mutations (in hex digits) stay valid */
}

TEST(test_rpc_parse_logs_body__unusual_forms_fall_back_to_tree_parser) {
    char body[4096];
    m2c_rpc_logs l;
    m2c_err err;
    /* An escaped key is valid JSON the one-pass parser leaves to the tree parser. */
    snprintf(body, sizeof body,
             "{\"id\":1,\"result\":[{\"\\u0061ddress\":\"%s\",\"topics\":[],\"data\":\"0x01\"}]}",
             A20("a"));
    CHECK_EQ_INT(m2c_rpc_parse_logs_fast(&l, body, strlen(body), 1), M2C_ERR_UNSUPPORTED);
    CHECK(l.v == NULL);
    CHECK_EQ_INT(m2c_rpc_parse_logs_body(&l, body, strlen(body), 1, &err), M2C_OK);
    CHECK(l.n == 1 && l.v[0].address.b[0] == 0xaa && l.v[0].data[0] == 1);
    m2c_rpc_logs_free(&l);
    /* Duplicate keys: rejected by both. */
    snprintf(body, sizeof body,
             "{\"id\":1,\"result\":[{\"address\":\"%s\",\"address\":\"%s\",\"topics\":[],\"data\":"
             "\"0x\"}]}",
             A20("a"), A20("b"));
    CHECK_EQ_INT(m2c_rpc_parse_logs_fast(&l, body, strlen(body), 1), M2C_ERR_UNSUPPORTED);
    CHECK_EQ_INT(m2c_rpc_parse_logs_body(&l, body, strlen(body), 1, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "duplicate") != NULL);
    /* A node error comes back as M2C_ERR_RPC. */
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32005,\"message\":\"query "
             "returned more than 10000 results\"}}");
    CHECK_EQ_INT(m2c_rpc_parse_logs_body(&l, body, strlen(body), 1, &err), M2C_ERR_RPC);
    CHECK_EQ_INT(err.rpc_code, -32005);
    CHECK(strstr(err.msg, "more than 10000 results") != NULL);
    /* A 31-byte topic: the tree parser's message. */
    snprintf(body, sizeof body,
             "{\"id\":1,\"result\":[{\"address\":\"%s\",\"topics\":[\"0x%s\"],\"data\":\"0x\"}]}",
             A20("a"), "11111111111111111111111111111111111111111111111111111111111111");
    CHECK_EQ_INT(m2c_rpc_parse_logs_body(&l, body, strlen(body), 1, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "result[0].topics[0]: expected 32-byte hex, got 31 bytes") != NULL);
}

static const char *BLOCK_FULL =
    "{\"number\":\"0x1b4\",\"hash\":\"" H32("a") "\",\"parentHash\":\"" H32(
        "b") "\","
             "\"timestamp\":\"0x6553f100\",\"baseFeePerGas\":\"0x3b9aca00\",\"gasUsed\":\"0x5208\","
             "\"gasLimit\":\"0x1c9c380\",\"miner\":\"" A20(
                 "c") "\",\"transactions\":["
                      "{\"type\":\"0x2\",\"hash\":\"" H32("d") "\",\"from\":\"" A20(
                          "e") "\",\"to\":null,"
                               "\"value\":\"0xde0b6b3a7640000\",\"input\":\"0x6001\",\"nonce\":"
                               "\"0x3\",\"gas\":\"0x5208\","
                               "\"maxFeePerGas\":\"0x77359400\",\"maxPriorityFeePerGas\":"
                               "\"0x3b9aca00\",\"gasPrice\":\"0x3b9aca00\","
                               "\"blockNumber\":\"0x1b4\",\"transactionIndex\":\"0x0\"},"
                               "{\"type\":\"0x0\",\"hash\":\"" H32("f") "\",\"from\":\"" A20(
                                   "e") "\",\"to\":\"" A20("1") "\","
                                                                "\"value\":\"0x0\",\"input\":"
                                                                "\"0x\",\"nonce\":\"0x4\",\"gas\":"
                                                                "\"0x5208\",\"gasPrice\":\"0x1\","
                                                                "\"blockNumber\":\"0x1b4\","
                                                                "\"transactionIndex\":\"0x1\"}]}";

TEST(test_rpc_parse_block__full_transactions) {
    json_t *v = json_loads(BLOCK_FULL, 0, NULL);
    REQUIRE(v);
    m2c_rpc_block b;
    m2c_err err;
    REQUIRE(m2c_rpc_parse_block(&b, v, &err) == M2C_OK);
    CHECK_EQ_INT(b.number, 436);
    CHECK_EQ_INT(b.timestamp, 0x6553f100);
    CHECK(b.has_base_fee);
    CHECK_EQ_INT(b.base_fee_per_gas.w[0], 1000000000);
    CHECK_EQ_INT(b.gas_used, 21000);
    CHECK_EQ_INT(b.gas_limit, 30000000);
    CHECK_EQ_INT(b.miner.b[19], 0xcc);
    CHECK_EQ_INT(b.tx_count, 2);
    REQUIRE(b.txs);
    CHECK_EQ_INT(b.txs[0].type, 2);
    CHECK(!b.txs[0].has_to);
    CHECK_EQ_INT(b.txs[0].value.w[0], 1000000000000000000ULL);
    CHECK_EQ_INT(b.txs[0].input_len, 2);
    CHECK_EQ_INT(b.txs[0].nonce, 3);
    CHECK(b.txs[0].has_1559_fees);
    CHECK_EQ_INT(b.txs[0].max_fee_per_gas.w[0], 2000000000);
    CHECK(b.txs[1].has_to && !b.txs[1].has_1559_fees);
    CHECK_EQ_INT(b.tx_hashes[1].b[0], 0xff);
    m2c_rpc_block_free(&b);
    m2c_rpc_block_free(&b); /* idempotent */
    json_decref(v);
}

TEST(test_rpc_parse_block__errors_name_transaction_field) {
    json_t *v = json_loads(BLOCK_FULL, 0, NULL);
    REQUIRE(v);
    json_t *tx = json_array_get(json_object_get(v, "transactions"), 1);
    json_object_set_new(
        tx, "value",
        json_string("0x1"
                    "0000000000000000000000000000000000000000000000000000000000000000"));
    m2c_rpc_block b;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_parse_block(&b, v, &err), M2C_ERR_RANGE);
    CHECK(strstr(err.msg, "result.transactions[1].value: quantity does not fit in 256 bits") !=
          NULL);
    json_object_del(tx, "gasPrice");
    json_object_set_new(tx, "value", json_string("0x0"));
    CHECK_EQ_INT(m2c_rpc_parse_block(&b, v, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "result.transactions[1].gasPrice: missing") != NULL);
    json_object_set_new(v, "transactions", json_pack("[ss]", H32("1"), "0x12"));
    CHECK_EQ_INT(m2c_rpc_parse_block(&b, v, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "result.transactions[1]: expected 32-byte hex, got 1 bytes") != NULL);
    json_object_del(v, "baseFeePerGas");
    json_object_set_new(v, "transactions", json_pack("[s]", H32("1")));
    CHECK_EQ_INT(m2c_rpc_parse_block(&b, v, &err), M2C_OK);
    CHECK(!b.has_base_fee && b.txs == NULL && b.tx_count == 1);
    m2c_rpc_block_free(&b);
    json_decref(v);
}

TEST(test_rpc_get_blocks__batch_in_any_order_and_null_is_notfound) {
    /* Two blocks answered out of order (ids 2, 1), then a batch where block 2 is null. */
    char body[8192], b1[2048], b2[2048];
    json_t *v = json_loads(BLOCK_FULL, 0, NULL);
    REQUIRE(v);
    json_object_set_new(v, "transactions", json_pack("[s]", H32("9")));
    json_object_set_new(v, "number", json_string("0x64"));
    char *s1 = json_dumps(v, JSON_COMPACT);
    json_object_set_new(v, "number", json_string("0x65"));
    json_object_set_new(v, "transactions", json_array());
    char *s2 = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    snprintf(b1, sizeof b1, "%s", s1);
    snprintf(b2, sizeof b2, "%s", s2);
    free(s1);
    free(s2);
    snprintf(body, sizeof body,
             "[{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":%s},{\"jsonrpc\":\"2.0\",\"id\":1,"
             "\"result\":%s}]",
             b2, b1);
    char body2[8192];
    snprintf(body2, sizeof body2,
             "[{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":%s},{\"jsonrpc\":\"2.0\",\"id\":4,"
             "\"result\":null}]",
             b1);
    reply r[] = {OKJSON(body), OKJSON(body2)};
    script(r, 2);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    uint64_t nums[2] = {100, 101};
    m2c_rpc_block out[2];
    m2c_err err;
    REQUIRE(m2c_rpc_get_blocks(c, out, nums, 2, 0, &err) == M2C_OK);
    CHECK_EQ_INT(out[0].number, 100);
    CHECK_EQ_INT(out[0].tx_count, 1);
    CHECK_EQ_INT(out[0].tx_hashes[0].b[0], 0x99);
    CHECK_EQ_INT(out[1].number, 101);
    CHECK_EQ_INT(out[1].tx_count, 0);
    json_t *sent = json_loads(srv.last_req, 0, NULL);
    CHECK_EQ_STR(
        json_string_value(json_array_get(json_object_get(json_array_get(sent, 1), "params"), 0)),
        "0x65");
    json_decref(sent);
    m2c_rpc_block_free(&out[0]);
    m2c_rpc_block_free(&out[1]);
    CHECK_EQ_INT(m2c_rpc_get_blocks(c, out, nums, 2, 0, &err), M2C_ERR_NOTFOUND);
    CHECK(strstr(err.msg, "no block 101") != NULL);
    CHECK(out[0].tx_hashes == NULL && out[1].tx_hashes == NULL); /* nothing half-returned */
    m2c_rpc_destroy(c);
}

TEST(test_rpc_get_receipts__item_error_names_the_hash) {
    char rc[4096], body[8192];
    snprintf(rc, sizeof rc,
             "{\"transactionHash\":\"%s\",\"transactionIndex\":\"0x0\",\"blockHash\":\"%s\","
             "\"blockNumber\":\"0x2\",\"from\":\"%s\",\"to\":\"%s\",\"status\":\"0x0\","
             "\"gasUsed\":\"0x5208\",\"cumulativeGasUsed\":\"0x5208\",\"logs\":[]}",
             H32("1"), H32("2"), A20("3"), A20("4"));
    snprintf(body, sizeof body,
             "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":%s},"
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32000,\"message\":\"pruned\"}}]",
             rc);
    reply r[] = {OKJSON(body)};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_hash32 h[2];
    memset(h[0].b, 0x11, 32);
    memset(h[1].b, 0xab, 32);
    m2c_rpc_receipt out[2];
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_get_receipts(c, out, h, 2, &err), M2C_ERR_RPC);
    CHECK(strstr(err.msg, "0xabababab") != NULL);
    CHECK(strstr(err.msg, "pruned") != NULL);
    CHECK(out[0].logs == NULL);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_get_block__null_result_is_notfound) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":null}")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_rpc_block b;
    m2c_blockref at = m2c_blockref_num(999999);
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_get_block(c, &b, &at, 0, &err), M2C_ERR_NOTFOUND);
    CHECK(strstr(err.msg, "no block 0xf423f") != NULL);
    m2c_rpc_receipt rc;
    m2c_hash32 h = {{0}};
    CHECK_EQ_INT(m2c_rpc_get_receipt(c, &rc, &h, &err), M2C_ERR_NOTFOUND);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_get_block__another_block_or_receipt_than_asked_is_refused) {
    /* A faulty node or load balancer answers block 100 with block 101, and a receipt with
     * another transaction's: each is refused, naming both, and nothing is returned. */
    json_t *v = json_loads(BLOCK_FULL, 0, NULL);
    REQUIRE(v);
    json_object_set_new(v, "number", json_string("0x65"));
    json_object_set_new(v, "transactions", json_array());
    char *blk = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    REQUIRE(blk);
    char one[4096], batch[4096], rc[2048], rc1[4096], rcs[8192];
    snprintf(one, sizeof one, "{\"jsonrpc\":\"2.0\",\"id\":%%ID%%,\"result\":%s}", blk);
    snprintf(batch, sizeof batch, "[{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":%s}]", blk);
    free(blk);
    snprintf(rc, sizeof rc,
             "{\"transactionHash\":\"%s\",\"transactionIndex\":\"0x0\",\"blockHash\":\"%s\","
             "\"blockNumber\":\"0x2\",\"from\":\"%s\",\"to\":\"%s\",\"status\":\"0x1\","
             "\"gasUsed\":\"0x5208\",\"cumulativeGasUsed\":\"0x5208\",\"logs\":[]}",
             H32("2"), H32("3"), A20("3"), A20("4"));
    snprintf(rc1, sizeof rc1, "{\"jsonrpc\":\"2.0\",\"id\":%%ID%%,\"result\":%s}", rc);
    snprintf(rcs, sizeof rcs, "[{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":%s}]", rc);
    reply r[] = {OKJSON(one), OKJSON(batch), OKJSON(rc1), OKJSON(rcs)};
    script(r, 4);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_err err;
    m2c_rpc_block b;
    m2c_blockref at = m2c_blockref_num(100);
    CHECK_EQ_INT(m2c_rpc_get_block(c, &b, &at, 0, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "asked for block 100, the node sent block 101") != NULL);
    CHECK(b.tx_hashes == NULL && b.number == 0);
    uint64_t n = 100;
    CHECK_EQ_INT(m2c_rpc_get_blocks(c, &b, &n, 1, 0, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "eth_getBlockByNumber 100: asked for block 100, the node sent block "
                          "101") != NULL);
    CHECK(b.tx_hashes == NULL && b.number == 0);
    m2c_hash32 h;
    memset(h.b, 0x11, 32);
    m2c_rpc_receipt out;
    CHECK_EQ_INT(m2c_rpc_get_receipt(c, &out, &h, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "the node sent the receipt of transaction 0x2222") != NULL);
    CHECK(out.logs == NULL && out.gas_used == 0);
    CHECK_EQ_INT(m2c_rpc_get_receipts(c, &out, &h, 1, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "eth_getTransactionReceipt 0x1111") != NULL);
    CHECK(strstr(err.msg, "the node sent the receipt of transaction 0x2222") != NULL);
    CHECK(out.logs == NULL && out.gas_used == 0);
    m2c_rpc_destroy(c);
}

TEST(test_rpc_parse_receipt__fields_and_logs) {
    char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"transactionHash\":\"%s\",\"transactionIndex\":\"0x0\",\"blockHash\":\"%s\","
             "\"blockNumber\":\"0x2\",\"from\":\"%s\",\"to\":null,\"status\":\"0x1\","
             "\"gasUsed\":\"0x1d4c0\",\"cumulativeGasUsed\":\"0x1d4c0\",\"effectiveGasPrice\":"
             "\"0x77359400\","
             "\"contractAddress\":\"%s\",\"type\":\"0x2\",\"logs\":[%s]}",
             H32("1"), H32("2"), A20("3"), A20("4"), LOG_A);
    json_t *v = json_loads(buf, 0, NULL);
    REQUIRE(v);
    m2c_rpc_receipt r;
    m2c_err err;
    REQUIRE(m2c_rpc_parse_receipt(&r, v, &err) == M2C_OK);
    CHECK_EQ_INT(r.status, 1);
    CHECK_EQ_INT(r.gas_used, 120000);
    CHECK_EQ_INT(r.effective_gas_price.w[0], 2000000000);
    CHECK(r.has_contract_address && r.contract_address.b[0] == 0x44);
    CHECK(!r.has_to);
    CHECK_EQ_INT(r.type, 2);
    CHECK_EQ_INT(r.n_logs, 1);
    CHECK_EQ_INT(r.logs[0].log_index, 7);
    m2c_rpc_receipt_free(&r);
    json_object_set_new(v, "status", json_string("0x2"));
    CHECK_EQ_INT(m2c_rpc_parse_receipt(&r, v, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "result.status: expected 0x0 or 0x1") != NULL);
    json_decref(v);
}

TEST(test_rpc_parse_fee_history__shapes_are_checked) {
    const char *ok = "{\"oldestBlock\":\"0x10\",\"baseFeePerGas\":[\"0x1\",\"0x2\",\"0x3\"],"
                     "\"gasUsedRatio\":[0.5,1],\"reward\":[[\"0x1\",\"0x2\"],[\"0x3\",\"0x4\"]]}";
    json_t *v = json_loads(ok, 0, NULL);
    REQUIRE(v);
    m2c_rpc_fee_history f;
    m2c_err err;
    REQUIRE(m2c_rpc_parse_fee_history(&f, v, &err) == M2C_OK);
    CHECK_EQ_INT(f.oldest_block, 16);
    CHECK_EQ_INT(f.n_blocks, 2);
    CHECK_EQ_INT(f.n_percentiles, 2);
    CHECK_EQ_INT(f.base_fee_per_gas[2].w[0], 3);
    CHECK_EQ_INT(f.reward[3].w[0], 4);
    CHECK(f.gas_used_ratio[0] == 0.5);
    m2c_rpc_fee_history_free(&f);
    json_array_remove(json_object_get(v, "baseFeePerGas"), 0);
    CHECK_EQ_INT(m2c_rpc_parse_fee_history(&f, v, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "baseFeePerGas: expected 3 entries") != NULL);
    json_decref(v);
    v = json_loads("{\"oldestBlock\":\"0x10\",\"baseFeePerGas\":[\"0x1\",\"0x2\",\"0x3\"],"
                   "\"gasUsedRatio\":[0.5,1],\"reward\":[[\"0x1\",\"0x2\"],[\"0x3\"]]}",
                   0, NULL);
    CHECK_EQ_INT(m2c_rpc_parse_fee_history(&f, v, &err), M2C_ERR_PROTOCOL);
    CHECK(strstr(err.msg, "result.reward[1]: expected 2 percentiles, got 1") != NULL);
    json_decref(v);
}

TEST(test_rpc_eth_call__revert_keeps_error_data) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"error\":{\"code\":3,\"message\":"
                        "\"execution reverted: nope\","
                        "\"data\":\"0x08c379a0\"}}")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_addr20 to = {{0}};
    m2c_rpc_callmsg m = {.to = &to};
    uint8_t *out = NULL;
    size_t n = 0;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_eth_call(c, &out, &n, &m, NULL, &err), M2C_ERR_RPC);
    CHECK_EQ_INT(err.rpc_code, 3);
    CHECK(strstr(err.msg, "execution reverted: nope") != NULL);
    REQUIRE(out && n == 4);
    CHECK_EQ_INT(out[0], 0x08);
    free(out);
    m2c_rpc_destroy(c);
}

/* anvil's message for a custom-error revert carries the raw revert bytes, NULs included
 * (ModelNotActive(7) here); the error is still an RPC error with its code and the data. */
TEST(test_rpc_eth_call__custom_error_message_with_nul_keeps_error_data) {
    reply r[] = {OKJSON("{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"error\":{\"code\":3,\"message\":"
                        "\"execution reverted: \\u0000\\u0001\\u0002\\u0003\","
                        "\"data\":\"0xa1b2c3d40000000000000000000000000000000000000000000000000000000000000007\"}}")};
    script(r, 1);
    m2c_rpc *c = client(0, NULL);
    REQUIRE(c);
    m2c_addr20 to = {{0}};
    m2c_rpc_callmsg m = {.to = &to};
    uint8_t *out = NULL;
    size_t n = 0;
    m2c_err err;
    CHECK_EQ_INT(m2c_rpc_eth_call(c, &out, &n, &m, NULL, &err), M2C_ERR_RPC);
    CHECK_EQ_INT(err.rpc_code, 3);
    CHECK(strstr(err.msg, "execution reverted: ????") != NULL); /* control bytes shown as ? */
    REQUIRE(out && n == 36);
    CHECK_EQ_INT(out[0], 0xa1);
    CHECK_EQ_INT(out[35], 7);
    free(out);
    m2c_rpc_destroy(c);
}

TEST_MAIN(T(test_rpc_call__returns_result_and_sends_jsonrpc_request),
          T(test_rpc_eth_call__custom_error_message_with_nul_keeps_error_data),
          T(test_rpc_call__reuses_one_connection),
          T(test_rpc_handles__one_per_thread_work_concurrently),
          T(test_rpc_call__node_error_is_rpc_status_with_code_and_message),
          T(test_rpc_call__html_502_is_http_error_naming_status_type_and_body),
          T(test_rpc_call__garbage_is_protocol_error_with_escaped_bytes),
          T(test_rpc_call__truncated_json_is_truncated),
          T(test_rpc_call__429_is_retried_after_retry_after),
          T(test_rpc_call__503_retry_after_http_date_is_honoured),
          T(test_rpc_call__retry_after_beyond_cap_gives_up_at_once),
          T(test_rpc_call__5xx_beyond_retry_budget_fails_with_count),
          T(test_rpc_call__retry_time_budget_stops_retries),
          T(test_rpc_call__4xx_is_not_retried_and_jsonrpc_error_body_wins),
          T(test_rpc_call__stall_longer_than_timeout_times_out),
          T(test_rpc_call__response_over_cap_is_rejected),
          T(test_rpc_call__mismatched_id_is_protocol_error),
          T(test_rpc_call__unreachable_port_fails_and_url_secrets_are_redacted),
          T(test_rpc_redact_url__hides_userinfo_path_and_query),
          T(test_rpc_create__rejects_non_http_urls), T(test_rpc_rate_cap__spaces_requests),
          T(test_rpc_call__cancel_flag_interrupts_backoff),
          T(test_rpc_https__verified_with_ca_file_and_refused_without),
          T(test_rpc_batch__matches_out_of_order_ids_with_item_errors),
          T(test_rpc_batch__missing_id_fails_only_that_item),
          T(test_rpc_batch__duplicate_unknown_ids_and_single_error_fail_whole_batch),
          T(test_rpc_batch__splits_into_max_batch_requests),
          T(test_rpc_get_logs__parses_logs_and_sends_filter),
          T(test_rpc_filter_json__block_hash_replaces_range),
          T(test_rpc_client_version__sanitized_and_typed),
          T(test_rpc_parse_logs__names_the_bad_field),
          T(test_rpc_parse_logs_body__matches_tree_parser),
          T(test_rpc_parse_logs_fast__agrees_with_tree_on_random_logs),
          T(test_rpc_parse_logs_fast__reads_node_bodies_and_hands_off_the_rest),
          T(test_rpc_parse_logs_fast__never_disagrees_with_tree_on_mutated_bodies),
          T(test_rpc_parse_logs_body__unusual_forms_fall_back_to_tree_parser),
          T(test_rpc_parse_block__full_transactions),
          T(test_rpc_parse_block__errors_name_transaction_field),
          T(test_rpc_get_blocks__batch_in_any_order_and_null_is_notfound),
          T(test_rpc_get_receipts__item_error_names_the_hash),
          T(test_rpc_get_block__null_result_is_notfound),
          T(test_rpc_get_block__another_block_or_receipt_than_asked_is_refused),
          T(test_rpc_parse_receipt__fields_and_logs),
          T(test_rpc_parse_fee_history__shapes_are_checked),
          T(test_rpc_eth_call__revert_keeps_error_data))
