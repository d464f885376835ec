/*
 * client-sessions: inspect checksums, trailers and trailer blocks of a real system.
 * Exit 0 on success, 1 when the input is invalid or unreadable, 2 on bad usage.
 */
#define _GNU_SOURCE /* getrandom, fileno, mkstemp, fchmod, renameat2 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_sessions.h"
#include "options.h"
#include "vsr_checksum_impl.h"

#define PROGRAM "client-sessions"

enum { EXIT_INVALID = 1, EXIT_USAGE = CLI_EXIT_USAGE };

enum {
    SLOT_SIZE = CLIENT_SESSIONS_SLOT_ENCODED_SIZE,
    CHUNK_SIZE = 1 << 20,       /* reads stream through a buffer of this size */
    INDEX_BLOCKS_MAX = 1 << 22, /* decode-blocks: blocks with an address, in all FILEs */
    REFERENCE_TEXT_MAX = 256,   /* SIZE:CHECKSUM:ADDRESS:CHECKSUM is at most 107 characters */
};

static const char usage_text[] =
    "usage: client-sessions COMMAND [OPTIONS] ARGS\n"
    "\n"
    "Commands:\n"
    "  checksum [--max-bytes SIZE] FILE\n"
    "      Print the checksum (AEGIS-128L MAC, docs/FORMAT.md section 1) of FILE as 32\n"
    "      lowercase hex digits, most significant first. FILE may be - for standard input.\n"
    "      The input is streamed to its end, whatever its size. A character device other\n"
    "      than /dev/null (such as /dev/zero, or a terminal as standard input) may never\n"
    "      end: it is refused unless --max-bytes is given; with --max-bytes, an input\n"
    "      longer than SIZE bytes is an error (exit 1), never the checksum of a prefix.\n"
    "\n"
    "  decode --clients-max N FILE\n"
    "      Validate FILE as an encoded client-sessions trailer of capacity N (1..1048576,\n"
    "      exactly 264*N bytes) and print one JSON object per occupied slot:\n"
    "        {\"slot\":0,\"client\":\"<hex>\",\"session\":10,\"commit\":10,\"op\":10,\n"
    "         \"request\":1,\"operation\":0,\"timestamp\":1000,\"checksum\":\"<hex>\"}\n"
    "      u128 values are 32 hex digits, most significant first. On invalid input,\n"
    "      prints 'error: <rule> at slot <i>' to stderr and exits 1.\n"
    "\n"
    "  decode-blocks --block-size SIZE --reference REF FILE...\n"
    "      Read a trailer from its blocks, check every block and the whole trailer\n"
    "      (docs/FORMAT.md section 4), then decode it as above; clients_max is the\n"
    "      trailer size / 264. The block size is a power of two in 512..1048576 (1M).\n"
    "      Each FILE holds one or more blocks back to back, SIZE bytes each (the last one\n"
    "      in a file may stop after its header.size bytes); a block is found by the\n"
    "      address in its header (blocks with address 0 are skipped as free space).\n"
    "      FILEs are streamed: memory holds an index of the blocks (24 bytes each, at\n"
    "      most 4194304 blocks with an address: more is 'too large') and the trailer's\n"
    "      own blocks, never whole files; '-' (standard input) is spooled to a\n"
    "      temporary file. Character devices other than /dev/null are refused (they\n"
    "      may never end).\n"
    "      REF is the trailer reference as four fields\n"
    "        SIZE:CHECKSUM:LAST_BLOCK_ADDRESS:LAST_BLOCK_CHECKSUM\n"
    "      (two numbers, and two checksums of 1 to 32 hex digits as encode-blocks prints\n"
    "      them), or @PATH to read that line from a file.\n"
    "      On invalid input, prints 'error: <rule> at block <address>' and exits 1.\n"
    "\n"
    "  encode-blocks --block-size SIZE [--cluster C] [--release R] [--first-address A]\n"
    "                TRAILER OUT\n"
    "      Split the trailer in file TRAILER into blocks (addresses A, A+1, ...;\n"
    "      default A=1, C=0, R=1), write them back to back to OUT and print the\n"
    "      reference in the REF form above. C is a number below 2^128 (0x and 32 hex\n"
    "      digits for a cluster id as TigerBeetle prints it), R in 1..4294967295, A any\n"
    "      number from 1 such that the last block's address A+blocks-1 is below 2^64.\n"
    "      TRAILER must be a valid trailer: 264*N bytes with N in 1..1048576 that\n"
    "      decode (else exit 1: 'too large', or the rule it breaks).\n"
    "      OUT must be a regular file or a path that does not exist yet; anything else\n"
    "      (a symbolic link, a device such as /dev/null, a FIFO, a directory) is refused\n"
    "      (exit 2): nothing is ever written through it. OUT may not be TRAILER itself,\n"
    "      by any name (a hard or symbolic link to it), nor '-' (standard output carries\n"
    "      REF; for a file named -, write ./-). The blocks go to a temporary file next to\n"
    "      OUT, synced; REF is written to standard output; only then is the temporary\n"
    "      file renamed to OUT. An error at any step (a full disk, standard output that\n"
    "      cannot be written) leaves no partial OUT and an existing OUT byte for byte as\n"
    "      it was.\n"
    "\n"
    "decode, decode-blocks and encode-blocks (which decodes TRAILER to check it) index\n"
    "the table with a hash seed from getrandom(2) (or /dev/urandom), fresh per run, so\n"
    "that no input can be crafted against it; with no source of entropy they fail\n"
    "(exit 1). The seed never changes an answer.\n"
    "\n"
    "Options:\n"
    "  -h, --help     this text (also after a command)\n"
    "  --version      print the version\n"
    "\n"
    "Exit status: 0 valid, 1 invalid or unreadable input (or output that cannot be\n"
    "written), 2 bad usage.\n"
    "\n"
    "Numbers and flags:\n";

/* ---- files ---- */

typedef struct buffer {
    uint8_t *bytes;
    size_t size;
    bool more;    /* the input went on past the limit */
    bool regular; /* a regular file: file_size is its size */
    uint64_t file_size;
    dev_t device; /* the file read, as fstat saw it */
    ino_t inode;
} buffer;

/* Opens path ("-" = standard input); fills *st. NULL (and a message) on error. */
static FILE *input_open(const char *path, struct stat *st) {
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "error: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(file), st) != 0) {
        fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
        if (file != stdin) fclose(file);
        return NULL;
    }
    return file;
}

static void input_close(FILE *file) {
    if (file != stdin) fclose(file);
}

/* An input that may never end (/dev/zero, a terminal: a character device other than
 * /dev/null) is refused where it would be read to its end; the message says why. */
static bool input_endless(const char *path, const struct stat *st, const char *remedy) {
    if (!S_ISCHR(st->st_mode)) return false;
    struct stat null;
    if (stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) && null.st_rdev == st->st_rdev) {
        return false;
    }
    fprintf(stderr,
            "error: %s is a character device (such as /dev/zero or a terminal), which may "
            "never end%s\n",
            path, remedy);
    return true;
}

/* Reads at most limit bytes of path ("-" = standard input); out->more says whether the
 * input went on past them. */
static bool file_read_at_most(const char *path, size_t limit, buffer *out) {
    struct stat st;
    FILE *file = input_open(path, &st);
    if (file == NULL) return false;
    memset(out, 0, sizeof(*out));
    out->device = st.st_dev;
    out->inode = st.st_ino;
    out->regular = S_ISREG(st.st_mode);
    out->file_size = out->regular ? (uint64_t)st.st_size : 0;
    if (out->regular && out->file_size > limit) { /* too large, known without reading it */
        input_close(file);
        out->more = true;
        return true;
    }
    size_t capacity = 1 << 16, size = 0;
    uint8_t *bytes = malloc(capacity);
    bool ok = bytes != NULL;
    if (!ok) fprintf(stderr, "error: %s: out of memory\n", path);
    while (ok && size <= limit) {
        if (size == capacity) {
            uint8_t *grown = capacity <= SIZE_MAX / 2 ? realloc(bytes, capacity * 2) : NULL;
            if (grown == NULL) {
                fprintf(stderr, "error: %s: out of memory\n", path);
                ok = false;
                break;
            }
            bytes = grown;
            capacity *= 2;
        }
        /* One byte past the limit tells whether there is more. */
        size_t room = limit - size + 1;
        size_t want = capacity - size < room ? capacity - size : room;
        size_t got = fread(bytes + size, 1, want, file);
        size += got;
        if (got == 0) break;
    }
    if (ok && ferror(file)) {
        fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
        ok = false;
    }
    input_close(file);
    if (!ok) {
        free(bytes);
        return false;
    }
    out->bytes = bytes;
    out->more = size > limit;
    out->size = out->more ? limit : size;
    return true;
}

/* "got 2000" for a regular file, else "got more than 1056": what an input past the limit
 * is known to hold. */
static void size_got(const buffer *input, uint64_t limit, char *out, size_t out_size) {
    if (!input->more) {
        snprintf(out, out_size, "got %zu", input->size);
    } else if (input->regular && input->file_size > limit) {
        snprintf(out, out_size, "got %" PRIu64, input->file_size);
    } else {
        snprintf(out, out_size, "got more than %" PRIu64, limit);
    }
}

/* Standard output is where the answer goes: failing to write it is an error. */
static int output_finish(int result) { return cli_stdout_close(PROGRAM) ? result : EXIT_INVALID; }

/* A fresh seed per run from the kernel: with a seed known in advance (say, 0), a crafted
 * trailer could put every client in one probe run and make decode quadratic. getrandom(2),
 * else /dev/urandom (a kernel without getrandom); with neither, false: never a seed an
 * attacker could know. No decision and no output depends on the seed. */
static bool hash_seed_random(uint64_t *seed) {
    ssize_t got;
    do {
        got = getrandom(seed, sizeof(*seed), 0);
    } while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof(*seed)) return true;
    int getrandom_error = got < 0 ? errno : EIO;
    FILE *random = fopen("/dev/urandom", "rb");
    int urandom_error = errno;
    if (random != NULL) {
        size_t read = fread(seed, sizeof(*seed), 1, random);
        urandom_error = read == 1 ? 0 : (ferror(random) ? errno : EIO);
        fclose(random);
        if (read == 1) return true;
    }
    fprintf(stderr,
            "error: no entropy for the hash seed: getrandom: %s; /dev/urandom: %s "
            "(a fixed seed would let a crafted input make decode quadratic)\n",
            strerror(getrandom_error), strerror(urandom_error));
    return false;
}

/* ---- parsing ---- */

/* SIZE:CHECKSUM:LAST_BLOCK_ADDRESS:LAST_BLOCK_CHECKSUM */
static bool reference_parse(const char *text, vsr_trailer_reference *reference) {
    char copy[REFERENCE_TEXT_MAX];
    if (strlen(text) >= sizeof(copy)) return false;
    strcpy(copy, text);
    size_t length = strcspn(copy, "\r\n");
    copy[length] = '\0';
    char *fields[4];
    char *cursor = copy;
    for (int i = 0; i < 4; i++) {
        fields[i] = cursor;
        char *colon = strchr(cursor, ':');
        if ((colon == NULL) != (i == 3)) return false;
        if (colon != NULL) {
            *colon = '\0';
            cursor = colon + 1;
        }
    }
    return cli_parse_u64(fields[0], &reference->size) &&
           vsr_u128_parse(fields[1], &reference->checksum) &&
           cli_parse_u64(fields[2], &reference->last_block_address) &&
           vsr_u128_parse(fields[3], &reference->last_block_checksum);
}

static void reference_print(const vsr_trailer_reference *reference) {
    char checksum[33], last[33];
    vsr_u128_format(reference->checksum, checksum);
    vsr_u128_format(reference->last_block_checksum, last);
    printf("%" PRIu64 ":%s:%" PRIu64 ":%s\n", reference->size, checksum,
           reference->last_block_address, last);
}

/* ---- the command line (cli/options.h: one grammar with client-sessions-sim) ---- */

enum {
    FLAG_MAX_BYTES = 256,
    FLAG_CLIENTS_MAX,
    FLAG_BLOCK_SIZE,
    FLAG_REFERENCE,
    FLAG_CLUSTER,
    FLAG_RELEASE,
    FLAG_FIRST_ADDRESS,
    FLAG_VERSION,
};

#define FLAG_HELP \
    { "help", no_argument, NULL, 'h' }
#define FLAG_END \
    { NULL, 0, NULL, 0 }

static const struct option global_flags[] = {
    FLAG_HELP, {"version", no_argument, NULL, FLAG_VERSION}, FLAG_END};
static const struct option checksum_flags[] = {
    {"max-bytes", required_argument, NULL, FLAG_MAX_BYTES}, FLAG_HELP, FLAG_END};
static const struct option decode_flags[] = {
    {"clients-max", required_argument, NULL, FLAG_CLIENTS_MAX}, FLAG_HELP, FLAG_END};
static const struct option decode_blocks_flags[] = {
    {"block-size", required_argument, NULL, FLAG_BLOCK_SIZE},
    {"reference", required_argument, NULL, FLAG_REFERENCE},
    FLAG_HELP,
    FLAG_END};
static const struct option encode_blocks_flags[] = {
    {"block-size", required_argument, NULL, FLAG_BLOCK_SIZE},
    {"cluster", required_argument, NULL, FLAG_CLUSTER},
    {"release", required_argument, NULL, FLAG_RELEASE},
    {"first-address", required_argument, NULL, FLAG_FIRST_ADDRESS},
    FLAG_HELP,
    FLAG_END};

/* A command's flags and arguments, as parsed. */
typedef struct command_args {
    const char *name;
    uint64_t max_bytes; /* checksum: with bounded */
    bool bounded;
    uint32_t clients_max;
    uint32_t block_size;
    const char *reference;
    vsr_u128 cluster;
    uint32_t release;
    uint64_t first_address;
    const char **paths; /* the arguments, in order */
    int path_count;
} command_args;

static int help_print(void) {
    fputs(usage_text, stdout);
    fputs(cli_grammar_help, stdout);
    return 0;
}

/* One flag's value into args; EXIT_USAGE (after the message) when it is not one. */
static int flag_value(const cli_parser *p, int flag, command_args *args) {
    uint64_t number = 0;
    switch (flag) {
    case FLAG_MAX_BYTES:
        args->bounded = true;
        return cli_value_size(p, 0, UINT64_MAX, &args->max_bytes) ? 0 : EXIT_USAGE;
    case FLAG_CLIENTS_MAX:
        if (!cli_value_u64(p, 1, CLIENT_SESSIONS_CLIENTS_MAX_LIMIT, &number)) return EXIT_USAGE;
        args->clients_max = (uint32_t)number;
        return 0;
    case FLAG_BLOCK_SIZE:
        if (!cli_parse_size(p->value, &number) || number > UINT32_MAX ||
            !vsr_block_size_valid((uint32_t)number)) {
            return cli_value_error(p, "a power of two in 512..1048576 (such as 4096 or 4K)");
        }
        args->block_size = (uint32_t)number;
        return 0;
    case FLAG_REFERENCE: args->reference = p->value; return 0;
    case FLAG_CLUSTER:
        return cli_parse_u128(p->value, &args->cluster)
                   ? 0
                   : cli_value_error(p, "a number below 2^128");
    case FLAG_RELEASE:
        if (!cli_value_u64(p, 1, UINT32_MAX, &number)) return EXIT_USAGE;
        args->release = (uint32_t)number;
        return 0;
    case FLAG_FIRST_ADDRESS:
        return cli_value_u64(p, 1, UINT64_MAX, &args->first_address) ? 0 : EXIT_USAGE;
    default: abort(); /* a flag in a table above has no case here */
    }
}

/* argv[0] is the command; -1 when args are parsed, else the exit status (--help, errors). */
static int args_parse(int argc, char **argv, const struct option *flags, command_args *args) {
    memset(args, 0, sizeof(*args));
    args->name = argv[0];
    args->release = 1;
    args->first_address = 1;
    args->paths = calloc((size_t)argc + 1, sizeof(char *));
    if (args->paths == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return EXIT_INVALID;
    }
    cli_parser p;
    cli_parser_init(&p, PROGRAM, argc, argv, flags);
    for (int flag; (flag = cli_next(&p)) != CLI_END;) {
        if (flag == CLI_FAILED) return EXIT_USAGE;
        if (flag == 'h') return help_print();
        if (flag == CLI_ARGUMENT) {
            args->paths[args->path_count++] = p.value;
            continue;
        }
        int status = flag_value(&p, flag, args);
        if (status != 0) return status;
    }
    return -1;
}

/* The arguments a command takes: exactly count of them, named names (for the message). */
static bool args_count(const command_args *args, int count, const char *names) {
    if (args->path_count == count) return true;
    if (args->path_count < count) {
        cli_usage_error(PROGRAM, "%s needs %s", args->name, names);
    } else {
        cli_usage_error(PROGRAM, "%s takes %s, got also '%s'", args->name, names,
                        args->paths[count]);
    }
    return false;
}

/* ---- commands ---- */

static int command_checksum(const command_args *args) {
    if (!args_count(args, 1, "one FILE")) return EXIT_USAGE;
    const char *path = args->paths[0];
    uint64_t max_bytes = args->max_bytes;
    bool bounded = args->bounded;
    struct stat st;
    FILE *file = input_open(path, &st);
    if (file == NULL) return EXIT_INVALID;
    if (!bounded && input_endless(path, &st, ": give --max-bytes N to read at most N bytes")) {
        input_close(file);
        return EXIT_INVALID;
    }
    uint8_t *chunk = malloc(CHUNK_SIZE);
    if (chunk == NULL) {
        fprintf(stderr, "error: out of memory\n");
        input_close(file);
        return EXIT_INVALID;
    }
    vsr_checksum_stream stream;
    vsr_checksum_stream_init(&stream);
    uint64_t total = 0;
    int result = 0;
    for (;;) {
        size_t want = CHUNK_SIZE;
        /* With a bound, read one byte past it at most: enough to know it was passed. */
        if (bounded && max_bytes - total + 1 < want) want = (size_t)(max_bytes - total + 1);
        size_t got = fread(chunk, 1, want, file);
        if (got == 0) break;
        total += got;
        if (bounded && total > max_bytes) {
            fprintf(stderr, "error: %s is longer than --max-bytes %" PRIu64 "\n", path, max_bytes);
            result = EXIT_INVALID;
            break;
        }
        vsr_checksum_stream_add(&stream, chunk, got);
    }
    if (result == 0 && ferror(file)) {
        fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
        result = EXIT_INVALID;
    }
    free(chunk);
    input_close(file);
    if (result != 0) return result;
    char hex[33];
    vsr_u128_format(vsr_checksum_stream_final(&stream), hex);
    printf("%s\n", hex);
    return 0;
}

static void entry_print(const client_sessions_entry *entry) {
    const vsr_header_reply *h = entry->header;
    char client[33], checksum[33];
    vsr_u128_format(h->client, client);
    vsr_u128_format(h->checksum, checksum);
    printf("{\"slot\":%" PRIu32 ",\"client\":\"%s\",\"session\":%" PRIu64 ",\"commit\":%" PRIu64
           ",\"op\":%" PRIu64 ",\"request\":%" PRIu32 ",\"operation\":%u,\"timestamp\":%" PRIu64
           ",\"checksum\":\"%s\"}\n",
           entry->slot, client, entry->session, h->commit, h->op, h->request,
           (unsigned)h->operation, h->timestamp, checksum);
}

/* Decodes bytes as a trailer of clients_max slots and prints it; the exit status. */
static int trailer_decode_print(const uint8_t *bytes, uint64_t size, uint32_t clients_max) {
    uint64_t hash_seed = 0;
    if (!hash_seed_random(&hash_seed)) return EXIT_INVALID;
    client_sessions *table = NULL;
    client_sessions_init_status status = client_sessions_init(&table, clients_max, hash_seed);
    if (status != CLIENT_SESSIONS_INIT_OK) {
        fprintf(stderr, "error: %s\n", client_sessions_init_status_text(status));
        return EXIT_INVALID;
    }
    vsr_error error = client_sessions_decode(table, bytes, size);
    int result = 0;
    if (error.code == VSR_ERROR_TRAILER_SIZE) {
        fprintf(stderr,
                "error: trailer_size: expected %" PRIu64 " bytes (%d * %" PRIu32 "), got %" PRIu64
                "\n",
                client_sessions_encode_size(clients_max), SLOT_SIZE, clients_max, size);
        result = EXIT_INVALID;
    } else if (error.code != VSR_ERROR_OK) {
        char text[128];
        fprintf(stderr, "error: %s (%s)\n", vsr_error_format(error, text, sizeof(text)),
                vsr_error_reason(error.code));
        result = EXIT_INVALID;
    } else {
        client_sessions_iterator it;
        client_sessions_entry entry;
        client_sessions_iterator_init(&it, table);
        while (client_sessions_iterator_next(&it, &entry)) entry_print(&entry);
    }
    client_sessions_deinit(table);
    return result;
}

static int command_decode(const command_args *args) {
    if (args->clients_max == 0) return cli_usage_error(PROGRAM, "decode needs --clients-max N");
    if (!args_count(args, 1, "one FILE")) return EXIT_USAGE;
    uint32_t clients_max = args->clients_max;
    const char *path = args->paths[0];
    uint64_t expected = client_sessions_encode_size(clients_max);
    buffer input;
    if (!file_read_at_most(path, expected, &input)) return EXIT_INVALID;
    int result;
    if (input.more) {
        char got[64];
        size_got(&input, expected, got, sizeof(got));
        fprintf(stderr, "error: trailer_size: expected %" PRIu64 " bytes (%d * %" PRIu32 "), %s\n",
                expected, SLOT_SIZE, clients_max, got);
        result = EXIT_INVALID;
    } else {
        result = trailer_decode_print(input.bytes, input.size, clients_max);
    }
    free(input.bytes);
    return result;
}

/* ---- decode-blocks: an index of the blocks, each read when the reader asks for it ---- */

typedef struct block_ref {
    uint64_t address;
    uint64_t offset; /* in its file, or in the spool */
    uint32_t file;   /* index into the set's files */
    uint32_t size;   /* readable bytes: block_size, or fewer for a file's last block */
} block_ref;

typedef struct block_set {
    block_ref *blocks;
    size_t count;
    size_t capacity;
    FILE **files; /* one per FILE (NULL when spooled), then the spool */
    const char **names;
    uint32_t file_count;
    uint32_t block_size;
    uint64_t spool_size;
    /* The blocks the reader asked for, each in its own slot: they stay valid until
     * vsr_trailer_read returns, as vsr_block_lookup requires. */
    uint8_t *arena;
    uint64_t arena_slots;
    uint64_t arena_used;
    bool read_failed;
} block_set;

static int block_ref_compare(const void *a, const void *b) {
    uint64_t address_a = ((const block_ref *)a)->address;
    uint64_t address_b = ((const block_ref *)b)->address;
    return (address_a > address_b) - (address_a < address_b);
}

static bool block_set_lookup(void *context, uint64_t address, const void **bytes, size_t *size) {
    block_set *set = context;
    block_ref key = {address, 0, 0, 0};
    const block_ref *found =
        bsearch(&key, set->blocks, set->count, sizeof(block_ref), block_ref_compare);
    if (found == NULL || set->arena_used == set->arena_slots) return false;
    uint8_t *slot = set->arena + set->arena_used * set->block_size;
    FILE *file = set->files[found->file];
    size_t done = 0;
    while (done < found->size) {
        ssize_t got =
            pread(fileno(file), slot + done, found->size - done, (off_t)(found->offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            fprintf(stderr, "error: cannot read block %" PRIu64 " of %s again: %s\n", address,
                    set->names[found->file], got < 0 ? strerror(errno) : "the file shrank");
            set->read_failed = true;
            return false;
        }
        done += (size_t)got;
    }
    set->arena_used++;
    *bytes = slot;
    *size = found->size;
    return true;
}

/* Sorts the blocks by address for lookup; two blocks claiming one address is an error. */
static bool block_set_seal(block_set *set) {
    if (set->count == 0) {
        fprintf(stderr, "error: no blocks in the given files\n");
        return false;
    }
    qsort(set->blocks, set->count, sizeof(block_ref), block_ref_compare);
    for (size_t i = 1; i < set->count; i++) {
        if (set->blocks[i].address == set->blocks[i - 1].address) {
            fprintf(stderr, "error: two blocks claim address %" PRIu64 "\n",
                    set->blocks[i].address);
            return false;
        }
    }
    return true;
}

static bool block_set_append(block_set *set, block_ref ref) {
    if (set->count == INDEX_BLOCKS_MAX) {
        fprintf(stderr,
                "error: too large: more than %d blocks with an address in the given files; "
                "pass only the blocks that can hold the trailer\n",
                INDEX_BLOCKS_MAX);
        return false;
    }
    if (set->count == set->capacity) { /* grows geometrically: appending is O(1) amortised */
        size_t capacity = set->capacity == 0 ? 1024 : set->capacity * 2;
        block_ref *grown = realloc(set->blocks, capacity * sizeof(block_ref));
        if (grown == NULL) {
            fprintf(stderr, "error: out of memory\n");
            return false;
        }
        set->blocks = grown;
        set->capacity = capacity;
    }
    set->blocks[set->count++] = ref;
    return true;
}

/* Streams FILE number index into the index: block_size bytes at a time, blocks with
 * address 0 skipped (docs/FORMAT.md section 2b: free space in an image). An input that cannot be
 * read again by offset (a pipe, standard input) has its blocks copied to the spool. */
static bool block_set_index(block_set *set, const char *path, uint32_t index, uint8_t *chunk,
                            size_t chunk_size) {
    struct stat st;
    FILE *file = input_open(path, &st);
    if (file == NULL) return false;
    if (input_endless(path, &st, "")) {
        input_close(file);
        return false;
    }
    bool seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
    FILE *spool = set->files[set->file_count];
    if (!seekable && spool == NULL) {
        spool = set->files[set->file_count] = tmpfile();
        if (spool == NULL) {
            fprintf(stderr, "error: cannot create a temporary file to spool %s: %s\n", path,
                    strerror(errno));
            input_close(file);
            return false;
        }
    }
    set->files[index] = seekable ? file : NULL;
    /* Where reading starts (standard input may be a file read partway already). */
    off_t start = seekable ? ftello(file) : 0;
    uint64_t offset = start > 0 ? (uint64_t)start : 0;
    bool ok = true;
    size_t got;
    while (ok && (got = fread(chunk, 1, chunk_size, file)) > 0) {
        for (size_t at = 0; ok && at < got; at += set->block_size) {
            size_t size = got - at < set->block_size ? got - at : set->block_size;
            if (size < VSR_HEADER_SIZE) {
                fprintf(stderr,
                        "error: %s: %zu trailing bytes at offset %" PRIu64 " are not a block\n",
                        path, size, offset + at);
                ok = false;
                break;
            }
            uint64_t address;
            memcpy(&address, chunk + at + offsetof(vsr_header_block, address), sizeof(address));
            if (address == 0) continue;
            block_ref ref = {address, offset + at, index, (uint32_t)size};
            if (!seekable) {
                ref.offset = set->spool_size;
                ref.file = set->file_count;
                if (fwrite(chunk + at, 1, size, spool) != size) {
                    fprintf(stderr, "error: cannot spool %s: %s\n", path, strerror(errno));
                    ok = false;
                    break;
                }
                set->spool_size += size;
            }
            ok = block_set_append(set, ref);
        }
        offset += got;
    }
    if (ok && ferror(file)) {
        fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
        ok = false;
    }
    if (!seekable) input_close(file);
    if (ok && !seekable && fflush(spool) != 0) {
        fprintf(stderr, "error: cannot spool %s: %s\n", path, strerror(errno));
        ok = false;
    }
    return ok;
}

static void block_set_close(block_set *set) {
    for (uint32_t i = 0; set->files != NULL && i <= set->file_count; i++) {
        if (set->files[i] != NULL) input_close(set->files[i]);
    }
    free(set->files);
    free(set->names);
    free(set->blocks);
    free(set->arena);
}

/* The exit status: 0 parsed, EXIT_INVALID the @PATH file cannot be read, EXIT_USAGE bad text. */
static int reference_argument(const char *text, vsr_trailer_reference *reference) {
    if (text[0] != '@') return reference_parse(text, reference) ? 0 : EXIT_USAGE;
    buffer file;
    char line[REFERENCE_TEXT_MAX] = {0};
    if (!file_read_at_most(text + 1, sizeof(line) - 1, &file)) return EXIT_INVALID;
    bool fits = !file.more;
    if (fits && file.size > 0) memcpy(line, file.bytes, file.size);
    free(file.bytes);
    return fits && reference_parse(line, reference) ? 0 : EXIT_USAGE;
}

static int blocks_decode(const vsr_trailer_reference *reference, block_set *set) {
    uint64_t clients_max = reference->size / SLOT_SIZE;
    if (reference->size % SLOT_SIZE != 0 || clients_max == 0 ||
        clients_max > CLIENT_SESSIONS_CLIENTS_MAX_LIMIT) {
        fprintf(stderr,
                "error: trailer_size: reference size %" PRIu64
                " is not %d * clients_max with clients_max in 1..%d\n",
                reference->size, SLOT_SIZE, CLIENT_SESSIONS_CLIENTS_MAX_LIMIT);
        return EXIT_INVALID;
    }
    /* One slot per block the reader asks for: at most the trailer's block count, and never
     * more than the files hold. */
    set->arena_slots = vsr_trailer_block_count(reference->size, set->block_size);
    if (set->arena_slots > set->count) set->arena_slots = set->count;
    set->arena = malloc((size_t)(set->arena_slots * set->block_size));
    uint8_t *trailer = malloc(reference->size);
    if (trailer == NULL || set->arena == NULL) {
        fprintf(stderr, "error: out of memory\n");
        free(trailer);
        return EXIT_INVALID;
    }
    vsr_error error = vsr_trailer_read(reference, set->block_size, block_set_lookup, set, trailer,
                                       reference->size);
    int result;
    if (set->read_failed) {
        result = EXIT_INVALID;
    } else if (error.code != VSR_ERROR_OK) {
        char text[128];
        fprintf(stderr, "error: %s (%s)\n", vsr_error_format(error, text, sizeof(text)),
                vsr_error_reason(error.code));
        result = EXIT_INVALID;
    } else {
        result = trailer_decode_print(trailer, reference->size, (uint32_t)clients_max);
    }
    free(trailer);
    return result;
}

static int command_decode_blocks(const command_args *args) {
    uint32_t block_size = args->block_size;
    const char *reference_text = args->reference;
    const char **paths = args->paths;
    int file_count = args->path_count;
    if (block_size == 0) return cli_usage_error(PROGRAM, "decode-blocks needs --block-size SIZE");
    if (reference_text == NULL)
        return cli_usage_error(PROGRAM, "decode-blocks needs --reference REF");
    if (file_count == 0) return cli_usage_error(PROGRAM, "decode-blocks needs at least one FILE");
    vsr_trailer_reference reference;
    int parsed = reference_argument(reference_text, &reference);
    if (parsed == EXIT_INVALID) return EXIT_INVALID;
    if (parsed != 0) {
        return cli_usage_error(PROGRAM,
                               "--reference needs SIZE:CHECKSUM:LAST_BLOCK_ADDRESS:"
                               "LAST_BLOCK_CHECKSUM or @PATH, not '%s'",
                               reference_text);
    }
    block_set set = {0};
    set.block_size = block_size;
    set.file_count = (uint32_t)file_count;
    set.files = calloc((size_t)file_count + 1, sizeof(FILE *));
    set.names = calloc((size_t)file_count + 1, sizeof(char *));
    /* Whole blocks per read: a chunk of at least one block. */
    size_t chunk_size = CHUNK_SIZE < block_size ? block_size : CHUNK_SIZE;
    uint8_t *chunk = malloc(chunk_size);
    int result = 0;
    if (set.files == NULL || set.names == NULL || chunk == NULL) {
        fprintf(stderr, "error: out of memory\n");
        result = EXIT_INVALID;
    }
    for (int i = 0; i < file_count && result == 0; i++) {
        set.names[i] = paths[i];
        if (!block_set_index(&set, paths[i], (uint32_t)i, chunk, chunk_size)) {
            result = EXIT_INVALID;
        }
    }
    if (set.names != NULL) set.names[file_count] = "a spooled input";
    free(chunk);
    if (result == 0 && !block_set_seal(&set)) result = EXIT_INVALID;
    if (result == 0) result = blocks_decode(&reference, &set);
    block_set_close(&set);
    return result;
}

/* ---- encode-blocks ---- */

/* What stands at OUT before anything is written: nothing, or a regular file. */
typedef struct out_state {
    bool exists;
    struct stat st; /* lstat of OUT, when it exists */
} out_state;

static const char *file_kind(mode_t mode) {
    if (S_ISLNK(mode)) return "symbolic link";
    if (S_ISCHR(mode)) return "character device";
    if (S_ISBLK(mode)) return "block device";
    if (S_ISFIFO(mode)) return "FIFO";
    if (S_ISSOCK(mode)) return "socket";
    if (S_ISDIR(mode)) return "directory";
    return "file that is not a regular file";
}

/* 0 when OUT may be replaced by a rename (nothing there, or a regular file); else the
 * status, after the message. A link is never followed: a symbolic link is refused. */
static int out_inspect(const char *path, out_state *out) {
    memset(out, 0, sizeof(*out));
    if (lstat(path, &out->st) != 0) {
        if (errno == ENOENT) return 0;
        fprintf(stderr, "error: cannot inspect OUT %s: %s\n", path, strerror(errno));
        return EXIT_INVALID;
    }
    out->exists = true;
    if (S_ISREG(out->st.st_mode)) return 0;
    return cli_usage_error(PROGRAM,
                           "encode-blocks: OUT %s is a %s: OUT must be a regular file or a path "
                           "that does not exist (it is replaced by renaming a temporary file, "
                           "and nothing is written through a device, a FIFO or a link)",
                           path, file_kind(out->st.st_mode));
}

/* Whether what stands at OUT now is what out_inspect saw (the same file, or still nothing). */
static bool out_unchanged(const char *path, const out_state *before) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT && !before->exists;
    return before->exists && S_ISREG(st.st_mode) && st.st_dev == before->st.st_dev &&
           st.st_ino == before->st.st_ino;
}

/* Writes bytes to a new temporary file next to path, synced and closed, with the mode of
 * the file it replaces (or of a new file); *temp gets its name. False after the message. */
static bool temp_write(const char *path, const out_state *out, const uint8_t *bytes, size_t size,
                       char **temp) {
    size_t length = strlen(path) + sizeof(".tmp-XXXXXX");
    *temp = malloc(length);
    if (*temp == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return false;
    }
    snprintf(*temp, length, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(*temp);
    if (fd < 0) {
        fprintf(stderr, "error: cannot create a temporary file for %s: %s\n", path,
                strerror(errno));
        return false;
    }
    mode_t mask = umask(0);
    umask(mask);
    mode_t mode = out->exists ? (out->st.st_mode & 07777) : (0666 & ~mask);
    bool ok = fchmod(fd, mode) == 0;
    const char *failed = "set the mode of";
    for (size_t done = 0; ok && done < size;) {
        ssize_t wrote = write(fd, bytes + done, size - done);
        if (wrote < 0 && errno == EINTR) continue;
        ok = wrote > 0;
        failed = "write";
        if (ok) done += (size_t)wrote;
    }
    if (ok) {
        ok = fsync(fd) == 0;
        failed = "sync";
    }
    int saved = errno;
    if (close(fd) != 0 && ok) {
        saved = errno;
        ok = false;
        failed = "write";
    }
    if (!ok) {
        unlink(*temp);
        fprintf(stderr, "error: cannot %s %s: %s\n", failed, path, strerror(saved));
    }
    return ok;
}

/* Renames temp to path, if path still holds what out_inspect saw (a new path is never
 * taken over from someone who created it meanwhile); removes temp on any error. */
static bool temp_commit(const char *temp, const char *path, const out_state *before) {
    if (!out_unchanged(path, before)) {
        fprintf(stderr, "error: OUT %s changed while the blocks were written: left as it is\n",
                path);
        unlink(temp);
        return false;
    }
    int renamed = before->exists ? rename(temp, path)
                                 : renameat2(AT_FDCWD, temp, AT_FDCWD, path, RENAME_NOREPLACE);
    if (renamed != 0 && !before->exists && errno == EINVAL) { /* no RENAME_NOREPLACE here */
        renamed = rename(temp, path);
    }
    if (renamed != 0) {
        fprintf(stderr, "error: cannot rename a temporary file to %s: %s\n", path, strerror(errno));
        unlink(temp);
        return false;
    }
    char *copy = strdup(path); /* the rename itself is durable once the directory is synced */
    int dir = copy != NULL ? open(dirname(copy), O_RDONLY | O_DIRECTORY) : -1;
    if (dir >= 0) {
        fsync(dir);
        close(dir);
    }
    free(copy);
    return true;
}

/* A trailer is SLOT_SIZE * N bytes, N in 1..2^20, and decodes (docs/FORMAT.md section 3). */
static bool trailer_valid(const char *path, const buffer *trailer) {
    uint64_t limit = client_sessions_encode_size(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT);
    if (trailer->more) {
        char got[64];
        size_got(trailer, limit, got, sizeof(got));
        fprintf(stderr,
                "error: %s is too large for a trailer: at most %" PRIu64
                " bytes (%d * %d slots), %s\n",
                path, limit, SLOT_SIZE, CLIENT_SESSIONS_CLIENTS_MAX_LIMIT, got);
        return false;
    }
    if (trailer->size == 0 || trailer->size % SLOT_SIZE != 0) {
        fprintf(stderr,
                "error: %s is not a trailer: %zu bytes is not %d * clients_max with "
                "clients_max in 1..%d\n",
                path, trailer->size, SLOT_SIZE, CLIENT_SESSIONS_CLIENTS_MAX_LIMIT);
        return false;
    }
    uint64_t hash_seed = 0;
    if (!hash_seed_random(&hash_seed)) return false;
    client_sessions *table = NULL;
    uint32_t clients_max = (uint32_t)(trailer->size / SLOT_SIZE);
    client_sessions_init_status status = client_sessions_init(&table, clients_max, hash_seed);
    if (status != CLIENT_SESSIONS_INIT_OK) {
        fprintf(stderr, "error: %s\n", client_sessions_init_status_text(status));
        return false;
    }
    vsr_error error = client_sessions_decode(table, trailer->bytes, trailer->size);
    client_sessions_deinit(table);
    if (error.code != VSR_ERROR_OK) {
        char text[128];
        fprintf(stderr, "error: %s is not a valid trailer of %" PRIu32 " slots: %s (%s)\n", path,
                clients_max, vsr_error_format(error, text, sizeof(text)),
                vsr_error_reason(error.code));
        return false;
    }
    return true;
}

/* Whether the blocks' addresses A .. A + count - 1 all fit in a u64 (a message if not). */
static bool addresses_fit(uint64_t first_address, uint64_t count) {
    if (count - 1 <= UINT64_MAX - first_address) return true;
    fprintf(stderr,
            "error: --first-address %" PRIu64 ": the trailer's %" PRIu64
            " blocks need the addresses A to A + %" PRIu64 ", past %" PRIu64
            "; --first-address may be at most %" PRIu64 " for it\n",
            first_address, count, count - 1, UINT64_MAX, UINT64_MAX - (count - 1));
    return false;
}

/* Encodes, writes the blocks to a synced temporary file, prints REF and only then renames
 * the file to OUT: whatever fails, OUT is as out_inspect saw it. */
static int blocks_encode(const buffer *trailer, const command_args *args, const out_state *out) {
    const char *out_path = args->paths[1];
    uint64_t count = vsr_trailer_block_count(trailer->size, args->block_size);
    uint64_t *addresses = calloc(count, sizeof(uint64_t));
    uint8_t *blocks = calloc(count, args->block_size);
    char *temp = NULL;
    bool ok = addresses != NULL && blocks != NULL;
    if (!ok) fprintf(stderr, "error: out of memory\n");
    vsr_trailer_reference reference;
    if (ok) {
        for (uint64_t i = 0; i < count; i++) addresses[i] = args->first_address + i;
        vsr_trailer_write(trailer->bytes, trailer->size, args->block_size, args->cluster,
                          args->release, addresses, blocks, &reference);
        ok = temp_write(out_path, out, blocks, (size_t)(count * args->block_size), &temp);
    }
    if (ok) {
        reference_print(&reference);
        errno = 0;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr,
                    "error: cannot write the reference to standard output: %s; %s is left as "
                    "it was\n",
                    errno != 0 ? strerror(errno) : "a write error", out_path);
            unlink(temp);
            ok = false;
            __fpurge(stdout); /* said once, here: nothing is left to write */
            clearerr(stdout);
        }
    }
    if (ok) ok = temp_commit(temp, out_path, out);
    free(temp);
    free(addresses);
    free(blocks);
    return ok ? 0 : EXIT_INVALID;
}

/* The checks that need no trailer: the flags, OUT's name and what stands there. */
static int encode_args_check(const command_args *args, out_state *out) {
    if (args->block_size == 0) {
        return cli_usage_error(PROGRAM, "encode-blocks needs --block-size SIZE");
    }
    if (!args_count(args, 2, "TRAILER and OUT")) return EXIT_USAGE;
    if (strcmp(args->paths[1], "-") == 0) {
        return cli_usage_error(PROGRAM, "encode-blocks: OUT may not be '-': standard output "
                                        "carries the reference (for a file named -, write ./-)");
    }
    return out_inspect(args->paths[1], out);
}

static int command_encode_blocks(const command_args *args) {
    out_state out;
    memset(&out, 0, sizeof(out));
    int result = encode_args_check(args, &out);
    if (result != 0) return result;
    const char *trailer_path = args->paths[0];
    struct stat st;
    if (stat(trailer_path, &st) == 0 && input_endless(trailer_path, &st, ": not a trailer")) {
        return EXIT_INVALID;
    }
    buffer trailer;
    uint64_t limit = client_sessions_encode_size(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT);
    if (!file_read_at_most(trailer_path, (size_t)limit, &trailer)) return EXIT_INVALID;
    if (out.exists && trailer.device == out.st.st_dev && trailer.inode == out.st.st_ino) {
        result = cli_usage_error(PROGRAM,
                                 "encode-blocks: OUT %s is TRAILER %s itself (the same file, "
                                 "through a link or another name): give another OUT",
                                 args->paths[1], trailer_path);
    } else if (!trailer_valid(trailer_path, &trailer) ||
               !addresses_fit(args->first_address,
                              vsr_trailer_block_count(trailer.size, args->block_size))) {
        result = EXIT_INVALID;
    } else {
        /* A reader of standard output that went away: an error to clean up after, not a
         * signal that would leave the temporary file behind. */
        signal(SIGPIPE, SIG_IGN);
        result = blocks_encode(&trailer, args, &out);
    }
    free(trailer.bytes);
    return result;
}

/* ---- main ---- */

typedef struct command {
    const char *name;
    const struct option *flags;
    int (*run)(const command_args *args);
} command;

static const command commands[] = {
    {"checksum", checksum_flags, command_checksum},
    {"decode", decode_flags, command_decode},
    {"decode-blocks", decode_blocks_flags, command_decode_blocks},
    {"encode-blocks", encode_blocks_flags, command_encode_blocks},
};

/* client-sessions --help, --version (no command). */
static int global_options(int argc, char **argv) {
    cli_parser p;
    cli_parser_init(&p, PROGRAM, argc, argv, global_flags);
    int flag = cli_next(&p);
    if (flag == CLI_FAILED) return EXIT_USAGE;
    if (flag == 'h') return help_print();
    if (flag == FLAG_VERSION) {
        printf("client-sessions %s (checksum: %s)\n", VSR_VERSION_STRING,
               vsr_checksum_impl_name(vsr_checksum_impl_selected()));
        return 0;
    }
    return cli_usage_error(PROGRAM, "the command comes first: client-sessions COMMAND [OPTIONS]");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_text, stderr);
        fputs(cli_grammar_help, stderr);
        return EXIT_USAGE;
    }
    if (argv[1][0] == '-') return output_finish(global_options(argc, argv));
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        command_args args;
        int result = args_parse(argc - 1, argv + 1, commands[i].flags, &args);
        if (result < 0) result = commands[i].run(&args);
        free(args.paths);
        return output_finish(result);
    }
    return cli_usage_error(PROGRAM, "unknown command '%s'", argv[1]);
}
