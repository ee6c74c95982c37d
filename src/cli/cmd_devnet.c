/* cmd_devnet.c: `ml2chain devnet`: a local anvil for development. Prints the URL and the
 * funded accounts with their keys, and stops anvil on SIGINT/SIGTERM, when anvil exits on
 * its own, and when our parent dies (PR_SET_PDEATHSIG on both processes). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ml2chain/hex.h"

#define CMD "devnet"

enum { OPT_PORT = 0x3300, OPT_BLOCK_TIME, OPT_ANVIL, OPT_ACCOUNTS };

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain devnet [--port P] [--block-time S] [--accounts N] [--anvil PATH]\n"
            "\n"
            "Starts a local anvil (anvil beside the binary, else bin/anvil up to four directories\n"
            "up from it, else anvil on PATH), prints its URL and the funded test accounts with\n"
            "their private keys (the well-known test mnemonic: never use them on a real chain),\n"
            "and runs until SIGINT or SIGTERM, then stops anvil and exits 0.\n"
            "\n"
            "  --port P          port on 127.0.0.1 (default 8545; 0: any free port)\n"
            "  --block-time S    mine a block every S seconds (default: one per transaction)\n"
            "  --accounts N      funded accounts (default 10)\n"
            "  --anvil PATH      the anvil binary to run\n");
}

/* anvil beside the binary, else in bin/ of the binary's directory or of up to three of its
 * parents (build/ml2chain -> bin/anvil; build/san/ml2chain too), else on PATH. */
static int find_anvil(char *out, size_t cap) {
    char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n > 0) {
        dir[n] = 0;
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = 0;
            snprintf(out, cap, "%.4000s/anvil", dir);
            if (access(out, X_OK) == 0) return 1;
            for (int up = 0; up < 4; up++) {
                snprintf(out, cap, "%.4000s/bin/anvil", dir);
                if (access(out, X_OK) == 0) return 1;
                slash = strrchr(dir, '/');
                if (!slash || slash == dir) break;
                *slash = 0;
            }
        }
    }
    snprintf(out, cap, "anvil"); /* execvp searches PATH */
    return 1;
}

int m2c_cmd_devnet(int argc, char **argv) {
    static const struct option longopts[] = {{"port", required_argument, NULL, OPT_PORT},
                                             {"block-time", required_argument, NULL,
                                              OPT_BLOCK_TIME},
                                             {"accounts", required_argument, NULL, OPT_ACCOUNTS},
                                             {"anvil", required_argument, NULL, OPT_ANVIL},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
    const char *port_s = "8545", *bt_s = NULL, *anvil_s = NULL, *acc_s = "10";
    unsigned long long v;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_PORT:
            if (m2c_cli_uint(CMD, "--port", optarg, 0, 65535, NULL, &v)) return 1;
            port_s = optarg;
            break;
        case OPT_BLOCK_TIME:
            if (m2c_cli_uint(CMD, "--block-time", optarg, 1, 86400, "seconds", &v)) return 1;
            bt_s = optarg;
            break;
        case OPT_ACCOUNTS:
            if (m2c_cli_uint(CMD, "--accounts", optarg, 1, 1000, NULL, &v)) return 1;
            acc_s = optarg;
            break;
        case OPT_ANVIL: anvil_s = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind < argc) return m2c_cli_fail(CMD, "unexpected argument \"%.80s\"", argv[optind]);

    char anvil[PATH_MAX];
    if (anvil_s)
        snprintf(anvil, sizeof anvil, "%s", anvil_s);
    else
        find_anvil(anvil, sizeof anvil);

    char dir[] = "/tmp/m2c-devnet.XXXXXX";
    if (!mkdtemp(dir)) return m2c_cli_fail(CMD, "cannot create a temporary directory: %s", strerror(errno));
    char cfg[64], logp[64];
    snprintf(cfg, sizeof cfg, "%s/accounts.json", dir);
    snprintf(logp, sizeof logp, "%s/anvil.log", dir);

    /* Signals are taken synchronously with sigtimedwait: blocked here, before the fork, and
     * unblocked in the child before exec. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &old);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) return m2c_cli_fail(CMD, "the parent process is already gone");
    pid_t self = getpid();

    int rc = 1;
    pid_t pid = fork();
    if (pid < 0) {
        m2c_cli_fail(CMD, "fork: %s", strerror(errno));
        goto cleanup;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != self) _exit(1);
        sigprocmask(SIG_SETMASK, &old, NULL);
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        char *args[16];
        int k = 0;
        args[k++] = anvil;
        args[k++] = "--host";
        args[k++] = "127.0.0.1";
        args[k++] = "--port";
        args[k++] = (char *)port_s;
        args[k++] = "--accounts";
        args[k++] = (char *)acc_s;
        args[k++] = "--config-out";
        args[k++] = cfg;
        if (bt_s) {
            args[k++] = "--block-time";
            args[k++] = (char *)bt_s;
        }
        args[k] = NULL;
        execvp(anvil, args);
        fprintf(stderr, "exec %s: %s\n", anvil, strerror(errno));
        _exit(127);
    }

    /* Wait for "Listening on HOST:PORT" in anvil's log and for the accounts file. */
    char url[80] = "";
    int listening = 0;
    for (int i = 0; i < 600 && !listening; i++) {
        struct timespec ts = {0, 50 * 1000000L};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &ts);
        if (sig == SIGCHLD) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                pid = 0;
                char line[200] = "";
                FILE *lf = fopen(logp, "r");
                if (lf) {
                    char b[200];
                    while (fgets(b, sizeof b, lf))
                        if (b[0] != '\n') snprintf(line, sizeof line, "%s", b);
                    fclose(lf);
                }
                line[strcspn(line, "\n")] = 0;
                m2c_cli_fail(CMD, "anvil (%s) exited with status %d before listening%s%s", anvil,
                             WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
                             line[0] ? ": " : "", line);
                goto cleanup;
            }
            continue;
        }
        if (sig > 0) { /* SIGINT / SIGTERM / SIGHUP while starting */
            rc = 0;
            goto cleanup;
        }
        FILE *lf = fopen(logp, "r");
        if (!lf) continue;
        char b[256];
        while (fgets(b, sizeof b, lf)) {
            char host[64];
            unsigned port;
            if (sscanf(b, "Listening on %63[^:]:%u", host, &port) == 2) {
                snprintf(url, sizeof url, "http://%s:%u", host, port);
                listening = 1;
                break;
            }
        }
        fclose(lf);
    }
    if (!listening) {
        m2c_cli_fail(CMD, "anvil did not start listening within 30 s (see %s)", logp);
        goto cleanup;
    }
    json_error_t je;
    json_t *j = json_load_file(cfg, 0, &je);
    json_t *addrs = j ? json_object_get(j, "available_accounts") : NULL;
    json_t *keys = j ? json_object_get(j, "private_keys") : NULL;
    if (!json_is_array(addrs) || !json_is_array(keys) ||
        json_array_size(addrs) != json_array_size(keys)) {
        json_decref(j);
        m2c_cli_fail(CMD, "anvil wrote no usable account list to %s", cfg);
        goto cleanup;
    }
    printf("devnet     %s (anvil pid %ld)\n", url, (long)pid);
    printf("chain id   31337\n");
    printf("accounts   %zu funded test accounts (well-known keys: never use on a real chain)\n",
           json_array_size(addrs));
    for (size_t i = 0; i < json_array_size(addrs); i++) {
        m2c_addr20 a;
        m2c_err err;
        m2c_err_clear(&err);
        const char *as = json_string_value(json_array_get(addrs, i));
        const char *ks = json_string_value(json_array_get(keys, i));
        char cs[48];
        if (!as || !ks || m2c_addr_parse(&a, as, &err) != M2C_OK) continue;
        m2c_addr_checksum(cs, &a);
        printf("  (%zu) %s  key %s\n", i, cs, ks);
    }
    printf("export ETH_RPC_URL=%s\n", url);
    printf("Ctrl-C stops it.\n");
    fflush(stdout);
    json_decref(j);

    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig == SIGCHLD) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                pid = 0;
                m2c_cli_fail(CMD, "anvil exited on its own (status %d)",
                             WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
                goto cleanup;
            }
            continue;
        }
        if (sig > 0) break;
    }
    rc = 0;
cleanup:
    if (pid > 0) {
        kill(pid, SIGTERM);
        int st;
        for (int i = 0; i < 100; i++) { /* up to 5 s, then SIGKILL */
            if (waitpid(pid, &st, WNOHANG) == pid) {
                pid = 0;
                break;
            }
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
        }
        if (rc == 0) {
            printf("devnet stopped\n");
            fflush(stdout);
        }
    }
    unlink(cfg);
    unlink(logp);
    rmdir(dir);
    return rc;
}
