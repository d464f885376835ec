/*
 * vsr_checksum_impl.h: choosing the checksum's implementation by hand. Not installed.
 *
 * vsr.h's checksum picks the fastest implementation the CPU has and every implementation
 * gives the same answer bit for bit, so a program never needs to choose. The tests, the
 * benchmarks, the fuzz targets and the command-line tool of this repository do: they check
 * every implementation against the others, measure each, and name the one chosen. The
 * library still exports these functions (programs built against an earlier vsr.h keep
 * linking), but the installed headers do not declare them: they are not part of the API.
 */
#ifndef VSR_CHECKSUM_IMPL_H
#define VSR_CHECKSUM_IMPL_H

#include "vsr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vsr_checksum_impl {
    VSR_CHECKSUM_IMPL_AUTO = 0, /* the fastest available, chosen once */
    VSR_CHECKSUM_IMPL_PORTABLE, /* plain C, any CPU */
    VSR_CHECKSUM_IMPL_AESNI,    /* x86-64 AES-NI */
    VSR_CHECKSUM_IMPL_ARMV8,    /* ARMv8 crypto extensions */
} vsr_checksum_impl;

/* vsr_checksum with a given implementation; asserts it is available. */
vsr_u128 vsr_checksum_with(vsr_checksum_impl impl, const void *bytes, size_t size);
bool vsr_checksum_impl_available(vsr_checksum_impl impl);
/* The implementation AUTO resolves to on this CPU. */
vsr_checksum_impl vsr_checksum_impl_selected(void);
const char *vsr_checksum_impl_name(vsr_checksum_impl impl);
/* vsr_checksum_stream_init with a given implementation (stream->impl records it). */
void vsr_checksum_stream_init_with(vsr_checksum_stream *stream, vsr_checksum_impl impl);

#ifdef __cplusplus
}
#endif

#endif /* VSR_CHECKSUM_IMPL_H */
