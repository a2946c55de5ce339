// Measurements of the load tool (bench/load.cc): exact latency histograms, the disk's own fsync
// latency, and the one table the tool prints.
#ifndef MEND_BENCH_LOAD_STATS_H_
#define MEND_BENCH_LOAD_STATS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mend::bench {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d);
double Seconds(Clock::duration d);

// Every sample kept (a run holds at most a few million): percentiles are exact, not binned.
class Samples {
 public:
  void Add(Clock::duration d) { ms_.push_back(static_cast<float>(Ms(d))); }
  size_t size() const { return ms_.size(); }
  // The q-quantile in ms (nearest rank), or -1 without samples. Sorts on first use after an Add.
  double Quantile(double q);
  double Max() { return Quantile(1.0); }

 private:
  std::vector<float> ms_;
  bool sorted_ = false;
};

// The disk's own fsync latency where the database lives: `count` appends of 4 KiB to a scratch
// file in `dir`, each followed by fdatasync (what SQLite's WAL commit costs at the least), for at
// most `max_seconds`.
struct FsyncResult {
  Samples latency;
  std::string file_system;  // "ext4", "tmpfs", ... or the magic number
  std::string error;        // empty on success
};
FsyncResult MeasureFsync(const std::string& dir, int count, double max_seconds);

// Counts by name (error codes, "closed", "connect_failed"), for the errors row.
using Counts = std::map<std::string, uint64_t>;
uint64_t Total(const Counts& counts);
// "0", or "7 (out_of_turn 5, closed 2)".
std::string Describe(const Counts& counts);

// A plain-text table: a label, then either one value or p50/p90/p99/max columns.
class Table {
 public:
  void Value(const std::string& label, const std::string& value);
  // Latency row in ms; "-" where there is no sample.
  void Latency(const std::string& label, Samples& samples);
  std::string Render() const;

 private:
  struct Row {
    std::string label;
    std::vector<std::string> cells;  // one value, or four latencies
  };
  std::vector<Row> rows_;
};

// printf into a std::string.
std::string Format(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace mend::bench

#endif  // MEND_BENCH_LOAD_STATS_H_
