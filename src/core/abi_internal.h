/* abi_internal.h: helpers shared by the abi_*.c files; not part of the public API. */
#ifndef ML2CHAIN_ABI_INTERNAL_H
#define ML2CHAIN_ABI_INTERNAL_H

#include "ml2chain/abi.h"

/* Fills sig->canonical, selector and topic0 from sig->name and sig->inputs. */
m2c_status m2c_abi_sig_finish_(m2c_arena *a, m2c_abi_sig *sig, m2c_err *err);
/* Builds T[] (k < 0) or T[k] (0 <= k <= M2C_ABI_MAX_FIXED_LEN) around elem, with the caps. */
m2c_status m2c_abi_array_make_(m2c_arena *a, const m2c_abi_type **out, const m2c_abi_type *elem,
                               long k, m2c_err *err);

#endif
