/* A replica's block device: see storage.h. */
#include "storage.h"

#include <stdlib.h>
#include <string.h>

#include "sim_assert.h"
#include "vsr.h"

bool sim_storage_init(sim_storage *storage, uint32_t block_size, uint32_t block_count) {
    memset(storage, 0, sizeof(*storage));
    SIM_ASSERT(vsr_block_size_valid(block_size));
    SIM_ASSERT(block_count > 0);
    storage->block_size = block_size;
    storage->block_count = block_count;
    storage->bytes = calloc((size_t)2 * block_count, block_size);
    storage->written = calloc((size_t)2 * block_count, sizeof(bool));
    return storage->bytes != NULL && storage->written != NULL;
}

void sim_storage_deinit(sim_storage *storage) {
    free(storage->bytes);
    free(storage->written);
    memset(storage, 0, sizeof(*storage));
}

uint64_t sim_storage_address(const sim_storage *storage, uint32_t area, uint32_t block) {
    SIM_ASSERT(area < 2 && block < storage->block_count);
    return 1 + (uint64_t)area * storage->block_count + block;
}

uint8_t *sim_storage_block(sim_storage *storage, uint32_t area, uint32_t block) {
    uint64_t index = sim_storage_address(storage, area, block) - 1;
    return storage->bytes + (size_t)index * storage->block_size;
}

bool sim_storage_lookup(void *context, uint64_t address, const void **bytes, size_t *size) {
    const sim_storage *storage = context;
    if (address == 0 || address > (uint64_t)2 * storage->block_count) return false;
    uint64_t index = address - 1;
    if (!storage->written[index]) return false;
    *bytes = storage->bytes + (size_t)index * storage->block_size;
    *size = storage->block_size;
    return true;
}

uint32_t sim_block_body_size(uint64_t trailer_size, uint32_t block_size, uint32_t block) {
    uint64_t chunk = block_size - (uint64_t)VSR_HEADER_SIZE;
    uint64_t start = (uint64_t)block * chunk;
    SIM_ASSERT(start < trailer_size);
    uint64_t left = trailer_size - start;
    return (uint32_t)(left < chunk ? left : chunk);
}
