/* extract_logparse.h: private to src/data: the extractor's fast eth_getLogs path. */
#ifndef ML2CHAIN_EXTRACT_LOGPARSE_H
#define ML2CHAIN_EXTRACT_LOGPARSE_H

#include "ml2chain/extract.h"

/* eth_getLogs with the fast parser and the generic one as fallback. */
M2C_WUR m2c_status m2c_xget_logs(m2c_rpc *c, m2c_rpc_logs *out, const m2c_rpc_filter *f,
                                 m2c_err *err);

#endif
