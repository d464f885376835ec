/*
 * fuzz_ops: operation sequences on the core table against the reference model.
 *
 * Input: byte 0 picks clients_max (1..8), byte 1 the hash seed, then a program
 * of operations, each an opcode byte and its operands (fuzz_reader gives zeros
 * past the end). Opcode bits 0-2 choose the operation; bit 7 widens operands
 * (full 128-bit clients, 64-bit commits); bit 6 is a per-operation variant. A
 * commit operand is read as an offset above the largest commit put so far (since the
 * start, a reset, or the decode a roundtrip carries on with): a replica commits in order,
 * and put requires every commit to be larger than any before it.
 *
 *   0 register     client, commit        new client, session = commit (variant: an
 *                                        older session, a non-register reply)
 *   1 request      selector, commit      next reply of an existing client
 *   2 remove       selector
 *   3 evictee                            on a full table only (variant: commit)
 *     commit       client, request, gap  one committed op through the apply driver
 *                                        (testing/apply.h) on the core and the model:
 *                                        a registration when request is 0, else that
 *                                        request; its commit is gap + 1 above every
 *                                        commit the table has seen
 *   4 get          client                get, slot_for_client, slot_for_header
 *   5 roundtrip    seed byte             encode, decode into a table with another
 *                                        seed (variant: carry on with that table)
 *   6 evict+register client, commit      the register path on a full table
 *   7 iterate                            (variant: reset)
 *
 * The commit operation is what a state machine does for a committed op (register,
 * duplicate, stale, rejected as evicted, evicting on a full table): the core's
 * decision must be the model's, and the core consistent with itself.
 *
 * Operations the core's contract forbids (a commit not larger than every
 * commit before it, a commit another client holds, a new client on a full table,
 * an existing client registering again, evictee on a table not full) are
 * skipped here, judged by the model, and never reach the core's assertions.
 * After every operation the core and the model must agree: every answer, the
 * count, and the encodings byte for byte.
 */
#include "fuzz_common.h"
#include "testing/apply.h"
#include "testing/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { OPS_MAX = 4096, CLIENT_POOL = 24 };

typedef struct ops {
    client_sessions *table;
    model model;
    uint32_t clients_max;
    uint8_t *core_bytes;
    uint8_t *model_bytes;
    size_t encoded_size;
    uint64_t salt;
    uint64_t commit_max; /* the largest commit the table has seen: puts go above it */
} ops;

static vsr_u128 read_client(fuzz_reader *in, bool wide) {
    if (!wide) return (vsr_u128)(1 + fuzz_read(in, 1) % CLIENT_POOL);
    vsr_u128 lo = fuzz_read(in, 8);
    vsr_u128 client = VSR_U128(fuzz_read(in, 8), lo);
    return client == 0 ? 1 : client;
}

/* The commit operand above o->commit_max; 0 (not a valid commit) when it would wrap. */
static uint64_t read_commit(const ops *o, fuzz_reader *in, bool wide) {
    uint64_t offset = wide ? fuzz_read(in, 8) : fuzz_read(in, 2);
    if (offset > UINT64_MAX - o->commit_max) return 0;
    return o->commit_max + offset;
}

static uint64_t model_commit_max(const model *m) {
    uint64_t commit_max = 0;
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        if (m->slots[slot].session == 0) continue;
        if (m->slots[slot].header.commit > commit_max) commit_max = m->slots[slot].header.commit;
    }
    return commit_max;
}

static bool commit_taken(const model *m, uint64_t commit, uint32_t except_slot) {
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        if (slot == except_slot || m->slots[slot].session == 0) continue;
        if (m->slots[slot].header.commit == commit) return true;
    }
    return false;
}

/* The selector-th occupied slot in slot order, or VSR_SLOT_NONE on an empty model. */
static uint32_t select_slot(const model *m, uint64_t selector) {
    if (m->count == 0) return VSR_SLOT_NONE;
    uint64_t skip = selector % m->count;
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        if (m->slots[slot].session == 0) continue;
        if (skip-- == 0) return slot;
    }
    FUZZ_CHECK(false, "model count %u but fewer occupied slots", m->count);
    return VSR_SLOT_NONE;
}

static void put_both(ops *o, uint64_t session, const vsr_header_reply *reply) {
    FUZZ_CHECK(reply->commit > o->commit_max, "a put below the largest commit reached the core");
    uint32_t core_slot = client_sessions_put(o->table, session, reply);
    o->commit_max = reply->commit;
    uint32_t expected = model_put(&o->model, session, reply);
    FUZZ_CHECK(core_slot == expected, "put commit %llu: core slot %u, model slot %u",
               (unsigned long long)reply->commit, core_slot, expected);
}

static void remove_both(ops *o, vsr_u128 client) {
    client_sessions_remove(o->table, client);
    model_remove(&o->model, client);
}

static void op_register(ops *o, fuzz_reader *in, bool wide, bool variant) {
    vsr_u128 client = read_client(in, wide);
    uint64_t commit = read_commit(o, in, wide);
    uint64_t back = fuzz_read(in, 1);
    if (commit <= o->commit_max || commit_taken(&o->model, commit, VSR_SLOT_NONE)) return;
    if (model_slot_for_client(&o->model, client) != VSR_SLOT_NONE) return;
    if (o->model.count == o->clients_max) return;
    uint64_t session = commit;
    uint32_t request = 0;
    if (variant) { /* a client known from an older session, as state sync brings */
        session = commit - back % commit;
        request = 1 + (uint32_t)back;
    }
    vsr_header_reply reply = testing_reply_salted(client, commit, request, o->salt++);
    put_both(o, session, &reply);
}

static void op_request(ops *o, fuzz_reader *in, bool wide) {
    uint32_t slot = select_slot(&o->model, fuzz_read(in, 1));
    uint64_t commit = read_commit(o, in, wide);
    if (slot == VSR_SLOT_NONE) return;
    const model_slot *s = &o->model.slots[slot];
    if (commit <= o->commit_max || commit <= s->header.commit ||
        commit_taken(&o->model, commit, slot))
        return;
    uint32_t request = s->header.request + 1;
    if (request == 0) request = 1;
    vsr_header_reply reply = testing_reply_salted(s->header.client, commit, request, o->salt++);
    put_both(o, s->session, &reply);
}

static void op_remove(ops *o, fuzz_reader *in) {
    uint32_t slot = select_slot(&o->model, fuzz_read(in, 1));
    if (slot == VSR_SLOT_NONE) return;
    remove_both(o, o->model.slots[slot].header.client);
}

/* The evictee of a full table, checked against the model; 0 when the table is not full. */
static vsr_u128 evictee_both(ops *o) {
    if (o->model.count != o->clients_max) return 0;
    vsr_u128 core = client_sessions_evictee(o->table);
    vsr_u128 expected = model_evictee(&o->model);
    FUZZ_CHECK(core == expected, "evictee differs: core %016llx%016llx, model %016llx%016llx",
               (unsigned long long)VSR_U128_HI(core), (unsigned long long)VSR_U128_LO(core),
               (unsigned long long)VSR_U128_HI(expected),
               (unsigned long long)VSR_U128_LO(expected));
    return core;
}

static void op_commit(ops *o, fuzz_reader *in, bool wide) {
    vsr_u128 client = read_client(in, wide);
    uint32_t request = (uint32_t)fuzz_read(in, 1);
    uint64_t gap = fuzz_read(in, 1);
    /* Op numbers only grow: the commit is above every commit the table has seen. */
    if (o->commit_max > UINT64_MAX - 1 - gap) return; /* no commit above them all */
    uint64_t commit = o->commit_max + 1 + gap;
    o->commit_max = commit;
    vsr_header_reply op = testing_reply_salted(client, commit, request, o->salt++);
    apply_decision expected, decided;
    apply_model(&o->model, &op, &expected);
    const char *anomaly = apply_core(o->table, &op, &decided, o->core_bytes);
    FUZZ_CHECK(anomaly == NULL, "commit %llu: the core is inconsistent: %s",
               (unsigned long long)op.commit, anomaly);
    const char *field = apply_decision_diff(&expected, &decided);
    if (fuzz_verbose()) {
        char text[256];
        apply_decision_text(&decided, text, sizeof(text));
        fprintf(stderr, "commit %llu request %u: %s\n", (unsigned long long)op.commit, request,
                text);
    }
    if (field != NULL) {
        char core_text[256], model_text[256];
        apply_decision_text(&decided, core_text, sizeof(core_text));
        apply_decision_text(&expected, model_text, sizeof(model_text));
        FUZZ_CHECK(field == NULL, "commit %llu: %s differs: core %s, model %s",
                   (unsigned long long)op.commit, field, core_text, model_text);
    }
}

static void op_get(ops *o, fuzz_reader *in, bool wide) {
    vsr_u128 client = read_client(in, wide);
    uint32_t expected = model_slot_for_client(&o->model, client);
    client_sessions_entry entry;
    bool found = client_sessions_get(o->table, client, &entry);
    FUZZ_CHECK(found == (expected != VSR_SLOT_NONE), "get: core %s, model %s",
               found ? "found" : "absent", expected != VSR_SLOT_NONE ? "found" : "absent");
    FUZZ_CHECK(client_sessions_slot_for_client(o->table, client) == expected,
               "slot_for_client: model says %u", expected);
    if (!found) return;
    const model_slot *s = &o->model.slots[expected];
    FUZZ_CHECK(entry.slot == expected && entry.session == s->session &&
                   memcmp(entry.header, &s->header, sizeof(s->header)) == 0,
               "get: core slot %u session %llu, model slot %u session %llu", entry.slot,
               (unsigned long long)entry.session, expected, (unsigned long long)s->session);
    vsr_header_reply header = s->header;
    FUZZ_CHECK(client_sessions_slot_for_header(o->table, &header) == expected, "slot_for_header");
    header.checksum += 1;
    FUZZ_CHECK(client_sessions_slot_for_header(o->table, &header) == VSR_SLOT_NONE,
               "slot_for_header accepts a reply the table does not hold");
}

static void op_roundtrip(ops *o, fuzz_reader *in, bool variant) {
    uint64_t seed = testing_random(&(uint64_t){fuzz_read(in, 1)});
    client_sessions *copy = NULL;
    FUZZ_CHECK(client_sessions_init(&copy, o->clients_max, seed) == CLIENT_SESSIONS_INIT_OK,
               "init");
    client_sessions_encode(o->table, o->core_bytes, o->encoded_size);
    vsr_error error = client_sessions_decode(copy, o->core_bytes, o->encoded_size);
    char text[96];
    FUZZ_CHECK(error.code == VSR_ERROR_OK, "the table's own encoding does not decode: %s",
               vsr_error_format(error, text, sizeof(text)));
    client_sessions_encode(copy, o->model_bytes, o->encoded_size);
    FUZZ_CHECK(memcmp(o->core_bytes, o->model_bytes, o->encoded_size) == 0,
               "decode then encode changed the bytes");
    FUZZ_CHECK(client_sessions_count(copy) == o->model.count, "decoded count %u, model %u",
               client_sessions_count(copy), o->model.count);
    if (variant) { /* carry on with the decoded table: its index and order must work too */
        client_sessions *old = o->table;
        o->table = copy;
        copy = old;
        /* The decoded table knows only the commits it holds: puts may start just above. */
        o->commit_max = model_commit_max(&o->model);
    }
    client_sessions_deinit(copy);
}

static void op_evict_register(ops *o, fuzz_reader *in, bool wide) {
    vsr_u128 evictee = evictee_both(o);
    if (evictee != 0) remove_both(o, evictee);
    op_register(o, in, wide, false);
}

static void op_iterate(ops *o) {
    client_sessions_iterator it;
    client_sessions_entry entry;
    client_sessions_iterator_init(&it, o->table);
    uint32_t seen = 0;
    while (client_sessions_iterator_next(&it, &entry)) {
        FUZZ_CHECK(entry.slot < o->clients_max &&
                       o->model.slots[entry.slot].session == entry.session,
                   "iterator yields slot %u that the model has free", entry.slot);
        seen++;
    }
    FUZZ_CHECK(seen == o->model.count, "iterator yields %u slots, model has %u", seen,
               o->model.count);
}

/* After every operation: same count, same bytes. */
static void check_agree(ops *o, uint32_t step, uint8_t opcode) {
    FUZZ_CHECK(client_sessions_count(o->table) == o->model.count, "op %u (0x%02x): count %u != %u",
               step, opcode, client_sessions_count(o->table), o->model.count);
    client_sessions_encode(o->table, o->core_bytes, o->encoded_size);
    model_encode(&o->model, o->model_bytes, o->encoded_size);
    if (memcmp(o->core_bytes, o->model_bytes, o->encoded_size) == 0) return;
    for (size_t i = 0; i < o->encoded_size; i++) {
        FUZZ_CHECK(o->core_bytes[i] == o->model_bytes[i],
                   "op %u (0x%02x): encodings differ at byte %zu (slot %zu of the %s)", step,
                   opcode, i,
                   i < (size_t)o->clients_max * VSR_HEADER_SIZE ? i / VSR_HEADER_SIZE
                                                                : (i / 8) % o->clients_max,
                   i < (size_t)o->clients_max * VSR_HEADER_SIZE ? "headers" : "sessions");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    fuzz_reader in = {data, size, 0};
    ops o;
    memset(&o, 0, sizeof(o));
    o.clients_max = 1 + (uint32_t)fuzz_read(&in, 1) % 8;
    uint64_t seed = testing_random(&(uint64_t){fuzz_read(&in, 1)});
    o.encoded_size = (size_t)client_sessions_encode_size(o.clients_max);
    o.core_bytes = malloc(o.encoded_size);
    o.model_bytes = malloc(o.encoded_size);
    FUZZ_CHECK(o.core_bytes && o.model_bytes, "out of memory");
    FUZZ_CHECK(client_sessions_init(&o.table, o.clients_max, seed) == CLIENT_SESSIONS_INIT_OK &&
                   model_init(&o.model, o.clients_max),
               "init of %u clients", o.clients_max);

    for (uint32_t step = 0; step < OPS_MAX && fuzz_reader_more(&in); step++) {
        uint8_t opcode = (uint8_t)fuzz_read(&in, 1);
        bool wide = (opcode & 0x80) != 0, variant = (opcode & 0x40) != 0;
        switch (opcode & 7) {
        case 0: op_register(&o, &in, wide, variant); break;
        case 1: op_request(&o, &in, wide); break;
        case 2: op_remove(&o, &in); break;
        case 3:
            if (variant) {
                op_commit(&o, &in, wide);
            } else {
                evictee_both(&o);
            }
            break;
        case 4: op_get(&o, &in, wide); break;
        case 5: op_roundtrip(&o, &in, variant); break;
        case 6: op_evict_register(&o, &in, wide); break;
        default:
            if (variant) {
                client_sessions_reset(o.table);
                model_reset(&o.model);
                o.commit_max = 0;
            } else {
                op_iterate(&o);
            }
            break;
        }
        check_agree(&o, step, opcode);
    }

    client_sessions_deinit(o.table);
    model_deinit(&o.model);
    free(o.core_bytes);
    free(o.model_bytes);
    return 0;
}
