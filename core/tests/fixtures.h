/* Valid headers and tables for the unit tests. */
#ifndef CS_FIXTURES_H
#define CS_FIXTURES_H

#include <string.h>

#include "client_sessions.h"

/* A valid reply: a register reply when request == 0, else operation 128 (a state-machine op). */
static inline vsr_header_reply fixture_reply(vsr_u128 client, uint64_t commit, uint32_t request) {
    vsr_header_reply reply;
    memset(&reply, 0, sizeof(reply));
    reply.cluster = 7;
    reply.view = 1;
    reply.release = 1;
    reply.command = VSR_COMMAND_REPLY;
    reply.request_checksum = VSR_U128(commit, client);
    reply.client = client;
    reply.op = commit;
    reply.commit = commit;
    reply.timestamp = 1000 * commit;
    reply.request = request;
    if (request == 0) {
        reply.operation = VSR_OPERATION_REGISTER;
        reply.size = VSR_HEADER_SIZE + VSR_REGISTER_RESULT_SIZE;
    } else {
        reply.operation = 128;
        reply.size = VSR_HEADER_SIZE;
    }
    vsr_header_set_checksum(&reply);
    return reply;
}

/* The reply TigerBeetle's sequence in data/tigerbeetle/README.md uses for k. */
static inline vsr_header_reply fixture_tigerbeetle_reply(uint64_t k, uint64_t commit) {
    vsr_header_reply reply;
    memset(&reply, 0, sizeof(reply));
    reply.cluster = 7;
    reply.view = 1;
    reply.release = 1;
    reply.command = VSR_COMMAND_REPLY;
    reply.replica = 0;
    reply.request_checksum = k;
    reply.client = 1000 + k;
    reply.op = commit;
    reply.commit = commit;
    reply.timestamp = 1000 * k;
    reply.request = 1;
    reply.operation = 0;
    reply.size = VSR_HEADER_SIZE;
    vsr_header_set_checksum(&reply);
    return reply;
}

#endif
