/* Verdicts and the messages that name a difference: see verdict.h. */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>

#include "client_sessions.h"
#include "testing/edit.h"

bool sim_fail(sim_failure *failure, const char *signature, uint64_t op, int replica,
              const char *format, ...) {
    if (failure->failed) return false; /* the first divergence is the one worth reading */
    failure->failed = true;
    snprintf(failure->signature, sizeof(failure->signature), "%s", signature);
    failure->op = op;
    failure->replica = replica;
    va_list args;
    va_start(args, format);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above
    vsnprintf(failure->message, sizeof(failure->message), format, args);
    va_end(args);
    return false;
}

const char *sim_u128_text(vsr_u128 value, char out[33]) {
    vsr_u128_format(value, out);
    return out;
}

/* A field's value, up to its first 16 bytes, little-endian. */
static vsr_u128 field_value(const uint8_t *bytes, uint32_t size) {
    vsr_u128 value = 0;
    for (uint32_t i = size < 16 ? size : 16; i > 0; i--) value = (value << 8) | bytes[i - 1];
    return value;
}

void sim_trailer_diff(const uint8_t *expected, const uint8_t *actual, uint32_t clients_max,
                      char *out, size_t out_size) {
    uint64_t size = client_sessions_encode_size(clients_max);
    uint64_t offset = 0;
    while (offset < size && expected[offset] == actual[offset]) offset++;
    if (offset == size) {
        snprintf(out, out_size, "no byte differs");
        return;
    }
    uint64_t headers = (uint64_t)VSR_HEADER_SIZE * clients_max;
    const char *name = "session";
    uint32_t width = sizeof(uint64_t);
    uint64_t slot = 0, start = 0;
    if (offset < headers) {
        slot = offset / VSR_HEADER_SIZE;
        const edit_field *field =
            edit_field_at(VSR_COMMAND_REPLY, (uint32_t)(offset % VSR_HEADER_SIZE));
        name = field->name;
        width = field->width;
        start = slot * VSR_HEADER_SIZE + field->offset;
    } else {
        slot = (offset - headers) / sizeof(uint64_t);
        start = headers + slot * sizeof(uint64_t);
    }
    char e[33], a[33];
    sim_u128_text(field_value(expected + start, width), e);
    sim_u128_text(field_value(actual + start, width), a);
    snprintf(out, out_size,
             "first difference at byte %llu: slot %llu field %s: expected 0x%s, actual 0x%s",
             (unsigned long long)offset, (unsigned long long)slot, name, e, a);
}
