#include "services/insights/ingest_client/execution_conversion.h"

#include <cmath>
#include <cstdint>
#include <optional>

namespace orgpulse::insights {
namespace {

namespace v1 = ::orgpulse::ingest::v1;

// Timestamp's documented range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

std::optional<double> Ratio(bool present, double value) {
  if (!present || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<double> Quotient(double numerator, double denominator) {
  if (denominator <= 0) return std::nullopt;
  return Ratio(true, numerator / denominator);
}

absl::Time FromProtoTime(bool present, const google::protobuf::Timestamp& t) {
  if (!present || t.seconds() < kMinTimestampSeconds ||
      t.seconds() > kMaxTimestampSeconds || t.nanos() < 0 ||
      t.nanos() > 999'999'999) {
    return absl::InfinitePast();
  }
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

ExecutionSnapshot ToExecutionSnapshot(const v1::TeamExecution& proto,
                                      absl::Time fetched_at) {
  ExecutionSnapshot out;
  ExecutionInputs& in = out.inputs;

  const v1::TaskFigures& tasks = proto.tasks();
  in.on_time_ratio = Ratio(tasks.has_on_time_ratio(), tasks.on_time_ratio());
  in.open_tasks = tasks.open();
  in.overdue_tasks = tasks.overdue();

  const v1::EarnedValue& budget = proto.budget();
  in.cost_performance_index =
      Ratio(budget.has_cpi(), budget.cost_performance_index());
  in.schedule_performance_index =
      Ratio(budget.has_spi(), budget.schedule_performance_index());

  // Counts are summed as doubles: int64 sums of hostile values could overflow.
  const v1::MilestoneFigures& milestones = proto.milestones();
  in.milestone_hit_ratio =
      Quotient(static_cast<double>(milestones.met()),
               static_cast<double>(milestones.met()) +
                   static_cast<double>(milestones.missed()));

  double checks = 0;
  double passed = 0;
  for (const v1::ProcedureCompliance& p : proto.procedures()) {
    checks += static_cast<double>(p.checks());
    passed += static_cast<double>(p.passed());
  }
  in.procedure_compliance_ratio = Quotient(passed, checks);

  double attainment_sum = 0;
  int with_target = 0;
  for (const v1::KpiFigures& kpi : proto.kpis()) {
    if (!kpi.has_target()) continue;
    attainment_sum += kpi.forecast_attainment_ratio();
    ++with_target;
  }
  if (with_target > 0) {
    in.kpi_forecast_attainment_ratio =
        Ratio(true, attainment_sum / with_target);
  }

  out.as_of = FromProtoTime(proto.has_as_of(), proto.as_of());
  out.fetched_at = fetched_at;
  return out;
}

}  // namespace orgpulse::insights
