/*
 * apply.h: what a VSR state machine does with its client sessions table for one
 * committed op, on the reference model and on the core, and the decision it makes.
 *
 * A committed op is given by the reply the state machine stores if it puts: its
 * client, its request number (a registration has request 0 and operation register)
 * and its commit, which is the op number and, for a registration, the new session.
 *
 *   register(c):  c present -> duplicate (its latest request is the register) or
 *                 stale; else evict evictee() first if the table is full, then
 *                 put(session = op, the register reply): registered.
 *   request(c,n): c absent -> rejected as evicted; n > latest -> put (same session,
 *                 the new reply): updated; n == latest -> duplicate, answered with the
 *                 stored reply; n < latest -> stale.
 *
 * Every replica must decide the same; the simulator checks each replica against the
 * model, and the fuzz targets and unit tests drive the same two functions.
 */
#ifndef TESTING_APPLY_H
#define TESTING_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "client_sessions.h"
#include "testing/model.h"

#define APPLY_OUTCOMES(X)       \
    X(REGISTERED, "registered") \
    X(UPDATED, "updated")       \
    X(DUPLICATE, "duplicate")   \
    X(STALE, "stale")           \
    X(EVICTED, "evicted")

typedef enum apply_outcome {
    APPLY_NONE = 0,
#define APPLY_OUTCOME_ENUM(name, text) APPLY_##name,
    APPLY_OUTCOMES(APPLY_OUTCOME_ENUM)
#undef APPLY_OUTCOME_ENUM
        APPLY_OUTCOME_COUNT
} apply_outcome;

/* What applying one op decided: all of it must agree across replicas and with the model. */
typedef struct apply_decision {
    uint8_t outcome;       /* apply_outcome */
    uint32_t slot;         /* the client's slot, or VSR_SLOT_NONE (evicted) */
    uint32_t evictee_slot; /* VSR_SLOT_NONE unless a registration evicted */
    vsr_u128 evictee;      /* 0 unless a registration evicted */
    vsr_u128 reply;        /* checksum of the reply sent: the stored one for a duplicate */
} apply_decision;

const char *apply_outcome_name(uint8_t outcome);

/* Applies the op whose reply is `op` to the model. */
void apply_model(model *m, const vsr_header_reply *op, apply_decision *out);

/*
 * Applies the op whose reply is `op` to the core. Returns NULL, or what the core
 * answered inconsistently (get vs slot_for_client vs slot_for_header, an evictee
 * still present after remove, ...). inspect (encode_size bytes, or NULL) lets it check
 * that remove() zeroed the evictee's slot before the new client takes it.
 */
const char *apply_core(client_sessions *table, const vsr_header_reply *op, apply_decision *out,
                       uint8_t *inspect);

/* The first field where two decisions differ (the evictee before the slot), or NULL. */
const char *apply_decision_diff(const apply_decision *a, const apply_decision *b);
/* "registered slot=3 evictee=... evictee_slot=none reply=..." */
void apply_decision_text(const apply_decision *d, char *out, size_t out_size);

#endif
