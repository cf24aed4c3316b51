/*
 * A QEMU TCG plugin for scripts/perf-softroce-icount.sh: counts how often each translated block of guest code runs
 * on guest CPUs 0 and 1, so that a benchmark's guest instructions can be counted exactly instead of timed.
 *
 * Loaded with `qemu-system-x86_64 -plugin PATH/libqemu-block-counts.so,dir=DIR`. Whenever a file named `snapshot`
 * appears in DIR (the testbed's share, which the guest writes), it copies the counters, writes every block that
 * has run as one line "pc instructions runs-on-cpu0 runs-on-cpu1" (pc in hex) to DIR/counts.N (N = 0, 1, ...),
 * and then removes `snapshot`, which tells the guest that the counts were taken. The counters only grow: the
 * difference of two snapshots is what ran between them. A block translated twice (after a flush) has two lines. A
 * block is counted when it starts, so one that a fault or an exception leaves early counts in full.
 *
 * Built by the script with gcc against QEMU's plugin API version 1 (QEMU 4.2 to 8.0; Debian 12 ships 7.2). The
 * five functions used are declared below, because Debian ships no qemu-plugin.h.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;
extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
extern void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, void (*cb)(unsigned int vcpu, void *udata), int flags,
                                                 void *udata);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

#define EXPORT __attribute__((visibility("default")))
#define CB_NO_REGS 0 /* enum qemu_plugin_cb_flags: the callback reads no guest register */

EXPORT int qemu_plugin_version = 1;

/* One translated block. runs[] is written only by the thread of its vCPU (multi-threaded TCG) and read by the writer
 * thread, which tolerates a count one behind. */
struct block {
    uint64_t pc;
    uint32_t insns;
    volatile uint64_t runs[2];
    struct block *next;
};

static struct block *blocks;                /* newest first; only ever prepended */
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static char dir[4096];

static void on_run(unsigned int vcpu, void *udata) {
    if (vcpu < 2) {
        ((struct block *) udata)->runs[vcpu]++;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void) id;
    struct block *b = calloc(1, sizeof *b);
    if (b == NULL) {
        return; /* that block goes uncounted; the totals will say so by not adding up */
    }
    b->pc = qemu_plugin_tb_vaddr(tb);
    b->insns = (uint32_t) qemu_plugin_tb_n_insns(tb);
    pthread_mutex_lock(&blocks_lock);
    b->next = blocks;
    blocks = b;
    pthread_mutex_unlock(&blocks_lock);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_run, CB_NO_REGS, b);
}

struct row {
    uint64_t pc;
    uint32_t insns;
    uint64_t runs0, runs1;
};

/* Copies the counters first (the guest keeps running), then writes them out. */
static void write_counts(int n) {
    pthread_mutex_lock(&blocks_lock);
    struct block *head = blocks;
    pthread_mutex_unlock(&blocks_lock);
    size_t count = 0;
    for (struct block *b = head; b != NULL; b = b->next) {
        count++;
    }
    struct row *rows = malloc(count * sizeof *rows + 1);
    if (rows == NULL) {
        return;
    }
    size_t k = 0;
    for (struct block *b = head; b != NULL && k < count; b = b->next) {
        if (b->runs[0] != 0 || b->runs[1] != 0) {
            rows[k++] = (struct row) {b->pc, b->insns, b->runs[0], b->runs[1]};
        }
    }
    char path[4200], part[4210];
    snprintf(path, sizeof path, "%s/counts.%d", dir, n);
    snprintf(part, sizeof part, "%s.part", path);
    FILE *out = fopen(part, "w");
    if (out != NULL) {
        for (size_t i = 0; i < k; i++) {
            fprintf(out, "%" PRIx64 " %" PRIu32 " %" PRIu64 " %" PRIu64 "\n", rows[i].pc, rows[i].insns, rows[i].runs0, rows[i].runs1);
        }
        if (fclose(out) == 0) {
            rename(part, path);
        }
    }
    free(rows);
}

static void *watch(void *arg) {
    (void) arg;
    char trigger[4200];
    snprintf(trigger, sizeof trigger, "%s/snapshot", dir);
    for (int n = 0;;) {
        if (access(trigger, F_OK) == 0) {
            write_counts(n++);
            unlink(trigger);
        }
        usleep(5000);
    }
    return NULL;
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv) {
    (void) info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "dir=", 4) == 0 && strlen(argv[i] + 4) < sizeof dir) {
            strcpy(dir, argv[i] + 4);
        }
    }
    if (dir[0] == '\0') {
        fprintf(stderr, "qemu_block_counts: give the plugin dir=DIR, the directory it watches for 'snapshot'\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    pthread_t thread;
    if (pthread_create(&thread, NULL, watch, NULL) != 0) {
        fprintf(stderr, "qemu_block_counts: cannot start the thread that watches %s\n", dir);
        return -1;
    }
    pthread_detach(thread);
    return 0;
}
