// Goal: key files are written 0600, never overwritten, refused when group/world-readable,
// and checked for a matching key pair on load.
#include <jc/core/file_util.h>
#include <jc/core/key_file.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace jc;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "jc-keyfile-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
};
}  // namespace

TEST_CASE("key file round-trip with mode 0600 and extra fields", "[core][keyfile]") {
    TempDir dir;
    const std::string path = (dir.path / "wb.json").string();
    const auto key = crypto::SecretKey::generate().value();
    REQUIRE(crypto::write_key_file(path, key, {{"bank_id", "WEBANK"}}).ok());
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto loaded = crypto::load_key_file(path);
    REQUIRE(loaded.ok());
    CHECK(loaded->public_key == key.public_key());
    CHECK(loaded->extra.at("bank_id") == "WEBANK");

    auto again = crypto::write_key_file(path, key);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code() == Errc::kAlreadyExists);
}

TEST_CASE("key file load refuses loose modes, mismatched pairs and bad JSON", "[core][keyfile]") {
    TempDir dir;
    const std::string path = (dir.path / "k.json").string();
    const auto key = crypto::SecretKey::generate().value();
    REQUIRE(crypto::write_key_file(path, key).ok());
    REQUIRE(chmod(path.c_str(), 0644) == 0);
    auto loose = crypto::load_key_file(path);
    REQUIRE_FALSE(loose.ok());
    CHECK_THAT(loose.error().message(), Catch::Contains("chmod 600"));

    const std::string mismatched = (dir.path / "m.json").string();
    const auto other = crypto::SecretKey::generate().value();
    REQUIRE(file::write_file_atomic(mismatched,
                                    R"({"public_key":")" + other.public_key().hex() +
                                        R"(","secret_key":")" + key.hex() + "\"}",
                                    0600, file::Overwrite::kRefuse)
                .ok());
    auto bad_pair = crypto::load_key_file(mismatched);
    REQUIRE_FALSE(bad_pair.ok());
    CHECK_THAT(bad_pair.error().message(), Catch::Contains("does not belong"));

    const std::string garbage = (dir.path / "g.json").string();
    REQUIRE(file::write_file_atomic(garbage, "{not json", 0600, file::Overwrite::kRefuse).ok());
    CHECK_FALSE(crypto::load_key_file(garbage).ok());

    CHECK(crypto::load_key_file((dir.path / "missing.json").string()).error().code() ==
          Errc::kNotFound);
}
