// SPDX-License-Identifier: Apache-2.0
// warden-tee-client: a TEE client for Linux guests, written against Debian's
// libteec (GlobalPlatform TEE Client API) and cross-built into the test
// initramfs by deploy/linux-assets.sh. It talks to the trusted applications of
// the firmware's OP-TEE model (tests/firmware/optee/test_tas.h) through the
// guest's /dev/tee0, Linux's optee driver and Warden's mediator, and prints
// lines the tests check ("tee-client: ..."). Exit status 0 only when every
// result was the expected one.
//
//   warden-tee-client session [SEED]
//                                   increment TA with a value param; buffers TA
//                                   with registered buffers of 1 MiB and 16 MiB
//                                   (checksum of what the client wrote, fill
//                                   checked byte by byte); SEED (default 0)
//                                   varies the bytes, so that guests differ
//   warden-tee-client loadable      open the TA that tee-supplicant loads from
//                                   /lib/optee_armtz and call it
//   warden-tee-client loop N        N increment calls on one session (N = 0:
//                                   until killed), a line every 100 calls
//   warden-tee-client hold          register a 1 MiB buffer, then open the
//                                   loadable TA: with tee-supplicant stopped
//                                   the call stays in OP-TEE, waiting for it
//   warden-tee-client bench N       N round trips with one value param and N
//                                   with a 1 MiB registered buffer: min, median,
//                                   p99, mean in ns of the guest's clock
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tee_client_api.h>
#include <time.h>

// The model's TAs (test_tas.h): a UUID as two little-endian 64-bit words, the
// way OPEN_SESSION's first META value param carries the UUID's 16 bytes.
struct words {
    uint64_t a, b;
};
static const struct words kIncrement = {0x57415244454e0001ull, 0x696e6372656d656eull};
static const struct words kBuffers = {0x57415244454e0002ull, 0x6275666665727321ull};
static const struct words kLoadable = {0x57415244454e0003ull, 0x6c6f616461626c65ull};
enum { kCmdAddOne = 0, kCmdChecksum = 0, kCmdFill = 1 };

static const uint64_t kFnvOffset = 0xcbf29ce484222325ull;
static uint64_t fnv1a(uint64_t hash, const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) hash = (hash ^ p[i]) * 0x100000001b3ull;
    return hash;
}
static uint8_t fill_byte(uint64_t seed, uint64_t i) {
    return (uint8_t)(seed + i * 7 + ((uint32_t)(i >> 12) * 0x9e3779b1u >> 24));
}

static TEEC_UUID uuid_of(struct words w) {
    uint8_t o[16];
    for (int i = 0; i < 8; ++i) {
        o[i] = (uint8_t)(w.a >> (8 * i));
        o[8 + i] = (uint8_t)(w.b >> (8 * i));
    }
    TEEC_UUID u;
    u.timeLow = (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
    u.timeMid = (uint16_t)(o[4] << 8 | o[5]);
    u.timeHiAndVersion = (uint16_t)(o[6] << 8 | o[7]);
    memcpy(u.clockSeqAndNode, o + 8, 8);
    return u;
}

static int failures;

static int check(TEEC_Result r, uint32_t origin, const char* what) {
    if (r == TEEC_SUCCESS) return 1;
    printf("tee-client: FAILED: %s: 0x%08x (origin %u)\n", what, r, origin);
    ++failures;
    return 0;
}

static int open_ta(TEEC_Context* ctx, TEEC_Session* s, struct words ta, const char* name) {
    TEEC_UUID uuid = uuid_of(ta);
    uint32_t origin = 0;
    TEEC_Result r = TEEC_OpenSession(ctx, s, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin);
    if (!check(r, origin, name)) return 0;
    printf("tee-client: session opened with the %s TA (%08x-%04x-%04x)\n", name, uuid.timeLow,
           uuid.timeMid, uuid.timeHiAndVersion);
    return 1;
}

static int add_one(TEEC_Session* s, uint32_t in, uint32_t* out) {
    TEEC_Operation op;
    memset(&op, 0, sizeof op);
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
    op.params[0].value.a = in;
    uint32_t origin = 0;
    TEEC_Result r = TEEC_InvokeCommand(s, kCmdAddOne, &op, &origin);
    if (!check(r, origin, "invoke add-one")) return 0;
    *out = op.params[0].value.a;
    return 1;
}

// The increment TA answers value+1.
static void call_increment(TEEC_Session* s, const char* name) {
    uint32_t out = 0;
    if (!add_one(s, 41, &out)) return;
    printf("tee-client: %s TA: 41 + 1 = %u\n", name, out);
    if (out != 42) {
        printf("tee-client: FAILED: the %s TA answered %u, not 42\n", name, out);
        ++failures;
    }
}

// A registered buffer of `size` bytes: the TA's checksum of what the client
// wrote must be the client's own, and what the TA fills must arrive intact.
static void buffer_round(TEEC_Context* ctx, TEEC_Session* s, size_t size, uint64_t seed) {
    TEEC_SharedMemory shm;
    memset(&shm, 0, sizeof shm);
    void* buf = NULL;
    if (posix_memalign(&buf, 4096, size)) {
        printf("tee-client: FAILED: no memory for %zu bytes\n", size);
        ++failures;
        return;
    }
    uint8_t* p = buf;
    // Pseudo-random bytes (xorshift64): no pattern for a wrong page to match.
    uint64_t x = 0x9e3779b97f4a7c15ull ^ seed;
    for (size_t i = 0; i < size; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)(x >> 24);
    }
    shm.buffer = buf;
    shm.size = size;
    shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
    const size_t mib = size >> 20;
    TEEC_Result r = TEEC_RegisterSharedMemory(ctx, &shm);
    if (!check(r, 0, "register shared memory")) {
        free(buf);
        return;
    }
    printf("tee-client: registered a %zu MiB buffer\n", mib);

    TEEC_Operation op;
    memset(&op, 0, sizeof op);
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
    op.params[0].memref.parent = &shm;
    uint32_t origin = 0;
    r = TEEC_InvokeCommand(s, kCmdChecksum, &op, &origin);
    if (check(r, origin, "invoke checksum")) {
        uint64_t mine = fnv1a(kFnvOffset, p, size);
        // A value param is 32 bits wide in the client API: the TA's 64-bit
        // hash arrives as its low half.
        uint32_t ta = op.params[1].value.a;
        int same = (uint32_t)mine == ta && op.params[1].value.b == size;
        printf("tee-client: %zu MiB checksum: TA 0x%08" PRIx32 " over %u bytes, client 0x%08" PRIx32
               " (%s)\n",
               mib, ta, op.params[1].value.b, (uint32_t)mine, same ? "equal" : "DIFFERENT");
        if (!same) ++failures;
    }

    memset(&op, 0, sizeof op);
    op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE);
    op.params[0].memref.parent = &shm;
    op.params[1].value.a = (uint32_t)(seed + 5);
    r = TEEC_InvokeCommand(s, kCmdFill, &op, &origin);
    if (check(r, origin, "invoke fill")) {
        size_t bad = size;
        for (size_t i = 0; i < size && bad == size; ++i) {
            if (p[i] != fill_byte(seed + 5, i)) bad = i;
        }
        if (bad == size) {
            printf("tee-client: %zu MiB filled by the TA, every byte as expected\n", mib);
        } else {
            printf("tee-client: FAILED: %zu MiB fill: byte %zu is 0x%02x, expected 0x%02x\n", mib,
                   bad, p[bad], fill_byte(seed + 5, bad));
            ++failures;
        }
    }
    TEEC_ReleaseSharedMemory(&shm);
    free(buf);
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int by_value(const void* x, const void* y) {
    uint64_t a = *(const uint64_t*)x, b = *(const uint64_t*)y;
    return a < b ? -1 : a > b;
}

static void report(const char* what, uint64_t* t, unsigned n) {
    uint64_t sum = 0;
    for (unsigned i = 0; i < n; ++i) sum += t[i];
    qsort(t, n, sizeof t[0], by_value);
    // Short: the hypervisor's console keeps lines of up to 128 characters.
    printf("tee-client: bench %s: n=%u min=%" PRIu64 " median=%" PRIu64 " p99=%" PRIu64
           " mean=%" PRIu64 " ns\n",
           what, n, t[0], t[n / 2], t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], sum / n);
}

static int bench(TEEC_Context* ctx, unsigned n) {
    TEEC_Session inc, bufs;
    if (!open_ta(ctx, &inc, kIncrement, "increment")) return 1;
    if (!open_ta(ctx, &bufs, kBuffers, "buffers")) return 1;
    uint64_t* t = calloc(n, sizeof *t);
    if (!t) return 1;
    for (unsigned i = 0; i < n; ++i) {
        uint32_t out = 0;
        uint64_t t0 = now_ns();
        if (!add_one(&inc, i, &out)) return 1;
        t[i] = now_ns() - t0;
        if (out != i + 1) {
            printf("tee-client: FAILED: add-one of %u gave %u\n", i, out);
            return 1;
        }
    }
    report("value", t, n);

    const size_t size = 1u << 20;
    TEEC_SharedMemory shm;
    memset(&shm, 0, sizeof shm);
    shm.size = size;
    shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
    void* buf = NULL;
    if (posix_memalign(&buf, 4096, size)) return 1;
    memset(buf, 0xa5, size);
    shm.buffer = buf;
    if (!check(TEEC_RegisterSharedMemory(ctx, &shm), 0, "register 1 MiB")) return 1;
    for (unsigned i = 0; i < n; ++i) {
        TEEC_Operation op;
        memset(&op, 0, sizeof op);
        op.paramTypes =
            TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
        op.params[0].memref.parent = &shm;
        uint32_t origin = 0;
        uint64_t t0 = now_ns();
        TEEC_Result r = TEEC_InvokeCommand(&bufs, kCmdChecksum, &op, &origin);
        t[i] = now_ns() - t0;
        if (!check(r, origin, "invoke checksum")) return 1;
    }
    report("checksum-1MiB", t, n);
    for (unsigned i = 0; i < n; ++i) {
        TEEC_SharedMemory s2;
        memset(&s2, 0, sizeof s2);
        s2.buffer = buf;
        s2.size = size;
        s2.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
        uint64_t t0 = now_ns();
        TEEC_Result r = TEEC_RegisterSharedMemory(ctx, &s2);
        if (r == TEEC_SUCCESS) TEEC_ReleaseSharedMemory(&s2);
        t[i] = now_ns() - t0;
        if (!check(r, 0, "register 1 MiB")) return 1;
    }
    report("register-1MiB", t, n);
    TEEC_ReleaseSharedMemory(&shm);
    free(buf);
    free(t);
    TEEC_CloseSession(&bufs);
    TEEC_CloseSession(&inc);
    return failures ? 1 : 0;
}

static int usage(void) {
    fprintf(stderr,
            "usage: warden-tee-client session [SEED] | loadable | hold | loop N | bench N\n");
    return 2;
}

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char* cmd = argv[1];
    unsigned long n = 0;
    if (!strcmp(cmd, "loop") || !strcmp(cmd, "bench") || (!strcmp(cmd, "session") && argc == 3)) {
        char* end = NULL;
        if (argc != 3) return usage();
        n = strtoul(argv[2], &end, 10);
        if (!*argv[2] || *end || (!strcmp(cmd, "bench") && (n == 0 || n > 1000000))) return usage();
    } else if (argc != 2) {
        return usage();
    }

    TEEC_Context ctx;
    if (!check(TEEC_InitializeContext(NULL, &ctx), 0, "initialize context")) return 1;
    printf("tee-client: context initialized\n");

    if (!strcmp(cmd, "session")) {
        TEEC_Session inc, bufs;
        if (open_ta(&ctx, &inc, kIncrement, "increment")) {
            call_increment(&inc, "increment");
            TEEC_CloseSession(&inc);
            printf("tee-client: increment session closed\n");
        }
        if (open_ta(&ctx, &bufs, kBuffers, "buffers")) {
            buffer_round(&ctx, &bufs, 1u << 20, 2 * n + 1);
            buffer_round(&ctx, &bufs, 16u << 20, 2 * n + 2);
            TEEC_CloseSession(&bufs);
            printf("tee-client: buffers session closed\n");
        }
    } else if (!strcmp(cmd, "loadable")) {
        TEEC_Session s;
        if (open_ta(&ctx, &s, kLoadable, "loadable")) {
            call_increment(&s, "loadable");
            TEEC_CloseSession(&s);
        }
    } else if (!strcmp(cmd, "hold")) {
        static uint8_t held[1u << 20] __attribute__((aligned(4096)));
        TEEC_SharedMemory shm;
        memset(&shm, 0, sizeof shm);
        shm.buffer = held;
        shm.size = sizeof held;
        shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
        TEEC_Session s;
        if (check(TEEC_RegisterSharedMemory(&ctx, &shm), 0, "register 1 MiB")) {
            printf("tee-client: holding a registered 1 MiB buffer; opening the loadable TA\n");
            if (open_ta(&ctx, &s, kLoadable, "loadable")) TEEC_CloseSession(&s);
            TEEC_ReleaseSharedMemory(&shm);
        }
    } else if (!strcmp(cmd, "loop")) {
        TEEC_Session s;
        if (open_ta(&ctx, &s, kIncrement, "increment")) {
            for (unsigned long i = 0; n == 0 || i < n; ++i) {
                uint32_t out = 0;
                if (!add_one(&s, (uint32_t)i, &out)) break;
                if (out != (uint32_t)i + 1) {
                    printf("tee-client: FAILED: add-one of %lu gave %u\n", i, out);
                    ++failures;
                    break;
                }
                if ((i + 1) % 100 == 0) printf("tee-client: %lu calls answered\n", i + 1);
            }
            TEEC_CloseSession(&s);
        }
    } else if (!strcmp(cmd, "bench")) {
        int rc = bench(&ctx, (unsigned)n);
        TEEC_FinalizeContext(&ctx);
        return rc;
    } else {
        TEEC_FinalizeContext(&ctx);
        return usage();
    }
    TEEC_FinalizeContext(&ctx);
    if (failures) {
        printf("tee-client: %d check(s) FAILED\n", failures);
        return 1;
    }
    printf("tee-client: %s: all results as expected\n", cmd);
    return 0;
}
