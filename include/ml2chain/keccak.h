/* keccak.h: Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3-256's
 * 0x06). One-shot and incremental forms; no allocation. Thread-safe per context. */
#ifndef ML2CHAIN_KECCAK_H
#define ML2CHAIN_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#include "ml2chain/types.h"

typedef struct {
    uint64_t st[25];
    size_t pos; /* bytes absorbed into the current 136-byte block */
} m2c_keccak_ctx;

void m2c_keccak_init(m2c_keccak_ctx *ctx);
void m2c_keccak_update(m2c_keccak_ctx *ctx, const void *data, size_t len);
/* Finishes and writes the digest; the context must be re-initialised before reuse. */
void m2c_keccak_final(m2c_keccak_ctx *ctx, m2c_hash32 *out);

/* keccak256(data[0..len)) */
m2c_hash32 m2c_keccak256(const void *data, size_t len);

#endif
