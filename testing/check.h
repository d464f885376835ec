/*
 * check.h: the checks of every test program: CHECK and CHECK_EQ count what was
 * checked and what failed, say where a check failed, and testing_done() turns the
 * tally into the exit status. A failed check does not stop the test: the rest of it
 * still runs and reports.
 */
#ifndef TESTING_CHECK_H
#define TESTING_CHECK_H

#include <inttypes.h> /* PRIu64 and friends, for the messages tests print */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

extern int testing_checks;
extern int testing_failures;

/* Records one check; on failure prints FILE:LINE and what failed. Returns ok. */
bool testing_check(bool ok, const char *file, int line, const char *what);
/* The same for a == b, printing both values on failure. */
bool testing_check_eq(uint64_t a, uint64_t b, const char *file, int line, const char *a_text,
                      const char *b_text);

#define CHECK(cond) testing_check((cond) ? true : false, __FILE__, __LINE__, #cond)
#define CHECK_EQ(a, b) testing_check_eq((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a, #b)
/* The name the core's tests use for CHECK_EQ. */
#define CHECK_EQ_U64(a, b) CHECK_EQ(a, b)

/* Ends main(): prints "NAME: N checks, M failed"; the exit status is 1 if any failed. */
int testing_done(const char *name);

/* The directory holding test data, passed by meson as argv[1] (exits 2 without it). */
const char *testing_data_dir(int argc, char **argv);

#endif
