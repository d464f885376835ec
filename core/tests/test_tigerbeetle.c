/* Trailers written by TigerBeetle's own code (data/tigerbeetle/README.md) decode, and our
 * table, fed the same sequence, encodes them byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "client_sessions.h"
#include "testing/check.h"
#include "testing/reply.h"

typedef struct buffer {
    uint8_t *bytes;
    size_t size;
} buffer;

static buffer file_read(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/tigerbeetle/%s", dir, name);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    buffer out = {malloc(1 << 20), 0};
    out.size = fread(out.bytes, 1, 1 << 20, file);
    fclose(file);
    return out;
}

/* The reply TigerBeetle's sequence in data/tigerbeetle/README.md stores for client k. */
static vsr_header_reply tigerbeetle_reply(uint64_t k, uint64_t commit) {
    testing_reply_fields fields = {
        .cluster = 7, .view = 1, .release = 1, .request_checksum = k, .timestamp = 1000 * k};
    return testing_reply_make(&fields, 1000 + k, commit, 1);
}

/* expected.json: [[slot, client, session, commit], ...] as plain integers. */
static size_t expected_parse(const buffer *json, uint64_t (*rows)[4], size_t rows_max) {
    size_t values = 0;
    for (size_t i = 0; i < json->size;) {
        if (json->bytes[i] >= '0' && json->bytes[i] <= '9') {
            uint64_t value = 0;
            while (i < json->size && json->bytes[i] >= '0' && json->bytes[i] <= '9') {
                value = value * 10 + (uint64_t)(json->bytes[i++] - '0');
            }
            if (values / 4 < rows_max) rows[values / 4][values % 4] = value;
            values++;
        } else {
            i++;
        }
    }
    CHECK_EQ(values % 4, 0);
    return values / 4;
}

static void test_capacity(const char *dir, uint32_t clients_max) {
    char name[64];
    snprintf(name, sizeof(name), "tb_encode_%u.bin", clients_max);
    buffer bin = file_read(dir, name);
    snprintf(name, sizeof(name), "tb_encode_%u.expected.json", clients_max);
    buffer json = file_read(dir, name);
    CHECK_EQ(bin.size, 264 * (uint64_t)clients_max);

    uint64_t rows[128][4];
    size_t row_count = expected_parse(&json, rows, 128);
    CHECK_EQ(row_count, clients_max);

    client_sessions *table = NULL;
    CHECK(client_sessions_init(&table, clients_max, 12345) == CLIENT_SESSIONS_INIT_OK);
    vsr_error error = client_sessions_decode(table, bin.bytes, bin.size);
    CHECK_EQ(error.code, VSR_ERROR_OK);
    CHECK_EQ(client_sessions_count(table), row_count);
    for (size_t r = 0; r < row_count && r < 128; r++) {
        client_sessions_entry entry;
        CHECK(client_sessions_get(table, rows[r][1], &entry));
        CHECK_EQ(entry.slot, rows[r][0]);
        CHECK_EQ(entry.session, rows[r][2]);
        CHECK_EQ(entry.header->commit, rows[r][3]);
    }

    /* The README's sequence through our table. */
    client_sessions_reset(table);
    uint64_t last = (uint64_t)clients_max + 5;
    for (uint64_t k = 1; k <= last; k++) {
        if (client_sessions_count(table) == clients_max) {
            vsr_u128 evictee = client_sessions_evictee(table);
            CHECK(evictee == 1000 + (k - clients_max));
            uint32_t slot = client_sessions_slot_for_client(table, evictee);
            CHECK_EQ(slot, k - clients_max - 1);
            client_sessions_remove(table, evictee);
        }
        vsr_header_reply reply = tigerbeetle_reply(k, 10 * k);
        if (k == 1) {
            char hex[33];
            vsr_u128_format(reply.checksum, hex);
            CHECK(strcmp(hex, "78580417f65e66915e1eb4943aa833a6") == 0);
        }
        client_sessions_put(table, 10 * k, &reply);
    }
    vsr_header_reply update = tigerbeetle_reply(last, 10 * last + 1);
    client_sessions_put(table, 10 * last, &update);
    uint8_t *ours = malloc(bin.size);
    client_sessions_encode(table, ours, bin.size);
    CHECK(memcmp(ours, bin.bytes, bin.size) == 0);

    free(ours);
    free(bin.bytes);
    free(json.bytes);
    client_sessions_deinit(table);
}

int main(int argc, char **argv) {
    const char *dir = testing_data_dir(argc, argv);
    test_capacity(dir, 7);
    test_capacity(dir, 64);
    return testing_done("tigerbeetle");
}
