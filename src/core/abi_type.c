/* abi_type.c: the ABI type grammar and human-readable signatures; see abi.h.
 * One recursive-descent parser over a bounded cursor serves type strings, parameter lists and
 * whole signatures, so every entry point shares the same caps and error offsets. */
#include "ml2chain/abi.h"

#include <string.h>

#include "ml2chain/keccak.h"

#include "abi_internal.h"

typedef struct {
    m2c_arena *a;
    const char *s;
    size_t len;
    size_t pos;
    m2c_err *err;
} cursor;

static int is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
static int is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
static int is_ident(char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static void skip_ws(cursor *c) {
    while (c->pos < c->len && is_ws(c->s[c->pos]))
        c->pos++;
}
static int peek(cursor *c) {
    return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}
/* Reads an identifier at the cursor (none: length 0). */
static size_t ident(cursor *c, const char **start) {
    *start = c->s + c->pos;
    size_t n = 0;
    if (c->pos < c->len && is_ident_start(c->s[c->pos]))
        while (c->pos + n < c->len && is_ident(c->s[c->pos + n]))
            n++;
    c->pos += n;
    return n;
}
static int word_is(const char *w, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

static m2c_status nomem(cursor *c) {
    return m2c_err_at(c->err, M2C_ERR_NOMEM, c->pos, "abi type: out of memory at char %zu", c->pos);
}

static m2c_status bad(cursor *c, size_t at, const char *what) {
    return m2c_err_at(c->err, M2C_ERR_INVALID, at, "abi type: %s at char %zu", what, at);
}

/* Parses an unsigned decimal of at most 9 digits with no leading zero; -1 if none. */
static long small_dec(const char *p, size_t n) {
    if (n == 0 || n > 9 || (n > 1 && p[0] == '0')) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

static m2c_abi_type *new_type(cursor *c, m2c_abi_kind kind) {
    m2c_abi_type *t = m2c_arena_alloc(c->a, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    t->head_size = 32;
    return t;
}

static m2c_status parse_elementary(cursor *c, const m2c_abi_type **out) {
    size_t at = c->pos;
    const char *w;
    size_t n = ident(c, &w);
    if (n == 0) return bad(c, at, "expected a type");
    m2c_abi_type *t = NULL;
    if (word_is(w, n, "address")) {
        t = new_type(c, M2C_ABI_ADDRESS);
    } else if (word_is(w, n, "bool")) {
        t = new_type(c, M2C_ABI_BOOL);
    } else if (word_is(w, n, "string")) {
        t = new_type(c, M2C_ABI_STRING);
        if (t) t->dynamic = 1;
    } else if (word_is(w, n, "bytes")) {
        t = new_type(c, M2C_ABI_BYTES);
        if (t) t->dynamic = 1;
    } else if (n > 5 && memcmp(w, "bytes", 5) == 0) {
        long k = small_dec(w + 5, n - 5);
        if (k < 1 || k > 32) return bad(c, at, "bytesN needs 1 <= N <= 32");
        t = new_type(c, M2C_ABI_FBYTES);
        if (t) t->size = (size_t)k;
    } else if ((n >= 4 && memcmp(w, "uint", 4) == 0) || (n >= 3 && memcmp(w, "int", 3) == 0)) {
        int is_u = w[0] == 'u';
        size_t pre = is_u ? 4 : 3;
        long bits = n == pre ? 256 : small_dec(w + pre, n - pre);
        if (bits < 8 || bits > 256 || bits % 8 != 0) {
            if (bits == -1 && !(w[pre] >= '0' && w[pre] <= '9')) return bad(c, at, "unknown type");
            return bad(c, at, "integer width must be a multiple of 8 from 8 to 256");
        }
        t = new_type(c, is_u ? M2C_ABI_UINT : M2C_ABI_INT);
        if (t) t->bits = (unsigned)bits;
    } else if (word_is(w, n, "function")) {
        return m2c_err_at(c->err, M2C_ERR_UNSUPPORTED, at,
                          "abi type: 'function' is not supported at char %zu", at);
    } else if ((n >= 5 && memcmp(w, "fixed", 5) == 0) || (n >= 6 && memcmp(w, "ufixed", 6) == 0)) {
        return m2c_err_at(c->err, M2C_ERR_UNSUPPORTED, at,
                          "abi type: fixed-point types are not supported at char %zu", at);
    } else {
        return bad(c, at, "unknown type");
    }
    if (!t) return nomem(c);
    *out = t;
    return M2C_OK;
}

static m2c_status parse_params(cursor *c, const m2c_abi_type **out, int allow_indexed,
                               unsigned depth);

m2c_status m2c_abi_array_make_(m2c_arena *a, const m2c_abi_type **out, const m2c_abi_type *elem,
                               long k, m2c_err *err) {
    if (elem->depth + 1 > M2C_ABI_MAX_DEPTH)
        return m2c_err_set(err, M2C_ERR_INVALID, "abi type: type nested too deeply");
    if (k > M2C_ABI_MAX_FIXED_LEN)
        return m2c_err_set(err, M2C_ERR_RANGE, "abi type: array length %ld above %d", k,
                           M2C_ABI_MAX_FIXED_LEN);
    m2c_abi_type *t = m2c_arena_alloc(a, sizeof *t);
    if (!t) return m2c_err_set(err, M2C_ERR_NOMEM, "abi type: out of memory");
    t->kind = k < 0 ? M2C_ABI_ARRAY : M2C_ABI_FARRAY;
    t->head_size = 32;
    t->elem = elem;
    t->depth = elem->depth + 1;
    if (k < 0) {
        t->dynamic = 1;
    } else {
        t->size = (size_t)k;
        t->dynamic = elem->dynamic;
        if (!elem->dynamic) {
            if (elem->head_size && t->size > M2C_ABI_MAX_STATIC / elem->head_size)
                return m2c_err_set(err, M2C_ERR_RANGE, "abi type: static size too large");
            t->head_size = t->size * elem->head_size;
        }
    }
    *out = t;
    return M2C_OK;
}

/* Builds T[] (k < 0) or T[k] around `elem`, enforcing depth and size caps. */
static m2c_status wrap_array(cursor *c, const m2c_abi_type **out, const m2c_abi_type *elem, long k,
                             size_t at) {
    m2c_err e2;
    m2c_err_clear(&e2);
    m2c_status st = m2c_abi_array_make_(c->a, out, elem, k, &e2);
    if (st) return m2c_err_at(c->err, st, at, "%s at char %zu", e2.msg, at);
    return M2C_OK;
}

/* type := ( elementary | '(' params ')' ) ( '[' digits? ']' )* */
static m2c_status parse_type(cursor *c, const m2c_abi_type **out, unsigned depth) {
    m2c_status st;
    if (depth > M2C_ABI_MAX_DEPTH) return bad(c, c->pos, "type nested too deeply");
    const m2c_abi_type *t = NULL;
    if (peek(c) == '(') {
        st = parse_params(c, &t, 0, depth + 1);
    } else {
        /* A "tuple" keyword before '(' is what some tools print; accept it. */
        if (c->len - c->pos > 5 && memcmp(c->s + c->pos, "tuple(", 6) == 0) {
            c->pos += 5;
            st = parse_params(c, &t, 0, depth + 1);
        } else {
            st = parse_elementary(c, &t);
        }
    }
    if (st) return st;
    while (peek(c) == '[') {
        size_t at = c->pos++;
        size_t d0 = c->pos;
        while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9')
            c->pos++;
        long k = -1;
        if (c->pos > d0) {
            k = small_dec(c->s + d0, c->pos - d0);
            if (k < 0 || k > M2C_ABI_MAX_FIXED_LEN)
                return m2c_err_at(c->err, M2C_ERR_RANGE, d0,
                                  "abi type: array length must be 0..%d without leading zeros "
                                  "at char %zu",
                                  M2C_ABI_MAX_FIXED_LEN, d0);
        }
        if (peek(c) != ']') return bad(c, c->pos, "expected ']'");
        c->pos++;
        if ((st = wrap_array(c, &t, t, k, at))) return st;
    }
    *out = t;
    return M2C_OK;
}

m2c_status m2c_abi_tuple_make(m2c_arena *a, const m2c_abi_type **out, const m2c_abi_field *fields,
                              size_t n, m2c_err *err) {
    *out = NULL;
    if (n > M2C_ABI_MAX_FIELDS)
        return m2c_err_set(err, M2C_ERR_RANGE, "abi type: tuple has more than %d components",
                           M2C_ABI_MAX_FIELDS);
    m2c_abi_type *t = m2c_arena_alloc(a, sizeof *t);
    m2c_abi_field *f = m2c_arena_calloc(a, n ? n : 1, sizeof *f);
    if (!t || !f) return m2c_err_set(err, M2C_ERR_NOMEM, "abi type: out of memory");
    t->kind = M2C_ABI_TUPLE;
    t->fields = f;
    t->n_fields = n;
    size_t head = 0;
    unsigned depth = 0;
    for (size_t i = 0; i < n; i++) {
        f[i] = fields[i];
        if (!f[i].name) f[i].name = "";
        const m2c_abi_type *ft = f[i].type;
        if (ft->dynamic) t->dynamic = 1;
        if (ft->depth > depth) depth = ft->depth;
        head += ft->dynamic ? 32 : ft->head_size;
        if (head > M2C_ABI_MAX_STATIC)
            return m2c_err_set(err, M2C_ERR_RANGE, "abi type: static size too large");
    }
    if (depth + 1 > M2C_ABI_MAX_DEPTH)
        return m2c_err_set(err, M2C_ERR_INVALID, "abi type: type nested too deeply");
    t->depth = depth + 1;
    t->head_size = t->dynamic ? 32 : head;
    *out = t;
    return M2C_OK;
}

/* Words that may follow a parameter's type and are not its name. */
static int is_location(const char *w, size_t n) {
    return word_is(w, n, "memory") || word_is(w, n, "calldata") || word_is(w, n, "storage") ||
           word_is(w, n, "payable");
}

/* params := '(' ( param ( ',' param )* )? ')'
 * param  := type location? 'indexed'? name?      (indexed only when allow_indexed) */
static m2c_status parse_params(cursor *c, const m2c_abi_type **out, int allow_indexed,
                               unsigned depth) {
    m2c_status st;
    if (peek(c) != '(') return bad(c, c->pos, "expected '('");
    size_t open = c->pos++;
    size_t n = 0, cap = 8;
    m2c_abi_field *fs = m2c_arena_calloc(c->a, cap, sizeof *fs);
    if (!fs) return nomem(c);
    skip_ws(c);
    if (peek(c) == ')') {
        c->pos++;
    } else {
        for (;;) {
            skip_ws(c);
            m2c_abi_field f = {NULL, "", 0};
            if ((st = parse_type(c, &f.type, depth))) return st;
            for (int words = 0;; words++) {
                size_t before = c->pos;
                skip_ws(c);
                const char *w;
                size_t wat = c->pos;
                size_t wn = ident(c, &w);
                if (wn == 0) {
                    c->pos = before;
                    break;
                }
                if (before == wat) return bad(c, wat, "expected a space before a name");
                if (word_is(w, wn, "indexed")) {
                    if (!allow_indexed) return bad(c, wat, "'indexed' outside an event");
                    if (f.indexed || f.name[0]) return bad(c, wat, "misplaced 'indexed'");
                    f.indexed = 1;
                } else if (is_location(w, wn) && !f.name[0]) {
                    /* dropped: not part of the ABI */
                } else if (!f.name[0]) {
                    f.name = m2c_arena_strndup(c->a, w, wn);
                    if (!f.name) return nomem(c);
                } else {
                    return bad(c, wat, "unexpected word after parameter name");
                }
            }
            skip_ws(c);
            if (n == cap) {
                if (cap >= M2C_ABI_MAX_FIELDS)
                    return m2c_err_at(c->err, M2C_ERR_RANGE, c->pos,
                                      "abi type: more than %d components at char %zu",
                                      M2C_ABI_MAX_FIELDS, c->pos);
                m2c_abi_field *nf = m2c_arena_calloc(c->a, cap * 2, sizeof *nf);
                if (!nf) return nomem(c);
                memcpy(nf, fs, n * sizeof *fs);
                fs = nf;
                cap *= 2;
            }
            fs[n++] = f;
            int ch = peek(c);
            if (ch == ',') {
                c->pos++;
                continue;
            }
            if (ch == ')') {
                c->pos++;
                break;
            }
            if (ch < 0) return bad(c, open, "unclosed '('");
            return bad(c, c->pos, "expected ',' or ')'");
        }
    }
    m2c_err e2;
    m2c_err_clear(&e2);
    if ((st = m2c_abi_tuple_make(c->a, out, fs, n, &e2)))
        return m2c_err_at(c->err, st, open, "%s at char %zu", e2.msg, open);
    return M2C_OK;
}

m2c_status m2c_abi_type_parse(m2c_arena *a, const m2c_abi_type **out, const char *s, size_t len,
                              m2c_err *err) {
    *out = NULL;
    if (len > M2C_ABI_MAX_SIG_LEN)
        return m2c_err_set(err, M2C_ERR_RANGE, "abi type: longer than %d chars",
                           M2C_ABI_MAX_SIG_LEN);
    cursor c = {a, s, len, 0, err};
    skip_ws(&c);
    const m2c_abi_type *t;
    m2c_status st = parse_type(&c, &t, 0);
    if (st) return st;
    skip_ws(&c);
    if (c.pos != len) return bad(&c, c.pos, "unexpected text after type");
    *out = t;
    return M2C_OK;
}

static m2c_status canon_type(m2c_buf *b, const m2c_abi_type *t) {
    m2c_status st = M2C_OK;
    switch (t->kind) {
    case M2C_ABI_UINT: return m2c_buf_printf(b, "uint%u", t->bits);
    case M2C_ABI_INT: return m2c_buf_printf(b, "int%u", t->bits);
    case M2C_ABI_ADDRESS: return m2c_buf_append_str(b, "address");
    case M2C_ABI_BOOL: return m2c_buf_append_str(b, "bool");
    case M2C_ABI_FBYTES: return m2c_buf_printf(b, "bytes%zu", t->size);
    case M2C_ABI_BYTES: return m2c_buf_append_str(b, "bytes");
    case M2C_ABI_STRING: return m2c_buf_append_str(b, "string");
    case M2C_ABI_ARRAY:
        if ((st = canon_type(b, t->elem))) return st;
        return m2c_buf_append_str(b, "[]");
    case M2C_ABI_FARRAY:
        if ((st = canon_type(b, t->elem))) return st;
        return m2c_buf_printf(b, "[%zu]", t->size);
    case M2C_ABI_TUPLE:
        if ((st = m2c_buf_append_byte(b, '('))) return st;
        for (size_t i = 0; i < t->n_fields; i++) {
            if (i && (st = m2c_buf_append_byte(b, ','))) return st;
            if ((st = canon_type(b, t->fields[i].type))) return st;
        }
        return m2c_buf_append_byte(b, ')');
    }
    return M2C_ERR_INVALID;
}

m2c_status m2c_abi_type_canonical(m2c_buf *b, const m2c_abi_type *t) {
    size_t len0 = b->len;
    m2c_status st = canon_type(b, t);
    if (st) { /* leave the buffer as it was */
        b->len = len0;
        if (b->p) b->p[len0] = 0;
    }
    return st;
}

m2c_status m2c_abi_sig_finish_(m2c_arena *a, m2c_abi_sig *sig, m2c_err *err) {
    m2c_buf b;
    m2c_buf_init(&b, M2C_ABI_MAX_SIG_LEN * 4);
    m2c_status st = m2c_buf_append_str(&b, sig->name);
    if (!st) st = m2c_abi_type_canonical(&b, sig->inputs);
    if (!st) {
        char *canon = m2c_arena_strndup(a, (const char *)b.p, b.len);
        if (!canon) {
            st = M2C_ERR_NOMEM;
        } else {
            sig->canonical = canon;
            sig->topic0 = m2c_keccak256(b.p, b.len);
            memcpy(sig->selector, sig->topic0.b, 4);
        }
    }
    m2c_buf_free(&b);
    if (st) return m2c_err_set(err, st, "abi signature: out of memory");
    return M2C_OK;
}

static int is_modifier(const char *w, size_t n) {
    static const char *const mods[] = {"external", "public",   "internal", "private",
                                       "view",     "pure",     "payable",  "nonpayable",
                                       "virtual",  "override", "constant"};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        if (word_is(w, n, mods[i])) return 1;
    return 0;
}

m2c_status m2c_abi_sig_parse(m2c_arena *a, m2c_abi_sig *out, const char *s, m2c_abi_sig_kind as,
                             m2c_err *err) {
    memset(out, 0, sizeof *out);
    size_t len = strlen(s);
    if (len > M2C_ABI_MAX_SIG_LEN)
        return m2c_err_set(err, M2C_ERR_RANGE, "abi signature: longer than %d chars",
                           M2C_ABI_MAX_SIG_LEN);
    cursor c = {a, s, len, 0, err};
    m2c_status st;
    m2c_abi_sig sig;
    memset(&sig, 0, sizeof sig);
    sig.kind = as == M2C_ABI_EVENT ? M2C_ABI_EVENT : M2C_ABI_FUNCTION;
    skip_ws(&c);
    const char *w;
    size_t at = c.pos;
    size_t wn = ident(&c, &w);
    if (wn == 0) return bad(&c, at, "expected a name");
    int keyword = 1;
    if (word_is(w, wn, "function"))
        sig.kind = M2C_ABI_FUNCTION;
    else if (word_is(w, wn, "event"))
        sig.kind = M2C_ABI_EVENT;
    else if (word_is(w, wn, "error"))
        sig.kind = M2C_ABI_ERROR;
    else
        keyword = 0;
    if (keyword) {
        size_t before = c.pos;
        skip_ws(&c);
        if (peek(&c) == '(') { /* "event(...)": the word is the name, not a keyword */
            sig.kind = as == M2C_ABI_EVENT ? M2C_ABI_EVENT : M2C_ABI_FUNCTION;
        } else {
            at = c.pos;
            if (c.pos == before) return bad(&c, at, "expected a space after the keyword");
            wn = ident(&c, &w);
            if (wn == 0) return bad(&c, at, "expected a name");
        }
    }
    sig.name = m2c_arena_strndup(a, w, wn);
    if (!sig.name) return nomem(&c);
    skip_ws(&c);
    if ((st = parse_params(&c, &sig.inputs, sig.kind == M2C_ABI_EVENT, 0))) return st;
    for (;;) {
        skip_ws(&c);
        int ch = peek(&c);
        if (ch < 0 || ch == ';') break;
        at = c.pos;
        if (ch == '(' && sig.kind == M2C_ABI_FUNCTION && !sig.outputs) {
            if ((st = parse_params(&c, &sig.outputs, 0, 0))) return st;
            continue;
        }
        wn = ident(&c, &w);
        if (wn == 0) return bad(&c, at, "unexpected character");
        if (sig.kind == M2C_ABI_FUNCTION && word_is(w, wn, "returns") && !sig.outputs) {
            skip_ws(&c);
            if ((st = parse_params(&c, &sig.outputs, 0, 0))) return st;
        } else if (sig.kind == M2C_ABI_FUNCTION && is_modifier(w, wn) && !sig.outputs) {
            /* dropped: not part of the ABI */
        } else if (sig.kind == M2C_ABI_EVENT && word_is(w, wn, "anonymous") && !sig.anonymous) {
            sig.anonymous = 1;
        } else {
            return bad(&c, at, "unexpected word");
        }
    }
    if (peek(&c) == ';') {
        c.pos++;
        skip_ws(&c);
        if (c.pos != len) return bad(&c, c.pos, "unexpected text after ';'");
    }
    if (!sig.outputs && (st = m2c_abi_tuple_make(a, &sig.outputs, NULL, 0, err))) return st;
    if (sig.kind == M2C_ABI_EVENT) {
        size_t nidx = 0;
        for (size_t i = 0; i < sig.inputs->n_fields; i++)
            nidx += sig.inputs->fields[i].indexed;
        if (nidx > (sig.anonymous ? 4u : 3u))
            return m2c_err_set(err, M2C_ERR_INVALID,
                               "abi signature: event has %zu indexed parameters (at most %d)", nidx,
                               sig.anonymous ? 4 : 3);
    }
    if ((st = m2c_abi_sig_finish_(a, &sig, err))) return st;
    *out = sig;
    return M2C_OK;
}
