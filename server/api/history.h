// What a couple comes back to after its sessions: the list of past sessions, the commitments made
// in repair and their follow-through, and the export of everything.
//
// Free of the network. Every method is given the asking account's couple, so it can only ever
// read that couple's rows; anything else does not exist (NOT_FOUND). Reads answer at once from
// the store's read connections; follow-through is written through the Writer and answered after
// its commit. Thread-safe.
#ifndef MEND_SERVER_HISTORY_H_
#define MEND_SERVER_HISTORY_H_

#include <cstdint>
#include <functional>

#include "common/clock.h"
#include "common/result.h"
#include "mend/v1/mend.pb.h"
#include "server/store/account_store.h"
#include "server/store/history_store.h"
#include "server/store/session_log.h"
#include "server/store/writer.h"

namespace mend {

class History {
 public:
  // Page sizes: what an empty request gets, and the most a request may ask for.
  static constexpr int kDefaultSessions = 10;
  static constexpr int kDefaultCommitments = 20;
  static constexpr int kMaxPage = 100;
  // An export page holds whole sessions, up to about this many events.
  static constexpr size_t kExportEvents = 2000;

  // REQUIRES: everything given outlives this.
  History(AccountStore& accounts, HistoryStore& history, SessionLog& log, Writer& writer,
          const Clock& clock)
      : accounts_(accounts), history_(history), log_(log), writer_(writer), clock_(clock) {}

  // `me` is the asking account. INVALID_ARGUMENT for a page token Mend did not give.
  Result<v1::SessionPage> ListSessions(const CoupleRecord& couple, int64_t me,
                                       const v1::ListSessions& request);
  // INVALID_ARGUMENT for a malformed `today` or page token.
  Result<v1::CommitmentPage> ListCommitments(const CoupleRecord& couple,
                                             const v1::ListCommitments& request);
  // Stores follow-through by `me`; `done` gets the commitment as it is now, once it is on disk
  // (on the writer's thread, or at once for a refusal). NOT_FOUND if the commitment is not the
  // couple's; INVALID_ARGUMENT without a status; TOO_LONG for a long note.
  void RecordFollowThrough(const CoupleRecord& couple, int64_t me,
                           const v1::RecordFollowThrough& request,
                           std::function<void(Result<v1::Commitment>)> done);
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

  AccountStore& accounts_;
  HistoryStore& history_;
  SessionLog& log_;
  Writer& writer_;
  const Clock& clock_;
};

}  // namespace mend

#endif  // MEND_SERVER_HISTORY_H_
