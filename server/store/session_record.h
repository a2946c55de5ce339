// What a commit stores beside a session's events: the summary history lists, and the commitments
// the events made. The live session, the opening of a session and the schema migration that
// filled these for older databases all record them the same way.
#ifndef MEND_SERVER_SESSION_RECORD_H_
#define MEND_SERVER_SESSION_RECORD_H_

#include "common/session/rules.h"
#include "server/store/writer.h"

namespace mend {

// Records the summary of `after` and its commitments from index `known_commitments` on, made at
// `at_ms` (the time of the last event folded into `after`).
Status RecordFold(WriteTx& tx, int64_t couple_id, const session::State& after,
                  size_t known_commitments, TimeMs at_ms);

}  // namespace mend

#endif  // MEND_SERVER_SESSION_RECORD_H_
