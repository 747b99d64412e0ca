// What ingest stored in PostgreSQL, read back through the event log the
// services follow: the key ("source/event_id") of every stored event in log
// order. Tests check with it that nothing acknowledged was lost and nothing
// stored twice.
//
// Example:
//   std::set<std::string> keys = KeysStoredOnce(pg.conninfo());
#ifndef ORGPULSE_TESTS_SUPPORT_PG_STORED_EVENTS_H_
#define ORGPULSE_TESTS_SUPPORT_PG_STORED_EVENTS_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/ingest/store/pg_event_log.h"

namespace orgpulse::testing {

// In log order; empty (and a test failure) when the log cannot be read.
inline std::vector<std::string> StoredEventKeys(const std::string& conninfo) {
  std::vector<std::string> keys;
  absl::StatusOr<std::unique_ptr<ingest::PgEventLog>> log =
      ingest::PgEventLog::Open(conninfo);
  EXPECT_TRUE(log.ok()) << log.status();
  if (!log.ok()) return keys;
  const absl::StatusOr<int64_t> read =
      (*log)->ReadAfter(0, 1 << 30, [&](int64_t, const ingest::Event& e) {
        keys.push_back(absl::StrCat(e.source, "/", e.event_id));
      });
  EXPECT_TRUE(read.ok()) << read.status();
  return keys;
}

// The stored keys; a key stored twice fails the test.
inline std::set<std::string> KeysStoredOnce(const std::string& conninfo) {
  const std::vector<std::string> keys = StoredEventKeys(conninfo);
  std::set<std::string> once(keys.begin(), keys.end());
  EXPECT_EQ(once.size(), keys.size()) << "a key stored twice";
  return once;
}

}  // namespace orgpulse::testing

#endif  // ORGPULSE_TESTS_SUPPORT_PG_STORED_EVENTS_H_
