/* fuzz_node_logs.c: libFuzzer target for the node's log decoders (Requested,
 * ModelRegistered, the template's RequestEvent). The first byte picks the decoder and the
 * topic count; the next 4*32 bytes are topics (topic0 forced to the event's, so decoding goes
 * past the signature check), the rest is log data. Accepted Requested logs must re-encode
 * their input hash consistently. */
#include <stdlib.h>
#include <string.h>

#include "ml2chain/keccak.h"
#include "ml2chain/nodetx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 + 4 * 32) return 0;
    unsigned which = data[0] % 3, nt = 1 + (data[0] >> 2) % 4;
    m2c_hash32 topics[4];
    memcpy(topics, data + 1, sizeof topics);
    const uint8_t *d = data + 1 + 4 * 32;
    size_t n = size - 1 - 4 * 32;
    m2c_noderec r;
    m2c_err e;
    if (which == 0) {
        topics[0] = m2c_event_topic(M2C_SIG_REQUESTED);
        if (m2c_node_decode_requested(&r, topics, nt, d, n, &e) == M2C_OK) {
            m2c_hash32 h = m2c_keccak256(r.input, r.input_len);
            if (memcmp(h.b, r.req + 256, 32) || r.input_len > n) abort();
            if (memcmp(r.id.b, topics[1].b, 32)) abort();
            /* the unpacked words are canonical ABI words: address, bytes4, uint32, uint64 */
            static const uint8_t z[32];
            if (memcmp(r.req + 96, z, 12) || memcmp(r.req + 128 + 4, z, 28) ||
                memcmp(r.req + 160, z, 28) || memcmp(r.req + 192, z, 24) || memcmp(r.req + 224, z, 8))
                abort();
            if (memcmp(r.req + 96 + 12, d, 20) || memcmp(r.req + 232, d + 40, 24)) abort();
        }
        m2c_noderec_free(&r);
    } else if (which == 1) {
        topics[0] = m2c_event_topic(M2C_SIG_MODEL_REGISTERED);
        m2c_node_model_reg reg;
        if (m2c_node_decode_model_registered(&reg, topics, nt, d, n, &e) == M2C_OK) {
            if (strlen(reg.uri) >= sizeof reg.uri) abort();
        }
    } else {
        if (m2c_node_decode_template_request(&r, d, n, &e) == M2C_OK) {
            if (strlen(r.model) >= sizeof r.model || r.input_len > n) abort();
        }
        m2c_noderec_free(&r);
    }
    return 0;
}
