/*
 * The apply driver on a scripted history: every outcome once, each decision checked
 * field by field, on the model and on the core, which must also agree with each other.
 */
#include <string.h>

#include "testing/apply.h"
#include "testing/check.h"
#include "testing/reply.h"

enum { CLIENTS_MAX = 2 };

typedef struct step {
    vsr_u128 client;
    uint32_t request; /* 0: register */
    uint8_t outcome;
    uint32_t slot;
    vsr_u128 evictee;
    uint32_t evictee_slot;
    uint64_t reply_of; /* the op whose reply is sent, 0 for none */
} step;

#define NONE VSR_SLOT_NONE

/* Op i + 1 is steps[i]; its reply is testing_reply(client, i + 1, request). */
static const step steps[] = {
    {10, 0, APPLY_REGISTERED, 0, 0, NONE, 1}, /* a new client: the lowest free slot */
    {10, 0, APPLY_DUPLICATE, 0, 0, NONE, 1},  /* the register again: its reply again */
    {10, 1, APPLY_UPDATED, 0, 0, NONE, 3},    /* request 1, session 1 kept */
    {10, 1, APPLY_DUPLICATE, 0, 0, NONE, 3},  /* a retry: the stored reply of op 3 */
    {10, 0, APPLY_STALE, 0, 0, NONE, 0},      /* the register after a request */
    {20, 0, APPLY_REGISTERED, 1, 0, NONE, 6}, /* the table is full now */
    {20, 1, APPLY_UPDATED, 1, 0, NONE, 7},    /* client 20's commit is 7, client 10's 3 */
    {30, 0, APPLY_REGISTERED, 0, 10, 0, 8},   /* full: evicts the smallest commit, slot 0 */
    {10, 2, APPLY_EVICTED, NONE, 0, NONE, 0}, /* client 10 learns it was evicted */
    {20, 1, APPLY_DUPLICATE, 1, 0, NONE, 7},  /* unaffected by the eviction */
    {20, 0, APPLY_STALE, 1, 0, NONE, 0},
};

int main(void) {
    enum { OPS = sizeof(steps) / sizeof(steps[0]) };
    model m;
    client_sessions *table = NULL;
    CHECK(model_init(&m, CLIENTS_MAX));
    CHECK(client_sessions_init(&table, CLIENTS_MAX, 7) == CLIENT_SESSIONS_INIT_OK);
    static uint8_t inspect[264 * CLIENTS_MAX];
    vsr_header_reply replies[OPS + 1];
    uint32_t outcomes_seen = 0;
    for (uint64_t op = 1; op <= OPS; op++) {
        const step *s = &steps[op - 1];
        replies[op] = testing_reply(s->client, op, s->request);
        apply_decision expected, d_model, d_core;
        memset(&expected, 0, sizeof(expected));
        expected.outcome = s->outcome;
        expected.slot = s->slot;
        expected.evictee = s->evictee;
        expected.evictee_slot = s->evictee_slot;
        expected.reply = s->reply_of == 0 ? 0 : replies[s->reply_of].checksum;
        apply_model(&m, &replies[op], &d_model);
        const char *anomaly = apply_core(table, &replies[op], &d_core, inspect);
        const char *model_diff = apply_decision_diff(&expected, &d_model);
        const char *core_diff = apply_decision_diff(&expected, &d_core);
        if (model_diff != NULL || core_diff != NULL || anomaly != NULL) {
            char text[256];
            apply_decision_text(&d_core, text, sizeof(text));
            fprintf(stderr, "op %llu: model differs in %s, core in %s (%s): core %s\n",
                    (unsigned long long)op, model_diff ? model_diff : "nothing",
                    core_diff ? core_diff : "nothing", anomaly ? anomaly : "consistent", text);
        }
        CHECK(model_diff == NULL);
        CHECK(core_diff == NULL);
        CHECK(anomaly == NULL);
        outcomes_seen |= 1u << d_model.outcome;
    }
    CHECK_EQ(outcomes_seen, ((1u << APPLY_OUTCOME_COUNT) - 1) & ~1u);
    CHECK_EQ(client_sessions_count(table), m.count);
    static uint8_t core_bytes[264 * CLIENTS_MAX], model_bytes[264 * CLIENTS_MAX];
    client_sessions_encode(table, core_bytes, sizeof(core_bytes));
    model_encode(&m, model_bytes, sizeof(model_bytes));
    CHECK(memcmp(core_bytes, model_bytes, sizeof(core_bytes)) == 0);
    CHECK(strcmp(apply_outcome_name(APPLY_EVICTED), "evicted") == 0);
    client_sessions_deinit(table);
    model_deinit(&m);
    return testing_done("test_apply");
}
