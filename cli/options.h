/*
 * options.h: the one grammar of the project's command lines (client-sessions and
 * client-sessions-sim): flags through getopt_long, numbers and sizes, and one wording for
 * every usage error. The core does not use it; both executables link it.
 *
 * Flags: --flag VALUE or --flag=VALUE, spelled in full (no abbreviations), each at most
 * once; "--" ends the flags, and what follows it is an argument even when it begins with
 * '-'. Numbers: decimal digits, or 0x (or 0X) and hex digits; no sign, no spaces, nothing
 * after the digits. A size is a number of bytes, optionally followed by one of K, M, G, T
 * (powers of 1024). cli_grammar_help says the same for --help.
 */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 cli_u128;

/* The status of a usage error, the same for both command lines. */
enum { CLI_EXIT_USAGE = 2 };

/* The grammar above as a paragraph of --help (ends in a newline). */
extern const char cli_grammar_help[];

/* A number of the grammar into *out; false if the text is not one, or is too large. */
bool cli_parse_u64(const char *text, uint64_t *out);
bool cli_parse_u128(const char *text, cli_u128 *out);
/* A size: a number, optionally followed by K, M, G or T (powers of 1024). */
bool cli_parse_size(const char *text, uint64_t *out);

/* What cli_next returns besides an option's val (every val must be positive). */
enum {
    CLI_END = -1,        /* no arguments left */
    CLI_ARGUMENT = -2,   /* a positional argument, in parser->value */
    CLI_FAILED = -3,     /* a usage error, already printed: exit with CLI_EXIT_USAGE */
    CLI_OPTIONS_MAX = 64 /* entries of an option table, at most */
};

typedef struct cli_parser {
    const char *program; /* names the messages: "PROGRAM: ..." and "Try 'PROGRAM --help'." */
    int argc;
    char **argv; /* argv[0] is not an argument: the program, or the command's name */
    const struct option *options; /* getopt_long's table, ending in an entry of zeros */
    uint64_t seen;                /* bit i: options[i] was given */
    int rest;                     /* after "--": the index of the next argument, else 0 */
    const char *flag;             /* the option cli_next returned, as "--name" */
    const char *value;            /* its value (NULL for a flag without one), or the argument */
    char flag_text[48];
} cli_parser;

/* Starts parsing argv[1..argc-1] with options (getopt's state is reset). */
void cli_parser_init(cli_parser *parser, const char *program, int argc, char **argv,
                     const struct option *options);
/* The next argument: an option's val (parser->flag, parser->value), CLI_ARGUMENT, CLI_END or
 * CLI_FAILED after the message (an unknown or abbreviated option, a value missing or not
 * wanted, an option given twice). A separate value that begins with "--" is refused as
 * missing: it is the next flag (write --flag=--value for such a value). */
int cli_next(cli_parser *parser);
/* Whether the option with this val was given so far. */
bool cli_given(const cli_parser *parser, int val);

/* Prints "PROGRAM: MESSAGE" and "Try 'PROGRAM --help'." to standard error; returns
 * CLI_EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *program, const char *format,
                                                          ...);
/* "PROGRAM: --FLAG needs WANTED, not 'VALUE'", as cli_usage_error; returns CLI_EXIT_USAGE. */
int cli_value_error(const cli_parser *parser, const char *wanted);
/* The current option's value as a number (or a size) in min..max; false after the message. */
bool cli_value_u64(const cli_parser *parser, uint64_t min, uint64_t max, uint64_t *out);
bool cli_value_size(const cli_parser *parser, uint64_t min, uint64_t max, uint64_t *out);

/* Flushes and closes standard output: false, after "PROGRAM: error: cannot write the output:
 * REASON", when what was written did not all reach it (a full disk, /dev/full, a closed
 * pipe). Call it once, last. */
bool cli_stdout_close(const char *program);

#endif
