/*
 * A HotSpot disassembler plugin for -XX:+PrintAssembly, built by scripts/perf-softroce-asm.sh; not shipped.
 *
 * Debian's plugin (package libhsdis0-fcml) exports only the entry point of older JDKs,
 * decode_instructions(start, end, ...), which reads the code where it lies. JDK 25 looks up
 * decode_instructions_virtual(start_va, end_va, buffer, length, ...), which names the code's
 * address and a buffer holding it. For code the JVM prints from the code cache the two are the
 * same memory, so this forwards the buffer to the old entry point and drops the arguments the old
 * one has no place for (the virtual addresses and the newline flag).
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

typedef void *(*event_fn)(void *, const char *, void *);
typedef int (*printf_fn)(void *, const char *, ...);
typedef void *(*decode_fn)(void *, void *, event_fn, void *, printf_fn, void *, const char *);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_fn event_callback, void *event_stream, printf_fn printf_callback,
                                  void *printf_stream, const char *options, int newline) {
    static decode_fn decode;
    (void) start_va;
    (void) end_va;
    (void) newline;
    if (decode == NULL) {
        void *fcml = dlopen("libhsdis.so.0", RTLD_NOW);
        decode = fcml == NULL ? NULL : (decode_fn) dlsym(fcml, "decode_instructions");
        if (decode == NULL) {
            fprintf(stderr, "hsdis_shim: libhsdis.so.0 or its decode_instructions is missing (apt-get install libhsdis0-fcml)\n");
            return NULL;
        }
    }
    return decode(buffer, buffer + length, event_callback, event_stream, printf_callback, printf_stream, options);
}
