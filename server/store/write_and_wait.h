// Runs one write through a Writer and waits for its commit: for tests and tools (seeding a
// benchmark's database), never for the server's request path, which must not wait.
//
//   auto account = WriteAndWait(writer, [&](WriteTx& tx) { return tx.CreateAccount(...); });
#ifndef MEND_SERVER_STORE_WRITE_AND_WAIT_H_
#define MEND_SERVER_STORE_WRITE_AND_WAIT_H_

#include <future>
#include <optional>
#include <type_traits>

#include "server/store/writer.h"

namespace mend {

// `write` returns a Status or a Result<T>; so does WriteAndWait, with the commit's error if the
// write succeeded but its commit failed.
template <typename F>
auto WriteAndWait(Writer& writer, F write) -> std::invoke_result_t<F, WriteTx&> {
  using R = std::invoke_result_t<F, WriteTx&>;
  std::optional<R> result;
  std::promise<Status> committed;
  writer.Write(
      [&](WriteTx& tx) -> Status {
        result.emplace(write(tx));
        if constexpr (std::is_same_v<R, Status>) {
          return *result;
        } else {
          return result->status();
        }
      },
      [&](Status s) { committed.set_value(std::move(s)); });
  Status s = committed.get_future().get();
  if (!s.ok()) return R(s.error());
  return std::move(*result);
}

}  // namespace mend

#endif  // MEND_SERVER_STORE_WRITE_AND_WAIT_H_
