// A test-only fault-injection shim: LD_PRELOAD it into a jointcleard to make writes, syncs and
// table reads of files under one directory fail with EIO, as a failing disk does. Built only with
// the tests (test/CMakeLists.txt), never installed; used by test/integration/disk_fault_test.py.
// Why a shim and not device-mapper's error/flakey target: docs/decisions/0096-eio-injection.md.
//
// Environment (read once, at the first intercepted call):
//   JC_EIO_DIR      absolute directory; only files whose path (readlink /proc/self/fd/N) lies
//                   under it are affected. Unset: the shim passes everything through.
//   JC_EIO_CONTROL  a control file. While it does not exist nothing fails. When it appears,
//                   its first line arms the fault:  <op> [match=<bytes>] [once]
//                     op     write (write, pwrite, pwrite64, writev, pwritev)
//                            sync  (fsync, fdatasync, sync_file_range)
//                            read  (pread, pread64: LevelDB's table reads, which the store
//                                  makes with pread, ADR 0166; its log and MANIFEST are read
//                                  with read() at open only, and pass)
//                     match  only a write whose bytes contain <bytes> (no spaces) fails (not
//                            used with read); for
//                            op sync, the first sync of a file that took such a write since
//                            its last sync fails (e.g. "Prec/" = a consensus-record batch,
//                            "Mhead" = a block commit, in the node's LevelDB log)
//                     once   only that one call fails; later calls succeed (Linux reports a
//                            failed writeback once, and a later fsync returns 0 although the
//                            data is gone — a program that retries must not be fooled)
//                   Without "once" the device stays broken: every later write and sync under
//                   the directory fails too (for op read: every later table read).
//   JC_EIO_REPORT   a file the shim appends one line to for the call it failed
//                   ("fired <call> <path> <bytes>"), for every later call it failed
//                   ("failed ..."), and for every later call on the fired file it let through
//                   ("after ..."), so a test can check what was hit and what the program did
//                   afterwards.
// A failing call writes nothing and returns -1 with errno EIO.
//
// Thread-safety: the state is behind one mutex; the real functions are resolved with
// dlsym(RTLD_NEXT) once, under it.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

constexpr int kFdsMax = 65536;

struct State {
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    bool loaded = false;
    char dir[4096] = {};
    size_t dir_len = 0;
    char control[4096] = {};
    char report[4096] = {};
    // Armed fault, from the control file.
    bool armed = false;
    bool op_write = false;
    bool op_sync = false;
    bool op_read = false;
    bool once = false;
    char match[256] = {};
    size_t match_len = 0;
    // What happened.
    bool fired = false;      // the first failure has happened
    char fired_path[4096] = {};
    bool tainted[kFdsMax] = {};  // a matching write since the fd's last sync (op sync + match)
};

State g;

using WriteFn = ssize_t (*)(int, const void*, size_t);
using PwriteFn = ssize_t (*)(int, const void*, size_t, off_t);
using WritevFn = ssize_t (*)(int, const struct iovec*, int);
using PwritevFn = ssize_t (*)(int, const struct iovec*, int, off_t);
using SyncFn = int (*)(int);
using PreadFn = ssize_t (*)(int, void*, size_t, off_t);
using SyncRangeFn = int (*)(int, off64_t, off64_t, unsigned int);

template <typename Fn>
Fn real(const char* name) {
    static_assert(sizeof(Fn) == sizeof(void*));
    void* p = dlsym(RTLD_NEXT, name);
    Fn fn = nullptr;
    memcpy(&fn, &p, sizeof(fn));
    return fn;
}

void load_env() {
    if (g.loaded) {
        return;
    }
    g.loaded = true;
    if (const char* d = getenv("JC_EIO_DIR"); d != nullptr && strlen(d) + 2 < sizeof(g.dir)) {
        strcpy(g.dir, d);
        g.dir_len = strlen(g.dir);
        while (g.dir_len > 1 && g.dir[g.dir_len - 1] == '/') {
            g.dir[--g.dir_len] = '\0';
        }
    }
    if (const char* c = getenv("JC_EIO_CONTROL"); c != nullptr && strlen(c) < sizeof(g.control)) {
        strcpy(g.control, c);
    }
    if (const char* r = getenv("JC_EIO_REPORT"); r != nullptr && strlen(r) < sizeof(g.report)) {
        strcpy(g.report, r);
    }
}

// The file behind fd, when it lies under JC_EIO_DIR.
bool path_under_dir(int fd, char* path, size_t size) {
    if (g.dir_len == 0) {
        return false;
    }
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    const ssize_t n = readlink(link, path, size - 1);
    if (n <= 0) {
        return false;
    }
    path[n] = '\0';
    return static_cast<size_t>(n) > g.dir_len && strncmp(path, g.dir, g.dir_len) == 0 && path[g.dir_len] == '/';
}

// Reads the control file while the fault is not yet armed (it stays armed once read).
void poll_control() {
    if (g.armed || g.control[0] == '\0') {
        return;
    }
    const int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, g.control, O_RDONLY | O_CLOEXEC));
    if (fd < 0) {
        return;
    }
    char line[512] = {};
    const ssize_t n = static_cast<ssize_t>(syscall(SYS_read, fd, line, sizeof(line) - 1));
    syscall(SYS_close, fd);
    if (n <= 0) {
        return;  // created but not yet written: look again at the next call
    }
    line[n] = '\0';
    char* save = nullptr;
    for (char* word = strtok_r(line, " \t\r\n", &save); word != nullptr; word = strtok_r(nullptr, " \t\r\n", &save)) {
        if (strcmp(word, "write") == 0) {
            g.op_write = true;
        } else if (strcmp(word, "sync") == 0) {
            g.op_sync = true;
        } else if (strcmp(word, "read") == 0) {
            g.op_read = true;
        } else if (strcmp(word, "once") == 0) {
            g.once = true;
        } else if (strncmp(word, "match=", 6) == 0 && strlen(word + 6) < sizeof(g.match)) {
            strcpy(g.match, word + 6);
            g.match_len = strlen(g.match);
        }
    }
    g.armed = g.op_write || g.op_sync || g.op_read;
}

void report(const char* what, const char* call, const char* path, size_t bytes) {
    if (g.report[0] == '\0') {
        return;
    }
    char line[4400];
    const int len = snprintf(line, sizeof(line), "%s %s %s %zu\n", what, call, path, bytes);
    const int fd = static_cast<int>(
        syscall(SYS_openat, AT_FDCWD, g.report, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd >= 0 && len > 0) {
        syscall(SYS_write, fd, line, static_cast<size_t>(len));
        syscall(SYS_close, fd);
    }
}

bool contains(const void* data, size_t size, const char* needle, size_t needle_len) {
    return needle_len == 0 || (size >= needle_len && memmem(data, size, needle, needle_len) != nullptr);
}

enum class Kind { kWrite, kSync, kRead };

// Decides one intercepted call: true = fail it with EIO. `iov` holds the bytes of a write.
bool should_fail(int fd, Kind kind, const struct iovec* iov, int iovcnt, const char* call) {
    const bool is_write = kind == Kind::kWrite;
    pthread_mutex_lock(&g.mutex);
    load_env();
    char path[4096];
    if (!path_under_dir(fd, path, sizeof(path))) {
        pthread_mutex_unlock(&g.mutex);
        return false;
    }
    poll_control();
    size_t bytes = 0;
    bool matches = g.match_len == 0;
    for (int i = 0; i < iovcnt; ++i) {
        bytes += iov[i].iov_len;
        matches = matches || contains(iov[i].iov_base, iov[i].iov_len, g.match, g.match_len);
    }
    bool fail = false;
    if (g.fired) {
        // A broken device keeps failing: writes and syncs after a write or sync fault, reads
        // after a read fault. After a one-off failure, calls on the same file are reported, so
        // the test sees whether the program went on writing where it failed.
        const bool broken = kind == Kind::kRead ? g.op_read : (g.op_write || g.op_sync);
        if (!g.once && broken) {
            fail = true;
            report("failed", call, path, bytes);
        } else if (g.once && strcmp(path, g.fired_path) == 0) {
            report("after", call, path, bytes);
        }
    } else if (g.armed) {
        const bool tainted = fd >= 0 && fd < kFdsMax && g.tainted[fd];
        if (is_write && g.op_write) {
            fail = matches;
        } else if (kind == Kind::kSync && g.op_sync) {
            fail = g.match_len == 0 || tainted;
        } else if (kind == Kind::kRead && g.op_read) {
            fail = true;
        }
        if (is_write && g.op_sync && !g.op_write && g.match_len != 0 && matches && fd >= 0 && fd < kFdsMax) {
            g.tainted[fd] = true;
        }
        if (fail) {
            g.fired = true;
            strcpy(g.fired_path, path);
            report("fired", call, path, bytes);
        }
    }
    if (kind == Kind::kSync && !fail && fd >= 0 && fd < kFdsMax) {
        g.tainted[fd] = false;
    }
    pthread_mutex_unlock(&g.mutex);
    return fail;
}

bool fail_write(int fd, const void* buf, size_t n, const char* call) {
    struct iovec one{const_cast<void*>(buf), n};
    return should_fail(fd, Kind::kWrite, &one, 1, call);
}

int eio() {
    errno = EIO;
    return -1;
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t n) {
    static WriteFn next = real<WriteFn>("write");
    return fail_write(fd, buf, n, "write") ? eio() : next(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
    static PwriteFn next = real<PwriteFn>("pwrite");
    return fail_write(fd, buf, n, "pwrite") ? eio() : next(fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t offset) {
    static PwriteFn next = real<PwriteFn>("pwrite64");
    return fail_write(fd, buf, n, "pwrite64") ? eio() : next(fd, buf, n, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
    static WritevFn next = real<WritevFn>("writev");
    return should_fail(fd, Kind::kWrite, iov, iovcnt, "writev") ? eio() : next(fd, iov, iovcnt);
}

ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t offset) {
    static PwritevFn next = real<PwritevFn>("pwritev");
    return should_fail(fd, Kind::kWrite, iov, iovcnt, "pwritev") ? eio() : next(fd, iov, iovcnt, offset);
}

ssize_t pread(int fd, void* buf, size_t n, off_t offset) {
    static PreadFn next = real<PreadFn>("pread");
    return should_fail(fd, Kind::kRead, nullptr, 0, "pread") ? eio() : next(fd, buf, n, offset);
}

ssize_t pread64(int fd, void* buf, size_t n, off_t offset) {
    static PreadFn next = real<PreadFn>("pread64");
    return should_fail(fd, Kind::kRead, nullptr, 0, "pread64") ? eio() : next(fd, buf, n, offset);
}

int fsync(int fd) {
    static SyncFn next = real<SyncFn>("fsync");
    return should_fail(fd, Kind::kSync, nullptr, 0, "fsync") ? eio() : next(fd);
}

int fdatasync(int fd) {
    static SyncFn next = real<SyncFn>("fdatasync");
    return should_fail(fd, Kind::kSync, nullptr, 0, "fdatasync") ? eio() : next(fd);
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
    static SyncRangeFn next = real<SyncRangeFn>("sync_file_range");
    return should_fail(fd, Kind::kSync, nullptr, 0, "sync_file_range") ? eio() : next(fd, offset, nbytes, flags);
}

}  // extern "C"
