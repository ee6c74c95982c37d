/* abi_json.c: loads ABI JSON (solc's --abi output, Foundry/Hardhat artifacts) into the same
 * signature descriptors the human-readable parser produces; see abi.h. */
#include "ml2chain/abi.h"

#include <jansson.h>
#include <string.h>

#include "abi_internal.h"

#define MAX_JSON_LEN   ((size_t)64 << 20)
#define MAX_ENTRIES    100000

static m2c_status jbad(m2c_err *err, size_t entry, const char *what) {
    return m2c_err_set(err, M2C_ERR_INVALID, "abi json: entry %zu: %s", entry, what);
}

static m2c_status load_params(m2c_arena *a, const m2c_abi_type **out, json_t *arr, int is_event,
                              unsigned depth, size_t entry, m2c_err *err);

/* One parameter's type: "uint256", "tuple", "tuple[2][]" (with components), ... */
static m2c_status load_type(m2c_arena *a, const m2c_abi_type **out, json_t *p, unsigned depth,
                            size_t entry, m2c_err *err) {
    m2c_status st;
    const char *ts = json_string_value(json_object_get(p, "type"));
    if (!ts) return jbad(err, entry, "parameter without a \"type\" string");
    if (strncmp(ts, "tuple", 5) != 0) {
        if ((st = m2c_abi_type_parse(a, out, ts, strlen(ts), err)))
            return m2c_err_prefix(err, "abi json: entry %zu", entry);
        return M2C_OK;
    }
    json_t *comps = json_object_get(p, "components");
    if (!json_is_array(comps)) return jbad(err, entry, "tuple without \"components\"");
    if (depth >= M2C_ABI_MAX_DEPTH) return jbad(err, entry, "type nested too deeply");
    const m2c_abi_type *t;
    if ((st = load_params(a, &t, comps, 0, depth + 1, entry, err))) return st;
    /* Array suffixes after "tuple": [] or [k], repeated. */
    const char *s = ts + 5;
    while (*s) {
        if (*s != '[') return jbad(err, entry, "bad tuple type suffix");
        s++;
        long k = -1;
        if (*s != ']') {
            if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != ']'))
                return jbad(err, entry, "bad array length");
            k = 0;
            while (*s >= '0' && *s <= '9') {
                if (k > M2C_ABI_MAX_FIXED_LEN) return jbad(err, entry, "array length too large");
                k = k * 10 + (*s++ - '0');
            }
        }
        if (*s != ']') return jbad(err, entry, "expected ']'");
        s++;
        if ((st = m2c_abi_array_make_(a, &t, t, k, err)))
            return m2c_err_prefix(err, "abi json: entry %zu", entry);
    }
    *out = t;
    return M2C_OK;
}

static m2c_status load_params(m2c_arena *a, const m2c_abi_type **out, json_t *arr, int is_event,
                              unsigned depth, size_t entry, m2c_err *err) {
    m2c_status st;
    size_t n = json_array_size(arr);
    if (n > M2C_ABI_MAX_FIELDS) return jbad(err, entry, "too many parameters");
    m2c_abi_field *fs = m2c_arena_calloc(a, n ? n : 1, sizeof *fs);
    if (!fs) return m2c_err_set(err, M2C_ERR_NOMEM, "abi json: out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(arr, i);
        if (!json_is_object(p)) return jbad(err, entry, "parameter is not an object");
        if ((st = load_type(a, &fs[i].type, p, depth, entry, err))) return st;
        const char *nm = json_string_value(json_object_get(p, "name"));
        fs[i].name = m2c_arena_strndup(a, nm ? nm : "", nm ? strlen(nm) : 0);
        if (!fs[i].name) return m2c_err_set(err, M2C_ERR_NOMEM, "abi json: out of memory");
        json_t *ix = json_object_get(p, "indexed");
        if (ix && !json_is_boolean(ix)) return jbad(err, entry, "\"indexed\" is not a boolean");
        fs[i].indexed = is_event && json_is_true(ix);
    }
    return m2c_abi_tuple_make(a, out, fs, n, err);
}

m2c_status m2c_abi_json_load(m2c_arena *a, m2c_abi_sig **out, size_t *n, const char *json,
                             size_t len, m2c_err *err) {
    *out = NULL;
    *n = 0;
    m2c_status st = M2C_OK;
    if (len > MAX_JSON_LEN)
        return m2c_err_set(err, M2C_ERR_RANGE, "abi json: document larger than %zu bytes",
                           MAX_JSON_LEN);
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root)
        return m2c_err_at(err, M2C_ERR_INVALID, (size_t)je.position,
                          "abi json: %s at line %d column %d", je.text, je.line, je.column);
    json_t *arr = root;
    if (json_is_object(root)) arr = json_object_get(root, "abi");
    if (!json_is_array(arr)) {
        st = m2c_err_set(err, M2C_ERR_INVALID,
                         "abi json: expected an array or an object with an \"abi\" array");
        goto out;
    }
    size_t total = json_array_size(arr);
    if (total > MAX_ENTRIES) {
        st = m2c_err_set(err, M2C_ERR_RANGE, "abi json: more than %d entries", MAX_ENTRIES);
        goto out;
    }
    m2c_abi_sig *sigs = m2c_arena_calloc(a, total ? total : 1, sizeof *sigs);
    if (!sigs) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "abi json: out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < total; i++) {
        json_t *e = json_array_get(arr, i);
        if (!json_is_object(e)) {
            st = jbad(err, i, "not an object");
            goto out;
        }
        const char *type = json_string_value(json_object_get(e, "type"));
        if (!type) type = "function"; /* solc's default when "type" is omitted */
        m2c_abi_sig *s = &sigs[k];
        memset(s, 0, sizeof *s);
        if (!strcmp(type, "function"))
            s->kind = M2C_ABI_FUNCTION;
        else if (!strcmp(type, "event"))
            s->kind = M2C_ABI_EVENT;
        else if (!strcmp(type, "error"))
            s->kind = M2C_ABI_ERROR;
        else if (!strcmp(type, "constructor"))
            s->kind = M2C_ABI_CONSTRUCTOR;
        else if (!strcmp(type, "fallback") || !strcmp(type, "receive"))
            continue;
        else {
            st = jbad(err, i, "unknown \"type\"");
            goto out;
        }
        const char *nm = json_string_value(json_object_get(e, "name"));
        if (!nm && s->kind != M2C_ABI_CONSTRUCTOR) {
            st = jbad(err, i, "missing \"name\"");
            goto out;
        }
        if (!nm) nm = "constructor";
        s->name = m2c_arena_strndup(a, nm, strlen(nm));
        if (!s->name) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "abi json: out of memory");
            goto out;
        }
        json_t *in = json_object_get(e, "inputs"), *outp = json_object_get(e, "outputs");
        json_t *empty = NULL;
        if ((in && !json_is_array(in)) || (outp && !json_is_array(outp))) {
            st = jbad(err, i, "\"inputs\"/\"outputs\" is not an array");
            goto out;
        }
        if (!in || !outp) empty = json_array();
        st = load_params(a, &s->inputs, in ? in : empty, s->kind == M2C_ABI_EVENT, 0, i, err);
        if (!st)
            st = load_params(a, &s->outputs, outp ? outp : empty, 0, 0, i, err);
        json_decref(empty);
        if (st) goto out;
        s->anonymous = s->kind == M2C_ABI_EVENT && json_is_true(json_object_get(e, "anonymous"));
        if ((st = m2c_abi_sig_finish_(a, s, err))) goto out;
        k++;
    }
    *out = sigs;
    *n = k;
out:
    json_decref(root);
    return st;
}
