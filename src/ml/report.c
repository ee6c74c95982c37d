/* report.c: the self-contained HTML training report (report.h). Everything is drawn as
 * inline SVG by the small plotting helpers below; the page references nothing outside itself. */
#include "ml2chain/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C_FLOAT    "#2563eb"
#define C_QUANT    "#ea580c"
#define C_VALID    "#16a34a"
#define MAX_POINTS 2000 /* scatter points drawn (every k-th row beyond this) */

typedef struct {
    m2c_buf *b;
    int ok;
} out_t;

static void put(out_t *o, const char *fmt, ...) M2C_PRINTF(2, 3);
static void put(out_t *o, const char *fmt, ...) {
    if (!o->ok) return;
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp || m2c_buf_append(o->b, tmp, (size_t)n) != M2C_OK)
        o->ok = 0;
}

static void put_esc(out_t *o, const char *s) {
    for (; s && *s && o->ok; s++) {
        switch (*s) {
        case '<': put(o, "&lt;"); break;
        case '>': put(o, "&gt;"); break;
        case '&': put(o, "&amp;"); break;
        case '"': put(o, "&quot;"); break;
        default:
            if (m2c_buf_append_byte(o->b, (uint8_t)*s) != M2C_OK) o->ok = 0;
        }
    }
}

/* ---------------------------------------------------------------- metrics */

typedef struct {
    const char *name;
    double f, q;
    int higher_better;
} metric_row;

static int label_of(const m2c_report *r, const double *p, size_t i) {
    if (r->task == M2C_REPORT_BINARY) return p[i] >= 0.5;
    int best = 0;
    for (unsigned k = 1; k < r->n_class; k++)
        if (p[i * r->n_class + k] > p[i * r->n_class + best]) best = (int)k;
    return best;
}

typedef struct {
    double s;
    int y;
} scored;

static int cmp_scored_desc(const void *a, const void *b) {
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Sorted (descending score) copy for ROC / PR; NULL on allocation failure. */
static scored *sort_scores(const m2c_report *r, const double *p) {
    scored *s = malloc(r->n * sizeof *s);
    if (!s) return NULL;
    for (size_t i = 0; i < r->n; i++)
        s[i] = (scored){p[i], r->y[i] > 0.5};
    qsort(s, r->n, sizeof *s, cmp_scored_desc);
    return s;
}

static double auc_of(const m2c_report *r, const double *p) {
    scored *s = sort_scores(r, p);
    if (!s) return NAN;
    double pos = 0, neg = 0, area = 0, tp = 0, fp = 0;
    for (size_t i = 0; i < r->n; i++)
        if (s[i].y)
            pos += 1;
        else
            neg += 1;
    for (size_t i = 0; i < r->n;) {
        double tp0 = tp, fp0 = fp;
        size_t j = i;
        for (; j < r->n && s[j].s == s[i].s; j++)
            if (s[j].y)
                tp += 1;
            else
                fp += 1;
        area += (fp - fp0) * (tp + tp0) / 2; /* trapezoid: ties count half */
        i = j;
    }
    free(s);
    return pos > 0 && neg > 0 ? area / (pos * neg) : NAN;
}

static size_t compute_metrics(const m2c_report *r, const double *p, double *v) {
    size_t n = r->n;
    if (r->task == M2C_REPORT_REGRESSION) {
        double se = 0, ae = 0, mean = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            mean += r->y[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = p[i] - r->y[i];
            se += d * d;
            ae += fabs(d);
            ss += (r->y[i] - mean) * (r->y[i] - mean);
        }
        v[0] = sqrt(se / (double)n);
        v[1] = ae / (double)n;
        v[2] = ss > 0 ? 1 - se / ss : NAN;
        return 3;
    }
    unsigned k = r->task == M2C_REPORT_BINARY ? 2 : r->n_class;
    double correct = 0, ll = 0;
    double tp[256] = {0}, fp[256] = {0}, fn[256] = {0};
    for (size_t i = 0; i < n; i++) {
        int y = (int)r->y[i], l = label_of(r, p, i);
        correct += l == y;
        double py = r->task == M2C_REPORT_BINARY ? (y ? p[i] : 1 - p[i]) : p[i * k + (size_t)y];
        ll -= log(fmin(fmax(py, 1e-15), 1.0));
        if (l == y)
            tp[y] += 1;
        else {
            fp[l] += 1;
            fn[y] += 1;
        }
    }
    v[0] = correct / (double)n;
    v[1] = ll / (double)n;
    if (r->task == M2C_REPORT_BINARY) {
        v[2] = auc_of(r, p);
        v[3] = tp[1] > 0 ? 2 * tp[1] / (2 * tp[1] + fp[1] + fn[1]) : 0;
    } else {
        double f1 = 0;
        for (unsigned c = 0; c < k; c++)
            f1 += tp[c] > 0 ? 2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]) : 0;
        v[2] = f1 / k;
    }
    return r->task == M2C_REPORT_BINARY ? 4 : 3;
}

size_t m2c_report_metrics(const m2c_report *r, const double *p, double *v, const char **names) {
    static const char *nm[3][4] = {{"rmse", "mae", "r2", NULL},
                                   {"accuracy", "logloss", "auc", "f1"},
                                   {"accuracy", "logloss", "macro_f1", NULL}};
    size_t k = compute_metrics(r, p, v);
    for (size_t i = 0; i < k && names; i++)
        names[i] = nm[r->task][i];
    return k;
}

/* ---------------------------------------------------------------- plotting */

typedef struct {
    double x0, x1, y0, y1;  /* data range */
    double left, top, w, h; /* plot area in px */
} frame;

static double fx(const frame *f, double x) {
    return f->left + (x - f->x0) / (f->x1 - f->x0) * f->w;
}
static double fy(const frame *f, double y) {
    return f->top + f->h - (y - f->y0) / (f->y1 - f->y0) * f->h;
}

static double nice_step(double range) {
    if (!(range > 0)) return 1;
    double raw = range / 5, mag = pow(10, floor(log10(raw))), m = raw / mag;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * mag;
}

static void fmt_num(char *s, size_t n, double v) {
    if (v == 0)
        snprintf(s, n, "0");
    else if (fabs(v) >= 1e5 || fabs(v) < 1e-3)
        snprintf(s, n, "%.1e", v);
    else
        snprintf(s, n, "%.4g", v);
}

/* Opens an <svg> with axes, grid, ticks and labels; data ranges are widened to be non-empty. */
static void plot_open(out_t *o, frame *f, double x0, double x1, double y0, double y1,
                      const char *xlabel, const char *ylabel) {
    if (!(x1 > x0)) {
        x0 -= 0.5;
        x1 += 0.5;
    }
    if (!(y1 > y0)) {
        y0 -= 0.5;
        y1 += 0.5;
    }
    *f = (frame){x0, x1, y0, y1, 58, 14, 300, 220};
    put(o, "<svg viewBox=\"0 0 380 280\" class=\"plot\" role=\"img\">");
    put(o, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" class=\"pa\"/>", f->left, f->top,
        f->w, f->h);
    char s[32];
    for (int axis = 0; axis < 2; axis++) {
        double lo = axis ? y0 : x0, hi = axis ? y1 : x1, st = nice_step(hi - lo);
        for (double t = ceil(lo / st) * st; t <= hi + st * 1e-9; t += st) {
            double tv = fabs(t) < st * 1e-9 ? 0 : t;
            fmt_num(s, sizeof s, tv);
            if (axis) {
                double py = fy(f, tv);
                put(o, "<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\" class=\"gr\"/>", f->left,
                    f->left + f->w, py, py);
                put(o, "<text x=\"%g\" y=\"%.1f\" class=\"tk\" text-anchor=\"end\">%s</text>",
                    f->left - 5, py + 4, s);
            } else {
                double px = fx(f, tv);
                put(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\" class=\"gr\"/>", px, px,
                    f->top, f->top + f->h);
                put(o, "<text x=\"%.1f\" y=\"%g\" class=\"tk\" text-anchor=\"middle\">%s</text>",
                    px, f->top + f->h + 15, s);
            }
        }
    }
    put(o, "<text x=\"%g\" y=\"272\" class=\"al\" text-anchor=\"middle\">", f->left + f->w / 2);
    put_esc(o, xlabel);
    put(o,
        "</text><text transform=\"translate(13 %g) rotate(-90)\" class=\"al\" "
        "text-anchor=\"middle\">",
        f->top + f->h / 2);
    put_esc(o, ylabel);
    put(o, "</text>");
}

static void polyline(out_t *o, const frame *f, const double *xs, const double *ys, size_t n,
                     const char *color, int dashed) {
    put(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color,
        dashed ? " stroke-dasharray=\"5 3\"" : "");
    size_t step = n > MAX_POINTS ? n / MAX_POINTS : 1;
    for (size_t i = 0; i < n; i += step)
        if (isfinite(xs[i]) && isfinite(ys[i])) put(o, "%.1f,%.1f ", fx(f, xs[i]), fy(f, ys[i]));
    put(o, "\"/>");
}

static void legend(out_t *o, const char *const *names, const char *const *colors, size_t n) {
    put(o, "<div class=\"lg\">");
    for (size_t i = 0; i < n; i++) {
        put(o, "<span><i style=\"background:%s\"></i>", colors[i]);
        put_esc(o, names[i]);
        put(o, "</span>");
    }
    put(o, "</div>");
}

static void card_open(out_t *o, const char *title, const char *note) {
    put(o, "<section class=\"card\"><h2>");
    put_esc(o, title);
    put(o, "</h2>");
    if (note) {
        put(o, "<p class=\"note\">");
        put_esc(o, note);
        put(o, "</p>");
    }
}

/* ---------------------------------------------------------------- sections */

static void section_metrics(out_t *o, const m2c_report *r) {
    static const char *names[3][4] = {{"RMSE", "MAE", "R\xc2\xb2", NULL},
                                      {"accuracy", "log-loss", "AUC", "F1"},
                                      {"accuracy", "log-loss", "macro F1", NULL}};
    static const int higher[3][4] = {{0, 0, 1, 0}, {1, 0, 1, 1}, {1, 0, 1, 0}};
    double vf[4], vq[4];
    size_t k = compute_metrics(r, r->pf, vf);
    if (r->pq) compute_metrics(r, r->pq, vq);
    /* Headline tiles. */
    put(o, "<div class=\"tiles\">");
    for (size_t i = 0; i < k; i++) {
        put(o, "<div class=\"tile\"><div class=\"tv\">%.4g</div><div class=\"tn\">%s%s</div></div>",
            r->pq ? vq[i] : vf[i], names[r->task][i], r->pq ? " (quantized)" : "");
    }
    put(o,
        "<div class=\"tile\"><div class=\"tv\">%zu</div><div class=\"tn\">held-out rows</div>"
        "</div></div>",
        r->n);
    card_open(o, "Float vs quantized",
              "Held-out metrics of the float model and of the integer-only qmodel that runs on "
              "chain; the difference is the cost of quantization.");
    put(o, "<table><tr><th>metric</th><th>float</th><th>quantized</th><th>\xce\x94</th></tr>");
    for (size_t i = 0; i < k; i++) {
        put(o, "<tr><td>%s</td><td>%.6g</td>", names[r->task][i], vf[i]);
        if (r->pq) {
            double d = vq[i] - vf[i];
            int worse = higher[r->task][i] ? d < 0 : d > 0;
            put(o, "<td>%.6g</td><td class=\"%s\">%+.2g</td></tr>", vq[i],
                d == 0  ? "eq"
                : worse ? "bad"
                        : "good",
                d);
        } else {
            put(o, "<td>\xe2\x80\x94</td><td></td></tr>");
        }
    }
    put(o, "</table>");
    if (r->pq) {
        size_t per = r->task == M2C_REPORT_MULTICLASS ? r->n_class : 1;
        double maxd = 0;
        size_t agree = 0;
        for (size_t i = 0; i < r->n * per; i++)
            maxd = fmax(maxd, fabs(r->pq[i] - r->pf[i]));
        for (size_t i = 0; i < r->n && r->task != M2C_REPORT_REGRESSION; i++)
            agree += label_of(r, r->pf, i) == label_of(r, r->pq, i);
        put(o, "<p class=\"note\">largest |float \xe2\x88\x92 quantized| output: <b>%.3g</b>",
            maxd);
        if (r->task != M2C_REPORT_REGRESSION)
            put(o, "; labels agree on <b>%zu of %zu</b> rows (%.2f%%)", agree, r->n,
                100.0 * (double)agree / (double)r->n);
        put(o, "</p>");
    }
    put(o, "</section>");
}

static void section_curves(out_t *o, const m2c_report *r) {
    if (!r->curves || !r->n_curves) return;
    double y0 = INFINITY, y1 = -INFINITY;
    size_t len = 0;
    for (size_t c = 0; c < r->n_curves; c++) {
        len = r->curves[c].len > len ? r->curves[c].len : len;
        for (size_t i = 0; i < r->curves[c].len; i++)
            if (isfinite(r->curves[c].values[i])) {
                y0 = fmin(y0, r->curves[c].values[i]);
                y1 = fmax(y1, r->curves[c].values[i]);
            }
    }
    if (!len || !(y1 >= y0)) return;
    card_open(o, "Training curve", NULL);
    frame f;
    plot_open(o, &f, 1, (double)len, fmin(0, y0), y1 * 1.05, "epoch / round",
              r->loss_name ? r->loss_name : "loss");
    static const char *colors[] = {C_FLOAT, C_VALID, C_QUANT, "#7c3aed"};
    const char *names[4], *cols[4];
    double *xs = malloc(len * sizeof *xs);
    if (!xs) {
        o->ok = 0;
        return;
    }
    for (size_t i = 0; i < len; i++)
        xs[i] = (double)(i + 1);
    size_t nc = r->n_curves < 4 ? r->n_curves : 4;
    for (size_t c = 0; c < nc; c++) {
        polyline(o, &f, xs, r->curves[c].values, r->curves[c].len, colors[c], 0);
        names[c] = r->curves[c].name;
        cols[c] = colors[c];
    }
    free(xs);
    put(o, "</svg>");
    legend(o, names, cols, nc);
    put(o, "</section>");
}

/* ROC (kind 0) or precision-recall (kind 1) points of one model. */
static size_t curve_points(const m2c_report *r, const double *p, int kind, double *xs, double *ys) {
    scored *s = sort_scores(r, p);
    if (!s) return 0;
    double pos = 0, neg = 0, tp = 0, fp = 0;
    for (size_t i = 0; i < r->n; i++)
        if (s[i].y)
            pos += 1;
        else
            neg += 1;
    size_t k = 0;
    if (kind == 0) {
        xs[k] = 0;
        ys[k++] = 0;
    }
    for (size_t i = 0; i < r->n;) {
        size_t j = i;
        for (; j < r->n && s[j].s == s[i].s; j++)
            if (s[j].y)
                tp += 1;
            else
                fp += 1;
        if (kind == 0) {
            xs[k] = neg > 0 ? fp / neg : 0;
            ys[k++] = pos > 0 ? tp / pos : 0;
        } else {
            xs[k] = pos > 0 ? tp / pos : 0;
            ys[k++] = tp + fp > 0 ? tp / (tp + fp) : 1;
        }
        i = j;
    }
    free(s);
    return k;
}

static void section_binary_curves(out_t *o, const m2c_report *r) {
    double *xs = malloc((r->n + 2) * sizeof *xs), *ys = malloc((r->n + 2) * sizeof *ys);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        o->ok = 0;
        return;
    }
    const char *names[2] = {"float", "quantized"}, *cols[2] = {C_FLOAT, C_QUANT};
    for (int kind = 0; kind < 2; kind++) {
        char note[96];
        if (kind == 0) snprintf(note, sizeof note, "AUC %.4f (float)", auc_of(r, r->pf));
        card_open(o, kind ? "Precision-recall curve" : "ROC curve", kind ? NULL : note);
        frame f;
        plot_open(o, &f, 0, 1, 0, 1.0001, kind ? "recall" : "false positive rate",
                  kind ? "precision" : "true positive rate");
        if (kind == 0)
            put(o, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" class=\"dg\"/>", fx(&f, 0),
                fy(&f, 0), fx(&f, 1), fy(&f, 1));
        for (int m = 0; m < (r->pq ? 2 : 1); m++) {
            size_t k = curve_points(r, m ? r->pq : r->pf, kind, xs, ys);
            polyline(o, &f, xs, ys, k, cols[m], m);
        }
        put(o, "</svg>");
        legend(o, names, cols, r->pq ? 2 : 1);
        put(o, "</section>");
    }
    free(xs);
    free(ys);
}

static void confusion(out_t *o, const m2c_report *r, const double *p, const char *title) {
    /* one matrix inside the confusion card (see section_confusion) */
    unsigned k = r->task == M2C_REPORT_BINARY ? 2 : r->n_class;
    if (k > 20) return; /* unreadable beyond this */
    size_t *m = calloc((size_t)k * k, sizeof *m);
    if (!m) {
        o->ok = 0;
        return;
    }
    size_t mx = 1;
    for (size_t i = 0; i < r->n; i++) {
        size_t y = (size_t)r->y[i], l = (size_t)label_of(r, p, i);
        if (y < k && ++m[y * k + l] > mx) mx = m[y * k + l];
    }
    put(o, "<figure><figcaption>%s</figcaption>", title);
    double cell = k <= 4 ? 60 : 240.0 / k, left = 50, top = 30;
    put(o, "<svg viewBox=\"0 0 %g %g\" class=\"cm\" role=\"img\">", left + cell * k + 10,
        top + cell * k + 10);
    for (unsigned c = 0; c < k; c++) {
        put(o, "<text x=\"%g\" y=\"%g\" class=\"tk\" text-anchor=\"middle\">%u</text>",
            left + cell * (c + 0.5), top - 8, c);
        put(o, "<text x=\"%g\" y=\"%g\" class=\"tk\" text-anchor=\"end\">%u</text>", left - 8,
            top + cell * (c + 0.5) + 4, c);
    }
    for (unsigned a = 0; a < k; a++)
        for (unsigned b = 0; b < k; b++) {
            double t = (double)m[a * k + b] / (double)mx;
            int dark = t > 0.55;
            put(o,
                "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" rx=\"3\" "
                "fill=\"%s\" fill-opacity=\"%.3f\" stroke=\"#fff\"/>",
                left + cell * b, top + cell * a, cell, cell, a == b ? C_FLOAT : C_QUANT,
                0.08 + 0.92 * t);
            put(o, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" class=\"cv%s\">%zu</text>",
                left + cell * (b + 0.5), top + cell * (a + 0.5) + 5, dark ? " w" : "",
                m[a * k + b]);
        }
    put(o, "</svg></figure>");
    free(m);
}

static void section_confusion(out_t *o, const m2c_report *r) {
    card_open(o, "Confusion matrix", "rows: actual class; columns: predicted class");
    put(o, "<div class=\"cms\">");
    confusion(o, r, r->pf, "float");
    if (r->pq) confusion(o, r, r->pq, "quantized");
    put(o, "</div></section>");
}

static void section_regression(out_t *o, const m2c_report *r) {
    const double *p = r->pq ? r->pq : r->pf;
    double lo = INFINITY, hi = -INFINITY, rmax = 0;
    for (size_t i = 0; i < r->n; i++) {
        lo = fmin(lo, fmin(r->y[i], p[i]));
        hi = fmax(hi, fmax(r->y[i], p[i]));
        rmax = fmax(rmax, fabs(r->y[i] - p[i]));
    }
    size_t step = r->n > MAX_POINTS ? r->n / MAX_POINTS : 1;
    frame f;
    card_open(o, "Predicted vs actual", r->pq ? "quantized model; the line is y = x" : NULL);
    plot_open(o, &f, lo, hi, lo, hi, "actual", "predicted");
    put(o, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" class=\"dg\"/>", fx(&f, lo), fy(&f, lo),
        fx(&f, hi), fy(&f, hi));
    for (size_t i = 0; i < r->n; i += step)
        put(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" class=\"pt\"/>", fx(&f, r->y[i]),
            fy(&f, p[i]));
    put(o, "</svg></section>");
    card_open(o, "Residuals", "actual \xe2\x88\x92 predicted, against the prediction");
    double plo = INFINITY, phi = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        plo = fmin(plo, p[i]);
        phi = fmax(phi, p[i]);
    }
    plot_open(o, &f, plo, phi, -rmax * 1.05, rmax * 1.05, "predicted", "residual");
    put(o, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" class=\"dg\"/>", fx(&f, plo), fy(&f, 0),
        fx(&f, phi), fy(&f, 0));
    for (size_t i = 0; i < r->n; i += step)
        put(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" class=\"pt\"/>", fx(&f, p[i]),
            fy(&f, r->y[i] - p[i]));
    put(o, "</svg></section>");
}

static const double *sort_key_;
static int cmp_idx_desc(const void *a, const void *b) {
    double x = sort_key_[*(const size_t *)a], y = sort_key_[*(const size_t *)b];
    return x < y ? 1 : x > y ? -1 : 0;
}

static void section_importance(out_t *o, const m2c_report *r) {
    if (!r->importance || !r->n_features) return;
    size_t *idx = malloc(r->n_features * sizeof *idx);
    if (!idx) {
        o->ok = 0;
        return;
    }
    for (size_t i = 0; i < r->n_features; i++)
        idx[i] = i;
    sort_key_ = r->importance; /* single-threaded writer; qsort has no context argument */
    qsort(idx, r->n_features, sizeof *idx, cmp_idx_desc);
    size_t shown = r->n_features < 20 ? r->n_features : 20;
    double mx = r->importance[idx[0]] > 0 ? r->importance[idx[0]] : 1, total = 0;
    for (size_t i = 0; i < r->n_features; i++)
        total += r->importance[i];
    char note[160];
    snprintf(note, sizeof note, "%s%s%s; the top %zu of %zu features",
             r->importance_kind ? r->importance_kind : "importance",
             r->importance2 ? ", with " : "", r->importance2 ? r->importance2_kind : "", shown,
             r->n_features);
    card_open(o, "Feature importance", note);
    put(o, "<div class=\"bars\">");
    for (size_t s = 0; s < shown; s++) {
        size_t i = idx[s];
        char fname[32];
        snprintf(fname, sizeof fname, "f%zu", i);
        put(o, "<div class=\"br\"><span class=\"bn\">");
        put_esc(o, r->feature_names ? r->feature_names[i] : fname);
        put(o,
            "</span><span class=\"bt\"><span class=\"bf\" style=\"width:%.1f%%\"></span>"
            "</span><span class=\"bv\">%.3g%s",
            100 * fmax(r->importance[i], 0) / mx, r->importance[i], total > 0 ? "" : "");
        if (total > 0) put(o, " <small>(%.1f%%)</small>", 100 * r->importance[i] / total);
        if (r->importance2) put(o, " <small>\xc2\xb7 %.0f</small>", r->importance2[i]);
        put(o, "</span></div>");
    }
    put(o, "</div></section>");
    free(idx);
}

static const char *css =
    "*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,Helvetica,Arial,sans-serif;background:#f1f5f9;color:#0f172a}"
    "header{background:linear-gradient(120deg,#1e3a8a,#2563eb 60%,#0ea5e9);color:#fff;"
    "padding:28px 36px 70px}header h1{margin:0;font-size:26px;font-weight:650}"
    "header p{margin:6px 0 0;opacity:.85}main{max-width:1160px;margin:-52px auto 40px;"
    "padding:0 24px}.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));"
    "gap:14px;margin-bottom:18px}.tile{background:#fff;border-radius:12px;padding:14px 18px;"
    "box-shadow:0 1px 3px rgba(15,23,42,.12)}.tv{font-size:26px;font-weight:700;color:#1e3a8a}"
    ".tn{color:#64748b;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:18px}"
    ".card{background:#fff;border-radius:12px;padding:18px 22px;box-shadow:0 1px 3px "
    "rgba(15,23,42,.12);margin-bottom:18px}.card h2{margin:0 0 4px;font-size:16px}"
    ".note{margin:0 0 10px;color:#64748b;font-size:13px}table{border-collapse:collapse;"
    "width:100%;font-variant-numeric:tabular-nums}th,td{text-align:right;padding:7px 10px;"
    "border-bottom:1px solid #e2e8f0}th:first-child,td:first-child{text-align:left}"
    "th{color:#64748b;font-weight:600;font-size:12px;text-transform:uppercase}"
    "td.good{color:#15803d}td.bad{color:#c2410c}td.eq{color:#64748b}"
    ".plot{width:100%;max-width:560px;display:block}.cm{width:100%;max-width:300px}"
    ".cms{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0;flex:1;min-width:200px}"
    "figcaption{font-size:12px;color:#334155;font-weight:600;text-align:center}"
    ".pa{fill:#f8fafc;stroke:#cbd5e1}.gr{stroke:#e2e8f0}.tk{font-size:10px;fill:#64748b}"
    ".al{font-size:11px;fill:#334155}.dg{stroke:#94a3b8;stroke-dasharray:4 4}"
    ".pt{fill:" C_FLOAT ";fill-opacity:.45}.cv{font-size:13px;fill:#0f172a;font-weight:600}"
    ".cv.w{fill:#fff}.lg{display:flex;gap:16px;font-size:12px;color:#334155;margin-top:4px}"
    ".lg i{display:inline-block;width:14px;height:3px;margin-right:6px;vertical-align:middle}"
    ".bars{display:grid;gap:6px}.br{display:grid;grid-template-columns:170px 1fr 150px;gap:10px;"
    "align-items:center;font-size:13px}.bn{overflow:hidden;text-overflow:ellipsis;"
    "white-space:nowrap}.bt{background:#e2e8f0;border-radius:4px;height:12px}.bf{display:block;"
    "height:12px;border-radius:4px;background:linear-gradient(90deg,#2563eb,#0ea5e9)}"
    ".bv{font-variant-numeric:tabular-nums;color:#334155}small{color:#64748b}"
    "footer{color:#94a3b8;font-size:12px;text-align:center;margin:24px}";

m2c_status m2c_report_html(m2c_buf *out, const m2c_report *r, m2c_err *err) {
    if (!r || !r->n || !r->y || !r->pf)
        return m2c_err_set(err, M2C_ERR_INVALID, "report: no held-out predictions");
    if (r->task == M2C_REPORT_MULTICLASS && (r->n_class < 2 || r->n_class > 256))
        return m2c_err_set(err, M2C_ERR_INVALID, "report: %u classes", r->n_class);
    out_t o = {out, 1};
    put(&o, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    put_esc(&o, r->title ? r->title : "ml2chain report");
    put(&o, "</title><style>%s</style></head><body><header><h1>", css);
    put_esc(&o, r->title ? r->title : "ml2chain report");
    put(&o, "</h1>");
    if (r->subtitle) {
        put(&o, "<p>");
        put_esc(&o, r->subtitle);
        put(&o, "</p>");
    }
    put(&o, "</header><main>");
    section_metrics(&o, r);
    put(&o, "<div class=\"grid\">");
    section_curves(&o, r);
    if (r->task == M2C_REPORT_BINARY) section_binary_curves(&o, r);
    if (r->task == M2C_REPORT_REGRESSION) section_regression(&o, r);
    if (r->task != M2C_REPORT_REGRESSION) {
        section_confusion(&o, r);
    }
    put(&o, "</div>");
    section_importance(&o, r);
    if (r->model_hash || r->model_bytes) {
        card_open(&o, "Model", NULL);
        put(&o, "<table>");
        if (r->model_hash) {
            put(&o, "<tr><td>model hash (keccak-256, the on-chain id)</td><td><code>");
            put_esc(&o, r->model_hash);
            put(&o, "</code></td></tr>");
        }
        if (r->model_bytes)
            put(&o, "<tr><td>qmodel size</td><td>%zu bytes</td></tr>", r->model_bytes);
        put(&o, "</table></section>");
    }
    put(&o, "</main><footer>generated by ml2chain \xc2\xb7 self-contained: no scripts, no "
            "network</footer></body></html>\n");
    if (!o.ok) return m2c_err_set(err, M2C_ERR_NOMEM, "report: output too large");
    return M2C_OK;
}

m2c_status m2c_report_write(const char *path, const m2c_report *r, m2c_err *err) {
    m2c_buf b;
    m2c_buf_init(&b, 0);
    m2c_status st = m2c_report_html(&b, r, err);
    if (st == M2C_OK) {
        FILE *f = fopen(path, "wb");
        if (!f) {
            st = m2c_err_set(err, M2C_ERR_IO, "%s: %s", path, strerror(errno));
        } else {
            if (fwrite(b.p, 1, b.len, f) != b.len)
                st = m2c_err_set(err, M2C_ERR_IO, "%s: write error", path);
            if (fclose(f) != 0 && st == M2C_OK)
                st = m2c_err_set(err, M2C_ERR_IO, "%s: write error", path);
        }
    }
    m2c_buf_free(&b);
    return st;
}
