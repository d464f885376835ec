/*
 * reseal.h: rules that only a valid checksum lets the decoder and the reader reach.
 *
 * A stored bit flip breaks a checksum first, so the rules behind it (the reserved fields,
 * the exact values, the ranges, the chain) are never what rejects a damaged checkpoint.
 * These checks edit one field of a copy of a fresh trailer, or of its blocks, with the
 * trailer-edit engine (testing/edit.h), which reseals what the edit broke besides its
 * point. The verdict is not written here: the independent oracles of testing/oracle.h
 * restate the format byte by byte, and the core must agree with them: the rule (one of
 * those broken, the checksum first), the slot or block, an empty table after a rejection,
 * and after an acceptance the same bytes back from encode (or from the reader) and the
 * smallest commit as the evictee.
 */
#ifndef SIM_RESEAL_H
#define SIM_RESEAL_H

#include <stdbool.h>
#include <stdint.h>

#include "client_sessions.h"
#include "pcg32.h"
#include "verdict.h"

/* What the checks work with: a scratch table to decode into, scratch bytes, and the shape
 * of the run's trailers and blocks. */
typedef struct sim_reseal {
    client_sessions *table;
    uint8_t *copy;       /* trailer_size bytes: the edited trailer */
    uint8_t *again;      /* trailer_size bytes: what encode or the reader gives back */
    uint8_t *blocks;     /* block_count blocks: the edited blocks (zero past their bodies) */
    uint64_t *addresses; /* block_count addresses */
    uint64_t trailer_size;
    uint32_t block_size;
    uint32_t block_count;
    vsr_u128 cluster;
    uint32_t release;
} sim_reseal;

/* A fresh trailer of the run (the model's encoding, decoded without error), and its blocks
 * as vsr_trailer_write wrote them, with their reference. */
typedef struct sim_fresh {
    const uint8_t *trailer;
    const uint8_t *blocks;
    const vsr_trailer_reference *reference;
} sim_fresh;

/* One slot edit of the fresh trailer, then one edit of its blocks, each judged; *judged
 * counts the copies judged. */
bool sim_reseal_check(const sim_reseal *tools, pcg32 *rng, const sim_fresh *fresh, uint64_t op,
                      int replica, uint64_t *judged, sim_failure *failure);

/* trailer with every free slot given a client: a full table, judged (and its evictee). */
bool sim_reseal_filled(const sim_reseal *tools, const uint8_t *trailer, uint64_t op, int replica,
                       uint64_t *judged, sim_failure *failure);

#endif
