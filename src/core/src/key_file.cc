#include <jc/core/key_file.h>

#include <jc/core/canonical_json.h>
#include <jc/core/file_util.h>

#include <optional>

namespace jc::crypto {

Status write_key_file(const std::string& path, const SecretKey& key,
                      const std::map<std::string, std::string>& extra) {
    json::Value doc = json::Value::object();
    for (const auto& [name, value] : extra) {
        if (name == "public_key" || name == "secret_key") {
            return Error(Errc::kInvalidArgument, "key file extra field may not be named " + name);
        }
        doc[name] = value;
    }
    doc["public_key"] = key.public_key().hex();
    doc["secret_key"] = key.hex();
    JC_TRY_STATUS(json::check_subset(doc));
    return file::write_file_atomic(path, json::canonicalize(doc) + "\n", 0600,
                                   file::Overwrite::kRefuse);
}

Result<KeyFile> load_key_file(const std::string& path) {
    JC_TRY_STATUS(file::check_private(path));
    JC_ASSIGN_OR_RETURN(std::string text, file::read_all(path, 64 * 1024));
    auto doc = json::parse_strict(text);
    if (!doc) {
        return doc.error().with_context(path);
    }
    if (!doc->is_object()) {
        return Error(Errc::kParse, path + ": key file must be a JSON object");
    }
    std::optional<SecretKey> secret;
    std::optional<PublicKey> public_key;
    std::map<std::string, std::string> extra;
    for (auto it = doc->begin(); it != doc->end(); ++it) {
        if (!it->is_string()) {
            return Error(Errc::kParse, path + ": field \"" + it.key() + "\" must be a string");
        }
        const auto& value = it->get_ref<const std::string&>();
        if (it.key() == "secret_key") {
            auto sk = SecretKey::from_hex(value);
            if (!sk) {
                return sk.error().with_context(path + ": secret_key");
            }
            secret = *sk;
        } else if (it.key() == "public_key") {
            auto pk = PublicKey::from_hex(value);
            if (!pk) {
                return pk.error().with_context(path + ": public_key");
            }
            public_key = *pk;
        } else {
            extra[it.key()] = value;
        }
    }
    if (!secret) {
        return Error(Errc::kParse, path + ": missing field \"secret_key\"");
    }
    if (!public_key) {
        return Error(Errc::kParse, path + ": missing field \"public_key\"");
    }
    if (secret->public_key() != *public_key) {
        return Error(Errc::kCrypto, path + ": public_key does not belong to secret_key");
    }
    return KeyFile{.secret_key = *secret, .public_key = *public_key, .extra = std::move(extra)};
}

}  // namespace jc::crypto
