// Typed results for expected failures.
//
// Errors that a person or a client can cause (a wrong password, an out-of-turn command) are
// values, not exceptions: every module boundary returns a Status or a Result<T>. The codes are the
// wire protocol's ErrorCode, so an error travels from the rules to the client unchanged.
//
//   Result<Account> r = store.FindAccount(login);
//   if (!r.ok()) return r.error();
//   Use(r.value());
#ifndef MEND_COMMON_RESULT_H_
#define MEND_COMMON_RESULT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mend/v1/mend.pb.h"

namespace mend {

using ErrorCode = v1::ErrorCode;

struct Error {
  ErrorCode code = v1::INTERNAL;
  std::string message;
  uint32_t retry_after_seconds = 0;  // only for RATE_LIMITED
  // Session refusals: where the session stands, so the client can resynchronise.
  uint64_t current_seq = 0;
  std::vector<v1::Side> may_act;
  std::vector<std::string> expected;
  int64_t session_id = 0;             // SESSION_ALREADY_OPEN: the session to join
  int64_t break_ends_at_unix_ms = 0;  // ON_BREAK
};

inline Error MakeError(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

// A success or an Error.
class Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  // REQUIRES: !ok()
  const Error& error() const { return error_; }
  ErrorCode code() const { return ok_ ? v1::ERROR_CODE_UNSPECIFIED : error_.code; }

 private:
  Error error_;
  bool ok_ = true;
};

// A value of type T or an Error.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(status.error()) {}  // NOLINT  REQUIRES: !status.ok()

  bool ok() const { return v_.index() == 0; }
  // REQUIRES: ok()
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  // REQUIRES: !ok()
  const Error& error() const { return std::get<1>(v_); }
  ErrorCode code() const { return ok() ? v1::ERROR_CODE_UNSPECIFIED : error().code; }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

// The wire form of an Error, and back.
void ToProto(const Error& error, v1::Error* out);
Error FromProto(const v1::Error& error);

// Stable, lower-case name of an error code for logs and messages ("wrong_password").
std::string ErrorCodeName(ErrorCode code);

}  // namespace mend

#endif  // MEND_COMMON_RESULT_H_
