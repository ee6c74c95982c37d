/* import_xgb.c: XGBoost JSON models (save_model("x.json"), XGBoosterSaveModelToBuffer with
 * format json) into a float tree ensemble in qmodel's canonical pre-order. The file is
 * untrusted: every array is type- and length-checked against the tree's declared node count,
 * children are followed with an explicit stack (each node at most once, depth capped), and
 * the caps of import.h are enforced before anything proportional to a declared size is
 * allocated. */
#include "ml2chain/import.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    uint8_t transform;
    int logistic_base; /* base_score is a probability: the margin is logit(base_score) */
    int multi;
} objective_info;

static const objective_info objectives[] = {
    {"reg:squarederror", M2C_FOUT_IDENTITY, 0, 0},
    {"reg:linear", M2C_FOUT_IDENTITY, 0, 0},
    {"reg:absoluteerror", M2C_FOUT_IDENTITY, 0, 0},
    {"reg:pseudohubererror", M2C_FOUT_IDENTITY, 0, 0},
    {"binary:logitraw", M2C_FOUT_IDENTITY, 0, 0},
    {"reg:logistic", M2C_FOUT_SIGMOID, 1, 0},
    {"binary:logistic", M2C_FOUT_SIGMOID, 1, 0},
    {"multi:softprob", M2C_FOUT_SOFTMAX, 0, 1},
    {"multi:softmax", M2C_FOUT_SOFTMAX, 0, 1},
};

void m2c_ftrees_free(m2c_ftrees *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_trees; i++)
        free(t->trees[i].nodes);
    free(t->trees);
    free(t);
}

static json_t *get(json_t *obj, const char *key) {
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

/* XGBoost writes scalar parameters as strings ("5E-1", "30"); accept a number too. */
static m2c_status param_double(double *out, json_t *obj, const char *key, const char *where,
                               m2c_err *err) {
    json_t *v = get(obj, key);
    if (json_is_number(v)) {
        *out = json_number_value(v);
    } else if (json_is_string(v)) {
        /* XGBoost 2.1+ writes the intercept as a one-element vector: "[5E-1]". */
        const char *s = json_string_value(v), *p = s;
        int bracket = *p == '[';
        if (bracket) p++;
        char *end = NULL;
        errno = 0;
        *out = strtod(p, &end);
        if (bracket && *end == ',')
            return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                               "xgboost: %s.%s: a vector (one value per output) is not supported",
                               where, key);
        int unclosed = bracket && *end != ']';
        if (bracket && !unclosed) end++;
        if (end == p || unclosed || *end != 0 || errno == ERANGE)
            return m2c_err_set(err, M2C_ERR_INVALID, "xgboost: %s.%s: not a number: \"%.40s\"",
                               where, key, s);
    } else {
        return m2c_err_set(err, M2C_ERR_INVALID, "xgboost: %s.%s: missing or not a number", where,
                           key);
    }
    if (!isfinite(*out))
        return m2c_err_set(err, M2C_ERR_INVALID, "xgboost: %s.%s: not finite", where, key);
    return M2C_OK;
}

static m2c_status param_uint(uint32_t *out, json_t *obj, const char *key, const char *where,
                             uint32_t max, m2c_err *err) {
    double d;
    m2c_status st = param_double(&d, obj, key, where, err);
    if (st != M2C_OK) return st;
    if (d < 0 || d != floor(d))
        return m2c_err_set(err, M2C_ERR_INVALID, "xgboost: %s.%s: not a non-negative integer",
                           where, key);
    if (d > max)
        return m2c_err_set(err, M2C_ERR_RANGE, "xgboost: %s.%s: %.0f exceeds %u", where, key, d,
                           max);
    *out = (uint32_t)d;
    return M2C_OK;
}

/* A JSON array of exactly `n` numbers (integers when `integers`). */
static m2c_status want_array(json_t **out, json_t *tree, const char *key, size_t n, int integers,
                             size_t ti, m2c_err *err) {
    json_t *a = get(tree, key);
    *out = a;
    if (!json_is_array(a))
        return m2c_err_set(err, M2C_ERR_INVALID, "xgboost: tree %zu: %s missing or not an array",
                           ti, key);
    if (json_array_size(a) != n)
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "xgboost: tree %zu: %s has %zu entries, num_nodes is %zu", ti, key,
                           json_array_size(a), n);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (integers ? !json_is_integer(v) : !json_is_number(v))
            return m2c_err_set(err, M2C_ERR_INVALID, "xgboost: tree %zu: %s[%zu] is not %s", ti,
                               key, i, integers ? "an integer" : "a number");
    }
    return M2C_OK;
}

typedef struct {
    uint32_t src;    /* XGBoost node id */
    uint32_t parent; /* output index of the parent whose right child this is, or UINT32_MAX */
    uint32_t depth;
} walk_item;

/* Converts one XGBoost tree (parallel arrays, children by id) into pre-order nodes. */
static m2c_status convert_tree(m2c_ftree *out, json_t *tree, size_t ti, uint32_t n_features,
                               double leaf_scale, size_t *total_nodes, m2c_err *err) {
    m2c_status st = M2C_OK;
    uint8_t *seen = NULL;
    walk_item *stack = NULL;
    json_t *left, *right, *split_idx, *cond, *gain = NULL, *stype;
    uint32_t n = 0;

    json_t *tp = get(tree, "tree_param");
    char where[48];
    snprintf(where, sizeof where, "tree %zu: tree_param", ti);
    if ((st = param_uint(&n, tp, "num_nodes", where, 1u << 24, err)) != M2C_OK) goto out;
    if (n == 0) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "xgboost: tree %zu: num_nodes is 0", ti);
        goto out;
    }
    if (get(tp, "size_leaf_vector")) {
        uint32_t slv = 0;
        if ((st = param_uint(&slv, tp, "size_leaf_vector", where, 1u << 16, err)) != M2C_OK)
            goto out;
        if (slv > 1) {
            st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                             "xgboost: tree %zu: vector leaves (multi_strategy) are not supported",
                             ti);
            goto out;
        }
    }
    if ((st = want_array(&left, tree, "left_children", n, 1, ti, err)) != M2C_OK ||
        (st = want_array(&right, tree, "right_children", n, 1, ti, err)) != M2C_OK ||
        (st = want_array(&split_idx, tree, "split_indices", n, 1, ti, err)) != M2C_OK ||
        (st = want_array(&cond, tree, "split_conditions", n, 0, ti, err)) != M2C_OK)
        goto out;
    if (get(tree, "loss_changes") &&
        (st = want_array(&gain, tree, "loss_changes", n, 0, ti, err)) != M2C_OK)
        goto out;
    stype = get(tree, "split_type");
    if (stype) {
        if ((st = want_array(&stype, tree, "split_type", n, 1, ti, err)) != M2C_OK) goto out;
    }

    seen = calloc(n, 1);
    /* The stack holds at most one pending right child per level plus the current node. */
    stack = malloc((M2C_IMPORT_MAX_DEPTH + 2) * sizeof *stack);
    /* Reachable nodes are at most n but also at most the cap; allocate the smaller. */
    size_t cap = n < M2C_IMPORT_MAX_TREE_NODES ? n : M2C_IMPORT_MAX_TREE_NODES;
    out->nodes = calloc(cap, sizeof *out->nodes);
    if (!seen || !stack || !out->nodes) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "xgboost: out of memory");
        goto out;
    }
    size_t sp = 0, k = 0;
    stack[sp++] = (walk_item){0, UINT32_MAX, 0};
    while (sp > 0) {
        walk_item it = stack[--sp];
        uint32_t id = it.src;
        if (seen[id]) {
            st = m2c_err_set(err, M2C_ERR_INVALID,
                             "xgboost: tree %zu: node %u is reached twice (not a tree)", ti, id);
            goto out;
        }
        seen[id] = 1;
        if (k >= cap) {
            st = m2c_err_set(err, M2C_ERR_RANGE, "xgboost: tree %zu: more than %d nodes", ti,
                             M2C_IMPORT_MAX_TREE_NODES);
            goto out;
        }
        if (it.parent != UINT32_MAX) out->nodes[it.parent].right = (uint32_t)k;
        json_int_t l = json_integer_value(json_array_get(left, id));
        json_int_t r = json_integer_value(json_array_get(right, id));
        double v = json_number_value(json_array_get(cond, id));
        m2c_ftree_node *nd = &out->nodes[k];
        if (l == -1 && r == -1) {
            double leaf = v * leaf_scale;
            if (!isfinite(leaf) || fabs(leaf) > 3.4e38) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "xgboost: tree %zu: node %u: bad leaf value",
                                 ti, id);
                goto out;
            }
            nd->feature = M2C_FTREE_LEAF;
            nd->value = (float)leaf;
            nd->right = 0;
            nd->gain = 0;
            k++;
            continue;
        }
        if (l < 1 || r < 1 || l >= (json_int_t)n || r >= (json_int_t)n) {
            st = m2c_err_set(err, M2C_ERR_INVALID,
                             "xgboost: tree %zu: node %u: children %lld, %lld out of range "
                             "(num_nodes %u)",
                             ti, id, (long long)l, (long long)r, n);
            goto out;
        }
        if (stype && json_integer_value(json_array_get(stype, id)) != 0) {
            st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                             "xgboost: tree %zu: node %u: categorical splits are not supported", ti,
                             id);
            goto out;
        }
        json_int_t f = json_integer_value(json_array_get(split_idx, id));
        if (f < 0 || f >= (json_int_t)n_features) {
            st = m2c_err_set(err, M2C_ERR_INVALID,
                             "xgboost: tree %zu: node %u: split feature %lld out of range "
                             "(num_feature %u)",
                             ti, id, (long long)f, n_features);
            goto out;
        }
        if (!isfinite(v) || fabs(v) > 3.4e38) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "xgboost: tree %zu: node %u: bad threshold", ti,
                             id);
            goto out;
        }
        if (it.depth >= M2C_IMPORT_MAX_DEPTH) {
            st = m2c_err_set(err, M2C_ERR_RANGE, "xgboost: tree %zu: deeper than %d splits", ti,
                             M2C_IMPORT_MAX_DEPTH);
            goto out;
        }
        nd->feature = (uint32_t)f;
        nd->value = (float)v;
        nd->right = 0; /* set when the right child is emitted */
        nd->gain = gain ? (float)json_number_value(json_array_get(gain, id)) : 0.0f;
        /* Right first so that the left child is popped (emitted) next: pre-order. */
        stack[sp++] = (walk_item){(uint32_t)r, (uint32_t)k, it.depth + 1};
        stack[sp++] = (walk_item){(uint32_t)l, UINT32_MAX, it.depth + 1};
        k++;
    }
    out->n_nodes = (uint32_t)k;
    *total_nodes += k;
    if (*total_nodes > M2C_IMPORT_MAX_TOTAL_NODES)
        st = m2c_err_set(err, M2C_ERR_RANGE, "xgboost: more than %zu nodes in all trees",
                         M2C_IMPORT_MAX_TOTAL_NODES);
out:
    free(seen);
    free(stack);
    return st;
}

m2c_status m2c_xgb_parse(m2c_ftrees **out, const char *text, size_t len, m2c_err *err) {
    m2c_status st = M2C_OK;
    m2c_ftrees *t = NULL;
    json_t *root = NULL;
    *out = NULL;
    if (len > M2C_IMPORT_MAX_XGB_BYTES)
        return m2c_err_set(err, M2C_ERR_RANGE, "xgboost: model is %zu bytes, more than %zu", len,
                           M2C_IMPORT_MAX_XGB_BYTES);
    json_error_t je;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        st = m2c_err_at(err, M2C_ERR_INVALID, (size_t)je.position,
                        "xgboost: not valid json at byte %d: %s", je.position, je.text);
        goto out;
    }
    json_t *learner = get(root, "learner");
    if (!json_is_object(learner)) {
        st = m2c_err_set(err, M2C_ERR_INVALID,
                         "xgboost: no \"learner\" object (not an xgboost "
                         "json model)");
        goto out;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "xgboost: out of memory");
        goto out;
    }

    /* Objective. */
    json_t *obj = get(learner, "objective");
    const char *oname = json_string_value(get(obj, "name"));
    if (!oname) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "xgboost: learner.objective.name missing");
        goto out;
    }
    const objective_info *oi = NULL;
    for (size_t i = 0; i < sizeof objectives / sizeof objectives[0]; i++)
        if (!strcmp(objectives[i].name, oname)) oi = &objectives[i];
    if (!oi) {
        st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                         "xgboost: objective \"%.40s\" is not supported (supported: "
                         "reg:squarederror, reg:absoluteerror, reg:pseudohubererror, "
                         "reg:logistic, binary:logistic, binary:logitraw, multi:softprob, "
                         "multi:softmax)",
                         oname);
        goto out;
    }
    snprintf(t->objective, sizeof t->objective, "%s", oname);
    t->transform = oi->transform;

    /* Model parameters. */
    json_t *mp = get(learner, "learner_model_param");
    uint32_t num_class = 0, num_feature = 0;
    double base_score = 0;
    if ((st = param_double(&base_score, mp, "base_score", "learner_model_param", err)) != M2C_OK ||
        (st = param_uint(&num_class, mp, "num_class", "learner_model_param", 1u << 20, err)) !=
            M2C_OK ||
        (st = param_uint(&num_feature, mp, "num_feature", "learner_model_param", 1u << 30, err)) !=
            M2C_OK)
        goto out;
    if (get(mp, "num_target")) {
        uint32_t nt = 0;
        if ((st = param_uint(&nt, mp, "num_target", "learner_model_param", 1u << 20, err)) !=
            M2C_OK)
            goto out;
        if (nt > 1) {
            st = m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                             "xgboost: multi-target models (num_target %u) are not supported", nt);
            goto out;
        }
    }
    if (num_feature < 1 || num_feature > M2C_IMPORT_MAX_FEATURES) {
        st = m2c_err_set(err, M2C_ERR_RANGE, "xgboost: num_feature %u not in 1..%d", num_feature,
                         M2C_IMPORT_MAX_FEATURES);
        goto out;
    }
    t->n_features = num_feature;
    if (oi->multi) {
        if (num_class < 2 || num_class > M2C_IMPORT_MAX_OUTPUTS) {
            st = m2c_err_set(err, M2C_ERR_RANGE, "xgboost: %s with num_class %u (need 2..%d)",
                             oname, num_class, M2C_IMPORT_MAX_OUTPUTS);
            goto out;
        }
        t->n_out = num_class;
    } else {
        if (num_class > 1) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "xgboost: %s with num_class %u", oname,
                             num_class);
            goto out;
        }
        t->n_out = 1;
    }
    double margin = base_score;
    if (oi->logistic_base) {
        /* XGBoost stores base_score in probability space for the logistic objectives and
         * adds logit(base_score) to the margin (checked against xgboost 1.7 in the tests). */
        if (!(base_score > 0 && base_score < 1)) {
            st = m2c_err_set(err, M2C_ERR_INVALID,
                             "xgboost: base_score %g of %s is not a probability in (0, 1)",
                             base_score, oname);
            goto out;
        }
        margin = log(base_score / (1 - base_score));
    }
    for (uint32_t j = 0; j < t->n_out; j++)
        t->base[j] = margin;

    /* Booster. */
    json_t *gb = get(learner, "gradient_booster");
    const char *gbname = json_string_value(get(gb, "name"));
    json_t *model = NULL, *weight_drop = NULL;
    if (gbname && !strcmp(gbname, "gbtree")) {
        model = get(gb, "model");
    } else if (gbname && !strcmp(gbname, "dart")) {
        model = get(get(gb, "gbtree"), "model");
        weight_drop = get(gb, "weight_drop");
    } else {
        st = m2c_err_set(err, gbname ? M2C_ERR_UNSUPPORTED : M2C_ERR_INVALID,
                         "xgboost: booster \"%.20s\" is not supported (gbtree, dart)",
                         gbname ? gbname : "(missing)");
        goto out;
    }
    json_t *trees = get(model, "trees"), *info = get(model, "tree_info");
    if (!json_is_array(trees) || !json_is_array(info) ||
        json_array_size(trees) != json_array_size(info)) {
        st = m2c_err_set(err, M2C_ERR_INVALID,
                         "xgboost: gradient_booster model needs arrays trees and tree_info of "
                         "equal length");
        goto out;
    }
    size_t nt = json_array_size(trees);
    if (nt < 1 || nt > M2C_IMPORT_MAX_TREES) {
        st = m2c_err_set(err, M2C_ERR_RANGE, "xgboost: %zu trees (need 1..%d)", nt,
                         M2C_IMPORT_MAX_TREES);
        goto out;
    }
    if (weight_drop && (!json_is_array(weight_drop) || json_array_size(weight_drop) != nt)) {
        st = m2c_err_set(err, M2C_ERR_INVALID,
                         "xgboost: dart weight_drop must have one entry "
                         "per tree");
        goto out;
    }
    t->trees = calloc(nt, sizeof *t->trees);
    if (!t->trees) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "xgboost: out of memory");
        goto out;
    }
    size_t total = 0;
    for (size_t i = 0; i < nt; i++) {
        json_t *ti = json_array_get(info, i);
        if (!json_is_integer(ti) || json_integer_value(ti) < 0 ||
            json_integer_value(ti) >= (json_int_t)t->n_out) {
            st =
                m2c_err_set(err, M2C_ERR_INVALID,
                            "xgboost: tree_info[%zu] is not an output index below %u", i, t->n_out);
            goto out;
        }
        double scale = 1;
        if (weight_drop) {
            json_t *w = json_array_get(weight_drop, i);
            if (!json_is_number(w) || !isfinite(json_number_value(w))) {
                st = m2c_err_set(err, M2C_ERR_INVALID, "xgboost: weight_drop[%zu] not a number", i);
                goto out;
            }
            scale = json_number_value(w);
        }
        t->trees[i].output = (uint32_t)json_integer_value(ti);
        t->n_trees = i + 1; /* so that free() sees this tree's nodes on failure */
        if ((st = convert_tree(&t->trees[i], json_array_get(trees, i), i, t->n_features, scale,
                               &total, err)) != M2C_OK)
            goto out;
    }
    *out = t;
    t = NULL;
out:
    json_decref(root);
    m2c_ftrees_free(t);
    return st;
}

m2c_status m2c_xgb_parse_file(m2c_ftrees **out, const char *path, m2c_err *err) {
    *out = NULL;
    m2c_status st = M2C_OK;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return m2c_err_set(err, M2C_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16;
    buf = malloc(cap);
    if (!buf) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap > M2C_IMPORT_MAX_XGB_BYTES) {
                st = m2c_err_set(err, M2C_ERR_RANGE, "%s: larger than %zu bytes", path,
                                 M2C_IMPORT_MAX_XGB_BYTES);
                goto out;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                st = m2c_err_set(err, M2C_ERR_NOMEM, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        if (r == 0) break;
        len += r;
    }
    if (ferror(f)) {
        st = m2c_err_set(err, M2C_ERR_IO, "%s: read error", path);
        goto out;
    }
    if ((st = m2c_xgb_parse(out, buf, len, err)) != M2C_OK) m2c_err_prefix(err, "%s", path);
out:
    free(buf);
    fclose(f);
    return st;
}

static void apply_transform(uint8_t transform, double *p, const double *m, size_t n) {
    if (transform == M2C_FOUT_SIGMOID) {
        p[0] = 1.0 / (1.0 + exp(-m[0]));
    } else if (transform == M2C_FOUT_SOFTMAX) {
        double mx = m[0], s = 0;
        for (size_t j = 1; j < n; j++)
            if (m[j] > mx) mx = m[j];
        for (size_t j = 0; j < n; j++)
            s += (p[j] = exp(m[j] - mx));
        for (size_t j = 0; j < n; j++)
            p[j] /= s;
    } else {
        for (size_t j = 0; j < n; j++)
            p[j] = m[j];
    }
}

void m2c_ftrees_predict(const m2c_ftrees *t, double *p, double *margin, const double *x) {
    double m[M2C_IMPORT_MAX_OUTPUTS];
    /* XGBoost starts each output at the base margin and adds leaves in float32. */
    float acc[M2C_IMPORT_MAX_OUTPUTS];
    for (uint32_t j = 0; j < t->n_out; j++)
        acc[j] = (float)t->base[j];
    for (size_t i = 0; i < t->n_trees; i++) {
        const m2c_ftree *tr = &t->trees[i];
        uint32_t k = 0;
        while (tr->nodes[k].feature != M2C_FTREE_LEAF) {
            const m2c_ftree_node *nd = &tr->nodes[k];
            k = (float)x[nd->feature] < nd->value ? k + 1 : nd->right;
        }
        acc[tr->output] += tr->nodes[k].value;
    }
    for (uint32_t j = 0; j < t->n_out; j++)
        m[j] = (double)acc[j];
    if (margin) memcpy(margin, m, t->n_out * sizeof *m);
    apply_transform(t->transform, p, m, t->n_out);
}

void m2c_ftrees_importance(const m2c_ftrees *t, double *gain, double *splits) {
    for (uint32_t f = 0; f < t->n_features; f++) {
        if (gain) gain[f] = 0;
        if (splits) splits[f] = 0;
    }
    for (size_t i = 0; i < t->n_trees; i++)
        for (uint32_t k = 0; k < t->trees[i].n_nodes; k++) {
            const m2c_ftree_node *nd = &t->trees[i].nodes[k];
            if (nd->feature == M2C_FTREE_LEAF) continue;
            if (gain) gain[nd->feature] += nd->gain;
            if (splits) splits[nd->feature] += 1;
        }
}
