/* extract_plan.c: the pure parts of the extractor: which ranges are missing, how to react to a
 * failed request (split, retry or give up), how big the next chunk should be, and the scaled
 * numeric columns. No I/O; see extract.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ml2chain/extract.h"

size_t m2c_extract_missing(m2c_block_range *out, size_t cap, uint64_t from, uint64_t to,
                           const m2c_block_range *done, size_t ndone) {
    size_t n = 0;
    if (from > to) return 0;
    uint64_t cur = from; /* first block not yet accounted for */
    int finished = 0;
    for (size_t i = 0; i < ndone && !finished; i++) {
        if (done[i].to < cur) continue;
        if (done[i].from > to) break;
        if (done[i].from > cur) {
            if (n < cap) {
                out[n].from = cur;
                out[n].to = done[i].from - 1;
            }
            n++;
        }
        if (done[i].to >= to) {
            finished = 1;
        } else {
            cur = done[i].to + 1;
        }
    }
    if (!finished) {
        if (n < cap) {
            out[n].from = cur;
            out[n].to = to;
        }
        n++;
    }
    return n;
}

static int has_word(const char *msg, const char *w) {
    return strcasestr(msg, w) != NULL;
}

m2c_extract_action m2c_extract_classify(m2c_status st, const m2c_err *err, uint64_t blocks) {
    const char *msg = err ? err->msg : "";
    m2c_extract_action split = blocks > 1 ? M2C_EXTRACT_SPLIT : M2C_EXTRACT_RETRY;
    switch (st) {
    case M2C_OK: return M2C_EXTRACT_RETRY; /* not a failure; callers do not ask */
    case M2C_ERR_RPC:
        /* what providers say when a range is too much: geth "query returned more than 10000
         * results", alchemy "Log response size exceeded", infura "query returned more than
         * 10000 results", quicknode "eth_getLogs is limited to a 10000 range", erigon "block
         * range too large", besu "exceeds maximum", nethermind "timeout" */
        if (has_word(msg, "more than") || has_word(msg, "too many") || has_word(msg, "range") ||
            has_word(msg, "limit") || has_word(msg, "exceed") || has_word(msg, "too large") ||
            has_word(msg, "size") || has_word(msg, "timeout") || has_word(msg, "timed out") ||
            has_word(msg, "results"))
            return split;
        /* a rate limit reported inside a JSON-RPC error */
        if (has_word(msg, "rate") || has_word(msg, "capacity") || has_word(msg, "busy") ||
            has_word(msg, "try again") || (err && err->rpc_code == 429) ||
            (err && err->rpc_code == -32005))
            return M2C_EXTRACT_RETRY;
        /* internal errors of the node are worth another try */
        if (err && err->rpc_code == -32603) return M2C_EXTRACT_RETRY;
        return M2C_EXTRACT_FAIL;
    case M2C_ERR_NOMEM: /* a response over the size cap */
    case M2C_ERR_TIMEOUT: return split;
    case M2C_ERR_HTTP:
        if (err && (err->http_status == 413 || err->http_status == 504)) return split;
        if (err && err->http_status >= 400 && err->http_status < 500 && err->http_status != 429 &&
            err->http_status != 408)
            return M2C_EXTRACT_FAIL;
        return M2C_EXTRACT_RETRY;
    case M2C_ERR_IO:
    case M2C_ERR_TRUNCATED:
    case M2C_ERR_PROTOCOL:
    case M2C_ERR_INVALID: /* garbled answers: a proxy cut them short */ return M2C_EXTRACT_RETRY;
    default: return M2C_EXTRACT_FAIL;
    }
}

uint64_t m2c_extract_next_span(uint64_t span, uint64_t count, uint64_t target, uint64_t max) {
    if (max == 0) max = 1;
    if (span == 0) span = 1;
    if (target == 0) target = 1;
    uint64_t next;
    if (count == 0) {
        next = span > UINT64_MAX / 2 ? UINT64_MAX : span * 2;
    } else {
        /* span * target / count without overflow, capped at 2x growth */
        long double want = (long double)span * (long double)target / (long double)count;
        long double grow = (long double)span * 2;
        if (want > grow) want = grow;
        next = want < 1 ? 1 : want >= (long double)UINT64_MAX ? UINT64_MAX : (uint64_t)want;
    }
    if (next > max) next = max;
    if (next < 1) next = 1;
    return next;
}

uint64_t m2c_extract_ramp(uint64_t done, unsigned workers) {
    uint64_t rounds = done / (workers ? workers : 1);
    return rounds >= 63 ? UINT64_MAX : (uint64_t)1 << rounds;
}

uint64_t m2c_extract_chunk_blocks(uint64_t span, uint64_t left, unsigned workers) {
    uint64_t parts = 2 * (uint64_t)(workers ? workers : 1);
    uint64_t share = left / parts + (left % parts != 0);
    uint64_t n = span < share ? span : share;
    return n ? n : 1;
}

double m2c_extract_scaled(const char *dec, size_t n, int decimals) {
    /* Fast paths, exact by IEEE rounding: an integer below 10^19 converts from uint64_t with
     * one rounding; below 2^53 it is exact, and so is 10^d for d <= 22, so the quotient is
     * one correctly rounded division. Anything else goes through strtod. */
    size_t i = n && dec[0] == '-';
    if (n > i && n - i <= 19 && decimals >= 0 && decimals <= 22) {
        uint64_t v = 0;
        size_t k = i;
        while (k < n && dec[k] >= '0' && dec[k] <= '9')
            v = v * 10 + (uint64_t)(dec[k++] - '0');
        if (k == n && (decimals == 0 || v < ((uint64_t)1 << 53))) {
            static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                           1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
            double d = (double)v / p10[decimals];
            return i ? -d : d;
        }
    }
    char buf[128];
    if (n > 90) n = 90;
    if (decimals <= 0)
        snprintf(buf, sizeof buf, "%.*s", (int)n, dec);
    else
        snprintf(buf, sizeof buf, "%.*se-%d", (int)n, dec, decimals);
    return strtod(buf, NULL);
}
