/* import_quant.c: float tree ensembles and dense networks (from the importers and the gbdt
 * trainer) into qmodels, following docs/qmodel.md section 9 and docs/import.md. */
#include "ml2chain/import.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The real number below which float32(x) < t: the midpoint between t and the float32 just
 * below it (exact in double). A tie at exactly the midpoint rounds to even in float32;
 * the qmodel sends it right, as for even t (docs/import.md). */
static double float_threshold(float t) {
    float prev = nextafterf(t, -INFINITY);
    return ((double)prev + (double)t) / 2.0;
}

m2c_status m2c_ftrees_to_qmodel(m2c_qmodel **out, const m2c_ftrees *t,
                                const m2c_feature_stats *stats, unsigned d_in, unsigned d_out,
                                m2c_err *err) {
    m2c_status st = M2C_OK;
    m2c_qmodel *q = NULL;
    double *lo = NULL, *hi = NULL;
    *out = NULL;
    if (stats && stats->n != t->n_features)
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "import: statistics for %u features, the model has %u", stats->n,
                           t->n_features);
    if (d_in > M2C_QMODEL_MAX_DECIMALS || d_out > M2C_QMODEL_MAX_DECIMALS)
        return m2c_err_set(err, M2C_ERR_RANGE, "import: decimals above %d",
                           M2C_QMODEL_MAX_DECIMALS);
    if ((st = m2c_qmodel_alloc(&q, M2C_QKIND_GBDT, (m2c_qtransform)t->transform, t->n_features,
                               t->n_out, (unsigned)t->n_trees, err)) != M2C_OK)
        goto out;
    q->in_decimals = (uint8_t)d_in;
    q->out_decimals = (uint8_t)d_out;
    lo = malloc(t->n_features * sizeof *lo);
    hi = malloc(t->n_features * sizeof *hi);
    if (!lo || !hi) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "import: out of memory");
        goto out;
    }
    for (uint32_t f = 0; f < t->n_features; f++) {
        lo[f] = stats ? stats->min[f] : INFINITY;
        hi[f] = stats ? stats->max[f] : -INFINITY;
    }
    for (size_t i = 0; i < t->n_trees; i++)
        for (uint32_t k = 0; k < t->trees[i].n_nodes; k++) {
            const m2c_ftree_node *nd = &t->trees[i].nodes[k];
            if (nd->feature == M2C_FTREE_LEAF) continue;
            double th = float_threshold(nd->value);
            if (th < lo[nd->feature]) lo[nd->feature] = th;
            if ((double)nd->value > hi[nd->feature]) hi[nd->feature] = nd->value;
        }
    for (uint32_t f = 0; f < t->n_features; f++) {
        double mu = 0, sigma = 1;
        if (lo[f] <= hi[f]) {
            mu = (lo[f] + hi[f]) / 2;
            double half = (hi[f] - lo[f]) / 2;
            if (!(half > 0)) half = fmax(fabs(mu), 1e-6) * ldexp(1.0, -10);
            sigma = half / 16384.0;
        }
        q->in[f] = m2c_qmodel_in_scaling(mu, sigma, d_in);
    }

    /* Leaves: margins for classifiers; regression scaled into the output record. */
    double scale = 1, offset = 0;
    int regression = t->transform == M2C_FOUT_IDENTITY;
    if (regression) {
        double bound = 0;
        for (size_t i = 0; i < t->n_trees; i++) {
            double mx = 0;
            for (uint32_t k = 0; k < t->trees[i].n_nodes; k++)
                if (t->trees[i].nodes[k].feature == M2C_FTREE_LEAF)
                    mx = fmax(mx, fabs((double)t->trees[i].nodes[k].value));
            bound += mx;
        }
        scale = bound > 0 ? bound / 16384.0 : 1;
        offset = t->base[0];
        q->base[0] = 0;
        q->out[0] = m2c_qmodel_out_scaling(offset, scale, d_out);
    } else {
        for (uint32_t j = 0; j < t->n_out; j++) {
            if (!(fabs(t->base[j]) < 32768)) {
                st = m2c_err_set(err, M2C_ERR_RANGE, "import: base margin %g outside Q16",
                                 t->base[j]);
                goto out;
            }
            q->base[j] = m2c_q16_from_double(t->base[j]);
            q->out[j] = m2c_qmodel_out_probability(d_out);
        }
    }
    for (size_t i = 0; i < t->n_trees; i++) {
        const m2c_ftree *ft = &t->trees[i];
        if ((st = m2c_qmodel_alloc_tree(q, (unsigned)i, ft->output, ft->n_nodes, err)) != M2C_OK)
            goto out;
        for (uint32_t k = 0; k < ft->n_nodes; k++) {
            const m2c_ftree_node *nd = &ft->nodes[k];
            m2c_qmodel_node *qn = &q->trees[i].nodes[k];
            if (nd->feature == M2C_FTREE_LEAF) {
                double v = (double)nd->value / scale;
                if (!(fabs(v) < 32768)) {
                    st = m2c_err_set(err, M2C_ERR_RANGE,
                                     "import: tree %zu node %u: leaf %g outside the Q16 range", i,
                                     k, (double)nd->value);
                    goto out;
                }
                qn->feature = M2C_QMODEL_LEAF;
                qn->value = m2c_q16_from_double(v);
                qn->right = 0;
            } else {
                qn->feature = (uint16_t)nd->feature;
                qn->value =
                    m2c_qmodel_threshold(&q->in[nd->feature], float_threshold(nd->value), d_in);
                qn->right = (uint16_t)nd->right;
            }
        }
    }
    if ((st = m2c_qmodel_check(q, err)) != M2C_OK) {
        m2c_err_prefix(err, "import");
        goto out;
    }
    *out = q;
    q = NULL;
out:
    free(lo);
    free(hi);
    m2c_qmodel_free(q);
    return st;
}

static m2c_status put_q16(int32_t *dst, double v, unsigned layer, unsigned j, unsigned i, int bias,
                          m2c_err *err) {
    if (!(fabs(v) < 32767.99)) {
        if (bias)
            return m2c_err_set(err, M2C_ERR_RANGE,
                               "import: layer %u bias %u is %g after input scaling: outside the "
                               "Q16 range (+-32768); pass --calibration data",
                               layer, j, v);
        return m2c_err_set(err, M2C_ERR_RANGE,
                           "import: layer %u weight [%u][%u] is %g after input scaling: outside "
                           "the Q16 range (+-32768); pass --calibration data",
                           layer, j, i, v);
    }
    *dst = m2c_q16_from_double(v);
    return M2C_OK;
}

m2c_status m2c_fmlp_to_qmodel(m2c_qmodel **out, const m2c_fmlp *m, const m2c_feature_stats *stats,
                              double out_scale, unsigned d_in, unsigned d_out, m2c_err *err) {
    m2c_status st = M2C_OK;
    m2c_qmodel *q = NULL;
    *out = NULL;
    if (stats && stats->n != m->n_in)
        return m2c_err_set(err, M2C_ERR_INVALID,
                           "import: statistics for %u features, the model has %u inputs", stats->n,
                           m->n_in);
    if (!(out_scale >= 1) || !isfinite(out_scale))
        return m2c_err_set(err, M2C_ERR_RANGE, "import: output scale %g must be >= 1", out_scale);
    if (d_in > M2C_QMODEL_MAX_DECIMALS || d_out > M2C_QMODEL_MAX_DECIMALS)
        return m2c_err_set(err, M2C_ERR_RANGE, "import: decimals above %d",
                           M2C_QMODEL_MAX_DECIMALS);
    m2c_qkind kind = m->n_layers >= 2                    ? M2C_QKIND_MLP
                     : m->transform == M2C_FOUT_IDENTITY ? M2C_QKIND_LINEAR
                                                         : M2C_QKIND_LOGISTIC;
    if (m->n_layers == 1 && m->layers[0].act != M2C_FACT_IDENTITY)
        return m2c_err_set(err, M2C_ERR_INVALID, "import: a single layer must have no activation");
    if ((st = m2c_qmodel_alloc(&q, kind, (m2c_qtransform)m->transform, m->n_in, m->n_out,
                               m->n_layers, err)) != M2C_OK)
        goto out;
    q->in_decimals = (uint8_t)d_in;
    q->out_decimals = (uint8_t)d_out;
    for (uint32_t i = 0; i < m->n_in; i++) {
        double mu = stats ? stats->mean[i] : 0;
        double sd = stats && stats->std[i] > 0 ? stats->std[i] : 1;
        q->in[i] = m2c_qmodel_in_scaling(mu, sd, d_in);
    }
    for (uint32_t li = 0; li < m->n_layers; li++) {
        const m2c_fmlp_layer *l = &m->layers[li];
        if ((st = m2c_qmodel_alloc_layer(q, li, l->n_out, (m2c_qact)l->act, err)) != M2C_OK)
            goto out;
        int last = li + 1 == m->n_layers;
        double div = last && m->transform == M2C_FOUT_IDENTITY ? out_scale : 1;
        for (uint32_t j = 0; j < l->n_out; j++) {
            double b = l->b[j];
            for (uint32_t i = 0; i < l->n_in; i++) {
                double w = l->w[(size_t)j * l->n_in + i];
                if (li == 0 && stats) {
                    /* x_i = mu_i + sd_i * z_i: fold the input scaling into layer 0. */
                    double sd = stats->std[i] > 0 ? stats->std[i] : 1;
                    b += w * stats->mean[i];
                    w *= sd;
                }
                if ((st = put_q16(&q->layers[li].w[(size_t)j * l->n_in + i], w / div, li, j, i, 0,
                                  err)) != M2C_OK)
                    goto out;
            }
            if ((st = put_q16(&q->layers[li].b[j], b / div, li, j, 0, 1, err)) != M2C_OK) goto out;
        }
    }
    for (uint32_t j = 0; j < m->n_out; j++)
        q->out[j] = m->transform == M2C_FOUT_IDENTITY ? m2c_qmodel_out_scaling(0, out_scale, d_out)
                                                      : m2c_qmodel_out_probability(d_out);
    if ((st = m2c_qmodel_check(q, err)) != M2C_OK) {
        m2c_err_prefix(err, "import");
        goto out;
    }
    *out = q;
    q = NULL;
out:
    m2c_qmodel_free(q);
    return st;
}
