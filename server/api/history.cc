#include "server/api/history.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "common/dates.h"
#include "common/utf8.h"

namespace mend {
namespace {

constexpr size_t kNoteMax = 400;  // characters, as any other text in a session

Error BadToken() {
  return MakeError(v1::INVALID_ARGUMENT, "that page token is not one Mend gave; start again");
}

// Page tokens are decimal cursors (a session id or an offset): they only ever select among the
// asking couple's own rows, so they need no secrecy.
Result<int64_t> ParseToken(const std::string& token) {
  if (token.empty()) return int64_t{0};
  int64_t value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || value < 0) return BadToken();
  return value;
}

int PageSize(uint32_t asked, int fallback) {
  if (asked == 0) return fallback;
  return static_cast<int>(std::min<uint32_t>(asked, History::kMaxPage));
}

}  // namespace

struct History::Names {
  int64_t a_id = 0;
  v1::Account a;
  int64_t b_id = 0;
  v1::Account b;
  const v1::Account& Of(int64_t id) const { return id == a_id ? a : b; }
};

Result<History::Names> History::NamesOf(const CoupleRecord& couple) {
  Names names;
  for (auto [id, view, slot] : {std::tuple{couple.partner_a, &names.a, &names.a_id},
                                std::tuple{couple.partner_b, &names.b, &names.b_id}}) {
    auto account = accounts_.FindAccountById(id);
    if (!account.ok()) return account.error();
    *slot = id;
    view->set_login(account.value().login);
    view->set_display_name(account.value().display_name);
    view->set_paired(true);
  }
  return names;
}

std::string History::Today() const { return dates::UtcDate(clock_.NowMs()); }

v1::Commitment History::View(const CommitmentRecord& r, const CoupleRecord& couple,
                             const Names& names) const {
  v1::Commitment c;
  c.set_commitment_id(r.id);
  c.set_session_id(r.session_id);
  c.set_seq(r.seq);
  int64_t owner =
      r.owner_side == v1::SIDE_A ? r.session_opened_by : couple.PartnerOf(r.session_opened_by);
  *c.mutable_owner() = names.Of(owner);
  c.set_text(r.text);
  c.set_check_in_date(r.check_in_date);
  c.set_made_at_unix_ms(r.made_ms);
  c.set_status(r.status);
  for (const auto& f : r.follow_through) {
    auto* out = c.add_follow_through();
    out->set_status(f.status);
    out->set_note(f.note);
    *out->mutable_by() = names.Of(f.by_id);
    out->set_at_unix_ms(f.at_ms);
  }
  c.set_due(r.due);
  c.set_topic(r.topic);
  return c;
}

Result<std::vector<v1::SessionSummary>> History::Summaries(const CoupleRecord& couple, int64_t me,
                                                           const std::vector<SessionRow>& rows) {
  auto names = NamesOf(couple);
  if (!names.ok()) return names.error();
  std::vector<int64_t> ids;
  for (const auto& row : rows) ids.push_back(row.id);
  auto commitments = history_.CommitmentsOf(ids, Today());
  if (!commitments.ok()) return commitments.error();
  std::vector<v1::SessionSummary> out;
  size_t next = 0;  // commitments come in the order of `ids`
  for (const auto& row : rows) {
    v1::SessionSummary s;
    s.set_session_id(row.id);
    s.set_topic(row.topic);
    s.set_opened_at_unix_ms(row.opened_ms);
    s.set_closed_at_unix_ms(row.closed_ms.value_or(0));
    s.set_duration_ms(
        std::max<TimeMs>(0, row.closed_ms.value_or(row.last_event_ms) - row.opened_ms));
    s.set_outcome(row.outcome);
    s.set_breaks(row.breaks);
    s.set_events(row.last_seq);
    s.set_you(me == row.opened_by ? v1::SIDE_A : v1::SIDE_B);
    for (; next < commitments.value().size() && commitments.value()[next].session_id == row.id;
         ++next) {
      *s.add_commitments() = View(commitments.value()[next], couple, names.value());
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<v1::SessionPage> History::ListSessions(const CoupleRecord& couple, int64_t me,
                                              const v1::ListSessions& request) {
  auto cursor = ParseToken(request.page_token());
  if (!cursor.ok()) return cursor.error();
  int size = PageSize(request.page_size(), kDefaultSessions);
  // One more than the page tells whether another page follows.
  auto rows = history_.ListSessions(couple.id, cursor.value(), /*newest_first=*/true, size + 1);
  if (!rows.ok()) return rows.error();
  bool more = static_cast<int>(rows.value().size()) > size;
  if (more) rows.value().pop_back();
  auto summaries = Summaries(couple, me, rows.value());
  if (!summaries.ok()) return summaries.error();
  v1::SessionPage page;
  for (auto& s : summaries.value()) *page.add_sessions() = std::move(s);
  if (more) page.set_next_page_token(std::to_string(rows.value().back().id));
  return page;
}

Result<v1::CommitmentPage> History::ListCommitments(const CoupleRecord& couple,
                                                    const v1::ListCommitments& request) {
  std::string today = request.today().empty() ? Today() : request.today();
  if (!dates::IsDate(today)) {
    return MakeError(v1::INVALID_ARGUMENT, "today must be a date written YYYY-MM-DD");
  }
  auto offset = ParseToken(request.page_token());
  if (!offset.ok()) return offset.error();
  if (offset.value() > 1000000000) return BadToken();
  int size = PageSize(request.page_size(), kDefaultCommitments);
  auto rows = history_.ListCommitments(couple.id, today, request.open_only(),
                                       static_cast<int>(offset.value()), size + 1);
  if (!rows.ok()) return rows.error();
  auto names = NamesOf(couple);
  if (!names.ok()) return names.error();
  bool more = static_cast<int>(rows.value().size()) > size;
  if (more) rows.value().pop_back();
  v1::CommitmentPage page;
  for (const auto& r : rows.value()) *page.add_commitments() = View(r, couple, names.value());
  if (more) page.set_next_page_token(std::to_string(offset.value() + size));
  return page;
}

void History::RecordFollowThrough(const CoupleRecord& couple, int64_t me,
                                  const v1::RecordFollowThrough& request,
                                  std::function<void(Result<v1::Commitment>)> done) {
  switch (request.status()) {
    case v1::KEPT:
    case v1::NOT_YET:
    case v1::MISSED:
      break;
    default:
      return done(MakeError(v1::INVALID_ARGUMENT, "say how it went: kept, not yet or missed"));
  }
  std::string note(utf8::Trim(request.note()));
  auto length = utf8::CountCodePoints(note);
  if (!length) return done(MakeError(v1::INVALID_ARGUMENT, "the note is not valid UTF-8 text"));
  if (*length > kNoteMax) {
    return done(
        MakeError(v1::TOO_LONG, "keep the note to " + std::to_string(kNoteMax) + " characters"));
  }
  // The names are read now, so that nothing but the commit waits on the writer's thread.
  auto names = NamesOf(couple);
  if (!names.ok()) return done(names.error());
  FollowThroughRecord record{request.status(), note, me, clock_.NowMs()};
  auto stored = std::make_shared<Result<CommitmentRecord>>(MakeError(v1::INTERNAL, "not written"));
  int64_t commitment_id = request.commitment_id();
  writer_.Write(
      [stored, couple_id = couple.id, commitment_id, record, today = Today()](WriteTx& tx) {
        *stored = tx.RecordFollowThrough(couple_id, commitment_id, record, today);
        return stored->status();
      },
      [this, stored, couple, names = std::move(names).value(), done = std::move(done)](Status s) {
        if (!s.ok()) return done(s.error());
        done(View(stored->value(), couple, names));
      });
}

Result<v1::ExportPage> History::Export(const CoupleRecord& couple, int64_t me,
                                       const v1::ExportHistory& request) {
  auto cursor = ParseToken(request.page_token());
  if (!cursor.ok()) return cursor.error();
  auto rows = history_.ListSessions(couple.id, cursor.value(), /*newest_first=*/false, kMaxPage);
  if (!rows.ok()) return rows.error();
  // Whole sessions, until the page holds about kExportEvents events.
  std::vector<SessionRow> taken;
  size_t events = 0;
  for (auto& row : rows.value()) {
    if (!taken.empty() && events + row.last_seq > kExportEvents) break;
    events += row.last_seq;
    taken.push_back(std::move(row));
  }
  bool more =
      taken.size() < rows.value().size() || static_cast<int>(rows.value().size()) == kMaxPage;
  auto summaries = Summaries(couple, me, taken);
  if (!summaries.ok()) return summaries.error();
  v1::ExportPage page;
  for (size_t i = 0; i < taken.size(); ++i) {
    auto* session = page.add_sessions();
    *session->mutable_summary() = std::move(summaries.value()[i]);
    auto log = log_.LoadEvents(taken[i].id, 0);
    if (!log.ok()) return log.error();
    for (auto& e : log.value()) *session->add_events() = std::move(e);
  }
  if (more && !taken.empty()) page.set_next_page_token(std::to_string(taken.back().id));
  return page;
}

}  // namespace mend
