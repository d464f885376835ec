/* Built against an installed tree through pkg-config: the public headers suffice. */
#include <client_sessions.h>
#include <stdio.h>

int main(void) {
    client_sessions *table = NULL;
    if (client_sessions_init(&table, 8, 1) != CLIENT_SESSIONS_INIT_OK) return 1;
    char hex[33];
    vsr_u128_format(vsr_checksum("", 0), hex);
    printf("%s %u\n", hex, client_sessions_capacity(table));
    client_sessions_deinit(table);
    return 0;
}
