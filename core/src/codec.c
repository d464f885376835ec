/* Encode and validating decode of the trailer (docs/FORMAT.md sections 3 and 5). */
#include <string.h>

#include "aegis_internal.h"
#include "assert.h"
#include "table.h"

uint64_t client_sessions_encode_size(uint32_t clients_max) {
    return (uint64_t)CLIENT_SESSIONS_SLOT_ENCODED_SIZE * clients_max;
}

/*
 * The slot arrays are kept in the encoded layout, so the headers are copied as they are, run
 * by run of occupied slots, and every run of free slots is written as zeros (a free slot's
 * header may still hold a removed client's bytes: remove leaves them for the next put to
 * overwrite). Each byte of the output is written once, and a free slot's header is never
 * read. A full table is one run.
 */
void client_sessions_encode(const client_sessions *table, void *out, uint64_t out_size) {
    uint32_t clients_max = table->clients_max;
    CS_ASSERT(out_size == client_sessions_encode_size(clients_max));
    uint8_t *bytes = out;
    const uint64_t *sessions = table->sessions;
    uint32_t slot = 0;
    if (table->count == clients_max) {
        memcpy(bytes, table->headers, (size_t)clients_max * sizeof(vsr_header_reply));
        slot = clients_max;
    }
    while (slot < clients_max) {
        uint32_t first = slot;
        while (slot < clients_max && sessions[slot] != 0) slot++;
        memcpy(bytes + (size_t)first * sizeof(vsr_header_reply), &table->headers[first],
               (size_t)(slot - first) * sizeof(vsr_header_reply));
        first = slot;
        while (slot < clients_max && sessions[slot] == 0) slot++;
        memset(bytes + (size_t)first * sizeof(vsr_header_reply), 0,
               (size_t)(slot - first) * sizeof(vsr_header_reply));
    }
    memcpy(bytes + (size_t)clients_max * sizeof(vsr_header_reply), sessions,
           (size_t)clients_max * sizeof(uint64_t));
}

static vsr_error error_at(vsr_error_code code, uint32_t slot) {
    vsr_error error = {.code = code, .slot = slot, .block_address = 0};
    return error;
}

static bool header_all_zero(const vsr_header_reply *header) {
    const uint64_t *words = (const uint64_t *)(const void *)header;
    uint64_t any = 0;
    for (size_t i = 0; i < sizeof(*header) / sizeof(uint64_t); i++) any |= words[i];
    return any == 0;
}

/*
 * Decode works through the slots in groups. A group's bytes are copied in; the header
 * checksums of its occupied slots are computed together (cs_checksum_headers runs several
 * at once on wide AES units) while, in a large table, the hash index entries those slots
 * will probe are loaded; then every slot is checked in slot order, each rule in the order
 * vsr_header_reply_validate has. The checksums computed ahead only answer the first rule
 * early: the first failing slot and its rule are those of a slot-by-slot decode, even when
 * a later slot of the group has a bad checksum.
 *
 * Every rule but one is checked slot by slot. The exception, duplicate_commit, falls out of
 * the sort that orders the slots for eviction (cs_order_build): equal commits end up side by
 * side, in slot order. The slots before the first other failure are sorted; if two of them
 * share a commit, the later of the two is the first failing slot (its other rules, the
 * duplicate client included, held), else the other failure is.
 */
enum {
    DECODE_GROUP_SLOTS = 64,
    /* A smaller index (24 bytes an entry) stays in cache: no prefetch. */
    DECODE_PREFETCH_ENTRIES_MIN = 1 << 14,
};

/* Every rule of one occupied slot that needs no other slot; checksum is the computed one. */
static vsr_error_code slot_validate(const vsr_header_reply *header, vsr_u128 checksum,
                                    uint64_t session) {
    if (checksum != header->checksum) return VSR_ERROR_HEADER_CHECKSUM;
    vsr_error_code code = cs_header_reply_validate_after_checksum(header);
    if (code != VSR_ERROR_OK) return code;
    if (session > header->commit) return VSR_ERROR_SESSION_AFTER_COMMIT;
    return VSR_ERROR_OK;
}

/* What the slots decoded so far hold beside the table: the range of their commits. */
typedef struct decode_state {
    uint64_t commit_min;
    uint64_t commit_max;
} decode_state;

/* Indexes a valid slot (the duplicate_client rule) and keeps its commit for the sort.
 * On an error the table is left as it is: the caller resets it. */
static vsr_error_code slot_add(client_sessions *table, decode_state *state, uint32_t slot) {
    const vsr_header_reply *header = &table->headers[slot];
    if (!cs_index_insert(table, header->client, slot)) return VSR_ERROR_DUPLICATE_CLIENT;
    cs_free_clear(table, slot);
    uint64_t commit = header->commit;
    if (commit < state->commit_min) state->commit_min = commit;
    if (commit > state->commit_max) state->commit_max = commit;
    table->order_scratch[table->count++] = commit;
    return VSR_ERROR_OK;
}

/*
 * Copies the slots [first, first + count) in from the encoding (which may be unaligned, the
 * table's arrays are not), then validates and indexes them in place.
 */
static vsr_error decode_group(client_sessions *table, decode_state *state, const uint8_t *input,
                              uint32_t first, uint32_t count) {
    CS_ASSERT(count > 0);
    CS_ASSERT(count <= DECODE_GROUP_SLOTS);
    CS_ASSERT(first + count <= table->clients_max);
    const uint8_t *input_sessions = input + (size_t)table->clients_max * sizeof(vsr_header_reply);
    cs_slots_dirty(table, first + count);
    memcpy(&table->headers[first], input + (size_t)first * sizeof(vsr_header_reply),
           count * sizeof(vsr_header_reply));
    memcpy(&table->sessions[first], input_sessions + (size_t)first * sizeof(uint64_t),
           count * sizeof(uint64_t));

    const void *occupied[DECODE_GROUP_SLOTS];
    vsr_u128 checksums[DECODE_GROUP_SLOTS];
    uint32_t occupied_count = 0;
    bool prefetch = table->index_mask + 1 >= DECODE_PREFETCH_ENTRIES_MIN;
    for (uint32_t slot = first; slot < first + count; slot++) {
        if (table->sessions[slot] == 0) continue;
        const vsr_header_reply *header = &table->headers[slot];
        /* The index is probed at random: the checksums below hide these loads. */
        if (prefetch) cs_index_prefetch(table, header->client);
        occupied[occupied_count++] = header;
    }
    cs_checksum_headers(VSR_CHECKSUM_IMPL_AUTO, occupied, occupied_count, checksums);

    uint32_t next = 0;
    for (uint32_t slot = first; slot < first + count; slot++) {
        const vsr_header_reply *header = &table->headers[slot];
        uint64_t session = table->sessions[slot];
        if (session == 0) {
            if (!header_all_zero(header)) return error_at(VSR_ERROR_FREE_SLOT_NOT_ZERO, slot);
            continue;
        }
        CS_ASSERT(next < occupied_count);
        CS_ASSERT(occupied[next] == header);
        vsr_error_code code = slot_validate(header, checksums[next], session);
        if (code == VSR_ERROR_OK) code = slot_add(table, state, slot);
        if (code != VSR_ERROR_OK) return error_at(code, slot);
        next++;
    }
    CS_ASSERT(next == occupied_count);
    return error_at(VSR_ERROR_OK, VSR_SLOT_NONE);
}

vsr_error client_sessions_decode(client_sessions *table, const void *bytes, uint64_t size) {
    if (size != client_sessions_encode_size(table->clients_max)) {
        client_sessions_reset(table);
        return error_at(VSR_ERROR_TRAILER_SIZE, VSR_SLOT_NONE);
    }
    /* The slot arrays are overwritten whole below; only the derived state needs clearing. */
    cs_clear_derived(table);
    decode_state state = {UINT64_MAX, 0};
    /* Group by group, so that each group is validated while its copy is in cache. */
    vsr_error error = error_at(VSR_ERROR_OK, VSR_SLOT_NONE);
    for (uint32_t first = 0; first < table->clients_max && error.code == VSR_ERROR_OK;
         first += DECODE_GROUP_SLOTS) {
        uint32_t left = table->clients_max - first;
        error = decode_group(table, &state, bytes, first,
                             left < DECODE_GROUP_SLOTS ? left : DECODE_GROUP_SLOTS);
    }
    /* The slots before a failure are all valid but for duplicate commits, which the sort
     * finds: the first of those comes first. */
    uint32_t slots_valid = error.code == VSR_ERROR_OK ? table->clients_max : error.slot;
    uint32_t duplicate = cs_order_build(table, slots_valid, state.commit_min, state.commit_max);
    if (duplicate != VSR_SLOT_NONE) error = error_at(VSR_ERROR_DUPLICATE_COMMIT, duplicate);
    if (error.code != VSR_ERROR_OK) {
        client_sessions_reset(table);
        return error;
    }
    CS_ASSERT(client_sessions_count(table) <= table->clients_max);
    return error;
}
