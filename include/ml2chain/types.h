/* types.h: fixed-size Ethereum value types. They are plain structs, copied by value and
 * never heap-allocated, so their sizes are part of their names. */
#ifndef ML2CHAIN_TYPES_H
#define ML2CHAIN_TYPES_H

#include <stdint.h>

typedef struct { uint8_t b[32]; } m2c_hash32; /* keccak-256 digests, block/tx hashes, topics */
typedef struct { uint8_t b[20]; } m2c_addr20; /* account and contract addresses */
typedef struct { uint8_t b[65]; } m2c_sig65;  /* r (32) || s (32) || recovery id v (0 or 1) */

/* Unsigned 256-bit integer, four 64-bit limbs, least significant first (w[0]). The same bits
 * read as two's complement are int256 (see u256.h for the signed operations). */
typedef struct { uint64_t w[4]; } m2c_u256;

#endif
