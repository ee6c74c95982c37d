/* sink.h: where extracted rows go. One interface, four backends chosen by the target string:
 * a `postgres://` or `postgresql://` URL (PostgreSQL, rows loaded with COPY), a path ending in
 * `.csv` (CSV), `.jsonl` (JSON lines), anything else (SQLite, the default kind).
 *
 * A sink holds one dataset: a fixed set of tables (the schema) plus an identity string (the
 * extraction kind and filter). Rows are written in chunks: m2c_sink_begin(), m2c_sink_row()
 * for each row, m2c_sink_commit(from, to), which stores the rows, the checkpoint "blocks
 * from..to are complete", the hashes of the blocks seen and the provenance in one atomic step
 * (an SQLite/PostgreSQL transaction; for CSV/JSONL append + fsync, then an atomically
 * replaced sidecar `<out>.meta.json` recording file sizes, which reopening truncates back to).
 * So a process killed at any point leaves an output that holds exactly the committed chunks,
 * and re-opening reports them through m2c_sink_done() so a re-run does only the rest.
 *
 * Reopening an output that holds another dataset (different identity or tables) fails with
 * M2C_ERR_STATE and writes nothing. The sink owns everything it allocates; strings passed in
 * are copied or used only during the call. Not thread-safe: one thread drives a sink. */
#ifndef ML2CHAIN_SINK_H
#define ML2CHAIN_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/err.h"

typedef enum {
    M2C_COL_INT = 1, /* signed 64-bit: INTEGER / BIGINT */
    M2C_COL_REAL,    /* double: REAL / DOUBLE PRECISION; non-finite stored as NULL */
    M2C_COL_TEXT,    /* UTF-8 text (hashes, addresses, hex data, strings): TEXT */
    M2C_COL_NUMERIC, /* exact integer up to 78 digits as decimal text ("-5", "1157..."):
                      * TEXT in SQLite/CSV/JSONL (a JSON string), NUMERIC(78,0) in PostgreSQL */
    M2C_COL_BOOL,    /* 0/1: INTEGER in SQLite, BOOLEAN in PostgreSQL, true/false in JSON */
} m2c_col_type;

typedef struct {
    const char *name; /* column name as written (quoted where the backend needs it) */
    m2c_col_type type;
} m2c_sink_col;

typedef struct {
    const char *name; /* table name; for CSV/JSONL with several tables, the file
                       * `<stem>.<name>.<ext>` */
    const m2c_sink_col *cols;
    size_t ncols;
    size_t block_col; /* index of the column holding the block number (for rewinds) */
} m2c_sink_table;

typedef struct {
    const char *identity; /* what was extracted: kind + filter, canonical text; an output
                           * with another identity is refused */
    const m2c_sink_table *tables;
    size_t ntables;
} m2c_sink_schema;

/* One cell. Which field is read depends on the column type: i (INT, BOOL), d (REAL),
 * s/n (TEXT, NUMERIC: n bytes at s, need not be NUL-terminated). 24 bytes: a writer reads
 * millions of them. */
typedef struct {
    const char *s;
    union {
        int64_t i;
        double d;
    };
    uint32_t n;
    int32_t null;
} m2c_sink_val;

/* A completed, inclusive block range. */
typedef struct {
    uint64_t from, to;
} m2c_block_range;

typedef struct m2c_sink m2c_sink;

/* Opens (creating if absent) the output `target` for `schema`. Fails with M2C_ERR_STATE if the
 * output exists and holds another dataset or is not an ml2chain output, M2C_ERR_DB / M2C_ERR_IO
 * if it cannot be opened; nothing is written on failure. *out is NULL on failure. */
M2C_WUR m2c_status m2c_sink_open(m2c_sink **out, const char *target, const m2c_sink_schema *schema,
                                 m2c_err *err);

/* m2c_sink_open_ex flags. */
enum {
    /* A bulk load (an extraction that does not follow the chain): a backend may commit chunks
     * in groups and write faster for it. SQLite then uses a rollback journal instead of WAL
     * (readers of the file may meet "database is locked" meanwhile) and commits a group of
     * chunks at 16 MiB of rows or after 1 s; m2c_sink_flush commits a group early. */
    M2C_SINK_BULK = 1,
};

/* m2c_sink_open with flags (M2C_SINK_BULK). */
M2C_WUR m2c_status m2c_sink_open_ex(m2c_sink **out, const char *target,
                                    const m2c_sink_schema *schema, unsigned flags, m2c_err *err);

/* Closes the sink; a chunk begun but not committed is discarded. Chunks committed but not yet
 * flushed (M2C_SINK_BULK) are kept if that can be done; call m2c_sink_flush first to know.
 * NULL is accepted. */
void m2c_sink_close(m2c_sink *s);

/* "sqlite", "csv", "jsonl" or "postgres". */
const char *m2c_sink_kind(const m2c_sink *s);

/* The completed block ranges, sorted and merged. The array belongs to the sink and is valid
 * until the next commit or rewind. */
const m2c_block_range *m2c_sink_done(const m2c_sink *s, size_t *n);

/* Rows committed so far in table `t` (across runs). */
uint64_t m2c_sink_rows(const m2c_sink *s, size_t t);

/* Stored hash of block `number` ("0x..." 66 chars) into out[67]; M2C_ERR_NOTFOUND if the
 * sink has none for it. */
M2C_WUR m2c_status m2c_sink_block_hash(m2c_sink *s, char out[67], uint64_t number, m2c_err *err);

/* Highest block number with a stored hash that is <= `at_most`, or M2C_ERR_NOTFOUND. */
M2C_WUR m2c_status m2c_sink_block_before(m2c_sink *s, uint64_t *out, uint64_t at_most,
                                         m2c_err *err);

/* The stored value of provenance key `key` (as of the last commit), or NULL. Valid until the
 * next call that changes the sink. */
const char *m2c_sink_meta_get(const m2c_sink *s, const char *key);

/* Starts a chunk. */
M2C_WUR m2c_status m2c_sink_begin(m2c_sink *s, m2c_err *err);

/* Appends one row to table `t`; vals has the table's ncols cells. */
M2C_WUR m2c_status m2c_sink_row(m2c_sink *s, size_t t, const m2c_sink_val *vals, m2c_err *err);

/* Appends n rows to table `t`, in order: rows[i] is row i's ncols cells. The same as n calls of
 * m2c_sink_row, cheaper where a backend can store several rows at once (SQLite: many rows
 * per INSERT). */
M2C_WUR m2c_status m2c_sink_row_batch(m2c_sink *s, size_t t, const m2c_sink_val *const *rows,
                                      size_t n, m2c_err *err);

/* Records the hash ("0x" + 64 hex) of a block seen in this chunk (for reorg detection and
 * provenance). */
M2C_WUR m2c_status m2c_sink_block(m2c_sink *s, uint64_t number, const char *hash, m2c_err *err);

/* Sets a provenance key (e.g. "chain_id") for the next commit. Keys starting with "rows." and
 * "identity" are kept by the sink itself. */
M2C_WUR m2c_status m2c_sink_meta(m2c_sink *s, const char *key, const char *value, m2c_err *err);

/* Commits the chunk: its rows, the checkpoint [from, to], block hashes and provenance, as one
 * atomic step. With M2C_SINK_BULK the step may be grouped with the next chunks: it is on disk
 * at the latest at the next m2c_sink_flush (or after 16 MiB of rows or 1 s). A kill before
 * then loses the group whole, never part of a chunk; so does a chunk of the group that fails,
 * after which the sink accepts no more chunks. */
M2C_WUR m2c_status m2c_sink_commit(m2c_sink *s, uint64_t from, uint64_t to, m2c_err *err);

/* Commits whatever committed chunks are still grouped (M2C_SINK_BULK); a no-op otherwise.
 * Not valid inside a chunk. After it fails the sink accepts no more chunks. */
M2C_WUR m2c_status m2c_sink_flush(m2c_sink *s, m2c_err *err);

/* Removes everything at or above block `from` (rows, block hashes, checkpoints), for a reorg.
 * CSV/JSONL can only rewind to a chunk boundary: rows of the whole chunk containing `from`
 * are removed and that chunk is no longer reported done. Not valid inside a chunk. */
M2C_WUR m2c_status m2c_sink_rewind(m2c_sink *s, uint64_t from, m2c_err *err);

#endif
