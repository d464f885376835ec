/*
 * The client sessions table.
 *
 * Three structures beside the slot arrays, each chosen so that no decision
 * depends on anything but the committed data:
 * - a seeded hash index (client -> slot), only ever probed for one key, never
 *   iterated, so its seed and order cannot leak into a decision;
 * - a hierarchy of free-slot bitmaps, so "lowest free slot" is a handful of
 *   count-trailing-zeros steps, not a scan;
 * - a binary min-heap of slots keyed by commit for evictee. A heap rather than
 *   a list ordered by commit: commits can arrive in any order (decode, state
 *   sync, updates of old clients), and a heap keeps every insert, update and
 *   remove at O(log n) whatever the order, while the minimum is O(1). Commits
 *   are distinct (asserted whenever two are compared), so the minimum is unique
 *   and the heap's internal layout never matters.
 */
#include <stdlib.h>
#include <string.h>

#include "assert.h"
#include "table.h"

typedef struct index_key {
    uint32_t home;
    uint32_t tag;
} index_key;

static index_key index_key_of(const client_sessions *table, vsr_u128 client) {
    uint64_t hash = cs_hash(table->hash_seed, VSR_U128_LO(client), VSR_U128_HI(client));
    index_key key = {(uint32_t)hash & table->index_mask, (uint32_t)(hash >> 32)};
    return key;
}

static bool index_entry_is(const client_sessions *table, const cs_index_entry *entry, index_key key,
                           vsr_u128 client) {
    return entry->slot_plus_one != 0 && entry->tag == key.tag &&
           table->headers[entry->slot_plus_one - 1].client == client;
}

void cs_index_prefetch(const client_sessions *table, vsr_u128 client) {
    __builtin_prefetch(&table->index[index_key_of(table, client).home]);
}

uint32_t cs_index_find(const client_sessions *table, vsr_u128 client) {
    index_key key = index_key_of(table, client);
    uint32_t position = key.home;
    /* The index is at most half full, so a probe always meets an empty entry. */
    for (uint32_t probes = 0; probes <= table->index_mask; probes++) {
        const cs_index_entry *entry = &table->index[position];
        if (entry->slot_plus_one == 0) return VSR_SLOT_NONE;
        if (index_entry_is(table, entry, key, client)) return entry->slot_plus_one - 1;
        position = (position + 1) & table->index_mask;
    }
    CS_ASSERT(false && "hash index has no empty entry");
    return VSR_SLOT_NONE;
}

/* Adds client -> slot unless client is indexed already (then false, nothing changes). The
 * header of `slot` must already hold `client`: entries compare through it. */
bool cs_index_insert(client_sessions *table, vsr_u128 client, uint32_t slot) {
    CS_ASSERT(slot < table->clients_max);
    CS_ASSERT(table->headers[slot].client == client);
    index_key key = index_key_of(table, client);
    uint32_t position = key.home;
    for (uint32_t probes = 0; probes <= table->index_mask; probes++) {
        cs_index_entry *entry = &table->index[position];
        if (entry->slot_plus_one == 0) {
            entry->slot_plus_one = slot + 1;
            entry->tag = key.tag;
            return true;
        }
        if (index_entry_is(table, entry, key, client)) return false;
        position = (position + 1) & table->index_mask;
    }
    CS_ASSERT(false && "hash index full");
    return false;
}

/* Backward-shift deletion: pull later entries of the same probe run into the hole.
 * Runs before the slot's header is zeroed, since entries compare through headers. */
static void index_delete(client_sessions *table, vsr_u128 client) {
    uint32_t mask = table->index_mask;
    index_key key = index_key_of(table, client);
    uint32_t hole = key.home;
    for (uint32_t probes = 0; !index_entry_is(table, &table->index[hole], key, client); probes++) {
        CS_ASSERT(table->index[hole].slot_plus_one != 0);
        CS_ASSERT(probes <= mask);
        hole = (hole + 1) & mask;
    }
    uint32_t next = (hole + 1) & mask;
    for (uint32_t probes = 0; table->index[next].slot_plus_one != 0; probes++) {
        CS_ASSERT(probes <= mask);
        const cs_index_entry *moving = &table->index[next];
        uint32_t home = index_key_of(table, table->headers[moving->slot_plus_one - 1].client).home;
        /* Move next into the hole unless its home lies cyclically in (hole, next]. */
        bool stays = (hole < next) ? (hole < home && home <= next) : (hole < home || home <= next);
        if (!stays) {
            table->index[hole] = *moving;
            hole = next;
        }
        next = (next + 1) & mask;
    }
    memset(&table->index[hole], 0, sizeof(table->index[hole]));
}

static void free_set(client_sessions *table, uint32_t slot) {
    uint32_t bit = slot;
    for (uint32_t level = 0; level < table->free_level_count; level++) {
        table->free_levels[level][bit / 64] |= UINT64_C(1) << (bit % 64);
        bit /= 64;
    }
}

void cs_free_clear(client_sessions *table, uint32_t slot) {
    uint32_t bit = slot;
    for (uint32_t level = 0; level < table->free_level_count; level++) {
        uint64_t *word = &table->free_levels[level][bit / 64];
        CS_ASSERT(level > 0 || (*word & (UINT64_C(1) << (bit % 64))) != 0);
        *word &= ~(UINT64_C(1) << (bit % 64));
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

/* ---- eviction heap ---- */

static bool heap_less(cs_heap_entry a, cs_heap_entry b) {
    CS_ASSERT(a.slot == b.slot || a.commit != b.commit);
    return a.commit < b.commit;
}

static void heap_place(client_sessions *table, uint32_t position, cs_heap_entry entry) {
    table->heap[position] = entry;
    table->heap_position[entry.slot] = position;
}

/* Moves the entry at position up while it is smaller than its parent, never above top. */
static void heap_sift_up(client_sessions *table, uint32_t position, uint32_t top) {
    cs_heap_entry entry = table->heap[position];
    while (position > top) {
        uint32_t parent = (position - 1) / 2;
        if (!heap_less(entry, table->heap[parent])) break;
        heap_place(table, position, table->heap[parent]);
        position = parent;
    }
    heap_place(table, position, entry);
}

/* Floyd's variant: walk the hole down to a leaf along the smaller child (one comparison a
 * level, no early exit), then sift the entry up from there, but not above where it started:
 * during the heap build the nodes above are not a heap yet. An updated client's commit is
 * almost always the largest in the table, so the entry belongs at the bottom and the
 * sift up stops at once: about half the comparisons of the textbook loop. */
static void heap_sift_down(client_sessions *table, uint32_t position, uint32_t heap_size) {
    uint32_t top = position;
    cs_heap_entry entry = table->heap[position];
    for (;;) {
        uint32_t child = 2 * position + 1;
        if (child >= heap_size) break;
        if (child + 1 < heap_size) {
            child += (uint32_t)heap_less(table->heap[child + 1], table->heap[child]);
        }
        heap_place(table, position, table->heap[child]);
        position = child;
    }
    heap_place(table, position, entry);
    heap_sift_up(table, position, top);
}

/*
 * Orders heap[0..count), which holds one entry per occupied slot in any order, into a heap
 * (bottom-up, the textbook sift-down: the nodes above the one being sifted are not a heap
 * yet, so nothing may move above it), then records every slot's position.
 */
void cs_heap_build(client_sessions *table) {
    uint32_t size = table->count;
    for (uint32_t start = size / 2; start-- > 0;) {
        cs_heap_entry entry = table->heap[start];
        uint32_t position = start;
        for (;;) {
            uint32_t child = 2 * position + 1;
            if (child >= size) break;
            if (child + 1 < size && heap_less(table->heap[child + 1], table->heap[child])) {
                child++;
            }
            if (!heap_less(table->heap[child], entry)) break;
            table->heap[position] = table->heap[child];
            position = child;
        }
        table->heap[position] = entry;
    }
    for (uint32_t position = 0; position < size; position++) {
        uint32_t slot = table->heap[position].slot;
        CS_ASSERT(table->sessions[slot] != 0 &&
                  table->headers[slot].commit == table->heap[position].commit);
        table->heap_position[slot] = position;
    }
}

static void heap_remove(client_sessions *table, uint32_t slot) {
    uint32_t position = table->heap_position[slot];
    uint32_t last = table->count - 1;
    CS_ASSERT(position <= last && table->heap[position].slot == slot);
    if (position != last) {
        heap_place(table, position, table->heap[last]);
        heap_sift_down(table, position, last);
        heap_sift_up(table, position, 0);
    }
}

/* ---- lifecycle ---- */

static uint32_t index_capacity(uint32_t clients_max) {
    uint32_t capacity = 2;
    while (capacity < 2 * clients_max) capacity *= 2;
    return capacity;
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

    bool ok = true;
    table->headers = aligned_alloc(16, (size_t)clients_max * sizeof(vsr_header_reply));
    table->sessions = calloc(clients_max, sizeof(uint64_t));
    table->index = calloc(capacity, sizeof(cs_index_entry));
    table->heap = calloc(clients_max, sizeof(cs_heap_entry));
    table->heap_position = calloc(clients_max, sizeof(uint32_t));
    table->commit_set = calloc(capacity, sizeof(uint64_t));
    ok = table->headers && table->sessions && table->index && table->heap && table->heap_position &&
         table->commit_set;

    uint32_t words = clients_max;
    do {
        CS_ASSERT(table->free_level_count < CS_FREE_LEVELS_MAX);
        words = (words + 63) / 64;
        table->free_level_words[table->free_level_count] = words;
        table->free_levels[table->free_level_count] = calloc(words, sizeof(uint64_t));
        ok = ok && table->free_levels[table->free_level_count] != NULL;
        table->free_level_count++;
    } while (words > 1);

    if (!ok) {
        client_sessions_deinit(table);
        return CLIENT_SESSIONS_INIT_OUT_OF_MEMORY;
    }
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
    free(table->heap);
    free(table->heap_position);
    free(table->commit_set);
    for (uint32_t level = 0; level < table->free_level_count; level++) {
        free(table->free_levels[level]);
    }
    free(table);
}

void cs_clear_derived(client_sessions *table) {
    memset(table->index, 0, ((size_t)table->index_mask + 1) * sizeof(cs_index_entry));
    table->count = 0;
    free_all(table);
}

void client_sessions_reset(client_sessions *table) {
    uint32_t clients_max = table->clients_max;
    memset(table->headers, 0, (size_t)clients_max * sizeof(vsr_header_reply));
    memset(table->sessions, 0, (size_t)clients_max * sizeof(uint64_t));
    cs_clear_derived(table);
}

uint32_t client_sessions_count(const client_sessions *table) { return table->count; }

uint32_t client_sessions_capacity(const client_sessions *table) { return table->clients_max; }

/* ---- queries ---- */

static void entry_fill(const client_sessions *table, uint32_t slot, client_sessions_entry *entry) {
    CS_ASSERT(table->sessions[slot] != 0);
    entry->slot = slot;
    entry->session = table->sessions[slot];
    entry->header = &table->headers[slot];
}

bool client_sessions_get(const client_sessions *table, vsr_u128 client,
                         client_sessions_entry *entry) {
    uint32_t slot = cs_index_find(table, client);
    if (slot == VSR_SLOT_NONE) return false;
    CS_ASSERT(table->headers[slot].client == client);
    entry_fill(table, slot, entry);
    return true;
}

uint32_t client_sessions_slot_for_client(const client_sessions *table, vsr_u128 client) {
    return cs_index_find(table, client);
}

uint32_t client_sessions_slot_for_header(const client_sessions *table,
                                         const vsr_header_reply *header) {
    uint32_t slot = cs_index_find(table, header->client);
    if (slot == VSR_SLOT_NONE) return VSR_SLOT_NONE;
    if (table->headers[slot].checksum != header->checksum) return VSR_SLOT_NONE;
    return slot;
}

/* ---- updates ---- */

static void reply_assert_storable(uint64_t session, const vsr_header_reply *reply) {
    CS_ASSERT(session != 0);
    CS_ASSERT(reply->command == VSR_COMMAND_REPLY);
    CS_ASSERT(reply->client != 0);
    CS_ASSERT(reply->commit != 0);
    CS_ASSERT(reply->op == reply->commit);
    CS_ASSERT(session <= reply->commit);
}

uint32_t client_sessions_put(client_sessions *table, uint64_t session,
                             const vsr_header_reply *reply) {
    reply_assert_storable(session, reply);
    uint32_t slot = cs_index_find(table, reply->client);
    if (slot != VSR_SLOT_NONE) {
        CS_ASSERT(table->sessions[slot] == session);
        CS_ASSERT(table->headers[slot].commit < reply->commit);
        table->headers[slot] = *reply;
        /* The commit grew: the slot can only move away from the heap's root. */
        uint32_t position = table->heap_position[slot];
        CS_ASSERT(table->heap[position].slot == slot);
        table->heap[position].commit = reply->commit;
        heap_sift_down(table, position, table->count);
        return slot;
    }
    CS_ASSERT(table->count < table->clients_max);
    slot = free_lowest(table);
    CS_ASSERT(slot != VSR_SLOT_NONE && table->sessions[slot] == 0);
    cs_free_clear(table, slot);
    table->sessions[slot] = session;
    table->headers[slot] = *reply;
    bool inserted = cs_index_insert(table, reply->client, slot);
    CS_ASSERT(inserted);
    cs_heap_entry entry = {reply->commit, slot};
    heap_place(table, table->count, entry);
    table->count++;
    heap_sift_up(table, table->count - 1, 0);
    return slot;
}

vsr_u128 client_sessions_evictee(const client_sessions *table) {
    CS_ASSERT(table->count == table->clients_max);
    uint32_t slot = table->heap[0].slot;
    CS_ASSERT(table->sessions[slot] != 0);
    return table->headers[slot].client;
}

void client_sessions_remove(client_sessions *table, vsr_u128 client) {
    uint32_t slot = cs_index_find(table, client);
    CS_ASSERT(slot != VSR_SLOT_NONE);
    CS_ASSERT(table->count > 0);
    heap_remove(table, slot);
    table->count--;
    index_delete(table, client);
    memset(&table->headers[slot], 0, sizeof(table->headers[slot]));
    table->sessions[slot] = 0;
    free_set(table, slot);
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
