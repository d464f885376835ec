/*
 * main.c: the command line of client-sessions-sim. Parses flags, runs one seed
 * or a range, prints a summary line (or one JSON object) per seed, and turns
 * the verdict into an exit status. See usage() for the flags and the statuses.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "sim.h"
#include "sim_assert.h"

#define PROGRAM "client-sessions-sim"

enum {
    EXIT_OK = 0,
    EXIT_CHECK_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_NONDETERMINISTIC = 3,
    EXIT_ENVIRONMENT = 4,
};

typedef struct options {
    const char *program;
    uint64_t seed_first;
    uint64_t seed_last;
    uint64_t stride;
    bool range;
    sim_overrides overrides;
    uint64_t hash_seed_salt;
    const char *trace_path;
    bool json;
    bool quiet;
    bool check_determinism;
    bool bench;
    uint64_t bench_seconds;
    bool params_json;
    bool dry_run;
    uint64_t memory_max;         /* 0: no limit */
    const char *memory_max_text; /* as given, echoed in the reproduce command */
    const char *entropy_path;    /* --entropy FILE: the run's entropy, read whole */
    uint8_t *entropy;
    uint64_t entropy_size;
} options;

enum { MEMORY_MAX_DEFAULT = 2u << 30, ENTROPY_SIZE_MAX = 16u << 20 };

static const char usage_head[] =
    "usage: client-sessions-sim [--seed S | --seeds A..B [--stride K]] [options]\n"
    "\n"
    "Runs the deterministic simulation of the client sessions table: several replicas\n"
    "apply one committed log under crashes, torn writes, bit flips, lag and state\n"
    "sync, checked after every step against each other and a reference model.\n"
    "The seed decides everything; the same seed gives the same trace hash on every build.\n"
    "\n"
    "Seeds (one of --seed, --seeds and --entropy):\n"
    "  --seed S               run seed S (a number below 2^64; default 0)\n"
    "  --seeds A..B           run seeds A to B inclusive, one line per seed\n"
    "  --stride K             with --seeds: only A, A+K, A+2K, ... (default 1)\n"
    "  --entropy FILE         take the run's randomness from FILE's bytes (a fuzz_sim\n"
    "                         input): each of the 6 streams (config, workload, faults,\n"
    "                         schedule, hash seeds, checks) reads every 6th 4-byte word,\n"
    "                         then goes on as PCG32 seeded with a hash of the file,\n"
    "                         which is the run's seed; at most 16 MiB\n"
    "\n"
    "Configuration (echoed in the reproduce command):\n"
    "  --swarm on|off         derive the configuration from the seed (default on),\n"
    "                         or start from fixed defaults\n"
    "  --faults on|off        off: no faults at all (default on)\n"
    "  --inject-bit-flip OP:R flip a bit of replica R's checkpoint once it has applied\n"
    "                         op OP and has a checkpoint, then verify (must be detected);\n"
    "                         refused when no seed's run can have that checkpoint, and a\n"
    "                         run where it did not happen fails with inject.missed\n";

static const char usage_tail[] =
    "\n"
    "Output:\n"
    "  --json                 one JSON object per seed (seed, config, outcome, counts,\n"
    "                         scenarios, trace hash, duration, the failure if one, and\n"
    "                         the command that reruns the seed); its\n"
    "                         strings are UTF-8, and a byte of a path that is not valid\n"
    "                         UTF-8 is written as \\udcXX (XX its hex value), as Python's\n"
    "                         surrogateescape reads it: os.fsencode gives the bytes back\n"
    "  --quiet                print only failures (no effect with --json)\n"
    "  --trace FILE           write one line per event to FILE (one seed only);\n"
    "                         never changes the run\n"
    "\n"
    "Modes:\n"
    "  --check-determinism    run each seed twice in this process, the second time with\n"
    "                         other hash seeds; fail if any decision differs\n"
    "  --hash-seed-salt X     vary every replica's hash seed (must not change the trace)\n"
    "  --bench                print benchmark JSON lines (core put rate, replica-ops/s,\n"
    "                         seeds/s on one core) and exit; no flag but --bench-seconds\n"
    "  --bench-seconds S      with --bench: time per benchmark (1..3600, default 3)\n"
    "  --params-json          print the parameter table as JSON (flag, min, max, --swarm\n"
    "                         off default, the swarm's range, category, unit, how a\n"
    "                         minimizer shrinks it, help) and exit; no other flag\n"
    "  --dry-run              check the flags against every configuration the seeds can\n"
    "                         draw, print the most memory a run needs, run nothing\n"
    "  -h, --help, --version\n"
    "\n"
    "Limits, checked before anything runs against every configuration the swarm can\n"
    "draw under the overrides (exit status 2 and the reason), so that a range never\n"
    "stops partway: p-duplicate + p-stale <= 1000, p-crash + p-bit-flip + p-pause +\n"
    "p-scrub <= 1000, p-scrub < 1000 (a scrub takes a step without spending the fault\n"
    "budget: at 1000 no replica would apply an op), --inject-bit-flip can happen (op\n"
    "within --ops, replica below --replicas, a checkpoint by then), and the memory a run\n"
    "needs (tables, model, storage, trailers, blocks, log), computed before allocating,\n"
    "is at most:\n"
    "  --memory-max SIZE      a SIZE, or 'none'; default: 2 GiB or half the physical\n"
    "                         memory, whichever is less\n"
    "\n"
    "Numbers and flags:\n";

static const char usage_exit[] =
    "\n"
    "Exit status:\n"
    "  0    every seed passed\n"
    "  1    a check failed: a divergence between replicas, the core and the model,\n"
    "       storage and its checksums (the first divergence and the command that\n"
    "       reproduces it are printed)\n"
    "  2    usage error (bad flag or value)\n"
    "  3    nondeterminism: --check-determinism saw two runs of a seed differ\n"
    "  4    environment error: out of memory, cannot write the trace file or the output\n"
    "  134  an assertion in the core or the simulator aborted (SIGABRT)\n";

static void usage(FILE *out) {
    fputs(usage_head, out);
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        char flag[64];
        bool size = strcmp(sim_params[i].unit, "bytes") == 0;
        snprintf(flag, sizeof(flag), "--%s %s", sim_params[i].flag, size ? "SIZE" : "N");
        fprintf(out, "  %-22s %s (%" PRIu32 "..%" PRIu32 ")\n", flag, sim_params[i].help,
                sim_params[i].min, sim_params[i].max);
    }
    fputs(usage_tail, out);
    fputs(cli_grammar_help, out);
    fputs(usage_exit, out);
}

/* Standard output, once everything is written to it: lost output is an environment error. */
static int stdout_finish(int status) {
    return cli_stdout_close(PROGRAM) ? status : EXIT_ENVIRONMENT;
}

/* ---- flags ---- */

enum {
    FLAG_SEED = 256,
    FLAG_SEEDS,
    FLAG_STRIDE,
    FLAG_ENTROPY,
    FLAG_SWARM,
    FLAG_FAULTS,
    FLAG_INJECT_BIT_FLIP,
    FLAG_TRACE,
    FLAG_HASH_SEED_SALT,
    FLAG_MEMORY_MAX,
    FLAG_BENCH_SECONDS,
    FLAG_JSON,
    FLAG_QUIET,
    FLAG_CHECK_DETERMINISM,
    FLAG_BENCH,
    FLAG_PARAMS_JSON,
    FLAG_DRY_RUN,
    FLAG_VERSION,
    FLAG_PARAM = 512, /* + the sim_param: the parameter table's flags */
};

static const struct option fixed_flags[] = {
    {"seed", required_argument, NULL, FLAG_SEED},
    {"seeds", required_argument, NULL, FLAG_SEEDS},
    {"stride", required_argument, NULL, FLAG_STRIDE},
    {"entropy", required_argument, NULL, FLAG_ENTROPY},
    {"swarm", required_argument, NULL, FLAG_SWARM},
    {"faults", required_argument, NULL, FLAG_FAULTS},
    {"inject-bit-flip", required_argument, NULL, FLAG_INJECT_BIT_FLIP},
    {"trace", required_argument, NULL, FLAG_TRACE},
    {"hash-seed-salt", required_argument, NULL, FLAG_HASH_SEED_SALT},
    {"memory-max", required_argument, NULL, FLAG_MEMORY_MAX},
    {"bench-seconds", required_argument, NULL, FLAG_BENCH_SECONDS},
    {"json", no_argument, NULL, FLAG_JSON},
    {"quiet", no_argument, NULL, FLAG_QUIET},
    {"check-determinism", no_argument, NULL, FLAG_CHECK_DETERMINISM},
    {"bench", no_argument, NULL, FLAG_BENCH},
    {"params-json", no_argument, NULL, FLAG_PARAMS_JSON},
    {"dry-run", no_argument, NULL, FLAG_DRY_RUN},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, FLAG_VERSION},
};
enum { FIXED_FLAG_COUNT = sizeof(fixed_flags) / sizeof(fixed_flags[0]) };

/* The fixed flags, then one per parameter of the table (config.h), then the end. */
static void flag_table(struct option table[FIXED_FLAG_COUNT + SIM_PARAM_COUNT + 1]) {
    memcpy(table, fixed_flags, sizeof(fixed_flags));
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        table[FIXED_FLAG_COUNT + i] =
            (struct option){sim_params[i].flag, required_argument, NULL, FLAG_PARAM + (int)i};
    }
    table[FIXED_FLAG_COUNT + SIM_PARAM_COUNT] = (struct option){NULL, 0, NULL, 0};
}

/* "A..B" with A <= B; "OP:REPLICA": two numbers around a separator. */
static bool parse_pair(const char *text, const char *separator, uint64_t *first, uint64_t *second) {
    const char *at = strstr(text, separator);
    if (at == NULL || (size_t)(at - text) >= 32) return false;
    char head[32];
    memcpy(head, text, (size_t)(at - text));
    head[at - text] = '\0';
    return cli_parse_u64(head, first) && cli_parse_u64(at + strlen(separator), second);
}

static bool parse_injection(const char *text, sim_overrides *o) {
    uint64_t op = 0, replica = 0;
    if (!parse_pair(text, ":", &op, &replica)) return false;
    if (op == 0 || op > SIM_OPS_MAX || replica >= SIM_REPLICAS_MAX) return false;
    o->inject_bit_flip_op = (uint32_t)op;
    o->inject_bit_flip_replica = (uint32_t)replica;
    return true;
}

/* on|off into *off; false for anything else. */
static bool parse_switch(const char *text, bool *off) {
    if (strcmp(text, "on") != 0 && strcmp(text, "off") != 0) return false;
    *off = strcmp(text, "off") == 0;
    return true;
}

/* The default --memory-max: 2 GiB, or half the physical memory where that is less. Read
 * once here; it decides only whether a configuration is refused, never what a run does. */
static uint64_t memory_max_default(void) {
    uint64_t limit = MEMORY_MAX_DEFAULT;
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page_size > 0) {
        uint64_t half = (uint64_t)pages * (uint64_t)page_size / 2;
        if (half < limit) limit = half;
    }
    return limit;
}

/* --replicas N and the other tunables of the parameter table; a byte count is a SIZE. */
static int parse_param(const cli_parser *p, sim_param param, options *o) {
    const sim_param_info *info = &sim_params[param];
    uint64_t number = 0;
    bool ok = strcmp(info->unit, "bytes") == 0 ? cli_value_size(p, info->min, info->max, &number)
                                               : cli_value_u64(p, info->min, info->max, &number);
    if (!ok) return EXIT_USAGE;
    sim_overrides_set(&o->overrides, param, (uint32_t)number);
    return EXIT_OK;
}

/* The flags that select the seeds, and --memory-max. */
static int parse_selection(const cli_parser *p, int flag, options *o) {
    uint64_t number = 0;
    switch (flag) {
    case FLAG_SEED:
        if (!cli_parse_u64(p->value, &o->seed_first))
            return cli_value_error(p, "a number below 2^64");
        o->seed_last = o->seed_first;
        return EXIT_OK;
    case FLAG_SEEDS:
        if (!parse_pair(p->value, "..", &o->seed_first, &o->seed_last) ||
            o->seed_first > o->seed_last) {
            return cli_value_error(p, "A..B, two numbers with A <= B");
        }
        o->range = true;
        return EXIT_OK;
    case FLAG_STRIDE: return cli_value_u64(p, 1, UINT64_MAX, &o->stride) ? EXIT_OK : EXIT_USAGE;
    case FLAG_ENTROPY: o->entropy_path = p->value; return EXIT_OK;
    case FLAG_MEMORY_MAX:
        o->memory_max_text = p->value;
        if (strcmp(p->value, "none") == 0) {
            o->memory_max = 0;
            return EXIT_OK;
        }
        if (!cli_parse_size(p->value, &number) || number == 0) {
            return cli_value_error(p, "a size such as 4G, 512M or 1073741824 (or 'none')");
        }
        o->memory_max = number;
        return EXIT_OK;
    default: return -1;
    }
}

/* Every flag but --help and --version; returns EXIT_OK or the usage status. */
static int parse_flag(const cli_parser *p, int flag, options *o) {
    int status = parse_selection(p, flag, o);
    if (status >= 0) return status;
    if (flag >= FLAG_PARAM) return parse_param(p, (sim_param)(flag - FLAG_PARAM), o);
    switch (flag) {
    case FLAG_SWARM:
        return parse_switch(p->value, &o->overrides.swarm_off) ? EXIT_OK
                                                               : cli_value_error(p, "on or off");
    case FLAG_FAULTS:
        return parse_switch(p->value, &o->overrides.faults_off) ? EXIT_OK
                                                                : cli_value_error(p, "on or off");
    case FLAG_INJECT_BIT_FLIP:
        return parse_injection(p->value, &o->overrides)
                   ? EXIT_OK
                   : cli_value_error(p, "OP:REPLICA with OP in 1..1000000 and REPLICA below 6");
    case FLAG_TRACE: o->trace_path = p->value; return EXIT_OK;
    case FLAG_HASH_SEED_SALT:
        return cli_value_u64(p, 0, UINT64_MAX, &o->hash_seed_salt) ? EXIT_OK : EXIT_USAGE;
    case FLAG_BENCH_SECONDS:
        return cli_value_u64(p, 1, 3600, &o->bench_seconds) ? EXIT_OK : EXIT_USAGE;
    case FLAG_JSON: o->json = true; return EXIT_OK;
    case FLAG_QUIET: o->quiet = true; return EXIT_OK;
    case FLAG_CHECK_DETERMINISM: o->check_determinism = true; return EXIT_OK;
    case FLAG_BENCH: o->bench = true; return EXIT_OK;
    case FLAG_PARAMS_JSON: o->params_json = true; return EXIT_OK;
    case FLAG_DRY_RUN: o->dry_run = true; return EXIT_OK;
    default: SIM_ASSERT(false); return EXIT_USAGE;
    }
}

/* Flags that cannot go together, and flags that need another. */
static int flag_conflicts(const cli_parser *p, const options *o) {
    bool seed = cli_given(p, FLAG_SEED), entropy = o->entropy_path != NULL;
    if (seed && o->range) {
        return cli_usage_error(PROGRAM, "--seed and --seeds cannot go together: give one");
    }
    if (entropy && (seed || o->range)) {
        return cli_usage_error(PROGRAM,
                               "--entropy FILE is the run's seed: no --seed or --seeds with it");
    }
    if (cli_given(p, FLAG_STRIDE) && !o->range) {
        return cli_usage_error(PROGRAM, "--stride needs --seeds A..B");
    }
    if (o->trace_path != NULL && o->range) {
        return cli_usage_error(PROGRAM, "--trace works with one --seed only");
    }
    if (cli_given(p, FLAG_BENCH_SECONDS) && !o->bench) {
        return cli_usage_error(PROGRAM, "--bench-seconds needs --bench");
    }
    /* A mode prints its own output and runs no seed: nothing else may be asked of it. */
    uint64_t alone = (uint64_t)o->bench + (uint64_t)o->params_json;
    uint64_t allowed =
        (uint64_t)o->bench + (uint64_t)cli_given(p, FLAG_BENCH_SECONDS) + (uint64_t)o->params_json;
    uint64_t given = (uint64_t)__builtin_popcountll(p->seen);
    if (alone > 0 && given > allowed) {
        return cli_usage_error(PROGRAM, "%s takes no other flag%s",
                               o->bench ? "--bench" : "--params-json",
                               o->bench ? " but --bench-seconds" : "");
    }
    return -1;
}

static void options_defaults(options *o, const char *program) {
    memset(o, 0, sizeof(*o));
    o->program = program;
    o->stride = 1;
    o->bench_seconds = 3;
    o->memory_max = memory_max_default();
}

/* Returns -1 to go on, or an exit status (--help, --version, errors). */
static int parse_args(int argc, char **argv, options *o) {
    options_defaults(o, argv[0]);
    struct option table[FIXED_FLAG_COUNT + SIM_PARAM_COUNT + 1];
    flag_table(table);
    cli_parser p;
    cli_parser_init(&p, PROGRAM, argc, argv, table);
    for (int flag; (flag = cli_next(&p)) != CLI_END;) {
        if (flag == CLI_FAILED) return EXIT_USAGE;
        if (flag == CLI_ARGUMENT) {
            return cli_usage_error(PROGRAM, "unexpected argument '%s': only flags are taken",
                                   p.value);
        }
        if (flag == 'h') {
            usage(stdout);
            return stdout_finish(EXIT_OK);
        }
        if (flag == FLAG_VERSION) {
            printf("client-sessions-sim %s\n", VSR_VERSION_STRING);
            return stdout_finish(EXIT_OK);
        }
        int status = parse_flag(&p, flag, o);
        if (status != EXIT_OK) return status;
    }
    return flag_conflicts(&p, o);
}

/* ---- output ---- */

/* The length of the valid UTF-8 sequence that starts at c (1 to 4), or 0 when the bytes
 * there are not one: no overlong form, no surrogate, nothing past U+10FFFF. */
static size_t utf8_sequence(const unsigned char *c) {
    static const unsigned char lead_mask[] = {0, 0, 0x1f, 0x0f, 0x07};
    static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c[0] < 0x80) return 1;
    size_t length = (c[0] & 0xe0) == 0xc0   ? 2
                    : (c[0] & 0xf0) == 0xe0 ? 3
                    : (c[0] & 0xf8) == 0xf0 ? 4
                                            : 0;
    if (length == 0) return 0;
    uint32_t code = c[0] & lead_mask[length];
    for (size_t i = 1; i < length; i++) {
        if ((c[i] & 0xc0) != 0x80) return 0; /* also stops at the string's end */
        code = code << 6 | (c[i] & 0x3fu);
    }
    if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return length;
}

/* text as a JSON string: valid UTF-8 as it is, every other byte XX as \udcXX (lossless: a
 * reader's surrogateescape gives the bytes back). */
static void json_string(const char *text, FILE *out) {
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0';) {
        size_t length = utf8_sequence(c);
        if (length == 0) {
            fprintf(out, "\\udc%02x", *c);
            length = 1;
        } else if (*c == '"' || *c == '\\') {
            fprintf(out, "\\%c", *c);
        } else if (*c == '\n') {
            fputs("\\n", out);
        } else if (*c < 0x20) {
            fprintf(out, "\\u%04x", *c);
        } else {
            fwrite(c, 1, length, out);
        }
        c += length;
    }
    fputc('"', out);
}

/* text as one shell word: as is when it holds only safe characters, else in single quotes. */
static void shell_word(const char *text, FILE *out) {
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_-+=./:,@%";
    if (text[0] != '\0' && strspn(text, safe) == strlen(text)) {
        fputs(text, out);
        return;
    }
    fputc('\'', out);
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '\'') {
            fputs("'\\''", out);
        } else {
            fputc(*c, out);
        }
    }
    fputc('\'', out);
}

/* The command that reruns seed: complete (every override) and shell-quoted. */
static void print_reproduce(const options *o, uint64_t seed, FILE *out) {
    shell_word(o->program, out);
    fputc(' ', out);
    if (o->entropy_path != NULL) {
        fputs("--entropy ", out);
        shell_word(o->entropy_path, out);
        sim_overrides_print_flags(&o->overrides, out);
    } else {
        sim_overrides_print_args(seed, &o->overrides, out);
    }
    if (o->memory_max_text != NULL) {
        fputs(" --memory-max ", out);
        shell_word(o->memory_max_text, out);
    }
    if (o->check_determinism) fputs(" --check-determinism", out);
}

static const char *outcome_name(int status) {
    switch (status) {
    case EXIT_OK: return "ok";
    case EXIT_CHECK_FAILED: return "fail";
    case EXIT_NONDETERMINISTIC: return "nondeterministic";
    default: return "error";
    }
}

static void print_json(const options *o, const sim_config *c, const sim_result *r, int status,
                       uint64_t duration_ns, const char *nondeterminism) {
    char hash[33];
    vsr_u128_format(r->trace_hash, hash);
    printf("{\"seed\":%" PRIu64 ",\"seed_hex\":\"0x%016" PRIx64
           "\",\"outcome\":\"%s\",\"exit_code\":%d,",
           c->seed, c->seed, outcome_name(status), status);
    if (o->entropy_path != NULL) {
        fputs("\"entropy\":{\"file\":", stdout);
        json_string(o->entropy_path, stdout);
        printf(",\"size\":%" PRIu64 "},", o->entropy_size);
    }
    fputs("\"config\":", stdout);
    sim_config_print_json(c, stdout);
    fputs(",\"counts\":", stdout);
    sim_counts_print_json(&r->counts, stdout, false);
    fputs(",\"scenarios\":", stdout);
    sim_counts_print_json(&r->counts, stdout, true);
    printf(",\"trace_hash\":\"%s\",\"trace_events\":%" PRIu64 ",\"duration_ms\":%.3f", hash,
           r->trace_events, (double)duration_ns / 1e6);
    if (status != EXIT_OK) {
        const char *signature = nondeterminism != NULL ? "nondeterminism" : r->failure.signature;
        const char *message = nondeterminism != NULL ? nondeterminism : r->failure.message;
        printf(",\"failure\":{\"signature\":");
        json_string(signature, stdout);
        printf(",\"op\":%" PRIu64 ",\"replica\":%d,\"message\":", r->failure.op,
               r->failure.replica);
        json_string(message, stdout);
        fputs("}", stdout);
    }
    /* Every seed's line says how to run it again (a slow seed, one to trace). Grows as
     * needed: a long path and many overrides must not be cut short. */
    fputs(",\"reproduce\":", stdout);
    char *command = NULL;
    size_t command_size = 0;
    FILE *memory = open_memstream(&command, &command_size);
    if (memory != NULL) {
        print_reproduce(o, c->seed, memory);
        fclose(memory);
        json_string(command, stdout);
    } else {
        fputs("null", stdout);
    }
    free(command);
    fputs("}\n", stdout);
}

static void print_summary(const options *o, const sim_config *c, const sim_result *r, int status,
                          const char *nondeterminism) {
    char hash[33];
    vsr_u128_format(r->trace_hash, hash);
    const sim_counts *n = &r->counts;
    printf("%s seed=0x%016" PRIx64 " ", status == EXIT_OK ? "ok" : "FAIL", c->seed);
    sim_config_print(c, stdout);
    printf(" | replica_ops=%" PRIu64 " evictions=%" PRIu64 " crashes=%" PRIu64
           " corruptions_detected=%" PRIu64 " syncs=%" PRIu64 " checkpoints=%" PRIu64 " trace=%s\n",
           n->replica_ops, n->evictions, n->crashes, n->corruptions_detected,
           n->repair_syncs + n->lag_syncs + n->genesis_syncs, n->checkpoints, hash);
    if (status == EXIT_OK) return;
    if (nondeterminism != NULL) {
        printf("  nondeterminism: %s\n", nondeterminism);
    } else {
        printf("  first divergence [%s] at op %" PRIu64 ": %s\n", r->failure.signature,
               r->failure.op, r->failure.message);
    }
    printf("  counts: ");
    sim_counts_print(n, stdout);
    printf("\n  reproduce: ");
    print_reproduce(o, c->seed, stdout);
    if (o->entropy_path != NULL) {
        printf("\n  with a trace: scripts/repro --entropy ");
        shell_word(o->entropy_path, stdout);
        printf(" (or add --trace FILE)\n");
    } else {
        printf("\n  with a trace: scripts/repro 0x%016" PRIx64 " (or add --trace FILE)\n", c->seed);
    }
}

/* ---- running ---- */

static bool results_equal(const sim_result *a, const sim_result *b) {
    return a->outcome == b->outcome && a->trace_hash == b->trace_hash &&
           a->trace_events == b->trace_events && sim_counts_equal(&a->counts, &b->counts) &&
           strcmp(a->failure.signature, b->failure.signature) == 0 &&
           strcmp(a->failure.message, b->failure.message) == 0;
}

/* Runs one seed (twice with --check-determinism); prints its line; returns its status. */
static int run_seed(const options *o, uint64_t seed, FILE *trace) {
    sim_config config;
    if (o->entropy != NULL) {
        sim_config_make_entropy(&config, o->entropy, o->entropy_size, &o->overrides);
    } else {
        sim_config_make(&config, seed, &o->overrides);
    }
    config.hash_seed_salt = o->hash_seed_salt;
    const char *invalid = sim_config_invalid(&config);
    if (invalid != NULL) {
        return cli_usage_error(PROGRAM, "invalid configuration for seed 0x%016" PRIx64 ": %s", seed,
                               invalid);
    }
    sim_result result;
    uint64_t start = cli_now_ns();
    if (!sim_run(&config, trace, &result)) {
        fprintf(stderr, "client-sessions-sim: out of memory for seed 0x%016" PRIx64 "\n", seed);
        return EXIT_ENVIRONMENT;
    }
    uint64_t duration = cli_now_ns() - start;
    int status = result.outcome == SIM_OUTCOME_OK ? EXIT_OK : EXIT_CHECK_FAILED;
    char nondeterminism[256] = "";
    if (o->check_determinism) {
        sim_config again = config;
        again.hash_seed_salt = o->hash_seed_salt + 1;
        sim_result second;
        if (!sim_run(&again, NULL, &second)) return EXIT_ENVIRONMENT;
        if (!results_equal(&result, &second)) {
            char h1[33], h2[33];
            vsr_u128_format(result.trace_hash, h1);
            vsr_u128_format(second.trace_hash, h2);
            snprintf(nondeterminism, sizeof(nondeterminism),
                     "two runs of the seed differ: trace %s (%" PRIu64 " events) vs %s (%" PRIu64
                     " events)",
                     h1, result.trace_events, h2, second.trace_events);
            status = EXIT_NONDETERMINISTIC;
        }
    }
    const char *nd = nondeterminism[0] != '\0' ? nondeterminism : NULL;
    if (o->json) {
        print_json(o, &config, &result, status, duration, nd);
    } else if (!o->quiet || status != EXIT_OK) {
        print_summary(o, &config, &result, status, nd);
    }
    fflush(stdout);
    return status;
}

static int run_seeds(const options *o) {
    FILE *trace = NULL;
    if (o->trace_path != NULL) {
        trace = fopen(o->trace_path, "w");
        if (trace == NULL) {
            fprintf(stderr, "client-sessions-sim: cannot write trace file %s: %s\n", o->trace_path,
                    strerror(errno));
            return EXIT_ENVIRONMENT;
        }
        /* Line-buffered: when an assertion aborts the run, the trace still ends at the last
         * event before it, which is the one a reader needs. */
        setvbuf(trace, NULL, _IOLBF, 0);
    }
    int worst = EXIT_OK;
    uint64_t seed = o->seed_first;
    for (;;) {
        int status = run_seed(o, seed, trace);
        if (status == EXIT_USAGE || status == EXIT_ENVIRONMENT) {
            worst = status;
            break;
        }
        if (status == EXIT_NONDETERMINISTIC || (status == EXIT_CHECK_FAILED && worst == EXIT_OK)) {
            worst = status;
        }
        if (o->seed_last - seed < o->stride) break;
        seed += o->stride;
    }
    if (trace != NULL && (ferror(trace) || fclose(trace) != 0)) {
        fprintf(stderr, "client-sessions-sim: error writing trace file %s\n", o->trace_path);
        return EXIT_ENVIRONMENT;
    }
    /* The results go to standard output: a run whose results were lost has not passed. */
    return stdout_finish(worst);
}

/* Reads --entropy FILE whole (a file, a pipe or a device; at most ENTROPY_SIZE_MAX bytes). */
static int read_entropy(options *o) {
    FILE *file = fopen(o->entropy_path, "rb");
    if (file == NULL) {
        fprintf(stderr, "client-sessions-sim: cannot read --entropy %s: %s\n", o->entropy_path,
                strerror(errno));
        return EXIT_USAGE;
    }
    /* One byte more than the limit, to tell "exactly the limit" from "too large". */
    o->entropy = malloc((size_t)ENTROPY_SIZE_MAX + 1);
    if (o->entropy == NULL) {
        fclose(file);
        fprintf(stderr, "client-sessions-sim: out of memory for --entropy\n");
        return EXIT_ENVIRONMENT;
    }
    size_t size = fread(o->entropy, 1, (size_t)ENTROPY_SIZE_MAX + 1, file);
    bool failed = ferror(file) != 0;
    fclose(file);
    if (failed) {
        fprintf(stderr, "client-sessions-sim: error reading --entropy %s\n", o->entropy_path);
        return EXIT_USAGE;
    }
    if (size > ENTROPY_SIZE_MAX) {
        fprintf(stderr, "client-sessions-sim: --entropy %s is too large: more than %u bytes\n",
                o->entropy_path, (unsigned)ENTROPY_SIZE_MAX);
        return EXIT_USAGE;
    }
    o->entropy_size = size;
    return EXIT_OK;
}

/* Checks the overrides against every configuration the seeds can draw, once, before any
 * seed runs: a range either runs to its end or never starts. */
static int check_overrides(const options *o) {
    char reason[512];
    uint64_t memory = 0;
    if (sim_overrides_invalid(&o->overrides, o->memory_max, &memory, reason, sizeof(reason))) {
        return cli_usage_error(PROGRAM, "%s", reason);
    }
    if (o->dry_run) {
        printf("client-sessions-sim: the flags are valid for every seed; a run needs at most "
               "%" PRIu64 " bytes (%.1f MiB) of memory; --memory-max ",
               memory, (double)memory / (1024.0 * 1024.0));
        if (o->memory_max == 0) {
            puts("none");
        } else {
            printf("%" PRIu64 " bytes (%.1f MiB)\n", o->memory_max,
                   (double)o->memory_max / (1024.0 * 1024.0));
        }
        return stdout_finish(EXIT_OK);
    }
    return -1;
}

int main(int argc, char **argv) {
    cli_allocator_tune();
    options o;
    int status = parse_args(argc, argv, &o);
    if (status >= 0) return status;
    if (o.params_json) {
        sim_params_print_json(stdout);
        return stdout_finish(EXIT_OK);
    }
    if (o.bench) return stdout_finish(sim_bench(o.bench_seconds));
    status = check_overrides(&o);
    if (status >= 0) return status;
    status = o.entropy_path != NULL ? read_entropy(&o) : EXIT_OK;
    if (status == EXIT_OK) status = run_seeds(&o);
    free(o.entropy);
    return status;
}
