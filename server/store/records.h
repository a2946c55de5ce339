// What the store keeps, as plain records: accounts, couples, sessions, commitments, commands.
//
// Shared by every store interface and every engine behind them.
#ifndef MEND_SERVER_STORE_RECORDS_H_
#define MEND_SERVER_STORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "mend/v1/mend.pb.h"

namespace mend {

struct AccountRecord {
  int64_t id = 0;
  std::string login;  // normalized
  std::string display_name;
  std::string password_hash;
  TimeMs created_ms = 0;
  std::optional<int64_t> couple_id;
};

struct CoupleRecord {
  int64_t id = 0;
  int64_t partner_a = 0;  // the one who invited
  int64_t partner_b = 0;  // the one who accepted
  TimeMs paired_ms = 0;

  // REQUIRES: account_id is partner_a or partner_b.
  int64_t PartnerOf(int64_t account_id) const {
    return account_id == partner_a ? partner_b : partner_a;
  }
};

struct SessionRow {
  int64_t id = 0;
  int64_t couple_id = 0;
  int64_t opened_by = 0;  // account id of side A
  TimeMs opened_ms = 0;
  std::optional<TimeMs> closed_ms;
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  // What history shows, kept up to date with every commit (WriteTx::UpdateSummary).
  std::string topic;
  uint32_t breaks = 0;
  uint64_t last_seq = 0;
  TimeMs last_event_ms = 0;
};

struct FollowThroughRecord {
  v1::FollowThroughStatus status = v1::FOLLOW_THROUGH_UNSPECIFIED;
  std::string note;
  int64_t by_id = 0;  // account
  TimeMs at_ms = 0;
};

// A plan made in repair and accepted: a commitment, and what was recorded of it since.
struct CommitmentRecord {
  int64_t id = 0;
  int64_t couple_id = 0;
  int64_t session_id = 0;
  uint64_t seq = 0;  // the event that made the plan
  v1::Side owner_side = v1::SIDE_UNSPECIFIED;
  std::string text;
  std::string check_in_date;  // YYYY-MM-DD or empty
  TimeMs made_ms = 0;
  // Filled by reads:
  v1::FollowThroughStatus status = v1::FOLLOW_THROUGH_UNSPECIFIED;  // the latest
  std::vector<FollowThroughRecord> follow_through;                  // oldest first
  int64_t session_opened_by = 0;  // side A's account, to name the owner
  std::string topic;
  bool due = false;  // the check-in date has come (as of `today`) and it is not kept or missed
};

// A move's client command id and the events it produced, so that a resend is answered the same.
struct CommandRecord {
  int64_t account_id = 0;
  std::string command_id;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};

// A live token: whose it is and until when.
struct TokenRecord {
  int64_t account_id = 0;
  TimeMs expires_ms = 0;
};

}  // namespace mend

#endif  // MEND_SERVER_STORE_RECORDS_H_
