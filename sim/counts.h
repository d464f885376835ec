/*
 * counts.h: what a run counts, and the scenario kinds among them.
 */
#ifndef SIM_COUNTS_H
#define SIM_COUNTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * X(name, scenario): what a run counts. A scenario kind is an interesting event
 * that a sweep must see at least once, or the fault space is not being explored.
 */
#define SIM_COUNTS(X)              \
    X(registrations, 0)            \
    X(updates, 0)                  \
    X(evictions, 1)                \
    X(full_table_registrations, 1) \
    X(duplicate_replies, 1)        \
    X(stale_rejections, 1)         \
    X(evicted_rejections, 1)       \
    X(view_changes, 0)             \
    X(replica_ops, 0)              \
    X(replayed_ops, 1)             \
    X(checkpoints, 0)              \
    X(multi_block_trailers, 1)     \
    X(crashes, 1)                  \
    X(crashes_mid_checkpoint, 1)   \
    X(restarts, 1)                 \
    X(torn_writes, 1)              \
    X(bit_flips, 1)                \
    X(corruptions_detected, 1)     \
    X(repair_syncs, 1)             \
    X(lag_syncs, 1)                \
    X(genesis_syncs, 1)            \
    X(pauses, 1)                   \
    X(scrubs, 1)                   \
    X(decode_rejections, 1)        \
    X(steps, 0)

typedef struct sim_counts {
#define SIM_COUNT_FIELD(name, scenario) uint64_t name;
    SIM_COUNTS(SIM_COUNT_FIELD)
#undef SIM_COUNT_FIELD
} sim_counts;

void sim_counts_print(const sim_counts *counts, FILE *out);
void sim_counts_print_json(const sim_counts *counts, FILE *out, bool scenarios_only);
bool sim_counts_equal(const sim_counts *a, const sim_counts *b);

#endif
