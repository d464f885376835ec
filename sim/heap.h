/*
 * heap.h: the core's memory, watched. Every table of a run is made and freed under the
 * allocation counters of testing/heap.h (the simulator is linked with the linker's
 * --wrap), and once per run init is made to fail at each of its allocations (heap.c).
 * A build without the wrap (the fuzz engines' builds) counts nothing and skips these.
 */
#ifndef SIM_HEAP_H
#define SIM_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "client_sessions.h"
#include "verdict.h"

/* What one init of a table did, under the allocation counters. */
typedef struct sim_heap_record {
    uint64_t calls;
    uint64_t bytes;
    int64_t kept; /* allocations still live when init returned */
} sim_heap_record;

typedef struct sim_heap {
    bool counted; /* the build sends allocations through testing/heap.h */
    uint32_t clients_max;
    uint32_t tables;
    sim_heap_record first;
    sim_heap_record other; /* the first init that differs from the first one */
    bool other_differs;
} sim_heap;

void sim_heap_init(sim_heap *heap, uint32_t clients_max);
/* Makes a table of the run under the allocation counters, recording what init did. */
bool sim_heap_table_init(sim_heap *heap, client_sessions **out, uint64_t hash_seed);
/* Frees *table (if any) and sets it NULL; with check, deinit must free every allocation
 * init kept (op names the failure). */
bool sim_heap_table_deinit(const sim_heap *heap, client_sessions **table, bool check, uint64_t op,
                           sim_failure *failure);
/* Once per run: init's memory figures and its failures, judged. */
bool sim_heap_check(const sim_heap *heap, sim_failure *failure);

#endif
