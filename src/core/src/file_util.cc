#include <jc/core/file_util.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace jc::file {
namespace {

Error errno_error(std::string_view what, const std::string& path) {
    const int err = errno;
    return Error(err == EACCES || err == EPERM ? Errc::kPermission : Errc::kIo,
                 std::string(what) + " " + path + ": " + std::strerror(err));
}

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

Status write_all(int fd, std::string_view content, const std::string& path) {
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_error("write", path);
        }
        written += static_cast<std::size_t>(n);
    }
    return {};
}

}  // namespace

Result<std::string> read_all(const std::string& path, std::size_t size_max) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) {
            return Error(Errc::kNotFound, "no such file: " + path);
        }
        return errno_error("open", path);
    }
    std::string out;
    char buf[16384];
    while (true) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_error("read", path);
        }
        if (n == 0) {
            break;
        }
        if (out.size() + static_cast<std::size_t>(n) > size_max) {
            return Error(Errc::kLimit, path + " is larger than " + std::to_string(size_max) + " bytes");
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

Status write_file_atomic(const std::string& path, std::string_view content, mode_t mode,
                         Overwrite overwrite) {
    if (overwrite == Overwrite::kRefuse && ::access(path.c_str(), F_OK) == 0) {
        return Error(Errc::kAlreadyExists, "refusing to overwrite existing file " + path);
    }
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
        if (fd.get() < 0) {
            return errno_error("create", tmp);
        }
        // The umask may have narrowed `mode`; never widened, but make it exact.
        if (::fchmod(fd.get(), mode) != 0) {
            auto e = errno_error("chmod", tmp);
            ::unlink(tmp.c_str());
            return e;
        }
        if (auto s = write_all(fd.get(), content, tmp); !s) {
            ::unlink(tmp.c_str());
            return s;
        }
        if (::fsync(fd.get()) != 0) {
            auto e = errno_error("fsync", tmp);
            ::unlink(tmp.c_str());
            return e;
        }
    }
    if (overwrite == Overwrite::kRefuse) {
        // link() fails if the target exists, so a racing writer cannot be overwritten either.
        if (::link(tmp.c_str(), path.c_str()) != 0) {
            auto e = errno == EEXIST
                         ? Error(Errc::kAlreadyExists, "refusing to overwrite existing file " + path)
                         : errno_error("link", path);
            ::unlink(tmp.c_str());
            return e;
        }
        ::unlink(tmp.c_str());
    } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto e = errno_error("rename", path);
        ::unlink(tmp.c_str());
        return e;
    }
    Fd dir(::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
        return errno_error("fsync directory of", path);
    }
    return {};
}

Status check_private(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return Error(Errc::kNotFound, "no such file: " + path);
        }
        return errno_error("stat", path);
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return Error(Errc::kPermission, path + " holds a secret but has mode " + mode +
                                            "; it must not be accessible by group or others "
                                            "(chmod 600)");
    }
    return {};
}

}  // namespace jc::file
