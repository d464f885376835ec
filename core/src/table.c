/*
 * The client sessions table. docs/DESIGN.md ("The table's data structures") says why each
 * structure was chosen, with the designs they replaced and what those cost.
 *
 * Invariants (asserted on the way, and end to end after a decode):
 * - headers[] and sessions[] are the encoding's two halves; a slot is free exactly when its
 *   session is 0. A free slot's header may keep a removed client's bytes: encode writes zeros.
 * - The index maps the client of every occupied slot, and nothing else, to that slot. It is at
 *   most a quarter full, so every probe ends; no tombstones, so probes do not grow with churn.
 *   It is probed for one key and never iterated: its seed and order reach no decision.
 * - A level-0 free bit is set exactly when its slot is free; a bit above, when its word is
 *   not zero. The lowest free slot is where a new client goes, the same on every replica.
 * - The eviction list holds exactly the occupied slots, in increasing commit; the sentinel's
 *   next is the evictee. Every put's commit exceeds commit_max, so an update moves its slot
 *   to the tail with no comparison; only decode sorts.
 * - init allocates everything, exactly client_sessions_memory_size bytes; nothing later does.
 */
#include <stdlib.h>
#include <string.h>

#include "assert.h"
#include "table.h"
#include "verify.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CS_COPY_WIDE 1
#else
#define CS_COPY_WIDE 0
#endif

/* ---- hash index ---- */

/* Where a probe for a client ended: its entry and slot, or the empty entry where it would
 * go and VSR_SLOT_NONE. */
typedef struct index_probe {
    uint32_t slot;
    uint32_t position;
    uint32_t home;
} index_probe;

static inline index_probe index_find(const client_sessions *table, vsr_u128 client) {
    uint64_t lo = VSR_U128_LO(client), hi = VSR_U128_HI(client);
    uint32_t mask = table->index_mask;
    uint32_t home = cs_index_home(table, lo, hi);
    uint32_t position = home;
    const cs_index_entry *index = table->index;
    /* The index is at most a quarter full, so a probe always meets an empty entry. */
    for (;;) {
        const cs_index_entry *entry = &index[position];
        /* Empty entries are all zero and client 0 is never stored, so a probe for client 0
         * "matches" the first empty entry: slot_plus_one - 1 is then VSR_SLOT_NONE. */
        if (entry->client_lo == lo && entry->client_hi == hi) {
            index_probe found = {entry->slot_plus_one - 1, position, home};
            return found;
        }
        if (entry->slot_plus_one == 0) {
            index_probe absent = {VSR_SLOT_NONE, position, home};
            return absent;
        }
        position = (position + 1) & mask;
        /* Back at home, every entry probed and none empty: unreachable while the index keeps
         * its empty entries. (Bounded by home rather than a count: one register fewer.) */
        bool index_has_an_empty_entry = position != home;
        CS_ASSERT(index_has_an_empty_entry);
    }
}

/* Fills the empty entry at position (where a probe from home ended) with client -> slot.
 * Scalars, not the probe: a struct passed through the stack, written in 4-byte fields and
 * read back in 8, costs a failed store-to-load forwarding on every insert. */
static inline void index_place(client_sessions *table, uint32_t position, uint32_t home,
                               vsr_u128 client, uint32_t slot) {
    CS_ASSERT(slot < table->clients_max);
    cs_index_entry *entry = &table->index[position];
    CS_ASSERT(entry->slot_plus_one == 0);
    entry->client_lo = VSR_U128_LO(client);
    entry->client_hi = VSR_U128_HI(client);
    entry->slot_plus_one = slot + 1;
    entry->home = home;
}

bool cs_index_insert(client_sessions *table, vsr_u128 client, uint32_t slot) {
    CS_ASSERT(client != 0);
    index_probe probe = index_find(table, client);
    if (probe.slot != VSR_SLOT_NONE) return false;
    index_place(table, probe.position, probe.home, client, slot);
    return true;
}

/* Backward-shift deletion of the entry at position: pull later entries of the same probe
 * run into the hole, each unless its home lies cyclically in (hole, next]. */
static void index_delete(client_sessions *table, uint32_t position) {
    uint32_t mask = table->index_mask;
    cs_index_entry *index = table->index;
    CS_ASSERT(index[position].slot_plus_one != 0);
    uint32_t hole = position;
    uint32_t next = (hole + 1) & mask;
    while (index[next].slot_plus_one != 0) {
        /* A run ends at an empty entry before it comes back around (a bound on the loop that
         * needs no counter, so one register fewer to save). */
        bool run_ends_before_wrapping = next != position;
        CS_ASSERT(run_ends_before_wrapping);
        const cs_index_entry *moving = &index[next];
        /* Distances back from next: to the entry's home, and to the hole. */
        if (((next - moving->home) & mask) >= ((next - hole) & mask)) {
            index[hole] = *moving;
            hole = next;
        }
        next = (next + 1) & mask;
    }
    memset(&index[hole], 0, sizeof(index[hole]));
}

/* ---- free slots ---- */

static void free_set(client_sessions *table, uint32_t slot) {
    uint32_t bit = slot;
    for (uint32_t level = 0; level < table->free_level_count; level++) {
        uint64_t *word = &table->free_levels[level][bit / 64];
        uint64_t before = *word;
        uint64_t mask = UINT64_C(1) << (bit % 64);
        if (level == 0) CS_ASSERT((before & mask) == 0);
        *word = before | mask;
        /* A word that had a bit set is marked in the level above already. */
        if (before != 0) return;
        bit /= 64;
    }
}

void cs_free_clear(client_sessions *table, uint32_t slot) {
    uint32_t bit = slot;
    for (uint32_t level = 0; level < table->free_level_count; level++) {
        uint64_t *word = &table->free_levels[level][bit / 64];
        uint64_t mask = UINT64_C(1) << (bit % 64);
        CS_ASSERT((*word & mask) != 0);
        *word &= ~mask;
        if (*word != 0) return;
        bit /= 64;
    }
}

static uint32_t free_lowest(const client_sessions *table) {
    uint32_t top = table->free_level_count - 1;
    CS_ASSERT(table->free_level_words[top] == 1);
    if (table->free_levels[top][0] == 0) return VSR_SLOT_NONE;
    uint32_t index = 0;
    for (uint32_t level = table->free_level_count; level-- > 0;) {
        uint64_t word = table->free_levels[level][index];
        CS_ASSERT(word != 0);
        index = index * 64 + (uint32_t)__builtin_ctzll(word);
    }
    CS_ASSERT(index < table->clients_max);
    return index;
}

/* Marks every slot free: each level's bits are all set up to its count of children. */
static void free_all(client_sessions *table) {
    uint32_t bits = table->clients_max;
    for (uint32_t level = 0; level < table->free_level_count; level++) {
        uint32_t words = table->free_level_words[level];
        CS_ASSERT(words == (bits + 63) / 64);
        memset(table->free_levels[level], 0xff, words * sizeof(uint64_t));
        if (bits % 64 != 0) {
            table->free_levels[level][words - 1] = (UINT64_C(1) << (bits % 64)) - 1;
        }
        bits = words;
    }
}

/* ---- eviction list ---- */

static void list_unlink(cs_link *links, uint32_t slot) {
    cs_link link = links[slot];
    CS_ASSERT(links[link.prev].next == slot);
    CS_ASSERT(links[link.next].prev == slot);
    links[link.prev].next = link.next;
    links[link.next].prev = link.prev;
}

static void list_append(cs_link *links, uint32_t sentinel, uint32_t slot) {
    uint32_t tail = links[sentinel].prev;
    CS_ASSERT(links[tail].next == sentinel);
    links[slot].prev = tail;
    links[slot].next = sentinel;
    links[tail].next = slot;
    links[sentinel].prev = slot;
}

/* ---- decode's order: sort by commit, thread the list ---- */

enum {
    /* Up to this many keys, an insertion sort; above, a radix sort. */
    ORDER_INSERTION_MAX = 32,
    /* Radix digits: about log2(count) bits, so that a pass's counters cost no more than
     * its keys, within these bounds (2^11 counters are 8 KiB, in L1). */
    ORDER_DIGIT_BITS_MIN = 4,
    ORDER_DIGIT_BITS_MAX = 11,
    /* A key packs commit - commit_min above the slot. */
    ORDER_COMMIT_BITS = 64 - CS_SLOT_BITS,
};

#define ORDER_SLOT_MASK ((UINT64_C(1) << CS_SLOT_BITS) - 1)

static uint32_t bits_of(uint64_t x) { return x == 0 ? 0 : 64 - (uint32_t)__builtin_clzll(x); }

static void sort_insertion(uint64_t *keys, uint32_t count) {
    for (uint32_t i = 1; i < count; i++) {
        uint64_t key = keys[i];
        uint32_t j = i;
        while (j > 0 && keys[j - 1] > key) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = key;
    }
}

/*
 * Sorts keys[0..count) by their bits [CS_SLOT_BITS, CS_SLOT_BITS + bits) (every key is below
 * 2^(CS_SLOT_BITS + bits)), stably, so that keys equal there stay in slot order. Least
 * significant digit first, ping-ponging with scratch; returns the buffer that holds the
 * result.
 */
static uint64_t *sort_radix(uint64_t *keys, uint64_t *scratch, uint32_t count, uint32_t bits) {
    CS_ASSERT(bits <= ORDER_COMMIT_BITS);
    if (count <= ORDER_INSERTION_MAX) {
        /* Whole keys: equal commits order by their slot bits, as the radix sort keeps them. */
        sort_insertion(keys, count);
        return keys;
    }
    uint32_t digit_bits = bits_of(count - 1);
    if (digit_bits < ORDER_DIGIT_BITS_MIN) digit_bits = ORDER_DIGIT_BITS_MIN;
    if (digit_bits > ORDER_DIGIT_BITS_MAX) digit_bits = ORDER_DIGIT_BITS_MAX;
    uint32_t passes = (bits + digit_bits - 1) / digit_bits;
    if (passes == 0) return keys;
    digit_bits = (bits + passes - 1) / passes; /* the same passes, with even digits */
    uint32_t buckets = UINT32_C(1) << digit_bits;
    uint64_t digit_mask = buckets - 1;
    uint32_t counts[1u << ORDER_DIGIT_BITS_MAX];
    for (uint32_t pass = 0; pass < passes; pass++) {
        uint32_t shift = CS_SLOT_BITS + pass * digit_bits;
        CS_ASSERT(shift < 64);
        memset(counts, 0, buckets * sizeof(counts[0]));
        for (uint32_t i = 0; i < count; i++) counts[(keys[i] >> shift) & digit_mask]++;
        uint32_t total = 0;
        for (uint32_t bucket = 0; bucket < buckets; bucket++) {
            uint32_t size = counts[bucket];
            counts[bucket] = total;
            total += size;
        }
        CS_ASSERT(total == count);
        for (uint32_t i = 0; i < count; i++) {
            uint64_t key = keys[i];
            scratch[counts[(key >> shift) & digit_mask]++] = key;
        }
        uint64_t *sorted = scratch;
        scratch = keys;
        keys = sorted;
    }
    return keys;
}

/* Records (commit, slot) as two words each; compared by commit, then slot. */
static bool record_less(const uint64_t *records, uint32_t a, uint32_t b) {
    uint64_t commit_a = records[2 * (size_t)a], commit_b = records[2 * (size_t)b];
    if (commit_a != commit_b) return commit_a < commit_b;
    return records[2 * (size_t)a + 1] < records[2 * (size_t)b + 1];
}

static void record_swap(uint64_t *records, uint32_t a, uint32_t b) {
    for (size_t word = 0; word < 2; word++) {
        uint64_t t = records[2 * (size_t)a + word];
        records[2 * (size_t)a + word] = records[2 * (size_t)b + word];
        records[2 * (size_t)b + word] = t;
    }
}

/* Moves record `root` down the max-heap records[0..size) to where it belongs. */
static void record_sift_down(uint64_t *records, uint32_t root, uint32_t size) {
    uint32_t position = root;
    for (uint32_t level = 0; level < 32; level++) {
        uint64_t child_wide = 2 * (uint64_t)position + 1;
        if (child_wide >= size) return;
        uint32_t child = (uint32_t)child_wide;
        if (child + 1 < size && record_less(records, child, child + 1)) child++;
        if (!record_less(records, position, child)) return;
        record_swap(records, position, child);
        position = child;
    }
    /* Unreachable: 2^20 records make 21 levels. */
    bool heap_within_32_levels = false;
    CS_ASSERT(heap_within_32_levels);
}

/* Heapsort of records[0..count) (in place, no recursion, O(n log n) worst case). */
static void sort_records(uint64_t *records, uint32_t count) {
    for (uint32_t root = count / 2; root-- > 0;) record_sift_down(records, root, count);
    for (uint32_t end = count; end-- > 1;) {
        record_swap(records, 0, end);
        record_sift_down(records, 0, end);
    }
}

/* The occupied slots in commit order, as the sort left them: packed keys (commit - commit_min
 * above the slot) or records (commit, slot); and the sum of the words the sort was given. */
typedef struct order_sorted {
    const uint64_t *words;
    bool records;
    uint64_t commit_min;
    uint64_t words_sum;
} order_sorted;

static inline uint32_t order_slot(const order_sorted *sorted, uint32_t i) {
    if (sorted->records) return (uint32_t)sorted->words[2 * (size_t)i + 1];
    return (uint32_t)(sorted->words[i] & ORDER_SLOT_MASK);
}

static inline uint64_t order_commit(const order_sorted *sorted, uint32_t i) {
    if (sorted->records) return sorted->words[2 * (size_t)i];
    return sorted->commit_min + (sorted->words[i] >> CS_SLOT_BITS);
}

/* Threads the list through the slots in sorted order. Equal commits come in slot order: the
 * later slots are duplicates. Returns the first of those, or VSR_SLOT_NONE. */
static uint32_t order_link(client_sessions *table, const order_sorted *sorted) {
    cs_link *links = table->links;
    uint32_t tail = table->clients_max;
    uint32_t first_duplicate = VSR_SLOT_NONE;
    for (uint32_t i = 0; i < table->count; i++) {
        uint32_t slot = order_slot(sorted, i);
        if (i > 0 && order_commit(sorted, i) == order_commit(sorted, i - 1) &&
            slot < first_duplicate) {
            first_duplicate = slot;
        }
        links[tail].next = slot;
        links[slot].prev = tail;
        tail = slot;
    }
    links[tail].next = table->clients_max;
    links[table->clients_max].prev = tail;
    return first_duplicate;
}

/*
 * The postconditions of a decode: the list runs from the sentinel through exactly the count
 * slots of the sorted order and back, its links agree both ways, every slot on it is
 * occupied, commits strictly increase from head to tail and the tail's is commit_max. The
 * commits are those the sort was given, read from the headers as the slots were decoded;
 * that the sort moved its words without changing them is checked by their sum. O(count)
 * after an O(clients_max) decode, with loads that do not depend on each other (no walk from
 * link to link, no header read in list order: at 4096 clients those reads cost a tenth of
 * the decode).
 */
static void order_check(const client_sessions *table, const order_sorted *sorted) {
    const cs_link *links = table->links;
    uint32_t sentinel = table->clients_max;
    uint32_t prev = sentinel;
    uint64_t commit_previous = 0;
    uint64_t words_sum = 0;
    for (uint32_t i = 0; i < table->count; i++) {
        uint32_t slot = order_slot(sorted, i);
        uint64_t commit = order_commit(sorted, i);
        CS_ASSERT(slot < table->clients_max);
        CS_ASSERT(table->sessions[slot] != 0);
        CS_ASSERT(commit > commit_previous);
        CS_ASSERT(links[slot].prev == prev);
        CS_ASSERT(links[prev].next == slot);
        words_sum += sorted->records ? commit + slot : sorted->words[i];
        commit_previous = commit;
        prev = slot;
    }
    CS_ASSERT(links[prev].next == sentinel);
    CS_ASSERT(links[sentinel].prev == prev);
    CS_ASSERT(commit_previous == table->commit_max);
    CS_ASSERT(words_sum == sorted->words_sum);
}

uint32_t cs_order_build(client_sessions *table, uint32_t slots_end, uint64_t commit_min,
                        uint64_t commit_max) {
    uint32_t count = table->count;
    CS_ASSERT(slots_end <= table->clients_max);
    CS_ASSERT(count <= slots_end);
    if (count > 0) CS_ASSERT(commit_min <= commit_max);
    uint64_t *keys = table->order_scratch;
    uint64_t *scratch = keys + table->clients_max;
    order_sorted sorted = {keys, false, commit_min, 0};
    uint64_t range = count == 0 ? 0 : commit_max - commit_min;
    if (range >> ORDER_COMMIT_BITS == 0) {
        /* Pack each commit above its slot: the i-th key belongs to the i-th occupied slot. */
        uint32_t occupied = 0;
        for (uint32_t slot = 0; slot < slots_end; slot++) {
            if (table->sessions[slot] == 0) continue;
            CS_ASSERT(occupied < count);
            keys[occupied] = ((keys[occupied] - commit_min) << CS_SLOT_BITS) | slot;
            sorted.words_sum += keys[occupied];
            occupied++;
        }
        CS_ASSERT(occupied == count);
        sorted.words = sort_radix(keys, scratch, count, bits_of(range));
    } else {
        /* Commits too far apart to pack beside a slot (more than 2^44): sort records of
         * (commit, slot), count of them in the 2 * clients_max words of scratch. */
        uint32_t occupied = 0;
        for (uint32_t slot = 0; slot < slots_end; slot++) {
            if (table->sessions[slot] == 0) continue;
            CS_ASSERT(occupied < count);
            keys[2 * (size_t)occupied] = table->headers[slot].commit;
            keys[2 * (size_t)occupied + 1] = slot;
            sorted.words_sum += table->headers[slot].commit + slot;
            occupied++;
        }
        CS_ASSERT(occupied == count);
        sort_records(keys, count);
        sorted.records = true;
    }
    uint32_t first_duplicate = order_link(table, &sorted);
    if (first_duplicate != VSR_SLOT_NONE) return first_duplicate;
    table->commit_max = count == 0 ? 0 : commit_max;
    order_check(table, &sorted);
    return VSR_SLOT_NONE;
}

/* ---- lifecycle ---- */

/* At most a quarter full (the invariants at the top of this file). */
static uint32_t index_capacity(uint32_t clients_max) {
    uint32_t capacity = 4;
    while (capacity < 4 * clients_max) capacity *= 2;
    return capacity;
}

enum { CACHE_LINE = 64 };

/* aligned_alloc wants a size that is a multiple of the alignment. */
static size_t lines_size(size_t size) { return (size + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE; }

static void *alloc_lines(size_t size) { return aligned_alloc(CACHE_LINE, lines_size(size)); }

/* The words of each level of the free-slot bitmaps, level 0 first; returns the levels. */
static uint32_t free_levels_of(uint32_t clients_max, uint32_t words_out[CS_FREE_LEVELS_MAX]) {
    uint32_t levels = 0, words = clients_max;
    do {
        CS_ASSERT(levels < CS_FREE_LEVELS_MAX);
        words = (words + 63) / 64;
        words_out[levels++] = words;
    } while (words > 1);
    return levels;
}

/* Every allocation of client_sessions_init, in its order, and nothing else. */
uint64_t client_sessions_memory_size(uint32_t clients_max) {
    if (clients_max < 1 || clients_max > CLIENT_SESSIONS_CLIENTS_MAX_LIMIT) return 0;
    uint64_t n = clients_max;
    uint64_t bytes = sizeof(client_sessions) + lines_size(n * sizeof(vsr_header_reply)) +
                     n * sizeof(uint64_t) +
                     lines_size((size_t)index_capacity(clients_max) * sizeof(cs_index_entry)) +
                     (n + 1) * sizeof(cs_link) + 2 * n * sizeof(uint64_t);
    uint32_t words[CS_FREE_LEVELS_MAX];
    uint32_t levels = free_levels_of(clients_max, words);
    for (uint32_t level = 0; level < levels; level++) bytes += words[level] * sizeof(uint64_t);
    return bytes;
}

client_sessions_init_status client_sessions_init(client_sessions **out, uint32_t clients_max,
                                                 uint64_t hash_seed) {
    CS_ASSERT(out != NULL);
    *out = NULL;
    if (clients_max < 1 || clients_max > CLIENT_SESSIONS_CLIENTS_MAX_LIMIT) {
        return CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID;
    }
    client_sessions *table = calloc(1, sizeof(*table));
    if (table == NULL) return CLIENT_SESSIONS_INIT_OUT_OF_MEMORY;
    table->clients_max = clients_max;
    table->hash_seed = hash_seed;
    uint32_t capacity = index_capacity(clients_max);
    table->index_mask = capacity - 1;
#if CS_COPY_WIDE
    table->copy_wide = __builtin_cpu_supports("avx") ? 1 : 0;
#endif

    /* Headers and index entries start on a cache line: a header is then exactly 4 lines. */
    table->headers = alloc_lines((size_t)clients_max * sizeof(vsr_header_reply));
    table->sessions = calloc(clients_max, sizeof(uint64_t));
    table->index = alloc_lines((size_t)capacity * sizeof(cs_index_entry));
    table->links = calloc((size_t)clients_max + 1, sizeof(cs_link));
    table->order_scratch = calloc(2 * (size_t)clients_max, sizeof(uint64_t));
    bool ok = table->headers != NULL;
    ok = ok && table->sessions != NULL;
    ok = ok && table->index != NULL;
    ok = ok && table->links != NULL;
    ok = ok && table->order_scratch != NULL;

    uint32_t levels = free_levels_of(clients_max, table->free_level_words);
    for (uint32_t level = 0; level < levels; level++) {
        table->free_levels[level] = calloc(table->free_level_words[level], sizeof(uint64_t));
        ok = ok && table->free_levels[level] != NULL;
        table->free_level_count++;
    }

    if (!ok) {
        client_sessions_deinit(table);
        return CLIENT_SESSIONS_INIT_OUT_OF_MEMORY;
    }
    /* The headers and the index are not allocated zeroed: every slot is cleared. */
    memset(table->index, 0, (size_t)capacity * sizeof(cs_index_entry));
    table->slots_dirty_end = clients_max;
    client_sessions_reset(table);
    *out = table;
    return CLIENT_SESSIONS_INIT_OK;
}

const char *client_sessions_init_status_text(client_sessions_init_status status) {
    switch (status) {
    case CLIENT_SESSIONS_INIT_OK: return "ok";
    case CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID: return "clients_max must be in 1..1048576";
    case CLIENT_SESSIONS_INIT_OUT_OF_MEMORY: return "out of memory";
    }
    return "unknown status";
}

void client_sessions_deinit(client_sessions *table) {
    if (table == NULL) return;
    free(table->headers);
    free(table->sessions);
    free(table->index);
    free(table->links);
    free(table->order_scratch);
    for (uint32_t level = 0; level < table->free_level_count; level++) {
        free(table->free_levels[level]);
    }
    free(table);
}

#if CS_VERIFY_ENABLED
static bool index_empty(const client_sessions *table) {
    for (uint64_t i = 0; i <= table->index_mask; i++) {
        if (table->index[i].slot_plus_one != 0) return false;
    }
    return true;
}
#endif

void cs_clear_derived(client_sessions *table) {
    if (table->count != 0) {
        memset(table->index, 0, ((size_t)table->index_mask + 1) * sizeof(cs_index_entry));
    }
#if CS_VERIFY_ENABLED
    CS_VERIFY(index_empty(table));
#endif
    table->count = 0;
    table->commit_max = 0;
    free_all(table);
    uint32_t sentinel = table->clients_max;
    table->links[sentinel].prev = sentinel;
    table->links[sentinel].next = sentinel;
}

void client_sessions_reset(client_sessions *table) {
    uint32_t end = table->slots_dirty_end;
    CS_ASSERT(end <= table->clients_max);
    memset(table->headers, 0, (size_t)end * sizeof(vsr_header_reply));
    memset(table->sessions, 0, (size_t)end * sizeof(uint64_t));
    table->slots_dirty_end = 0;
    cs_clear_derived(table);
}

uint32_t client_sessions_count(const client_sessions *table) { return table->count; }

uint32_t client_sessions_capacity(const client_sessions *table) { return table->clients_max; }

/* ---- queries ---- */

/* Everything is read before the entry is written: the entry could alias the table, as far as
 * the compiler knows, and would make it read the table again. */
static void entry_fill(const client_sessions *table, uint32_t slot, client_sessions_entry *entry) {
    CS_ASSERT(slot < table->clients_max);
    uint64_t session = table->sessions[slot];
    CS_ASSERT(session != 0);
    const vsr_header_reply *header = &table->headers[slot];
    entry->slot = slot;
    entry->session = session;
    entry->header = header;
}

bool client_sessions_get(const client_sessions *table, vsr_u128 client,
                         client_sessions_entry *entry) {
    uint32_t slot = index_find(table, client).slot;
    if (slot == VSR_SLOT_NONE) return false;
    entry_fill(table, slot, entry);
    return true;
}

uint32_t client_sessions_slot_for_client(const client_sessions *table, vsr_u128 client) {
    return index_find(table, client).slot;
}

uint32_t client_sessions_slot_for_header(const client_sessions *table,
                                         const vsr_header_reply *header) {
    uint32_t slot = index_find(table, header->client).slot;
    if (slot == VSR_SLOT_NONE) return VSR_SLOT_NONE;
    if (table->headers[slot].checksum != header->checksum) return VSR_SLOT_NONE;
    return slot;
}

/* ---- updates ---- */

/* What put and put_at require of every reply, always inlined: a call would cost more. */
static inline __attribute__((always_inline)) void
reply_assert_storable(const client_sessions *table, uint64_t session,
                      const vsr_header_reply *reply) {
    CS_ASSERT(session != 0);
    CS_ASSERT(reply->command == VSR_COMMAND_REPLY);
    CS_ASSERT(reply->client != 0);
    CS_ASSERT(reply->op == reply->commit);
    CS_ASSERT(session <= reply->commit);
    /* Commits only grow: larger than every commit in the table, and than any removed (so
     * never 0). */
    CS_ASSERT(reply->commit > table->commit_max);
    /* The whole contract, checksum included: as costly as the put itself. */
    CS_VERIFY(vsr_header_reply_validate(reply) == VSR_ERROR_OK);
}

#if CS_COPY_WIDE
/*
 * A header in eight 32-byte stores, where the CPU has AVX (the compiler copies a struct in
 * sixteen 16-byte ones): a store a cycle is what bounds an update. A leaf of its own: AVX code
 * that can call (an assertion) realigns its stack, a store more. The bytes are the same; only
 * the speed depends on the CPU.
 */
static __attribute__((noinline, target("avx"))) void
header_copy_wide(vsr_header_reply *to, const vsr_header_reply *from) {
    typedef uint8_t bytes32 __attribute__((vector_size(32), aligned(16)));
    const bytes32 *source = (const bytes32 *)(const void *)from;
    bytes32 *destination = (bytes32 *)(void *)to;
    for (unsigned i = 0; i < sizeof(*to) / sizeof(bytes32); i++) destination[i] = source[i];
}
#endif

/* A reply into its slot, as wide as the CPU stores. */
static inline __attribute__((always_inline)) void
header_copy(const client_sessions *table, vsr_header_reply *to, const vsr_header_reply *from) {
#if CS_COPY_WIDE
    if (table->copy_wide) {
        header_copy_wide(to, from);
        return;
    }
#else
    (void)table;
#endif
    *to = *from;
}

/* A new client: the lowest free slot, the tail of the eviction order. Out of line, so that the
 * update path of put does not save the registers this one needs. */
static __attribute__((noinline)) uint32_t put_insert(client_sessions *table, uint64_t session,
                                                     const vsr_header_reply *reply,
                                                     uint32_t position, uint32_t home) {
    CS_ASSERT(table->count < table->clients_max);
    uint32_t slot = free_lowest(table);
    CS_ASSERT(slot != VSR_SLOT_NONE);
    CS_ASSERT(table->sessions[slot] == 0);
    cs_free_clear(table, slot);
    cs_slots_dirty(table, slot + 1);
    table->sessions[slot] = session;
    header_copy(table, &table->headers[slot], reply);
    index_place(table, position, home, reply->client, slot);
    list_append(table->links, table->clients_max, slot);
    table->count++;
    table->commit_max = reply->commit;
    return slot;
}

/*
 * An existing client's next reply, in the slot that holds it: the slot must hold
 * reply->client with this session (asserted, so that a slot put_at is handed after it changed
 * is caught). The slot moves to the tail of the eviction order, its reply the largest commit.
 * One function for put and put_at, out of line: with the reply copied before the list move,
 * little stays live and it saves no register, where inlined into put it saved five (a store
 * each, and stores are what an update is made of).
 */
static __attribute__((noinline)) uint32_t
put_update(client_sessions *table, uint32_t slot, uint64_t session, const vsr_header_reply *reply) {
    CS_ASSERT(slot < table->clients_max);
    CS_ASSERT(table->sessions[slot] == session);
    vsr_header_reply *header = &table->headers[slot];
    CS_ASSERT(header->client == reply->client);
    table->commit_max = reply->commit;
    header_copy(table, header, reply);
    /* The largest commit: the slot moves to the tail. */
    cs_link *links = table->links;
    list_unlink(links, slot);
    list_append(links, table->clients_max, slot);
    return slot;
}

uint32_t client_sessions_put(client_sessions *table, uint64_t session,
                             const vsr_header_reply *reply) {
    reply_assert_storable(table, session, reply);
    index_probe probe = index_find(table, reply->client);
    if (probe.slot == VSR_SLOT_NONE) {
        return put_insert(table, session, reply, probe.position, probe.home);
    }
    return put_update(table, probe.slot, session, reply);
}

void client_sessions_put_at(client_sessions *table, uint32_t slot, uint64_t session,
                            const vsr_header_reply *reply) {
    reply_assert_storable(table, session, reply);
    put_update(table, slot, session, reply);
}

vsr_u128 client_sessions_evictee(const client_sessions *table) {
    CS_ASSERT(table->count == table->clients_max);
    uint32_t sentinel = table->clients_max;
    uint32_t slot = table->links[sentinel].next;
    /* The head (links change only through list_unlink and list_append, which check both
     * neighbours, and decode, which checks the whole list). */
    CS_ASSERT(slot < table->clients_max);
    CS_ASSERT(table->sessions[slot] != 0);
    return table->headers[slot].client;
}

void client_sessions_remove(client_sessions *table, vsr_u128 client) {
    index_probe probe = index_find(table, client);
    uint32_t slot = probe.slot;
    CS_ASSERT(slot != VSR_SLOT_NONE);
    CS_ASSERT(slot < table->clients_max);
    CS_ASSERT(table->count > 0);
    CS_ASSERT(table->sessions[slot] != 0);
    CS_ASSERT(table->headers[slot].client == client);
    index_delete(table, probe.position);
    list_unlink(table->links, slot);
    /* The header keeps its bytes: the next put into the slot overwrites them all, and
     * encode writes a free slot as zeros. */
    table->sessions[slot] = 0;
    free_set(table, slot);
    table->count--;
}

/* ---- iteration ---- */

void client_sessions_iterator_init(client_sessions_iterator *it, const client_sessions *table) {
    it->table = table;
    it->slot_next = 0;
}

bool client_sessions_iterator_next(client_sessions_iterator *it, client_sessions_entry *entry) {
    const client_sessions *table = it->table;
    while (it->slot_next < table->clients_max) {
        uint32_t slot = it->slot_next++;
        if (table->sessions[slot] != 0) {
            entry_fill(table, slot, entry);
            return true;
        }
    }
    return false;
}
