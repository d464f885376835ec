/*
 * storage.h: a replica's block device. Two checkpoint areas alternate, so a crash while
 * writing one leaves the other, the durable checkpoint, intact. Area a's block i has the
 * address 1 + a * block_count + i, the same on every replica, because block headers carry
 * their address and must be byte-identical.
 */
#ifndef SIM_STORAGE_H
#define SIM_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_storage {
    uint32_t block_size;
    uint32_t block_count;
    uint8_t *bytes;
    bool *written;
    /* Whether an area's blocks differ from what its last complete write intended:
     * a read of that area must fail, a read of a clean one must succeed. */
    bool area_corrupt[2];
} sim_storage;

bool sim_storage_init(sim_storage *storage, uint32_t block_size, uint32_t block_count);
void sim_storage_deinit(sim_storage *storage);
uint64_t sim_storage_address(const sim_storage *storage, uint32_t area, uint32_t block);
/* vsr_block_lookup over one storage: unwritten or unknown addresses are missing. */
bool sim_storage_lookup(void *context, uint64_t address, const void **bytes, size_t *size);
uint8_t *sim_storage_block(sim_storage *storage, uint32_t area, uint32_t block);
/* Body length of block i of a trailer of trailer_size bytes. */
uint32_t sim_block_body_size(uint64_t trailer_size, uint32_t block_size, uint32_t block);

#endif
