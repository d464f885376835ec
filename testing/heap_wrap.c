/*
 * heap_wrap.c: the targets of the linker's --wrap for malloc, calloc, realloc,
 * aligned_alloc and free (see heap.h). Each counts the call, fails it if asked to, and
 * otherwise hands it to the C library (__real_*).
 */
#include <stddef.h>
#include <stdint.h>

#include "testing/heap.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *pointer, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
void __real_free(void *pointer);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *pointer, size_t size);
void *__wrap_aligned_alloc(size_t alignment, size_t size);
void __wrap_free(void *pointer);

void *__wrap_malloc(size_t size) {
    return testing_heap_call(size) ? NULL : testing_heap_took(__real_malloc(size));
}

void *__wrap_calloc(size_t count, size_t size) {
    return testing_heap_call((uint64_t)count * size)
               ? NULL
               : testing_heap_took(__real_calloc(count, size));
}

void *__wrap_aligned_alloc(size_t alignment, size_t size) {
    return testing_heap_call(size) ? NULL
                                   : testing_heap_took(__real_aligned_alloc(alignment, size));
}

void *__wrap_realloc(void *pointer, size_t size) {
    if (testing_heap_call(size)) return NULL;
    void *result = __real_realloc(pointer, size);
    return pointer == NULL ? testing_heap_took(result) : result;
}

void __wrap_free(void *pointer) {
    testing_heap_freed(pointer);
    __real_free(pointer);
}
