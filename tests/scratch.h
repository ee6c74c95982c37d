/* scratch.h: scratch files for unit tests (include after test.h). One directory per test
 * process, made with mkdtemp under $TMPDIR (default /tmp) on first use and removed with every
 * file in it at exit, so a test stopped early by REQUIRE leaves nothing behind; a child made
 * with fork() that calls exit() leaves it alone (only the process that made it removes it).
 * The directory is flat: tests put files in it, not subdirectories. Kept out of test.h so
 * that test files do not get <unistd.h>'s names (R_OK, ...) with the harness. */
#ifndef ML2CHAIN_TEST_SCRATCH_H
#define ML2CHAIN_TEST_SCRATCH_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct {
    char dir[4096];
    pid_t owner;
} m2c_test_scratch_;

static inline m2c_test_scratch_ *m2c_test_scratch_state_(void) {
    static m2c_test_scratch_ s;
    return &s;
}

static inline void m2c_test_scratch_remove_(void) {
    m2c_test_scratch_ *s = m2c_test_scratch_state_();
    if (!s->dir[0] || s->owner != getpid()) return;
    DIR *d = opendir(s->dir);
    if (d) {
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            if (unlinkat(dirfd(d), e->d_name, 0) != 0)
                fprintf(stderr, "test: cannot remove %s/%s\n", s->dir, e->d_name);
        }
        closedir(d);
    }
    if (rmdir(s->dir) != 0) fprintf(stderr, "test: cannot remove %s\n", s->dir);
    s->dir[0] = 0;
}

/* The process's scratch directory; aborts if it cannot be made (no test could run). */
static inline const char *m2c_test_tmpdir(void) {
    m2c_test_scratch_ *s = m2c_test_scratch_state_();
    if (!s->dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(s->dir, sizeof s->dir, "%s/m2c-test-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(s->dir)) {
            perror("test: mkdtemp");
            abort();
        }
        s->owner = getpid();
        atexit(m2c_test_scratch_remove_);
    }
    return s->dir;
}

/* Writes "<scratch dir>/<name>" into out (n bytes) and returns out. */
static inline const char *m2c_test_tmp_path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", m2c_test_tmpdir(), name);
    return out;
}

/* A new SQLite database path in the scratch directory, "<stem>-<k>.db" with k counting up
 * from 1, so a store opened on it starts empty; returns out. */
static inline const char *m2c_test_db_path(char *out, size_t n, const char *stem) {
    static unsigned k;
    char name[128];
    snprintf(name, sizeof name, "%s-%u.db", stem, ++k);
    return m2c_test_tmp_path(out, n, name);
}

/* Removes a database made at path and the -wal, -shm and -journal files SQLite keeps beside
 * it (those that exist). */
static inline void m2c_test_db_remove(const char *path) {
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char p[4096 + 16];
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

#endif
