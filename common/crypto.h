// Secrets: password hashes, bearer tokens and the digests stored in their place.
//
// Built on libsodium. Passwords are hashed with argon2id (crypto_pwhash_str); tokens are 32
// random bytes given to the client as URL-safe base64, and only their BLAKE2b-256 digest is
// stored, so a copy of the database does not let anyone sign in.
#ifndef MEND_COMMON_CRYPTO_H_
#define MEND_COMMON_CRYPTO_H_

#include <string>
#include <string_view>

#include "common/result.h"

namespace mend::crypto {

// Initialises libsodium. Safe to call more than once and from several threads.
// Returns false if the library could not start (the program must not go on).
bool Init();

// How much work a password hash costs. kInteractive is libsodium's recommendation for logins.
enum class HashCost { kInteractive, kMinimum /* tests only */ };

// Returns an encoded argon2id hash that includes its salt and parameters.
// REQUIRES: Init() returned true.
Result<std::string> HashPassword(std::string_view password, HashCost cost = HashCost::kInteractive);

// True if `password` matches `encoded_hash`. Takes time independent of where they differ.
bool VerifyPassword(std::string_view password, const std::string& encoded_hash);

// A fresh bearer token: 32 random bytes, URL-safe base64 without padding (43 characters).
std::string NewToken();

// The digest stored in place of a token or an invite code (32 raw bytes).
std::string Digest(std::string_view secret);

// Compares two byte strings in constant time for strings of the same length.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// Uniform random integer in [0, upper_bound).
uint32_t RandomBelow(uint32_t upper_bound);

}  // namespace mend::crypto

#endif  // MEND_COMMON_CRYPTO_H_
