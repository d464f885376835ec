/*
 * replay.c: runs a fuzz target on files without a fuzzing engine.
 *
 * Linked with one target's LLVMFuzzerTestOneInput, with any compiler, this is
 * how CI replays the seed corpora and every regression input (under ASan and
 * UBSan in the test build), and how a crash is reproduced in a debugger. It
 * also measures the harness alone (--time: the baseline for the engines'
 * execs/s) and smoke-tests the target's custom mutator (--mutate).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
    __attribute__((weak));

typedef struct input {
    char *path;
    uint8_t *data;
    size_t size;
} input;

typedef struct inputs {
    input *items;
    size_t count;
    size_t capacity;
} inputs;

static void usage(FILE *out) {
    fprintf(out,
            "usage: %s [--time SECONDS] [--mutate N] [--quiet] PATH...\n"
            "\n"
            "Runs the fuzz target once on every file given, and on every file in every\n"
            "directory given (not recursively, in name order). A failed invariant aborts\n"
            "with the file's name printed first. A directory with no input is an error\n"
            "(exit 2) unless it holds a file EMPTY saying why it has none yet; EMPTY is\n"
            "not an input, and EMPTY next to inputs is an error too.\n"
            "  --time S    then keep replaying them for S seconds and print execs/s\n"
            "  --mutate N  also run the target's custom mutator N times on each input\n"
            "              and the target on every result (a smoke test of the mutator)\n"
            "  --quiet     print only errors\n",
            "replay");
}

static void add_input(inputs *all, const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    uint8_t *data = NULL;
    size_t size = 0, capacity = 0;
    for (;;) {
        if (size == capacity) {
            capacity = capacity ? 2 * capacity : 4096;
            data = realloc(data, capacity);
            if (data == NULL) {
                fprintf(stderr, "replay: out of memory reading %s\n", path);
                exit(2);
            }
        }
        size_t got = fread(data + size, 1, capacity - size, file);
        size += got;
        if (got == 0) break;
    }
    fclose(file);
    if (all->count == all->capacity) {
        all->capacity = all->capacity ? 2 * all->capacity : 64;
        all->items = realloc(all->items, all->capacity * sizeof(input));
        if (all->items == NULL) exit(2);
    }
    /* Exactly `size` bytes, so that AddressSanitizer catches a read past the input. */
    uint8_t *exact = malloc(size ? size : 1);
    if (exact == NULL) exit(2);
    if (size) memcpy(exact, data, size);
    free(data);
    size_t length = strlen(path) + 1;
    char *copy = malloc(length);
    if (copy == NULL) exit(2);
    memcpy(copy, path, length);
    all->items[all->count++] = (input){copy, exact, size};
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's note that it has no input on purpose (a regression directory of a target
 * that no bug has been found in yet): its name, and what it must say. */
static const char empty_note[] = "EMPTY";

static bool file_has_text(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return false;
    bool text = false;
    for (int c; !text && (c = fgetc(file)) != EOF;) text = c != ' ' && c != '\n' && c != '\t';
    fclose(file);
    return text;
}

static void add_path(inputs *all, const char *path, bool quiet) {
    struct stat info;
    if (stat(path, &info) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (!S_ISDIR(info.st_mode)) {
        add_input(all, path);
        return;
    }
    DIR *dir = opendir(path);
    if (dir == NULL) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char **names = NULL;
    size_t count = 0, capacity = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        if (entry->d_name[0] == '.') continue; /* ., .. and hidden files */
        if (count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            names = realloc(names, capacity * sizeof(char *));
            if (names == NULL) exit(2);
        }
        size_t length = strlen(path) + strlen(entry->d_name) + 2;
        names[count] = malloc(length);
        if (names[count] == NULL) exit(2);
        snprintf(names[count], length, "%s/%s", path, entry->d_name);
        count++;
    }
    closedir(dir);
    if (count > 1) qsort(names, count, sizeof(char *), compare_names);
    size_t before = all->count;
    char *note = NULL;
    for (size_t i = 0; i < count; i++) {
        struct stat entry_info;
        const char *base = names[i] + strlen(path) + 1;
        if (strcmp(base, empty_note) == 0) {
            note = names[i];
            continue;
        }
        if (stat(names[i], &entry_info) == 0 && S_ISREG(entry_info.st_mode)) {
            add_input(all, names[i]);
        }
        free(names[i]);
    }
    free(names);
    size_t added = all->count - before;
    if (note != NULL && added > 0) {
        fprintf(stderr, "replay: %s holds %zu inputs and a note that it has none (%s): remove it\n",
                path, added, empty_note);
        exit(2);
    }
    if (note != NULL && !file_has_text(note)) {
        fprintf(stderr, "replay: %s must say why %s has no input\n", note, path);
        exit(2);
    }
    if (note == NULL && added == 0) {
        fprintf(stderr,
                "replay: %s holds no input: a corpus directory that is empty by mistake would\n"
                "  pass without testing anything; add the inputs, or a file %s saying why there\n"
                "  are none yet\n",
                path, empty_note);
        exit(2);
    }
    if (note != NULL && !quiet) fprintf(stderr, "replay: %s: no input (see %s)\n", path, note);
    free(note);
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void run_one(const input *in, bool quiet) {
    if (!quiet) fprintf(stderr, "replay: %s (%zu bytes)\n", in->path, in->size);
    /* A private copy: the target gets exactly `size` bytes, as under libFuzzer. */
    uint8_t *copy = malloc(in->size ? in->size : 1);
    if (copy == NULL) exit(2);
    if (in->size) memcpy(copy, in->data, in->size);
    LLVMFuzzerTestOneInput(copy, in->size);
    free(copy);
}

static void run_mutations(const input *in, unsigned long rounds) {
    enum { MUTATE_MAX_SIZE = 1 << 16 };
    uint8_t *buffer = malloc(MUTATE_MAX_SIZE);
    if (buffer == NULL) exit(2);
    for (unsigned long round = 0; round < rounds; round++) {
        size_t size = in->size < MUTATE_MAX_SIZE ? in->size : MUTATE_MAX_SIZE;
        memcpy(buffer, in->data, size);
        size =
            LLVMFuzzerCustomMutator(buffer, size, MUTATE_MAX_SIZE, (unsigned)round * 2654435761u);
        if (size > MUTATE_MAX_SIZE) {
            fprintf(stderr, "replay: the mutator returned %zu bytes, more than %d\n", size,
                    MUTATE_MAX_SIZE);
            abort();
        }
        uint8_t *exact = malloc(size ? size : 1);
        if (exact == NULL) exit(2);
        if (size) memcpy(exact, buffer, size);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    free(buffer);
}

static bool parse_number(const char *text, unsigned long *out) {
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') return false;
    *out = value;
    return true;
}

int main(int argc, char **argv) {
    unsigned long seconds = 0, mutate = 0;
    bool quiet = false;
    inputs all = {NULL, 0, 0};
    int first_path = argc;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(arg, "--time") == 0 && i + 1 < argc) {
            if (!parse_number(argv[++i], &seconds)) {
                fprintf(stderr, "replay: --time needs a number of seconds\n");
                return 2;
            }
        } else if (strcmp(arg, "--mutate") == 0 && i + 1 < argc) {
            if (!parse_number(argv[++i], &mutate)) {
                fprintf(stderr, "replay: --mutate needs a count\n");
                return 2;
            }
        } else if (strcmp(arg, "--quiet") == 0) {
            quiet = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "replay: unknown option %s\n", arg);
            usage(stderr);
            return 2;
        } else {
            first_path = i;
            break;
        }
    }
    if (first_path >= argc) {
        usage(stderr);
        return 2;
    }
    if (LLVMFuzzerInitialize != NULL) LLVMFuzzerInitialize(&argc, &argv);
    for (int i = first_path; i < argc; i++) add_path(&all, argv[i], quiet);
    if (mutate > 0 && LLVMFuzzerCustomMutator == NULL) {
        fprintf(stderr, "replay: this target has no custom mutator; --mutate ignored\n");
        mutate = 0;
    }

    double start = now_seconds();
    for (size_t i = 0; i < all.count; i++) {
        run_one(&all.items[i], quiet);
        if (mutate > 0) run_mutations(&all.items[i], mutate);
    }
    double elapsed = now_seconds() - start;
    unsigned long long execs = all.count * (1 + mutate);
    if (!quiet) {
        printf("replay: %zu inputs, %llu runs in %.3f s, no invariant failed\n", all.count, execs,
               elapsed);
    }
    if (seconds > 0 && all.count > 0) {
        execs = 0;
        start = now_seconds();
        while ((elapsed = now_seconds() - start) < (double)seconds) {
            for (size_t i = 0; i < all.count; i++) run_one(&all.items[i], true);
            execs += all.count;
        }
        printf("replay: %llu execs in %.1f s: %.0f execs/s\n", execs, elapsed,
               (double)execs / elapsed);
    }
    for (size_t i = 0; i < all.count; i++) {
        free(all.items[i].path);
        free(all.items[i].data);
    }
    free(all.items);
    return 0;
}
