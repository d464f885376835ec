/*
 * client_sessions.h: the client sessions table of a VSR state machine.
 *
 * For each active client: its session number and the header of the reply to
 * its latest committed request, in one of clients_max slots. All memory is
 * allocated by client_sessions_init; nothing afterwards. Every decision (slot
 * of a new client, evictee, encoding) depends only on the operations applied
 * and clients_max, never on hash_seed, hash order or addresses.
 *
 * Programmer errors (a put whose commit is not larger than every commit
 * before it, evictee on a table that is not full, removing an absent client)
 * are assertions that stay on in every build. Bytes from outside go through
 * client_sessions_decode, which returns an error value and never asserts on
 * them.
 *
 * Assertions whose cost is comparable to the operation itself form a verify
 * tier: put checks the whole reply header, its checksum included (about as
 * long as the put). They are compiled in when the build's `verify` option is
 * on: `-Dverify=auto` (the default) means every buildtype but release, so
 * tests and debug builds check them and release builds do not pay for them.
 */
#ifndef CLIENT_SESSIONS_H
#define CLIENT_SESSIONS_H

#include "vsr.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CLIENT_SESSIONS_CLIENTS_MAX_LIMIT = 1u << 20,
    /* Bytes per slot in the encoding: a header and a u64 session, 264. */
    CLIENT_SESSIONS_SLOT_ENCODED_SIZE = VSR_HEADER_SIZE + sizeof(uint64_t),
};

typedef struct client_sessions client_sessions;

typedef enum client_sessions_init_status {
    CLIENT_SESSIONS_INIT_OK = 0,
    CLIENT_SESSIONS_INIT_CLIENTS_MAX_INVALID, /* clients_max outside 1..2^20 */
    CLIENT_SESSIONS_INIT_OUT_OF_MEMORY,
} client_sessions_init_status;

/*
 * Allocates every byte the table will use. On failure *table is NULL. hash_seed keys the
 * client index and decode's commit set; no decision depends on it. When clients or trailers
 * come from outside, pick it at random: with a seed known in advance, crafted client ids
 * can collide in the index and make every probe, and a decode, slow (never wrong).
 */
client_sessions_init_status client_sessions_init(client_sessions **table, uint32_t clients_max,
                                                 uint64_t hash_seed);
const char *client_sessions_init_status_text(client_sessions_init_status status);
void client_sessions_deinit(client_sessions *table);
/* Empties the table: every slot zero, as after init. */
void client_sessions_reset(client_sessions *table);

uint32_t client_sessions_count(const client_sessions *table);
uint32_t client_sessions_capacity(const client_sessions *table);

typedef struct client_sessions_entry {
    uint32_t slot;
    uint64_t session;
    const vsr_header_reply *header; /* valid until the slot changes */
} client_sessions_entry;

/* The entry of client, or false. */
bool client_sessions_get(const client_sessions *table, vsr_u128 client,
                         client_sessions_entry *entry);
/* The slot of client, or VSR_SLOT_NONE. */
uint32_t client_sessions_slot_for_client(const client_sessions *table, vsr_u128 client);
/* The slot of header->client, only if its stored reply has header->checksum. */
uint32_t client_sessions_slot_for_header(const client_sessions *table,
                                         const vsr_header_reply *header);

/*
 * Stores reply as the latest reply of reply->client and returns its slot.
 * An existing client keeps its slot and session (asserted equal). A new client
 * takes the lowest free slot; the table must not be full (evict first). reply
 * must be a valid reply header with its checksum set (checked in the verify
 * tier), session != 0 and session <= commit.
 *
 * Commits only grow: reply->commit must be larger than every commit this table
 * has seen, whether still in the table or removed since (asserted). A replica
 * commits operations in order, so its puts always are. The table remembers the
 * largest commit put since init or reset; a decode replaces it with the largest
 * commit decoded (a failed decode, with 0, as reset does).
 */
uint32_t client_sessions_put(client_sessions *table, uint64_t session,
                             const vsr_header_reply *reply);

/*
 * client_sessions_put for a client already in the table, at the slot a get just returned,
 * without looking the client up a second time: what a state machine does on every
 * committed request (get to answer a retry or reject a stale request, then put the reply).
 * slot and session are the entry's; the slot must still hold reply->client with that
 * session (asserted, so a slot that changed since the get is caught, never written), and
 * reply must meet every condition of client_sessions_put. The table ends exactly as
 * client_sessions_put would leave it.
 */
void client_sessions_put_at(client_sessions *table, uint32_t slot, uint64_t session,
                            const vsr_header_reply *reply);

/* On a full table: the client whose latest reply has the smallest commit, the one
 * least recently put. */
vsr_u128 client_sessions_evictee(const client_sessions *table);

/* Frees the slot of client (which must be present): the slot encodes as zeros again. */
void client_sessions_remove(client_sessions *table, vsr_u128 client);

/* Occupied slots in slot order. */
typedef struct client_sessions_iterator {
    const client_sessions *table;
    uint32_t slot_next;
} client_sessions_iterator;

void client_sessions_iterator_init(client_sessions_iterator *it, const client_sessions *table);
bool client_sessions_iterator_next(client_sessions_iterator *it, client_sessions_entry *entry);

/* The bytes client_sessions_init requests for a table of clients_max (about 384 per
 * client, 400 MiB at the limit), for budgeting memory; 0 when clients_max is invalid. */
uint64_t client_sessions_memory_size(uint32_t clients_max);

/* CLIENT_SESSIONS_SLOT_ENCODED_SIZE (264) * clients_max. */
uint64_t client_sessions_encode_size(uint32_t clients_max);
/* Writes exactly encode_size(capacity) bytes (asserted), free slots zero. */
void client_sessions_encode(const client_sessions *table, void *out, uint64_t out_size);
/*
 * Replaces the table's content with the encoding in bytes[0..size), checking
 * every rule of docs/FORMAT.md sections 3 and 5. On error the table is empty, exactly as
 * after reset, and the error names the rule and the slot.
 */
vsr_error client_sessions_decode(client_sessions *table, const void *bytes, uint64_t size);

#ifdef __cplusplus
}
#endif

#endif /* CLIENT_SESSIONS_H */
