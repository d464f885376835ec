/*
 * aegis_internal.h: the AEGIS-128L steps behind vsr_checksum, one implementation at a time.
 *
 * The public API only needs key = nonce = 0 and an empty message. The tests need more: the
 * draft's AEAD vectors use other keys, nonces and messages, and every implementation must be
 * checked against them. So the steps are exposed here (hidden from the shared library's ABI)
 * and the test file builds encryption out of them.
 *
 * A state is 8 AES blocks of 16 bytes, S0..S7, in memory order. `impl` may be AUTO; every
 * other value must be available on this CPU (asserted).
 *
 * Decode's internals live here too: header checksums in batches, and the header rules that
 * follow the checksum.
 */
#ifndef CS_AEGIS_INTERNAL_H
#define CS_AEGIS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vsr.h"
#include "vsr_checksum_impl.h"

#if defined(__GNUC__) || defined(__clang__)
#define CS_INTERNAL __attribute__((visibility("hidden")))
#else
#define CS_INTERNAL
#endif

enum {
    CS_AEGIS_BLOCK_SIZE = 32, /* bytes absorbed by one Update(M0, M1) */
    CS_AEGIS_STATE_BLOCKS = 8,
};

/* The state after Init(key = 0, nonce = 0). Every checksum starts here. */
CS_INTERNAL extern const uint8_t cs_aegis_state_zero[8][16];

/* Init(key, nonce): the draft's 10 rounds of Update(nonce, key) from the constants. */
CS_INTERNAL void cs_aegis_init(vsr_checksum_impl impl, uint8_t state[8][16], const uint8_t key[16],
                               const uint8_t nonce[16]);

/* Update(M0, M1) once per 32-byte block, M0 the first half: absorbs AD or a plaintext. */
CS_INTERNAL void cs_aegis_absorb(vsr_checksum_impl impl, uint8_t state[8][16],
                                 const uint8_t *blocks, size_t block_count);

/* Finalize: the 128-bit tag for ad_size bytes of AD and msg_size bytes of message. It reads
 * the state and does not write it back: a finalized state is done with (a stream's final
 * marks it finished, and adding to it or finishing it again aborts). */
CS_INTERNAL void cs_aegis_finalize(vsr_checksum_impl impl, uint8_t state[8][16], uint64_t ad_size,
                                   uint64_t msg_size, uint8_t tag[16]);

/* ---- Header checksums in batches (decode) ---- */

/* The ways of computing header checksums in batches, each with results identical bit for bit. */
typedef enum cs_headers_path {
    CS_CHECKSUM_HEADERS_ONE_AT_A_TIME = 0, /* vsr_checksum_with, header after header */
    CS_CHECKSUM_HEADERS_VAES256X2,         /* x86-64 VAES with AVX2: two headers a vector */
    CS_CHECKSUM_HEADERS_VAES512X4,         /* x86-64 VAES with AVX-512: four a vector */
    CS_CHECKSUM_HEADERS_PATH_COUNT,
} cs_headers_path;

/*
 * out[i] = vsr_header_checksum_compute(headers[i]) for i < count, bit for bit, computed
 * several headers at a time where the implementation can (impl resolving to AES-NI on a CPU
 * with VAES: the widest VAES path it has); elsewhere one after the other with impl. Headers
 * need no alignment.
 */
CS_INTERNAL void cs_checksum_headers(vsr_checksum_impl impl, const void *const headers[],
                                     size_t count, vsr_u128 out[]);

/* What the x86 detection reads: cpuid leaf 1's ecx, leaf 7 subleaf 0's ebx and ecx, and
 * XCR0 (zero where the CPU or the OS does not report them). */
typedef struct cs_x86_features {
    uint64_t leaf1_ecx;
    uint64_t leaf7_ebx;
    uint64_t leaf7_ecx;
    uint64_t xcr0;
} cs_x86_features;

/* Whether these features run the AES-NI implementation (AES and SSE4.1), the two-lane VAES
 * paths (and OSXSAVE, AVX, AVX2, VAES, the SSE and AVX state in XCR0) and the four-lane ones
 * (OSXSAVE, AVX-512F, VAES, the SSE, AVX and AVX-512 state in XCR0). x86-64 builds only. */
CS_INTERNAL bool cs_x86_aesni_supported(const cs_x86_features *f);
CS_INTERNAL bool cs_x86_vaes256_supported(const cs_x86_features *f);
CS_INTERNAL bool cs_x86_vaes512_supported(const cs_x86_features *f);

/* How cs_checksum_headers works with impl on this CPU ("vaes256x2", "one at a time"). */
CS_INTERNAL const char *cs_checksum_headers_path(vsr_checksum_impl impl);

/* Whether this CPU (and the selected implementation, AES-NI for the VAES paths) runs path. */
CS_INTERNAL bool cs_checksum_headers_path_available(cs_headers_path path);
CS_INTERNAL const char *cs_checksum_headers_path_name(cs_headers_path path);
/* cs_checksum_headers on the given path, which must be available (asserted); the
 * one-at-a-time path uses the selected implementation. For tests and benchmarks. */
CS_INTERNAL void cs_checksum_headers_with_path(cs_headers_path path, const void *const headers[],
                                               size_t count, vsr_u128 out[]);

/* ---- A trailer chunk: copied, checksummed and added to a stream (the trailer writer) ---- */

/* The ways of doing cs_checksum_chunk, each with results identical bit for bit. */
typedef enum cs_chunk_path {
    CS_CHECKSUM_CHUNK_ONE_AFTER_THE_OTHER = 0, /* memcpy, vsr_checksum_stream_add, vsr_checksum */
    CS_CHECKSUM_CHUNK_VAES256X2,               /* x86-64 VAES with AVX2: one vector, two lanes */
    CS_CHECKSUM_CHUNK_PATH_COUNT,
} cs_chunk_path;

/*
 * Copies bytes[0..size) to out (which must not overlap them), adds them to stream exactly as
 * vsr_checksum_stream_add(stream, bytes, size) does, and returns vsr_checksum(bytes, size):
 * what the trailer writer does with each block's body. With a stream of AES-NI on a CPU with
 * VAES and AVX2, and the stream's buffer empty (every chunk added so far a multiple of 32
 * bytes, as every trailer chunk but the last is), both checksums and the copy are one pass;
 * otherwise one after the other, with the stream's implementation.
 */
CS_INTERNAL vsr_u128 cs_checksum_chunk(vsr_checksum_stream *stream, void *out, const void *bytes,
                                       size_t size);
/* How cs_checksum_chunk works for this stream on this CPU ("vaes256x2", ...). */
CS_INTERNAL const char *cs_checksum_chunk_path(const vsr_checksum_stream *stream);
CS_INTERNAL bool cs_checksum_chunk_path_available(cs_chunk_path path);
CS_INTERNAL const char *cs_checksum_chunk_path_name(cs_chunk_path path);
/* cs_checksum_chunk on the given path, which must be available (asserted); the fused path
 * falls back to one after the other when the stream's buffer is not empty. For tests and
 * benchmarks. */
CS_INTERNAL vsr_u128 cs_checksum_chunk_with_path(cs_chunk_path path, vsr_checksum_stream *stream,
                                                 void *out, const void *bytes, size_t size);

/* ---- Header rules (header.c) ---- */

/* vsr_header_reply_validate without its first rule, for a caller that checked the checksum. */
CS_INTERNAL vsr_error_code cs_header_reply_validate_after_checksum(const vsr_header_reply *header);

#endif
