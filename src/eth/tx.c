/* tx.c: legacy / EIP-155, EIP-2930 and EIP-1559 transactions; see tx.h. */
#include "ml2chain/tx.h"

#include <stdlib.h>
#include <string.h>

#include "ml2chain/keccak.h"
#include "ml2chain/rlp.h"
#include "ml2chain/u256.h"

/* secp256k1 group order n and n/2, big-endian. */
static const uint8_t CURVE_N[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
                                    0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

static const char *type_name(m2c_tx_type t) {
    switch (t) {
    case M2C_TX_LEGACY: return "legacy";
    case M2C_TX_EIP2930: return "eip-2930";
    case M2C_TX_EIP1559: return "eip-1559";
    }
    return "unknown";
}

void m2c_tx_free(m2c_tx *tx) {
    if (!tx) return;
    free(tx->owned_);
    memset(tx, 0, sizeof *tx);
}

static m2c_status put_access_list(m2c_rlp_enc *e, const m2c_tx *tx) {
    m2c_status st;
    if ((st = m2c_rlp_list_begin(e))) return st;
    for (size_t i = 0; i < tx->access_len; i++) {
        const m2c_access_entry *a = &tx->access_list[i];
        if ((st = m2c_rlp_list_begin(e))) return st;
        if ((st = m2c_rlp_put_bytes(e, a->address.b, 20))) return st;
        if ((st = m2c_rlp_list_begin(e))) return st;
        for (size_t k = 0; k < a->n_keys; k++)
            if ((st = m2c_rlp_put_bytes(e, a->keys[k].b, 32))) return st;
        if ((st = m2c_rlp_list_end(e))) return st;
        if ((st = m2c_rlp_list_end(e))) return st;
    }
    return m2c_rlp_list_end(e);
}

/* Appends the type byte (typed txs) and the RLP list of fields. signed_form: 0 for the
 * signing payload, 1 for the raw signed tx. */
static m2c_status encode(m2c_buf *out, const m2c_tx *tx, int signed_form, m2c_err *err) {
    m2c_rlp_enc e;
    m2c_status st = M2C_OK;
    if (tx->type != M2C_TX_LEGACY && tx->type != M2C_TX_EIP2930 && tx->type != M2C_TX_EIP1559)
        return m2c_err_set(err, M2C_ERR_UNSUPPORTED, "transaction type %d not supported",
                           (int)tx->type);
    if (tx->type != M2C_TX_LEGACY && tx->chain_id == 0)
        return m2c_err_set(err, M2C_ERR_INVALID, "%s transaction needs a chain id",
                           type_name(tx->type));
    if (tx->type == M2C_TX_LEGACY && tx->access_len)
        return m2c_err_set(err, M2C_ERR_INVALID, "legacy transaction cannot carry an access list");
    if (signed_form && !tx->is_signed)
        return m2c_err_set(err, M2C_ERR_STATE, "transaction is not signed");
    if (tx->type != M2C_TX_LEGACY) {
        if ((st = m2c_buf_append_byte(out, (uint8_t)tx->type))) goto out;
    }
    m2c_rlp_enc_init(&e, out);
    if ((st = m2c_rlp_list_begin(&e))) goto out;
    if (tx->type != M2C_TX_LEGACY && (st = m2c_rlp_put_u64(&e, tx->chain_id))) goto out;
    if ((st = m2c_rlp_put_u64(&e, tx->nonce))) goto out;
    if (tx->type == M2C_TX_EIP1559) {
        if ((st = m2c_rlp_put_u256(&e, &tx->max_priority_fee_per_gas))) goto out;
        if ((st = m2c_rlp_put_u256(&e, &tx->max_fee_per_gas))) goto out;
    } else {
        if ((st = m2c_rlp_put_u256(&e, &tx->gas_price))) goto out;
    }
    if ((st = m2c_rlp_put_u64(&e, tx->gas_limit))) goto out;
    if ((st = m2c_rlp_put_bytes(&e, tx->to.b, tx->has_to ? 20 : 0))) goto out;
    if ((st = m2c_rlp_put_u256(&e, &tx->value))) goto out;
    if ((st = m2c_rlp_put_bytes(&e, tx->data, tx->data_len))) goto out;
    if (tx->type != M2C_TX_LEGACY && (st = put_access_list(&e, tx))) goto out;
    if (signed_form) {
        m2c_u256 r = m2c_u256_from_be32(tx->sig.b), s = m2c_u256_from_be32(tx->sig.b + 32);
        m2c_u256 v = m2c_u256_from_u64(tx->sig.b[64] & 1);
        if (tx->type == M2C_TX_LEGACY) {
            /* v = 27 + parity, or 35 + 2 * chain_id + parity (EIP-155); 2^65 fits a u256. */
            m2c_u256 c = m2c_u256_from_u64(tx->chain_id), base;
            c = m2c_u256_shl(&c, 1);
            base = m2c_u256_from_u64(tx->chain_id ? 35 : 27);
            (void)m2c_u256_add(&v, &v, &base);
            if (tx->chain_id) (void)m2c_u256_add(&v, &v, &c);
        }
        if ((st = m2c_rlp_put_u256(&e, &v))) goto out;
        if ((st = m2c_rlp_put_u256(&e, &r))) goto out;
        if ((st = m2c_rlp_put_u256(&e, &s))) goto out;
    } else if (tx->type == M2C_TX_LEGACY && tx->chain_id) {
        if ((st = m2c_rlp_put_u64(&e, tx->chain_id))) goto out;
        if ((st = m2c_rlp_put_u64(&e, 0))) goto out;
        if ((st = m2c_rlp_put_u64(&e, 0))) goto out;
    }
    st = m2c_rlp_list_end(&e);
out:
    if (st != M2C_OK && err && err->code == M2C_OK)
        m2c_err_set(err, st, "cannot encode transaction: %s", m2c_status_str(st));
    return st;
}

m2c_status m2c_tx_encode_unsigned(m2c_buf *out, const m2c_tx *tx, m2c_err *err) {
    return encode(out, tx, 0, err);
}

m2c_status m2c_tx_encode_signed(m2c_buf *out, const m2c_tx *tx, m2c_err *err) {
    return encode(out, tx, 1, err);
}

/* keccak of the payload encode() produces, via a scratch buffer. */
static m2c_status hash_of(m2c_hash32 *out, const m2c_tx *tx, int signed_form, m2c_err *err) {
    m2c_buf b;
    m2c_buf_init(&b, 0);
    memset(out, 0, sizeof *out);
    m2c_status st = encode(&b, tx, signed_form, err);
    if (st == M2C_OK) *out = m2c_keccak256(b.p, b.len);
    m2c_buf_free(&b);
    return st;
}

m2c_status m2c_tx_signing_hash(m2c_hash32 *out, const m2c_tx *tx, m2c_err *err) {
    return hash_of(out, tx, 0, err);
}

m2c_status m2c_tx_hash(m2c_hash32 *out, const m2c_tx *tx, m2c_err *err) {
    return hash_of(out, tx, 1, err);
}

m2c_status m2c_tx_sign(m2c_tx *tx, const m2c_key *k, m2c_err *err) {
    m2c_hash32 h;
    m2c_status st = m2c_tx_signing_hash(&h, tx, err);
    if (st != M2C_OK) return st;
    if ((st = m2c_key_sign_hash(&tx->sig, k, &h, err)) != M2C_OK) return st;
    tx->is_signed = 1;
    return M2C_OK;
}

m2c_status m2c_tx_sender(m2c_addr20 *out, const m2c_tx *tx, m2c_err *err) {
    m2c_hash32 h;
    memset(out, 0, sizeof *out);
    if (!tx->is_signed) return m2c_err_set(err, M2C_ERR_STATE, "transaction is not signed");
    m2c_status st = m2c_tx_signing_hash(&h, tx, err);
    if (st != M2C_OK) return st;
    return m2c_sig_recover(out, &h, &tx->sig, err);
}

/* ---- decoding ---------------------------------------------------------------------- */

/* Decoder state: the field list and a cursor; `base` is added to item offsets so errors
 * name positions in the whole raw input (typed txs start after the type byte). */
typedef struct {
    const m2c_rlp_item *list;
    size_t pos;
    size_t base;
    m2c_err *err;
} dec;

static m2c_status next_item(dec *d, m2c_rlp_item *it, const m2c_rlp_item *list, size_t *pos,
                            const char *what) {
    m2c_status st = m2c_rlp_list_next(it, list, pos, d->err);
    if (st == M2C_ERR_NOTFOUND)
        return m2c_err_at(d->err, M2C_ERR_INVALID, d->base + list->offset,
                          "transaction field %s missing", what);
    if (st != M2C_OK) return m2c_err_prefix(d->err, "transaction field %s", what);
    return M2C_OK;
}

static m2c_status field(dec *d, m2c_rlp_item *it, const char *what) {
    m2c_status st = next_item(d, it, d->list, &d->pos, what);
    if (st != M2C_OK) return st;
    if (it->is_list)
        return m2c_err_at(d->err, M2C_ERR_INVALID, d->base + it->offset,
                          "transaction field %s is a list, expected a string", what);
    return M2C_OK;
}

static m2c_status field_u64(dec *d, uint64_t *out, const char *what) {
    m2c_rlp_item it;
    m2c_status st = field(d, &it, what);
    if (st != M2C_OK) return st;
    if ((st = m2c_rlp_get_u64(out, &it, d->err)) != M2C_OK) {
        if (d->err) d->err->offset = d->base + it.offset;
        return m2c_err_prefix(d->err, "transaction field %s%s", what,
                              d->base ? " (offsets count after the type byte)" : "");
    }
    return M2C_OK;
}

static m2c_status field_u256(dec *d, m2c_u256 *out, const char *what) {
    m2c_rlp_item it;
    m2c_status st = field(d, &it, what);
    if (st != M2C_OK) return st;
    if ((st = m2c_rlp_get_u256(out, &it, d->err)) != M2C_OK) {
        if (d->err) d->err->offset = d->base + it.offset;
        return m2c_err_prefix(d->err, "transaction field %s%s", what,
                              d->base ? " (offsets count after the type byte)" : "");
    }
    return M2C_OK;
}

/* Walks the access list item. With ents == NULL it only validates and counts; otherwise it
 * fills ents[] and keys[] (sized by the counting pass). */
static m2c_status walk_access_list(dec *d, const m2c_rlp_item *al, size_t *n_ents,
                                   size_t *n_keys, m2c_access_entry *ents, m2c_hash32 *keys) {
    m2c_status st;
    m2c_rlp_item ent, it, kl;
    size_t pos = 0, ne = 0, nk = 0;
    if (!al->is_list)
        return m2c_err_at(d->err, M2C_ERR_INVALID, d->base + al->offset,
                          "transaction access list is not a list");
    while ((st = m2c_rlp_list_next(&ent, al, &pos, d->err)) == M2C_OK) {
        size_t epos = 0, kpos = 0;
        if (!ent.is_list)
            return m2c_err_at(d->err, M2C_ERR_INVALID, d->base + ent.offset,
                              "access list entry %zu is not a list", ne);
        if ((st = next_item(d, &it, &ent, &epos, "access list address"))) return st;
        if (it.is_list || it.len != 20)
            return m2c_err_at(d->err, M2C_ERR_INVALID, d->base + it.offset,
                              "access list entry %zu: address must be 20 bytes", ne);
        if (ents) {
            memcpy(ents[ne].address.b, it.payload, 20);
            ents[ne].keys = keys + nk;
            ents[ne].n_keys = 0;
        }
        if ((st = next_item(d, &kl, &ent, &epos, "access list storage keys"))) return st;
        if (!kl.is_list)
            return m2c_err_at(d->err, M2C_ERR_INVALID, d->base + kl.offset,
                              "access list entry %zu: storage keys are not a list", ne);
        while ((st = m2c_rlp_list_next(&it, &kl, &kpos, d->err)) == M2C_OK) {
            if (it.is_list || it.len != 32)
                return m2c_err_at(d->err, M2C_ERR_INVALID, d->base + it.offset,
                                  "access list entry %zu: storage key must be 32 bytes", ne);
            if (ents) {
                memcpy(keys[nk].b, it.payload, 32);
                ents[ne].n_keys++;
            }
            nk++;
        }
        if (st != M2C_ERR_NOTFOUND) return m2c_err_prefix(d->err, "access list entry %zu", ne);
        if ((st = m2c_rlp_list_next(&it, &ent, &epos, d->err)) != M2C_ERR_NOTFOUND)
            return st != M2C_OK ? m2c_err_prefix(d->err, "access list entry %zu", ne)
                                : m2c_err_at(d->err, M2C_ERR_INVALID, d->base + it.offset,
                                             "access list entry %zu has more than 2 items", ne);
        ne++;
    }
    if (st != M2C_ERR_NOTFOUND) return m2c_err_prefix(d->err, "transaction access list");
    *n_ents = ne;
    *n_keys = nk;
    return M2C_OK;
}

/* r and s: 1..32 bytes (canonical integers), nonzero, below n; s at most n/2. */
static m2c_status field_sig_scalar(dec *d, uint8_t out[32], const char *what) {
    m2c_u256 v;
    m2c_status st = field_u256(d, &v, what);
    if (st != M2C_OK) return st;
    m2c_u256_to_be32(out, &v);
    if (m2c_u256_is_zero(&v))
        return m2c_err_set(d->err, M2C_ERR_INVALID, "transaction signature %s is zero", what);
    if (memcmp(out, CURVE_N, 32) >= 0)
        return m2c_err_set(d->err, M2C_ERR_INVALID,
                           "transaction signature %s is not below the curve order", what);
    return M2C_OK;
}

m2c_status m2c_tx_decode(m2c_tx *out, const uint8_t *raw, size_t n, m2c_err *err) {
    m2c_status st;
    m2c_rlp_item top, it, to_it, data_it, al_it;
    dec d = {0};
    size_t n_ents = 0, n_keys = 0;
    m2c_u256 v;
    memset(out, 0, sizeof *out);
    d.err = err;
    if (n == 0) return m2c_err_at(err, M2C_ERR_TRUNCATED, 0, "raw transaction is empty");
    if (n > M2C_TX_MAX_RAW)
        return m2c_err_at(err, M2C_ERR_RANGE, 0, "raw transaction too large (%zu > %zu bytes)",
                          n, M2C_TX_MAX_RAW);
    if (raw[0] >= 0xc0) {
        out->type = M2C_TX_LEGACY;
    } else if (raw[0] == 1 || raw[0] == 2) {
        out->type = (m2c_tx_type)raw[0];
        d.base = 1;
    } else if (raw[0] <= 0x7f) {
        return m2c_err_at(err, M2C_ERR_UNSUPPORTED, 0, "transaction type 0x%02x not supported",
                          raw[0]);
    } else {
        return m2c_err_at(err, M2C_ERR_INVALID, 0,
                          "raw transaction is neither typed nor an rlp list (first byte 0x%02x)",
                          raw[0]);
    }
    if ((st = m2c_rlp_decode(&top, raw + d.base, n - d.base, err)) != M2C_OK) {
        if (err && err->offset != (size_t)-1) err->offset += d.base;
        st = m2c_err_prefix(err, "raw %s transaction", type_name(out->type));
        goto fail;
    }
    if (!top.is_list) {
        st = m2c_err_at(err, M2C_ERR_INVALID, d.base, "%s transaction payload is not a list",
                        type_name(out->type));
        goto fail;
    }
    d.list = &top;
    if (out->type != M2C_TX_LEGACY) {
        if ((st = field_u64(&d, &out->chain_id, "chainId"))) goto fail;
        /* the encoder refuses it too: a typed tx without a chain id is always a mistake */
        if (out->chain_id == 0) {
            st = m2c_err_at(err, M2C_ERR_INVALID, d.base + top.header_len,
                            "%s transaction has chain id 0", type_name(out->type));
            goto fail;
        }
    }
    if ((st = field_u64(&d, &out->nonce, "nonce"))) goto fail;
    if (out->type == M2C_TX_EIP1559) {
        if ((st = field_u256(&d, &out->max_priority_fee_per_gas, "maxPriorityFeePerGas")))
            goto fail;
        if ((st = field_u256(&d, &out->max_fee_per_gas, "maxFeePerGas"))) goto fail;
    } else if ((st = field_u256(&d, &out->gas_price, "gasPrice"))) {
        goto fail;
    }
    if ((st = field_u64(&d, &out->gas_limit, "gasLimit"))) goto fail;
    if ((st = field(&d, &to_it, "to"))) goto fail;
    if (to_it.len != 0 && to_it.len != 20) {
        st = m2c_err_at(err, M2C_ERR_INVALID, d.base + to_it.offset,
                        "transaction field to must be empty or 20 bytes, got %zu", to_it.len);
        goto fail;
    }
    if ((st = field_u256(&d, &out->value, "value"))) goto fail;
    if ((st = field(&d, &data_it, "data"))) goto fail;
    if (out->type != M2C_TX_LEGACY) {
        if ((st = next_item(&d, &al_it, d.list, &d.pos, "accessList"))) goto fail;
        if ((st = walk_access_list(&d, &al_it, &n_ents, &n_keys, NULL, NULL))) goto fail;
    }
    if ((st = field_u256(&d, &v, "v"))) goto fail;
    if ((st = field_sig_scalar(&d, out->sig.b, "r"))) goto fail;
    if ((st = field_sig_scalar(&d, out->sig.b + 32, "s"))) goto fail;
    if (m2c_rlp_list_next(&it, d.list, &d.pos, NULL) != M2C_ERR_NOTFOUND) {
        st = m2c_err_at(err, M2C_ERR_INVALID, d.base + it.offset,
                        "%s transaction has more fields than expected", type_name(out->type));
        goto fail;
    }
    if (!m2c_sig_is_low_s(&out->sig)) {
        st = m2c_err_set(err, M2C_ERR_INVALID, "transaction signature s is above n/2 (EIP-2)");
        goto fail;
    }
    if (out->type == M2C_TX_LEGACY) {
        uint64_t v64;
        m2c_u256 t;
        if (m2c_u256_to_u64(&v64, &v) && (v64 == 27 || v64 == 28)) {
            out->chain_id = 0;
            out->sig.b[64] = (uint8_t)(v64 - 27);
        } else {
            m2c_u256 k35 = m2c_u256_from_u64(35), c;
            if (m2c_u256_cmp(&v, &k35) < 0 || m2c_u256_sub(&t, &v, &k35)) {
                st = m2c_err_set(err, M2C_ERR_INVALID,
                                 "legacy transaction v is neither 27/28 nor >= 35 (EIP-155)");
                goto fail;
            }
            c = m2c_u256_shr(&t, 1);
            if (!m2c_u256_to_u64(&out->chain_id, &c)) {
                st = m2c_err_set(err, M2C_ERR_RANGE, "legacy transaction chain id exceeds 2^64");
                goto fail;
            }
            out->sig.b[64] = (uint8_t)(t.w[0] & 1);
        }
    } else {
        uint64_t v64;
        if (!m2c_u256_to_u64(&v64, &v) || v64 > 1) {
            st = m2c_err_set(err, M2C_ERR_INVALID, "transaction yParity must be 0 or 1");
            goto fail;
        }
        out->sig.b[64] = (uint8_t)v64;
    }
    out->is_signed = 1;
    out->has_to = to_it.len == 20;
    if (out->has_to) memcpy(out->to.b, to_it.payload, 20);

    /* One block: access entries, then storage keys, then a copy of the data. Sizes are
     * bounded by n (each entry and key consumed input bytes), so nothing here overflows. */
    {
        size_t sz = n_ents * sizeof(m2c_access_entry) + n_keys * sizeof(m2c_hash32) +
                    data_it.len + 1;
        uint8_t *blk = malloc(sz);
        if (!blk) {
            st = m2c_err_set(err, M2C_ERR_NOMEM, "cannot allocate %zu bytes for transaction", sz);
            goto fail;
        }
        out->owned_ = blk;
        m2c_access_entry *ents = (m2c_access_entry *)(void *)blk;
        m2c_hash32 *keys = (m2c_hash32 *)(void *)(blk + n_ents * sizeof(m2c_access_entry));
        uint8_t *data = blk + n_ents * sizeof(m2c_access_entry) + n_keys * sizeof(m2c_hash32);
        if (n_ents) {
            size_t e2 = 0, k2 = 0;
            if ((st = walk_access_list(&d, &al_it, &e2, &k2, ents, keys))) goto fail;
            out->access_list = ents;
            out->access_len = n_ents;
        }
        if (data_it.len) memcpy(data, data_it.payload, data_it.len);
        out->data = data;
        out->data_len = data_it.len;
    }
    return M2C_OK;
fail:
    m2c_tx_free(out);
    return st;
}
