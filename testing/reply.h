/*
 * reply.h: the one builder of valid reply headers and encoded trailers that tests,
 * benchmarks, fuzz targets, mutators, the corpus generator and the simulator's
 * workload make their fixtures with.
 *
 * A reply is valid by docs/FORMAT.md 2 and 2a: command 8, op == commit, a register reply
 * (request 0) has operation 2 and a 64-byte body, any other has a request number; its
 * checksum is set last. What the rules leave free (cluster, view, release, context,
 * timestamp, body, ...) comes from testing_reply_fields, or from a salt.
 */
#ifndef TESTING_REPLY_H
#define TESTING_REPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "vsr.h"

/* The fields of a reply that the rules leave free. */
typedef struct testing_reply_fields {
    vsr_u128 cluster;
    uint32_t view;
    uint32_t release; /* != 0 */
    uint8_t replica;
    vsr_u128 request_checksum;
    vsr_u128 context;
    uint64_t timestamp; /* != 0 */
    uint8_t operation;  /* of a request's reply; a register reply's is 2 */
    uint32_t body_size; /* of a request's reply; a register reply's body is 64 bytes */
    vsr_u128 checksum_body;
} testing_reply_fields;

/*
 * The reply to client's request (0: its registration) committed at commit (also its op),
 * with the given fields; its checksum set.
 */
vsr_header_reply testing_reply_make(const testing_reply_fields *fields, vsr_u128 client,
                                    uint64_t commit, uint32_t request);

/*
 * A valid reply whose free fields are varied by salt (cluster, view, release, replica,
 * request checksum, context, timestamp, operation, body size); checksum_body is that of
 * a zero body.
 */
vsr_header_reply testing_reply_salted(vsr_u128 client, uint64_t commit, uint32_t request,
                                      uint64_t salt);

/* testing_reply_salted with salt 0: when the free fields do not matter. */
vsr_header_reply testing_reply(vsr_u128 client, uint64_t commit, uint32_t request);

/*
 * A valid encoded trailer of clients_max slots (264 * clients_max bytes at out) with
 * `fill` occupied slots (at most clients_max): at random slots when scattered, else
 * the lowest. Clients and commits are distinct, commits in random order, sessions at
 * or below their commit (equal for a registration's reply). Deterministic in seed.
 */
void testing_trailer(uint8_t *out, uint32_t clients_max, uint32_t fill, bool scattered,
                     uint64_t seed);

#endif
