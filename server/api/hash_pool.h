// A small pool of threads for password hashing (argon2id: tens of milliseconds of CPU and 64 MiB
// each), with a bounded queue, so that a flood of registrations or logins costs only those
// requests: everyone else's requests never wait behind a hash.
//
//   if (auto busy = pool.TrySubmit([=] { ... hash, then answer ... })) reply BUSY, *busy seconds
//
// Its threads run only when the core is otherwise idle (SCHED_IDLE), so that on a busy core a
// live move is served before the next hash.
#ifndef MEND_SERVER_API_HASH_POOL_H_
#define MEND_SERVER_API_HASH_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace mend {

class HashPool {
 public:
  // REQUIRES: threads >= 1.
  HashPool(int threads, size_t max_queued);
  ~HashPool();  // Stop()s
  // Drops the tasks still waiting and joins the threads once the running ones end. Idempotent.
  void Stop();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

  // Queues `task` and returns nullopt; or, when `max_queued` tasks wait already, drops it and
  // returns how many seconds (at least 1) until the queue has likely drained. Thread-safe.
  std::optional<uint32_t> TrySubmit(std::function<void()> task);

  // Tasks waiting now (not counting those running). Thread-safe.
  size_t queued() const;

 private:
  void Run();

  const size_t max_queued_;
  const size_t threads_count_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  double mean_seconds_ = 0.1;  // a moving average of how long one task takes
  std::vector<std::thread> threads_;
};

}  // namespace mend

#endif  // MEND_SERVER_API_HASH_POOL_H_
