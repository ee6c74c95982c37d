/* cmd_decode_event.c: `ml2chain decode-event`, like `cast decode-event` but taking the log's
 * topics too, so indexed parameters are decoded (dynamic ones print as their topic hash). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_abi.h"
#include "ml2chain/hex.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain decode-event --sig <event sig> [--topic <hash>]... [--lenient]\n"
            "                             [--names] <data>\n\n"
            "Decodes an event log, one value per line in declared order, as\n"
            "`cast decode-event` prints them. --topic gives the log's topics in order,\n"
            "topic0 first (repeat the flag, or pass a comma-separated list). Without topics,\n"
            "the event must have no indexed parameters. Indexed string, bytes, array and\n"
            "tuple parameters print as the 32-byte hash their topic holds.\n"
            "  --sig <sig>    \"Transfer(address indexed from, address indexed to, uint256)\"\n"
            "  --topic <t>    a topic (0x + 64 hex); up to 4\n"
            "  --lenient      accept non-canonical padding and bools (docs/abi.md)\n"
            "  --names        print \"name: value\" lines\n");
}

static int add_topics(const char *cmd, m2c_hash32 *topics, size_t *n, const char *arg) {
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char tmp[80];
        if (*n >= 4) return m2c_cli_fail(cmd, "more than 4 topics");
        if (len >= sizeof tmp) return m2c_cli_fail(cmd, "topic '%.*s' is too long", (int)len, p);
        memcpy(tmp, p, len);
        tmp[len] = 0;
        m2c_err e;
        m2c_err_clear(&e);
        if (m2c_hash_parse(&topics[*n], tmp, &e) != M2C_OK)
            return m2c_cli_fail_err(cmd, &e, "cannot read topic %zu '%s'", *n, tmp);
        (*n)++;
        if (!comma) return 0;
        p = comma + 1;
    }
}

int m2c_cmd_decode_event(int argc, char **argv) {
    const char *cmd = "decode-event";
    static const struct option opts[] = {{"sig", required_argument, NULL, 's'},
                                         {"event-sig", required_argument, NULL, 's'},
                                         {"topic", required_argument, NULL, 't'},
                                         {"topics", required_argument, NULL, 't'},
                                         {"lenient", no_argument, NULL, 'l'},
                                         {"names", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *sigs = NULL;
    m2c_hash32 topics[4];
    size_t n_topics = 0;
    int names = 0, c, have_topics = 0;
    unsigned flags = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': sigs = optarg; break;
        case 't':
            have_topics = 1;
            if (add_topics(cmd, topics, &n_topics, optarg)) return 1;
            break;
        case 'l': flags |= M2C_ABI_LENIENT; break;
        case 'n': names = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (!sigs || argc - optind > 1) {
        usage(stderr);
        return 1;
    }
    const char *hex = optind < argc ? argv[optind] : "0x";
    m2c_arena a;
    m2c_arena_init(&a, 0);
    m2c_abi_sig ev;
    m2c_abi_value v;
    m2c_err e;
    m2c_err_clear(&e);
    uint8_t *data;
    size_t len;
    int rc = 1;
    if (m2c_cli_abi_sig(cmd, &a, &ev, sigs, M2C_ABI_EVENT)) goto out;
    if (m2c_cli_abi_hex(cmd, &a, &data, &len, "data", hex)) goto out;
    if (!have_topics) {
        size_t n_idx = 0;
        for (size_t i = 0; i < ev.inputs->n_fields; i++) n_idx += ev.inputs->fields[i].indexed;
        if (n_idx) {
            rc = m2c_cli_fail(cmd, "%s has %zu indexed parameter%s: pass the log's topics with "
                                   "--topic",
                              ev.canonical, n_idx, n_idx == 1 ? "" : "s");
            goto out;
        }
        if (!ev.anonymous) topics[n_topics++] = ev.topic0;
    }
    if (m2c_abi_decode_log(&a, &v, &ev, topics, n_topics, data, len, flags, &e) != M2C_OK) {
        rc = m2c_cli_fail_err(cmd, &e, "cannot decode log");
        goto out;
    }
    rc = m2c_cli_abi_print(cmd, &v, names);
out:
    m2c_arena_free(&a);
    return rc;
}
