/* cli.h: small helpers shared by main.c and bench.c, and the command lines' grammar. */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "../cli/options.h" /* numbers and sizes (cli_parse_u64), flags: one grammar */
#include "sim.h"

/* Monotonic nanoseconds: for reporting durations only, never for a decision. */
uint64_t cli_now_ns(void);
/* Keeps freed memory in the process between runs (glibc); speed only. */
void cli_allocator_tune(void);
/* Runs the benchmarks (--bench, bench_sim); returns the exit status. */
int sim_bench(uint64_t seconds);

#endif
