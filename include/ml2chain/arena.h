/* arena.h: a bump allocator with a hard byte cap. Everything allocated from an arena lives
 * until m2c_arena_free(), which releases it all at once; this is how the ABI codec hands out
 * type trees and decoded values without per-node frees. The cap bounds the memory (and so the
 * work) any one untrusted input can cause. Not thread-safe; one owner at a time. */
#ifndef ML2CHAIN_ARENA_H
#define ML2CHAIN_ARENA_H

#include <stddef.h>

typedef struct m2c_arena_chunk m2c_arena_chunk;

typedef struct {
    m2c_arena_chunk *head; /* newest chunk first */
    size_t used;           /* bytes handed out, including alignment */
    size_t max;            /* allocations that would push `used` past max fail */
} m2c_arena;

#define M2C_ARENA_DEFAULT_MAX ((size_t)256 << 20)

/* Initialises an empty arena capped at `max` bytes (0 means M2C_ARENA_DEFAULT_MAX). */
void m2c_arena_init(m2c_arena *a, size_t max);
/* Frees every allocation; the arena is empty and reusable afterwards. NULL is accepted. */
void m2c_arena_free(m2c_arena *a);
/* Forgets every allocation like m2c_arena_free, but keeps one standard-size chunk to serve the
 * next ones from memory already mapped and in cache: for loops that allocate per item and drop
 * it all after each. NULL is accepted. */
void m2c_arena_reset(m2c_arena *a);
/* Returns `n` bytes aligned for any object, zero-filled, or NULL when the cap is reached or
 * malloc fails. n == 0 returns a valid unique pointer. */
void *m2c_arena_alloc(m2c_arena *a, size_t n);
/* m2c_arena_alloc without the zero fill, for memory the caller writes before reading (large
 * buffers filled item by item: zeroing them first costs a pass over memory just mapped). */
void *m2c_arena_alloc_uninit(m2c_arena *a, size_t n);
/* Array form of m2c_arena_alloc: NULL on count * size overflow as well. */
void *m2c_arena_calloc(m2c_arena *a, size_t count, size_t size);
/* Copies `n` bytes of `s` into the arena and appends a NUL; NULL on failure. */
char *m2c_arena_strndup(m2c_arena *a, const char *s, size_t n);

#endif
