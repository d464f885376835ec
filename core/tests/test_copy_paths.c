/*
 * test_copy_paths: the table on a CPU without AVX. meson runs it under qemu-x86_64 with a
 * CPU model that has no AVX (-cpu Nehalem), where an AVX instruction stops the program
 * (SIGILL): init must choose the plain header copy there, and put and get must work with
 * it. Built without the sanitizers (their runtime does not start under qemu-user), from the
 * core's sources, with testing/check.c and testing/reply.c.
 */
#include <string.h>

#include "client_sessions.h"
#include "table.h"
#include "testing/check.h"
#include "testing/reply.h"

/* Registers clients_max clients, then updates each twice: every stored reply must be the one
 * put, byte for byte. */
static void check_table(uint32_t clients_max) {
    client_sessions *table = NULL;
    CHECK_EQ(client_sessions_init(&table, clients_max, 7), CLIENT_SESSIONS_INIT_OK);
    if (table == NULL) return;
    /* The wide copy is chosen exactly when the CPU has AVX. */
    CHECK_EQ(table->copy_wide, __builtin_cpu_supports("avx") ? 1 : 0);
    uint64_t commit = 0;
    for (uint32_t round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < clients_max; i++) {
            vsr_u128 client = VSR_U128(0x1000 + i, 0xc0);
            vsr_header_reply reply = testing_reply(client, ++commit, 1 + round);
            client_sessions_entry entry;
            uint64_t session = commit;
            if (round > 0 && CHECK(client_sessions_get(table, client, &entry))) {
                session = entry.session;
            }
            client_sessions_put(table, session, &reply);
            CHECK(client_sessions_get(table, client, &entry) &&
                  memcmp(entry.header, &reply, sizeof(reply)) == 0);
        }
    }
    CHECK_EQ(client_sessions_count(table), clients_max);
    client_sessions_deinit(table);
}

int main(void) {
    const uint32_t sizes[] = {1, 7, 64, 300};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) check_table(sizes[i]);
    return testing_done("copy_paths");
}
