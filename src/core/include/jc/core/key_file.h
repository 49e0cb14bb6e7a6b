// Key files: `{"public_key": hex33, "secret_key": hex32}` plus optional extra string fields
// (e.g. "bank_id"), as `jointclear keygen` and `jointclear init` write them (API.md).
//
// Files holding a secret are written with mode 0600 (created that way, never widened later) and
// refused on load when group or others can read them, like ssh refuses a private key.
//
// Thread-safety: free functions; no shared state.
#pragma once

#include <jc/core/secp256k1.h>

#include <map>
#include <string>

namespace jc::crypto {

struct KeyFile {
    SecretKey secret_key;
    PublicKey public_key;
    std::map<std::string, std::string> extra;  // e.g. {"bank_id": "WEBANK"}
};

// Writes atomically (temp file + fsync + rename) with mode 0600. Fails with kAlreadyExists
// rather than overwrite an existing file.
Status write_key_file(const std::string& path, const SecretKey& key,
                      const std::map<std::string, std::string>& extra = {});

// Loads and checks: mode (no group/other access), JSON form, key validity, and that the public
// key matches the secret key.
Result<KeyFile> load_key_file(const std::string& path);

}  // namespace jc::crypto
