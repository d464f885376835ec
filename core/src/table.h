/* The table's private layout, shared by table.c and codec.c. */
#ifndef CS_TABLE_H
#define CS_TABLE_H

#include "client_sessions.h"

/* 2^20 slots need four levels of 64-way bitmaps: 16384, 256, 4 and 1 words. */
#define CS_FREE_LEVELS_MAX 4

/* One hash index entry: the slot + 1 (0 marks an empty entry) and 32 more bits of the
 * client's hash, so that a probe touches the slot's header only when the tags match. Eight
 * bytes an entry keep the index of 2^20 clients at 16 MiB and mostly in cache. */
typedef struct cs_index_entry {
    uint32_t slot_plus_one;
    uint32_t tag;
} cs_index_entry;

typedef struct cs_heap_entry {
    uint64_t commit;
    uint32_t slot;
} cs_heap_entry;

struct client_sessions {
    uint32_t clients_max;
    uint32_t count;
    uint64_t hash_seed;

    /* Slot order, exactly the layout of the encoding (FORMAT.md 3): encode is two copies. */
    vsr_header_reply *headers;
    uint64_t *sessions;

    /* client -> slot: open addressing, linear probing, backward-shift deletion (no
     * tombstones, so probe lengths do not grow with churn). Never iterated. */
    cs_index_entry *index;
    uint32_t index_mask;

    /* Free slots as a hierarchy of bitmaps (bit set = free) so that the lowest free
     * slot is found in CS_FREE_LEVELS_MAX steps. Level free_level_count-1 is one word. */
    uint64_t *free_levels[CS_FREE_LEVELS_MAX];
    uint32_t free_level_words[CS_FREE_LEVELS_MAX];
    uint32_t free_level_count;

    /* Eviction order: a binary min-heap of occupied slots keyed by commit, the commit kept
     * beside the slot so that sifting never touches the headers.
     * heap_position[slot] is the slot's index in heap. */
    cs_heap_entry *heap;
    uint32_t *heap_position;

    /* Scratch for decode's distinct-commit check: an open-addressing set of commits
     * (0 = empty), allocated at init so decode allocates nothing. */
    uint64_t *commit_set;
};

/* Empties the index, the free bitmaps and the count, leaving the slot arrays alone. */
void cs_clear_derived(client_sessions *table);
/* Starts loading the index entry where a probe for client begins (batch work hides latency). */
void cs_index_prefetch(const client_sessions *table, vsr_u128 client);
uint32_t cs_index_find(const client_sessions *table, vsr_u128 client);
bool cs_index_insert(client_sessions *table, vsr_u128 client, uint32_t slot);
void cs_free_clear(client_sessions *table, uint32_t slot);
/* Orders heap[0..count) (one entry per occupied slot, any order) into the eviction heap. */
void cs_heap_build(client_sessions *table);
/* The seeded hash of the index and of decode's commit set. */
static inline uint64_t cs_hash(uint64_t seed, uint64_t lo, uint64_t hi) {
    uint64_t x = lo ^ seed;
    x ^= (hi + 0x9e3779b97f4a7c15u) * 0xc2b2ae3d27d4eb4fu;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdu;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53u;
    x ^= x >> 33;
    return x;
}

#endif
