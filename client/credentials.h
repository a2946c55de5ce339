// Where the `mend` program keeps who is signed in: $XDG_CONFIG_HOME/mend/credentials (default
// ~/.config/mend/credentials), mode 0600 in a 0700 directory, written atomically.
#ifndef MEND_CLIENT_CREDENTIALS_H_
#define MEND_CLIENT_CREDENTIALS_H_

#include <optional>
#include <string>

#include "common/result.h"

namespace mend::client {

struct Credentials {
  std::string server;  // ws://HOST:PORT the token belongs to
  std::string login;
  std::string token;
};

// The credentials file path from the environment.
std::string CredentialsPath();

// nullopt if there is no file; INTERNAL if it cannot be read or is malformed.
Result<std::optional<Credentials>> LoadCredentials(const std::string& path);
// Replaces the file; never leaves it readable by others, even for a moment.
Status SaveCredentials(const std::string& path, const Credentials& credentials);
// Removes the file; OK if it does not exist.
Status RemoveCredentials(const std::string& path);

}  // namespace mend::client

#endif  // MEND_CLIENT_CREDENTIALS_H_
