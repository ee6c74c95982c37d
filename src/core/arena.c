/* arena.c: capped bump allocator; see arena.h. */
#include "ml2chain/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct m2c_arena_chunk {
    m2c_arena_chunk *next;
    size_t cap; /* usable bytes after the header */
    size_t pos; /* bytes used */
    alignas(max_align_t) unsigned char data[];
};

#define ARENA_ALIGN (alignof(max_align_t))
#define ARENA_CHUNK ((size_t)16 << 10)

void m2c_arena_init(m2c_arena *a, size_t max) {
    a->head = NULL;
    a->used = 0;
    a->max = max ? max : M2C_ARENA_DEFAULT_MAX;
}

void m2c_arena_free(m2c_arena *a) {
    if (!a) return;
    m2c_arena_chunk *c = a->head;
    while (c) {
        m2c_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used = 0;
}

void m2c_arena_reset(m2c_arena *a) {
    if (!a) return;
    m2c_arena_chunk *keep = NULL, *c = a->head;
    while (c) {
        m2c_arena_chunk *next = c->next;
        if (!keep && c->cap == ARENA_CHUNK)
            keep = c;
        else
            free(c);
        c = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->pos = 0;
    }
    a->head = keep;
    a->used = 0;
}

void *m2c_arena_alloc_uninit(m2c_arena *a, size_t n) {
    if (n > SIZE_MAX - ARENA_ALIGN) return NULL;
    size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (need == 0) need = ARENA_ALIGN;
    if (need > a->max - a->used) return NULL;
    m2c_arena_chunk *c = a->head;
    if (!c || c->cap - c->pos < need) {
        /* Big requests get a chunk of their own, so small ones keep filling the current one. */
        size_t cap = need > ARENA_CHUNK / 4 ? need : ARENA_CHUNK;
        m2c_arena_chunk *nc = malloc(sizeof *nc + cap);
        if (!nc) return NULL;
        nc->cap = cap;
        nc->pos = 0;
        if (c && need > ARENA_CHUNK / 4) { /* keep the partly used chunk at the head */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        c = nc;
    }
    void *p = c->data + c->pos;
    c->pos += need;
    a->used += need;
    return p;
}

void *m2c_arena_alloc(m2c_arena *a, size_t n) {
    void *p = m2c_arena_alloc_uninit(a, n);
    if (p) memset(p, 0, n ? n : 1);
    return p;
}

void *m2c_arena_calloc(m2c_arena *a, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    return m2c_arena_alloc(a, count * size);
}

char *m2c_arena_strndup(m2c_arena *a, const char *s, size_t n) {
    if (n == SIZE_MAX) return NULL;
    char *p = m2c_arena_alloc(a, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}
