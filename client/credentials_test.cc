#include "client/credentials.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace mend::client {
namespace {

class CredentialsTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ =
        std::filesystem::temp_directory_path() /
        ("mend_credentials_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(std::filesystem::create_directories(dir_));
    // A directory that does not exist yet, as on a first login.
    path_ = (dir_ / "config" / "mend" / "credentials").string();
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  static mode_t ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CredentialsTest, SaveThenLoadRoundTrips) {
  const Credentials saved{"ws://127.0.0.1:8443", "alice", "tok_ABC-def_123"};
  Status s = SaveCredentials(path_, saved);
  ASSERT_TRUE(s.ok()) << s.error().message;

  Result<std::optional<Credentials>> loaded = LoadCredentials(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded.value().has_value());
  EXPECT_EQ(loaded.value()->server, saved.server);
  EXPECT_EQ(loaded.value()->login, saved.login);
  EXPECT_EQ(loaded.value()->token, saved.token);
}

TEST_F(CredentialsTest, SaveReplacesTheFile) {
  ASSERT_TRUE(SaveCredentials(path_, {"ws://a:1", "alice", "t1"}).ok());
  ASSERT_TRUE(SaveCredentials(path_, {"ws://b:2", "bob", "t2"}).ok());
  Result<std::optional<Credentials>> loaded = LoadCredentials(path_);
  ASSERT_TRUE(loaded.ok() && loaded.value().has_value());
  EXPECT_EQ(loaded.value()->server, "ws://b:2");
  EXPECT_EQ(loaded.value()->login, "bob");
  EXPECT_EQ(loaded.value()->token, "t2");
  // No temporary file is left behind.
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
}

TEST_F(CredentialsTest, FileIsPrivate) {
  // Even with a permissive umask nobody else may read the token.
  mode_t old_umask = ::umask(0);
  Status s = SaveCredentials(path_, {"ws://a:1", "alice", "secret"});
  ::umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(ModeOf(path_), 0600u);
  EXPECT_EQ(ModeOf(std::filesystem::path(path_).parent_path().string()), 0700u);
}

TEST_F(CredentialsTest, LoadOfMissingFileIsNullopt) {
  Result<std::optional<Credentials>> loaded = LoadCredentials(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_FALSE(loaded.value().has_value());
}

TEST_F(CredentialsTest, LoadOfDamagedFileIsInternal) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  std::ofstream(path_) << "login=alice\n";  // no server, no token
  EXPECT_EQ(LoadCredentials(path_).code(), v1::INTERNAL);
}

TEST_F(CredentialsTest, RemoveIsOkTwice) {
  ASSERT_TRUE(SaveCredentials(path_, {"ws://a:1", "alice", "t"}).ok());
  EXPECT_TRUE(RemoveCredentials(path_).ok());
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_TRUE(RemoveCredentials(path_).ok());
  Result<std::optional<Credentials>> loaded = LoadCredentials(path_);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded.value().has_value());
}

// Sets an environment variable for one scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(CredentialsPathTest, HonoursXdgConfigHome) {
  ScopedEnv xdg("XDG_CONFIG_HOME", "/tmp/some-config");
  EXPECT_EQ(CredentialsPath(), "/tmp/some-config/mend/credentials");
}

TEST(CredentialsPathTest, FallsBackToHomeConfig) {
  ScopedEnv home("HOME", "/home/someone");
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
    EXPECT_EQ(CredentialsPath(), "/home/someone/.config/mend/credentials");
  }
  // An empty XDG_CONFIG_HOME counts as unset.
  ScopedEnv xdg("XDG_CONFIG_HOME", "");
  EXPECT_EQ(CredentialsPath(), "/home/someone/.config/mend/credentials");
}

}  // namespace
}  // namespace mend::client
