/*
 * fuzz_mutate.h: the input layouts of the decoder targets and their
 * structure-aware mutators.
 *
 * A byte-level fuzzer almost never gets a 128-bit AEGIS checksum right, so
 * without help every mutated header stops at `header_checksum` and the
 * semantic rules behind it stay unreached. Each mutator here changes a field
 * (or a slot, a block, the reference) and then, most of the time, recomputes
 * what checksums the change broke: header checksums, block body checksums,
 * the back-pointer chain and the trailer reference. Now and then it leaves a
 * checksum stale so that the checksum rules stay covered too. Fields and
 * reseals are those of the trailer-edit engine (testing/edit.h), which the
 * simulator's resealed copies use too.
 *
 * The same functions serve libFuzzer (LLVMFuzzerCustomMutator in each target,
 * with LLVMFuzzerMutate for byte-level changes), AFL++ (afl_mutator.c, a
 * custom mutator library) and the replay driver's --mutate smoke test.
 */
#ifndef FUZZ_MUTATE_H
#define FUZZ_MUTATE_H

#include "fuzz_common.h"
#include "testing/edit.h"

/* libFuzzer's LLVMFuzzerMutate, or NULL for the built-in havoc. */
typedef size_t (*fuzz_bytes_mutator)(uint8_t *data, size_t size, size_t max_size);

/* ---- input layouts ---- */

/*
 * fuzz_trailer_decode: byte 0 picks clients_max: 1..16, 64 for 0xf0..0xfe, 130 for 0xff
 * (more slots than the decoder validates in one group); then the trailer.
 */
enum { FUZZ_TRAILER_PREFIX = 1, FUZZ_TRAILER_CLIENTS_LARGE = 130 };
static inline uint32_t fuzz_trailer_clients_max(uint8_t selector) {
    if (selector == 0xff) return FUZZ_TRAILER_CLIENTS_LARGE;
    return selector >= 0xf0 ? 64 : 1u + selector % 16u;
}

/*
 * fuzz_blocks_decode: byte 0 picks the block size (512 << (b % 5); when b % 5 == 4
 * one that is never valid: too small, not a power of two, or too large), byte 1
 * clients_max (1 + b % 4), byte 2 flags,
 * then the reference (size u64, checksum u128, last_block_address u64,
 * last_block_checksum u128), then the blocks at a stride of the block size
 * (512 when it is invalid); block k has address k + 1; the last may be short.
 */
enum {
    FUZZ_BLOCKS_REFERENCE = 3,
    FUZZ_BLOCKS_PREFIX = FUZZ_BLOCKS_REFERENCE + 48,
    FUZZ_BLOCKS_FLAG_NULL_BYTES = 1, /* lookup of a missing block answers true with NULL bytes */
};
static inline uint32_t fuzz_blocks_block_size(uint8_t selector) {
    if (selector % 5 != 4) return 512u << (selector % 5);
    static const uint32_t invalid[] = {256, 768, 2 * VSR_BLOCK_SIZE_MAX};
    return invalid[selector / 5 % 3];
}
static inline uint32_t fuzz_blocks_stride(uint8_t selector) {
    uint32_t block_size = fuzz_blocks_block_size(selector);
    return vsr_block_size_valid(block_size) ? block_size : VSR_BLOCK_SIZE_MIN;
}
static inline uint32_t fuzz_blocks_clients_max(uint8_t selector) { return 1u + selector % 4u; }

static inline void fuzz_reference_load(const uint8_t *bytes, vsr_trailer_reference *reference) {
    reference->size = testing_load(bytes, 8);
    reference->checksum = testing_load_u128(bytes + 8);
    reference->last_block_address = testing_load(bytes + 24, 8);
    reference->last_block_checksum = testing_load_u128(bytes + 32);
}

static inline void fuzz_reference_store(uint8_t *bytes, const vsr_trailer_reference *reference) {
    testing_store(bytes, 8, reference->size);
    testing_store_u128(bytes + 8, reference->checksum);
    testing_store(bytes + 24, 8, reference->last_block_address);
    testing_store_u128(bytes + 32, reference->last_block_checksum);
}

/* fuzz_header_validate: a 256-byte header (zero-padded if shorter), then its body. */

/* ---- byte-level havoc, when libFuzzer's own mutator is not there ---- */

static inline size_t fuzz_havoc(uint64_t *rng, uint8_t *data, size_t size, size_t max_size) {
    static const uint8_t interesting[] = {0, 1, 2, 8, 20, 0x40, 0x7f, 0x80, 0xff};
    if (size == 0) {
        if (max_size == 0) return 0;
        data[0] = (uint8_t)testing_random(rng);
        return 1;
    }
    for (uint32_t n = 1 + testing_below(rng, 4); n-- > 0;) {
        size_t at = testing_below(rng, (uint32_t)size);
        switch (testing_below(rng, 6)) {
        case 0: data[at] ^= (uint8_t)(1u << testing_below(rng, 8)); break;
        case 1: data[at] = (uint8_t)testing_random(rng); break;
        case 2: data[at] = interesting[testing_below(rng, sizeof(interesting))]; break;
        case 3: data[at] = (uint8_t)(data[at] + 1 - 2 * testing_below(rng, 2)); break;
        case 4: {
            size_t from = testing_below(rng, (uint32_t)size);
            size_t length = 1 + testing_below(rng, 32);
            if (length > size - at) length = size - at;
            if (length > size - from) length = size - from;
            memmove(data + at, data + from, length);
            break;
        }
        default: {
            size_t length = 1 + testing_below(rng, 16);
            if (testing_below(rng, 2) == 0) {
                size = size > length ? size - length : 1;
            } else if (size + length <= max_size) {
                memset(data + size, 0, length);
                size += length;
            }
            break;
        }
        }
    }
    return size;
}

static inline size_t fuzz_bytes_mutate(fuzz_bytes_mutator bytes, uint64_t *rng, uint8_t *data,
                                       size_t size, size_t max_size) {
    if (bytes != NULL) return bytes(data, size, max_size);
    return fuzz_havoc(rng, data, size, max_size);
}

/* Grows (zero-filled) or shrinks the input to `size`; false when max_size forbids it. */
static inline bool fuzz_resize(uint8_t *data, size_t *size, size_t wanted, size_t max_size) {
    if (wanted > max_size) return false;
    if (wanted > *size) memset(data + *size, 0, wanted - *size);
    *size = wanted;
    return true;
}

/* ---- header fields (the trailer-edit engine's table, testing/edit.h) ---- */

#define FUZZ_COUNT(array) (sizeof(array) / sizeof((array)[0]))

static inline const edit_field *fuzz_pick_field(uint64_t *rng, uint8_t command) {
    return edit_header_field(command, testing_below(rng, edit_header_field_count(command)));
}

/* Sets one field of header h to a value likely to sit on a rule's edge; other is a peer header. */
static inline void fuzz_poke_field(uint64_t *rng, uint8_t *h, const uint8_t *other,
                                   const edit_field *field) {
    uint8_t *at = h + field->offset;
    size_t width = field->width;
    if (width > 8) {
        switch (testing_below(rng, 4)) {
        case 0: memset(at, 0, width); break;
        case 1:
            at[testing_below(rng, (uint32_t)width)] = (uint8_t)(1 + testing_below(rng, 255));
            break;
        case 2: memcpy(at, other + field->offset, width); break;
        default: testing_store(at, 8, testing_random(rng) >> testing_below(rng, 64)); break;
        }
        return;
    }
    static const uint64_t values[] = {
        0, 1, 2, 8, 20, 128, 255, 256, 320, 1u << 20, (1u << 20) + 1, 0xffffffffu};
    uint64_t current = testing_load(at, width);
    uint64_t value;
    switch (testing_below(rng, 5)) {
    case 0: value = current + 1; break;
    case 1: value = current - 1; break;
    case 2: value = testing_load(other + field->offset, width); break;
    case 3: value = UINT64_MAX; break;
    default: value = values[testing_below(rng, FUZZ_COUNT(values))]; break;
    }
    testing_store(at, width, value);
}

/* ---- fuzz_trailer_decode ---- */

static inline void fuzz_trailer_slot_mutate(uint64_t *rng, uint8_t *trailer, uint32_t clients_max) {
    uint8_t *sessions = trailer + (size_t)clients_max * VSR_HEADER_SIZE;
    uint32_t s = testing_below(rng, clients_max), o = testing_below(rng, clients_max);
    uint8_t *h = trailer + (size_t)s * VSR_HEADER_SIZE, *ho = trailer + (size_t)o * VSR_HEADER_SIZE;
    uint8_t *session = sessions + (size_t)s * 8, *session_other = sessions + (size_t)o * 8;
    switch (testing_below(rng, 8)) {
    case 0: fuzz_poke_field(rng, h, ho, fuzz_pick_field(rng, VSR_COMMAND_REPLY)); break;
    case 1: {
        uint64_t commit = testing_load(h + 216, 8);
        uint64_t choices[] = {
            0, 1, commit, commit + 1, testing_load(session_other, 8), testing_random(rng)};
        testing_store(session, 8, choices[testing_below(rng, FUZZ_COUNT(choices))]);
        break;
    }
    case 2:
        if (s != o) {
            memcpy(h, ho, VSR_HEADER_SIZE);
            memcpy(session, session_other, 8);
        }
        break;
    case 3:
        memset(h, 0, VSR_HEADER_SIZE);
        memset(session, 0, 8);
        break;
    case 4: {
        uint64_t commit = 1 + (testing_random(rng) >> testing_below(rng, 64));
        if (commit == 0) commit = 1;
        vsr_header_reply reply = testing_reply_salted(VSR_U128(0, 1 + testing_below(rng, 64)),
                                                      commit, 0, testing_random(rng));
        memcpy(h, &reply, sizeof(reply));
        testing_store(session, 8, commit);
        break;
    }
    case 5: {
        uint8_t header[VSR_HEADER_SIZE], value[8];
        memcpy(header, h, sizeof(header));
        memcpy(h, ho, sizeof(header));
        memcpy(ho, header, sizeof(header));
        memcpy(value, session, 8);
        memcpy(session, session_other, 8);
        memcpy(session_other, value, 8);
        break;
    }
    case 6: /* a duplicate client or commit: the rules across slots */
        if (testing_below(rng, 2) == 0) {
            memcpy(h + 192, ho + 192, 16);
        } else {
            memcpy(h + 208, ho + 216, 8);
            memcpy(h + 216, ho + 216, 8);
        }
        break;
    default:
        testing_trailer(trailer, clients_max, testing_below(rng, clients_max + 1),
                        testing_below(rng, 2) == 0, testing_random(rng));
        break;
    }
}

static inline size_t fuzz_mutate_trailer(uint8_t *data, size_t size, size_t max_size, uint64_t seed,
                                         fuzz_bytes_mutator bytes) {
    uint64_t rng = seed;
    if (size == 0 || testing_below(&rng, 4) == 0) {
        size = fuzz_bytes_mutate(bytes, &rng, data, size, max_size);
        if (size == 0 || testing_below(&rng, 4) == 0) return size;
    } else {
        if (testing_below(&rng, 16) == 0) data[0] = (uint8_t)testing_random(&rng);
        uint32_t clients_max = fuzz_trailer_clients_max(data[0]);
        size_t wanted = FUZZ_TRAILER_PREFIX + (size_t)client_sessions_encode_size(clients_max);
        if (!fuzz_resize(data, &size, wanted, max_size)) {
            return fuzz_bytes_mutate(bytes, &rng, data, size, max_size);
        }
        for (uint32_t n = 1 + testing_below(&rng, 3); n-- > 0;) {
            fuzz_trailer_slot_mutate(&rng, data + FUZZ_TRAILER_PREFIX, clients_max);
        }
    }
    if (testing_below(&rng, 8) == 0) return size; /* leave every checksum as it is */
    uint32_t clients_max = fuzz_trailer_clients_max(data[0]);
    uint32_t stale = testing_below(&rng, 8) == 0 ? testing_below(&rng, clients_max) : UINT32_MAX;
    for (uint32_t slot = 0; slot < clients_max; slot++) {
        size_t at = FUZZ_TRAILER_PREFIX + (size_t)slot * VSR_HEADER_SIZE;
        if (at + VSR_HEADER_SIZE > size) break;
        if (slot != stale && !testing_all_zero(data + at, VSR_HEADER_SIZE))
            edit_reseal_header(data + at);
    }
    return size;
}

/* ---- fuzz_blocks_decode ---- */

/* Bytes of the input that block k (0-based) may use, or 0 when it is not there. */
static inline size_t fuzz_block_available(size_t size, uint32_t stride, size_t k) {
    size_t at = FUZZ_BLOCKS_PREFIX + k * stride;
    if (at >= size) return 0;
    return size - at < stride ? size - at : stride;
}

static inline size_t fuzz_block_count_present(size_t size, uint32_t stride) {
    if (size <= FUZZ_BLOCKS_PREFIX) return 0;
    return (size - FUZZ_BLOCKS_PREFIX + stride - 1) / stride;
}

/* The body length block k's header claims, clamped to what the input holds. */
static inline size_t fuzz_block_body_size(const uint8_t *block, size_t available) {
    uint64_t claimed = testing_load(block + 96, 4);
    if (available < VSR_HEADER_SIZE || claimed < VSR_HEADER_SIZE) return 0;
    size_t body = (size_t)(claimed - VSR_HEADER_SIZE);
    return body < available - VSR_HEADER_SIZE ? body : available - VSR_HEADER_SIZE;
}

/* Writes a fresh valid trailer of blocks; false when it does not fit in max_size. */
static inline bool fuzz_blocks_generate(uint64_t *rng, uint8_t *data, size_t *size,
                                        size_t max_size) {
    uint8_t selector = (uint8_t)(testing_below(rng, 4) + 5 * testing_below(rng, 51));
    uint32_t block_size = fuzz_blocks_block_size(selector);
    uint32_t clients_max = 1 + testing_below(rng, 4);
    uint64_t trailer_size = client_sessions_encode_size(clients_max);
    uint64_t count = vsr_trailer_block_count(trailer_size, block_size);
    size_t full = FUZZ_BLOCKS_PREFIX + (size_t)count * block_size;
    uint64_t chunk_max = block_size - VSR_HEADER_SIZE;
    size_t last_size = VSR_HEADER_SIZE + (size_t)(trailer_size - (count - 1) * chunk_max);
    size_t wanted = full - block_size + last_size;
    if (wanted > max_size) return false;
    uint8_t *trailer = malloc((size_t)trailer_size);
    uint8_t *blocks = malloc((size_t)count * block_size);
    uint64_t addresses[8];
    if (trailer == NULL || blocks == NULL || count > 8) {
        free(trailer);
        free(blocks);
        return false;
    }
    for (uint64_t i = 0; i < count; i++) addresses[i] = i + 1;
    testing_trailer(trailer, clients_max, testing_below(rng, clients_max + 1),
                    testing_below(rng, 2) == 0, testing_random(rng));
    vsr_trailer_reference reference;
    vsr_trailer_write(trailer, trailer_size, block_size, VSR_U128(0, testing_random(rng)),
                      1 + testing_below(rng, 4), addresses, blocks, &reference);
    data[0] = selector;
    data[1] = (uint8_t)(clients_max - 1 + 4 * testing_below(rng, 64));
    data[2] = 0;
    fuzz_reference_store(data + FUZZ_BLOCKS_REFERENCE, &reference);
    memcpy(data + FUZZ_BLOCKS_PREFIX, blocks, wanted - FUZZ_BLOCKS_PREFIX);
    *size = wanted;
    free(trailer);
    free(blocks);
    return true;
}

static inline void fuzz_blocks_structure_mutate(uint64_t *rng, uint8_t *data, size_t *size,
                                                size_t max_size) {
    uint32_t stride = fuzz_blocks_stride(data[0]);
    size_t present = fuzz_block_count_present(*size, stride);
    uint8_t *reference = data + FUZZ_BLOCKS_REFERENCE;
    uint32_t choice = testing_below(rng, 8);
    if (present == 0 || choice == 7) {
        fuzz_blocks_generate(rng, data, size, max_size);
        return;
    }
    size_t k = testing_below(rng, (uint32_t)present), j = testing_below(rng, (uint32_t)present);
    uint8_t *block = data + FUZZ_BLOCKS_PREFIX + k * stride;
    uint8_t *peer = data + FUZZ_BLOCKS_PREFIX + j * stride;
    size_t available = fuzz_block_available(*size, stride, k);
    bool whole =
        available >= VSR_HEADER_SIZE && fuzz_block_available(*size, stride, j) >= VSR_HEADER_SIZE;
    switch (choice) {
    case 0:
        if (whole) fuzz_poke_field(rng, block, peer, fuzz_pick_field(rng, VSR_COMMAND_BLOCK));
        break;
    case 1:
        if (available > VSR_HEADER_SIZE) {
            block[VSR_HEADER_SIZE + testing_below(rng, (uint32_t)(available - VSR_HEADER_SIZE))] ^=
                (uint8_t)(1 + testing_below(rng, 255));
        }
        break;
    case 2:
        if (whole) {
            uint64_t claimed = testing_load(block + 96, 4);
            uint64_t choices[] = {claimed + 1, claimed - 1, VSR_HEADER_SIZE,
                                  available,   stride,      (uint64_t)stride + 1};
            testing_store(block + 96, 4, choices[testing_below(rng, FUZZ_COUNT(choices))]);
        }
        break;
    case 3: {
        uint64_t value = testing_load(reference, 8);
        uint64_t choices[] = {value + 1,   value - 1,          0, 264, 264 * 4,
                              264 * 4 + 1, testing_random(rng)};
        if (testing_below(rng, 2) == 0) {
            testing_store(reference, 8, choices[testing_below(rng, FUZZ_COUNT(choices))]);
        } else {
            uint64_t address = testing_load(reference + 24, 8);
            uint64_t addresses[] = {address + 1, address - 1, 0, present + 1, UINT64_MAX};
            testing_store(reference + 24, 8, addresses[testing_below(rng, FUZZ_COUNT(addresses))]);
        }
        break;
    }
    case 4: /* truncate: a torn write */
        *size -= 1 + testing_below(rng, (uint32_t)(available < 300 ? available : 300));
        break;
    case 5:
        if (whole && k != j) {
            size_t copy = fuzz_block_available(*size, stride, j);
            if (copy > available) copy = available;
            memcpy(block, peer, copy);
        }
        break;
    default:
        if (testing_below(rng, 2) == 0) {
            data[1] = (uint8_t)testing_random(rng);
        } else {
            data[2] ^= FUZZ_BLOCKS_FLAG_NULL_BYTES;
        }
        break;
    }
}

/* Recomputes body checksums, the chain (in input order), header checksums and the reference. */
static inline void fuzz_blocks_fixup(uint64_t *rng, uint8_t *data, size_t size) {
    uint32_t stride = fuzz_blocks_stride(data[0]);
    size_t present = fuzz_block_count_present(size, stride);
    uint8_t *previous = NULL;
    vsr_checksum_stream stream;
    vsr_checksum_stream_init(&stream);
    uint64_t trailer_size = 0;
    for (size_t k = 0; k < present; k++) {
        uint8_t *block = data + FUZZ_BLOCKS_PREFIX + k * stride;
        size_t available = fuzz_block_available(size, stride, k);
        if (available < VSR_HEADER_SIZE) break;
        size_t body_size = fuzz_block_body_size(block, available);
        if (testing_below(rng, 16) != 0) {
            edit_reseal_body(block, block + VSR_HEADER_SIZE, body_size);
        }
        if (previous != NULL && testing_below(rng, 16) != 0) {
            memcpy(block + edit_fields[EDIT_FIELD_PREVIOUS_CHECKSUM].offset, previous, 16);
            edit_set(block, EDIT_FIELD_PREVIOUS_ADDRESS, edit_get(previous, EDIT_FIELD_ADDRESS));
        }
        if (testing_below(rng, 16) != 0) edit_reseal_header(block);
        vsr_checksum_stream_add(&stream, block + VSR_HEADER_SIZE, body_size);
        trailer_size += body_size;
        previous = block;
    }
    if (previous == NULL) return;
    vsr_trailer_reference reference;
    fuzz_reference_load(data + FUZZ_BLOCKS_REFERENCE, &reference);
    if (testing_below(rng, 4) != 0) reference.size = trailer_size;
    if (testing_below(rng, 16) != 0) reference.checksum = vsr_checksum_stream_final(&stream);
    if (testing_below(rng, 16) != 0) reference.last_block_address = testing_load(previous + 224, 8);
    if (testing_below(rng, 16) != 0) reference.last_block_checksum = testing_load_u128(previous);
    fuzz_reference_store(data + FUZZ_BLOCKS_REFERENCE, &reference);
}

static inline size_t fuzz_mutate_blocks(uint8_t *data, size_t size, size_t max_size, uint64_t seed,
                                        fuzz_bytes_mutator bytes) {
    uint64_t rng = seed;
    if (size < FUZZ_BLOCKS_PREFIX) {
        if (!fuzz_blocks_generate(&rng, data, &size, max_size)) {
            return fuzz_bytes_mutate(bytes, &rng, data, size, max_size);
        }
    } else if (testing_below(&rng, 8) == 0) {
        size = fuzz_bytes_mutate(bytes, &rng, data, size, max_size);
    } else {
        for (uint32_t n = 1 + testing_below(&rng, 2); n-- > 0;) {
            fuzz_blocks_structure_mutate(&rng, data, &size, max_size);
        }
    }
    if (size >= FUZZ_BLOCKS_PREFIX && testing_below(&rng, 8) != 0)
        fuzz_blocks_fixup(&rng, data, size);
    return size;
}

/* ---- fuzz_header_validate ---- */

static inline size_t fuzz_mutate_header(uint8_t *data, size_t size, size_t max_size, uint64_t seed,
                                        fuzz_bytes_mutator bytes) {
    uint64_t rng = seed;
    if (size < VSR_HEADER_SIZE && !fuzz_resize(data, &size, VSR_HEADER_SIZE, max_size)) {
        return fuzz_bytes_mutate(bytes, &rng, data, size, max_size);
    }
    switch (testing_below(&rng, 8)) {
    case 0:
        size = fuzz_bytes_mutate(bytes, &rng, data, size, max_size);
        if (size < VSR_HEADER_SIZE) return size;
        break;
    case 1: data[114] = testing_below(&rng, 2) == 0 ? VSR_COMMAND_REPLY : VSR_COMMAND_BLOCK; break;
    case 2:
        if (testing_below(&rng, 2) == 0) {
            vsr_header_reply reply =
                testing_reply_salted(VSR_U128(testing_random(&rng), 1), 1 + testing_below(&rng, 99),
                                     testing_below(&rng, 3), testing_random(&rng));
            memcpy(data, &reply, sizeof(reply));
        } else {
            memset(data, 0, VSR_HEADER_SIZE);
            testing_store(data + 96, 4, VSR_HEADER_SIZE + testing_below(&rng, 4096)); /* size */
            testing_store(data + 108, 4, 1 + testing_below(&rng, 4));                 /* release */
            data[114] = VSR_COMMAND_BLOCK;
            testing_store(data + 224, 8, 1 + testing_below(&rng, 1000)); /* address */
            data[240] = VSR_BLOCK_TYPE_CLIENT_SESSIONS;
        }
        break;
    default:
        for (uint32_t n = 1 + testing_below(&rng, 2); n-- > 0;) {
            fuzz_poke_field(&rng, data, data, fuzz_pick_field(&rng, data[114]));
        }
        break;
    }
    if (testing_below(&rng, 8) == 0) return size;
    if (testing_below(&rng, 2) == 0) {
        edit_reseal_body(data, data + VSR_HEADER_SIZE, size - VSR_HEADER_SIZE);
    }
    edit_reseal_header(data);
    return size;
}

#endif /* FUZZ_MUTATE_H */
