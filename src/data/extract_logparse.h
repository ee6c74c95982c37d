/* extract_logparse.h: private to src/data: the extractor's fast eth_getLogs path. */
#ifndef ML2CHAIN_EXTRACT_LOGPARSE_H
#define ML2CHAIN_EXTRACT_LOGPARSE_H

#include "ml2chain/rpc.h"

/* Parses a whole eth_getLogs response body for request `id` into out (arena-backed, free with
 * m2c_rpc_logs_free). M2C_ERR_UNSUPPORTED (out zeroed) for anything outside the common shape;
 * the caller then uses m2c_rpc_parse_logs_body. Never reads past body[len). */
M2C_WUR m2c_status m2c_xlogs_parse_fast(m2c_rpc_logs *out, const char *body, size_t len,
                                        uint64_t id);

/* eth_getLogs with the fast parser and the generic one as fallback. */
M2C_WUR m2c_status m2c_xget_logs(m2c_rpc *c, m2c_rpc_logs *out, const m2c_rpc_filter *f,
                                 m2c_err *err);

#endif
