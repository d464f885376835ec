/* options.c: the command lines' grammar (see options.h). */
#define _GNU_SOURCE /* getopt_long */

#include "options.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_grammar_help[] =
    "Flags are --flag VALUE or --flag=VALUE, spelled in full, each at most once; '--' ends\n"
    "the flags (what follows is an argument even if it begins with '-'). A number is decimal\n"
    "digits, or 0x and hex digits (no sign, no spaces); a SIZE is a number of bytes,\n"
    "optionally followed by K, M, G or T (powers of 1024: 64K is 65536).\n";

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The digits of text[0..length) in base into *out, at most max. */
static bool number_parse(const char *text, size_t length, cli_u128 max, cli_u128 *out) {
    unsigned base = 10;
    if (length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
        length -= 2;
    }
    if (length == 0) return false;
    cli_u128 value = 0;
    for (size_t i = 0; i < length; i++) {
        int digit = digit_value(text[i]);
        if (digit < 0 || (unsigned)digit >= base) return false;
        if (value > (max - (unsigned)digit) / base) return false; /* past max */
        value = value * base + (unsigned)digit;
    }
    *out = value;
    return true;
}

bool cli_parse_u128(const char *text, cli_u128 *out) {
    return text != NULL && number_parse(text, strlen(text), ~(cli_u128)0, out);
}

bool cli_parse_u64(const char *text, uint64_t *out) {
    cli_u128 value;
    if (text == NULL || !number_parse(text, strlen(text), UINT64_MAX, &value)) return false;
    *out = (uint64_t)value;
    return true;
}

bool cli_parse_size(const char *text, uint64_t *out) {
    static const char units[] = "KMGT";
    if (text == NULL || text[0] == '\0') return false;
    size_t length = strlen(text);
    const char *unit = strchr(units, text[length - 1]);
    unsigned shift = 0;
    if (unit != NULL) {
        shift = 10 * (unsigned)(unit - units + 1);
        length--;
    }
    cli_u128 value;
    if (!number_parse(text, length, UINT64_MAX >> shift, &value)) return false;
    *out = (uint64_t)value << shift;
    return true;
}

/* ---- flags ---- */

static size_t option_count(const struct option *options) {
    size_t count = 0;
    while (options[count].name != NULL) count++;
    return count;
}

void cli_parser_init(cli_parser *parser, const char *program, int argc, char **argv,
                     const struct option *options) {
    memset(parser, 0, sizeof(*parser));
    parser->program = program;
    parser->argc = argc;
    parser->argv = argv;
    parser->options = options;
    if (option_count(options) > CLI_OPTIONS_MAX) abort(); /* the table is the caller's code */
    optind = 0; /* glibc: start over, whatever parsed before */
    opterr = 0; /* every message is ours */
}

__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *program, const char *format,
                                                          ...) {
    fprintf(stderr, "%s: ", program);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args); // NOLINT(clang-analyzer-valist.Uninitialized): va_start above
    va_end(args);
    fprintf(stderr, "\nTry '%s --help'.\n", program);
    return CLI_EXIT_USAGE;
}

static const struct option *option_by_val(const cli_parser *parser, int val, size_t *index) {
    for (size_t i = 0; parser->options[i].name != NULL; i++) {
        if (parser->options[i].val == val) {
            *index = i;
            return &parser->options[i];
        }
    }
    return NULL;
}

static void flag_name(cli_parser *parser, const char *name) {
    snprintf(parser->flag_text, sizeof(parser->flag_text), "--%s", name);
    parser->flag = parser->flag_text;
}

/* getopt_long's '?' and ':': an unknown option, a value missing or not wanted. */
static int option_refused(cli_parser *parser, int got, const char *text) {
    size_t index = 0;
    const struct option *known = option_by_val(parser, optopt, &index);
    if (got == ':' && known != NULL) {
        cli_usage_error(parser->program, "--%s needs a value", known->name);
    } else if (known != NULL && known->has_arg == no_argument) {
        cli_usage_error(parser->program, "--%s takes no value, not '%s'", known->name,
                        text != NULL ? text : "");
    } else {
        cli_usage_error(parser->program, "unknown option '%s'", text != NULL ? text : "");
    }
    return CLI_FAILED;
}

/* A long option matched: refuses an abbreviation, a second use and a value that is a flag. */
static int option_accepted(cli_parser *parser, int got, int index, const char *text) {
    const struct option *option = &parser->options[index];
    size_t length = strlen(option->name);
    const char *typed = text != NULL && strncmp(text, "--", 2) == 0 ? text + 2 : NULL;
    if (typed != NULL && (strncmp(typed, option->name, length) != 0 ||
                          (typed[length] != '\0' && typed[length] != '='))) {
        size_t typed_length = strcspn(typed, "=");
        cli_usage_error(parser->program, "unknown option '--%.*s' (did you mean --%s?)",
                        (int)typed_length, typed, option->name);
        return CLI_FAILED;
    }
    flag_name(parser, option->name);
    parser->value = optarg;
    if (parser->seen & ((uint64_t)1 << index)) {
        cli_usage_error(parser->program, "%s given twice", parser->flag);
        return CLI_FAILED;
    }
    parser->seen |= (uint64_t)1 << index;
    bool inline_value = typed != NULL && typed[length] == '=';
    if (option->has_arg == required_argument && !inline_value && optarg != NULL &&
        strncmp(optarg, "--", 2) == 0) {
        cli_usage_error(parser->program,
                        "%s needs a value, not the flag '%s' (for a value that begins with "
                        "--, write %s=VALUE)",
                        parser->flag, optarg, parser->flag);
        return CLI_FAILED;
    }
    return got;
}

int cli_next(cli_parser *parser) {
    parser->flag = NULL;
    parser->value = NULL;
    if (parser->rest != 0) { /* after "--" */
        if (parser->rest >= parser->argc) return CLI_END;
        parser->value = parser->argv[parser->rest++];
        return CLI_ARGUMENT;
    }
    int at = optind == 0 ? 1 : optind;
    const char *text = at < parser->argc ? parser->argv[at] : NULL;
    int index = -1;
    int got = getopt_long(parser->argc, parser->argv, "-:h", parser->options, &index);
    if (got == -1) {
        if (optind >= parser->argc) return CLI_END;
        parser->rest = optind; /* getopt stopped at "--" */
        return cli_next(parser);
    }
    if (got == 1) {
        parser->value = optarg;
        return CLI_ARGUMENT;
    }
    if (got == '?' || got == ':') return option_refused(parser, got, text);
    if (index < 0) { /* a short option: -h */
        size_t found = 0;
        const struct option *option = option_by_val(parser, got, &found);
        flag_name(parser, option != NULL ? option->name : "help");
        return got;
    }
    return option_accepted(parser, got, index, text);
}

bool cli_given(const cli_parser *parser, int val) {
    size_t index = 0;
    return option_by_val(parser, val, &index) != NULL && (parser->seen >> index & 1) != 0;
}

int cli_value_error(const cli_parser *parser, const char *wanted) {
    return cli_usage_error(parser->program, "%s needs %s, not '%s'", parser->flag, wanted,
                           parser->value != NULL ? parser->value : "");
}

bool cli_value_u64(const cli_parser *parser, uint64_t min, uint64_t max, uint64_t *out) {
    uint64_t value = 0;
    if (cli_parse_u64(parser->value, &value) && value >= min && value <= max) {
        *out = value;
        return true;
    }
    char wanted[96];
    snprintf(wanted, sizeof(wanted), "a number in %" PRIu64 "..%" PRIu64, min, max);
    cli_value_error(parser, wanted);
    return false;
}

bool cli_value_size(const cli_parser *parser, uint64_t min, uint64_t max, uint64_t *out) {
    uint64_t value = 0;
    if (cli_parse_size(parser->value, &value) && value >= min && value <= max) {
        *out = value;
        return true;
    }
    char wanted[128];
    snprintf(wanted, sizeof(wanted),
             "a size in %" PRIu64 "..%" PRIu64 " bytes (such as 4096 or 64K)", min, max);
    cli_value_error(parser, wanted);
    return false;
}

bool cli_stdout_close(const char *program) {
    errno = 0;
    bool ok = fflush(stdout) == 0 && !ferror(stdout);
    int saved = errno;
    if (fclose(stdout) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        fprintf(stderr, "%s: error: cannot write the output: %s\n", program,
                saved != 0 ? strerror(saved) : "a write error");
    }
    return ok;
}
