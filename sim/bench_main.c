/*
 * bench_main.c: bench_sim, the simulator's benchmark for scripts/bench. Prints JSON
 * Lines (name, value, unit, parameters): the bare core's put-update time, the
 * simulator's replica-ops/s at 3 replicas and clients_max 64 with its ratio to
 * the core, and seeds/s of the default sweep on one core.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int main(int argc, char **argv) {
    uint64_t seconds = 6;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            seconds = 1;
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc &&
                   cli_parse_u64(argv[i + 1], &seconds) && seconds > 0 && seconds <= 3600) {
            i++;
        } else {
            int help = strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
            fprintf(help ? stdout : stderr,
                    "usage: bench_sim [--quick] [--seconds S]\n"
                    "  Times the bare core's put-update and the simulator (3 replicas,\n"
                    "  clients_max 64) in alternating rounds, then the default sweep on one\n"
                    "  core, for S seconds each (default 6; --quick: 1). JSON Lines on stdout.\n");
            return help ? 0 : 2;
        }
    }
    cli_allocator_tune();
    return sim_bench(seconds);
}
