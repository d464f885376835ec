/* The table's private layout, shared by table.c and codec.c (docs/DESIGN.md). */
#ifndef CS_TABLE_H
#define CS_TABLE_H

#include "client_sessions.h"

/* 2^20 slots need four levels of 64-way bitmaps: 16384, 256, 4 and 1 words. */
#define CS_FREE_LEVELS_MAX 4

/* Bits of a slot number: decode packs a slot beside a commit into one sort key. */
#define CS_SLOT_BITS 20
_Static_assert(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT == 1u << CS_SLOT_BITS, "a slot fits 20 bits");

/*
 * One hash index entry: the full client id, its slot + 1 (0 marks an empty entry) and its
 * home position (where a probe for the client starts). A probe compares the client in the
 * entry itself, so a lookup reads the index and nothing else: one cache line (two for the
 * 2 entries in 8 that straddle a line boundary). Keeping the home makes a deletion's
 * backward shift a matter of comparisons, with no hashing.
 */
typedef struct cs_index_entry {
    uint64_t client_lo;
    uint64_t client_hi;
    uint32_t slot_plus_one;
    uint32_t home;
} cs_index_entry;
_Static_assert(sizeof(cs_index_entry) == 24, "index entries are 24 bytes");

/* A node of the eviction list: the slots before and after this one. */
typedef struct cs_link {
    uint32_t prev;
    uint32_t next;
} cs_link;

struct client_sessions {
    uint32_t clients_max;
    uint32_t count;
    uint64_t hash_seed;
    /* The largest commit put since init or reset, or the largest a decode installed: every
     * put must carry a larger one (client_sessions.h). */
    uint64_t commit_max;

    /* Slot order, exactly the layout of the encoding (docs/FORMAT.md 3): encode is two
     * copies. A free slot has session 0; its header is zero, or the last bytes of a client
     * removed from it (remove leaves them for the next put to overwrite; encode writes a
     * free slot as zeros). */
    vsr_header_reply *headers;
    uint64_t *sessions;

    /* client -> slot: open addressing, linear probing, backward-shift deletion (no
     * tombstones, so probe lengths do not grow with churn), at most a quarter full. Never
     * iterated. */
    cs_index_entry *index;
    uint32_t index_mask;
    /* 1 when the CPU has AVX: put copies a header in 32-byte stores (speed only; the bytes
     * are the same). It fills what was padding: sizeof, and so client_sessions_memory_size,
     * do not change. */
    uint32_t copy_wide;

    /* Free slots as a hierarchy of bitmaps (bit set = free) so that the lowest free
     * slot is found in CS_FREE_LEVELS_MAX steps. Level free_level_count-1 is one word. */
    uint64_t *free_levels[CS_FREE_LEVELS_MAX];
    uint32_t free_level_words[CS_FREE_LEVELS_MAX];
    uint32_t free_level_count;
    /* Every slot from here on has a zero header and session 0: reset zeroes only the slots
     * below it (put and decode raise it over the slots they write), so that it costs what
     * was used, not clients_max. In what was padding: sizeof does not change. */
    uint32_t slots_dirty_end;

    /* Eviction order: a circular doubly linked list of the occupied slots in increasing
     * commit, threaded through links[0..clients_max); links[clients_max] is the sentinel
     * (its next is the head, the evictee; its prev is the tail, the latest put). */
    cs_link *links;

    /* Decode's scratch, 2 * clients_max words allocated at init so that decode allocates
     * nothing: sort keys (commit and slot) and the radix sort's second buffer. */
    uint64_t *order_scratch;
};

/* Empties the index, the free bitmaps, the eviction list and the count, and forgets the
 * largest commit; leaves the slot arrays alone. An index that holds no client (count 0:
 * the index holds exactly the counted clients) is not cleared again. */
void cs_clear_derived(client_sessions *table);
/* Adds client -> slot unless client is indexed already (then false, nothing changes). */
bool cs_index_insert(client_sessions *table, vsr_u128 client, uint32_t slot);
void cs_free_clear(client_sessions *table, uint32_t slot);

/*
 * Decode's last step. order_scratch[0..count) holds the commits of the occupied slots
 * below slots_end in slot order (one per slot, every one validated and indexed). Sorts
 * them and, when no two are equal, threads the eviction list in commit order, sets
 * commit_max and returns VSR_SLOT_NONE. Otherwise returns the first slot whose commit an
 * earlier slot holds (the list is then unspecified: the caller resets the table).
 */
uint32_t cs_order_build(client_sessions *table, uint32_t slots_end, uint64_t commit_min,
                        uint64_t commit_max);

/*
 * The seeded hash of the index: one 64x64 -> 128-bit multiply of the client's halves, each
 * mixed with the seed, folded to 64 bits (the multiply-and-fold step of wyhash). The second
 * factor is made odd, so that the low bits of the product are a permutation of the first
 * factor's: consecutive client ids get distinct homes.
 */
static inline uint64_t cs_hash(uint64_t seed, uint64_t lo, uint64_t hi) {
    uint64_t a = lo ^ seed ^ 0xa0761d6478bd642fu;
    uint64_t b = (hi ^ seed ^ 0xe7037ed1a0b428dbu) | 1;
    __extension__ unsigned __int128 product = (unsigned __int128)a * b;
    return (uint64_t)product ^ (uint64_t)(product >> 64);
}

/* Where a probe for the client (lo, hi) starts. */
static inline uint32_t cs_index_home(const client_sessions *table, uint64_t lo, uint64_t hi) {
    return (uint32_t)cs_hash(table->hash_seed, lo, hi) & table->index_mask;
}

/* Starts loading the index entry where a probe for client begins (batch work hides latency):
 * both lines, for the entries that straddle two. */
static inline void cs_index_prefetch(const client_sessions *table, vsr_u128 client) {
    const cs_index_entry *entry =
        &table->index[cs_index_home(table, VSR_U128_LO(client), VSR_U128_HI(client))];
    __builtin_prefetch(entry);
    __builtin_prefetch((const char *)(entry + 1) - 1);
}

/* Slots [0, end) may now hold bytes: put and decode call it for the slots they write. */
static inline void cs_slots_dirty(client_sessions *table, uint32_t end) {
    if (end > table->slots_dirty_end) table->slots_dirty_end = end;
}

#endif
