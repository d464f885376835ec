/* Resealed copies judged by the oracles: see reseal.h. */
#include "reseal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sim_assert.h"
#include "storage.h"
#include "testing/edit.h"
#include "testing/oracle.h"
#include "testing/reply.h"

/* Where a judgment is made: the tools, the op and replica named, the edit's name. */
typedef struct judge_context {
    const sim_reseal *tools;
    uint64_t op;
    int replica;
    const char *edit;
    sim_failure *failure;
} judge_context;

static bool reseal_fail(const judge_context *j, const char *signature, const char *what,
                        const char *detail) {
    return sim_fail(j->failure, signature, j->op, j->replica,
                    "op %" PRIu64 ": a trailer resealed after edit %s: %s%s", j->op, j->edit, what,
                    detail);
}

/* The smallest commit's client among the occupied slots of an encoding. */
static vsr_u128 oldest_client(const uint8_t *trailer, uint32_t clients_max) {
    uint64_t commit_min = UINT64_MAX;
    vsr_u128 client = 0;
    for (uint32_t slot = 0; slot < clients_max; slot++) {
        if (edit_slot_session(trailer, clients_max, slot) == 0) continue;
        const uint8_t *h = trailer + (size_t)VSR_HEADER_SIZE * slot;
        uint64_t commit = edit_get(h, EDIT_FIELD_COMMIT);
        if (commit < commit_min) {
            commit_min = commit;
            memcpy(&client, h + edit_fields[EDIT_FIELD_CLIENT].offset, sizeof(client));
        }
    }
    return client;
}

/* A rejection names the oracle's slot (none for the trailer's size) and leaves no client. */
static bool judge_rejected(const judge_context *j, oracle_trailer_verdict verdict, vsr_error error,
                           const char *text) {
    bool trailer_rule = (verdict.rules & ORACLE_RULE(VSR_ERROR_TRAILER_SIZE)) != 0;
    uint32_t slot = trailer_rule ? VSR_SLOT_NONE : verdict.slot;
    if (error.slot != slot) {
        char why[256];
        snprintf(why, sizeof(why), "%s, the oracle's slot is %" PRId64, text,
                 slot == VSR_SLOT_NONE ? (int64_t)-1 : (int64_t)slot);
        return reseal_fail(j, "reseal.decode_slot", "decode says ", why);
    }
    if (client_sessions_count(j->tools->table) != 0) {
        return reseal_fail(j, "reseal.decode_partial", "a rejected decode left clients: ", text);
    }
    return true;
}

/* An acceptance: the oracle's count, the same bytes back, the smallest commit evicted. */
static bool judge_accepted(const judge_context *j, oracle_trailer_verdict verdict,
                           const uint8_t *edited, uint64_t size) {
    const sim_reseal *t = j->tools;
    uint32_t n = client_sessions_capacity(t->table);
    if (client_sessions_count(t->table) != verdict.count) {
        return reseal_fail(j, "reseal.decode_count", "decoded count differs from the oracle's", "");
    }
    client_sessions_encode(t->table, t->again, size);
    if (memcmp(t->again, edited, (size_t)size) != 0) {
        char where[256];
        sim_trailer_diff(edited, t->again, n, where, sizeof(where));
        return reseal_fail(j, "reseal.roundtrip", "encode(decode(bytes)) != bytes: ", where);
    }
    if (verdict.count == n && client_sessions_evictee(t->table) != oldest_client(edited, n)) {
        return reseal_fail(j, "reseal.evictee", "evictee() is not the smallest commit's client",
                           "");
    }
    return true;
}

/* The core's decode of edited[0..size) against the oracle's verdict; trailer is the fresh
 * trailer the edit was made from. known is a trailer whose occupied headers have valid
 * checksums, and the oracle computes the checksums of the headers that differ from its only:
 * the fresh trailer (the model's encoding, its checksum the model's, and it decoded), or
 * the edited copy itself when each header in it is the fresh trailer's or was sealed just
 * before (the full tables of sim_reseal_filled), since a checksum computed again from the
 * same bytes would say nothing new (a wrong seal is still seen: the core's decode would then
 * disagree with the oracle). */
static bool judge_decode_known(const judge_context *j, const uint8_t *trailer,
                               const uint8_t *edited, uint64_t size, const uint8_t *known) {
    const sim_reseal *t = j->tools;
    uint32_t n = client_sessions_capacity(t->table);
    oracle_trailer_verdict verdict = oracle_trailer_known(n, edited, (size_t)size, known);
    char text[128], why[256];
    if (size != t->trailer_size) {
        /* A trailer of the wrong size must empty a table that holds clients: the fresh
         * trailer first. */
        vsr_error own = client_sessions_decode(t->table, trailer, t->trailer_size);
        if (own.code != VSR_ERROR_OK) {
            vsr_error_format(own, text, sizeof(text));
            return reseal_fail(j, "reseal.decode_own", "the replica's own trailer: ", text);
        }
    }
    vsr_error error = client_sessions_decode(t->table, edited, size);
    vsr_error_format(error, text, sizeof(text));
    if (error.block_address != 0) {
        return reseal_fail(j, "reseal.decode_block", "a decode error names a block: ", text);
    }
    if (!oracle_verdict_agrees(error.code, verdict.rules, why, sizeof(why))) {
        return reseal_fail(j, "reseal.decode_rule", "decode says ", text);
    }
    if (verdict.rules != 0) return judge_rejected(j, verdict, error, text);
    return judge_accepted(j, verdict, edited, size);
}

static bool judge_decode(const judge_context *j, const uint8_t *trailer, const uint8_t *edited,
                         uint64_t size) {
    return judge_decode_known(j, trailer, edited, size, trailer);
}

/* A full table whose every header is the fresh trailer's or was sealed just before. */
static bool judge_filled(const judge_context *j, const uint8_t *trailer, const uint8_t *filled) {
    return judge_decode_known(j, trailer, filled, j->tools->trailer_size, filled);
}

/* One edit of one occupied slot (and another, for the edits across slots), judged. */
static bool check_slot_edit(const sim_reseal *t, pcg32 *rng, const uint8_t *trailer, uint64_t op,
                            int replica, uint64_t *judged, sim_failure *failure) {
    const edit_random random = {pcg32_below, rng};
    uint32_t n = client_sessions_capacity(t->table);
    uint8_t *copy = t->copy;
    memcpy(copy, trailer, (size_t)t->trailer_size);
    uint32_t slot = VSR_SLOT_NONE, other = VSR_SLOT_NONE;
    bool any = false;
    for (uint32_t i = 0; i < n && !any; i++) any = edit_slot_session(copy, n, i) != 0;
    if (!any) return true;
    /* A random occupied slot, and another occupied one for the edits across slots. */
    uint32_t start = pcg32_bounded(rng, n);
    for (uint32_t i = 0; i < n && other == VSR_SLOT_NONE; i++) {
        uint32_t candidate = (start + i) % n;
        if (edit_slot_session(copy, n, candidate) == 0) continue;
        if (slot == VSR_SLOT_NONE) {
            slot = candidate;
        } else {
            other = candidate;
        }
    }
    uint32_t first = pcg32_bounded(rng, EDIT_SLOT_COUNT);
    for (uint32_t i = 0; i < EDIT_SLOT_COUNT; i++) {
        edit_slot_edit edit = (edit_slot_edit)((first + i) % EDIT_SLOT_COUNT);
        uint64_t size = t->trailer_size;
        if (!edit_slot_apply(&random, copy, n, &size, edit, slot, other)) continue;
        ++*judged;
        const judge_context j = {t, op, replica, edit_slot_edit_name(edit), failure};
        return judge_decode(&j, trailer, copy, size);
    }
    return true;
}

/* The reader's verdict on edited blocks against the oracle's: the rule, the block it names
 * (none after an acceptance, and never a slot), and after an acceptance the bytes written. */
static bool judge_read(const judge_context *j, const vsr_trailer_reference *reference,
                       uint32_t block_size, edit_image *store, const uint8_t *trailer,
                       uint64_t size) {
    const sim_reseal *t = j->tools;
    oracle_read_verdict verdict = oracle_trailer_read(reference, block_size, edit_image_lookup,
                                                      store, t->again, t->trailer_size, NULL, 0);
    vsr_error error = vsr_trailer_read(reference, block_size, edit_image_lookup, store, t->again,
                                       t->trailer_size);
    char text[128], why[256];
    vsr_error_format(error, text, sizeof(text));
    if (!oracle_verdict_agrees(error.code, verdict.rules, why, sizeof(why))) {
        return reseal_fail(j, "reseal.read_rule", "the reader says ", text);
    }
    if (error.block_address != verdict.address || error.slot != VSR_SLOT_NONE) {
        snprintf(why, sizeof(why),
                 "%s (block %" PRIu64 ", slot %lld), the oracle's block is %" PRIu64, text,
                 error.block_address, error.slot == VSR_SLOT_NONE ? -1LL : (long long)error.slot,
                 verdict.address);
        return reseal_fail(j, "reseal.read_block", "the reader says ", why);
    }
    if (verdict.rules == 0 && memcmp(t->again, trailer, (size_t)size) != 0) {
        return reseal_fail(j, "reseal.read_bytes", "the reader gives other bytes than written", "");
    }
    return true;
}

/* The fresh trailer's blocks, as written, moved to addresses base + i in t->blocks: the
 * bodies and their checksums stay, the addresses, back-pointers and header checksums are
 * redone, and the reference's trailer checksum stays. The bytes vsr_trailer_write would
 * write there, without checksumming the bodies and the trailer again. */
static void move_blocks(const sim_reseal *t, const sim_fresh *fresh, uint64_t base, uint32_t count,
                        vsr_trailer_reference *reference) {
    uint32_t bs = t->block_size;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *b = t->blocks + (size_t)i * bs;
        uint32_t used = VSR_HEADER_SIZE + sim_block_body_size(t->trailer_size, bs, i);
        memcpy(b, fresh->blocks + (size_t)i * bs, used);
        edit_set(b, EDIT_FIELD_ADDRESS, base + i);
        edit_set(b, EDIT_FIELD_PREVIOUS_ADDRESS, i == 0 ? 0 : base + i - 1);
    }
    *reference = *fresh->reference;
    reference->last_block_address = base + count - 1;
    edit_reseal_chain(t->blocks, bs, count, 0, false, reference);
}

/* The trailer (or a prefix of it) written to blocks at a random base address, one edit of a
 * block, the reference, the block size or the lookup, judged. */
static bool check_block_edit(const sim_reseal *t, pcg32 *rng, const sim_fresh *fresh, uint64_t op,
                             int replica, uint64_t *judged, sim_failure *failure) {
    const edit_random random = {pcg32_below, rng};
    uint32_t bs = t->block_size;
    uint64_t base = 1 + pcg32_bounded(rng, 1000);
    edit_block_edit edit = (edit_block_edit)pcg32_bounded(rng, EDIT_BLOCK_COUNT);
    uint64_t size = edit_block_prefix_size(t->trailer_size, bs, edit);
    if (size == 0) return true; /* the trailer does not fill one block */
    uint64_t blocks_needed = vsr_trailer_block_count(size, bs);
    SIM_ASSERT(blocks_needed >= 1 && blocks_needed <= t->block_count);
    uint32_t count = (uint32_t)blocks_needed;
    vsr_trailer_reference reference;
    if (size == t->trailer_size) {
        move_blocks(t, fresh, base, count, &reference);
    } else {
        for (uint32_t i = 0; i < count; i++) t->addresses[i] = base + i;
        vsr_trailer_write(fresh->trailer, size, bs, t->cluster, t->release, t->addresses, t->blocks,
                          &reference);
    }
    edit_image store = {t->blocks, bs, count, base, 0, 0, 0, 0};
    uint32_t i = pcg32_bounded(rng, count);
    uint32_t block_size = bs;
    if (!edit_block_apply(&random, &store, t->blocks, edit, i, &reference, &block_size)) {
        return true;
    }
    ++*judged;
    const judge_context j = {t, op, replica, edit_block_edit_name(edit), failure};
    return judge_read(&j, &reference, block_size, &store, fresh->trailer, size);
}

bool sim_reseal_check(const sim_reseal *tools, pcg32 *rng, const sim_fresh *fresh, uint64_t op,
                      int replica, uint64_t *judged, sim_failure *failure) {
    return check_slot_edit(tools, rng, fresh->trailer, op, replica, judged, failure) &&
           check_block_edit(tools, rng, fresh, op, replica, judged, failure);
}

/* Every occupied slot of copy (n slots) gets commit base + 1 + perm(slot) (and op), resealed:
 * commits one apart, in a shuffled slot order. 1048583 is prime and above
 * CLIENTS_MAX_LIMIT, so slot * 1048583 % n is a permutation of the slots. */
static uint64_t commit_shuffled(uint64_t base, uint32_t slot, uint32_t n) {
    return base + 1 + (uint64_t)slot * 1048583 % n;
}

static void set_commit(uint8_t *copy, uint32_t slot, uint64_t commit) {
    uint8_t *h = edit_slot_header(copy, slot);
    edit_set(h, EDIT_FIELD_COMMIT, commit);
    edit_set(h, EDIT_FIELD_OP, commit);
    edit_reseal_header(h);
}

/*
 * The full table of sim_reseal_filled again with every commit one apart, then with one
 * commit shared by two slots side by side and by the first and the last slot, with one
 * commit just around 2^44 from the others, and with commits of two values one apart and of
 * one value (ranges of 1 and 0, which a sort may take for nothing to sort): a duplicate
 * must be found at the first slot whose commit an earlier one has, whatever the range, and
 * the far commit must sort. The edits are fixed (no draw): they depend on clients_max.
 */
static bool check_filled_commits(const judge_context *j, const uint8_t *trailer, uint8_t *copy,
                                 uint32_t n, uint64_t base, uint64_t *judged) {
    for (uint32_t slot = 0; slot < n; slot++)
        set_commit(copy, slot, commit_shuffled(base, slot, n));
    judge_context k = *j;
    k.edit = "fill_commits_one_apart";
    ++*judged;
    if (!judge_filled(&k, trailer, copy)) return false;
    if (n < 2) return true;
    /* Two slots side by side, then the first and the last, share a commit. */
    const uint32_t pairs[2][2] = {{n / 2 - 1, n / 2}, {0, n - 1}};
    const char *const names[2] = {"fill_duplicate_commit_adjacent", "fill_duplicate_commit_far"};
    for (uint32_t p = 0; p < 2; p++) {
        uint32_t a = pairs[p][0], b = pairs[p][1];
        set_commit(copy, b, commit_shuffled(base, a, n));
        k.edit = names[p];
        ++*judged;
        if (!judge_filled(&k, trailer, copy)) return false;
        set_commit(copy, b, commit_shuffled(base, b, n));
    }
    const uint64_t far[3] = {(UINT64_C(1) << 44) - 1, UINT64_C(1) << 44, (UINT64_C(1) << 44) + 1};
    set_commit(copy, n / 2, base + 1 + far[n % 3]);
    k.edit = "fill_commit_far";
    ++*judged;
    if (!judge_filled(&k, trailer, copy)) return false;
    for (uint32_t slot = 0; slot < n; slot++) {
        set_commit(copy, slot, base + 1 + (commit_shuffled(base, slot, n) - base) % 2);
    }
    k.edit = "fill_commits_two_values";
    ++*judged;
    if (!judge_filled(&k, trailer, copy)) return false;
    for (uint32_t slot = 0; slot < n; slot++) set_commit(copy, slot, base + 1);
    k.edit = "fill_commits_equal";
    ++*judged;
    return judge_filled(&k, trailer, copy);
}

/*
 * The fresh trailer with every free slot given a client: a full table however few clients
 * the run registered, so that decode sorts clients_max commits (past 2048 the radix sort's
 * widest digits) and evictee() is checked on it. The new clients' ids have the probe bit
 * (never issued), their commits follow the run's largest in a shuffled slot order, their
 * sessions are that largest + 1 (at most their commit).
 */
bool sim_reseal_filled(const sim_reseal *tools, const uint8_t *trailer, uint64_t op, int replica,
                       uint64_t *judged, sim_failure *failure) {
    uint32_t n = client_sessions_capacity(tools->table);
    uint8_t *copy = tools->copy;
    memcpy(copy, trailer, (size_t)tools->trailer_size);
    uint64_t commit_max = 0;
    for (uint32_t slot = 0; slot < n; slot++) {
        if (edit_slot_session(copy, n, slot) == 0) continue;
        uint64_t commit = edit_get(edit_slot_header(copy, slot), EDIT_FIELD_COMMIT);
        if (commit > commit_max) commit_max = commit;
    }
    uint64_t base = commit_max + 1;
    uint32_t filled = 0;
    for (uint32_t slot = 0; slot < n; slot++) {
        if (edit_slot_session(copy, n, slot) != 0) continue;
        uint64_t commit = commit_shuffled(base, slot, n);
        vsr_u128 client = VSR_U128(SIM_ID_PROBE_BIT | 0x46494c4cu, slot + 1);
        vsr_header_reply reply = testing_reply(client, commit, 1);
        memcpy(edit_slot_header(copy, slot), &reply, sizeof(reply));
        edit_set_slot_session(copy, n, slot, base);
        filled++;
    }
    if (filled == 0) return true;
    ++*judged;
    const judge_context j = {tools, op, replica, "fill_free_slots", failure};
    if (!judge_filled(&j, trailer, copy)) return false;
    SIM_ASSERT(client_sessions_count(tools->table) == n);
    return check_filled_commits(&j, trailer, copy, n, base + n, judged);
}
