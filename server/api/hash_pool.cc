#include "server/api/hash_pool.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cmath>

namespace mend {

HashPool::HashPool(int threads, size_t max_queued)
    : max_queued_(max_queued), threads_count_(static_cast<size_t>(threads)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

HashPool::~HashPool() { Stop(); }

void HashPool::Stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::optional<uint32_t> HashPool::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return 1;
    if (queue_.size() >= max_queued_) {
      double seconds = mean_seconds_ * static_cast<double>(queue_.size() + running_) /
                       static_cast<double>(threads_count_);
      return static_cast<uint32_t>(std::max(1.0, std::ceil(seconds)));
    }
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return std::nullopt;
}

size_t HashPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void HashPool::Run() {
  // Hashing runs only when the core has nothing else to do (SCHED_IDLE): a network thread that
  // wakes takes the core at once, so a flood of sign-ins never delays a move. Where that policy
  // is refused, a high nice value does most of the same.
  sched_param idle{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0) {
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
  }
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    auto start = std::chrono::steady_clock::now();
    task();
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    mean_seconds_ = 0.8 * mean_seconds_ + 0.2 * took;
  }
}

}  // namespace mend
