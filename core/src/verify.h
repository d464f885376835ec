/*
 * The verify tier of assertions (docs/DESIGN.md).
 *
 * CS_ASSERT is for checks that cost little beside the operation they guard: it is on in
 * every build. CS_VERIFY is for checks that cost as much as the operation itself (a header
 * checksum on every put): on when the build's `verify` option is (meson -Dverify=auto, the
 * default, means every buildtype but release), compiled out otherwise. Compiled out, the
 * condition is still type-checked but never evaluated, so it must have no side effects.
 */
#ifndef CS_VERIFY_H
#define CS_VERIFY_H

#include "assert.h"

/* The build defines CS_VERIFY_ENABLED to 0 or 1; a build that does not gets the checks. */
#ifndef CS_VERIFY_ENABLED
#define CS_VERIFY_ENABLED 1
#endif

#if CS_VERIFY_ENABLED
#define CS_VERIFY(cond) CS_ASSERT(cond)
#else
#define CS_VERIFY(cond) ((void)sizeof(!(cond)))
#endif

#endif
