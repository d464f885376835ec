/* The trace hash and the trace file: see trace.h. */
#include "trace.h"

#include <stdarg.h>
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

static void put_u64(uint8_t *out, uint64_t value) {
    for (uint32_t i = 0; i < 8; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static void put_u128(uint8_t *out, vsr_u128 value) {
    put_u64(out, VSR_U128_LO(value));
    put_u64(out + 8, VSR_U128_HI(value));
}

void sim_event_encode(const sim_event *event, uint8_t out[SIM_EVENT_ENCODED_SIZE]) {
    SIM_ASSERT((unsigned)event->kind < SIM_EVENT_KIND_COUNT);
    /* Field by field, so struct padding and host layout never reach the hash. */
    out[0] = (uint8_t)event->kind;
    out[1] = event->replica;
    out[2] = event->outcome;
    out[3] = 0;
    for (uint32_t i = 0; i < 4; i++) out[4 + i] = (uint8_t)(event->a >> (8 * i));
    put_u64(out + 8, event->op);
    put_u64(out + 16, event->b);
    put_u128(out + 24, event->c);
    put_u128(out + 40, event->d);
}

void sim_trace_event(sim_trace *trace, const sim_event *event) {
    uint8_t bytes[SIM_EVENT_ENCODED_SIZE];
    sim_event_encode(event, bytes);
    vsr_checksum_stream_add(&trace->stream, bytes, sizeof(bytes));
    trace->events++;
}

void sim_trace_line(sim_trace *trace, const char *format, ...) {
    if (trace->file == NULL) return;
    va_list args;
    va_start(args, format);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above
    vfprintf(trace->file, format, args);
    va_end(args);
    fputc('\n', trace->file);
}

vsr_u128 sim_trace_final(sim_trace *trace) { return vsr_checksum_stream_final(&trace->stream); }
