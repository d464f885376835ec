/*
 * workload.c: the committed log, built before any replica runs.
 *
 * A fixed population of client agents sends operations; each op commits in
 * log order, and the reference model answers it at once, so an agent learns
 * its fate the way a real client does: a rejection as evicted makes it
 * register again under a new id. The model's decision is stored with the op
 * as the oracle every replica is checked against, and the model's trailer
 * checksum is stored for every checkpoint op.
 */
#include "workload.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_assert.h"
#include "testing/reply.h"

enum { HOT_CLIENTS = 4, REQUEST_BODY_SIZE_MAX = 64, BODY_KINDS = 16 };

typedef struct agent {
    vsr_u128 client;
    uint32_t request; /* latest request number answered; 0 after registering */
    bool active;      /* registered, as far as the agent knows */
} agent;

typedef struct workload {
    const sim_config *config;
    pcg32 *rng;
    model *model;
    sim_log *log;
    sim_counts *counts;
    uint8_t *scratch_trailer;
    sim_failure *failure;
    agent *agents;
    uint64_t clients_created;
    uint64_t *his; /* the high half of the id issued at each counter value */
    uint32_t view;
    uint64_t timestamp;
    uint32_t body_sizes[BODY_KINDS];
    vsr_u128 body_checksums[BODY_KINDS];
    vsr_u128 register_body_checksum;
} workload;

static agent *pick_agent(workload *w) {
    uint32_t clients = w->config->clients;
    uint32_t hot = clients < HOT_CLIENTS ? clients : HOT_CLIENTS;
    if (pcg32_chance(w->rng, w->config->p_hot, SIM_PER_MILLE)) {
        return &w->agents[pcg32_bounded(w->rng, hot)];
    }
    return &w->agents[pcg32_bounded(w->rng, clients)];
}

/*
 * Ids are random in the high half and a counter in the low half: distinct and never 0. One
 * in four shares its high half with the previous client's; one in eight takes the low half
 * of an earlier client and a high half derived from that client's and the counter, so it
 * differs from every other id with that low half. The index then holds ids that agree in
 * one half, and a lookup that compares only one half answers for the wrong client.
 * SIM_ID_PROBE_BIT stays clear in both halves (the counter stays below 2^62).
 */
static vsr_u128 new_client(workload *w) {
    w->clients_created++;
    uint64_t counter = w->clients_created;
    SIM_ASSERT(counter < w->config->ops + 2);
    uint64_t hi = pcg32_next_u64(w->rng) & ~SIM_ID_PROBE_BIT;
    uint64_t lo = counter;
    uint32_t family = pcg32_bounded(w->rng, 8);
    if (family < 2 && counter > 1) {
        hi = w->his[counter - 1];
    } else if (family == 2 && counter > 1) {
        lo = 1 + pcg32_bounded(w->rng, (uint32_t)(counter - 1));
        hi = w->his[lo] ^ (counter << 1);
    }
    w->his[counter] = hi;
    return VSR_U128(hi, lo);
}

/* A retry (duplicate) or a late arrival of an older request (stale). */
static void choose_retry(workload *w, const agent *a, sim_op *op, bool stale) {
    op->client = a->client;
    if (!stale) {
        /* The latest request again; right after registering, that is the register. */
        op->kind = a->request == 0 ? SIM_OP_REGISTER : SIM_OP_REQUEST;
        op->request = a->request;
        return;
    }
    if (a->request == 0) {
        /* Nothing is older than the register: send the next request instead. */
        op->kind = SIM_OP_REQUEST;
        op->request = 1;
        return;
    }
    if (a->request == 1 || pcg32_chance(w->rng, 1, 4)) {
        op->kind = SIM_OP_REGISTER; /* a stale register */
        op->request = 0;
        return;
    }
    op->kind = SIM_OP_REQUEST;
    op->request = pcg32_range(w->rng, 1, a->request - 1);
}

static void choose_op(workload *w, agent *a, sim_op *op) {
    if (!a->active) {
        a->client = new_client(w);
        op->client = a->client;
        op->kind = SIM_OP_REGISTER;
        op->request = 0;
        return;
    }
    uint32_t roll = pcg32_bounded(w->rng, SIM_PER_MILLE);
    if (roll < w->config->p_duplicate) {
        choose_retry(w, a, op, false);
    } else if (roll < w->config->p_duplicate + w->config->p_stale) {
        choose_retry(w, a, op, true);
    } else {
        op->client = a->client;
        op->kind = SIM_OP_REQUEST;
        op->request = a->request + 1;
    }
}

/* Reply bodies never reach the table, only their size and checksum do: a run draws a
 * few bodies once, so that each op does not pay for a body checksum. */
static void bodies_init(workload *w) {
    uint8_t body[REQUEST_BODY_SIZE_MAX];
    for (uint32_t k = 0; k < BODY_KINDS; k++) {
        uint32_t size = pcg32_bounded(w->rng, REQUEST_BODY_SIZE_MAX + 1);
        for (uint32_t i = 0; i < size; i++) body[i] = (uint8_t)pcg32_next(w->rng);
        w->body_sizes[k] = size;
        w->body_checksums[k] = vsr_checksum(body, size);
    }
    /* The register result: a constant 64 bytes (a batch size limit, then zeros). */
    memset(body, 0, VSR_REGISTER_RESULT_SIZE);
    body[0] = 0x00;
    body[1] = 0x10;
    w->register_body_checksum = vsr_checksum(body, VSR_REGISTER_RESULT_SIZE);
}

/* The reply every replica stores if it puts: fully determined by the log. Its free fields
 * are drawn here, in a fixed order; testing/reply.h builds it. */
static bool build_reply(workload *w, sim_op *op, uint64_t number) {
    testing_reply_fields fields;
    memset(&fields, 0, sizeof(fields));
    fields.cluster = w->config->cluster;
    fields.view = w->view;
    fields.release = w->config->release;
    /* The primary of the view authored it: the same value on every replica. */
    fields.replica = (uint8_t)(w->view % w->config->replicas);
    uint64_t hi = pcg32_next_u64(w->rng);
    uint64_t lo = pcg32_next_u64(w->rng);
    fields.request_checksum = VSR_U128(hi, lo);
    hi = pcg32_next_u64(w->rng);
    lo = pcg32_next_u64(w->rng);
    fields.context = VSR_U128(hi, lo);
    fields.timestamp = w->timestamp;
    if (op->kind == SIM_OP_REGISTER) {
        fields.checksum_body = w->register_body_checksum;
    } else {
        fields.operation = (uint8_t)(128 + pcg32_bounded(w->rng, 128));
        uint32_t k = pcg32_bounded(w->rng, BODY_KINDS);
        fields.body_size = w->body_sizes[k];
        fields.checksum_body = w->body_checksums[k];
    }
    op->reply = testing_reply_make(&fields, op->client, number, op->request);
    vsr_error_code code = vsr_header_reply_validate(&op->reply);
    if (code == VSR_ERROR_OK) return true;
    return sim_fail(w->failure, "reply.invalid", number, -1,
                    "op %" PRIu64 ": the reply built for this op fails validation: %s", number,
                    vsr_error_name(code));
}

/* What the agent learns from the answer. */
static void agent_learn(agent *a, const sim_op *op) {
    switch (op->expected.outcome) {
    case APPLY_REGISTERED:
        a->active = true;
        a->request = 0;
        break;
    case APPLY_UPDATED: a->request = op->request; break;
    case APPLY_EVICTED: a->active = false; break;
    default: break;
    }
}

static void count_decision(sim_counts *counts, const apply_decision *d) {
    switch (d->outcome) {
    case APPLY_REGISTERED: counts->registrations++; break;
    case APPLY_UPDATED: counts->updates++; break;
    case APPLY_DUPLICATE: counts->duplicate_replies++; break;
    case APPLY_STALE: counts->stale_rejections++; break;
    case APPLY_EVICTED: counts->evicted_rejections++; break;
    default: SIM_ASSERT(false);
    }
    if (d->evictee != 0) {
        counts->evictions++;
        counts->full_table_registrations++;
    }
}

static void checkpoint_model(workload *w, uint64_t number) {
    uint64_t index = number / w->config->checkpoint_interval;
    SIM_ASSERT(index < w->log->checkpoint_count);
    uint64_t size = model_encode_size(w->model);
    model_encode(w->model, w->scratch_trailer, size);
    w->log->checkpoint_checksums[index] = vsr_checksum(w->scratch_trailer, (size_t)size);
}

static bool generate_op(workload *w, uint64_t number) {
    sim_op *op = &w->log->ops[number];
    memset(op, 0, sizeof(*op));
    op->first_replica = SIM_REPLICA_NONE;
    agent *a = pick_agent(w);
    choose_op(w, a, op);
    if (pcg32_chance(w->rng, w->config->p_view_change, SIM_PER_MILLE)) {
        w->view++;
        w->counts->view_changes++;
    }
    w->timestamp += 1 + pcg32_bounded(w->rng, 1000);
    if (!build_reply(w, op, number)) return false;
    apply_model(w->model, &op->reply, &op->expected);
    if (op->expected.slot != VSR_SLOT_NONE) {
        const model_slot *stored = &w->model->slots[op->expected.slot];
        op->session = stored->session;
        op->stored = stored->header.checksum;
    }
    op->count = w->model->count;
    count_decision(w->counts, &op->expected);
    agent_learn(a, op);
    if (number % w->config->checkpoint_interval == 0) checkpoint_model(w, number);
    return true;
}

bool sim_workload_generate(const sim_config *config, pcg32 *rng, model *m, sim_log *log,
                           sim_counts *counts, uint8_t *scratch_trailer, sim_failure *failure) {
    workload w;
    memset(&w, 0, sizeof(w));
    w.config = config;
    w.rng = rng;
    w.model = m;
    w.log = log;
    w.counts = counts;
    w.scratch_trailer = scratch_trailer;
    w.failure = failure;
    w.agents = calloc(config->clients, sizeof(agent));
    w.his = calloc((size_t)config->ops + 2, sizeof(uint64_t));
    SIM_ASSERT(w.agents != NULL && w.his != NULL);
    w.timestamp = (uint64_t)1 << 40;
    bodies_init(&w);
    model_reset(m);
    bool ok = true;
    for (uint64_t number = 1; number <= config->ops && ok; number++) ok = generate_op(&w, number);
    free(w.agents);
    free(w.his);
    return ok;
}
