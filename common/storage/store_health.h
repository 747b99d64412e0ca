// "Does the store take writes now, and tell me when that changes": the part
// of a store's interface (ingest's EventStore, insights' SurveyStore) that
// the servers turn into gRPC health and the orgpulse_store_writable gauge,
// without knowing the backend underneath.
//
// The defaults suit a store that is always writable (a fake in tests); a
// store that can run out of space overrides both.
//
// Example:
//   store.SetWritableObserver([&host](bool w) { host.SetServing(w); });
//   ...
//   store.SetWritableObserver(nullptr);  // before `host` goes away
#ifndef ORGPULSE_COMMON_STORAGE_STORE_HEALTH_H_
#define ORGPULSE_COMMON_STORAGE_STORE_HEALTH_H_

#include <functional>
#include <utility>

namespace orgpulse {

class StoreHealth {
 public:
  virtual ~StoreHealth() = default;

  // False while appends are refused for lack of space (RESOURCE_EXHAUSTED);
  // true again once the store sees room. Thread-safe.
  virtual bool writable() const { return true; }

  // `observer` is called at once with writable(), then with each new value,
  // in order. It may be called on any thread (the appending one, or one of
  // the store's own), so it must be thread-safe and fast, and must not call
  // back into the store. Setting another observer, or nullptr to clear it,
  // waits for a call in progress: once this returns the previous observer is
  // never called again, so clear it before what it refers to goes away.
  // Thread-safe, also against a concurrent change of writable().
  virtual void SetWritableObserver(
      std::function<void(bool writable)> observer) {
    if (observer) observer(true);
  }
};

}  // namespace orgpulse

#endif  // ORGPULSE_COMMON_STORAGE_STORE_HEALTH_H_
