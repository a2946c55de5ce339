// Turning a Reply into the payload a call expects.
#ifndef MEND_CLIENT_REPLY_H_
#define MEND_CLIENT_REPLY_H_

#include "common/result.h"
#include "mend/v1/mend.pb.h"

namespace mend::client {

// The payload `get` reads from the reply if `has` says it is there; the server's Error as an
// Error; BAD_MESSAGE for any other answer.
template <typename T, typename Has, typename Get>
Result<T> Expect(const Result<v1::Reply>& reply, Has has, Get get) {
  if (!reply.ok()) return reply.error();
  const v1::Reply& r = reply.value();
  if (r.has_error()) return FromProto(r.error());
  if (!has(r)) return MakeError(v1::BAD_MESSAGE, "the server answered with something unexpected");
  return get(r);
}

}  // namespace mend::client

#endif  // MEND_CLIENT_REPLY_H_
