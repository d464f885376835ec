/* The decoder shown one defect per checkpoint: see reject.h. */
#include "reject.h"

#include <inttypes.h>
#include <string.h>

/* Empty as after reset: no client counted, and no slot holds a session. (The encoding of
 * such a table is all zero: a free slot's header is encoded as zeros, whatever it holds.) */
static bool table_empty(const client_sessions *table) {
    if (client_sessions_count(table) != 0) return false;
    client_sessions_iterator it;
    client_sessions_entry entry;
    client_sessions_iterator_init(&it, table);
    return !client_sessions_iterator_next(&it, &entry);
}

static bool judge(const client_sessions *scratch, edit_defect defect, const edit_expected *e,
                  vsr_error error, uint64_t op, int replica, sim_failure *failure) {
    char text[128];
    vsr_error_format(error, text, sizeof(text));
    if (error.code != e->code || error.slot != e->slot || error.block_address != 0) {
        return sim_fail(failure, "decode.rejection", op, replica,
                        "op %" PRIu64 ": a trailer with defect %s at slot %" PRIu32
                        " decoded as '%s', expected %s at slot %" PRIu32,
                        op, edit_defect_name(defect), e->slot, text, vsr_error_name(e->code),
                        e->slot);
    }
    if (!table_empty(scratch)) {
        return sim_fail(failure, "decode.partial", op, replica,
                        "op %" PRIu64 ": after rejecting defect %s (%s) the table is not empty", op,
                        edit_defect_name(defect), text);
    }
    return true;
}

bool sim_check_reject(client_sessions *scratch, uint8_t *copy, const uint8_t *trailer,
                      uint64_t trailer_size, pcg32 *rng, uint64_t op, int replica,
                      sim_rejected *rejected, sim_failure *failure) {
    const edit_random random = {pcg32_below, rng};
    uint32_t clients_max = client_sessions_capacity(scratch);
    uint32_t first = pcg32_bounded(rng, EDIT_DEFECT_COUNT);
    memset(rejected, 0, sizeof(*rejected));
    for (uint32_t i = 0; i < EDIT_DEFECT_COUNT; i++) {
        edit_defect defect = (edit_defect)((first + i) % EDIT_DEFECT_COUNT);
        memcpy(copy, trailer, (size_t)trailer_size);
        edit_expected e;
        if (!edit_defect_apply(&random, copy, clients_max, defect, &e)) continue;
        vsr_error error = client_sessions_decode(scratch, copy, trailer_size);
        *rejected = (sim_rejected){true, defect, error};
        return judge(scratch, defect, &e, error, op, replica, failure);
    }
    return true;
}
