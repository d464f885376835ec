/*
 * main.c: the command line of client-sessions-sim. Parses flags, runs one seed
 * or a range, prints a summary line (or one JSON object) per seed, and turns
 * the verdict into an exit status. See usage() for the flags and the statuses.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "sim.h"

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
    bool seed_given;
    const char *entropy_path; /* --entropy FILE: the run's entropy, read whole */
    uint8_t *entropy;
    uint64_t entropy_size;
} options;

enum { MEMORY_MAX_DEFAULT = 2u << 30, ENTROPY_SIZE_MAX = 16u << 20 };

static void usage(FILE *out) {
    fputs("usage: client-sessions-sim [--seed S | --seeds A..B [--stride K]] [options]\n"
          "\n"
          "Runs the deterministic simulation of the client sessions table: several replicas\n"
          "apply one committed log under crashes, torn writes, bit flips, lag and state\n"
          "sync, checked after every step against each other and a reference model.\n"
          "The seed decides everything; the same seed gives the same trace hash on every build.\n"
          "\n"
          "Seeds:\n"
          "  --seed S               run seed S (decimal or 0x hex; default 0)\n"
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
          "  --faults off           no faults at all\n"
          "  --inject-bit-flip OP:R flip a bit of replica R's checkpoint once it has applied\n"
          "                         op OP and has a checkpoint, then verify (must be detected);\n"
          "                         refused when no seed's run can have that checkpoint, and a\n"
          "                         run where it did not happen fails with inject.missed\n",
          out);
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s N", sim_params[i].flag);
        fprintf(out, "  %-22s %s (%" PRIu32 "..%" PRIu32 ")\n", flag, sim_params[i].help,
                sim_params[i].min, sim_params[i].max);
    }
    fputs("\n"
          "Output:\n"
          "  --json                 one JSON object per seed (seed, config, outcome, counts,\n"
          "                         scenarios, trace hash, duration, failure, reproduce)\n"
          "  --quiet                print only failures\n"
          "  --trace FILE           write one line per event to FILE (one seed only);\n"
          "                         never changes the run\n"
          "\n"
          "Modes:\n"
          "  --check-determinism    run each seed twice in this process, the second time with\n"
          "                         other hash seeds; fail if any decision differs\n"
          "  --hash-seed-salt X     vary every replica's hash seed (must not change the trace)\n"
          "  --bench                print benchmark JSON lines (core put rate, replica-ops/s,\n"
          "                         seeds/s on one core) and exit\n"
          "  --bench-seconds S      time per benchmark (default 3)\n"
          "  --params-json          print the parameter table as JSON (flag, min, max, --swarm\n"
          "                         off default, the swarm's range, category, unit, how a\n"
          "                         minimizer shrinks it, help) and exit\n"
          "  --dry-run              check the flags against every configuration the seeds can\n"
          "                         draw, print the most memory a run needs, run nothing\n"
          "  --help, --version\n"
          "\n"
          "Limits, checked before anything runs against every configuration the swarm can\n"
          "draw under the overrides (exit status 2 and the reason), so that a range never\n"
          "stops partway: p-duplicate + p-stale <= 1000, p-crash + p-bit-flip + p-pause +\n"
          "p-scrub <= 1000, --inject-bit-flip can happen (op within --ops, replica below\n"
          "--replicas, a checkpoint by then), and the memory a run needs (tables, model,\n"
          "storage, trailers, blocks, log), computed before allocating, is at most:\n"
          "  --memory-max SIZE      bytes, or with a suffix K, M, G, T (powers of 1024), or\n"
          "                         'none'; default: 2 GiB or half the physical memory,\n"
          "                         whichever is less\n"
          "\n"
          "Exit status:\n"
          "  0    every seed passed\n"
          "  1    a check failed: a divergence between replicas, the core and the model,\n"
          "       storage and its checksums (the first divergence and the command that\n"
          "       reproduces it are printed)\n"
          "  2    usage error (bad flag or value)\n"
          "  3    nondeterminism: --check-determinism saw two runs of a seed differ\n"
          "  4    environment error: out of memory, cannot write the trace file or the output\n"
          "  134  an assertion in the core or the simulator aborted (SIGABRT)\n",
          out);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *format, ...) {
    fputs("client-sessions-sim: ", stderr);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args); // NOLINT(clang-analyzer-valist.Uninitialized): va_start above
    va_end(args);
    fputs("\ntry 'client-sessions-sim --help'\n", stderr);
    return EXIT_USAGE;
}

static bool parse_range(const char *text, uint64_t *first, uint64_t *last) {
    const char *dots = strstr(text, "..");
    if (dots == NULL || (size_t)(dots - text) >= 32) return false;
    char head[32];
    memcpy(head, text, (size_t)(dots - text));
    head[dots - text] = '\0';
    return cli_parse_u64(head, first) && cli_parse_u64(dots + 2, last) && *first <= *last;
}

static bool parse_injection(const char *text, sim_overrides *o) {
    const char *colon = strchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= 32) return false;
    char head[32];
    memcpy(head, text, (size_t)(colon - text));
    head[colon - text] = '\0';
    uint64_t op = 0, replica = 0;
    if (!cli_parse_u64(head, &op) || !cli_parse_u64(colon + 1, &replica)) return false;
    if (op == 0 || op > SIM_OPS_MAX || replica >= SIM_REPLICAS_MAX) return false;
    o->inject_bit_flip_op = (uint32_t)op;
    o->inject_bit_flip_replica = (uint32_t)replica;
    return true;
}

/* SIZE: bytes, or with a suffix K, M, G, T (KiB... also accepted); "none" is no limit (0). */
static bool parse_size(const char *text, uint64_t *out) {
    if (strcmp(text, "none") == 0) {
        *out = 0;
        return true;
    }
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || digits >= 24) return false;
    char number[24];
    memcpy(number, text, digits);
    number[digits] = '\0';
    uint64_t value = 0;
    if (!cli_parse_u64(number, &value)) return false;
    static const char *const suffixes[][3] = {
        {"", "", ""}, {"K", "KiB", "k"}, {"M", "MiB", "m"}, {"G", "GiB", "g"}, {"T", "TiB", "t"}};
    const char *suffix = text + digits;
    for (uint32_t shift = 0; shift < 5; shift++) {
        bool match = false;
        for (uint32_t i = 0; i < 3; i++) match = match || strcmp(suffix, suffixes[shift][i]) == 0;
        if (!match) continue;
        if (value > (UINT64_MAX >> (10 * shift))) return false;
        *out = value << (10 * shift);
        return *out != 0;
    }
    return false;
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

/* --replicas N and the other tunables; returns EXIT_OK, or the usage status. */
static int parse_param(const char *flag, const char *value, options *o, bool *matched) {
    *matched = false;
    for (uint32_t i = 0; i < SIM_PARAM_COUNT; i++) {
        if (strcmp(flag + 2, sim_params[i].flag) != 0) continue;
        *matched = true;
        uint64_t number = 0;
        if (!cli_parse_u64(value, &number) || number < sim_params[i].min ||
            number > sim_params[i].max) {
            fprintf(stderr,
                    "client-sessions-sim: %s needs an integer in %" PRIu32 "..%" PRIu32 "\n", flag,
                    sim_params[i].min, sim_params[i].max);
            return EXIT_USAGE;
        }
        sim_overrides_set(&o->overrides, (sim_param)i, (uint32_t)number);
        return EXIT_OK;
    }
    return EXIT_OK;
}

static int parse_flag_with_value(const char *flag, const char *value, options *o) {
    if (strcmp(flag, "--seed") == 0 || strcmp(flag, "--seeds") == 0) o->seed_given = true;
    if (strcmp(flag, "--entropy") == 0) {
        o->entropy_path = value;
    } else if (strcmp(flag, "--seed") == 0) {
        if (!cli_parse_u64(value, &o->seed_first)) return usage_error("bad seed '%s'", value);
        o->seed_last = o->seed_first;
        o->range = false;
    } else if (strcmp(flag, "--seeds") == 0) {
        if (!parse_range(value, &o->seed_first, &o->seed_last)) {
            return usage_error("--seeds needs A..B with A <= B, got '%s'", value);
        }
        o->range = true;
    } else if (strcmp(flag, "--stride") == 0) {
        if (!cli_parse_u64(value, &o->stride) || o->stride == 0)
            return usage_error("bad --stride '%s'", value);
    } else if (strcmp(flag, "--swarm") == 0) {
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
            return usage_error("--swarm takes on or off, got '%s'", value);
        }
        o->overrides.swarm_off = strcmp(value, "off") == 0;
    } else if (strcmp(flag, "--faults") == 0) {
        if (strcmp(value, "off") != 0 && strcmp(value, "on") != 0) {
            return usage_error("--faults takes off (or on), got '%s'", value);
        }
        o->overrides.faults_off = strcmp(value, "off") == 0;
    } else if (strcmp(flag, "--inject-bit-flip") == 0) {
        if (!parse_injection(value, &o->overrides)) {
            return usage_error(
                "--inject-bit-flip needs OP:REPLICA (OP >= 1, REPLICA < 6), got '%s'", value);
        }
    } else if (strcmp(flag, "--trace") == 0) {
        o->trace_path = value;
    } else if (strcmp(flag, "--hash-seed-salt") == 0) {
        if (!cli_parse_u64(value, &o->hash_seed_salt))
            return usage_error("bad --hash-seed-salt '%s'", value);
    } else if (strcmp(flag, "--memory-max") == 0) {
        if (!parse_size(value, &o->memory_max)) {
            return usage_error("--memory-max needs a size such as 4G, 512M or 1073741824 "
                               "(or 'none'), got '%s'",
                               value);
        }
        o->memory_max_text = value;
    } else if (strcmp(flag, "--bench-seconds") == 0) {
        if (!cli_parse_u64(value, &o->bench_seconds) || o->bench_seconds == 0 ||
            o->bench_seconds > 3600) {
            return usage_error("--bench-seconds needs 1..3600, got '%s'", value);
        }
    } else {
        bool matched = false;
        int status = parse_param(flag, value, o, &matched);
        if (!matched) return usage_error("unknown flag '%s'", flag);
        return status;
    }
    return EXIT_OK;
}

/* Returns -1 to go on, or an exit status (--help, --version, errors). */
static int parse_args(int argc, char **argv, options *o) {
    memset(o, 0, sizeof(*o));
    o->program = argv[0];
    o->stride = 1;
    o->bench_seconds = 3;
    o->memory_max = memory_max_default();
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(flag, "--version") == 0) {
            printf("client-sessions-sim %s\n", VSR_VERSION_STRING);
            return EXIT_OK;
        }
        if (strcmp(flag, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strcmp(flag, "--quiet") == 0) {
            o->quiet = true;
            continue;
        }
        if (strcmp(flag, "--check-determinism") == 0) {
            o->check_determinism = true;
            continue;
        }
        if (strcmp(flag, "--bench") == 0) {
            o->bench = true;
            continue;
        }
        if (strcmp(flag, "--params-json") == 0) {
            o->params_json = true;
            continue;
        }
        if (strcmp(flag, "--dry-run") == 0) {
            o->dry_run = true;
            continue;
        }
        if (strncmp(flag, "--", 2) != 0) return usage_error("unexpected argument '%s'", flag);
        if (i + 1 >= argc) return usage_error("%s needs a value", flag);
        int status = parse_flag_with_value(flag, argv[++i], o);
        if (status != EXIT_OK) return status;
    }
    if (o->trace_path != NULL && o->range)
        return usage_error("%s", "--trace works with one --seed only");
    if (o->entropy_path != NULL && o->seed_given)
        return usage_error("%s", "--entropy FILE is the run's seed: no --seed or --seeds with it");
    return -1;
}

/* ---- output ---- */

static void json_string(const char *text, FILE *out) {
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            fprintf(out, "\\%c", *c);
        } else if (*c == '\n') {
            fputs("\\n", out);
        } else if (*c < 0x20) {
            fprintf(out, "\\u%04x", *c);
        } else {
            fputc(*c, out);
        }
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
        fputs("},\"reproduce\":", stdout);
        /* Grows as needed: a long path and many overrides must not be cut short. */
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
    }
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
        return usage_error("invalid configuration for seed 0x%016" PRIx64 ": %s", seed, invalid);
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
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "client-sessions-sim: error writing standard output\n");
        return EXIT_ENVIRONMENT;
    }
    return worst;
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
        return usage_error("%s", reason);
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
        return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_ENVIRONMENT;
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
        return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_ENVIRONMENT;
    }
    if (o.bench) return sim_bench(o.bench_seconds);
    status = check_overrides(&o);
    if (status >= 0) return status;
    status = o.entropy_path != NULL ? read_entropy(&o) : EXIT_OK;
    if (status == EXIT_OK) status = run_seeds(&o);
    free(o.entropy);
    return status;
}
