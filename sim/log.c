/* The committed log: see log.h. */
#include "log.h"

#include <inttypes.h>
#include <stdio.h>

void sim_op_text(const sim_op *op, char *out, size_t out_size) {
    char client[33];
    vsr_u128_format(op->client, client);
    if (op->kind == SIM_OP_REGISTER) {
        snprintf(out, out_size, "register client=%s", client);
    } else {
        snprintf(out, out_size, "request %" PRIu32 " client=%s", op->request, client);
    }
}
