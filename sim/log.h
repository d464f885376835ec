/*
 * log.h: the committed log, built before any replica runs (workload.c): one entry per op,
 * with the reference model's answer, and the model's trailer checksum per checkpoint.
 */
#ifndef SIM_LOG_H
#define SIM_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "testing/apply.h"
#include "testing/edit.h"
#include "vsr.h"

typedef enum sim_op_kind { SIM_OP_REGISTER = 1, SIM_OP_REQUEST = 2 } sim_op_kind;

enum { SIM_REPLICA_NONE = 0xff };

/* One committed op of the log. Op numbers start at 1 and are the reply commits; the reply
 * is what the apply driver (testing/apply.h) is given. */
typedef struct sim_op {
    vsr_header_reply reply; /* the reply the state machine stores if it puts */
    vsr_u128 client;
    uint32_t request; /* 0 for a registration */
    uint8_t kind;
    uint8_t first_replica;   /* the replica that applied it first, for messages */
    apply_decision expected; /* the model's decision */
    /* The model after the op, for the probes (probe.c): the client's session and stored
     * reply checksum (0 when absent) and the table's count. */
    uint64_t session;
    vsr_u128 stored;
    uint32_t count;
} sim_op;

/* Client ids the workload issues have this bit clear in both halves; probes of clients
 * that were never issued set it (probe.c), so they are absent by construction. */
#define SIM_ID_PROBE_BIT EDIT_ID_UNISSUED_BIT

typedef struct sim_log {
    sim_op *ops; /* ops + 1 entries; ops[0] unused */
    uint64_t checkpoint_count;
    vsr_u128 *checkpoint_checksums; /* the model's trailer checksum per checkpoint index */
} sim_log;

/* "register client=..." or "request N client=...". */
void sim_op_text(const sim_op *op, char *out, size_t out_size);

#endif
