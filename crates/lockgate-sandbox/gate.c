/* The gate of a sandbox made ahead of need (lockgate-sandbox,
 * `Sandbox::wrap` with a gate): `lockgate-gate SELF GATE READY PROGRAM
 * ARGS...` is run from descriptor SELF (the server's open copy of this
 * program, executed as /proc/self/fd/SELF, so that no file of it is
 * mounted in the sandbox) and closes it, says the sandbox is made by
 * writing "r" to descriptor READY, waits for exactly "go\n" on descriptor
 * GATE, then runs PROGRAM ARGS... in its place with the environment
 * untouched and without any of the three descriptors. Anything else on
 * GATE, or its end (the server gone), ends it without running anything.
 * Linked statically, so that no loader variable of the program's
 * environment (LD_PRELOAD...) runs any code before the gate opens. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A descriptor number given as text, or -1. */
static int fd_of(const char *text) {
    char *end;
    long n = strtol(text, &end, 10);
    return (*text && !*end && n >= 0 && n <= INT_MAX) ? (int)n : -1;
}

int main(int argc, char **argv) {
    if (argc < 5) return 111;
    int self = fd_of(argv[1]), gate = fd_of(argv[2]), ready = fd_of(argv[3]);
    if (self < 0 || gate < 0 || ready < 0) return 111;
    close(self);
    ssize_t w;
    do {
        w = write(ready, "r", 1);
    } while (w < 0 && errno == EINTR);
    if (w != 1) return 111;
    close(ready);
    char word[3];
    size_t n = 0;
    while (n < sizeof word) {
        ssize_t r = read(gate, word + n, sizeof word - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 111;
        n += (size_t)r;
    }
    if (memcmp(word, "go\n", sizeof word) != 0) return 111;
    close(gate);
    execvp(argv[4], argv + 4);
    return 127;
}
