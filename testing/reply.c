/* The reply and trailer builder: see reply.h. */
#include "testing/reply.h"

#include <string.h>

#include "client_sessions.h"
#include "testing/bytes.h"
#include "testing/invariant.h"
#include "testing/random.h"

vsr_header_reply testing_reply_make(const testing_reply_fields *fields, vsr_u128 client,
                                    uint64_t commit, uint32_t request) {
    vsr_header_reply reply;
    memset(&reply, 0, sizeof(reply));
    reply.cluster = fields->cluster;
    reply.view = fields->view;
    reply.release = fields->release;
    reply.command = VSR_COMMAND_REPLY;
    reply.replica = fields->replica;
    reply.request_checksum = fields->request_checksum;
    reply.context = fields->context;
    reply.client = client;
    reply.op = commit;
    reply.commit = commit;
    reply.timestamp = fields->timestamp;
    reply.request = request;
    if (request == 0) {
        reply.operation = VSR_OPERATION_REGISTER;
        reply.size = VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE;
    } else {
        reply.operation = fields->operation;
        reply.size = VSR_HEADER_SIZE + fields->body_size;
    }
    reply.checksum_body = fields->checksum_body;
    vsr_header_set_checksum(&reply); /* last: it covers every other field */
    return reply;
}

vsr_header_reply testing_reply_salted(vsr_u128 client, uint64_t commit, uint32_t request,
                                      uint64_t salt) {
    testing_reply_fields fields;
    memset(&fields, 0, sizeof(fields));
    fields.cluster = VSR_U128(salt >> 32, 7);
    fields.view = (uint32_t)(salt & 0xff);
    fields.release = 1 + (uint32_t)(salt >> 8 & 0xf);
    fields.replica = (uint8_t)(salt >> 12 & 0x7);
    fields.request_checksum = VSR_U128(commit, client ^ salt);
    fields.context = (vsr_u128)salt;
    fields.timestamp = commit * 1000 + (salt & 0x3ff) + 1;
    if (fields.timestamp == 0) fields.timestamp = 1;
    fields.operation = (uint8_t)(128 + (salt >> 16) % 64);
    fields.body_size = request == 0 ? VSR_REGISTER_RESULT_SIZE : (uint32_t)(salt >> 24 & 0xff);
    /* The body itself is not kept in the table: zeros, its checksum over at most 64 bytes. */
    static const uint8_t body[VSR_REGISTER_RESULT_SIZE] = {0};
    fields.checksum_body =
        vsr_checksum(body, fields.body_size <= sizeof(body) ? fields.body_size : sizeof(body));
    return testing_reply_make(&fields, client, commit, request);
}

vsr_header_reply testing_reply(vsr_u128 client, uint64_t commit, uint32_t request) {
    return testing_reply_salted(client, commit, request, 0);
}

void testing_trailer(uint8_t *out, uint32_t clients_max, uint32_t fill, bool scattered,
                     uint64_t seed) {
    TESTING_ASSERT(clients_max > 0);
    uint64_t state = seed;
    size_t headers_size = (size_t)clients_max * VSR_HEADER_SIZE;
    memset(out, 0, (size_t)clients_max * CLIENT_SESSIONS_SLOT_ENCODED_SIZE);
    if (fill > clients_max) fill = clients_max;
    uint32_t placed = 0;
    for (uint32_t i = 0; placed < fill && i < 64 * clients_max; i++) {
        uint32_t slot = scattered ? testing_below(&state, clients_max) : placed;
        if (testing_load(out + headers_size + (size_t)slot * 8, 8) != 0) continue;
        /* Distinct by construction: the commit's high part is the placement index. */
        uint64_t commit = ((uint64_t)(placed + 1) << 20) | (testing_random(&state) & 0xfffff);
        uint64_t session = commit - (testing_random(&state) % commit);
        vsr_u128 client = VSR_U128(testing_random(&state) >> 1, placed + 1);
        bool registered = session == commit;
        vsr_header_reply reply = testing_reply_salted(client, commit, registered ? 0 : placed + 1,
                                                      testing_random(&state));
        memcpy(out + (size_t)slot * VSR_HEADER_SIZE, &reply, sizeof(reply));
        testing_store(out + headers_size + (size_t)slot * 8, 8, session);
        placed++;
    }
}
