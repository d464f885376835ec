/* The trace hash and the trace file: see trace.h. */
#include "trace.h"

#include <inttypes.h>
#include <string.h>

#include "sim_assert.h"

static const char *const sim_event_kind_names[] = {
#define SIM_EVENT_NAME(name, text) text,
    SIM_EVENT_KINDS(SIM_EVENT_NAME)
#undef SIM_EVENT_NAME
};

const char *sim_event_kind_name(sim_event_kind kind) {
    SIM_ASSERT((unsigned)kind < SIM_EVENT_KIND_COUNT);
    return sim_event_kind_names[kind];
}

void sim_trace_init(sim_trace *trace, FILE *file) {
    memset(trace, 0, sizeof(*trace));
    vsr_checksum_stream_init(&trace->stream);
    trace->file = file;
}

void sim_trace_attach(sim_trace *trace, const sim_config *config, const sim_op *log,
                      uint32_t block_count) {
    trace->config = config;
    trace->log = log;
    trace->block_count = block_count;
}

void sim_event_encode(const sim_event *event, uint8_t out[SIM_EVENT_ENCODED_SIZE]) {
    SIM_ASSERT((unsigned)event->kind < SIM_EVENT_KIND_COUNT);
    /* Field by field, so struct padding and host layout never reach the hash. The fields
     * are stored in host order: the project only builds for little-endian hosts (vsr.h). */
    out[0] = (uint8_t)event->kind;
    out[1] = event->replica;
    out[2] = event->outcome;
    out[3] = 0;
    memcpy(out + 4, &event->a, 4);
    memcpy(out + 8, &event->op, 8);
    memcpy(out + 16, &event->b, 8);
    memcpy(out + 24, &event->c, 16);
    memcpy(out + 40, &event->d, 16);
}

static void trace_flush(sim_trace *trace) {
    vsr_checksum_stream_add(&trace->stream, trace->pending,
                            (size_t)trace->pending_events * SIM_EVENT_ENCODED_SIZE);
    trace->pending_events = 0;
}

void sim_trace_event(sim_trace *trace, const sim_event *event) {
    if (trace->pending_events == SIM_TRACE_PENDING_EVENTS) trace_flush(trace);
    sim_event_encode(event,
                     trace->pending + (size_t)trace->pending_events * SIM_EVENT_ENCODED_SIZE);
    trace->pending_events++;
    trace->events++;
}

vsr_u128 sim_trace_final(sim_trace *trace) {
    trace_flush(trace);
    return vsr_checksum_stream_final(&trace->stream);
}

/* ---- the trace file: one line per event, derived from the event ---- */

/* Events name checkpoints by their op; the index is op / interval. */
static uint64_t checkpoint_index(const sim_trace *t, uint64_t checkpoint_op) {
    SIM_ASSERT(checkpoint_op % t->config->checkpoint_interval == 0);
    return checkpoint_op / t->config->checkpoint_interval;
}

static const char *error_text(vsr_error_code code, uint32_t slot, uint64_t address, char *out,
                              size_t out_size) {
    vsr_error error = {code, slot, address};
    return vsr_error_format(error, out, out_size);
}

/* The line of an event that has a replica: "step N rR KIND ...". */
static void print_replica_event(FILE *f, const sim_trace *t, uint64_t step, const sim_event *e) {
    fprintf(f, "step %" PRIu64 " r%u %s", (uint64_t)(step), e->replica,
            sim_event_kind_name(e->kind));
    char text[256], more[128];
    switch (e->kind) {
    case SIM_EVENT_APPLY: {
        apply_decision d = {.outcome = e->outcome,
                            .slot = e->a,
                            .evictee_slot = (uint32_t)e->b,
                            .evictee = e->c,
                            .reply = e->d};
        sim_op_text(&t->log[e->op], more, sizeof(more));
        apply_decision_text(&d, text, sizeof(text));
        fprintf(f, " op=%" PRIu64 " %s -> %s\n", (uint64_t)(e->op), more, text);
        return;
    }
    case SIM_EVENT_CHECKPOINT:
        fprintf(f, " index=%u op=%" PRIu64 " blocks=%u trailer_checksum=%s\n", e->a,
                (uint64_t)(e->op), t->block_count, sim_u128_text(e->c, more));
        return;
    case SIM_EVENT_CRASH: fprintf(f, " at op=%" PRIu64 "\n", (uint64_t)(e->op)); return;
    case SIM_EVENT_CRASH_CHECKPOINT:
        fprintf(f, " checkpoint=%" PRIu64 " blocks_written=%u/%u\n", checkpoint_index(t, e->op),
                e->a, t->block_count);
        return;
    case SIM_EVENT_RESTART:
        fprintf(f, " from checkpoint=%u op=%" PRIu64 "\n", e->a, (uint64_t)(e->op));
        return;
    case SIM_EVENT_TORN_WRITE:
        fprintf(f, " checkpoint=%" PRIu64 " block=%u bytes_written=%" PRIu64 "%s\n",
                checkpoint_index(t, e->op), e->a, (uint64_t)(e->b),
                e->b == 0 ? " (lost write)" : "");
        return;
    case SIM_EVENT_BIT_FLIP:
        fprintf(f, " checkpoint=%" PRIu64 " block=%u byte=%" PRIu64 " bit=%" PRIu64 "\n",
                checkpoint_index(t, e->op), e->a, (uint64_t)(e->b / 8), (uint64_t)(e->b % 8));
        return;
    case SIM_EVENT_SYNC:
        if (e->a == SIM_REPLICA_NONE) {
            fprintf(f, " (repair) from genesis: no peer has a readable checkpoint\n");
        } else {
            fprintf(f, " (%s) from r%u checkpoint=%" PRIu64 " op=%" PRIu64 "\n",
                    e->outcome == SIM_SYNC_LAG ? "lag" : "repair", e->a, checkpoint_index(t, e->op),
                    (uint64_t)(e->op));
        }
        return;
    case SIM_EVENT_PAUSE:
        fprintf(f, " for %" PRIu64 " steps at op=%" PRIu64 "\n", (uint64_t)(e->b),
                (uint64_t)(e->op));
        return;
    case SIM_EVENT_SCRUB:
        fprintf(f, " checkpoint=%" PRIu64 "\n", checkpoint_index(t, e->op));
        return;
    case SIM_EVENT_DECODE_REJECT: /* the slot decode named ("none" if it accepted the defect) */
        if (e->a == VSR_SLOT_NONE) {
            snprintf(more, sizeof(more), "none");
        } else {
            snprintf(more, sizeof(more), "%u", e->a);
        }
        fprintf(f, " defect=%s slot=%s: %s\n", edit_defect_name((edit_defect)e->outcome), more,
                error_text((vsr_error_code)e->b, e->a, 0, text, sizeof(text)));
        return;
    default: SIM_ASSERT(false); return;
    }
}

static void print_event(FILE *f, const sim_trace *t, uint64_t step, const sim_event *e) {
    char text[128];
    switch (e->kind) {
    case SIM_EVENT_CONFIG:
        /* The first event of a run carries the seed; its line has the whole configuration.
         * The events of the parameters that follow it have no line of their own. */
        if (t->events != 1) return;
        fprintf(f, "%s seed=0x%016" PRIx64 " ", sim_event_kind_name(e->kind), (uint64_t)(e->op));
        sim_config_print(t->config, f);
        fputc('\n', f);
        return;
    case SIM_EVENT_CORRUPTION_DETECTED: /* from the reader's side: "rREADER ... in rOWNER" */
        fprintf(f, "step %" PRIu64 " r%u %s in r%u checkpoint=%" PRIu64 ": %s\n", (uint64_t)(step),
                e->outcome, sim_event_kind_name(e->kind), e->replica, checkpoint_index(t, e->op),
                error_text((vsr_error_code)e->a, VSR_SLOT_NONE, e->b, text, sizeof(text)));
        return;
    case SIM_EVENT_DONE:
        fprintf(f, "%s after %" PRIu64 " steps: %s\n", sim_event_kind_name(e->kind),
                (uint64_t)(e->op), e->outcome ? "FAILED" : "ok");
        return;
    default: print_replica_event(f, t, step, e); return;
    }
}

void sim_trace_emit(sim_trace *trace, uint64_t step, const sim_event *event) {
    sim_trace_event(trace, event);
    if (trace->file != NULL) print_event(trace->file, trace, step, event);
}

/* Not an event (the hash of a failed run is its events'): the summary of the failure. */
void sim_trace_failure(const sim_trace *trace, uint64_t step, const sim_failure *failure) {
    if (trace->file == NULL) return;
    fprintf(trace->file, "step %" PRIu64 " FAIL %s: %s\n", (uint64_t)(step), failure->signature,
            failure->message);
}
