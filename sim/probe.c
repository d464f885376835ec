/*
 * probe.c: the questions a state machine asks its table besides the op it applies.
 *
 * The apply driver asks get, slot_for_client and slot_for_header about the op's own
 * client, which is nearly always there. A table that answers wrongly only about clients
 * that are not there, or about a header that is no longer the stored one, would pass it.
 * So after the first application of every op, the replica's table is asked:
 *
 * - about the op's client: its slot, session and stored reply, as the model has them;
 * - about the client the op evicted, if any: it must be gone;
 * - about clients that share one half of the op's client id but were never issued, and
 *   about one that shares nothing (SIM_ID_PROBE_BIT makes them absent by construction);
 * - slot_for_header with the op's own reply (current only if the op stored it), with the
 *   stored reply under a foreign checksum, and with the stored reply of another client id.
 *
 * Registrations also read back the text of the new client id, the ways a user may write
 * it (--trace lines and failure messages name clients with vsr_u128_format; a repro is
 * typed back with vsr_u128_parse), and every decode rejection reads back its error text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

/* One round of probes: the table asked, the replica it belongs to, the op just applied. */
typedef struct sim_probe {
    const client_sessions *table;
    int replica;
    uint64_t number;
    sim_failure *failure;
} sim_probe;

static bool probe_fail(sim_failure *f, const char *signature, uint64_t number, int replica,
                       const char *what, vsr_u128 client) {
    char text[33];
    vsr_u128_format(client, text);
    return sim_fail(f, signature, number, replica, "op %" PRIu64 ": %s (client %s)", number, what,
                    text);
}

/* A client that is not in the table must be absent to every query. */
static bool expect_absent(const sim_probe *p, vsr_u128 client, const char *which) {
    client_sessions_entry entry;
    char what[128];
    if (client_sessions_get(p->table, client, &entry)) {
        snprintf(what, sizeof(what), "get() finds the %s client at slot %" PRIu32, which,
                 entry.slot);
        return probe_fail(p->failure, "probe.absent", p->number, p->replica, what, client);
    }
    uint32_t slot = client_sessions_slot_for_client(p->table, client);
    if (slot != VSR_SLOT_NONE) {
        snprintf(what, sizeof(what), "slot_for_client() finds the %s client at slot %" PRIu32,
                 which, slot);
        return probe_fail(p->failure, "probe.absent", p->number, p->replica, what, client);
    }
    return true;
}

/* slot_for_header(header) must be `expected`. */
static bool expect_header(const sim_probe *p, const vsr_header_reply *header, uint32_t expected,
                          const char *which) {
    uint32_t slot = client_sessions_slot_for_header(p->table, header);
    if (slot == expected) return true;
    char what[160];
    snprintf(what, sizeof(what), "slot_for_header(%s) is %" PRId64 ", expected %" PRId64, which,
             slot == VSR_SLOT_NONE ? (int64_t)-1 : (int64_t)slot,
             expected == VSR_SLOT_NONE ? (int64_t)-1 : (int64_t)expected);
    return probe_fail(p->failure, "probe.header", p->number, p->replica, what, header->client);
}

/* The op's client is present after the op exactly as the model has it. */
static bool expect_present(const sim_probe *p, const sim_op *op) {
    client_sessions_entry entry;
    if (!client_sessions_get(p->table, op->client, &entry)) {
        return probe_fail(p->failure, "probe.present", p->number, p->replica,
                          "get() misses the op's client", op->client);
    }
    const char *wrong = NULL;
    if (entry.slot != op->expected.slot)
        wrong = "get() gives another slot than the model";
    else if (entry.session != op->session)
        wrong = "get() gives another session than the model";
    else if (entry.header->client != op->client)
        wrong = "get() gives another client's reply";
    else if (entry.header->checksum != op->stored)
        wrong = "get() gives another reply than the model";
    if (wrong != NULL) {
        return probe_fail(p->failure, "probe.present", p->number, p->replica, wrong, op->client);
    }
    /* The stored reply is current; the same bytes under another checksum, or under another
     * client id, are not. */
    vsr_header_reply header = *entry.header;
    if (!expect_header(p, &header, op->expected.slot, "the stored reply")) return false;
    header.checksum ^= (vsr_u128)1 << (p->number % 128);
    if (!expect_header(p, &header, VSR_SLOT_NONE, "the stored reply, foreign checksum")) {
        return false;
    }
    header = *entry.header;
    header.client = VSR_U128(VSR_U128_HI(op->client), VSR_U128_LO(op->client) | SIM_ID_PROBE_BIT);
    return expect_header(p, &header, VSR_SLOT_NONE, "the stored reply of a related client");
}

bool sim_probe_after_apply(const client_sessions *table, int replica, const sim_op *op,
                           uint64_t number, sim_failure *failure) {
    const sim_probe p = {table, replica, number, failure};
    if (client_sessions_count(table) != op->count) {
        char what[96];
        snprintf(what, sizeof(what), "count() is %" PRIu32 ", the model's %" PRIu32,
                 client_sessions_count(table), op->count);
        return probe_fail(failure, "probe.count", number, replica, what, op->client);
    }
    /* The op's own reply is current only if the op stored it (registered or updated): a
     * duplicate's or a stale request's reply is a newer header of the same client. */
    bool stored = op->expected.slot != VSR_SLOT_NONE && op->stored == op->reply.checksum;
    if (!expect_header(&p, &op->reply, stored ? op->expected.slot : VSR_SLOT_NONE,
                       "the op's reply")) {
        return false;
    }
    bool present = op->expected.slot == VSR_SLOT_NONE ? expect_absent(&p, op->client, "rejected")
                                                      : expect_present(&p, op);
    if (!present) return false;
    if (op->expected.evictee != 0) {
        if (!expect_absent(&p, op->expected.evictee, "evicted")) return false;
        vsr_header_reply header = op->reply;
        header.client = op->expected.evictee;
        if (!expect_header(&p, &header, VSR_SLOT_NONE, "a reply of the evicted client")) {
            return false;
        }
    }
    uint64_t hi = VSR_U128_HI(op->client), lo = VSR_U128_LO(op->client);
    vsr_u128 other = op->reply.checksum | ((vsr_u128)SIM_ID_PROBE_BIT << 64);
    return expect_absent(&p, VSR_U128(hi, lo | SIM_ID_PROBE_BIT),
                         "never issued (same high half)") &&
           expect_absent(&p, VSR_U128(hi | SIM_ID_PROBE_BIT, lo), "never issued (same low half)") &&
           expect_absent(&p, other, "never issued");
}

/* ---- text read back ---- */

static bool text_fail(sim_failure *f, uint64_t number, const char *text, const char *why) {
    return sim_fail(f, "probe.text", number, -1, "op %" PRIu64 ": client id text '%s': %s", number,
                    text, why);
}

/* parse(text) must give `expected` (accept) or fail (reject). */
static bool parse_is(const char *text, bool accept, vsr_u128 expected) {
    vsr_u128 value = 0;
    bool ok = vsr_u128_parse(text, &value);
    return accept ? ok && value == expected : !ok;
}

bool sim_probe_id_text(vsr_u128 client, uint64_t number, sim_failure *failure) {
    char text[33], variant[40];
    vsr_u128_format(client, text);
    for (uint32_t i = 0; i < 32; i++) {
        char c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return text_fail(failure, number, text,
                             "format gives a character that is not a lowercase hex digit");
        }
    }
    if (text[32] != '\0' || !parse_is(text, true, client)) {
        return text_fail(failure, number, text, "does not read back as the same id");
    }
    /* Accepted: a 0x or 0X prefix, uppercase digits, the leading zeros dropped. */
    snprintf(variant, sizeof(variant), "%s%s", number % 2 ? "0x" : "0X", text);
    for (char *p = variant + 2; *p && number % 3 == 0; p++) {
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
    }
    if (!parse_is(variant, true, client)) {
        return text_fail(failure, number, variant, "is not read as the id");
    }
    const char *short_form = text;
    while (short_form[0] == '0' && short_form[1] != '\0') short_form++;
    if (!parse_is(short_form, true, client)) {
        return text_fail(failure, number, short_form,
                         "(leading zeros dropped) is not read as the id");
    }
    /* Rejected: empty, a bare prefix, 33 digits, and a character just outside each digit
     * range at some position. */
    snprintf(variant, sizeof(variant), "0%s", text);
    if (!parse_is(NULL, false, 0) || !parse_is("", false, 0) || !parse_is("0x", false, 0) ||
        !parse_is(variant, false, 0)) {
        return text_fail(failure, number, variant,
                         "no text, an empty, bare-prefix or 33-digit id is accepted");
    }
    static const char outside[] = {'/', ':', '`', 'g', '@', 'G', ' ', '-'};
    for (uint32_t i = 0; i < sizeof(outside); i++) {
        memcpy(variant, text, sizeof(text));
        variant[(number + i * 7) % 32] = outside[i];
        if (!parse_is(variant, false, 0)) {
            return text_fail(failure, number, variant,
                             "an id with a character that is not a hex digit is accepted");
        }
    }
    return true;
}

bool sim_probe_error_text(vsr_error error, uint64_t number, int replica, sim_failure *failure) {
    char text[160], name[64];
    vsr_error_format(error, text, sizeof(text));
    /* "name", "name at slot N" or "name at block N". */
    const char *at = strstr(text, " at ");
    size_t length = at != NULL ? (size_t)(at - text) : strlen(text);
    const char *why = NULL;
    vsr_error_code code;
    if (length >= sizeof(name)) {
        why = "the name is too long";
    } else {
        memcpy(name, text, length);
        name[length] = '\0';
        if (!vsr_error_code_parse(name, &code) || code != error.code) {
            why = "the name does not read back as the error";
        } else if (strcmp(vsr_error_name(error.code), name) != 0) {
            why = "vsr_error_name differs from the formatted name";
        } else if (vsr_error_reason(error.code)[0] == '\0' ||
                   strcmp(vsr_error_reason(error.code), "unknown error code") == 0) {
            why = "the error has no reason";
        }
    }
    if (why == NULL) {
        char where[64] = "";
        if (error.slot != VSR_SLOT_NONE) {
            snprintf(where, sizeof(where), " at slot %" PRIu32, error.slot);
        } else if (error.block_address != 0) {
            snprintf(where, sizeof(where), " at block %" PRIu64, error.block_address);
        }
        if (strcmp(text + length, where) != 0) why = "the place does not read back";
    }
    if (why == NULL) {
        /* A code past the table (a corrupt event, a newer peer) is named, not read beyond. */
        vsr_error_code past = (vsr_error_code)(VSR_ERROR_COUNT + (number % 2));
        if (strcmp(vsr_error_name(past), "unknown_error") != 0 ||
            strcmp(vsr_error_reason(past), "unknown error code") != 0) {
            why = "a code past the error table is not named unknown";
        }
    }
    if (why == NULL) {
        /* Near misses of the name are no error's name. */
        size_t n = strlen(name);
        name[n - 1] = (char)(name[n - 1] == 'z' ? 'y' : name[n - 1] + 1);
        if (vsr_error_code_parse(name, &code)) why = "a misspelt name reads as an error";
        name[n - 1] = '\0';
        if (vsr_error_code_parse(name, &code)) why = "a truncated name reads as an error";
        if (vsr_error_code_parse(NULL, &code)) why = "no text reads as an error";
    }
    if (why != NULL) {
        return sim_fail(failure, "probe.text", number, replica,
                        "op %" PRIu64 ": error text '%s': %s", number, text, why);
    }
    return true;
}
