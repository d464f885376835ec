/*
 * client-sessions: inspect checksums, trailers and trailer blocks of a real system.
 * Exit 0 on success, 1 when the input is invalid or unreadable, 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"

enum { EXIT_INVALID = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: client-sessions COMMAND [OPTIONS] ARGS\n"
    "\n"
    "Commands:\n"
    "  checksum FILE\n"
    "      Print the checksum (AEGIS-128L MAC, FORMAT.md 1) of FILE as 32 lowercase hex\n"
    "      digits, most significant first. FILE may be - for standard input.\n"
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
    "      (FORMAT.md 4), then decode it as above; clients_max is the trailer size / 264.\n"
    "      Each FILE holds one or more blocks back to back, B bytes each (the last one\n"
    "      in a file may stop after its header.size bytes); a block is found by the\n"
    "      address in its header (blocks with address 0 are skipped as free space).\n"
    "      REF is the trailer reference as four fields\n"
    "        SIZE:CHECKSUM:LAST_BLOCK_ADDRESS:LAST_BLOCK_CHECKSUM\n"
    "      (decimal, hex, decimal, hex), or @PATH to read that line from a file.\n"
    "      On invalid input, prints 'error: <rule> at block <address>' and exits 1.\n"
    "\n"
    "  encode-blocks --block-size B [--cluster C] [--release R] [--first-address A]\n"
    "                TRAILER OUT\n"
    "      Split the trailer in file TRAILER into blocks (addresses A, A+1, ...;\n"
    "      default A=1, C=0, R=1), write them back to back to OUT and print the\n"
    "      reference in the REF form above.\n"
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
} buffer;

/* Reads at most limit bytes of path ("-" = standard input); a caller that needs to know
 * whether there was more asks for one byte beyond what it can use. */
static bool file_read_at_most(const char *path, size_t limit, buffer *out) {
    FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "error: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t capacity = 1 << 16, size = 0;
    uint8_t *bytes = malloc(capacity);
    bool ok = bytes != NULL;
    while (ok && size < limit) {
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
        size_t want = capacity - size < limit - size ? capacity - size : limit - size;
        size_t got = fread(bytes + size, 1, want, file);
        size += got;
        if (got == 0) break;
    }
    if (ok && ferror(file)) {
        fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
        ok = false;
    }
    if (file != stdin) fclose(file);
    if (!ok) {
        free(bytes);
        return false;
    }
    out->bytes = bytes;
    out->size = size;
    return true;
}

/* Every input has a largest useful size: a trailer of 2^20 slots, a block of 1 MiB. */
static bool file_read(const char *path, buffer *out) {
    return file_read_at_most(path, (size_t)264 * CLIENT_SESSIONS_CLIENTS_MAX_LIMIT + 1, out);
}

/* Standard output is where the answer goes: failing to write it is an error. */
static int output_finish(int result) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "error: cannot write the output: %s\n", strerror(errno));
        return EXIT_INVALID;
    }
    return result;
}

/* A fresh seed per run from the OS (0 where it has none): with a seed known in advance, a
 * crafted trailer could put every client in one probe run and make decode quadratic. No
 * decision and no output depends on the seed. */
static uint64_t hash_seed_random(void) {
    uint64_t seed = 0;
    FILE *random = fopen("/dev/urandom", "rb");
    if (random != NULL) {
        if (fread(&seed, sizeof(seed), 1, random) != 1) seed = 0;
        fclose(random);
    }
    return seed;
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

static bool parse_u32(const char *text, uint32_t *out) {
    uint64_t value;
    if (!parse_u64(text, &value) || value > UINT32_MAX) return false;
    *out = (uint32_t)value;
    return true;
}

/* SIZE:CHECKSUM:LAST_BLOCK_ADDRESS:LAST_BLOCK_CHECKSUM */
static bool reference_parse(const char *text, vsr_trailer_reference *reference) {
    char copy[256];
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
    if (argc != 1) return usage_error("checksum takes exactly one FILE");
    buffer input;
    if (!file_read(argv[0], &input)) return EXIT_INVALID;
    char hex[33];
    vsr_u128_format(vsr_checksum(input.bytes, input.size), hex);
    printf("%s\n", hex);
    free(input.bytes);
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
    client_sessions *table = NULL;
    client_sessions_init_status status =
        client_sessions_init(&table, clients_max, hash_seed_random());
    if (status != CLIENT_SESSIONS_INIT_OK) {
        fprintf(stderr, "error: %s\n", client_sessions_init_status_text(status));
        return EXIT_INVALID;
    }
    vsr_error error = client_sessions_decode(table, bytes, size);
    int result = 0;
    if (error.code == VSR_ERROR_TRAILER_SIZE) {
        fprintf(stderr,
                "error: trailer_size: expected %" PRIu64 " bytes (264 * %" PRIu32 "), got %" PRIu64
                "\n",
                client_sessions_encode_size(clients_max), clients_max, size);
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
    buffer input;
    if (!file_read_at_most(path, client_sessions_encode_size(clients_max) + 1, &input)) {
        return EXIT_INVALID;
    }
    int result = trailer_decode_print(input.bytes, input.size, clients_max);
    free(input.bytes);
    return result;
}

typedef struct block_ref {
    uint64_t address;
    const uint8_t *bytes;
    size_t size;
} block_ref;

typedef struct block_set {
    block_ref *blocks;
    size_t count;
} block_set;

static int block_ref_compare(const void *a, const void *b) {
    uint64_t address_a = ((const block_ref *)a)->address;
    uint64_t address_b = ((const block_ref *)b)->address;
    return (address_a > address_b) - (address_a < address_b);
}

static bool block_set_lookup(void *context, uint64_t address, const void **bytes, size_t *size) {
    const block_set *set = context;
    block_ref key = {address, NULL, 0};
    const block_ref *found =
        bsearch(&key, set->blocks, set->count, sizeof(block_ref), block_ref_compare);
    if (found == NULL) return false;
    *bytes = found->bytes;
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

/* Cuts each file into blocks of block_size bytes, indexed by their header address. */
static bool block_set_add(block_set *set, const char *path, const buffer *file,
                          uint32_t block_size) {
    for (size_t offset = 0; offset < file->size; offset += block_size) {
        size_t size = file->size - offset < block_size ? file->size - offset : block_size;
        if (size < VSR_HEADER_SIZE) {
            fprintf(stderr, "error: %s: %zu trailing bytes at offset %zu are not a block\n", path,
                    size, offset);
            return false;
        }
        uint64_t address;
        memcpy(&address, file->bytes + offset + offsetof(vsr_header_block, address),
               sizeof(address));
        /* No trailer block has address 0 (FORMAT.md 2b): free space in an image, skipped. */
        if (address == 0) continue;
        block_ref *grown = realloc(set->blocks, (set->count + 1) * sizeof(block_ref));
        if (grown == NULL) {
            fprintf(stderr, "error: out of memory\n");
            return false;
        }
        set->blocks = grown;
        set->blocks[set->count++] = (block_ref){address, file->bytes + offset, size};
    }
    return true;
}

/* The exit status: 0 parsed, EXIT_INVALID the @PATH file cannot be read, EXIT_USAGE bad text. */
static int reference_argument(const char *text, vsr_trailer_reference *reference) {
    if (text[0] != '@') return reference_parse(text, reference) ? 0 : EXIT_USAGE;
    buffer file;
    char line[256] = {0};
    if (!file_read_at_most(text + 1, sizeof(line) - 1, &file)) return EXIT_INVALID;
    memcpy(line, file.bytes, file.size);
    free(file.bytes);
    return reference_parse(line, reference) ? 0 : EXIT_USAGE;
}

static int blocks_decode(const vsr_trailer_reference *reference, uint32_t block_size,
                         block_set *set) {
    uint64_t slot_size = CLIENT_SESSIONS_SLOT_ENCODED_SIZE;
    uint64_t clients_max = reference->size / slot_size;
    if (reference->size % slot_size != 0 || clients_max == 0 ||
        clients_max > CLIENT_SESSIONS_CLIENTS_MAX_LIMIT) {
        fprintf(stderr,
                "error: trailer_size: reference size %" PRIu64
                " is not 264 * clients_max with clients_max in 1..1048576\n",
                reference->size);
        return EXIT_INVALID;
    }
    uint8_t *trailer = malloc(reference->size);
    if (trailer == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return EXIT_INVALID;
    }
    vsr_error error =
        vsr_trailer_read(reference, block_size, block_set_lookup, set, trailer, reference->size);
    int result;
    if (error.code != VSR_ERROR_OK) {
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
    buffer *files = calloc((size_t)file_count, sizeof(buffer));
    block_set set = {NULL, 0};
    int result = files == NULL ? EXIT_INVALID : 0;
    for (int i = 0; i < file_count && result == 0; i++) {
        const char *path = paths[i];
        if (!file_read(path, &files[i]) || !block_set_add(&set, path, &files[i], block_size)) {
            result = EXIT_INVALID;
        }
    }
    if (result == 0 && !block_set_seal(&set)) result = EXIT_INVALID;
    if (result == 0) result = blocks_decode(&reference, block_size, &set);
    for (int i = 0; files != NULL && i < file_count; i++) free(files[i].bytes);
    free(files);
    free(set.blocks);
    return result;
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
    FILE *out = fopen(out_path, "wb");
    bool ok = out != NULL && fwrite(blocks, block_size, count, out) == count;
    if (out != NULL && fclose(out) != 0) ok = false;
    if (!ok) fprintf(stderr, "error: cannot write %s: %s\n", out_path, strerror(errno));
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
    buffer trailer;
    if (!file_read(paths[0], &trailer)) return EXIT_INVALID;
    int result;
    uint64_t count = trailer.size == 0 ? 0 : vsr_trailer_block_count(trailer.size, block_size);
    if (trailer.size == 0) {
        fprintf(stderr, "error: %s is empty; a trailer has at least one byte\n", paths[0]);
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
