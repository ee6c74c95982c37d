/* config.c: the node's configuration: defaults, JSON config file, deployment files. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml2chain/hex.h"
#include "ml2chain/node.h"
#include "ml2chain/u256.h"

void m2c_node_chain_default(m2c_node_chain_cfg *c) {
    memset(c, 0, sizeof *c);
    c->iface = M2C_IFACE_COORDINATOR;
    c->confirmations = 1;
    c->poll_ms = 1000;
    c->batch_size = 50;
    c->max_inflight = 32;
    c->replace_blocks = 3;
    c->max_range = 2000;
    c->min_prio = m2c_u256_from_u64(1000000000ull);
}

void m2c_node_cfg_default(m2c_node_cfg *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->state_path, sizeof c->state_path, "ml2chain-node.db");
    c->workers = 2;
}

static m2c_status copy_str(char *dst, size_t cap, const char *s, const char *key, m2c_err *err) {
    if (strlen(s) >= cap)
        return m2c_err_set(err, M2C_ERR_RANGE, "%s: longer than %zu bytes", key, cap - 1);
    memcpy(dst, s, strlen(s) + 1);
    return M2C_OK;
}

m2c_status m2c_node_chain_load_deployment(m2c_node_chain_cfg *c, const char *path, m2c_err *err) {
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    m2c_status st = M2C_OK;
    if (!j)
        return m2c_err_set(err, M2C_ERR_INVALID, "deployment %s: line %d: %s", path, je.line,
                           je.text);
    json_t *cid = json_object_get(j, "chainId"), *co = json_object_get(j, "coordinator"),
           *db = json_object_get(j, "deployBlock");
    if (!json_is_object(j) || !json_is_string(co)) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "deployment %s: no \"coordinator\" address", path);
        goto out;
    }
    if (m2c_addr_parse(&c->coordinator, json_string_value(co), err) != M2C_OK) {
        st = m2c_err_prefix(err, "deployment %s: coordinator", path);
        goto out;
    }
    c->has_coordinator = 1;
    if (cid) {
        if (!json_is_integer(cid) || json_integer_value(cid) <= 0) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "deployment %s: chainId is not a positive integer", path);
            goto out;
        }
        c->expect_chain_id = (uint64_t)json_integer_value(cid);
    }
    if (db) {
        if (!json_is_integer(db) || json_integer_value(db) < 0) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "deployment %s: deployBlock is not a block number", path);
            goto out;
        }
        c->start_block = (uint64_t)json_integer_value(db);
    }
out:
    json_decref(j);
    return st;
}

static m2c_status get_uint(uint64_t *out, json_t *v, uint64_t max, const char *key, m2c_err *err) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return m2c_err_set(err, M2C_ERR_INVALID, "%s: expected an integer in 0..%llu", key,
                           (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return M2C_OK;
}

static m2c_status get_gwei(m2c_u256 *out, json_t *v, const char *key, m2c_err *err) {
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e12)
        return m2c_err_set(err, M2C_ERR_INVALID, "%s: expected gwei as a number in 0..1e12", key);
    *out = m2c_u256_from_u64((uint64_t)(json_number_value(v) * 1e9 + 0.5));
    return M2C_OK;
}

static m2c_status parse_chain(m2c_node_chain_cfg *c, json_t *o, size_t idx, const char *base_dir,
                              m2c_err *err) {
    char key[96];
    const char *k;
    json_t *v;
    uint64_t u;
    if (!json_is_object(o))
        return m2c_err_set(err, M2C_ERR_INVALID, "chains[%zu]: expected an object", idx);
    m2c_status st = M2C_OK;
    json_object_foreach(o, k, v) {
        snprintf(key, sizeof key, "chains[%zu].%s", idx, k);
        if (!strcmp(k, "rpc")) {
            if (!json_is_string(v)) return m2c_err_set(err, M2C_ERR_INVALID, "%s: expected a URL", key);
            st = copy_str(c->rpc_url, sizeof c->rpc_url, json_string_value(v), key, err);
        } else if (!strcmp(k, "coordinator")) {
            if (!json_is_string(v) || m2c_addr_parse(&c->coordinator, json_string_value(v), err))
                return m2c_err_set(err, M2C_ERR_INVALID, "%s: expected a 0x address", key);
            c->has_coordinator = 1;
        } else if (!strcmp(k, "deployment")) {
            if (!json_is_string(v)) return m2c_err_set(err, M2C_ERR_INVALID, "%s: expected a path", key);
            char path[2048];
            const char *p = json_string_value(v);
            if (p[0] != '/' && base_dir && base_dir[0])
                snprintf(path, sizeof path, "%s/%s", base_dir, p);
            else
                snprintf(path, sizeof path, "%s", p);
            st = m2c_node_chain_load_deployment(c, path, err);
        } else if (!strcmp(k, "interface")) {
            const char *s = json_is_string(v) ? json_string_value(v) : "";
            if (!strcmp(s, "coordinator")) c->iface = M2C_IFACE_COORDINATOR;
            else if (!strcmp(s, "template")) c->iface = M2C_IFACE_TEMPLATE;
            else
                return m2c_err_set(err, M2C_ERR_INVALID, "%s: expected \"coordinator\" or \"template\"", key);
        } else if (!strcmp(k, "confirmations")) {
            if (!(st = get_uint(&u, v, 1000, key, err))) c->confirmations = (unsigned)u;
        } else if (!strcmp(k, "pollMs")) {
            if (!(st = get_uint(&u, v, 600000, key, err))) c->poll_ms = (unsigned)u;
        } else if (!strcmp(k, "batchSize")) {
            if (!(st = get_uint(&u, v, 500, key, err))) c->batch_size = (unsigned)u;
        } else if (!strcmp(k, "maxInflight")) {
            if (!(st = get_uint(&u, v, 256, key, err))) c->max_inflight = (unsigned)u;
        } else if (!strcmp(k, "replaceBlocks")) {
            if (!(st = get_uint(&u, v, 10000, key, err))) c->replace_blocks = (unsigned)u;
        } else if (!strcmp(k, "maxRange")) {
            if (!(st = get_uint(&u, v, 1000000, key, err))) c->max_range = u;
        } else if (!strcmp(k, "startBlock")) {
            if (!(st = get_uint(&u, v, (uint64_t)1 << 62, key, err))) c->start_block = u;
        } else if (!strcmp(k, "chainId")) {
            if (!(st = get_uint(&u, v, (uint64_t)1 << 62, key, err))) c->expect_chain_id = u;
        } else if (!strcmp(k, "feeCapGwei")) {
            st = get_gwei(&c->fee_cap, v, key, err);
        } else if (!strcmp(k, "minPriorityGwei")) {
            st = get_gwei(&c->min_prio, v, key, err);
        } else {
            return m2c_err_set(err, M2C_ERR_INVALID, "%s: unknown key", key);
        }
        if (st) return st;
    }
    return M2C_OK;
}

m2c_status m2c_node_cfg_parse_json(m2c_node_cfg *c, const char *text, const char *base_dir,
                                   m2c_err *err) {
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!j) return m2c_err_set(err, M2C_ERR_INVALID, "config: line %d: %s", je.line, je.text);
    m2c_status st = M2C_OK;
    const char *k;
    json_t *v;
    uint64_t u;
    if (!json_is_object(j)) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "config: expected a JSON object");
        goto out;
    }
    json_object_foreach(j, k, v) {
        if (!strcmp(k, "models") || !strcmp(k, "state") || !strcmp(k, "metrics")) {
            if (!json_is_string(v)) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "%s: expected a string", k);
                goto out;
            }
            char *dst = !strcmp(k, "models") ? c->models_dir
                        : !strcmp(k, "state") ? c->state_path : c->metrics_addr;
            size_t cap = !strcmp(k, "metrics") ? sizeof c->metrics_addr : sizeof c->models_dir;
            st = copy_str(dst, cap, json_string_value(v), k, err);
        } else if (!strcmp(k, "workers")) {
            if (!(st = get_uint(&u, v, 256, k, err))) c->workers = (unsigned)u;
        } else if (!strcmp(k, "chains")) {
            if (!json_is_array(v) || json_array_size(v) == 0 ||
                json_array_size(v) > M2C_NODE_MAX_CHAINS) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "chains: expected a list of 1..%d chains",
                                 M2C_NODE_MAX_CHAINS);
                goto out;
            }
            c->n_chains = json_array_size(v);
            for (size_t i = 0; i < c->n_chains && !st; i++) {
                m2c_node_chain_default(&c->chains[i]);
                st = parse_chain(&c->chains[i], json_array_get(v, i), i, base_dir, err);
            }
        } else {
            st = m2c_err_set(err, M2C_ERR_INVALID, "%s: unknown key", k);
        }
        if (st) goto out;
    }
out:
    json_decref(j);
    return st;
}

m2c_status m2c_node_cfg_load(m2c_node_cfg *c, const char *path, m2c_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return m2c_err_set(err, M2C_ERR_IO, "config %s: cannot open", path);
    char *text = malloc(1 << 20);
    m2c_status st = M2C_OK;
    if (!text) {
        fclose(f);
        return m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
    }
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    if (ferror(f) || !feof(f)) {
        st = m2c_err_set(err, M2C_ERR_IO, "config %s: cannot read (or larger than 1 MiB)", path);
        goto out;
    }
    text[n] = 0;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    st = m2c_node_cfg_parse_json(c, text, dir, err);
    if (st) m2c_err_prefix(err, "config %s", path);
out:
    fclose(f);
    free(text);
    return st;
}

m2c_status m2c_node_cfg_check(const m2c_node_cfg *c, m2c_err *err) {
    if (c->n_chains == 0)
        return m2c_err_set(err, M2C_ERR_INVALID, "no chain configured (give --rpc-url and --coordinator or --config)");
    if (!c->models_dir[0]) return m2c_err_set(err, M2C_ERR_INVALID, "no models directory (--models)");
    if (c->workers == 0 || c->workers > 256)
        return m2c_err_set(err, M2C_ERR_INVALID, "workers must be 1..256");
    if (c->test_lie_rate < 0 || c->test_lie_rate > 1)
        return m2c_err_set(err, M2C_ERR_INVALID, "test lie rate must be in [0, 1]");
    for (size_t i = 0; i < c->n_chains; i++) {
        const m2c_node_chain_cfg *ch = &c->chains[i];
        if (!ch->rpc_url[0]) return m2c_err_set(err, M2C_ERR_INVALID, "chains[%zu]: no rpc URL", i);
        if (!ch->has_coordinator)
            return m2c_err_set(err, M2C_ERR_INVALID, "chains[%zu]: no coordinator address", i);
        if (ch->batch_size == 0) return m2c_err_set(err, M2C_ERR_INVALID, "chains[%zu]: batch size must be >= 1", i);
        if (ch->max_inflight == 0)
            return m2c_err_set(err, M2C_ERR_INVALID, "chains[%zu]: max in-flight must be >= 1", i);
        if (ch->max_range == 0) return m2c_err_set(err, M2C_ERR_INVALID, "chains[%zu]: max range must be >= 1", i);
        if (ch->replace_blocks == 0)
            return m2c_err_set(err, M2C_ERR_INVALID, "chains[%zu]: replace blocks must be >= 1", i);
        for (size_t j = 0; j < i; j++)
            if (c->chains[j].expect_chain_id && c->chains[j].expect_chain_id == ch->expect_chain_id)
                return m2c_err_set(err, M2C_ERR_INVALID,
                                   "chains[%zu]: chain id %llu appears twice (one key has one nonce sequence per chain)",
                                   i, (unsigned long long)ch->expect_chain_id);
    }
    return M2C_OK;
}
