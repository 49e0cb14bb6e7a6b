#include "process.h"

#include <jc/core/file_util.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace jc::tools::proc {
namespace {

bool executable(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// Writes all of `data` to fd, retrying on EINTR. Async-signal-safe.
void write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

// Reads exactly `size` bytes unless EOF comes first; returns the count read.
std::size_t read_all_fd(int fd, void* data, std::size_t size) {
    char* p = static_cast<char*>(data);
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::read(fd, p + got, size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    return got;
}

}  // namespace

Result<std::string> find_daemon(const std::string& explicit_path) {
    if (!explicit_path.empty()) {
        if (!executable(explicit_path)) {
            return Error(Errc::kNotFound, "--jointcleard " + explicit_path + " is not an executable file");
        }
        return fs::absolute(explicit_path).string();
    }
    if (const char* env = std::getenv("JOINTCLEARD"); env != nullptr && *env != '\0') {
        if (!executable(env)) {
            return Error(Errc::kNotFound, std::string("$JOINTCLEARD=") + env + " is not an executable file");
        }
        return fs::absolute(env).string();
    }
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path dir = self.parent_path();
        for (const fs::path& candidate :
             {dir / "jointcleard", dir / ".." / "src" / "node" / "jointcleard", dir / ".." / "bin" / "jointcleard"}) {
            if (executable(candidate)) {
                return candidate.lexically_normal().string();
            }
        }
    }
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        std::stringstream ss(path);
        std::string entry;
        while (std::getline(ss, entry, ':')) {
            if (!entry.empty() && executable(fs::path(entry) / "jointcleard")) {
                return (fs::path(entry) / "jointcleard").string();
            }
        }
    }
    return Error(Errc::kNotFound, "cannot find jointcleard: pass --jointcleard PATH or set $JOINTCLEARD");
}

Result<pid_t> spawn_detached(const std::vector<std::string>& argv, const std::string& log_path, const std::string& cwd) {
    if (argv.empty()) {
        return Error(Errc::kInvalidArgument, "spawn: empty command");
    }
    // Everything the children need is prepared before fork: after it only async-signal-safe
    // calls are made.
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        return Error(Errc::kIo, "cannot open " + log_path + ": " + std::strerror(errno));
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        ::close(log_fd);
        return Error(Errc::kIo, std::string("pipe: ") + std::strerror(errno));
    }
    const pid_t child = ::fork();
    if (child < 0) {
        ::close(log_fd);
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        return Error(Errc::kIo, std::string("fork: ") + std::strerror(errno));
    }
    if (child == 0) {
        ::setsid();
        const pid_t grandchild = ::fork();
        if (grandchild != 0) {
            ::_exit(grandchild < 0 ? 1 : 0);
        }
        const pid_t me = ::getpid();
        write_all(pipe_fds[1], &me, sizeof me);
        const int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(log_fd, STDOUT_FILENO) < 0 ||
            ::dup2(log_fd, STDERR_FILENO) < 0 || ::chdir(cwd.c_str()) != 0) {
            const int e = errno;
            write_all(pipe_fds[1], &e, sizeof e);
            ::_exit(127);
        }
        // Close every other inherited descriptor except the exec-status pipe (close-on-exec).
        for (int fd = 3; fd < 1024; ++fd) {
            if (fd != pipe_fds[1]) {
                ::close(fd);
            }
        }
        ::execv(args[0], args.data());
        const int e = errno;
        write_all(pipe_fds[1], &e, sizeof e);
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    ::close(log_fd);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    pid_t daemon_pid = 0;
    const std::size_t got_pid = read_all_fd(pipe_fds[0], &daemon_pid, sizeof daemon_pid);
    int exec_errno = 0;
    const std::size_t got_errno = read_all_fd(pipe_fds[0], &exec_errno, sizeof exec_errno);
    ::close(pipe_fds[0]);
    if (got_pid != sizeof daemon_pid) {
        return Error(Errc::kIo, "cannot start " + argv[0] + ": fork failed");
    }
    if (got_errno == sizeof exec_errno) {
        return Error(Errc::kIo, "cannot start " + argv[0] + ": " + std::strerror(exec_errno));
    }
    return daemon_pid;
}

std::optional<pid_t> read_pid_file(const std::string& path) {
    auto text = file::read_all(path, 64);
    if (!text) {
        return std::nullopt;
    }
    std::string s = *text;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    const long v = std::stol(s);
    if (v <= 1) {
        return std::nullopt;
    }
    return static_cast<pid_t>(v);
}

Status write_pid_file(const std::string& path, pid_t pid) {
    return file::write_file_atomic(path, std::to_string(pid) + "\n", 0644, file::Overwrite::kReplace);
}

bool alive(pid_t pid) {
    if (pid <= 1) {
        return false;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!stat || !std::getline(stat, line)) {
        return false;
    }
    // "pid (comm) S ...": the state follows the last ')' (comm may contain spaces or parens).
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) {
        return false;
    }
    const char state = line[close + 2];
    return state != 'Z' && state != 'X';
}

bool is_running(pid_t pid, const std::vector<std::string>& needles) {
    if (!alive(pid)) {
        return false;
    }
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmdline) {
        if (c == '\0') {
            c = ' ';
        }
    }
    for (const auto& n : needles) {
        if (cmdline.find(n) == std::string::npos) {
            return false;
        }
    }
    return true;
}

bool wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(2);
    while (alive(pid)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(pause);  // polling interval, not a wait for an outcome
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    return true;
}

std::string last_line(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return "";
    }
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(in.tellg());
    const std::streamoff tail = std::min<std::streamoff>(size, 4096);
    in.seekg(size - tail);
    std::string text(static_cast<std::size_t>(tail), '\0');
    in.read(text.data(), tail);
    std::string last;
    std::stringstream ss(text);
    std::string line;
    while (std::getline(ss, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    return last;
}

}  // namespace jc::tools::proc
