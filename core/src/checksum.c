/*
 * checksum.c: AEGIS-128L used as a MAC with a zero key and nonce (docs/FORMAT.md section 1).
 *
 * The input is the associated data, the message is empty, and the 128-bit tag read as a
 * little-endian u128 is the checksum. Three implementations give identical results:
 * portable C, x86-64 AES-NI and the ARMv8 crypto extensions. The fastest the CPU has is
 * chosen on first use; each accelerated path is compiled with a target attribute so the
 * library itself needs no -maes and still runs on CPUs without it.
 *
 * The state after Init with a zero key and nonce is the constant cs_aegis_state_zero,
 * so a checksum is only its Updates and the Finalize: a 240-byte header costs 8 + 7 rounds
 * of Update instead of 18 + 7.
 *
 * Decode checks the checksum of every header of a trailer: cs_checksum_headers takes them in
 * batches and, where the CPU has VAES, computes several at once, one per 128-bit lane: four
 * with AVX-512, two with AVX2.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "aegis_internal.h"
#include "assert.h"
#include "vsr.h"
#include "vsr_checksum_impl.h"

#if defined(__x86_64__) && !defined(CS_CHECKSUM_PORTABLE_ONLY)
#define CS_HAVE_AESNI 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define CS_HAVE_AESNI 0
#endif

/*
 * ARMv8: the build may already target the crypto extensions; otherwise a target attribute
 * enables them per function. clang's arm_neon.h only allows that from clang 16 on; older
 * clang without -march=...+crypto falls back to portable C.
 */
#if defined(CS_CHECKSUM_PORTABLE_ONLY)
#define CS_HAVE_ARMV8 0
#elif defined(__aarch64__) && (defined(__ARM_FEATURE_AES) || defined(__ARM_FEATURE_CRYPTO))
#define CS_HAVE_ARMV8 1
#define CS_ARMV8
#elif defined(__aarch64__) && defined(__clang__) && __clang_major__ >= 16
#define CS_HAVE_ARMV8 1
#define CS_ARMV8 __attribute__((target("aes")))
#elif defined(__aarch64__) && defined(__GNUC__) && !defined(__clang__)
#define CS_HAVE_ARMV8 1
#define CS_ARMV8 __attribute__((target("+crypto")))
#else
#define CS_HAVE_ARMV8 0
#endif

#if CS_HAVE_ARMV8
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#endif

enum {
    HEADER_CHECKSUM_OFFSET = 0,
    HEADER_CHECKSUM_BODY_OFFSET = 32,
    HEADER_CHECKSUMMED_OFFSET = 16, /* the checksum covers its own padding onwards */
    HEADER_CHECKSUMMED_SIZE = VSR_HEADER_SIZE - HEADER_CHECKSUMMED_OFFSET,
};

/* Fibonacci numbers mod 256, the draft's C0 and C1. */
static const uint8_t aegis_c0[16] = {0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d,
                                     0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62};
static const uint8_t aegis_c1[16] = {0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1,
                                     0x20, 0x11, 0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd};

/*
 * Init(0, 0) computed once by cs_aegis_init; test_checksum recomputes it with every
 * implementation, so a wrong byte here cannot go unnoticed. One row per block, in halves.
 */
/* clang-format off */
alignas(16) const uint8_t cs_aegis_state_zero[8][16] = {
    {0x72, 0xf2, 0xf4, 0x5d, 0x9e, 0xc7, 0x42, 0x02,
     0x3e, 0x84, 0xaa, 0x66, 0xae, 0xfd, 0x35, 0x92},
    {0x42, 0x07, 0x1d, 0xcd, 0x30, 0x1a, 0xf7, 0xcf,
     0x8a, 0x7c, 0x6c, 0x4a, 0x20, 0xf6, 0x30, 0x65},
    {0xf8, 0x4e, 0xa4, 0xa1, 0xc6, 0xaa, 0x99, 0xce,
     0xa5, 0x1d, 0x8b, 0x5c, 0x9c, 0xc3, 0x05, 0x8f},
    {0x0f, 0xc0, 0x5e, 0x11, 0x17, 0xaf, 0x10, 0x75,
     0xa4, 0x11, 0x19, 0xf3, 0x29, 0xc5, 0xa8, 0xd2},
    {0x57, 0x88, 0x8c, 0x33, 0xd3, 0x16, 0x03, 0x55,
     0x36, 0x40, 0x35, 0xc8, 0xf2, 0x1e, 0x79, 0x86},
    {0x48, 0xfa, 0x4b, 0x5d, 0xd5, 0x70, 0x42, 0xc4,
     0x08, 0x4f, 0xe9, 0xf5, 0x15, 0x08, 0xb6, 0x44},
    {0x0b, 0x99, 0x89, 0xcc, 0x91, 0x05, 0x03, 0x85,
     0x03, 0x05, 0xde, 0x7e, 0xf1, 0xa9, 0x8b, 0xfe},
    {0xb3, 0x0e, 0x75, 0x21, 0x39, 0x0c, 0xcf, 0x8e,
     0xcf, 0xe9, 0x4a, 0xf6, 0x87, 0x95, 0x5d, 0xd7},
};
/* clang-format on */

/* Bits of AD and message, as Finalize writes them; sizes stay below 2^61 bytes. */
static void aegis_length_block(uint64_t ad_size, uint64_t msg_size, uint8_t out[16]) {
    CS_ASSERT(ad_size <= UINT64_MAX / 8);
    CS_ASSERT(msg_size <= UINT64_MAX / 8);
    uint64_t bits[2] = {ad_size * 8, msg_size * 8};
    memcpy(out, bits, sizeof(bits)); /* little-endian host: vsr.h checks */
}

/*
 * Copies the size < 32 bytes of a last, partial block without a call to memcpy: each
 * fixed-size copy below is a single move, and a header's 16-byte tail is just one.
 */
static inline void copy_tail(uint8_t *out, const uint8_t *bytes, size_t size) {
    CS_ASSERT(size < CS_AEGIS_BLOCK_SIZE);
    size_t at = 0;
    if (size & 16) {
        memcpy(out + at, bytes + at, 16);
        at += 16;
    }
    if (size & 8) {
        memcpy(out + at, bytes + at, 8);
        at += 8;
    }
    if (size & 4) {
        memcpy(out + at, bytes + at, 4);
        at += 4;
    }
    if (size & 2) {
        memcpy(out + at, bytes + at, 2);
        at += 2;
    }
    if (size & 1) {
        out[at] = bytes[at];
    }
}

/* ---- Portable C ---- */

/*
 * One AES block as four little-endian column words: byte r of column c is state byte
 * 4c + r, the layout AES-NI and NEON use. Table lookups indexed by data are not constant
 * time; that is fine for a checksum with a zero key, which guards against corruption, not
 * against someone timing us to learn the bytes.
 */
typedef struct pblock {
    uint32_t w[4];
} pblock;

/*
 * aes_t0[x] is what S[x] alone in row 0 of a column becomes after SubBytes and MixColumns:
 * the bytes (2 S[x], S[x], S[x], 3 S[x]) as a little-endian word, S the AES S-box of
 * FIPS-197. Rows 1..3 contribute the same bytes rotated, so this one 1 KiB table does both
 * steps for the whole round.
 */
static const uint32_t aes_t0[256] = {
    0xa56363c6, 0x847c7cf8, 0x997777ee, 0x8d7b7bf6, 0x0df2f2ff, 0xbd6b6bd6, 0xb16f6fde, 0x54c5c591,
    0x50303060, 0x03010102, 0xa96767ce, 0x7d2b2b56, 0x19fefee7, 0x62d7d7b5, 0xe6abab4d, 0x9a7676ec,
    0x45caca8f, 0x9d82821f, 0x40c9c989, 0x877d7dfa, 0x15fafaef, 0xeb5959b2, 0xc947478e, 0x0bf0f0fb,
    0xecadad41, 0x67d4d4b3, 0xfda2a25f, 0xeaafaf45, 0xbf9c9c23, 0xf7a4a453, 0x967272e4, 0x5bc0c09b,
    0xc2b7b775, 0x1cfdfde1, 0xae93933d, 0x6a26264c, 0x5a36366c, 0x413f3f7e, 0x02f7f7f5, 0x4fcccc83,
    0x5c343468, 0xf4a5a551, 0x34e5e5d1, 0x08f1f1f9, 0x937171e2, 0x73d8d8ab, 0x53313162, 0x3f15152a,
    0x0c040408, 0x52c7c795, 0x65232346, 0x5ec3c39d, 0x28181830, 0xa1969637, 0x0f05050a, 0xb59a9a2f,
    0x0907070e, 0x36121224, 0x9b80801b, 0x3de2e2df, 0x26ebebcd, 0x6927274e, 0xcdb2b27f, 0x9f7575ea,
    0x1b090912, 0x9e83831d, 0x742c2c58, 0x2e1a1a34, 0x2d1b1b36, 0xb26e6edc, 0xee5a5ab4, 0xfba0a05b,
    0xf65252a4, 0x4d3b3b76, 0x61d6d6b7, 0xceb3b37d, 0x7b292952, 0x3ee3e3dd, 0x712f2f5e, 0x97848413,
    0xf55353a6, 0x68d1d1b9, 0x00000000, 0x2cededc1, 0x60202040, 0x1ffcfce3, 0xc8b1b179, 0xed5b5bb6,
    0xbe6a6ad4, 0x46cbcb8d, 0xd9bebe67, 0x4b393972, 0xde4a4a94, 0xd44c4c98, 0xe85858b0, 0x4acfcf85,
    0x6bd0d0bb, 0x2aefefc5, 0xe5aaaa4f, 0x16fbfbed, 0xc5434386, 0xd74d4d9a, 0x55333366, 0x94858511,
    0xcf45458a, 0x10f9f9e9, 0x06020204, 0x817f7ffe, 0xf05050a0, 0x443c3c78, 0xba9f9f25, 0xe3a8a84b,
    0xf35151a2, 0xfea3a35d, 0xc0404080, 0x8a8f8f05, 0xad92923f, 0xbc9d9d21, 0x48383870, 0x04f5f5f1,
    0xdfbcbc63, 0xc1b6b677, 0x75dadaaf, 0x63212142, 0x30101020, 0x1affffe5, 0x0ef3f3fd, 0x6dd2d2bf,
    0x4ccdcd81, 0x140c0c18, 0x35131326, 0x2fececc3, 0xe15f5fbe, 0xa2979735, 0xcc444488, 0x3917172e,
    0x57c4c493, 0xf2a7a755, 0x827e7efc, 0x473d3d7a, 0xac6464c8, 0xe75d5dba, 0x2b191932, 0x957373e6,
    0xa06060c0, 0x98818119, 0xd14f4f9e, 0x7fdcdca3, 0x66222244, 0x7e2a2a54, 0xab90903b, 0x8388880b,
    0xca46468c, 0x29eeeec7, 0xd3b8b86b, 0x3c141428, 0x79dedea7, 0xe25e5ebc, 0x1d0b0b16, 0x76dbdbad,
    0x3be0e0db, 0x56323264, 0x4e3a3a74, 0x1e0a0a14, 0xdb494992, 0x0a06060c, 0x6c242448, 0xe45c5cb8,
    0x5dc2c29f, 0x6ed3d3bd, 0xefacac43, 0xa66262c4, 0xa8919139, 0xa4959531, 0x37e4e4d3, 0x8b7979f2,
    0x32e7e7d5, 0x43c8c88b, 0x5937376e, 0xb76d6dda, 0x8c8d8d01, 0x64d5d5b1, 0xd24e4e9c, 0xe0a9a949,
    0xb46c6cd8, 0xfa5656ac, 0x07f4f4f3, 0x25eaeacf, 0xaf6565ca, 0x8e7a7af4, 0xe9aeae47, 0x18080810,
    0xd5baba6f, 0x887878f0, 0x6f25254a, 0x722e2e5c, 0x241c1c38, 0xf1a6a657, 0xc7b4b473, 0x51c6c697,
    0x23e8e8cb, 0x7cdddda1, 0x9c7474e8, 0x211f1f3e, 0xdd4b4b96, 0xdcbdbd61, 0x868b8b0d, 0x858a8a0f,
    0x907070e0, 0x423e3e7c, 0xc4b5b571, 0xaa6666cc, 0xd8484890, 0x05030306, 0x01f6f6f7, 0x120e0e1c,
    0xa36161c2, 0x5f35356a, 0xf95757ae, 0xd0b9b969, 0x91868617, 0x58c1c199, 0x271d1d3a, 0xb99e9e27,
    0x38e1e1d9, 0x13f8f8eb, 0xb398982b, 0x33111122, 0xbb6969d2, 0x70d9d9a9, 0x898e8e07, 0xa7949433,
    0xb69b9b2d, 0x221e1e3c, 0x92878715, 0x20e9e9c9, 0x49cece87, 0xff5555aa, 0x78282850, 0x7adfdfa5,
    0x8f8c8c03, 0xf8a1a159, 0x80898909, 0x170d0d1a, 0xdabfbf65, 0x31e6e6d7, 0xc6424284, 0xb86868d0,
    0xc3414182, 0xb0999929, 0x772d2d5a, 0x110f0f1e, 0xcbb0b07b, 0xfc5454a8, 0xd6bbbb6d, 0x3a16162c,
};

static inline uint32_t rotl32(uint32_t x, unsigned n) { return (x << n) | (x >> (32u - n)); }

/* One output column; a0..a3 are the input columns that ShiftRows brings to rows 0..3. */
static inline uint32_t round_column(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                    uint32_t rk) {
    return aes_t0[a0 & 0xffu] ^ rotl32(aes_t0[(a1 >> 8) & 0xffu], 8) ^
           rotl32(aes_t0[(a2 >> 16) & 0xffu], 16) ^ rotl32(aes_t0[a3 >> 24], 24) ^ rk;
}

/* AESRound(in, rk) = MixColumns(ShiftRows(SubBytes(in))) ^ rk, what AESENC computes. */
static inline pblock portable_round(pblock in, pblock rk) {
    pblock out;
    out.w[0] = round_column(in.w[0], in.w[1], in.w[2], in.w[3], rk.w[0]);
    out.w[1] = round_column(in.w[1], in.w[2], in.w[3], in.w[0], rk.w[1]);
    out.w[2] = round_column(in.w[2], in.w[3], in.w[0], in.w[1], rk.w[2]);
    out.w[3] = round_column(in.w[3], in.w[0], in.w[1], in.w[2], rk.w[3]);
    return out;
}

static inline pblock pblock_xor(pblock a, pblock b) {
    pblock out;
    for (unsigned i = 0; i < 4; i++) {
        out.w[i] = a.w[i] ^ b.w[i];
    }
    return out;
}

static inline pblock pblock_load(const uint8_t *bytes) {
    pblock out;
    memcpy(out.w, bytes, sizeof(out.w));
    return out;
}

static void portable_update(pblock s[8], pblock m0, pblock m1) {
    pblock s7 = s[7];
    s[7] = portable_round(s[6], s[7]);
    s[6] = portable_round(s[5], s[6]);
    s[5] = portable_round(s[4], s[5]);
    s[4] = portable_round(s[3], pblock_xor(s[4], m1));
    s[3] = portable_round(s[2], s[3]);
    s[2] = portable_round(s[1], s[2]);
    s[1] = portable_round(s[0], s[1]);
    s[0] = portable_round(s7, pblock_xor(s[0], m0));
}

static void portable_absorb(uint8_t state[8][16], const uint8_t *blocks, size_t block_count) {
    pblock s[8];
    for (unsigned i = 0; i < 8; i++) {
        s[i] = pblock_load(state[i]);
    }
    for (size_t b = 0; b < block_count; b++) {
        const uint8_t *block = blocks + b * CS_AEGIS_BLOCK_SIZE;
        portable_update(s, pblock_load(block), pblock_load(block + 16));
    }
    for (unsigned i = 0; i < 8; i++) {
        memcpy(state[i], s[i].w, 16);
    }
}

static void portable_finalize(uint8_t state[8][16], uint64_t ad_size, uint64_t msg_size,
                              uint8_t tag[16]) {
    pblock s[8];
    for (unsigned i = 0; i < 8; i++) {
        s[i] = pblock_load(state[i]);
    }
    uint8_t lengths[16];
    aegis_length_block(ad_size, msg_size, lengths);
    pblock t = pblock_xor(s[2], pblock_load(lengths));
    for (unsigned i = 0; i < 7; i++) {
        portable_update(s, t, t);
    }
    pblock sum = s[0];
    for (unsigned i = 1; i < 7; i++) {
        sum = pblock_xor(sum, s[i]);
    }
    memcpy(tag, sum.w, 16);
}

/* ---- x86-64 AES-NI ---- */

#if CS_HAVE_AESNI
#define CS_AESNI __attribute__((target("aes,sse4.1")))
#define CS_AESNI_INLINE static inline __attribute__((always_inline, target("aes,sse4.1")))

/*
 * Named fields rather than an array: after inlining, the compiler then keeps all eight in
 * xmm registers for the whole checksum instead of going through the stack.
 */
typedef struct aesni_state {
    __m128i s0, s1, s2, s3, s4, s5, s6, s7;
} aesni_state;

CS_AESNI_INLINE __m128i aesni_load16(const uint8_t *bytes) {
    return _mm_loadu_si128((const __m128i *)(const void *)bytes);
}

CS_AESNI_INLINE void aesni_store16(uint8_t *bytes, __m128i value) {
    _mm_storeu_si128((__m128i *)(void *)bytes, value);
}

/* Takes the state as flat bytes: ISO C before C23 will not add const to an array's rows. */
CS_AESNI_INLINE void aesni_load(aesni_state *st, const uint8_t *state) {
    st->s0 = aesni_load16(state + 0 * 16);
    st->s1 = aesni_load16(state + 1 * 16);
    st->s2 = aesni_load16(state + 2 * 16);
    st->s3 = aesni_load16(state + 3 * 16);
    st->s4 = aesni_load16(state + 4 * 16);
    st->s5 = aesni_load16(state + 5 * 16);
    st->s6 = aesni_load16(state + 6 * 16);
    st->s7 = aesni_load16(state + 7 * 16);
}

CS_AESNI_INLINE void aesni_store(const aesni_state *st, uint8_t *state) {
    aesni_store16(state + 0 * 16, st->s0);
    aesni_store16(state + 1 * 16, st->s1);
    aesni_store16(state + 2 * 16, st->s2);
    aesni_store16(state + 3 * 16, st->s3);
    aesni_store16(state + 4 * 16, st->s4);
    aesni_store16(state + 5 * 16, st->s5);
    aesni_store16(state + 6 * 16, st->s6);
    aesni_store16(state + 7 * 16, st->s7);
}

/*
 * AESRound(a, k ^ m) == AESRound(a, m) ^ k, so S0 and S4 take the message as the round
 * key and their own old value afterwards: the xor then sits beside the AES round instead of
 * in front of it, which shortens the dependency chain that bounds throughput.
 */
CS_AESNI_INLINE void aesni_update(aesni_state *st, __m128i m0, __m128i m1) {
    __m128i s7 = st->s7;
    st->s7 = _mm_aesenc_si128(st->s6, st->s7);
    st->s6 = _mm_aesenc_si128(st->s5, st->s6);
    st->s5 = _mm_aesenc_si128(st->s4, st->s5);
    st->s4 = _mm_xor_si128(_mm_aesenc_si128(st->s3, m1), st->s4);
    st->s3 = _mm_aesenc_si128(st->s2, st->s3);
    st->s2 = _mm_aesenc_si128(st->s1, st->s2);
    st->s1 = _mm_aesenc_si128(st->s0, st->s1);
    st->s0 = _mm_xor_si128(_mm_aesenc_si128(s7, m0), st->s0);
}

CS_AESNI_INLINE void aesni_update_block(aesni_state *st, const uint8_t *block) {
    aesni_update(st, aesni_load16(block), aesni_load16(block + 16));
}

/* The hot loop: one chain of AES rounds, two blocks per iteration to halve loop overhead. */
CS_AESNI_INLINE void aesni_absorb_blocks(aesni_state *st, const uint8_t *blocks,
                                         size_t block_count) {
    for (size_t pairs = block_count / 2; pairs > 0; pairs--) {
        aesni_update_block(st, blocks);
        aesni_update_block(st, blocks + CS_AEGIS_BLOCK_SIZE);
        blocks += 2 * CS_AEGIS_BLOCK_SIZE;
    }
    if (block_count % 2 != 0) {
        aesni_update_block(st, blocks);
    }
}

CS_AESNI_INLINE __m128i aesni_finalize_state(aesni_state *st, uint64_t ad_size, uint64_t msg_size) {
    uint8_t lengths[16];
    aegis_length_block(ad_size, msg_size, lengths);
    __m128i t = _mm_xor_si128(st->s2, aesni_load16(lengths));
    for (unsigned i = 0; i < 7; i++) {
        aesni_update(st, t, t);
    }
    __m128i a = _mm_xor_si128(_mm_xor_si128(st->s0, st->s1), _mm_xor_si128(st->s2, st->s3));
    __m128i b = _mm_xor_si128(_mm_xor_si128(st->s4, st->s5), st->s6);
    return _mm_xor_si128(a, b);
}

static CS_AESNI void aesni_absorb(uint8_t state[8][16], const uint8_t *blocks, size_t block_count) {
    aesni_state st;
    aesni_load(&st, state[0]);
    aesni_absorb_blocks(&st, blocks, block_count);
    aesni_store(&st, state[0]);
}

static CS_AESNI void aesni_finalize(uint8_t state[8][16], uint64_t ad_size, uint64_t msg_size,
                                    uint8_t tag[16]) {
    aesni_state st;
    aesni_load(&st, state[0]);
    aesni_store16(tag, aesni_finalize_state(&st, ad_size, msg_size));
}

/* One-shot: the state never leaves registers, which is what makes short inputs cheap. */
static CS_AESNI vsr_u128 aesni_checksum(const uint8_t *bytes, size_t size) {
    aesni_state st;
    aesni_load(&st, cs_aegis_state_zero[0]);
    size_t full = size / CS_AEGIS_BLOCK_SIZE;
    size_t tail = size % CS_AEGIS_BLOCK_SIZE;
    if (full > 0) {
        aesni_absorb_blocks(&st, bytes, full);
    }
    if (tail > 0) {
        alignas(16) uint8_t last[CS_AEGIS_BLOCK_SIZE] = {0};
        copy_tail(last, bytes + full * CS_AEGIS_BLOCK_SIZE, tail);
        aesni_update_block(&st, last);
    }
    vsr_u128 out;
    aesni_store16((uint8_t *)&out, aesni_finalize_state(&st, size, 0));
    return out;
}

/*
 * What the x86 paths need, from what the CPU and the OS report (cs_x86_features): pure
 * functions of the registers, so that the tests give them every combination of features
 * whatever CPU runs the tests; x86_features_read reads the registers once per question.
 */
static bool has_all(uint64_t word, uint64_t bits) { return (word & bits) == bits; }

bool cs_x86_aesni_supported(const cs_x86_features *f) {
    return has_all(f->leaf1_ecx, (uint64_t)bit_AES | bit_SSE4_1);
}

/* The XCR0 bits of SSE and AVX state: xmm and the upper halves of ymm. */
#define XCR0_AVX ((UINT64_C(1) << 1) | (UINT64_C(1) << 2))
/* And of AVX-512: the opmask registers, zmm0-15's upper halves and zmm16-31. */
#define XCR0_AVX512 (XCR0_AVX | (UINT64_C(1) << 5) | (UINT64_C(1) << 6) | (UINT64_C(1) << 7))

bool cs_x86_vaes256_supported(const cs_x86_features *f) {
    return has_all(f->leaf1_ecx, (uint64_t)bit_OSXSAVE | bit_AES | bit_AVX) &&
           has_all(f->leaf7_ebx, bit_AVX2) && has_all(f->leaf7_ecx, bit_VAES) &&
           has_all(f->xcr0, XCR0_AVX);
}

bool cs_x86_vaes512_supported(const cs_x86_features *f) {
    return has_all(f->leaf1_ecx, (uint64_t)bit_OSXSAVE | bit_AES) &&
           has_all(f->leaf7_ebx, bit_AVX512F) && has_all(f->leaf7_ecx, bit_VAES) &&
           has_all(f->xcr0, XCR0_AVX512);
}

/* The registers, as far as the CPU has them: leaf 7 only where the CPU reports it, XCR0
 * only where the OS has enabled xgetbv (OSXSAVE). What is not read stays zero. */
static cs_x86_features x86_features_read(void) {
    cs_x86_features f = {0, 0, 0, 0};
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) f.leaf1_ecx = c;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.leaf7_ebx = b;
        f.leaf7_ecx = c;
    }
    if ((f.leaf1_ecx & bit_OSXSAVE) != 0) {
        uint32_t low, high;
        __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
        f.xcr0 = (uint64_t)high << 32 | low;
    }
    return f;
}

static bool aesni_detect(void) {
    cs_x86_features f = x86_features_read();
    return cs_x86_aesni_supported(&f);
}

/*
 * VAES with AVX-512: the same rounds on 512-bit vectors, one 128-bit lane per header, so
 * that one instruction advances four header checksums. A single AEGIS state already keeps
 * 128-bit AES units busy, since the eight rounds of an Update are independent of each other
 * (on Zen 5, two or four interleaved AES-NI states were no faster per header than one; on
 * Zen 3 two were 4% faster), so batching only pays where the AES units are wider.
 * cs_checksum_headers uses this path when the CPU and the OS support it.
 */
#define CS_VAES __attribute__((target("aes,avx512f,vaes")))
#define CS_VAES_INLINE static inline __attribute__((always_inline, target("aes,avx512f,vaes")))

enum { VAES_LANES = 4 };

/* A header's checksummed bytes: 7 full blocks and a 16-byte tail that fills M0 of an 8th. */
_Static_assert(HEADER_CHECKSUMMED_SIZE % CS_AEGIS_BLOCK_SIZE == 16, "header tail is one M0");

typedef struct vaes_state {
    __m512i s0, s1, s2, s3, s4, s5, s6, s7;
} vaes_state;

/* aesni_update with four lanes: see there for why the message is the round key. */
CS_VAES_INLINE void vaes_update(vaes_state *st, __m512i m0, __m512i m1) {
    __m512i s7 = st->s7;
    st->s7 = _mm512_aesenc_epi128(st->s6, st->s7);
    st->s6 = _mm512_aesenc_epi128(st->s5, st->s6);
    st->s5 = _mm512_aesenc_epi128(st->s4, st->s5);
    st->s4 = _mm512_xor_si512(_mm512_aesenc_epi128(st->s3, m1), st->s4);
    st->s3 = _mm512_aesenc_epi128(st->s2, st->s3);
    st->s2 = _mm512_aesenc_epi128(st->s1, st->s2);
    st->s1 = _mm512_aesenc_epi128(st->s0, st->s1);
    st->s0 = _mm512_xor_si512(_mm512_aesenc_epi128(s7, m0), st->s0);
}

/* The same 16 bytes in every lane. */
CS_VAES_INLINE __m512i vaes_broadcast(const uint8_t *bytes) {
    return _mm512_broadcast_i32x4(aesni_load16(bytes));
}

/* Lane k holds the 16 bytes at offset of headers[k]. */
CS_VAES_INLINE __m512i vaes_load_lanes(const uint8_t *const headers[VAES_LANES], size_t offset) {
    __m512i v = _mm512_castsi128_si512(aesni_load16(headers[0] + offset));
    v = _mm512_inserti32x4(v, aesni_load16(headers[1] + offset), 1);
    v = _mm512_inserti32x4(v, aesni_load16(headers[2] + offset), 2);
    return _mm512_inserti32x4(v, aesni_load16(headers[3] + offset), 3);
}

/* vsr_header_checksum_compute of four headers at once; out[k] belongs to headers[k]. */
static CS_VAES void vaes_checksum_headers(const uint8_t *const headers[VAES_LANES],
                                          vsr_u128 out[VAES_LANES]) {
    vaes_state st;
    st.s0 = vaes_broadcast(cs_aegis_state_zero[0]);
    st.s1 = vaes_broadcast(cs_aegis_state_zero[1]);
    st.s2 = vaes_broadcast(cs_aegis_state_zero[2]);
    st.s3 = vaes_broadcast(cs_aegis_state_zero[3]);
    st.s4 = vaes_broadcast(cs_aegis_state_zero[4]);
    st.s5 = vaes_broadcast(cs_aegis_state_zero[5]);
    st.s6 = vaes_broadcast(cs_aegis_state_zero[6]);
    st.s7 = vaes_broadcast(cs_aegis_state_zero[7]);
    size_t offset = HEADER_CHECKSUMMED_OFFSET;
    for (; offset + CS_AEGIS_BLOCK_SIZE <= VSR_HEADER_SIZE; offset += CS_AEGIS_BLOCK_SIZE) {
        vaes_update(&st, vaes_load_lanes(headers, offset), vaes_load_lanes(headers, offset + 16));
    }
    vaes_update(&st, vaes_load_lanes(headers, offset), _mm512_setzero_si512());
    uint8_t lengths[16];
    aegis_length_block(HEADER_CHECKSUMMED_SIZE, 0, lengths);
    __m512i t = _mm512_xor_si512(st.s2, vaes_broadcast(lengths));
    for (unsigned i = 0; i < 7; i++) {
        vaes_update(&st, t, t);
    }
    __m512i a = _mm512_xor_si512(_mm512_xor_si512(st.s0, st.s1), _mm512_xor_si512(st.s2, st.s3));
    __m512i b = _mm512_xor_si512(_mm512_xor_si512(st.s4, st.s5), st.s6);
    _mm512_storeu_si512((void *)out, _mm512_xor_si512(a, b));
}

/* AVX-512F and VAES in the CPU, and the OS saving the registers they use (XCR0). */
static bool vaes_detect(void) {
    cs_x86_features f = x86_features_read();
    return cs_x86_vaes512_supported(&f);
}

/* 0 = not yet known, 1 = no, 2 = yes; a pure answer cached as checksum_selected_cache is. */
static atomic_int vaes_cache;

static bool vaes_available(void) {
    int cached = atomic_load_explicit(&vaes_cache, memory_order_relaxed);
    if (cached == 0) {
        cached = vaes_detect() ? 2 : 1;
        atomic_store_explicit(&vaes_cache, cached, memory_order_relaxed);
    }
    return cached == 2;
}

/*
 * VAES on 256-bit vectors (VAES with AVX2 and no AVX-512, such as Zen 3): two headers a
 * vector, one per 128-bit lane. A single 128-bit chain keeps the AES units about half busy
 * on such a CPU: one Update is a round's latency plus an xor, and its eight rounds are too
 * few to fill the gap. Two lanes fill it, so two headers cost about what one does (measured
 * on Zen 3: 12 ns per header instead of 22). Four headers in two such states would need 16
 * vector registers for the state alone, all that AVX2 has: the spills made that slower than
 * two.
 */
#define CS_VAES256 __attribute__((target("aes,avx2,vaes")))
#define CS_VAES256_INLINE static inline __attribute__((always_inline, target("aes,avx2,vaes")))

enum { VAES256_LANES = 2 };

typedef struct vaes256_state {
    __m256i s0, s1, s2, s3, s4, s5, s6, s7;
} vaes256_state;

/* aesni_update with two lanes: see there for why the message is the round key. */
CS_VAES256_INLINE void vaes256_update(vaes256_state *st, __m256i m0, __m256i m1) {
    __m256i s7 = st->s7;
    st->s7 = _mm256_aesenc_epi128(st->s6, st->s7);
    st->s6 = _mm256_aesenc_epi128(st->s5, st->s6);
    st->s5 = _mm256_aesenc_epi128(st->s4, st->s5);
    st->s4 = _mm256_xor_si256(_mm256_aesenc_epi128(st->s3, m1), st->s4);
    st->s3 = _mm256_aesenc_epi128(st->s2, st->s3);
    st->s2 = _mm256_aesenc_epi128(st->s1, st->s2);
    st->s1 = _mm256_aesenc_epi128(st->s0, st->s1);
    st->s0 = _mm256_xor_si256(_mm256_aesenc_epi128(s7, m0), st->s0);
}

/* The same 16 bytes in both lanes. */
CS_VAES256_INLINE __m256i vaes256_broadcast(const uint8_t *bytes) {
    return _mm256_broadcastsi128_si256(aesni_load16(bytes));
}

/* Lane k holds the 16 bytes at offset of headers[k]. */
CS_VAES256_INLINE __m256i vaes256_load_lanes(const uint8_t *const headers[VAES256_LANES],
                                             size_t offset) {
    __m256i v = _mm256_castsi128_si256(aesni_load16(headers[0] + offset));
    return _mm256_inserti128_si256(v, aesni_load16(headers[1] + offset), 1);
}

/* vsr_header_checksum_compute of two headers at once; out[k] belongs to headers[k]. */
static CS_VAES256 void vaes256_checksum_headers(const uint8_t *const headers[VAES256_LANES],
                                                vsr_u128 out[VAES256_LANES]) {
    vaes256_state st;
    st.s0 = vaes256_broadcast(cs_aegis_state_zero[0]);
    st.s1 = vaes256_broadcast(cs_aegis_state_zero[1]);
    st.s2 = vaes256_broadcast(cs_aegis_state_zero[2]);
    st.s3 = vaes256_broadcast(cs_aegis_state_zero[3]);
    st.s4 = vaes256_broadcast(cs_aegis_state_zero[4]);
    st.s5 = vaes256_broadcast(cs_aegis_state_zero[5]);
    st.s6 = vaes256_broadcast(cs_aegis_state_zero[6]);
    st.s7 = vaes256_broadcast(cs_aegis_state_zero[7]);
    size_t offset = HEADER_CHECKSUMMED_OFFSET;
    for (; offset + CS_AEGIS_BLOCK_SIZE <= VSR_HEADER_SIZE; offset += CS_AEGIS_BLOCK_SIZE) {
        vaes256_update(&st, vaes256_load_lanes(headers, offset),
                       vaes256_load_lanes(headers, offset + 16));
    }
    vaes256_update(&st, vaes256_load_lanes(headers, offset), _mm256_setzero_si256());
    uint8_t lengths[16];
    aegis_length_block(HEADER_CHECKSUMMED_SIZE, 0, lengths);
    __m256i t = _mm256_xor_si256(st.s2, vaes256_broadcast(lengths));
    for (unsigned i = 0; i < 7; i++) {
        vaes256_update(&st, t, t);
    }
    __m256i a = _mm256_xor_si256(_mm256_xor_si256(st.s0, st.s1), _mm256_xor_si256(st.s2, st.s3));
    __m256i b = _mm256_xor_si256(_mm256_xor_si256(st.s4, st.s5), st.s6);
    _mm256_storeu_si256((__m256i *)(void *)out, _mm256_xor_si256(a, b));
}

/* AVX2 and VAES in the CPU, and the OS saving the registers they use (XCR0). */
static bool vaes256_detect(void) {
    cs_x86_features f = x86_features_read();
    return cs_x86_vaes256_supported(&f);
}

static atomic_int vaes256_cache;

static bool vaes256_available(void) {
    int cached = atomic_load_explicit(&vaes256_cache, memory_order_relaxed);
    if (cached == 0) {
        cached = vaes256_detect() ? 2 : 1;
        atomic_store_explicit(&vaes256_cache, cached, memory_order_relaxed);
    }
    return cached == 2;
}

/* Lane 0 of v stored to bytes (16 bytes). */
CS_VAES256_INLINE void vaes256_store_lane0(uint8_t *bytes, __m256i v) {
    aesni_store16(bytes, _mm256_castsi256_si128(v));
}

/* Lane 0 from lane0 (16 bytes), lane 1 from lane1. */
CS_VAES256_INLINE __m256i vaes256_load_pair(const uint8_t *lane0, const uint8_t *lane1) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(aesni_load16(lane0)), aesni_load16(lane1),
                                   1);
}

/*
 * A trailer chunk (cs_checksum_chunk) in one pass: lane 0 carries the stream of the whole
 * trailer, lane 1 the chunk's own checksum, from the zero state. Both absorb the same
 * message blocks, so one vector of AES rounds advances both checksums, at about the cost of
 * one (the same reason vaes256_checksum_headers runs two headers at once), and each 32 bytes
 * are stored to the copy as they are loaded. The stream's buffer must be empty: lane 0 then
 * starts at a block boundary of the stream. A last partial block goes to the stream's buffer,
 * as vsr_checksum_stream_add leaves it; lane 1 absorbs it zero-padded and finalizes.
 */
static CS_VAES256 vsr_u128 vaes256_checksum_chunk(vsr_checksum_stream *stream, uint8_t *out,
                                                  const uint8_t *bytes, size_t size) {
    CS_ASSERT(stream->buffer_size == 0);
    vaes256_state st;
    st.s0 = vaes256_load_pair(stream->state[0], cs_aegis_state_zero[0]);
    st.s1 = vaes256_load_pair(stream->state[1], cs_aegis_state_zero[1]);
    st.s2 = vaes256_load_pair(stream->state[2], cs_aegis_state_zero[2]);
    st.s3 = vaes256_load_pair(stream->state[3], cs_aegis_state_zero[3]);
    st.s4 = vaes256_load_pair(stream->state[4], cs_aegis_state_zero[4]);
    st.s5 = vaes256_load_pair(stream->state[5], cs_aegis_state_zero[5]);
    st.s6 = vaes256_load_pair(stream->state[6], cs_aegis_state_zero[6]);
    st.s7 = vaes256_load_pair(stream->state[7], cs_aegis_state_zero[7]);
    size_t full = size / CS_AEGIS_BLOCK_SIZE;
    size_t tail = size % CS_AEGIS_BLOCK_SIZE;
    for (size_t b = 0; b < full; b++) {
        const uint8_t *block = bytes + b * CS_AEGIS_BLOCK_SIZE;
        _mm256_storeu_si256((__m256i *)(void *)(out + b * CS_AEGIS_BLOCK_SIZE),
                            _mm256_loadu_si256((const __m256i *)(const void *)block));
        vaes256_update(&st, vaes256_broadcast(block), vaes256_broadcast(block + 16));
    }
    vaes256_store_lane0(stream->state[0], st.s0);
    vaes256_store_lane0(stream->state[1], st.s1);
    vaes256_store_lane0(stream->state[2], st.s2);
    vaes256_store_lane0(stream->state[3], st.s3);
    vaes256_store_lane0(stream->state[4], st.s4);
    vaes256_store_lane0(stream->state[5], st.s5);
    vaes256_store_lane0(stream->state[6], st.s6);
    vaes256_store_lane0(stream->state[7], st.s7);
    stream->size_total += size;
    if (tail > 0) {
        /* From here on lane 0 is no longer the stream: only lane 1's result is kept. */
        alignas(16) uint8_t last[CS_AEGIS_BLOCK_SIZE] = {0};
        copy_tail(last, bytes + full * CS_AEGIS_BLOCK_SIZE, tail);
        memcpy(out + full * CS_AEGIS_BLOCK_SIZE, last, tail);
        memcpy(stream->buffer, last, tail);
        stream->buffer_size = (uint32_t)tail;
        vaes256_update(&st, vaes256_broadcast(last), vaes256_broadcast(last + 16));
    }
    uint8_t lengths[16];
    aegis_length_block(size, 0, lengths);
    __m256i t = _mm256_xor_si256(st.s2, vaes256_broadcast(lengths));
    for (unsigned i = 0; i < 7; i++) {
        vaes256_update(&st, t, t);
    }
    __m256i a = _mm256_xor_si256(_mm256_xor_si256(st.s0, st.s1), _mm256_xor_si256(st.s2, st.s3));
    __m256i c = _mm256_xor_si256(_mm256_xor_si256(st.s4, st.s5), st.s6);
    vsr_u128 tag;
    aesni_store16((uint8_t *)&tag, _mm256_extracti128_si256(_mm256_xor_si256(a, c), 1));
    return tag;
}
#endif /* CS_HAVE_AESNI */

/* ---- ARMv8 crypto extensions ---- */

#if CS_HAVE_ARMV8
/* AESE xors the key before SubBytes, so a zero key plus a trailing xor gives AESENC. */
static CS_ARMV8 inline uint8x16_t armv8_round(uint8x16_t in, uint8x16_t rk) {
    return veorq_u8(vaesmcq_u8(vaeseq_u8(in, vdupq_n_u8(0))), rk);
}

static CS_ARMV8 inline void armv8_update(uint8x16_t s[8], uint8x16_t m0, uint8x16_t m1) {
    uint8x16_t s7 = s[7];
    s[7] = armv8_round(s[6], s[7]);
    s[6] = armv8_round(s[5], s[6]);
    s[5] = armv8_round(s[4], s[5]);
    s[4] = armv8_round(s[3], veorq_u8(s[4], m1));
    s[3] = armv8_round(s[2], s[3]);
    s[2] = armv8_round(s[1], s[2]);
    s[1] = armv8_round(s[0], s[1]);
    s[0] = armv8_round(s7, veorq_u8(s[0], m0));
}

static CS_ARMV8 void armv8_absorb(uint8_t state[8][16], const uint8_t *blocks, size_t block_count) {
    uint8x16_t s[8];
    for (unsigned i = 0; i < 8; i++) {
        s[i] = vld1q_u8(state[i]);
    }
    for (size_t b = 0; b < block_count; b++) {
        const uint8_t *block = blocks + b * CS_AEGIS_BLOCK_SIZE;
        armv8_update(s, vld1q_u8(block), vld1q_u8(block + 16));
    }
    for (unsigned i = 0; i < 8; i++) {
        vst1q_u8(state[i], s[i]);
    }
}

static CS_ARMV8 void armv8_finalize(uint8_t state[8][16], uint64_t ad_size, uint64_t msg_size,
                                    uint8_t tag[16]) {
    uint8x16_t s[8];
    for (unsigned i = 0; i < 8; i++) {
        s[i] = vld1q_u8(state[i]);
    }
    uint8_t lengths[16];
    aegis_length_block(ad_size, msg_size, lengths);
    uint8x16_t t = veorq_u8(s[2], vld1q_u8(lengths));
    for (unsigned i = 0; i < 7; i++) {
        armv8_update(s, t, t);
    }
    uint8x16_t sum = s[0];
    for (unsigned i = 1; i < 7; i++) {
        sum = veorq_u8(sum, s[i]);
    }
    vst1q_u8(tag, sum);
}

static bool armv8_detect(void) {
#if defined(__ARM_FEATURE_AES) || defined(__ARM_FEATURE_CRYPTO)
    return true;
#elif defined(__linux__)
#ifndef HWCAP_AES
#define HWCAP_AES (1ul << 3)
#endif
    return (getauxval(AT_HWCAP) & HWCAP_AES) != 0;
#else
    return false;
#endif
}
#endif /* CS_HAVE_ARMV8 */

/* ---- Choosing an implementation ---- */

/*
 * 0 = not yet known, else a vsr_checksum_impl. Detection is pure (cpuid or auxv), so
 * threads racing here all store the same value; the atomic only keeps that race defined.
 */
static atomic_int checksum_selected_cache;

static vsr_checksum_impl checksum_detect(void) {
#if CS_HAVE_AESNI
    if (aesni_detect()) {
        return VSR_CHECKSUM_IMPL_AESNI;
    }
#endif
#if CS_HAVE_ARMV8
    if (armv8_detect()) {
        return VSR_CHECKSUM_IMPL_ARMV8;
    }
#endif
    return VSR_CHECKSUM_IMPL_PORTABLE;
}

vsr_checksum_impl vsr_checksum_impl_selected(void) {
    int cached = atomic_load_explicit(&checksum_selected_cache, memory_order_relaxed);
    if (cached == 0) {
        cached = (int)checksum_detect();
        atomic_store_explicit(&checksum_selected_cache, cached, memory_order_relaxed);
    }
    return (vsr_checksum_impl)cached;
}

/* One accelerated path per architecture at most, so it is available exactly when selected. */
bool vsr_checksum_impl_available(vsr_checksum_impl impl) {
    switch (impl) {
    case VSR_CHECKSUM_IMPL_AUTO:
    case VSR_CHECKSUM_IMPL_PORTABLE: return true;
    case VSR_CHECKSUM_IMPL_AESNI:
    case VSR_CHECKSUM_IMPL_ARMV8: return vsr_checksum_impl_selected() == impl;
    }
    return false;
}

const char *vsr_checksum_impl_name(vsr_checksum_impl impl) {
    switch (impl) {
    case VSR_CHECKSUM_IMPL_AUTO: return "auto";
    case VSR_CHECKSUM_IMPL_PORTABLE: return "portable";
    case VSR_CHECKSUM_IMPL_AESNI: return "aesni";
    case VSR_CHECKSUM_IMPL_ARMV8: return "armv8";
    }
    return "unknown";
}

/* AUTO becomes the selected implementation; anything else must be available. */
static vsr_checksum_impl checksum_resolve(vsr_checksum_impl impl) {
    if (impl == VSR_CHECKSUM_IMPL_AUTO) {
        return vsr_checksum_impl_selected();
    }
    CS_ASSERT(vsr_checksum_impl_available(impl));
    return impl;
}

/* ---- The steps, dispatched (aegis_internal.h) ---- */

void cs_aegis_absorb(vsr_checksum_impl impl, uint8_t state[8][16], const uint8_t *blocks,
                     size_t block_count) {
    CS_ASSERT(state != NULL);
    if (block_count > 0) CS_ASSERT(blocks != NULL);
    switch (checksum_resolve(impl)) {
#if CS_HAVE_AESNI
    case VSR_CHECKSUM_IMPL_AESNI: aesni_absorb(state, blocks, block_count); return;
#endif
#if CS_HAVE_ARMV8
    case VSR_CHECKSUM_IMPL_ARMV8: armv8_absorb(state, blocks, block_count); return;
#endif
    default: portable_absorb(state, blocks, block_count); return;
    }
}

void cs_aegis_finalize(vsr_checksum_impl impl, uint8_t state[8][16], uint64_t ad_size,
                       uint64_t msg_size, uint8_t tag[16]) {
    CS_ASSERT(state != NULL);
    CS_ASSERT(tag != NULL);
    switch (checksum_resolve(impl)) {
#if CS_HAVE_AESNI
    case VSR_CHECKSUM_IMPL_AESNI: aesni_finalize(state, ad_size, msg_size, tag); return;
#endif
#if CS_HAVE_ARMV8
    case VSR_CHECKSUM_IMPL_ARMV8: armv8_finalize(state, ad_size, msg_size, tag); return;
#endif
    default: portable_finalize(state, ad_size, msg_size, tag); return;
    }
}

static void aegis_xor16(uint8_t out[16], const uint8_t a[16], const uint8_t b[16]) {
    for (unsigned i = 0; i < 16; i++) {
        out[i] = (uint8_t)(a[i] ^ b[i]);
    }
}

void cs_aegis_init(vsr_checksum_impl impl, uint8_t state[8][16], const uint8_t key[16],
                   const uint8_t nonce[16]) {
    CS_ASSERT(state != NULL);
    CS_ASSERT(key != NULL);
    CS_ASSERT(nonce != NULL);
    static const uint8_t zero[16] = {0};
    aegis_xor16(state[0], key, nonce);
    aegis_xor16(state[1], zero, aegis_c1);
    aegis_xor16(state[2], zero, aegis_c0);
    aegis_xor16(state[3], zero, aegis_c1);
    aegis_xor16(state[4], key, nonce);
    aegis_xor16(state[5], key, aegis_c0);
    aegis_xor16(state[6], key, aegis_c1);
    aegis_xor16(state[7], key, aegis_c0);
    uint8_t block[CS_AEGIS_BLOCK_SIZE];
    memcpy(block, nonce, 16);
    memcpy(block + 16, key, 16);
    for (unsigned round = 0; round < 10; round++) {
        cs_aegis_absorb(impl, state, block, 1);
    }
}

/* ---- Public API ---- */

static vsr_u128 checksum_generic(vsr_checksum_impl impl, const uint8_t *bytes, size_t size) {
    alignas(16) uint8_t state[8][16];
    memcpy(state, cs_aegis_state_zero, sizeof(state));
    size_t full = size / CS_AEGIS_BLOCK_SIZE;
    size_t tail = size % CS_AEGIS_BLOCK_SIZE;
    if (full > 0) {
        cs_aegis_absorb(impl, state, bytes, full);
    }
    if (tail > 0) {
        uint8_t last[CS_AEGIS_BLOCK_SIZE] = {0};
        copy_tail(last, bytes + full * CS_AEGIS_BLOCK_SIZE, tail);
        cs_aegis_absorb(impl, state, last, 1);
    }
    vsr_u128 out;
    cs_aegis_finalize(impl, state, size, 0, (uint8_t *)&out);
    return out;
}

vsr_u128 vsr_checksum_with(vsr_checksum_impl impl, const void *bytes, size_t size) {
    if (size > 0) CS_ASSERT(bytes != NULL);
    impl = checksum_resolve(impl);
#if CS_HAVE_AESNI
    if (impl == VSR_CHECKSUM_IMPL_AESNI) {
        return aesni_checksum(bytes, size);
    }
#endif
    return checksum_generic(impl, bytes, size);
}

vsr_u128 vsr_checksum(const void *bytes, size_t size) {
    return vsr_checksum_with(VSR_CHECKSUM_IMPL_AUTO, bytes, size);
}

/* buffer_size after final: add and final then fail their assertions instead of lying. */
#define STREAM_FINISHED UINT32_MAX

void vsr_checksum_stream_init_with(vsr_checksum_stream *stream, vsr_checksum_impl impl) {
    CS_ASSERT(stream != NULL);
    memcpy(stream->state, cs_aegis_state_zero, sizeof(stream->state));
    memset(stream->buffer, 0, sizeof(stream->buffer));
    stream->size_total = 0;
    stream->buffer_size = 0;
    stream->impl = (uint32_t)checksum_resolve(impl);
}

void vsr_checksum_stream_init(vsr_checksum_stream *stream) {
    vsr_checksum_stream_init_with(stream, VSR_CHECKSUM_IMPL_AUTO);
}

void vsr_checksum_stream_add(vsr_checksum_stream *stream, const void *bytes, size_t size) {
    CS_ASSERT(stream != NULL);
    CS_ASSERT(stream->buffer_size < CS_AEGIS_BLOCK_SIZE); /* initialised, not finished */
    if (size > 0) CS_ASSERT(bytes != NULL);
    if (size == 0) {
        return;
    }
    CS_ASSERT(size <= UINT64_MAX / 8 - stream->size_total);
    stream->size_total += size;
    const uint8_t *p = bytes;
    if (stream->buffer_size > 0) {
        size_t room = CS_AEGIS_BLOCK_SIZE - stream->buffer_size;
        size_t take = size < room ? size : room;
        memcpy(stream->buffer + stream->buffer_size, p, take);
        stream->buffer_size += (uint32_t)take;
        p += take;
        size -= take;
        if (stream->buffer_size < CS_AEGIS_BLOCK_SIZE) {
            return;
        }
        cs_aegis_absorb((vsr_checksum_impl)stream->impl, stream->state, stream->buffer, 1);
        stream->buffer_size = 0;
    }
    size_t full = size / CS_AEGIS_BLOCK_SIZE;
    if (full > 0) {
        cs_aegis_absorb((vsr_checksum_impl)stream->impl, stream->state, p, full);
        p += full * CS_AEGIS_BLOCK_SIZE;
        size -= full * CS_AEGIS_BLOCK_SIZE;
    }
    if (size > 0) {
        memcpy(stream->buffer, p, size);
        stream->buffer_size = (uint32_t)size;
    }
}

vsr_u128 vsr_checksum_stream_final(vsr_checksum_stream *stream) {
    CS_ASSERT(stream != NULL);
    CS_ASSERT(stream->buffer_size < CS_AEGIS_BLOCK_SIZE);
    if (stream->buffer_size > 0) {
        /* The last partial AD block is zero-padded, exactly as in the one-shot form. */
        memset(stream->buffer + stream->buffer_size, 0, CS_AEGIS_BLOCK_SIZE - stream->buffer_size);
        cs_aegis_absorb((vsr_checksum_impl)stream->impl, stream->state, stream->buffer, 1);
    }
    vsr_u128 out;
    cs_aegis_finalize((vsr_checksum_impl)stream->impl, stream->state, stream->size_total, 0,
                      (uint8_t *)&out);
    stream->buffer_size = STREAM_FINISHED;
    return out;
}

/* ---- Header checksums ---- */

static vsr_u128 header_field(const void *header, size_t offset) {
    vsr_u128 value;
    memcpy(&value, (const uint8_t *)header + offset, sizeof(value));
    return value;
}

vsr_u128 vsr_header_checksum_compute(const void *header) {
    CS_ASSERT(header != NULL);
    return vsr_checksum((const uint8_t *)header + HEADER_CHECKSUMMED_OFFSET,
                        HEADER_CHECKSUMMED_SIZE);
}

void vsr_header_set_checksum(void *header) {
    vsr_u128 checksum = vsr_header_checksum_compute(header);
    memcpy((uint8_t *)header + HEADER_CHECKSUM_OFFSET, &checksum, sizeof(checksum));
}

bool vsr_header_checksum_valid(const void *header) {
    return vsr_header_checksum_compute(header) == header_field(header, HEADER_CHECKSUM_OFFSET);
}

void vsr_header_set_checksum_body(void *header, const void *body, size_t body_size) {
    CS_ASSERT(header != NULL);
    vsr_u128 checksum = vsr_checksum(body, body_size);
    memcpy((uint8_t *)header + HEADER_CHECKSUM_BODY_OFFSET, &checksum, sizeof(checksum));
}

bool vsr_header_checksum_body_valid(const void *header, const void *body, size_t body_size) {
    CS_ASSERT(header != NULL);
    return vsr_checksum(body, body_size) == header_field(header, HEADER_CHECKSUM_BODY_OFFSET);
}

/* ---- Header checksums in batches (aegis_internal.h) ---- */

/*
 * Runs a batch function of `lanes` headers over headers[0..count). A short last batch
 * repeats its last header: a batch costs the same however full.
 */
#define CHECKSUM_HEADERS_IN_BATCHES(lanes, batch, headers, count, out)                  \
    do {                                                                                \
        for (size_t first_ = 0; first_ < (count); first_ += (lanes)) {                  \
            const uint8_t *lane_[lanes];                                                \
            for (size_t k_ = 0; k_ < (lanes); k_++) {                                   \
                lane_[k_] = (headers)[first_ + k_ < (count) ? first_ + k_ : (count)-1]; \
                CS_ASSERT(lane_[k_] != NULL);                                           \
            }                                                                           \
            if ((count)-first_ >= (lanes)) {                                            \
                batch(lane_, (out) + first_);                                           \
            } else {                                                                    \
                vsr_u128 tags_[lanes];                                                  \
                batch(lane_, tags_);                                                    \
                memcpy((out) + first_, tags_, ((count)-first_) * sizeof(vsr_u128));     \
            }                                                                           \
        }                                                                               \
    } while (0)

bool cs_checksum_headers_path_available(cs_headers_path path) {
    switch (path) {
    case CS_CHECKSUM_HEADERS_ONE_AT_A_TIME: return true;
#if CS_HAVE_AESNI
    case CS_CHECKSUM_HEADERS_VAES256X2:
        return vsr_checksum_impl_selected() == VSR_CHECKSUM_IMPL_AESNI && vaes256_available();
    case CS_CHECKSUM_HEADERS_VAES512X4:
        return vsr_checksum_impl_selected() == VSR_CHECKSUM_IMPL_AESNI && vaes_available();
#else
    case CS_CHECKSUM_HEADERS_VAES256X2:
    case CS_CHECKSUM_HEADERS_VAES512X4: return false;
#endif
    case CS_CHECKSUM_HEADERS_PATH_COUNT: break;
    }
    return false;
}

const char *cs_checksum_headers_path_name(cs_headers_path path) {
    switch (path) {
    case CS_CHECKSUM_HEADERS_ONE_AT_A_TIME: return "one at a time";
    case CS_CHECKSUM_HEADERS_VAES256X2: return "vaes256x2";
    case CS_CHECKSUM_HEADERS_VAES512X4: return "vaes512x4";
    case CS_CHECKSUM_HEADERS_PATH_COUNT: break;
    }
    return "unknown";
}

/* The widest path for impl: a batched one only for AES-NI, the widest the CPU has. */
static cs_headers_path checksum_headers_path_for(vsr_checksum_impl impl) {
    if (impl == VSR_CHECKSUM_IMPL_AESNI) {
        if (cs_checksum_headers_path_available(CS_CHECKSUM_HEADERS_VAES512X4)) {
            return CS_CHECKSUM_HEADERS_VAES512X4;
        }
        if (cs_checksum_headers_path_available(CS_CHECKSUM_HEADERS_VAES256X2)) {
            return CS_CHECKSUM_HEADERS_VAES256X2;
        }
    }
    return CS_CHECKSUM_HEADERS_ONE_AT_A_TIME;
}

/* The path, which must be available; impl is what the one-at-a-time path uses. */
static void checksum_headers_on(cs_headers_path path, vsr_checksum_impl impl,
                                const void *const headers[], size_t count, vsr_u128 out[]) {
    if (count > 0) {
        CS_ASSERT(headers != NULL);
        CS_ASSERT(out != NULL);
    }
    CS_ASSERT(cs_checksum_headers_path_available(path));
    switch (path) {
#if CS_HAVE_AESNI
    case CS_CHECKSUM_HEADERS_VAES256X2:
        CHECKSUM_HEADERS_IN_BATCHES(VAES256_LANES, vaes256_checksum_headers, headers, count, out);
        return;
    case CS_CHECKSUM_HEADERS_VAES512X4:
        CHECKSUM_HEADERS_IN_BATCHES(VAES_LANES, vaes_checksum_headers, headers, count, out);
        return;
#endif
    default:
        for (size_t i = 0; i < count; i++) {
            CS_ASSERT(headers[i] != NULL);
            out[i] =
                vsr_checksum_with(impl, (const uint8_t *)headers[i] + HEADER_CHECKSUMMED_OFFSET,
                                  HEADER_CHECKSUMMED_SIZE);
        }
        return;
    }
}

void cs_checksum_headers(vsr_checksum_impl impl, const void *const headers[], size_t count,
                         vsr_u128 out[]) {
    impl = checksum_resolve(impl);
    checksum_headers_on(checksum_headers_path_for(impl), impl, headers, count, out);
}

void cs_checksum_headers_with_path(cs_headers_path path, const void *const headers[], size_t count,
                                   vsr_u128 out[]) {
    checksum_headers_on(path, vsr_checksum_impl_selected(), headers, count, out);
}

const char *cs_checksum_headers_path(vsr_checksum_impl impl) {
    return cs_checksum_headers_path_name(checksum_headers_path_for(checksum_resolve(impl)));
}

/* ---- A trailer chunk: copied, checksummed and added to a stream (aegis_internal.h) ---- */

/* Whether the fused path runs here: VAES with AVX2, and AES-NI the selected implementation. */
static inline bool chunk_fused_available(void) {
#if CS_HAVE_AESNI
    return vsr_checksum_impl_selected() == VSR_CHECKSUM_IMPL_AESNI && vaes256_available();
#else
    return false;
#endif
}

bool cs_checksum_chunk_path_available(cs_chunk_path path) {
    switch (path) {
    case CS_CHECKSUM_CHUNK_ONE_AFTER_THE_OTHER: return true;
    case CS_CHECKSUM_CHUNK_VAES256X2: return chunk_fused_available();
    case CS_CHECKSUM_CHUNK_PATH_COUNT: break;
    }
    return false;
}

const char *cs_checksum_chunk_path_name(cs_chunk_path path) {
    switch (path) {
    case CS_CHECKSUM_CHUNK_ONE_AFTER_THE_OTHER: return "one after the other";
    case CS_CHECKSUM_CHUNK_VAES256X2: return "vaes256x2";
    case CS_CHECKSUM_CHUNK_PATH_COUNT: break;
    }
    return "unknown";
}

/* The path cs_checksum_chunk takes for this stream: the fused one for a stream of AES-NI. */
static cs_chunk_path checksum_chunk_path_for(const vsr_checksum_stream *stream) {
    if (stream->impl == VSR_CHECKSUM_IMPL_AESNI && chunk_fused_available()) {
        return CS_CHECKSUM_CHUNK_VAES256X2;
    }
    return CS_CHECKSUM_CHUNK_ONE_AFTER_THE_OTHER;
}

/* path is available; the fused one only runs when the stream's buffer is empty. */
static vsr_u128 checksum_chunk_on(cs_chunk_path path, vsr_checksum_stream *stream, void *out,
                                  const void *bytes, size_t size) {
    CS_ASSERT(stream->buffer_size < CS_AEGIS_BLOCK_SIZE); /* initialised, not finished */
    if (size == 0) return vsr_checksum_with((vsr_checksum_impl)stream->impl, NULL, 0);
    CS_ASSERT(out != NULL);
    CS_ASSERT(bytes != NULL);
    /* The copy and the bytes are apart: each 32 bytes are read before they are stored. */
    uintptr_t to = (uintptr_t)out, from = (uintptr_t)bytes;
    CS_ASSERT(to + size <= from || from + size <= to);
    CS_ASSERT(size <= UINT64_MAX / 8 - stream->size_total);
#if CS_HAVE_AESNI
    if (path == CS_CHECKSUM_CHUNK_VAES256X2 && stream->buffer_size == 0) {
        return vaes256_checksum_chunk(stream, out, bytes, size);
    }
#else
    (void)path;
#endif
    memcpy(out, bytes, size);
    vsr_checksum_stream_add(stream, bytes, size);
    return vsr_checksum_with((vsr_checksum_impl)stream->impl, bytes, size);
}

vsr_u128 cs_checksum_chunk(vsr_checksum_stream *stream, void *out, const void *bytes, size_t size) {
    CS_ASSERT(stream != NULL);
    return checksum_chunk_on(checksum_chunk_path_for(stream), stream, out, bytes, size);
}

vsr_u128 cs_checksum_chunk_with_path(cs_chunk_path path, vsr_checksum_stream *stream, void *out,
                                     const void *bytes, size_t size) {
    CS_ASSERT(stream != NULL);
    CS_ASSERT(cs_checksum_chunk_path_available(path));
    return checksum_chunk_on(path, stream, out, bytes, size);
}

const char *cs_checksum_chunk_path(const vsr_checksum_stream *stream) {
    return cs_checksum_chunk_path_name(checksum_chunk_path_for(stream));
}
