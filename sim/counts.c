/* What a run counts: see counts.h. */
#include "counts.h"

void sim_counts_print(const sim_counts *counts, FILE *out) {
    const char *separator = "";
#define SIM_COUNT_PRINT(name, scenario)                                            \
    fprintf(out, "%s" #name "=%llu", separator, (unsigned long long)counts->name); \
    separator = " ";
    SIM_COUNTS(SIM_COUNT_PRINT)
#undef SIM_COUNT_PRINT
}

void sim_counts_print_json(const sim_counts *counts, FILE *out, bool scenarios_only) {
    const char *separator = "";
    fputc('{', out);
#define SIM_COUNT_JSON(name, scenario)                                                     \
    if (!scenarios_only || (scenario)) {                                                   \
        fprintf(out, "%s\"" #name "\":%llu", separator, (unsigned long long)counts->name); \
        separator = ",";                                                                   \
    }
    SIM_COUNTS(SIM_COUNT_JSON)
#undef SIM_COUNT_JSON
    fputc('}', out);
}

bool sim_counts_equal(const sim_counts *a, const sim_counts *b) {
#define SIM_COUNT_EQUAL(name, scenario) \
    if (a->name != b->name) return false;
    SIM_COUNTS(SIM_COUNT_EQUAL)
#undef SIM_COUNT_EQUAL
    return true;
}
