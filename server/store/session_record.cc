#include "server/store/session_record.h"

namespace mend {

Status RecordFold(WriteTx& tx, int64_t couple_id, const session::State& after,
                  size_t known_commitments, TimeMs at_ms) {
  for (size_t i = known_commitments; i < after.commitments.size(); ++i) {
    const session::Commitment& c = after.commitments[i];
    CommitmentRecord record;
    record.couple_id = couple_id;
    record.session_id = after.session_id;
    record.seq = c.seq;
    record.owner_side = c.owner;
    record.text = c.text;
    record.check_in_date = c.check_in_date;
    record.made_ms = at_ms;
    if (Status s = tx.InsertCommitment(record); !s.ok()) return s;
  }
  return tx.UpdateSummary(after.session_id, after.topic, static_cast<uint32_t>(after.breaks),
                          after.seq, at_ms);
}

}  // namespace mend
