/* extract_impl.h: private to src/data/extract*.c: the dataset schema built from the options,
 * and the conversion of fetched chunks into sink rows. */
#ifndef ML2CHAIN_EXTRACT_IMPL_H
#define ML2CHAIN_EXTRACT_IMPL_H

#include "ml2chain/arena.h"
#include "ml2chain/buf.h"
#include "ml2chain/extract.h"

/* How a decoded event parameter becomes columns. */
typedef enum {
    XP_INT = 1, /* small integer: one INT column */
    XP_BIG,     /* 256-bit-ish integer: NUMERIC column + REAL column */
    XP_BOOL,
    XP_ADDRESS, /* lowercase 0x-hex */
    XP_BYTES,   /* 0x-hex (bytesN, bytes, hashed indexed params) */
    XP_STRING,  /* text when valid UTF-8 without NUL, else 0x-hex */
    XP_OTHER,   /* arrays and tuples: the cast text form */
} xparam_kind;

typedef struct {
    const m2c_abi_sig *sig;
    size_t table;    /* index in the schema */
    xparam_kind *pk; /* per parameter */
    size_t *pcol;    /* first column of each parameter */
} xevent;

typedef struct {
    m2c_arena arena; /* names, columns */
    m2c_sink_table *tables;
    size_t ntables;
    m2c_sink_schema schema;
    char *identity; /* arena */
    xevent *events;
    size_t nevents;
    size_t undecoded_table; /* (size_t)-1 when no events were given */
    size_t maxcols;
} xschema;

/* Builds the schema for o (kind, events, filter) on chain `chain_id`. */
M2C_WUR m2c_status m2c_xschema_build(xschema *x, const m2c_extract_opts *o, uint64_t chain_id,
                                     m2c_err *err);
void m2c_xschema_free(xschema *x);

/* Rows built from a chunk (by a worker), to be written by the writer thread. While rows are
 * built, text cells hold their offset in `text` (+ 1, in `i`); once built, a pointer, and `run`
 * lists the rows table by table. */
typedef struct {
    m2c_sink_val *vals;       /* every row's cells, back to back */
    const m2c_sink_val **run; /* the rows of table t: run[tstart[t] .. tstart[t + 1]) */
    size_t *tstart, ntables;
    size_t nvals, capvals;
    size_t *tables; /* per row: table index */
    size_t *first;  /* per row: index of its first cell */
    size_t nrows, caprows;
    m2c_buf text;
    uint64_t undecoded;
} xbatch;

void m2c_xbatch_free(xbatch *b);

/* A chunk's rows come in slices of at most this many logs, so the writer can store the first
 * slices of a dense chunk while a worker still builds the rest. */
#define X_SLICE_LOGS 2000

/* A fetched chunk. */
typedef struct {
    uint64_t from, to;
    m2c_rpc_logs *parts; /* logs, in block order across parts */
    size_t nparts, capparts;
    m2c_rpc_block *blocks; /* ascending by number */
    size_t nblocks;
    m2c_rpc_receipt *receipts; /* TRANSACTIONS: one per transaction, block order */
    size_t nreceipts;
    uint64_t nlogs;
    /* built from the above by m2c_xrows_build, in chain order: slices[0..nslices) are complete
     * (the array is allocated once, before the first row, and never moves) */
    xbatch *slices;
    size_t nslices, capslices;
    uint64_t nrows; /* in all slices */
} xchunk;

void m2c_xchunk_clear(xchunk *c);

/* Told by m2c_xrows_build, on the building thread, each time slices[0..n) are complete: from
 * then on another thread may read them (after a lock both take) while later ones are built. */
typedef struct {
    void (*fn)(void *ctx, size_t n);
    void *ctx;
} xready;

/* Decodes chunk c into c->slices (any thread; x and o are only read); logs go X_SLICE_LOGS to
 * a slice, blocks and transactions into one. ready may be NULL. */
M2C_WUR m2c_status m2c_xrows_build(const xschema *x, const m2c_extract_opts *o, xchunk *c,
                                   const xready *ready, m2c_err *err);

/* Writes slice b into sink s (inside an open sink chunk); adds to *rows and *undecoded. */
M2C_WUR m2c_status m2c_xrows_write(const xschema *x, m2c_sink *s, const xbatch *b, uint64_t *rows,
                                   uint64_t *undecoded, m2c_err *err);

#endif
