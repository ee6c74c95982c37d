/* sink_impl.h: private to src/data/sink*.c: the sink object shared by every backend and the
 * backend operations table. The common part (sink.c) keeps what all backends need: committed
 * ranges, row counts, provenance keys, and the block hashes of the open chunk. */
#ifndef ML2CHAIN_SINK_IMPL_H
#define ML2CHAIN_SINK_IMPL_H

#include "ml2chain/buf.h"
#include "ml2chain/sink.h"

typedef struct {
    char *key, *value;
} m2c_sink_kv;

typedef struct {
    uint64_t number;
    char hash[67];
} m2c_sink_blockhash;

typedef struct m2c_sink_ops {
    const char *kind;
    /* Opens or creates the output; must fill s->done/ndone, s->rows, s->meta from it. */
    m2c_status (*open)(m2c_sink *s, const char *target, m2c_err *err);
    m2c_status (*begin)(m2c_sink *s, m2c_err *err);
    m2c_status (*row)(m2c_sink *s, size_t t, const m2c_sink_val *v, m2c_err *err);
    /* n rows at once; NULL: row() for each */
    m2c_status (*rows)(m2c_sink *s, size_t t, const m2c_sink_val *const *v, size_t n,
                       m2c_err *err);
    /* Commits the chunk, with the checkpoint, s->pending_blocks and s->meta. */
    m2c_status (*commit)(m2c_sink *s, uint64_t from, uint64_t to, m2c_err *err);
    /* Makes every committed chunk durable; NULL: commit already does. */
    m2c_status (*flush)(m2c_sink *s, m2c_err *err);
    m2c_status (*rewind)(m2c_sink *s, uint64_t from, m2c_err *err);
    m2c_status (*block_hash)(m2c_sink *s, char out[67], uint64_t number, m2c_err *err);
    m2c_status (*block_before)(m2c_sink *s, uint64_t *out, uint64_t at_most, m2c_err *err);
    void (*close)(m2c_sink *s); /* frees s->impl; discards an open chunk */
} m2c_sink_ops;

struct m2c_sink {
    const m2c_sink_ops *ops;
    void *impl;
    char *target;
    const m2c_sink_schema *schema; /* borrowed: the caller keeps it alive */
    char *identity;                /* copy of schema->identity */
    char *schema_text;             /* canonical table/column description, stored and compared */
    m2c_block_range *done;
    size_t ndone, capdone;
    uint64_t *rows;    /* committed rows per table */
    uint64_t *pending; /* rows of the open chunk per table */
    m2c_sink_kv *meta; /* provenance, sorted insertion order */
    size_t nmeta, capmeta;
    m2c_sink_blockhash *blocks; /* hashes recorded in the open chunk */
    size_t nblocks, capblocks;
    int in_chunk;
    unsigned flags; /* M2C_SINK_BULK, ... (m2c_sink_open_ex) */
};

/* Adds [from, to] to s->done keeping it sorted and merged. */
m2c_status m2c_sink_add_done_(m2c_sink *s, uint64_t from, uint64_t to);
/* Removes everything >= from from s->done. */
void m2c_sink_trim_done_(m2c_sink *s, uint64_t from);
/* Sets a meta key without the reserved-key check (used when loading an output). */
m2c_status m2c_sink_set_meta_(m2c_sink *s, const char *key, const char *value);
const char *m2c_sink_get_meta_(const m2c_sink *s, const char *key);
/* Reopening an output: M2C_ERR_STATE unless its stored identity `id` and table description
 * `sc` (either may be NULL: not stored) are this sink's. The error says that `what` (the output)
 * holds another dataset, or the same filter with other tables or columns, and to choose
 * `instead`. */
m2c_status m2c_sink_check_same_(const m2c_sink *s, const char *id, const char *sc, const char *what,
                                const char *instead, m2c_err *err);
/* Sets each table's committed row count from its rows.<name> meta (0 where absent). */
void m2c_sink_load_rows_(m2c_sink *s);
/* A rewind to block `from` in the SQL backends: m2c_sink_rewind_sql_ appends to b the
 * statements that drop the stored hashes and checkpoints of blocks >= from;
 * m2c_sink_rewind_meta_ then sets each table's rows.<name> meta to its count less removed[t].
 * M2C_ERR_NOMEM (err set) when out of memory. */
m2c_status m2c_sink_rewind_sql_(m2c_buf *b, uint64_t from, m2c_err *err);
m2c_status m2c_sink_rewind_meta_(m2c_sink *s, const uint64_t *removed, m2c_err *err);

/* Backends. */
extern const m2c_sink_ops m2c_sink_sqlite_ops;
extern const m2c_sink_ops m2c_sink_csv_ops;
extern const m2c_sink_ops m2c_sink_jsonl_ops;
extern const m2c_sink_ops m2c_sink_pg_ops;

/* Text helpers shared by the backends. */
/* Appends v as a JSON string literal (quotes included); invalid UTF-8 bytes become \u00XX. */
m2c_status m2c_json_quote_(m2c_buf *b, const char *s, size_t n);
/* Appends `name` as an SQL identifier in double quotes. */
m2c_status m2c_sql_ident_(m2c_buf *b, const char *name);
/* Formats a double for text outputs with 17 significant digits ("%.17g"); returns length. */
size_t m2c_fmt_double_(char out[32], double d);

#endif
