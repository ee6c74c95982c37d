/* fuzz_abi_decode.c: the ABI decoder on hostile data, and the type/signature/value parsers on
 * hostile text. The first byte picks the mode:
 *   0..5   decode the rest under one of six fixed types (strict, then lenient), and if that
 *          succeeds, re-encode and check the bytes reproduce (strict only)
 *   6      the rest is "<type>\n<data>": a fuzzer-chosen type string, then data to decode
 *   7      the rest is a signature for m2c_abi_sig_parse
 *   8      the rest is "<type>\n<text>": m2c_abi_value_parse, then encode and format
 *   9      the rest is ABI JSON for m2c_abi_json_load
 *   10     the rest is an event log: 1 byte topic count, topics, data, against a fixed event */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/abi.h"

static const char *const fixed_types[] = {
    "(uint256,address,bool,bytes32)",
    "(bytes,string,uint8[])",
    "(uint256[][],string[])",
    "((uint8,bytes)[2],int16[3][],(bool,(string,address)[])[])",
    "(int8,uint24,bytes3,(int256,string)[])",
    "(bytes[][],()[],uint8[0])",
};

static void check_reencode(m2c_arena *a, const m2c_abi_value *v, const uint8_t *d, size_t n) {
    m2c_buf b;
    m2c_buf_init(&b, (size_t)64 << 20);
    m2c_err e;
    if (m2c_abi_encode(&b, v, &e) == M2C_OK) {
        /* Strictly decoded data re-encodes to a canonical encoding, which must decode to the
         * same value again (the input itself may differ: offsets need not be canonical). */
        m2c_abi_value v2;
        if (m2c_abi_decode(a, &v2, v->type, b.p, b.len, 0, &e) != M2C_OK) abort();
        m2c_buf c;
        m2c_buf_init(&c, (size_t)64 << 20);
        if (m2c_abi_encode(&c, &v2, &e) != M2C_OK) abort();
        if (c.len != b.len || memcmp(c.p, b.p, b.len) != 0) abort();
        m2c_buf_free(&c);
    }
    (void)d;
    (void)n;
    m2c_buf_free(&b);
}

static void format_all(const m2c_abi_value *v) {
    m2c_buf b;
    m2c_buf_init(&b, (size_t)64 << 20);
    if (m2c_abi_value_format(&b, v) != M2C_OK) { /* only a size cap may refuse */
    }
    m2c_buf_free(&b);
}

static void decode_under(const m2c_abi_type *t, const uint8_t *d, size_t n, int reencode) {
    m2c_arena a;
    m2c_arena_init(&a, (size_t)64 << 20);
    m2c_abi_value v;
    m2c_err e;
    if (m2c_abi_decode(&a, &v, t, d, n, 0, &e) == M2C_OK) {
        format_all(&v);
        if (reencode) check_reencode(&a, &v, d, n);
    } else if (!e.msg[0]) {
        abort(); /* every failure says why */
    }
    if (m2c_abi_decode(&a, &v, t, d, n, M2C_ABI_LENIENT, &e) == M2C_OK) format_all(&v);
    m2c_arena_free(&a);
}

static const uint8_t *split_line(const uint8_t *p, size_t n, size_t *first) {
    const uint8_t *nl = memchr(p, '\n', n);
    *first = nl ? (size_t)(nl - p) : n;
    return nl ? nl + 1 : p + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0] % 11;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    m2c_arena a;
    m2c_arena_init(&a, (size_t)64 << 20);
    m2c_err e;
    if (mode <= 5) {
        const m2c_abi_type *t;
        const char *ts = fixed_types[mode];
        if (m2c_abi_type_parse(&a, &t, ts, strlen(ts), &e) != M2C_OK) abort();
        decode_under(t, p, n, 1);
    } else if (mode == 6 || mode == 8) {
        size_t tl;
        const uint8_t *rest = split_line(p, n, &tl);
        size_t rl = n - (size_t)(rest - p);
        const m2c_abi_type *t;
        if (m2c_abi_type_parse(&a, &t, (const char *)p, tl, &e) == M2C_OK) {
            m2c_buf canon;
            m2c_buf_init(&canon, 0);
            /* the canonical form parses back to the same canonical form */
            if (m2c_abi_type_canonical(&canon, t) == M2C_OK) {
                const m2c_abi_type *t2;
                if (m2c_abi_type_parse(&a, &t2, (char *)canon.p, canon.len, &e) != M2C_OK)
                    abort();
                if (t2->head_size != t->head_size || t2->dynamic != t->dynamic) abort();
            }
            m2c_buf_free(&canon);
            if (mode == 6) {
                decode_under(t, rest, rl, 0);
            } else {
                char *text = m2c_arena_strndup(&a, (const char *)rest, rl);
                m2c_abi_value v;
                if (text && m2c_abi_value_parse(&a, &v, t, text, &e) == M2C_OK) {
                    m2c_buf b;
                    m2c_buf_init(&b, (size_t)64 << 20);
                    if (m2c_abi_encode(&b, &v, &e) == M2C_OK) {
                        m2c_abi_value d;
                        if (m2c_abi_decode(&a, &d, t, b.p, b.len, 0, &e) != M2C_OK) abort();
                    }
                    m2c_buf_free(&b);
                    format_all(&v);
                }
            }
        }
    } else if (mode == 7) {
        char *s = m2c_arena_strndup(&a, (const char *)p, n);
        m2c_abi_sig sig;
        if (s && m2c_abi_sig_parse(&a, &sig, s, M2C_ABI_FUNCTION, &e) == M2C_OK) {
            /* the canonical signature parses to itself */
            m2c_abi_sig again;
            if (m2c_abi_sig_parse(&a, &again, sig.canonical, sig.kind == M2C_ABI_ERROR
                                                               ? M2C_ABI_FUNCTION
                                                               : sig.kind,
                                  &e) != M2C_OK)
                abort();
            if (strcmp(again.canonical, sig.canonical) != 0) abort();
        }
    } else if (mode == 9) {
        m2c_abi_sig *sigs;
        size_t ns;
        if (m2c_abi_json_load(&a, &sigs, &ns, (const char *)p, n, &e) != M2C_OK && !e.msg[0])
            abort();
    } else {
        m2c_abi_sig ev;
        if (m2c_abi_sig_parse(&a, &ev,
                              "event E(string indexed s, uint8 indexed k, (bool,bytes) t, "
                              "address a)",
                              M2C_ABI_EVENT, &e) != M2C_OK)
            abort();
        m2c_hash32 topics[5];
        size_t nt = n ? p[0] % 6 : 0;
        size_t off = n ? 1 : 0;
        for (size_t i = 0; i < nt; i++) {
            memset(&topics[i], 0, sizeof topics[i]);
            size_t k = n - off < 32 ? n - off : 32;
            memcpy(topics[i].b, p + off, k);
            off += k;
        }
        if (nt && p[0] & 0x80) topics[0] = ev.topic0;
        m2c_abi_value v;
        if (m2c_abi_decode_log(&a, &v, &ev, topics, nt, p + off, n - off, 0, &e) == M2C_OK)
            format_all(&v);
        else if (!e.msg[0])
            abort();
    }
    m2c_arena_free(&a);
    return 0;
}
