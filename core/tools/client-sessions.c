/*
 * client-sessions: inspect checksums, trailers and trailer blocks of a real system.
 * Exit 0 on success, 1 when the input is invalid or unreadable, 2 on bad usage.
 */
#define _GNU_SOURCE /* getrandom, fileno, mkstemp, fchmod */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_sessions.h"
#include "vsr_checksum_impl.h"

enum { EXIT_INVALID = 1, EXIT_USAGE = 2 };

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
    "  checksum [--max-bytes N] FILE\n"
    "      Print the checksum (AEGIS-128L MAC, docs/FORMAT.md section 1) of FILE as 32 lowercase "
    "hex\n"
    "      digits, most significant first. FILE may be - for standard input. The input\n"
    "      is streamed to its end, whatever its size. A character device other than\n"
    "      /dev/null (such as /dev/zero, or a terminal as standard input) may never\n"
    "      end: it is refused unless --max-bytes N is given; with --max-bytes, an\n"
    "      input longer than N bytes is an error (exit 1), never the checksum of a\n"
    "      prefix. N may end in K, M, G or T (powers of 1024).\n"
    "\n"
    "  decode --clients-max N FILE\n"
    "      Validate FILE as an encoded client-sessions trailer of capacity N (exactly\n"
    "      264*N bytes) and print one JSON object per occupied slot:\n"
    "        {\"slot\":0,\"client\":\"<hex>\",\"session\":10,\"commit\":10,\"op\":10,\n"
    "         \"request\":1,\"operation\":0,\"timestamp\":1000,\"checksum\":\"<hex>\"}\n"
    "      u128 values are 32 hex digits, most significant first. On invalid input,\n"
    "      prints 'error: <rule> at slot <i>' to stderr and exits 1.\n"
    "\n"
    "  decode-blocks --block-size B --reference REF FILE...\n"
    "      Read a trailer from its blocks, check every block and the whole trailer\n"
    "      (docs/FORMAT.md section 4), then decode it as above; clients_max is the trailer size / "
    "264.\n"
    "      Each FILE holds one or more blocks back to back, B bytes each (the last one\n"
    "      in a file may stop after its header.size bytes); a block is found by the\n"
    "      address in its header (blocks with address 0 are skipped as free space).\n"
    "      FILEs are streamed: memory holds an index of the blocks (24 bytes each, at\n"
    "      most 4194304 blocks with an address: more is 'too large') and the trailer's\n"
    "      own blocks, never whole files; '-' (standard input) is spooled to a\n"
    "      temporary file. Character devices other than /dev/null are refused (they\n"
    "      may never end).\n"
    "      REF is the trailer reference as four fields\n"
    "        SIZE:CHECKSUM:LAST_BLOCK_ADDRESS:LAST_BLOCK_CHECKSUM\n"
    "      (decimal, hex, decimal, hex), or @PATH to read that line from a file.\n"
    "      On invalid input, prints 'error: <rule> at block <address>' and exits 1.\n"
    "\n"
    "  encode-blocks --block-size B [--cluster C] [--release R] [--first-address A]\n"
    "                TRAILER OUT\n"
    "      Split the trailer in file TRAILER into blocks (addresses A, A+1, ...;\n"
    "      default A=1, C=0, R=1), write them back to back to OUT and print the\n"
    "      reference in the REF form above. TRAILER must be a valid trailer: 264*N\n"
    "      bytes with N in 1..1048576 that decode (else exit 1: 'too large', or the\n"
    "      rule it breaks). OUT is written to a temporary file in its directory,\n"
    "      synced, then renamed: an error (a full disk) leaves no partial OUT and an\n"
    "      existing OUT untouched. OUT may not be '-' (standard output carries REF).\n"
    "\n"
    "decode, decode-blocks and encode-blocks (which decodes TRAILER to check it) index\n"
    "the table with a hash seed from getrandom(2) (or /dev/urandom), fresh per run, so\n"
    "that no input can be crafted against it; with no source of entropy they fail\n"
    "(exit 1). The seed never changes an answer.\n"
    "\n"
    "Options:\n"
    "  -h, --help     this text\n"
    "  --version      print the version\n"
    "\n"
    "Exit status: 0 valid, 1 invalid or unreadable input, 2 bad usage.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...) {
    fprintf(stderr, "client-sessions: ");
    va_list args;
    va_start(args, fmt);
    vfprintf(stderr, fmt, args); // NOLINT(clang-analyzer-valist.Uninitialized): va_start above

    va_end(args);
    fprintf(stderr, "\nTry 'client-sessions --help'.\n");
    return EXIT_USAGE;
}

/* ---- files ---- */

typedef struct buffer {
    uint8_t *bytes;
    size_t size;
    bool more;    /* the input went on past the limit */
    bool regular; /* a regular file: file_size is its size */
    uint64_t file_size;
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
static int output_finish(int result) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "error: cannot write the output: %s\n", strerror(errno));
        return EXIT_INVALID;
    }
    return result;
}

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

static bool parse_u64(const char *text, uint64_t *out) {
    if (text == NULL || text[0] < '0' || text[0] > '9') return false;
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = value;
    return true;
}

/* A decimal byte count, optionally with K, M, G or T (powers of 1024). */
static bool parse_size(const char *text, uint64_t *out) {
    if (text == NULL || text[0] < '0' || text[0] > '9') return false;
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0) return false;
    static const char units[] = "KMGT";
    unsigned shift = 0;
    if (*end != '\0') {
        const char *unit = strchr(units, *end);
        if (unit == NULL || end[1] != '\0') return false;
        shift = 10 * (unsigned)(unit - units + 1);
    }
    if (shift != 0 && value > (UINT64_MAX >> shift)) return false;
    *out = (uint64_t)value << shift;
    return true;
}

static bool parse_u32(const char *text, uint32_t *out) {
    uint64_t value;
    if (!parse_u64(text, &value) || value > UINT32_MAX) return false;
    *out = (uint32_t)value;
    return true;
}

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
    return parse_u64(fields[0], &reference->size) &&
           vsr_u128_parse(fields[1], &reference->checksum) &&
           parse_u64(fields[2], &reference->last_block_address) &&
           vsr_u128_parse(fields[3], &reference->last_block_checksum);
}

static void reference_print(const vsr_trailer_reference *reference) {
    char checksum[33], last[33];
    vsr_u128_format(reference->checksum, checksum);
    vsr_u128_format(reference->last_block_checksum, last);
    printf("%" PRIu64 ":%s:%" PRIu64 ":%s\n", reference->size, checksum,
           reference->last_block_address, last);
}

/* ---- commands ---- */

static int command_checksum(int argc, char **argv) {
    const char *path = NULL;
    uint64_t max_bytes = 0;
    bool bounded = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--max-bytes") == 0) {
            if (i + 1 >= argc || !parse_size(argv[++i], &max_bytes)) {
                return usage_error("--max-bytes needs a byte count such as 1048576 or 64M");
            }
            bounded = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage_error("checksum: unknown option '%s'", argv[i]);
        } else if (path == NULL) {
            path = argv[i];
        } else {
            return usage_error("checksum takes exactly one FILE");
        }
    }
    if (path == NULL) return usage_error("checksum takes exactly one FILE");
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

static int command_decode(int argc, char **argv) {
    uint32_t clients_max = 0;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--clients-max") == 0) {
            if (i + 1 >= argc) return usage_error("--clients-max needs a value");
            if (!parse_u32(argv[++i], &clients_max) || clients_max == 0 ||
                clients_max > CLIENT_SESSIONS_CLIENTS_MAX_LIMIT) {
                return usage_error("--clients-max must be in 1..1048576, not '%s'", argv[i]);
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage_error("decode: unknown option '%s'", argv[i]);
        } else if (path == NULL) {
            path = argv[i];
        } else {
            return usage_error("decode takes one FILE, got also '%s'", argv[i]);
        }
    }
    if (clients_max == 0) return usage_error("decode needs --clients-max N");
    if (path == NULL) return usage_error("decode needs a FILE");
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

static int decode_blocks_files(uint32_t block_size, const char *reference_text, const char **paths,
                               int file_count);

static int command_decode_blocks(int argc, char **argv) {
    uint32_t block_size = 0;
    const char *reference_text = NULL;
    /* Options may stand anywhere; everything else is a FILE ("-" is standard input). */
    const char **paths = calloc((size_t)argc + 1, sizeof(char *));
    if (paths == NULL) return EXIT_INVALID;
    int file_count = 0, result = -1;
    for (int i = 0; i < argc && result < 0; i++) {
        if (strcmp(argv[i], "--block-size") == 0 && i + 1 < argc) {
            if (!parse_u32(argv[++i], &block_size) || !vsr_block_size_valid(block_size)) {
                result = usage_error("--block-size must be a power of two in 512..1048576, "
                                     "not '%s'",
                                     argv[i]);
            }
        } else if (strcmp(argv[i], "--reference") == 0 && i + 1 < argc) {
            reference_text = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            result = usage_error("decode-blocks: unknown or incomplete option '%s'", argv[i]);
        } else {
            paths[file_count++] = argv[i];
        }
    }
    if (result < 0) result = decode_blocks_files(block_size, reference_text, paths, file_count);
    free(paths);
    return result;
}

static int decode_blocks_files(uint32_t block_size, const char *reference_text, const char **paths,
                               int file_count) {
    if (block_size == 0) return usage_error("decode-blocks needs --block-size B");
    if (reference_text == NULL) return usage_error("decode-blocks needs --reference REF");
    if (file_count == 0) return usage_error("decode-blocks needs at least one FILE");
    vsr_trailer_reference reference;
    int parsed = reference_argument(reference_text, &reference);
    if (parsed == EXIT_INVALID) return EXIT_INVALID;
    if (parsed != 0) {
        return usage_error("--reference must be SIZE:CHECKSUM:LAST_BLOCK_ADDRESS:"
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

/* Writes bytes to path through a temporary file in the same directory, synced, then
 * renamed over path: on any error path is left as it was (absent, or its old content). */
static bool file_write_atomic(const char *path, const uint8_t *bytes, size_t size) {
    size_t length = strlen(path) + sizeof(".tmp-XXXXXX");
    char *temp = malloc(length);
    char *copy = strdup(path);
    if (temp == NULL || copy == NULL) {
        fprintf(stderr, "error: out of memory\n");
        free(temp);
        free(copy);
        return false;
    }
    snprintf(temp, length, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(temp);
    bool ok = fd >= 0;
    const char *failed = "create a temporary file for";
    if (ok) {
        /* The mode a new file gets (or the one path has): mkstemp makes it 0600. */
        struct stat st;
        mode_t mask = umask(0);
        umask(mask);
        mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : (0666 & ~mask);
        ok = fchmod(fd, mode) == 0;
        failed = "set the mode of";
    }
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
    if (fd >= 0 && close(fd) != 0 && ok) {
        saved = errno;
        ok = false;
        failed = "write";
    }
    if (ok) {
        ok = rename(temp, path) == 0;
        saved = errno;
        failed = "rename a temporary file to";
    }
    if (ok) { /* the rename itself is durable once the directory is synced */
        int dir = open(dirname(copy), O_RDONLY | O_DIRECTORY);
        if (dir >= 0) {
            fsync(dir);
            close(dir);
        }
    } else {
        if (fd >= 0) unlink(temp);
        fprintf(stderr, "error: cannot %s %s: %s\n", failed, path, strerror(saved));
    }
    free(temp);
    free(copy);
    return ok;
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

static int blocks_encode(const buffer *trailer, uint32_t block_size, vsr_u128 cluster,
                         uint32_t release, uint64_t first_address, const char *out_path) {
    uint64_t count = vsr_trailer_block_count(trailer->size, block_size);
    uint64_t *addresses = calloc(count, sizeof(uint64_t));
    uint8_t *blocks = calloc(count, block_size);
    if (addresses == NULL || blocks == NULL) {
        free(addresses);
        free(blocks);
        fprintf(stderr, "error: out of memory\n");
        return EXIT_INVALID;
    }
    for (uint64_t i = 0; i < count; i++) addresses[i] = first_address + i;
    vsr_trailer_reference reference;
    vsr_trailer_write(trailer->bytes, trailer->size, block_size, cluster, release, addresses,
                      blocks, &reference);
    bool ok = file_write_atomic(out_path, blocks, (size_t)(count * block_size));
    if (ok) reference_print(&reference);
    free(addresses);
    free(blocks);
    return ok ? 0 : EXIT_INVALID;
}

static int command_encode_blocks(int argc, char **argv) {
    uint32_t block_size = 0, release = 1;
    uint64_t first_address = 1;
    vsr_u128 cluster = 0;
    const char *paths[2] = {NULL, NULL};
    int path_count = 0;
    for (int i = 0; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--block-size") == 0 && value) {
            if (!parse_u32(argv[++i], &block_size) || !vsr_block_size_valid(block_size)) {
                return usage_error("--block-size must be a power of two in 512..1048576, "
                                   "not '%s'",
                                   argv[i]);
            }
        } else if (strcmp(argv[i], "--cluster") == 0 && value) {
            if (!vsr_u128_parse(argv[++i], &cluster)) {
                return usage_error("--cluster must be 1..32 hex digits, not '%s'", argv[i]);
            }
        } else if (strcmp(argv[i], "--release") == 0 && value) {
            if (!parse_u32(argv[++i], &release) || release == 0) {
                return usage_error("--release must be in 1..4294967295, not '%s'", argv[i]);
            }
        } else if (strcmp(argv[i], "--first-address") == 0 && value) {
            if (!parse_u64(argv[++i], &first_address) || first_address == 0) {
                return usage_error("--first-address must be a decimal u64 > 0, not '%s'", argv[i]);
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage_error("encode-blocks: unknown or incomplete option '%s'", argv[i]);
        } else if (path_count < 2) {
            paths[path_count++] = argv[i];
        } else {
            return usage_error("encode-blocks takes TRAILER and OUT, got also '%s'", argv[i]);
        }
    }
    if (block_size == 0) return usage_error("encode-blocks needs --block-size B");
    if (path_count != 2) return usage_error("encode-blocks needs TRAILER and OUT");
    if (strcmp(paths[1], "-") == 0) {
        return usage_error("encode-blocks: OUT may not be '-': standard output carries the "
                           "reference (for a file named -, write ./-)");
    }
    struct stat st;
    if (stat(paths[0], &st) == 0 && input_endless(paths[0], &st, ": not a trailer")) {
        return EXIT_INVALID;
    }
    buffer trailer;
    uint64_t limit = client_sessions_encode_size(CLIENT_SESSIONS_CLIENTS_MAX_LIMIT);
    if (!file_read_at_most(paths[0], (size_t)limit, &trailer)) return EXIT_INVALID;
    int result;
    uint64_t count = trailer.size == 0 ? 0 : vsr_trailer_block_count(trailer.size, block_size);
    if (!trailer_valid(paths[0], &trailer)) {
        result = EXIT_INVALID;
    } else if (first_address > UINT64_MAX - count) {
        fprintf(stderr, "error: --first-address + block count overflows u64\n");
        result = EXIT_INVALID;
    } else {
        result = blocks_encode(&trailer, block_size, cluster, release, first_address, paths[1]);
    }
    free(trailer.bytes);
    return result;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "-h") == 0 || strcmp(command, "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(command, "--version") == 0) {
        printf("client-sessions %s (checksum: %s)\n", VSR_VERSION_STRING,
               vsr_checksum_impl_name(vsr_checksum_impl_selected()));
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    if (strcmp(command, "checksum") == 0)
        return output_finish(command_checksum(argc - 2, argv + 2));
    if (strcmp(command, "decode") == 0) return output_finish(command_decode(argc - 2, argv + 2));
    if (strcmp(command, "decode-blocks") == 0) {
        return output_finish(command_decode_blocks(argc - 2, argv + 2));
    }
    if (strcmp(command, "encode-blocks") == 0) {
        return output_finish(command_encode_blocks(argc - 2, argv + 2));
    }
    return usage_error("unknown command '%s'", command);
}
