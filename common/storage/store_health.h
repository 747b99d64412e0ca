// What a server needs to know of its store's health, whatever the backend:
// does it take writes now, and tell me when that changes. The server reports
// NOT_SERVING (and orgpulse_store_writable 0) while it does not, e.g. while
// the disk is full.
#ifndef ORGPULSE_COMMON_STORAGE_STORE_HEALTH_H_
#define ORGPULSE_COMMON_STORAGE_STORE_HEALTH_H_

#include <functional>

namespace orgpulse {

class StoreHealth {
 public:
  virtual ~StoreHealth() = default;

  // True while appends can succeed. Thread-safe.
  virtual bool writable() const { return true; }

  // `observer` is called with the new value each time writable() changes, on
  // the thread that noticed (the committer's). Replacing it (or clearing it
  // with nullptr) waits for a call in progress to return, so the old
  // observer may be destroyed afterwards. Thread-safe.
  virtual void SetWritableObserver(std::function<void(bool)> observer) {}
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_STORE_HEALTH_H_
