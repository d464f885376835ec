/*
 * check.h: the checks of a replica's decisions, of the trailers it writes and of the
 * tables it restores and ends with. Each takes what it judges (a table, trailer bytes,
 * blocks, the model's view) and scratch space to work in, and returns a verdict: true,
 * or false with the failure filled (verdict.h).
 */
#ifndef SIM_CHECK_H
#define SIM_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "client_sessions.h"
#include "log.h"
#include "testing/model.h"
#include "verdict.h"

/* The decision a replica made for op `number` is the model's (and so the first replica's). */
bool sim_check_decision(const sim_op *op, uint64_t number, int replica, const apply_decision *d,
                        sim_failure *failure);

/* The trailer written at checkpoint `index` (op `op`) has the model's checksum; if not, the
 * model is replayed from the log to name the first difference. */
bool sim_check_trailer_checksum(const sim_log *log, uint32_t clients_max, uint64_t index,
                                uint64_t op, int replica, vsr_u128 checksum, const uint8_t *trailer,
                                sim_failure *failure);

/* A later writer's reference to checkpoint `index` equals the first writer's. */
bool sim_check_same_reference(const vsr_trailer_reference *first, uint8_t first_replica,
                              const vsr_trailer_reference *reference, uint64_t index, uint64_t op,
                              int replica, sim_failure *failure);

/* What vsr_trailer_write was asked to write, and the blocks it wrote. */
typedef struct sim_written {
    const uint8_t *blocks;
    uint32_t block_count;
    uint32_t block_size;
    const uint64_t *addresses;
    uint64_t trailer_size;
    vsr_u128 cluster;
    uint32_t release;
} sim_written;

/* The blocks carry the cluster and release, their own addresses, the chain back to the
 * block before; every one but the last is full, the last is not empty, and their bodies
 * add up to the trailer. */
bool sim_check_block_headers(const sim_written *written, uint64_t index, uint64_t op, int replica,
                             sim_failure *failure);

/* decode(trailer) into scratch succeeds and encode gives the same bytes (into again). */
bool sim_check_roundtrip(client_sessions *scratch, uint8_t *again, const uint8_t *trailer,
                         uint64_t size, const char *signature, uint64_t op, int replica,
                         sim_failure *failure);

/* A table just decoded from a verified trailer of checkpoint `index` encodes (into again)
 * as those bytes: no session lost through storage. */
bool sim_check_restored(const client_sessions *table, uint8_t *again, const uint8_t *trailer,
                        uint64_t size, uint64_t index, uint64_t op, int replica,
                        sim_failure *failure);

/* The end: the table holds exactly the model's slots (encoding, iterator, count); mine and
 * model's are scratch for the two encodings. */
bool sim_check_final(const client_sessions *table, const model *m, uint8_t *mine, uint8_t *models,
                     uint64_t op, int replica, sim_failure *failure);

/* The checksum's known answers (AEGIS-128L MAC of bytes i & 0xff, and those bytes
 * streamed in pieces): the replicas and the model all checksum with the same code, so a
 * checksum wrong everywhere alike would agree with itself. */
bool sim_check_checksum_known(sim_failure *failure);

/* bytes[0..size) checksummed by the portable implementation gives expected, the value the
 * implementation this CPU selected computed for them (`what` names them). */
bool sim_check_checksum_portable(const uint8_t *bytes, size_t size, vsr_u128 expected,
                                 const char *what, uint64_t op, int replica, sim_failure *failure);

/* The same for bytes[0..size) and, in the same pass, for its first prefix_size bytes
 * (prefix_size <= size): expected and expected_prefix (what_prefix names the prefix). */
bool sim_check_checksum_portable_prefix(const uint8_t *bytes, size_t size, vsr_u128 expected,
                                        const char *what, size_t prefix_size,
                                        vsr_u128 expected_prefix, const char *what_prefix,
                                        uint64_t op, int replica, sim_failure *failure);

#endif
