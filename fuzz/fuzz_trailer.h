/*
 * fuzz_trailer.h: decode one encoded trailer and check everything that must hold.
 *
 * Shared by fuzz_trailer_decode and fuzz_blocks_decode. The verdict must be the
 * oracle's of docs/FORMAT.md section 3 (oracle_trailer, testing/oracle.h): the first slot that
 * breaks a rule is the one the error names, with a rule that slot breaks. Then:
 * - a decode that succeeds re-encodes to the identical bytes, every occupied
 *   slot answers get / slot_for_client / slot_for_header and the iterator, and
 *   the eviction order (smallest commit first) holds through a full turnover;
 * - a decode that fails leaves the table empty: count 0 and an all-zero encoding;
 * - a table with another hash seed that already held clients gives the same
 *   verdict and the same bytes (decode replaces, and the seed decides nothing).
 */
#ifndef FUZZ_TRAILER_H
#define FUZZ_TRAILER_H

#include "fuzz_common.h"

static inline void fuzz_check_empty(const client_sessions *table, uint8_t *scratch, size_t size,
                                    const char *what) {
    FUZZ_CHECK(client_sessions_count(table) == 0, "%s: count %u after a failed decode", what,
               client_sessions_count(table));
    client_sessions_encode(table, scratch, size);
    FUZZ_CHECK(testing_all_zero(scratch, size), "%s: a failed decode left bytes in the table",
               what);
    client_sessions_iterator it;
    client_sessions_entry entry;
    client_sessions_iterator_init(&it, table);
    FUZZ_CHECK(!client_sessions_iterator_next(&it, &entry), "%s: iterator yields slot %u", what,
               entry.slot);
}

/* Every occupied slot of the encoding answers the queries as the bytes say. */
static inline void fuzz_check_queries(const client_sessions *table, const uint8_t *bytes,
                                      uint32_t clients_max) {
    const uint8_t *sessions = bytes + (size_t)clients_max * VSR_HEADER_SIZE;
    client_sessions_iterator it;
    client_sessions_iterator_init(&it, table);
    for (uint32_t slot = 0; slot < clients_max; slot++) {
        uint64_t session = testing_load(sessions + (size_t)slot * 8, 8);
        if (session == 0) continue;
        vsr_header_reply header;
        memcpy(&header, bytes + (size_t)slot * VSR_HEADER_SIZE, sizeof(header));
        client_sessions_entry entry;
        FUZZ_CHECK(client_sessions_iterator_next(&it, &entry) && entry.slot == slot,
                   "iterator skipped slot %u", slot);
        FUZZ_CHECK(client_sessions_get(table, header.client, &entry), "get misses slot %u", slot);
        FUZZ_CHECK(entry.slot == slot && entry.session == session &&
                       memcmp(entry.header, &header, sizeof(header)) == 0,
                   "get of slot %u answers slot %u session %llu", slot, entry.slot,
                   (unsigned long long)entry.session);
        FUZZ_CHECK(client_sessions_slot_for_client(table, header.client) == slot,
                   "slot_for_client of slot %u", slot);
        FUZZ_CHECK(client_sessions_slot_for_header(table, &header) == slot,
                   "slot_for_header of slot %u", slot);
        header.checksum ^= 1;
        FUZZ_CHECK(client_sessions_slot_for_header(table, &header) == VSR_SLOT_NONE,
                   "slot_for_header of slot %u accepts another checksum", slot);
    }
    client_sessions_entry entry;
    FUZZ_CHECK(!client_sessions_iterator_next(&it, &entry), "iterator yields free slot %u",
               entry.slot);
}

/* The occupied slot with the smallest commit, by a scan of the table's own entries. */
static inline vsr_u128 fuzz_oldest_client(const client_sessions *table) {
    client_sessions_iterator it;
    client_sessions_entry entry;
    vsr_u128 client = 0;
    uint64_t commit = 0;
    bool any = false;
    client_sessions_iterator_init(&it, table);
    while (client_sessions_iterator_next(&it, &entry)) {
        if (!any || entry.header->commit < commit) {
            client = entry.header->client;
            commit = entry.header->commit;
            any = true;
        }
    }
    return client;
}

/*
 * Fills the table with new clients whose commits exceed every decoded commit,
 * then evicts and replaces clients_max times: each evictee must be the oldest
 * client by a scan, so the decoded clients leave in commit order.
 */
static inline void fuzz_check_eviction_order(client_sessions *table) {
    uint32_t clients_max = client_sessions_capacity(table);
    uint64_t commit_max = 0;
    client_sessions_iterator it;
    client_sessions_entry entry;
    client_sessions_iterator_init(&it, table);
    while (client_sessions_iterator_next(&it, &entry)) {
        if (entry.header->commit > commit_max) commit_max = entry.header->commit;
    }
    if (commit_max > UINT64_MAX - 4 * (uint64_t)clients_max) return; /* no room above */
    uint64_t commit = commit_max;
    uint64_t fresh_client = 0;
    for (uint32_t round = 0; round < 2 * clients_max; round++) {
        if (client_sessions_count(table) == clients_max) {
            vsr_u128 evictee = client_sessions_evictee(table);
            vsr_u128 oldest = fuzz_oldest_client(table);
            FUZZ_CHECK(evictee == oldest, "evictee is not the client with the smallest commit");
            client_sessions_remove(table, evictee);
            FUZZ_CHECK(client_sessions_slot_for_client(table, evictee) == VSR_SLOT_NONE,
                       "removed client still has a slot");
        }
        vsr_u128 client;
        do {
            client = VSR_U128(0xf0f0f0f0f0f0f0f0u, ++fresh_client);
        } while (client_sessions_slot_for_client(table, client) != VSR_SLOT_NONE);
        commit++;
        vsr_header_reply reply = testing_reply_salted(client, commit, 0, commit);
        client_sessions_put(table, commit, &reply);
    }
}

/* Decodes bytes as a trailer of clients_max slots and checks it all; true when valid. */
static inline bool fuzz_check_trailer_decode(uint32_t clients_max, const uint8_t *bytes,
                                             size_t size) {
    oracle_trailer_verdict verdict = oracle_trailer(clients_max, bytes, size);
    size_t encoded_size = (size_t)client_sessions_encode_size(clients_max);
    uint8_t *scratch = malloc(encoded_size);
    client_sessions *fresh = NULL, *used = NULL;
    FUZZ_CHECK(scratch != NULL, "out of memory");
    FUZZ_CHECK(client_sessions_init(&fresh, clients_max, 0x5eed) == CLIENT_SESSIONS_INIT_OK &&
                   client_sessions_init(&used, clients_max, ~(uint64_t)0x5eed) ==
                       CLIENT_SESSIONS_INIT_OK,
               "init of %u clients failed", clients_max);
    /* `used` held clients before: decode must replace them, index and heap included. */
    for (uint32_t i = 0; i < clients_max && i < 3; i++) {
        vsr_header_reply reply = testing_reply_salted(VSR_U128(0xabcd, i + 1), 100 + i, 0, i);
        client_sessions_put(used, 100 + i, &reply);
    }

    vsr_error error = client_sessions_decode(fresh, bytes, size);
    vsr_error again = client_sessions_decode(used, bytes, size);
    char text[96];
    vsr_error_format(error, text, sizeof(text));
    if (fuzz_verbose()) fprintf(stderr, "decode (%u clients): %s\n", clients_max, text);
    FUZZ_CHECK(error.code == again.code && error.slot == again.slot,
               "decode into a used table differs: %s", text);
    FUZZ_CHECK(error.block_address == 0, "decode names a block: %s", text);
    FUZZ_CHECK(error.slot == verdict.slot, "decode says %s, the first broken slot is %u", text,
               verdict.slot);
    fuzz_check_verdict(error.code, verdict.rules, text);

    if (error.code == VSR_ERROR_OK) {
        FUZZ_CHECK(client_sessions_count(fresh) == verdict.count, "count %u, %u slots occupied",
                   client_sessions_count(fresh), verdict.count);
        client_sessions_encode(fresh, scratch, encoded_size);
        FUZZ_CHECK(memcmp(scratch, bytes, size) == 0, "decode then encode changed the bytes");
        client_sessions_encode(used, scratch, encoded_size);
        FUZZ_CHECK(memcmp(scratch, bytes, size) == 0, "decode into a used table changed bytes");
        fuzz_check_queries(fresh, bytes, clients_max);
        fuzz_check_queries(used, bytes, clients_max);
        fuzz_check_eviction_order(fresh);
    } else {
        fuzz_check_empty(fresh, scratch, encoded_size, "fresh table");
        fuzz_check_empty(used, scratch, encoded_size, "used table");
    }
    client_sessions_deinit(fresh);
    client_sessions_deinit(used);
    free(scratch);
    return error.code == VSR_ERROR_OK;
}

#endif /* FUZZ_TRAILER_H */
