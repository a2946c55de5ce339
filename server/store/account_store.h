// Reads of accounts, tokens and couples. Writes go through the Writer (writer.h).
//
// Reads never wait for the writer: an engine serves them from connections of their own. Every
// method is thread-safe.
#ifndef MEND_SERVER_STORE_ACCOUNT_STORE_H_
#define MEND_SERVER_STORE_ACCOUNT_STORE_H_

#include <string>

#include "common/result.h"
#include "server/store/records.h"

namespace mend {

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  // UNKNOWN_ACCOUNT if there is none. REQUIRES: `login` normalized.
  virtual Result<AccountRecord> FindAccountByLogin(const std::string& login) = 0;
  virtual Result<AccountRecord> FindAccountById(int64_t id) = 0;
  // The token with this digest if it is live at `now`; UNAUTHENTICATED if unknown, revoked or
  // expired. Tokens are stored as digests only.
  virtual Result<TokenRecord> FindToken(const std::string& digest, TimeMs now) = 0;
  // NOT_IN_COUPLE if the account has no partner.
  virtual Result<CoupleRecord> FindCoupleOf(int64_t account_id) = 0;
};

}  // namespace mend

#endif  // MEND_SERVER_STORE_ACCOUNT_STORE_H_
