/* sink_file.c: the CSV and JSONL sinks. Rows of a chunk are buffered per table, appended at
 * commit and fsync'd; then the sidecar `<out>.meta.json` is replaced atomically (write a
 * temporary file, fsync, rename, fsync the directory). The sidecar records the identity, the
 * provenance, the checkpoints with the byte size of every table file after each chunk, and
 * the last block hashes. Reopening truncates each file to the recorded size, which drops a
 * chunk that was being written when the process died. With one table the rows go to `<out>`
 * itself; with several, to `<stem>.<table>.<ext>` beside it. */
#include "sink_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_KEEP_CHUNKS 256  /* chunks kept individually (rewindable) in the sidecar */
#define FILE_KEEP_BLOCKS 1024 /* block hashes kept in the sidecar */
#define SIDECAR_MAX      (64u << 20)

typedef struct {
    uint64_t from, to;
    uint64_t *sizes; /* per table: file size after this chunk */
    uint64_t *rows;  /* per table: row count after this chunk */
} file_chunk;

typedef struct {
    int jsonl;
    char *sidecar;
    char **paths;          /* per table */
    int *fds;              /* per table */
    m2c_buf *pend;         /* per table: rows of the open chunk */
    uint64_t *sizes;       /* per table: committed size */
    m2c_block_range *base; /* compacted checkpoints (not rewindable) */
    size_t nbase;
    uint64_t *base_sizes, *base_rows; /* per table, at the end of the compacted part */
    file_chunk *chunks;
    size_t nchunks;
    m2c_sink_blockhash *blocks; /* last hashes, ascending */
    size_t nblocks;
} file_impl;

static m2c_status io_fail(m2c_err *err, const char *what, const char *path) {
    return m2c_err_set(err, M2C_ERR_IO, "%s: %s: %s", path, what, strerror(errno));
}

static m2c_status fsync_dir_of(const char *path, m2c_err *err) {
    char *dup = strdup(path);
    if (!dup) return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    int fd = open(dirname(dup), O_RDONLY | O_DIRECTORY);
    m2c_status st = M2C_OK;
    if (fd < 0 || fsync(fd) != 0) st = io_fail(err, "fsync directory", path);
    if (fd >= 0) close(fd);
    free(dup);
    return st;
}

static m2c_status write_all(int fd, const uint8_t *p, size_t n, const char *path, m2c_err *err) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return io_fail(err, "write", path);
        }
        p += w;
        n -= (size_t)w;
    }
    return M2C_OK;
}

static m2c_status header(m2c_sink *s, size_t t, m2c_err *err) {
    file_impl *f = s->impl;
    if (f->jsonl) return M2C_OK;
    const m2c_sink_table *tb = &s->schema->tables[t];
    m2c_buf b;
    m2c_buf_init(&b, 1 << 20);
    m2c_status st = M2C_OK;
    for (size_t c = 0; st == M2C_OK && c < tb->ncols; c++) {
        if (c) st = m2c_buf_append_byte(&b, ',');
        if (st == M2C_OK) st = m2c_buf_append_str(&b, tb->cols[c].name);
    }
    if (st == M2C_OK) st = m2c_buf_append_byte(&b, '\n');
    if (st != M2C_OK) {
        st = m2c_err_set(err, st, "sink: out of memory");
        goto out;
    }
    if ((st = write_all(f->fds[t], b.p, b.len, f->paths[t], err)) != M2C_OK) goto out;
    if (fsync(f->fds[t]) != 0) {
        st = io_fail(err, "fsync", f->paths[t]);
        goto out;
    }
out:
    m2c_buf_free(&b);
    return st;
}

/* Writes the sidecar atomically from the in-memory state. */
static m2c_status write_sidecar(m2c_sink *s, m2c_err *err) {
    file_impl *f = s->impl;
    size_t nt = s->schema->ntables;
    m2c_buf b;
    m2c_buf_init(&b, SIDECAR_MAX);
    m2c_status st =
        m2c_buf_append_str(&b, "{\n  \"format\": \"ml2chain-dataset/1\",\n  \"identity\": ");
    if (st == M2C_OK) st = m2c_json_quote_(&b, s->identity, strlen(s->identity));
    if (st == M2C_OK) st = m2c_buf_append_str(&b, ",\n  \"schema\": ");
    if (st == M2C_OK) st = m2c_json_quote_(&b, s->schema_text, strlen(s->schema_text));
    if (st == M2C_OK) st = m2c_buf_append_str(&b, ",\n  \"files\": {");
    for (size_t t = 0; st == M2C_OK && t < nt; t++) {
        const char *nm = s->schema->tables[t].name;
        if (t) st = m2c_buf_append_str(&b, ", ");
        if (st == M2C_OK) st = m2c_json_quote_(&b, nm, strlen(nm));
        if (st == M2C_OK) st = m2c_buf_append_str(&b, ": ");
        if (st == M2C_OK) st = m2c_json_quote_(&b, f->paths[t], strlen(f->paths[t]));
    }
    if (st == M2C_OK) st = m2c_buf_append_str(&b, "},\n  \"meta\": {");
    for (size_t i = 0; st == M2C_OK && i < s->nmeta; i++) {
        if (!strcmp(s->meta[i].key, "identity") || !strcmp(s->meta[i].key, "schema")) continue;
        if (b.p[b.len - 1] != '{') st = m2c_buf_append_str(&b, ",");
        if (st == M2C_OK) st = m2c_buf_append_str(&b, "\n    ");
        if (st == M2C_OK) st = m2c_json_quote_(&b, s->meta[i].key, strlen(s->meta[i].key));
        if (st == M2C_OK) st = m2c_buf_append_str(&b, ": ");
        if (st == M2C_OK) st = m2c_json_quote_(&b, s->meta[i].value, strlen(s->meta[i].value));
    }
    if (st == M2C_OK) st = m2c_buf_append_str(&b, "\n  },\n  \"sizes\": [");
    for (size_t t = 0; st == M2C_OK && t < nt; t++)
        st = m2c_buf_printf(&b, "%s%llu", t ? ", " : "", (unsigned long long)f->sizes[t]);
    if (st == M2C_OK) st = m2c_buf_append_str(&b, "],\n  \"done\": [");
    for (size_t i = 0; st == M2C_OK && i < f->nbase; i++)
        st = m2c_buf_printf(&b, "%s[%llu, %llu]", i ? ", " : "",
                            (unsigned long long)f->base[i].from, (unsigned long long)f->base[i].to);
    if (st == M2C_OK) st = m2c_buf_append_str(&b, "],\n  \"base\": [");
    for (size_t t = 0; st == M2C_OK && t < nt; t++)
        st = m2c_buf_printf(&b, "%s[%llu, %llu]", t ? ", " : "",
                            (unsigned long long)f->base_sizes[t],
                            (unsigned long long)f->base_rows[t]);
    if (st == M2C_OK) st = m2c_buf_append_str(&b, "],\n  \"chunks\": [");
    for (size_t i = 0; st == M2C_OK && i < f->nchunks; i++) {
        st = m2c_buf_printf(&b, "%s\n    [%llu, %llu, [", i ? "," : "",
                            (unsigned long long)f->chunks[i].from,
                            (unsigned long long)f->chunks[i].to);
        for (size_t t = 0; st == M2C_OK && t < nt; t++)
            st = m2c_buf_printf(&b, "%s%llu", t ? ", " : "",
                                (unsigned long long)f->chunks[i].sizes[t]);
        if (st == M2C_OK) st = m2c_buf_append_str(&b, "], [");
        for (size_t t = 0; st == M2C_OK && t < nt; t++)
            st = m2c_buf_printf(&b, "%s%llu", t ? ", " : "",
                                (unsigned long long)f->chunks[i].rows[t]);
        if (st == M2C_OK) st = m2c_buf_append_str(&b, "]]");
    }
    if (st == M2C_OK) st = m2c_buf_append_str(&b, "],\n  \"blocks\": [");
    for (size_t i = 0; st == M2C_OK && i < f->nblocks; i++)
        st = m2c_buf_printf(&b, "%s[%llu, \"%s\"]", i ? ", " : "",
                            (unsigned long long)f->blocks[i].number, f->blocks[i].hash);
    if (st == M2C_OK) st = m2c_buf_append_str(&b, "]\n}\n");
    if (st != M2C_OK) {
        st = m2c_err_set(err, st, "%s: sidecar too large or out of memory", f->sidecar);
        goto out;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->sidecar);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = io_fail(err, "create", tmp);
        goto out;
    }
    st = write_all(fd, b.p, b.len, tmp, err);
    if (st == M2C_OK && fsync(fd) != 0) st = io_fail(err, "fsync", tmp);
    close(fd);
    if (st == M2C_OK && rename(tmp, f->sidecar) != 0) st = io_fail(err, "rename", tmp);
    if (st != M2C_OK) {
        unlink(tmp);
        goto out;
    }
    st = fsync_dir_of(f->sidecar, err);
out:
    m2c_buf_free(&b);
    return st;
}

static void file_close(m2c_sink *s) {
    file_impl *f = s->impl;
    if (!f) return;
    size_t nt = s->schema->ntables;
    for (size_t t = 0; t < nt; t++) {
        if (f->fds && f->fds[t] >= 0) close(f->fds[t]);
        if (f->paths) free(f->paths[t]);
        if (f->pend) m2c_buf_free(&f->pend[t]);
    }
    for (size_t i = 0; i < f->nchunks; i++) {
        free(f->chunks[i].sizes);
        free(f->chunks[i].rows);
    }
    free(f->chunks);
    free(f->base_sizes);
    free(f->base_rows);
    free(f->base);
    free(f->blocks);
    free(f->fds);
    free(f->paths);
    free(f->pend);
    free(f->sizes);
    free(f->sidecar);
    free(f);
    s->impl = NULL;
}

static m2c_status add_chunk(file_impl *f, size_t nt, uint64_t from, uint64_t to,
                            const uint64_t *sizes, const uint64_t *rows) {
    if (f->nchunks == FILE_KEEP_CHUNKS) {
        /* fold the oldest chunk into the compacted base */
        file_chunk *old = &f->chunks[0];
        m2c_block_range *nb = realloc(f->base, (f->nbase + 1) * sizeof *nb);
        if (!nb) return M2C_ERR_NOMEM;
        f->base = nb;
        size_t i = f->nbase;
        while (i > 0 && f->base[i - 1].from > old->from) {
            f->base[i] = f->base[i - 1];
            i--;
        }
        f->base[i].from = old->from;
        f->base[i].to = old->to;
        f->nbase++;
        size_t w = 0;
        for (size_t r = 1; r < f->nbase; r++) {
            if (f->base[r].from <= f->base[w].to + 1) {
                if (f->base[r].to > f->base[w].to) f->base[w].to = f->base[r].to;
            } else {
                f->base[++w] = f->base[r];
            }
        }
        f->nbase = w + 1;
        memcpy(f->base_sizes, old->sizes, nt * sizeof *old->sizes);
        memcpy(f->base_rows, old->rows, nt * sizeof *old->rows);
        free(old->sizes);
        free(old->rows);
        memmove(f->chunks, f->chunks + 1, (f->nchunks - 1) * sizeof *f->chunks);
        f->nchunks--;
    }
    file_chunk *nc = realloc(f->chunks, (f->nchunks + 1) * sizeof *nc);
    if (!nc) return M2C_ERR_NOMEM;
    f->chunks = nc;
    uint64_t *sz = malloc(nt * sizeof *sz), *rw = malloc(nt * sizeof *rw);
    if (!sz || !rw) {
        free(sz);
        free(rw);
        return M2C_ERR_NOMEM;
    }
    memcpy(sz, sizes, nt * sizeof *sz);
    memcpy(rw, rows, nt * sizeof *rw);
    f->chunks[f->nchunks].from = from;
    f->chunks[f->nchunks].to = to;
    f->chunks[f->nchunks].sizes = sz;
    f->chunks[f->nchunks].rows = rw;
    f->nchunks++;
    return M2C_OK;
}

static m2c_status add_block(file_impl *f, uint64_t number, const char *hash) {
    /* keep ascending and unique; replace an equal number */
    size_t i = f->nblocks;
    while (i > 0 && f->blocks[i - 1].number > number)
        i--;
    if (i > 0 && f->blocks[i - 1].number == number) {
        memcpy(f->blocks[i - 1].hash, hash, 67);
        return M2C_OK;
    }
    m2c_sink_blockhash *nb = realloc(f->blocks, (f->nblocks + 1) * sizeof *nb);
    if (!nb) return M2C_ERR_NOMEM;
    f->blocks = nb;
    memmove(f->blocks + i + 1, f->blocks + i, (f->nblocks - i) * sizeof *nb);
    f->blocks[i].number = number;
    memcpy(f->blocks[i].hash, hash, 67);
    f->nblocks++;
    if (f->nblocks > FILE_KEEP_BLOCKS) {
        memmove(f->blocks, f->blocks + 1, (f->nblocks - 1) * sizeof *nb);
        f->nblocks--;
    }
    return M2C_OK;
}

static int json_u64(json_t *j, uint64_t *out) {
    if (!json_is_integer(j) || json_integer_value(j) < 0) return 0;
    *out = (uint64_t)json_integer_value(j);
    return 1;
}

/* Reads an existing sidecar into f and s; checks identity and schema. */
static m2c_status load_sidecar(m2c_sink *s, m2c_err *err) {
    file_impl *f = s->impl;
    size_t nt = s->schema->ntables;
    json_error_t je;
    m2c_status st = M2C_OK;
    json_t *root = json_load_file(f->sidecar, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return m2c_err_set(err, M2C_ERR_STATE, "%s: unreadable sidecar (line %d: %s)", f->sidecar,
                           je.line, je.text);
    const char *id = json_string_value(json_object_get(root, "identity"));
    const char *sc = json_string_value(json_object_get(root, "schema"));
    if ((st = m2c_sink_check_same_(s, id, sc, s->target, "another --out", err)) != M2C_OK) goto out;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(root, "meta"), k, v) {
        if (json_is_string(v) && m2c_sink_set_meta_(s, k, json_string_value(v)) != M2C_OK) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
            goto out;
        }
    }
    json_t *sizes = json_object_get(root, "sizes");
    if (json_array_size(sizes) != nt) goto bad;
    for (size_t t = 0; t < nt; t++)
        if (!json_u64(json_array_get(sizes, t), &f->sizes[t])) goto bad;
    size_t i;
    json_array_foreach(json_object_get(root, "done"), i, v) {
        uint64_t a, b;
        if (!json_u64(json_array_get(v, 0), &a) || !json_u64(json_array_get(v, 1), &b) || a > b)
            goto bad;
        m2c_block_range *nb = realloc(f->base, (f->nbase + 1) * sizeof *nb);
        if (!nb) goto nomem;
        f->base = nb;
        f->base[f->nbase].from = a;
        f->base[f->nbase].to = b;
        f->nbase++;
        if (m2c_sink_add_done_(s, a, b) != M2C_OK) goto nomem;
    }
    json_t *base = json_object_get(root, "base");
    if (json_array_size(base) != nt) goto bad;
    for (size_t t = 0; t < nt; t++)
        if (!json_u64(json_array_get(json_array_get(base, t), 0), &f->base_sizes[t]) ||
            !json_u64(json_array_get(json_array_get(base, t), 1), &f->base_rows[t]))
            goto bad;
    json_array_foreach(json_object_get(root, "chunks"), i, v) {
        uint64_t a, b, sz[64], rw[64];
        json_t *szs = json_array_get(v, 2), *rws = json_array_get(v, 3);
        if (!json_u64(json_array_get(v, 0), &a) || !json_u64(json_array_get(v, 1), &b) || a > b ||
            json_array_size(szs) != nt || json_array_size(rws) != nt || nt > 64)
            goto bad;
        for (size_t t = 0; t < nt; t++)
            if (!json_u64(json_array_get(szs, t), &sz[t]) ||
                !json_u64(json_array_get(rws, t), &rw[t]))
                goto bad;
        if (add_chunk(f, nt, a, b, sz, rw) != M2C_OK || m2c_sink_add_done_(s, a, b) != M2C_OK)
            goto nomem;
    }
    json_array_foreach(json_object_get(root, "blocks"), i, v) {
        uint64_t n;
        const char *h = json_string_value(json_array_get(v, 1));
        if (!json_u64(json_array_get(v, 0), &n) || !h || strlen(h) != 66) goto bad;
        if (add_block(f, n, h) != M2C_OK) goto nomem;
    }
    m2c_sink_load_rows_(s);
    goto out;
bad:
    st = m2c_err_set(err, M2C_ERR_STATE, "%s: malformed sidecar", f->sidecar);
    goto out;
nomem:
    st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
out:
    json_decref(root);
    return st;
}

static m2c_status file_open_impl(m2c_sink *s, const char *target, int jsonl, m2c_err *err) {
    size_t nt = s->schema->ntables;
    m2c_status st = M2C_OK;
    struct stat sb;
    int created = 0;
    file_impl *f = calloc(1, sizeof *f);
    if (!f) return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    s->impl = f;
    f->jsonl = jsonl;
    if (nt > 64) {
        st = m2c_err_set(err, M2C_ERR_RANGE, "%s: at most 64 tables in a file output", target);
        goto out;
    }
    if (!(f->paths = calloc(nt, sizeof *f->paths)) || !(f->fds = malloc(nt * sizeof *f->fds)) ||
        !(f->pend = calloc(nt, sizeof *f->pend)) || !(f->sizes = calloc(nt, sizeof *f->sizes)) ||
        !(f->base_sizes = calloc(nt, sizeof *f->base_sizes)) ||
        !(f->base_rows = calloc(nt, sizeof *f->base_rows)) ||
        asprintf(&f->sidecar, "%s.meta.json", target) < 0) {
        f->sidecar = NULL;
        st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
        goto out;
    }
    for (size_t t = 0; t < nt; t++) {
        f->fds[t] = -1;
        m2c_buf_init(&f->pend[t], 0);
    }
    const char *ext = jsonl ? ".jsonl" : ".csv";
    size_t stem = strlen(target) - strlen(ext);
    for (size_t t = 0; t < nt; t++) {
        int r = nt == 1 ? asprintf(&f->paths[t], "%s", target)
                        : asprintf(&f->paths[t], "%.*s.%s%s", (int)stem, target,
                                   s->schema->tables[t].name, ext);
        if (r < 0) {
            f->paths[t] = NULL;
            st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
            goto out;
        }
    }
    if (stat(f->sidecar, &sb) == 0) {
        if ((st = load_sidecar(s, err)) != M2C_OK) goto out;
    } else {
        /* new output: none of its files may exist yet */
        for (size_t t = 0; t < nt; t++)
            if (stat(f->paths[t], &sb) == 0) {
                st = m2c_err_set(err, M2C_ERR_STATE,
                                 "%s exists and is not an ml2chain dataset (no %s); choose "
                                 "another --out",
                                 f->paths[t], f->sidecar);
                goto out;
            }
        if (m2c_sink_set_meta_(s, "identity", s->identity) != M2C_OK ||
            m2c_sink_set_meta_(s, "schema", s->schema_text) != M2C_OK) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
            goto out;
        }
        if ((st = write_sidecar(s, err)) != M2C_OK) goto out;
        created = 1;
    }
    for (size_t t = 0; t < nt; t++) {
        f->fds[t] = open(f->paths[t], O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (f->fds[t] < 0 || fstat(f->fds[t], &sb) != 0) {
            st = io_fail(err, "open", f->paths[t]);
            goto out;
        }
        if (t == 0 && flock(f->fds[0], LOCK_EX | LOCK_NB) != 0) {
            st = m2c_err_set(err, M2C_ERR_STATE, "%s is being written by another ml2chain process",
                             s->target);
            created = 0; /* not ours to remove */
            goto out;
        }
        if ((uint64_t)sb.st_size < f->sizes[t]) {
            st = m2c_err_set(err, M2C_ERR_STATE,
                             "%s is shorter (%lld bytes) than its checkpoint says (%llu); it was "
                             "changed outside ml2chain",
                             f->paths[t], (long long)sb.st_size, (unsigned long long)f->sizes[t]);
            goto out;
        }
        if ((uint64_t)sb.st_size > f->sizes[t]) {
            /* bytes of a chunk that never committed */
            if (ftruncate(f->fds[t], (off_t)f->sizes[t]) != 0 || fsync(f->fds[t]) != 0) {
                st = io_fail(err, "truncate to checkpoint", f->paths[t]);
                goto out;
            }
        }
        if (f->sizes[t] == 0) {
            if ((st = header(s, t, err)) != M2C_OK) goto out;
            if (fstat(f->fds[t], &sb) != 0) {
                st = io_fail(err, "stat", f->paths[t]);
                goto out;
            }
            f->sizes[t] = (uint64_t)sb.st_size;
            if (f->nchunks == 0 && f->nbase == 0) f->base_sizes[t] = f->sizes[t];
        }
    }
    if (created) st = write_sidecar(s, err);
out:
    if (st != M2C_OK) {
        if (created) {
            for (size_t t = 0; t < nt; t++)
                if (f->paths[t]) unlink(f->paths[t]);
            unlink(f->sidecar);
        }
        file_close(s);
    }
    return st;
}

static m2c_status csv_open(m2c_sink *s, const char *target, m2c_err *err) {
    return file_open_impl(s, target, 0, err);
}
static m2c_status jsonl_open(m2c_sink *s, const char *target, m2c_err *err) {
    return file_open_impl(s, target, 1, err);
}

static m2c_status file_begin(m2c_sink *s, m2c_err *err) {
    (void)err;
    file_impl *f = s->impl;
    for (size_t t = 0; t < s->schema->ntables; t++)
        m2c_buf_reset(&f->pend[t]);
    return M2C_OK;
}

static m2c_status csv_field(m2c_buf *b, const char *p, size_t n) {
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r';
    if (!quote) return m2c_buf_append(b, p, n);
    m2c_status st = m2c_buf_append_byte(b, '"');
    for (size_t i = 0; st == M2C_OK && i < n; i++) {
        if (p[i] == '"') st = m2c_buf_append_byte(b, '"');
        if (st == M2C_OK) st = m2c_buf_append_byte(b, (uint8_t)p[i]);
    }
    return st == M2C_OK ? m2c_buf_append_byte(b, '"') : st;
}

static m2c_status file_row(m2c_sink *s, size_t t, const m2c_sink_val *v, m2c_err *err) {
    file_impl *f = s->impl;
    const m2c_sink_table *tb = &s->schema->tables[t];
    m2c_buf *b = &f->pend[t];
    size_t mark = b->len;
    m2c_status st = f->jsonl ? m2c_buf_append_byte(b, '{') : M2C_OK;
    char num[32];
    for (size_t c = 0; st == M2C_OK && c < tb->ncols; c++) {
        if (c) st = m2c_buf_append_byte(b, ',');
        if (st == M2C_OK && f->jsonl) {
            st = m2c_json_quote_(b, tb->cols[c].name, strlen(tb->cols[c].name));
            if (st == M2C_OK) st = m2c_buf_append_byte(b, ':');
        }
        if (st != M2C_OK) break;
        m2c_col_type ty = tb->cols[c].type;
        int isnull =
            v[c].null || (ty == M2C_COL_REAL && !(v[c].d == v[c].d && v[c].d - v[c].d == 0));
        if (isnull) {
            if (f->jsonl) st = m2c_buf_append_str(b, "null");
            continue;
        }
        switch (ty) {
        case M2C_COL_INT: st = m2c_buf_printf(b, "%lld", (long long)v[c].i); break;
        case M2C_COL_BOOL:
            st = f->jsonl ? m2c_buf_append_str(b, v[c].i ? "true" : "false")
                          : m2c_buf_append_str(b, v[c].i ? "1" : "0");
            break;
        case M2C_COL_REAL: st = m2c_buf_append(b, num, m2c_fmt_double_(num, v[c].d)); break;
        case M2C_COL_TEXT:
        case M2C_COL_NUMERIC:
            st = f->jsonl ? m2c_json_quote_(b, v[c].s ? v[c].s : "", v[c].n)
                          : csv_field(b, v[c].s ? v[c].s : "", v[c].n);
            break;
        }
    }
    if (st == M2C_OK && f->jsonl) st = m2c_buf_append_byte(b, '}');
    if (st == M2C_OK) st = m2c_buf_append_byte(b, '\n');
    if (st != M2C_OK) {
        b->len = mark;
        return m2c_err_set(err, st, "%s: chunk too large for memory", f->paths[t]);
    }
    return M2C_OK;
}

static m2c_status file_commit(m2c_sink *s, uint64_t from, uint64_t to, m2c_err *err) {
    file_impl *f = s->impl;
    size_t nt = s->schema->ntables;
    m2c_status st = M2C_OK;
    for (size_t t = 0; t < nt; t++) {
        if (f->pend[t].len == 0) continue;
        if ((st = write_all(f->fds[t], f->pend[t].p, f->pend[t].len, f->paths[t], err)) != M2C_OK)
            goto fail;
        if (fsync(f->fds[t]) != 0) {
            st = io_fail(err, "fsync", f->paths[t]);
            goto fail;
        }
    }
    uint64_t *sizes = f->sizes;
    for (size_t t = 0; t < nt; t++)
        sizes[t] += f->pend[t].len;
    for (size_t i = 0; i < s->nblocks; i++)
        if (add_block(f, s->blocks[i].number, s->blocks[i].hash) != M2C_OK) goto nomem;
    uint64_t rows[64];
    for (size_t t = 0; t < nt && t < 64; t++)
        rows[t] = s->rows[t] + s->pending[t];
    if (add_chunk(f, nt, from, to, sizes, rows) != M2C_OK) goto nomem;
    if ((st = write_sidecar(s, err)) != M2C_OK) {
        /* the sidecar still names the old sizes: forget the chunk here too */
        for (size_t t = 0; t < nt; t++)
            sizes[t] -= f->pend[t].len;
        f->nchunks--;
        free(f->chunks[f->nchunks].sizes);
        free(f->chunks[f->nchunks].rows);
        goto fail;
    }
    for (size_t t = 0; t < nt; t++)
        m2c_buf_reset(&f->pend[t]);
    return M2C_OK;
nomem:
    st = m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
fail:
    for (size_t t = 0; t < nt; t++) {
        m2c_buf_reset(&f->pend[t]);
        if (ftruncate(f->fds[t], (off_t)f->sizes[t]) != 0) { /* best effort; reopen truncates */
        }
    }
    return st;
}

static m2c_status file_rewind(m2c_sink *s, uint64_t from, m2c_err *err) {
    file_impl *f = s->impl;
    size_t nt = s->schema->ntables;
    for (size_t i = 0; i < f->nbase; i++)
        if (f->base[i].to >= from)
            return m2c_err_set(err, M2C_ERR_UNSUPPORTED,
                               "%s: cannot rewind to block %llu: more than %d chunks back",
                               s->target, (unsigned long long)from, FILE_KEEP_CHUNKS);
    size_t keep = f->nchunks;
    for (size_t i = 0; i < f->nchunks; i++)
        if (f->chunks[i].to >= from) {
            keep = i;
            break;
        }
    if (keep == f->nchunks) return M2C_OK;
    /* the state after the last kept chunk (or after the compacted part / the header) */
    const uint64_t *sizes = keep ? f->chunks[keep - 1].sizes : f->base_sizes;
    const uint64_t *rows = keep ? f->chunks[keep - 1].rows : f->base_rows;
    for (size_t t = 0; t < nt; t++) {
        char key[300], num[32];
        f->sizes[t] = sizes[t];
        s->rows[t] = rows[t];
        snprintf(key, sizeof key, "rows.%s", s->schema->tables[t].name);
        snprintf(num, sizeof num, "%llu", (unsigned long long)rows[t]);
        if (m2c_sink_set_meta_(s, key, num) != M2C_OK)
            return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    }
    for (size_t i = keep; i < f->nchunks; i++) {
        free(f->chunks[i].sizes);
        free(f->chunks[i].rows);
    }
    f->nchunks = keep;
    while (f->nblocks > 0 && f->blocks[f->nblocks - 1].number >= from)
        f->nblocks--;
    s->ndone = 0;
    for (size_t i = 0; i < f->nbase; i++)
        if (m2c_sink_add_done_(s, f->base[i].from, f->base[i].to) != M2C_OK)
            return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    for (size_t i = 0; i < f->nchunks; i++)
        if (m2c_sink_add_done_(s, f->chunks[i].from, f->chunks[i].to) != M2C_OK)
            return m2c_err_set(err, M2C_ERR_NOMEM, "sink: out of memory");
    /* the sidecar first: if the truncation below does not happen, reopening does it */
    m2c_status st = write_sidecar(s, err);
    if (st != M2C_OK) return st;
    for (size_t t = 0; t < nt; t++)
        if (ftruncate(f->fds[t], (off_t)f->sizes[t]) != 0 || fsync(f->fds[t]) != 0)
            return io_fail(err, "truncate", f->paths[t]);
    return M2C_OK;
}

static m2c_status file_block_hash(m2c_sink *s, char out[67], uint64_t number, m2c_err *err) {
    file_impl *f = s->impl;
    for (size_t i = 0; i < f->nblocks; i++)
        if (f->blocks[i].number == number) {
            memcpy(out, f->blocks[i].hash, 67);
            return M2C_OK;
        }
    return m2c_err_set(err, M2C_ERR_NOTFOUND, "%s: no stored hash for block %llu", s->target,
                       (unsigned long long)number);
}

static m2c_status file_block_before(m2c_sink *s, uint64_t *out, uint64_t at_most, m2c_err *err) {
    file_impl *f = s->impl;
    for (size_t i = f->nblocks; i > 0; i--)
        if (f->blocks[i - 1].number <= at_most) {
            *out = f->blocks[i - 1].number;
            return M2C_OK;
        }
    return m2c_err_set(err, M2C_ERR_NOTFOUND, "%s: no stored block hash at or below %llu",
                       s->target, (unsigned long long)at_most);
}

const m2c_sink_ops m2c_sink_csv_ops = {
    "csv", csv_open,    file_begin,      file_row,          NULL,       file_commit,
    NULL,  file_rewind, file_block_hash, file_block_before, file_close,
};
const m2c_sink_ops m2c_sink_jsonl_ops = {
    "jsonl", jsonl_open,  file_begin,      file_row,          NULL,       file_commit,
    NULL,    file_rewind, file_block_hash, file_block_before, file_close,
};
