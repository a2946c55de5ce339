#include "bench/load_stats.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstring>

namespace mend::bench {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string Format(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return std::string(buf, std::clamp(n, 0, static_cast<int>(sizeof buf) - 1));
}

double Samples::Quantile(double q) {
  if (ms_.empty()) return -1;
  if (!sorted_) {
    std::sort(ms_.begin(), ms_.end());
    sorted_ = true;
  }
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(ms_.size())));
  return ms_[std::clamp<size_t>(rank, 1, ms_.size()) - 1];
}

namespace {

std::string FileSystemName(const std::string& dir) {
  struct statfs fs;
  if (statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // also ext2 and ext3: the same magic
      return "ext4";
    case TMPFS_MAGIC:
      return "tmpfs";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlayfs";
    case 0x65735546:
      return "fuse";
    case NFS_SUPER_MAGIC:
      return "nfs";
    default:
      return Format("fs 0x%lx", static_cast<unsigned long>(fs.f_type));
  }
}

}  // namespace

FsyncResult MeasureFsync(const std::string& dir, int count, double max_seconds) {
  FsyncResult result;
  result.file_system = FileSystemName(dir);
  std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    result.error = "open " + path + ": " + std::strerror(errno);
    return result;
  }
  // Appends, as a growing WAL does: each fdatasync also commits the new size, like SQLite's.
  char block[4096];
  std::memset(block, 'w', sizeof block);
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(max_seconds));
  for (int i = 0; i < count && Clock::now() < deadline; ++i) {
    auto t0 = Clock::now();
    if (::pwrite(fd, block, sizeof block, static_cast<off_t>(i) * sizeof block) !=
            static_cast<ssize_t>(sizeof block) ||
        ::fdatasync(fd) != 0) {
      result.error = std::string("write/fdatasync: ") + std::strerror(errno);
      break;
    }
    result.latency.Add(Clock::now() - t0);
  }
  ::close(fd);
  ::unlink(path.c_str());
  return result;
}

uint64_t Total(const Counts& counts) {
  uint64_t total = 0;
  for (const auto& [name, n] : counts) total += n;
  return total;
}

std::string Describe(const Counts& counts) {
  uint64_t total = Total(counts);
  if (total == 0) return "0";
  std::string out = std::to_string(total) + " (";
  bool first = true;
  for (const auto& [name, n] : counts) {
    if (n == 0) continue;
    out += (first ? "" : ", ") + name + " " + std::to_string(n);
    first = false;
  }
  return out + ")";
}

void Table::Value(const std::string& label, const std::string& value) {
  rows_.push_back({label, {value}});
}

void Table::Latency(const std::string& label, Samples& samples) {
  Row row{label, {}};
  for (double q : {0.50, 0.90, 0.99, 1.0}) {
    double v = samples.Quantile(q);
    row.cells.push_back(v < 0 ? "-" : v < 10 ? Format("%.2f", v) : Format("%.1f", v));
  }
  rows_.push_back(std::move(row));
}

std::string Table::Render() const {
  size_t label_width = 0;
  for (const Row& r : rows_) label_width = std::max(label_width, r.label.size());
  label_width += 2;
  constexpr int kCell = 10;
  auto line = [&](const std::string& label, const std::vector<std::string>& cells) {
    std::string out = label + std::string(label_width - label.size(), ' ');
    for (const std::string& c : cells) {
      // A long value (the errors by name) runs on instead of being cut.
      if (c.size() < kCell) out += std::string(kCell - c.size(), ' ');
      out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line("", {"p50", "p90", "p99", "max"});
  for (const Row& r : rows_) out += line(r.label, r.cells);
  return out;
}

}  // namespace mend::bench
