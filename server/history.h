// What a couple comes back to after its sessions: the list of past sessions, the commitments made
// in repair and their follow-through, and the export of everything.
//
// Free of the network. Every method is given the asking account's couple, so it can only ever
// read that couple's rows; anything else does not exist (NOT_FOUND). Thread-safe.
#ifndef MEND_SERVER_HISTORY_H_
#define MEND_SERVER_HISTORY_H_

#include <cstdint>

#include "common/clock.h"
#include "common/result.h"
#include "mend/v1/mend.pb.h"
#include "server/store.h"

namespace mend {

class History {
 public:
  // Page sizes: what an empty request gets, and the most a request may ask for.
  static constexpr int kDefaultSessions = 10;
  static constexpr int kDefaultCommitments = 20;
  static constexpr int kMaxPage = 100;
  // An export page holds whole sessions, up to about this many events.
  static constexpr size_t kExportEvents = 2000;

  // REQUIRES: store and clock outlive this.
  History(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // `me` is the asking account. INVALID_ARGUMENT for a page token Mend did not give.
  Result<v1::SessionPage> ListSessions(const CoupleRecord& couple, int64_t me,
                                       const v1::ListSessions& request);
  // INVALID_ARGUMENT for a malformed `today` or page token.
  Result<v1::CommitmentPage> ListCommitments(const CoupleRecord& couple,
                                             const v1::ListCommitments& request);
  // Stores follow-through by `me` and returns the commitment as it is now. NOT_FOUND if the
  // commitment is not the couple's; INVALID_ARGUMENT without a status; TOO_LONG for a long note.
  Result<v1::Commitment> RecordFollowThrough(const CoupleRecord& couple, int64_t me,
                                             const v1::RecordFollowThrough& request);
  // One page of the couple's whole history, oldest session first, events included.
  Result<v1::ExportPage> Export(const CoupleRecord& couple, int64_t me,
                                const v1::ExportHistory& request);

 private:
  struct Names;  // the couple's two accounts as the protocol shows them
  Result<Names> NamesOf(const CoupleRecord& couple);
  v1::Commitment View(const CommitmentRecord& record, const CoupleRecord& couple,
                      const Names& names) const;
  // Summaries of `rows`, each with its commitments.
  Result<std::vector<v1::SessionSummary>> Summaries(const CoupleRecord& couple, int64_t me,
                                                    const std::vector<SessionRow>& rows);
  std::string Today() const;

  Store& store_;
  const Clock& clock_;
};

}  // namespace mend

#endif  // MEND_SERVER_HISTORY_H_
