/* cmd_mktx.c: `ml2chain mktx`: build and sign a transaction offline and print the raw signed
 * bytes, like `cast mktx` when every field is given (nothing is fetched from a node, so every
 * field is required). Calldata is raw hex or, as with cast, a function signature and its
 * arguments (ABI-encoded through abi.h). EIP-1559 by default; --legacy for a legacy (EIP-155)
 * transaction, which becomes EIP-2930 (type 1) when it carries an --access-list, as cast does. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "cli_abi.h"
#include "keyarg.h"
#include "ml2chain/hex.h"
#include "ml2chain/tx.h"
#include "ml2chain/u256.h"

#define CMD                "mktx"
#define MAX_ACCESS_ENTRIES 4096
#define MAX_ACCESS_KEYS    65536

static void usage(FILE *f) {
    fprintf(f,
            "usage: ml2chain mktx [options] TO [0xDATA | SIG [ARGS...]]\n"
            "       ml2chain mktx [options] --create 0xCODE\n\n"
            "Signs a transaction offline and prints it as raw hex (for eth_sendRawTransaction\n"
            "or `cast publish`). Every field must be given; nothing is fetched from a node.\n\n"
            "  --nonce N                  sender nonce\n"
            "  --chain ID                 chain id (decimal; mainnet, sepolia, anvil accepted)\n"
            "                             (env CHAIN)\n"
            "  --gas-limit N              gas limit (env ETH_GAS_LIMIT)\n"
            "  --gas-price P              legacy: gas price; EIP-1559: max fee per gas\n"
            "                             (env ETH_GAS_PRICE)\n"
            "  --priority-gas-price P     EIP-1559 max priority fee per gas\n"
            "                             (env ETH_PRIORITY_GAS_PRICE)\n"
            "  --value V                  wei to send (default 0)\n"
            "  --legacy                   legacy transaction instead of EIP-1559\n"
            "  --access-list JSON         [{\"address\":..,\"storageKeys\":[..]},..]\n"
            "  --data 0xDATA              calldata (or give it after TO, or give a function\n"
            "                             signature and its arguments: \"f(uint256)\" 1)\n"
            "  --create                   contract creation; the data is the init code\n"
            "Amounts are wei (123, 0x7b) or a decimal with an optional exponent and unit, as\n"
            "cast reads them: 1ether, 10gwei, 0.5 ether, 1.5e18, 2e3gwei.\n\n"
            "%s",
            m2c_cli_keyarg_help);
}

/* Parses an amount the way cast does: 0x-hex wei, or
 *   digits [. digits] [(e|E) [+|-] exponent] [spaces] [wei | gwei | ether]
 * whose value (mantissa * 10^(exponent + unit decimals)) must be a whole number of wei without
 * dropping any written digit ("1.0" and "5e-1" are refused, "0.1e1" and "1.5gwei" are not). */
static m2c_status parse_amount(m2c_u256 *out, const char *s, m2c_err *err) {
    static const struct {
        const char *unit;
        int dec;
    } units[] = {{"ether", 18}, {"gwei", 9}, {"wei", 0}};
    size_t n = strlen(s), i = 0;
    *out = m2c_u256_from_u64(0);
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        char hex[80];
        if (n >= sizeof hex) return m2c_err_set(err, M2C_ERR_RANGE, "amount '%s' is too long", s);
        if (n == 2) return M2C_OK; /* cast reads a bare "0x" as zero */
        /* m2c_u256_parse wants a lowercase 0x prefix */
        snprintf(hex, sizeof hex, "0x%s", s + 2);
        return m2c_u256_parse(out, hex, strlen(hex), err);
    }
    size_t int_start = i;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    size_t int_len = i - int_start, frac_start = 0, frac_len = 0;
    if (int_len == 0) return m2c_err_set(err, M2C_ERR_INVALID, "amount '%s' is not a number", s);
    if (i < n && s[i] == '.') {
        frac_start = ++i;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
        frac_len = i - frac_start;
        if (frac_len == 0)
            return m2c_err_set(err, M2C_ERR_INVALID, "amount '%s': no digits after '.'", s);
    }
    long exp = 0;
    /* an exponent is e/E followed by a digit or a sign ("1ether" is a unit, not one) */
    if (i + 1 < n && (s[i] == 'e' || s[i] == 'E') &&
        (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '+' || s[i + 1] == '-')) {
        int neg = 0, sign = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) sign = 1, neg = s[i++] == '-';
        size_t e0 = i;
        while (i < n && isdigit((unsigned char)s[i]) && i - e0 < 4)
            exp = exp * 10 + (s[i++] - '0');
        if (i == e0 || (s[e0] == '0' && i - e0 > 1) || (i < n && isdigit((unsigned char)s[i])))
            return m2c_err_set(err, M2C_ERR_INVALID, "amount '%s' has a bad exponent", s);
        if (sign && exp == 0) /* cast refuses "e-0" and "e+0" though it takes "e0" */
            return m2c_err_set(err, M2C_ERR_INVALID, "amount '%s' has a bad exponent", s);
        if (neg) exp = -exp;
    }
    while (i < n && s[i] == ' ')
        i++;
    int dec = 0;
    if (i < n) {
        size_t u = 0;
        for (; u < sizeof units / sizeof units[0]; u++) {
            size_t ul = strlen(units[u].unit);
            if (!strncmp(s + i, units[u].unit, ul)) {
                dec = units[u].dec;
                i += ul;
                break;
            }
        }
        /* cast allows spaces after a bare number but not after a unit */
        if (u == sizeof units / sizeof units[0] || i != n)
            return m2c_err_set(err, M2C_ERR_INVALID,
                               "amount '%s': expected a number with an optional unit (wei, gwei, "
                               "ether)",
                               s);
    }
    long scale = (long)dec + exp - (long)frac_len; /* zeros to append */
    if (scale < 0)
        return m2c_err_set(err, M2C_ERR_INVALID, "amount '%s' is not a whole number of wei", s);
    char digits[200];
    if (int_len + frac_len + (size_t)scale + 1 > sizeof digits)
        return m2c_err_set(err, M2C_ERR_RANGE, "amount '%s' does not fit in 256 bits", s);
    size_t k = 0;
    memcpy(digits, s + int_start, int_len);
    k += int_len;
    if (frac_len) memcpy(digits + k, s + frac_start, frac_len);
    k += frac_len;
    memset(digits + k, '0', (size_t)scale);
    k += (size_t)scale;
    /* leading zeros ("007", "0.5ether") are fine here; m2c_u256_parse does not take them */
    size_t z = 0;
    while (z + 1 < k && digits[z] == '0')
        z++;
    if (m2c_u256_parse(out, digits + z, k - z, err) != M2C_OK)
        return m2c_err_set(err, M2C_ERR_RANGE, "amount '%s' does not fit in 256 bits", s);
    return M2C_OK;
}

/* A plain integer: decimal digits or 0x-hex, at most 2^64 - 1 (what cast takes for --nonce,
 * --gas-limit and --chain). */
static m2c_status parse_u64(uint64_t *out, const char *s, m2c_err *err) {
    m2c_u256 v;
    size_t n = strlen(s);
    int hex = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    *out = 0;
    for (size_t i = hex ? 2 : 0; i < n; i++)
        if (!(hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i])) || n == 0)
            return m2c_err_set(err, M2C_ERR_INVALID, "'%s' is not a whole number", s);
    if (n == 0) return m2c_err_set(err, M2C_ERR_INVALID, "empty number");
    m2c_status st = parse_amount(&v, s, err);
    if (st != M2C_OK) return st;
    if (!m2c_u256_to_u64(out, &v))
        return m2c_err_set(err, M2C_ERR_RANGE, "'%s' does not fit in 64 bits", s);
    return M2C_OK;
}

static m2c_status parse_chain(uint64_t *out, const char *s, m2c_err *err) {
    if (!strcasecmp(s, "mainnet")) return *out = 1, M2C_OK;
    if (!strcasecmp(s, "sepolia")) return *out = 11155111, M2C_OK;
    if (!strcasecmp(s, "anvil") || !strcasecmp(s, "localhost")) return *out = 31337, M2C_OK;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return m2c_err_set(err, M2C_ERR_INVALID, "chain '%s' is not a number or a known name",
                               s);
    m2c_status st = parse_u64(out, s, err);
    if (st == M2C_OK && *out == 0)
        return m2c_err_set(err, M2C_ERR_INVALID, "chain id must not be 0");
    return st;
}

/* Parses the --access-list JSON into malloc'd arrays (entries and keys; caller frees). */
static m2c_status parse_access_list(m2c_access_entry **ents, size_t *n_ents, m2c_hash32 **keys,
                                    const char *json, m2c_err *err) {
    json_error_t je;
    m2c_status st = M2C_OK;
    size_t nk = 0, ki = 0;
    *ents = NULL;
    *keys = NULL;
    *n_ents = 0;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!root) return m2c_err_set(err, M2C_ERR_INVALID, "invalid json: %s", je.text);
    if (!json_is_array(root) || json_array_size(root) > MAX_ACCESS_ENTRIES) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "expected an array of at most %d entries",
                         MAX_ACCESS_ENTRIES);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(root); i++) {
        json_t *sk = json_object_get(json_array_get(root, i), "storageKeys");
        if (!json_is_array(sk)) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "entry %zu: storageKeys is not an array", i);
            goto out;
        }
        nk += json_array_size(sk);
    }
    if (nk > MAX_ACCESS_KEYS) {
        st = m2c_err_set(err, M2C_ERR_RANGE, "more than %d storage keys", MAX_ACCESS_KEYS);
        goto out;
    }
    *n_ents = json_array_size(root);
    *ents = calloc(*n_ents ? *n_ents : 1, sizeof **ents);
    *keys = calloc(nk ? nk : 1, sizeof **keys);
    if (!*ents || !*keys) {
        st = m2c_err_set(err, M2C_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < *n_ents; i++) {
        json_t *e = json_array_get(root, i), *a = json_object_get(e, "address");
        json_t *sk = json_object_get(e, "storageKeys");
        if (!json_is_string(a) || m2c_addr_parse(&(*ents)[i].address, json_string_value(a), err)) {
            if (!json_is_string(a)) m2c_err_set(err, M2C_ERR_INVALID, "address missing");
            st = m2c_err_prefix(err, "entry %zu", i);
            goto out;
        }
        (*ents)[i].keys = *keys + ki;
        (*ents)[i].n_keys = json_array_size(sk);
        for (size_t j = 0; j < json_array_size(sk); j++) {
            json_t *h = json_array_get(sk, j);
            if (!json_is_string(h) || m2c_hash_parse(&(*keys)[ki], json_string_value(h), err)) {
                if (!json_is_string(h)) m2c_err_set(err, M2C_ERR_INVALID, "not a string");
                st = m2c_err_prefix(err, "entry %zu storage key %zu", i, j);
                goto out;
            }
            ki++;
        }
    }
out:
    json_decref(root);
    if (st != M2C_OK) {
        free(*ents);
        free(*keys);
        *ents = NULL;
        *keys = NULL;
        *n_ents = 0;
    }
    return st;
}

static const char *env_or(const char *v, const char *env) {
    if (v) return v;
    const char *e = getenv(env);
    return e && *e ? e : NULL;
}

int m2c_cmd_mktx(int argc, char **argv) {
    enum {
        OPT_NONCE = 1,
        OPT_CHAIN,
        OPT_GAS_LIMIT,
        OPT_GAS_PRICE,
        OPT_PRIO,
        OPT_VALUE,
        OPT_LEGACY,
        OPT_DATA,
        OPT_CREATE,
        OPT_ACCESS
    };
    static const struct option opts[] = {M2C_CLI_KEY_OPTIONS,
                                         {"nonce", required_argument, 0, OPT_NONCE},
                                         {"chain", required_argument, 0, OPT_CHAIN},
                                         {"gas-limit", required_argument, 0, OPT_GAS_LIMIT},
                                         {"gas-price", required_argument, 0, OPT_GAS_PRICE},
                                         {"priority-gas-price", required_argument, 0, OPT_PRIO},
                                         {"value", required_argument, 0, OPT_VALUE},
                                         {"legacy", no_argument, 0, OPT_LEGACY},
                                         {"data", required_argument, 0, OPT_DATA},
                                         {"create", no_argument, 0, OPT_CREATE},
                                         {"access-list", required_argument, 0, OPT_ACCESS},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    m2c_cli_keyarg ka = {0};
    const char *nonce = NULL, *chain = NULL, *gas_limit = NULL, *gas_price = NULL, *prio = NULL,
               *value = NULL, *data = NULL, *access = NULL;
    int legacy = 0, create = 0, c, rc = 1;
    m2c_tx tx = {0};
    m2c_key k;
    m2c_err err;
    m2c_buf raw;
    uint8_t *calldata = NULL;
    m2c_access_entry *ents = NULL;
    m2c_hash32 *keys = NULL;
    m2c_buf encoded;
    m2c_arena arena;
    m2c_buf_init(&raw, 0);
    m2c_buf_init(&encoded, 0);
    m2c_arena_init(&arena, 0);
    m2c_key_wipe(&k);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (m2c_cli_keyarg_opt(&ka, c, optarg)) continue;
        switch (c) {
        case OPT_NONCE: nonce = optarg; break;
        case OPT_CHAIN: chain = optarg; break;
        case OPT_GAS_LIMIT: gas_limit = optarg; break;
        case OPT_GAS_PRICE: gas_price = optarg; break;
        case OPT_PRIO: prio = optarg; break;
        case OPT_VALUE: value = optarg; break;
        case OPT_LEGACY: legacy = 1; break;
        case OPT_DATA: data = optarg; break;
        case OPT_CREATE: create = 1; break;
        case OPT_ACCESS: access = optarg; break;
        case 'h': usage(stdout); return 0;
        default: fprintf(stderr, "ml2chain mktx: see `ml2chain mktx --help`\n"); return 2;
        }
    }
    chain = env_or(chain, "CHAIN");
    gas_limit = env_or(gas_limit, "ETH_GAS_LIMIT");
    gas_price = env_or(gas_price, "ETH_GAS_PRICE");
    prio = env_or(prio, "ETH_PRIORITY_GAS_PRICE");

    /* positionals: TO [DATA] or, with --create, [CODE] */
    if (!create) {
        if (optind >= argc) {
            m2c_cli_fail(CMD, "missing TO address (or --create)");
            goto out;
        }
        if (m2c_addr_parse(&tx.to, argv[optind], &err) != M2C_OK) {
            m2c_cli_fail_err(CMD, &err, "invalid TO address '%s'", argv[optind]);
            goto out;
        }
        tx.has_to = 1;
        optind++;
    }
    if (optind < argc) {
        if (data) {
            m2c_cli_fail(CMD, "calldata given twice (--data and '%s')", argv[optind]);
            goto out;
        }
        if (!strncmp(argv[optind], "0x", 2)) {
            data = argv[optind++];
        } else if (create) {
            m2c_cli_fail(CMD, "--create takes the init code as 0x-hex, not '%s'", argv[optind]);
            goto out;
        } else {
            /* cast's form: SIG [ARGS...], ABI-encoded into the calldata */
            m2c_abi_sig sig;
            m2c_abi_value args;
            if (m2c_cli_abi_sig(CMD, &arena, &sig, argv[optind], M2C_ABI_FUNCTION)) goto out;
            if (m2c_cli_abi_args(CMD, &arena, &args, sig.inputs, argc - optind - 1,
                                 argv + optind + 1))
                goto out;
            if (m2c_abi_encode_call(&encoded, &sig, &args, &err) != M2C_OK) {
                m2c_cli_fail_err(CMD, &err, "cannot encode the call to %s", sig.canonical);
                goto out;
            }
            optind = argc;
        }
    }
    if (optind < argc) {
        m2c_cli_fail(CMD, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (create && !data) {
        m2c_cli_fail(CMD, "--create needs the init code (0x...)");
        goto out;
    }

    /* fields; mktx signs offline, so every one is required */
#define REQUIRED(v, flag)                                                                          \
    if (!(v)) {                                                                                    \
        m2c_cli_fail(CMD, "%s is required (mktx signs offline and asks no node)", flag);           \
        goto out;                                                                                  \
    }
    REQUIRED(nonce, "--nonce");
    REQUIRED(chain, "--chain");
    REQUIRED(gas_limit, "--gas-limit");
    REQUIRED(gas_price, "--gas-price");
    if (!legacy) REQUIRED(prio, "--priority-gas-price (or --legacy)");
#undef REQUIRED
    if (legacy && prio) {
        m2c_cli_fail(CMD, "--priority-gas-price applies to EIP-1559 transactions, not --legacy");
        goto out;
    }
    if (parse_u64(&tx.nonce, nonce, &err) != M2C_OK) {
        m2c_cli_fail_err(CMD, &err, "invalid --nonce");
        goto out;
    }
    if (parse_chain(&tx.chain_id, chain, &err) != M2C_OK) {
        m2c_cli_fail_err(CMD, &err, "invalid --chain");
        goto out;
    }
    if (parse_u64(&tx.gas_limit, gas_limit, &err) != M2C_OK) {
        m2c_cli_fail_err(CMD, &err, "invalid --gas-limit");
        goto out;
    }
    if (parse_amount(legacy ? &tx.gas_price : &tx.max_fee_per_gas, gas_price, &err) != M2C_OK) {
        m2c_cli_fail_err(CMD, &err, "invalid --gas-price");
        goto out;
    }
    if (!legacy && parse_amount(&tx.max_priority_fee_per_gas, prio, &err) != M2C_OK) {
        m2c_cli_fail_err(CMD, &err, "invalid --priority-gas-price");
        goto out;
    }
    if (!legacy && m2c_u256_cmp(&tx.max_priority_fee_per_gas, &tx.max_fee_per_gas) > 0) {
        m2c_cli_fail(CMD, "--priority-gas-price is above the max fee (--gas-price)");
        goto out;
    }
    if (value && parse_amount(&tx.value, value, &err) != M2C_OK) {
        m2c_cli_fail_err(CMD, &err, "invalid --value");
        goto out;
    }
    if (data && m2c_hex_decode_alloc(&calldata, &tx.data_len, data, strlen(data),
                                     M2C_HEX_PREFIX_REQUIRED, &err) != M2C_OK) {
        m2c_cli_fail_err(CMD, &err, "invalid calldata");
        goto out;
    }
    tx.data = calldata;
    if (encoded.len) {
        tx.data = encoded.p;
        tx.data_len = encoded.len;
    }
    if (access) {
        if (parse_access_list(&ents, &tx.access_len, &keys, access, &err) != M2C_OK) {
            m2c_cli_fail_err(CMD, &err, "invalid --access-list");
            goto out;
        }
        tx.access_list = ents;
    }
    tx.type = !legacy ? M2C_TX_EIP1559 : access ? M2C_TX_EIP2930 : M2C_TX_LEGACY;

    if (m2c_cli_load_key(CMD, &k, &ka)) goto out;
    if (m2c_tx_sign(&tx, &k, &err) != M2C_OK || m2c_tx_encode_signed(&raw, &tx, &err) != M2C_OK) {
        m2c_cli_fail_err(CMD, &err, "cannot sign transaction");
        goto out;
    }
    {
        char *hex = m2c_hex_encode_alloc(raw.p, raw.len, 1);
        if (!hex) {
            m2c_cli_fail(CMD, "out of memory");
            goto out;
        }
        printf("%s\n", hex);
        free(hex);
    }
    rc = 0;
out:
    m2c_key_wipe(&k);
    m2c_buf_free(&raw);
    m2c_buf_free(&encoded);
    m2c_arena_free(&arena);
    free(calldata);
    free(ents);
    free(keys);
    return rc;
}
