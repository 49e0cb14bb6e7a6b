// Small, careful file helpers: whole-file reads with a size limit, and durable atomic writes.
//
// `write_file_atomic` writes to a temporary file in the same directory, fsyncs it, then links it
// into place and fsyncs the directory, so a crash leaves either no file or the whole file.
//
// Thread-safety: free functions; no shared state.
#pragma once

#include <jc/core/error.h>

#include <string>
#include <string_view>
#include <sys/types.h>

namespace jc::file {

Result<std::string> read_all(const std::string& path, std::size_t size_max = 16 << 20);

enum class Overwrite { kRefuse, kReplace };

// Writes `content` to `path` durably with permission bits `mode`.
Status write_file_atomic(const std::string& path, std::string_view content, mode_t mode,
                         Overwrite overwrite);

// Error unless `path` is readable only by its owner (no group/other bits).
Status check_private(const std::string& path);

}  // namespace jc::file
