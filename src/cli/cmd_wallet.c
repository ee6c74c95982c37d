/* cmd_wallet.c: `ml2chain wallet ...`: addresses, EIP-191 message signatures and keystores,
 * with cast's flags and output so a cast user feels at home. A private key is printed only
 * by `wallet decrypt-keystore`, which exists to do exactly that. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "keyarg.h"
#include "ml2chain/hex.h"
#include "ml2chain/key.h"
#include "ml2chain/keystore.h"

#define CMD "wallet"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain wallet <command> [options]\n\n"
            "commands:\n"
            "  address [KEY]                 print the address of a key\n"
            "  sign [--no-hash] MESSAGE      EIP-191 signature of MESSAGE (0x... = hex bytes);\n"
            "                                --no-hash signs a 32-byte hash as is\n"
            "  verify --address A MESSAGE SIG  check an EIP-191 signature\n"
            "  new [DIR] [NAME]              create a random key in a new keystore file\n"
            "                                DIR/NAME (NAME defaults to a uuid; DIR to .)\n"
            "  import NAME --keystore-dir DIR  encrypt a --private-key into DIR/NAME\n"
            "  decrypt-keystore FILE|NAME [--keystore-dir DIR]\n"
            "                                print the private key held in a keystore\n\n"
            "%s"
            "  (new and import take the new keystore's password from --password-file)\n",
            m2c_cli_keyarg_help);
}

/* Parses argv with the shared key flags plus --no-hash / --address / --keystore-dir.
 * Leaves positional args at argv[optind..]. Returns -1 on success, else the exit code. */
typedef struct {
    m2c_cli_keyarg key;
    int no_hash;
    const char *address;
    const char *keystore_dir;
} wallet_opts;

static int parse_opts(const char *cmd, wallet_opts *o, int argc, char **argv) {
    enum { OPT_NO_HASH = 1, OPT_ADDRESS, OPT_KEYSTORE_DIR };
    static const struct option opts[] = {M2C_CLI_KEY_OPTIONS,
                                         {"no-hash", no_argument, 0, OPT_NO_HASH},
                                         {"address", required_argument, 0, OPT_ADDRESS},
                                         {"keystore-dir", required_argument, 0, OPT_KEYSTORE_DIR},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
        if (m2c_cli_keyarg_opt(&o->key, c, optarg)) continue;
        switch (c) {
        case OPT_NO_HASH: o->no_hash = 1; break;
        case OPT_ADDRESS: o->address = optarg; break;
        case 'k':
        case OPT_KEYSTORE_DIR: o->keystore_dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: fprintf(stderr, "ml2chain %s: see `ml2chain wallet --help`\n", cmd); return 2;
        }
    }
    return -1;
}

/* The bytes a message argument stands for: "0x..." is hex (as cast), anything else is the
 * text itself. *out is malloc'd (caller frees). */
static int message_bytes(const char *cmd, const char *arg, uint8_t **out, size_t *len) {
    m2c_err err;
    *out = NULL;
    if (!strncmp(arg, "0x", 2) || !strncmp(arg, "0X", 2)) {
        if (m2c_hex_decode_alloc(out, len, arg, strlen(arg), M2C_HEX_PREFIX_REQUIRED, &err) !=
            M2C_OK)
            return m2c_cli_fail_err(cmd, &err, "message starts with 0x but is not hex");
        return 0;
    }
    *len = strlen(arg);
    *out = malloc(*len + 1);
    if (!*out) return m2c_cli_fail(cmd, "out of memory");
    memcpy(*out, arg, *len + 1);
    return 0;
}

static int cmd_address(int argc, char **argv) {
    const char *cmd = CMD " address";
    wallet_opts o;
    m2c_key k;
    char a[43];
    int rc = parse_opts(cmd, &o, argc, argv);
    if (rc >= 0) return rc;
    if (optind < argc) {
        if (o.key.private_key || o.key.keystore)
            return m2c_cli_fail(cmd, "give the key either as an argument or by flag, not both");
        o.key.private_key = argv[optind++];
    }
    if (optind < argc) return m2c_cli_fail(cmd, "unexpected argument '%s'", argv[optind]);
    if (m2c_cli_load_key(cmd, &k, &o.key)) return 1;
    m2c_addr_checksum(a, &k.addr);
    m2c_key_wipe(&k);
    printf("%s\n", a);
    return 0;
}

static int cmd_sign(int argc, char **argv) {
    const char *cmd = CMD " sign";
    wallet_opts o;
    m2c_key k;
    m2c_sig65 sig;
    m2c_err err;
    uint8_t *msg = NULL, rsv[65];
    size_t len = 0;
    char hex[2 * 65 + 3];
    int rc = parse_opts(cmd, &o, argc, argv);
    if (rc >= 0) return rc;
    if (argc - optind != 1) return m2c_cli_fail(cmd, "expected one MESSAGE argument");
    if (message_bytes(cmd, argv[optind], &msg, &len)) return 1;
    if (o.no_hash && len != 32) {
        free(msg);
        return m2c_cli_fail(cmd, "--no-hash needs a 32-byte hash (0x + 64 hex digits), got %zu "
                                 "bytes", len);
    }
    if (m2c_cli_load_key(cmd, &k, &o.key)) {
        free(msg);
        return 1;
    }
    m2c_status st;
    if (o.no_hash) {
        m2c_hash32 h;
        memcpy(h.b, msg, 32);
        st = m2c_key_sign_hash(&sig, &k, &h, &err);
    } else {
        st = m2c_key_sign_message(&sig, &k, msg, len, &err);
    }
    m2c_key_wipe(&k);
    free(msg);
    if (st != M2C_OK) return m2c_cli_fail_err(cmd, &err, "cannot sign");
    m2c_sig_to_rsv(rsv, &sig);
    m2c_hex_encode(hex, rsv, 65, 1);
    printf("%s\n", hex);
    return 0;
}

static int cmd_verify(int argc, char **argv) {
    const char *cmd = CMD " verify";
    wallet_opts o;
    m2c_err err;
    m2c_addr20 addr;
    m2c_sig65 sig;
    uint8_t *msg = NULL, raw[65];
    size_t len = 0;
    int rc = parse_opts(cmd, &o, argc, argv);
    if (rc >= 0) return rc;
    if (!o.address) return m2c_cli_fail(cmd, "--address is required");
    if (argc - optind != 2) return m2c_cli_fail(cmd, "expected MESSAGE and SIGNATURE arguments");
    if (m2c_addr_parse(&addr, o.address, &err) != M2C_OK)
        return m2c_cli_fail_err(cmd, &err, "invalid --address");
    if (m2c_hex_decode_exact(raw, 65, argv[optind + 1], &err) != M2C_OK)
        return m2c_cli_fail_err(cmd, &err, "invalid signature");
    if (m2c_sig_from_rsv(&sig, raw, &err) != M2C_OK)
        return m2c_cli_fail_err(cmd, &err, "invalid signature");
    if (message_bytes(cmd, argv[optind], &msg, &len)) return 1;
    m2c_status st = m2c_verify_message(&addr, msg, len, &sig, &err);
    free(msg);
    char a[43];
    m2c_addr_checksum(a, &addr);
    if (st != M2C_OK) return m2c_cli_fail_err(cmd, &err, "validation failed for %s", a);
    printf("Validation succeeded. Address %s signed this message.\n", a);
    return 0;
}

/* Encrypts k under the password file's password into path. */
static int write_keystore(const char *cmd, const char *path, const m2c_key *k,
                          const char *password_file) {
    char pw[M2C_KEYSTORE_MAX_PASSWORD + 1];
    size_t pwlen = 0;
    m2c_keystore ks;
    m2c_err err;
    int rc = m2c_cli_read_password(cmd, pw, sizeof pw, &pwlen, password_file);
    if (rc) return rc;
    if (m2c_keystore_encrypt(&ks, k, pw, pwlen, NULL, &err) != M2C_OK)
        rc = m2c_cli_fail_err(cmd, &err, "cannot encrypt key");
    else if (m2c_keystore_write_file(path, &ks, &err) != M2C_OK)
        rc = m2c_cli_fail_err(cmd, &err, "cannot write keystore");
    m2c_wipe(pw, sizeof pw);
    return rc;
}

/* dir + "/" + name into out; fails on overflow or a name with a slash. */
static int join_path(const char *cmd, char *out, size_t cap, const char *dir, const char *name) {
    if (strchr(name, '/')) return m2c_cli_fail(cmd, "account name '%s' must not contain '/'", name);
    if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap)
        return m2c_cli_fail(cmd, "path too long");
    return 0;
}

static int cmd_new(int argc, char **argv) {
    const char *cmd = CMD " new";
    wallet_opts o;
    m2c_key k;
    m2c_err err;
    char path[4096], a[43];
    int rc = parse_opts(cmd, &o, argc, argv);
    if (rc >= 0) return rc;
    if (o.key.private_key) return m2c_cli_fail(cmd, "new makes its own key; see `wallet import`");
    const char *dir = optind < argc ? argv[optind++] : ".";
    const char *name = optind < argc ? argv[optind++] : NULL;
    if (optind < argc) return m2c_cli_fail(cmd, "unexpected argument '%s'", argv[optind]);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return m2c_cli_fail(cmd, "keystore directory %s does not exist", dir);
    if (m2c_key_generate(&k, &err) != M2C_OK) return m2c_cli_fail_err(cmd, &err, "cannot make a key");
    /* The file is named by the keystore's uuid unless a name was given; the uuid is only
     * known after encryption, so encrypt first. */
    char pw[M2C_KEYSTORE_MAX_PASSWORD + 1];
    size_t pwlen = 0;
    m2c_keystore ks;
    rc = m2c_cli_read_password(cmd, pw, sizeof pw, &pwlen, o.key.password_file);
    if (rc == 0 && m2c_keystore_encrypt(&ks, &k, pw, pwlen, NULL, &err) != M2C_OK)
        rc = m2c_cli_fail_err(cmd, &err, "cannot encrypt key");
    m2c_wipe(pw, sizeof pw);
    if (rc == 0) rc = join_path(cmd, path, sizeof path, dir, name ? name : ks.id);
    if (rc == 0 && m2c_keystore_write_file(path, &ks, &err) != M2C_OK)
        rc = m2c_cli_fail_err(cmd, &err, "cannot write keystore");
    m2c_addr_checksum(a, &k.addr);
    m2c_key_wipe(&k);
    if (rc) return rc;
    printf("Created new encrypted keystore file: %s\nAddress:    %s\n", path, a);
    return 0;
}

static int cmd_import(int argc, char **argv) {
    const char *cmd = CMD " import";
    wallet_opts o;
    m2c_key k;
    char path[4096], a[43];
    int rc = parse_opts(cmd, &o, argc, argv);
    if (rc >= 0) return rc;
    if (argc - optind != 1) return m2c_cli_fail(cmd, "expected one NAME argument");
    if (!o.keystore_dir) return m2c_cli_fail(cmd, "--keystore-dir is required");
    if (!o.key.private_key) return m2c_cli_fail(cmd, "--private-key is required");
    if (join_path(cmd, path, sizeof path, o.keystore_dir, argv[optind])) return 1;
    m2c_cli_keyarg only_key = {o.key.private_key, NULL, NULL};
    if (m2c_cli_load_key(cmd, &k, &only_key)) return 1;
    rc = write_keystore(cmd, path, &k, o.key.password_file);
    m2c_addr_checksum(a, &k.addr);
    m2c_key_wipe(&k);
    if (rc) return rc;
    printf("`%s` keystore was saved successfully. Address: %s\n", argv[optind], a);
    return 0;
}

static int cmd_decrypt_keystore(int argc, char **argv) {
    const char *cmd = CMD " decrypt-keystore";
    wallet_opts o;
    m2c_key k;
    char path[4096], hex[67];
    int rc = parse_opts(cmd, &o, argc, argv);
    if (rc >= 0) return rc;
    if (argc - optind != 1) return m2c_cli_fail(cmd, "expected one keystore FILE or NAME");
    const char *name = argv[optind];
    if (o.keystore_dir) {
        if (join_path(cmd, path, sizeof path, o.keystore_dir, name)) return 1;
    } else if ((size_t)snprintf(path, sizeof path, "%s", name) >= sizeof path) {
        return m2c_cli_fail(cmd, "path too long");
    }
    m2c_cli_keyarg ka = {NULL, path, o.key.password_file};
    if (m2c_cli_load_key(cmd, &k, &ka)) return 1;
    m2c_hex_encode(hex, k.secret, 32, 1);
    m2c_key_wipe(&k);
    const char *base = strrchr(name, '/');
    printf("%s's private key is: %s\n", base ? base + 1 : name, hex);
    m2c_wipe(hex, sizeof hex);
    return 0;
}

int m2c_cmd_wallet(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {{"address", cmd_address}, {"sign", cmd_sign},   {"verify", cmd_verify},
                {"new", cmd_new},         {"import", cmd_import},
                {"decrypt-keystore", cmd_decrypt_keystore}};
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name)) return subs[i].run(argc - 1, argv + 1);
    return m2c_cli_fail(CMD, "unknown command '%s' (see ml2chain wallet --help)", argv[1]);
}
