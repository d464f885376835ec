/* Encode and validating decode of the trailer (FORMAT.md 3 and 5). */
#include <string.h>

#include "assert.h"
#include "table.h"

uint64_t client_sessions_encode_size(uint32_t clients_max) {
    return (uint64_t)CLIENT_SESSIONS_SLOT_ENCODED_SIZE * clients_max;
}

void client_sessions_encode(const client_sessions *table, void *out, uint64_t out_size) {
    uint64_t clients_max = table->clients_max;
    CS_ASSERT(out_size == client_sessions_encode_size(table->clients_max));
    /* The slot arrays are kept in the encoded layout, and free slots are kept zero. */
    uint8_t *bytes = out;
    memcpy(bytes, table->headers, clients_max * sizeof(vsr_header_reply));
#if defined(CS_MUTANT_ENCODE_SESSIONS_OFFSET)
    memcpy(bytes + clients_max * sizeof(vsr_header_reply) + 8, table->sessions,
           (clients_max - 1) * sizeof(uint64_t));
    memset(bytes + clients_max * sizeof(vsr_header_reply), 0, 8);
#else
    memcpy(bytes + clients_max * sizeof(vsr_header_reply), table->sessions,
           clients_max * sizeof(uint64_t));
#endif
#if defined(CS_MUTANT_ENCODE_PADDING_GARBAGE)
    /* A stale byte (the count) in the reserved bytes of the first free slot. */
    for (uint32_t slot = 0; slot < table->clients_max; slot++) {
        if (table->sessions[slot] == 0) {
            bytes[(uint64_t)slot * sizeof(vsr_header_reply) + 250] = (uint8_t)(table->count | 1);
            break;
        }
    }
#endif
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

static uint32_t commit_set_home(const client_sessions *table, uint64_t commit) {
    return (uint32_t)cs_hash(table->hash_seed, commit, 0) & table->index_mask;
}

/* Adds commit to the scratch set; false when it is already there. */
static bool commit_set_add(client_sessions *table, uint64_t commit) {
    CS_ASSERT(commit != 0);
    uint32_t mask = table->index_mask;
    uint32_t position = commit_set_home(table, commit);
    for (uint32_t probes = 0; probes <= mask; probes++) {
        uint64_t *entry = &table->commit_set[position];
        if (*entry == 0) {
            *entry = commit;
            return true;
        }
        if (*entry == commit) return false;
        position = (position + 1) & mask;
    }
    CS_ASSERT(false && "commit set full");
    return false;
}

enum { DECODE_PREFETCH_DISTANCE = 8 };

/* Every rule of one occupied slot that needs no other slot. */
static vsr_error_code slot_validate(const vsr_header_reply *header, uint64_t session) {
    vsr_error_code code = vsr_header_reply_validate(header);
#if defined(CS_MUTANT_DECODE_SKIP_CHECKSUM)
    if (code == VSR_ERROR_HEADER_CHECKSUM) {
        vsr_header_reply resealed = *header;
        vsr_header_set_checksum(&resealed);
        code = vsr_header_reply_validate(&resealed);
    }
#endif
    if (code != VSR_ERROR_OK) return code;
#if defined(CS_MUTANT_DECODE_SKIP_SESSION_CHECK)
    (void)session;
#else
    if (session > header->commit) return VSR_ERROR_SESSION_AFTER_COMMIT;
#endif
    return VSR_ERROR_OK;
}

/* Validates the slots already copied into the table and indexes the occupied ones. */
static vsr_error decode_slots(client_sessions *table) {
    memset(table->commit_set, 0, ((size_t)table->index_mask + 1) * sizeof(uint64_t));
    for (uint32_t slot = 0; slot < table->clients_max; slot++) {
        /* Both sets are probed at random: load a few slots ahead to overlap the misses. */
        uint32_t ahead = slot + DECODE_PREFETCH_DISTANCE;
        if (ahead < table->clients_max && table->sessions[ahead] != 0) {
            cs_index_prefetch(table, table->headers[ahead].client);
            __builtin_prefetch(
                &table->commit_set[commit_set_home(table, table->headers[ahead].commit)]);
        }
        const vsr_header_reply *header = &table->headers[slot];
        uint64_t session = table->sessions[slot];
        if (session == 0) {
            if (!header_all_zero(header)) return error_at(VSR_ERROR_FREE_SLOT_NOT_ZERO, slot);
            continue;
        }
        vsr_error_code code = slot_validate(header, session);
        if (code != VSR_ERROR_OK) return error_at(code, slot);
#if !defined(CS_MUTANT_DECODE_ALLOW_DUPLICATE_CLIENT)
        if (cs_index_find(table, header->client) != VSR_SLOT_NONE) {
            return error_at(VSR_ERROR_DUPLICATE_CLIENT, slot);
        }
#endif
        if (!commit_set_add(table, header->commit)) {
            return error_at(VSR_ERROR_DUPLICATE_COMMIT, slot);
        }
        cs_index_insert(table, header->client, slot);
        cs_free_clear(table, slot);
        table->count++;
    }
    return error_at(VSR_ERROR_OK, VSR_SLOT_NONE);
}

vsr_error client_sessions_decode(client_sessions *table, const void *bytes, uint64_t size) {
    uint64_t clients_max = table->clients_max;
    if (size != client_sessions_encode_size(table->clients_max)) {
        client_sessions_reset(table);
        return error_at(VSR_ERROR_TRAILER_SIZE, VSR_SLOT_NONE);
    }
    /* The slot arrays are overwritten whole below; only the derived state needs clearing. */
    cs_clear_derived(table);
    /* Copy first (the input may be unaligned), then validate in place. */
    const uint8_t *input = bytes;
    memcpy(table->headers, input, clients_max * sizeof(vsr_header_reply));
    memcpy(table->sessions, input + clients_max * sizeof(vsr_header_reply),
           clients_max * sizeof(uint64_t));
    vsr_error error = decode_slots(table);
#if defined(CS_MUTANT_DECODE_KEEPS_PARTIAL)
    /* Only the slots from the failing one on are cleared. */
    if (error.code != VSR_ERROR_OK) {
        for (uint32_t slot = error.slot; slot < table->clients_max; slot++) {
            memset(&table->headers[slot], 0, sizeof(table->headers[slot]));
            table->sessions[slot] = 0;
        }
        cs_heap_build(table);
        return error;
    }
#else
    if (error.code != VSR_ERROR_OK) {
        client_sessions_reset(table);
        return error;
    }
#endif
    cs_heap_build(table);
    return error;
}
