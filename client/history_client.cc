#include "client/history_client.h"

#include <google/protobuf/util/json_util.h>

#include <ctime>

#include "client/reply.h"

namespace mend::client {

Result<v1::SessionPage> ListSessions(Connection& conn, uint32_t page_size,
                                     const std::string& page_token) {
  v1::ClientMessage m;
  m.mutable_list_sessions()->set_page_size(page_size);
  m.mutable_list_sessions()->set_page_token(page_token);
  return Expect<v1::SessionPage>(
      conn.Call(std::move(m)), [](auto& r) { return r.has_session_page(); },
      [](auto& r) { return r.session_page(); });
}

Result<v1::CommitmentPage> ListCommitments(Connection& conn, const v1::ListCommitments& request) {
  v1::ClientMessage m;
  *m.mutable_list_commitments() = request;
  return Expect<v1::CommitmentPage>(
      conn.Call(std::move(m)), [](auto& r) { return r.has_commitment_page(); },
      [](auto& r) { return r.commitment_page(); });
}

Result<v1::Commitment> RecordFollowThrough(Connection& conn, int64_t commitment_id,
                                           v1::FollowThroughStatus status,
                                           const std::string& note) {
  v1::ClientMessage m;
  auto* r = m.mutable_record_follow_through();
  r->set_commitment_id(commitment_id);
  r->set_status(status);
  r->set_note(note);
  return Expect<v1::Commitment>(
      conn.Call(std::move(m)), [](auto& r) { return r.has_commitment(); },
      [](auto& r) { return r.commitment(); });
}

Result<v1::HistoryExport> ExportHistory(Connection& conn) {
  v1::HistoryExport out;
  auto me = conn.WhoAmI();
  if (!me.ok()) return me.error();
  auto couple = conn.GetPartner();
  if (!couple.ok()) return couple.error();
  *out.mutable_you() = me.value();
  *out.mutable_partner() = couple.value().partner();
  std::string token;
  do {
    v1::ClientMessage m;
    m.mutable_export_history()->set_page_token(token);
    auto page = Expect<v1::ExportPage>(
        conn.Call(std::move(m)), [](auto& r) { return r.has_export_page(); },
        [](auto& r) { return r.export_page(); });
    if (!page.ok()) return page.error();
    for (auto& s : *page.value().mutable_sessions()) *out.add_sessions() = std::move(s);
    token = page.value().next_page_token();
  } while (!token.empty());
  out.set_exported_at_unix_ms(static_cast<int64_t>(std::time(nullptr)) * 1000);
  return out;
}

std::string ExportToJson(const v1::HistoryExport& history) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(history, &json, options);
  return json;
}

Result<v1::HistoryExport> ExportFromJson(const std::string& json) {
  v1::HistoryExport out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &out, options);
  if (!status.ok()) {
    return MakeError(v1::INVALID_ARGUMENT, "not a Mend export: " + status.ToString());
  }
  return out;
}

std::string LocalToday() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char out[16];
  std::strftime(out, sizeof out, "%Y-%m-%d", &local);
  return out;
}

}  // namespace mend::client
