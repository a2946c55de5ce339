#include "client/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mend::client {
namespace {

Error IoError(const std::string& what, const std::string& path) {
  return MakeError(v1::INTERNAL, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string CredentialsPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  std::string base;
  if (xdg && *xdg) {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    base = std::string(home && *home ? home : ".") + "/.config";
  }
  return base + "/mend/credentials";
}

Result<std::optional<Credentials>> LoadCredentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::optional<Credentials>();
    return IoError("cannot read", path);
  }
  Credentials c;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "server") c.server = value;
    if (key == "login") c.login = value;
    if (key == "token") c.token = value;
  }
  if (c.server.empty() || c.token.empty()) {
    return MakeError(v1::INTERNAL, path + " is damaged; run `mend login` again");
  }
  return std::optional<Credentials>(c);
}

Status SaveCredentials(const std::string& path, const Credentials& credentials) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(v1::INTERNAL, "cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot write", tmp);
  std::ostringstream body;
  body << "server=" << credentials.server << "\nlogin=" << credentials.login
       << "\ntoken=" << credentials.token << "\n";
  std::string data = body.str();
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
            ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = IoError("cannot write", path);
    ::unlink(tmp.c_str());
    return e;
  }
  return Status();
}

Status RemoveCredentials(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("cannot remove", path);
  return Status();
}

}  // namespace mend::client
