// Seeding the load tool's database in-process, through the store's writer (no server, no
// password hashing): couples with a sign-in token for each partner and an open session in talk.
#ifndef MEND_BENCH_LOAD_SEED_H_
#define MEND_BENCH_LOAD_SEED_H_

#include <string>
#include <vector>

#include "common/result.h"

namespace mend::bench {

struct SeededCouple {
  std::string token_a;  // raw bearer tokens: what `authenticate` takes
  std::string token_b;
};

struct SeedResult {
  std::vector<SeededCouple> couples;
  double seconds = 0;
  uint64_t group_commits = 0;
};

// Creates `couples` couples in the database at `db_path` (created and migrated if new). Each has
// two accounts (logins "<prefix>-<i>a" and "...b"), a token each, and one open session whose
// events the rules decided: opened by A, joined by B, both checked in, so the session is in talk
// with A to make a statement. Returns once every write is on disk and the store is closed.
Result<SeedResult> SeedCouples(const std::string& db_path, int couples, const std::string& prefix);

}  // namespace mend::bench

#endif  // MEND_BENCH_LOAD_SEED_H_
