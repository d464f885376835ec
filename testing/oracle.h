/*
 * oracle.h: the rules of docs/FORMAT.md restated byte by byte, independently of the core.
 *
 * Each oracle reads raw bytes at the offsets docs/FORMAT.md gives (testing/bytes.h) and
 * answers the set of rules they break, as a mask of vsr_error_code bits; it uses the
 * core only for checksums (vsr_checksum), never its structs, validators or decoders.
 * A test then checks that the core's verdict agrees: valid exactly when no rule is
 * broken, the checksum first, and otherwise one of the broken rules, at the slot or
 * block where the oracle's scan stops.
 *
 * A new decode rule is one paragraph of docs/FORMAT.md, one check in core/src and one
 * line here; the fuzz targets, the unit tests and the corpus replays pick it up.
 */
#ifndef TESTING_ORACLE_H
#define TESTING_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vsr.h"

_Static_assert(VSR_ERROR_COUNT <= 64, "rule sets are 64-bit masks");

#define ORACLE_RULE(code) (UINT64_C(1) << (code))

/* docs/FORMAT.md section 2: the frame of any header h (256 bytes) whose command should be
 * `command`. */
uint64_t oracle_frame_rules(const uint8_t *h, uint8_t command);
/* docs/FORMAT.md sections 2 and 2a: a reply header. */
uint64_t oracle_reply_rules(const uint8_t *h);
/* docs/FORMAT.md sections 2 and 2b: a block header. */
uint64_t oracle_block_rules(const uint8_t *h);

/*
 * Whether a validator's or decoder's answer `code` agrees with the rules the oracle
 * found broken: OK exactly when none is, header_checksum whenever the checksum is
 * broken, else one of the broken rules. When not, says why in why[0..why_size).
 */
bool oracle_verdict_agrees(vsr_error_code code, uint64_t rules, char *why, size_t why_size);

/* docs/FORMAT.md section 3 on bytes[0..size) for a table of clients_max slots. */
typedef struct oracle_trailer_verdict {
    uint32_t slot;  /* the first slot that breaks a rule (duplicates: the later slot), or none */
    uint64_t rules; /* the rules that slot breaks; 0 when the encoding is valid */
    uint32_t count; /* occupied slots, when valid */
} oracle_trailer_verdict;

oracle_trailer_verdict oracle_trailer(uint32_t clients_max, const uint8_t *bytes, size_t size);
/* The same verdict, given known: a trailer of clients_max slots whose occupied headers all
 * have a valid checksum (a trailer that decoded, say). A slot header of bytes equal to
 * known's keeps that checksum: only the others' are computed. */
oracle_trailer_verdict oracle_trailer_known(uint32_t clients_max, const uint8_t *bytes, size_t size,
                                            const uint8_t *known);

/* docs/FORMAT.md section 4: reading the trailer that a reference points at, last block to first. */
typedef struct oracle_read_verdict {
    uint64_t rules;   /* 0 when the trailer reads whole */
    uint64_t address; /* the block that breaks them, or 0 (rules of the reference, trailer) */
    uint64_t count;   /* blocks in the chain */
} oracle_read_verdict;

/*
 * Follows the chain through lookup as vsr_trailer_read must, checking every rule of
 * each block; copies the bodies to trailer (capacity bytes). When chain is not NULL it
 * gets the addresses of the blocks read, first block first (count <= chain_max, asserted).
 */
oracle_read_verdict oracle_trailer_read(const vsr_trailer_reference *reference, uint32_t block_size,
                                        vsr_block_lookup lookup, void *context, uint8_t *trailer,
                                        uint64_t capacity, uint64_t *chain, uint64_t chain_max);

#endif
