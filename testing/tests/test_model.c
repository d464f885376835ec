/* The reference model on its own: it is the oracle, so its rules are tested directly. */
#include <stdlib.h>
#include <string.h>

#include "testing/check.h"
#include "testing/model.h"
#include "testing/random.h"
#include "testing/reply.h"

static void test_init(void) {
    model m;
    CHECK(!model_init(&m, 0));
    CHECK(!model_init(&m, (1u << 20) + 1));
    CHECK(model_init(&m, 3));
    CHECK_EQ(m.clients_max, 3);
    CHECK_EQ(m.count, 0);
    CHECK_EQ(model_slot_for_client(&m, 7), VSR_SLOT_NONE);
    CHECK_EQ(model_slot_for_client(&m, 0), VSR_SLOT_NONE);
    model_deinit(&m);
}

static void test_put_evict_remove(void) {
    model m;
    CHECK(model_init(&m, 3));
    vsr_header_reply a = testing_reply(10, 5, 0), b = testing_reply(11, 6, 0),
                     c = testing_reply(12, 7, 0);
    CHECK_EQ(model_put(&m, 5, &a), 0);
    CHECK_EQ(model_put(&m, 6, &b), 1);
    CHECK_EQ(model_put(&m, 7, &c), 2);
    CHECK_EQ(m.count, 3);
    /* An update keeps the slot and the session and moves the client's commit. */
    vsr_header_reply a2 = testing_reply(10, 8, 1);
    CHECK_EQ(model_put(&m, 5, &a2), 0);
    CHECK_EQ(m.slots[0].header.commit, 8);
    CHECK_EQ(m.slots[0].session, 5);
    /* Smallest commit is now client 11 (commit 6), not the oldest session. */
    CHECK(model_evictee(&m) == 11);
    model_remove(&m, 11);
    CHECK_EQ(m.count, 2);
    CHECK_EQ(model_slot_for_client(&m, 11), VSR_SLOT_NONE);
    const unsigned char *freed = (const unsigned char *)&m.slots[1];
    int nonzero = 0;
    for (size_t i = 0; i < sizeof(model_slot); i++) nonzero += freed[i] != 0;
    CHECK_EQ(nonzero, 0);
    /* A new client takes the lowest free slot. */
    vsr_header_reply d = testing_reply(13, 9, 0);
    CHECK_EQ(model_put(&m, 9, &d), 1);
    CHECK_EQ(model_slot_oldest(&m), 2);
    model_reset(&m);
    CHECK_EQ(m.count, 0);
    CHECK_EQ(model_slot_oldest(&m), VSR_SLOT_NONE);
    model_deinit(&m);
}

static void test_encode(void) {
    model m;
    CHECK(model_init(&m, 2));
    vsr_header_reply a = testing_reply(0x0102, 0x1122334455667788u, 0);
    model_put(&m, 0x0807060504030201u, &a);
    uint64_t size = 264 * 2; /* docs/FORMAT.md section 3: 256-byte headers, then u64 sessions */
    uint8_t *bytes = malloc(size);
    model_encode(&m, bytes, size);
    CHECK(memcmp(bytes, &a, 256) == 0);
    uint8_t zero[256];
    memset(zero, 0, sizeof(zero));
    CHECK(memcmp(bytes + 256, zero, 256) == 0);
    for (int i = 0; i < 8; i++) CHECK_EQ(bytes[512 + i], i + 1); /* session, little-endian */
    for (int i = 0; i < 8; i++) CHECK_EQ(bytes[520 + i], 0);
    CHECK_EQ(model_encode_size(&m), size);
    free(bytes);
    model_deinit(&m);
}

/* The slots scanned one by one: what the sorted clients and commits must agree with. */
static uint32_t scan_client(const model *m, vsr_u128 client) {
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        if (m->slots[slot].session != 0 && m->slots[slot].header.client == client) return slot;
    }
    return VSR_SLOT_NONE;
}

static uint32_t scan_oldest(const model *m) {
    uint32_t oldest = VSR_SLOT_NONE;
    for (uint32_t slot = 0; slot < m->clients_max; slot++) {
        if (m->slots[slot].session == 0) continue;
        if (oldest == VSR_SLOT_NONE ||
            m->slots[slot].header.commit < m->slots[oldest].header.commit)
            oldest = slot;
    }
    return oldest;
}

/* Random registrations, updates (commits that grow, or jump back below others) and
 * removals on small and larger tables: every lookup and the oldest slot as the scans say. */
static void test_against_scans(void) {
    uint64_t state = 3, commit = 1000000;
    for (uint32_t round = 0; round < 40; round++) {
        model m;
        uint32_t n = 1 + (uint32_t)(testing_random(&state) % (round % 4 == 0 ? 300 : 12));
        CHECK(model_init(&m, n));
        uint32_t count = 0;
        for (uint32_t step = 0; step < 2000; step++) {
            vsr_u128 client =
                VSR_U128(testing_random(&state) % 3, 1 + testing_random(&state) % (2 * n));
            uint32_t slot = scan_client(&m, client);
            CHECK_EQ(model_slot_for_client(&m, client), slot);
            /* Commits mostly grow; one in four lies below every other (unused before). */
            uint64_t next = testing_random(&state) % 4 == 0 ? commit - 500000 - step : ++commit;
            bool taken = false;
            for (uint32_t s = 0; s < n; s++)
                taken |= m.slots[s].session != 0 && m.slots[s].header.commit == next;
            if (slot != VSR_SLOT_NONE && testing_random(&state) % 3 == 0) {
                model_remove(&m, client);
                count--;
            } else if (slot != VSR_SLOT_NONE && next > m.slots[slot].header.commit && !taken) {
                vsr_header_reply reply = testing_reply(client, next, 1);
                CHECK_EQ(model_put(&m, m.slots[slot].session, &reply), slot);
            } else if (slot == VSR_SLOT_NONE && count < n && !taken) {
                vsr_header_reply reply = testing_reply(client, next, 0);
                CHECK(model_put(&m, next, &reply) != VSR_SLOT_NONE);
                count++;
            }
            CHECK_EQ(m.count, count);
            CHECK_EQ(model_slot_oldest(&m), scan_oldest(&m));
            if (count == n) CHECK(model_evictee(&m) == m.slots[scan_oldest(&m)].header.client);
        }
        model_reset(&m);
        CHECK_EQ(model_slot_oldest(&m), VSR_SLOT_NONE);
        CHECK_EQ(model_slot_for_client(&m, VSR_U128(0, 1)), VSR_SLOT_NONE);
        model_deinit(&m);
    }
}

int main(void) {
    test_init();
    test_put_evict_remove();
    test_encode();
    test_against_scans();
    return testing_done("test_model");
}
