/*
 * streams.h: the PCG32 stream (increment) of each concern of a run.
 *
 * Every stream is seeded with the run's seed; the stream number keeps them
 * independent, so drawing more numbers for one concern never shifts another.
 */
#ifndef SIM_STREAMS_H
#define SIM_STREAMS_H

enum {
    SIM_STREAM_CONFIG = 1,
    SIM_STREAM_WORKLOAD = 2,
    SIM_STREAM_FAULTS = 3,
    SIM_STREAM_SCHEDULE = 4,
    SIM_STREAM_HASH_SEEDS = 5,
    SIM_STREAM_CHECKS = 6,
};

#endif
