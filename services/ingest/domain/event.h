// The manager view's events, as the domain sees them: plain structs with no
// protobuf or gRPC in sight. services/ingest/grpc converts the API's messages
// into these; services/ingest/store encodes them on disk.
#ifndef ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_H_
#define ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_H_

#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"

namespace orgpulse::ingest {

struct TaskCreated {
  std::string task_id;
  absl::Time due_at;
  double estimate_hours = 0;
};
struct TaskStarted {
  std::string task_id;
};
struct TaskCompleted {
  std::string task_id;
};
struct TaskCancelled {
  std::string task_id;
};
struct TaskDueDateChanged {
  std::string task_id;
  absl::Time due_at;
};
struct ProjectBudgetPlan {
  std::string project;
  double budget_at_completion = 0;
  absl::Time planned_start;
  absl::Time planned_end;
};
struct CostActual {
  std::string project;
  double amount = 0;
};
struct ProjectProgress {
  std::string project;
  double percent_complete = 0;
};
struct MilestoneDue {
  std::string project;
  std::string milestone;
  absl::Time due_at;
};
struct MilestoneReached {
  std::string project;
  std::string milestone;
};
struct ProcedureCheck {
  std::string procedure;
  bool passed = false;
};

// Values match orgpulse.ingest.v1.KpiAggregation.
// Conversion keeps unknown wire values as they are; validation rejects them.
enum class KpiAggregation : int { kUnspecified = 0, kSum = 1, kLast = 2 };

struct KpiMonthlyTarget {
  std::string kpi;
  int year = 0;
  int month = 0;
  double target = 0;
  KpiAggregation aggregation = KpiAggregation::kUnspecified;
};
struct KpiActual {
  std::string kpi;
  double value = 0;
};

// The alternatives keep the order of the proto's oneof; the store's encoding
// writes variant indices, so append new kinds at the end only.
// std::monostate stands for "no payload set": conversion from the API is
// total, and validation rejects it (one place decides what is invalid).
using Payload =
    std::variant<std::monostate, TaskCreated, TaskStarted, TaskCompleted,
                 TaskCancelled, TaskDueDateChanged, ProjectBudgetPlan,
                 CostActual, ProjectProgress, MilestoneDue, MilestoneReached,
                 ProcedureCheck, KpiMonthlyTarget, KpiActual>;

// Times left unset in a request are absl::InfinitePast(); malformed ones
// (nanos out of range) absl::InfiniteFuture(). Validation rejects both.
struct Event {
  std::string event_id;
  std::string source;
  std::string team;
  absl::Time occurred_at;
  Payload payload;
};

using EventBatch = std::vector<Event>;

}  // namespace orgpulse::ingest

#endif  // ORGPULSE_SERVICES_INGEST_DOMAIN_EVENT_H_
