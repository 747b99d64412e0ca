#include "cli/app/push.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/app/bounded_queue.h"
#include "cli/app/command.h"
#include "cli/app/connection.h"
#include "cli/app/progress_reporter.h"
#include "cli/app/push_settings.h"
#include "cli/import/batch_validation.h"
#include "cli/import/batcher.h"
#include "cli/import/generic_events.h"
#include "cli/import/github.h"
#include "cli/import/jira.h"
#include "cli/import/linear.h"
#include "cli/import/row_reader.h"
#include "cli/import/survey.h"
#include "cli/import/text_check.h"
#include "cli/output/table.h"
#include "cli/output/views.h"
#include "clients/ingest_client.h"
#include "clients/insights_client.h"
#include "common/status/field_violations.h"
#include "google/protobuf/struct.pb.h"

namespace orgpulse::cli {
namespace {

namespace iv1 = ingest::v1;
namespace sv1 = insights::v1;

// Size and modification time: a file that changes between the check and the
// push is not pushed.
struct Fingerprint {
  uintmax_t size = 0;
  std::filesystem::file_time_type mtime;
  bool operator==(const Fingerprint&) const = default;
};

std::optional<Fingerprint> FingerprintOf(const std::string& path) {
  std::error_code ec;
  Fingerprint f;
  f.size = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  f.mtime = std::filesystem::last_write_time(path, ec);
  if (ec) return std::nullopt;
  return f;
}

template <typename Item>
using OpenRows =
    std::function<std::unique_ptr<RowReader<Item>>(std::istream& in)>;

struct FileResult {
  std::string file;
  Format format = Format::kEventsCsv;
  ImportCounts counts;
  int64_t accepted = 0;
  int64_t duplicates = 0;
  std::string outcome;
  int exit = kExitOk;
};

// Where a row of a file is: FILE:LINE, or FILE: item N for the items of a
// JSON array (a compact array is one line).
std::string Where(const FileResult& result, int64_t row) {
  if (result.format == Format::kGithub) {
    return absl::StrCat(result.file, ": item ", row);
  }
  return absl::StrCat(result.file, ":", row);
}

// The batches a check found good, serialized, with the line of each item:
// what the push sends, unless the file was too large to keep
// (Settings::memory_bytes).
struct CheckedBatches {
  bool complete = true;
  size_t bytes = 0;
  std::vector<std::string> batches;
  std::vector<std::vector<int64_t>> lines;

  void Add(const google::protobuf::Message& batch, std::vector<int64_t> items,
           size_t limit) {
    if (!complete) return;
    bytes += batch.ByteSizeLong();
    if (bytes > limit) {
      complete = false;
      batches = {};
      lines = {};
      return;
    }
    batches.push_back(batch.SerializeAsString());
    lines.push_back(std::move(items));
  }
};

// The batches a push sends, in order, with the line of each item.
template <typename Request>
class Feed {
 public:
  virtual ~Feed() = default;
  virtual bool Next(Request& batch) = 0;
  // The lines of the items of batch number `batch` (0-based) once it was
  // fed; null otherwise. Not thread-safe with Next.
  virtual const std::vector<int64_t>* LinesOf(int64_t batch) const = 0;
  // Not OK if the file could not be read to its end.
  virtual absl::Status status() const { return absl::OkStatus(); }
};

// The batches kept by the check.
template <typename Request>
class CheckedFeed final : public Feed<Request> {
 public:
  explicit CheckedFeed(CheckedBatches checked) : checked_(std::move(checked)) {}
  bool Next(Request& batch) override {
    if (next_ >= checked_.batches.size()) return false;
    // Parsed, not re-mapped: a fraction of the cost of the CSV and the
    // mapping, and exactly what was checked.
    const bool parsed = batch.ParseFromString(checked_.batches[next_]);
    checked_.batches[next_++] = {};
    return parsed;
  }
  const std::vector<int64_t>* LinesOf(int64_t batch) const override {
    if (batch < 0 || static_cast<size_t>(batch) >= next_) return nullptr;
    return &checked_.lines[batch];
  }

 private:
  CheckedBatches checked_;
  size_t next_ = 0;
};

// The file read (and mapped) again.
template <typename Request, typename Item>
class FileFeed final : public Feed<Request> {
 public:
  explicit FileFeed(const std::string& path) : in_(path, std::ios::binary) {}
  std::ifstream& in() { return in_; }
  void Start(std::unique_ptr<RowReader<Item>> rows, size_t batch_size,
             BatchValidator<Request> validate) {
    rows_ = std::move(rows);
    batcher_.emplace(*rows_, batch_size, std::move(validate), nullptr);
  }
  bool Next(Request& batch) override {
    std::vector<int64_t> lines;
    if (!batcher_->Next(batch, lines)) return false;
    lines_.push_back(std::move(lines));
    return true;
  }
  const std::vector<int64_t>* LinesOf(int64_t batch) const override {
    if (batch < 0 || static_cast<size_t>(batch) >= lines_.size())
      return nullptr;
    return &lines_[batch];
  }
  absl::Status status() const override { return batcher_->status(); }

 private:
  std::ifstream in_;
  std::unique_ptr<RowReader<Item>> rows_;
  std::optional<Batcher<Request, Item>> batcher_;
  std::vector<std::vector<int64_t>> lines_;
};

// The state of one `orgpulse push` run.
class PushRun {
 public:
  PushRun(const ParsedArgs& args, Settings settings, const CliContext& context)
      : args_(args),
        settings_(std::move(settings)),
        context_(context),
        progress_(*context.err, context.err_is_terminal,
                  !args.Flag("no-progress"), *context.clock) {}

  // Returns false to stop (the service cannot be reached or refuses).
  bool File(const std::string& path, FileResult& result) {
    result.file = path;
    absl::StatusOr<Format> format = FormatOf(settings_, path);
    if (!format.ok())
      return Done(result, kExitUsage, format.status().message());
    result.format = *format;
    switch (*format) {
      case Format::kEventsCsv:
        return Import<iv1::PushRequest, iv1::Event>(
            result,
            [&](std::istream& in) {
              GenericEventOptions options = settings_.generic;
              options.times.date_order = date_order_;
              return std::make_unique<CsvRowReader<iv1::Event>>(
                  in, std::make_unique<GenericEventMapper>(std::move(options)),
                  /*learn_date_order=*/true);
            },
            "events");
      case Format::kEventsJsonl:
        return Import<iv1::PushRequest, iv1::Event>(
            result,
            [&](std::istream& in) {
              return std::make_unique<JsonLinesReader<iv1::Event>>(
                  in, "an event", [this](iv1::Event& e, Row& row) {
                    CompleteJsonEvent(settings_.generic, e, row);
                  });
            },
            "events");
      case Format::kJira:
        return Import<iv1::PushRequest, iv1::Event>(
            result,
            [&](std::istream& in) {
              JiraOptions options = settings_.jira;
              options.times.date_order = date_order_;
              return std::make_unique<CsvRowReader<iv1::Event>>(
                  in, std::make_unique<JiraMapper>(std::move(options)),
                  /*learn_date_order=*/true);
            },
            "events");
      case Format::kGithub:
        return Import<iv1::PushRequest, iv1::Event>(
            result,
            [&](std::istream& in) {
              return std::make_unique<GithubIssueReader>(in, settings_.github);
            },
            "events");
      case Format::kLinear:
        return Import<iv1::PushRequest, iv1::Event>(
            result,
            [&](std::istream& in) {
              LinearOptions options = settings_.linear;
              options.times.date_order = date_order_;
              return std::make_unique<CsvRowReader<iv1::Event>>(
                  in, std::make_unique<LinearMapper>(std::move(options)),
                  /*learn_date_order=*/true);
            },
            "events");
      case Format::kSurvey:
      case Format::kSurveyMonkey:
        return Import<sv1::SubmitSurveyResponsesRequest, sv1::SurveyResponse>(
            result,
            [&](std::istream& in) {
              SurveyOptions options = *settings_.survey;
              options.surveymonkey_header =
                  result.format == Format::kSurveyMonkey;
              options.times.date_order = date_order_;
              return std::make_unique<CsvRowReader<sv1::SurveyResponse>>(
                  in, *SurveyMapper::Create(std::move(options)),
                  /*learn_date_order=*/true);
            },
            "responses");
      case Format::kResponsesJsonl:
        return Import<sv1::SubmitSurveyResponsesRequest, sv1::SurveyResponse>(
            result,
            [&](std::istream& in) {
              return std::make_unique<JsonLinesReader<sv1::SurveyResponse>>(
                  in, "a survey response",
                  [](sv1::SurveyResponse& r, Row& row) {
                    if (r.response_id().empty()) {
                      row.error = "response_id is missing";
                    }
                  });
            },
            "responses");
    }
    return true;
  }

 private:
  // Records the outcome of a file; false if the run should stop.
  bool Done(FileResult& result, int exit, absl::string_view message) {
    result.exit = exit;
    result.outcome = std::string(message);
    if (exit != kExitOk) {
      progress_.Message(absl::StrCat("orgpulse: ", result.file, ": ", message));
    }
    return exit != kExitServer;
  }

  // Pass 1: reads and checks every row, listing the bad ones. Returns the
  // exit code so far (kExitOk if the file may be pushed).
  template <typename Request, typename Item>
  int Check(FileResult& result, const OpenRows<Item>& open,
            CheckedBatches& checked) {
    std::ifstream in(result.file, std::ios::binary);
    if (!in) {
      Done(result, kExitInvalidInput,
           absl::StrCat("cannot open: ", std::strerror(errno)));
      return kExitInvalidInput;
    }
    if (const absl::Status text = CheckIsText(in); !text.ok()) {
      Done(result, kExitInvalidInput, text.message());
      return kExitInvalidInput;
    }
    // Numeric dates (03/04/2026) are read in the order the file's other
    // rows show, learnt while it is read (CsvRowReader); a second read for
    // the push starts with that order.
    date_order_ = DateOrder::kUnknown;
    const std::optional<Fingerprint> size = FingerprintOf(result.file);
    std::unique_ptr<RowReader<Item>> rows = open(in);
    RowBatcher<Request, Item> batcher(*rows, settings_.batch_size);
    progress_.Start(result.file, "checking", "KB",
                    size ? static_cast<int64_t>(size->size / 1024) : 0);
    // Reading and mapping on one thread, validating on this one: the two
    // halves of the work take about as long, and the service is idle while
    // a file is checked.
    // Each batch on an arena of its own: far fewer allocations per event.
    struct Read {
      google::protobuf::Arena arena{BatchArenaOptions()};
      Request* batch = google::protobuf::Arena::CreateMessage<Request>(&arena);
      std::vector<int64_t> lines;
      std::vector<BadRow> bad;
    };
    BoundedQueue<std::unique_ptr<Read>> queue(4);
    std::atomic<int64_t> bytes{0};
    std::atomic<int64_t> rows_read{0};
    std::thread reader([&] {
      auto read = std::make_unique<Read>();
      while (batcher.Next(*read->batch, read->lines, read->bad)) {
        bytes = batcher.bytes_consumed();
        rows_read = batcher.counts().rows;
        if (!queue.Push(std::move(read))) break;
        read = std::make_unique<Read>();
      }
      queue.Close();
    });
    // A dry run keeps nothing.
    const size_t keep = settings_.dry_run ? 0 : settings_.memory_bytes;
    int64_t dropped_items = 0;
    int64_t invalid_rows = 0;
    while (std::optional<std::unique_ptr<Read>> popped = queue.Pop()) {
      Read* read = popped->get();
      const size_t mapped = read->lines.size();
      std::vector<BadRow> invalid =
          DropInvalidRows(*read->batch, read->lines,
                          ValidateBatch(*read->batch, settings_.now));
      invalid_rows += static_cast<int64_t>(invalid.size());
      dropped_items += static_cast<int64_t>(mapped - read->lines.size());
      read->bad.insert(read->bad.end(), invalid.begin(), invalid.end());
      ReportNewTeams(result);
      std::sort(
          read->bad.begin(), read->bad.end(),
          [](const BadRow& a, const BadRow& b) { return a.line < b.line; });
      for (const BadRow& b : read->bad) {
        progress_.Message(absl::StrCat(Where(result, b.line), ": ", b.reason));
      }
      if (!read->lines.empty()) checked.Add(*read->batch, read->lines, keep);
      progress_.Update(bytes / 1024, rows_read);
    }
    reader.join();
    date_order_ = rows->date_order();
    ReportNewTeams(result);
    progress_.Finish();
    result.counts = batcher.counts();
    result.counts.items -= dropped_items;
    result.counts.bad_rows += invalid_rows;
    if (!batcher.status().ok()) {
      Done(result, kExitInvalidInput, batcher.status().message());
      return kExitInvalidInput;
    }
    const ImportCounts& c = result.counts;
    if (c.bad_rows > 0 && !settings_.skip_bad_rows) {
      Done(
          result, kExitInvalidInput,
          absl::StrCat(WithThousands(c.bad_rows), " of ", WithThousands(c.rows),
                       " rows rejected; nothing pushed (fix them, or push the "
                       "other rows with --skip-bad-rows)"));
      return kExitInvalidInput;
    }
    return kExitOk;
  }

  // What the push sends: the checked batches if they were kept, else the
  // file read again (if it has not changed since the check). Null after
  // reporting why the file cannot be read again.
  template <typename Request, typename Item>
  std::unique_ptr<Feed<Request>> MakeFeed(
      FileResult& result, const OpenRows<Item>& open,
      const std::optional<Fingerprint>& before, CheckedBatches& checked) {
    if (checked.complete) {
      return std::make_unique<CheckedFeed<Request>>(std::move(checked));
    }
    if (!before || FingerprintOf(result.file) != before) {
      Done(result, kExitInvalidInput, "the file changed while it was imported");
      return nullptr;
    }
    auto feed = std::make_unique<FileFeed<Request, Item>>(result.file);
    if (!feed->in()) {
      Done(result, kExitInvalidInput,
           absl::StrCat("cannot open: ", std::strerror(errno)));
      return nullptr;
    }
    // With --skip-bad-rows the bad rows are dropped again (the check listed
    // them); otherwise the check found none.
    feed->Start(
        open(feed->in()), settings_.batch_size,
        settings_.skip_bad_rows
            ? BatchValidator<Request>([now = settings_.now](const Request& b) {
                return ValidateBatch(b, now);
              })
            : nullptr);
    return feed;
  }

  // Names the team ids given to team names since the last call (once per
  // name for the run: a name in a collision is then reported as a bad row).
  void ReportNewTeams(const FileResult& result) {
    if (!settings_.teams) return;
    for (const auto& [name, id] : settings_.teams->TakeNew()) {
      progress_.Message(
          absl::StrCat(result.file, ": team \"", name, "\" is ", id));
    }
  }

  // The summary of a checked (and maybe pushed) file.
  std::string Summary(const FileResult& r, const char* unit, bool pushed,
                      absl::Duration took) {
    const ImportCounts& c = r.counts;
    std::string out =
        absl::StrCat(r.file, ": ", WithThousands(c.rows), " rows, ",
                     WithThousands(c.items), " ", unit);
    if (pushed) {
      absl::StrAppend(&out, ": ", WithThousands(r.accepted), " accepted, ",
                      WithThousands(r.duplicates), " duplicates, ",
                      WithThousands(c.bad_rows), " rejected");
      const double seconds = absl::ToDoubleSeconds(took);
      if (seconds > 0) {
        absl::StrAppend(&out, " (", HumanDuration(took), ", ",
                        WithThousands(static_cast<int64_t>(c.items / seconds)),
                        " ", unit, "/s)");
      }
    } else {
      absl::StrAppend(&out, ", ", WithThousands(c.bad_rows),
                      " rejected: checked (dry run, nothing pushed)");
    }
    for (const auto& [why, n] : c.skipped) {
      absl::StrAppend(&out, "\n  skipped ", WithThousands(n), " rows: ", why);
    }
    return out;
  }

  // Names the rows of a batch the service refused.
  void ReportRefused(const FileResult& result, const absl::Status& status,
                     const std::vector<int64_t>& lines, const char* service) {
    for (const FieldViolation& v : GetFieldViolations(status)) {
      const auto item = SplitItemField(v.field);
      const int64_t line =
          item && item->first >= 0 &&
                  static_cast<size_t>(item->first) < lines.size()
              ? lines[item->first]
              : 0;
      progress_.Message(absl::StrCat(
          Where(result, line), ": ", item ? item->second : v.field, " ",
          v.description, " (refused by the ", service, " service)"));
    }
  }

  // Checks a file, then (unless it is a dry run or has bad rows) sends it.
  // False to stop the run.
  template <typename Request, typename Item>
  bool Import(FileResult& result, const OpenRows<Item>& open,
              const char* unit) {
    const absl::Time start = context_.clock->Now();
    const std::optional<Fingerprint> before = FingerprintOf(result.file);
    CheckedBatches checked;
    if (Check<Request, Item>(result, open, checked) != kExitOk) return true;
    if (!settings_.dry_run) {
      std::unique_ptr<Feed<Request>> feed =
          MakeFeed<Request, Item>(result, open, before, checked);
      if (!feed) return true;
      if (!Send(result, *feed))
        return result.exit != kExitServer && result.exit != kExitUsage;
      if (!feed->status().ok()) {
        return Done(result, kExitInvalidInput, feed->status().message());
      }
    }
    result.outcome = settings_.dry_run ? "checked" : "pushed";
    result.exit = result.counts.bad_rows > 0 ? kExitInvalidInput : kExitOk;
    const std::string summary = Summary(result, unit, !settings_.dry_run,
                                        context_.clock->Now() - start);
    // With --json stdout is the JSON summary alone, for jq and scripts.
    if (args_.Flag("json")) {
      progress_.Message(summary);
    } else {
      *context_.out << summary << "\n";
    }
    return true;
  }

  // The client of `service`, connected on first use; null after reporting
  // a configuration error.
  template <typename Client>
  Client* Connected(std::unique_ptr<Client>& client, Service service,
                    std::string& address, FileResult& result) {
    if (client) return client.get();
    absl::StatusOr<ClientOptions> options =
        ClientOptionsFromFlags(args_, service);
    if (options.ok()) AnnounceRetries(service, *context_.err, *options);
    absl::StatusOr<std::unique_ptr<Client>> connected =
        options.ok()
            ? Client::Connect(*options)
            : absl::StatusOr<std::unique_ptr<Client>>(options.status());
    if (!connected.ok()) {
      Done(result, kExitUsage, connected.status().message());
      return nullptr;
    }
    address = options->address;
    client = *std::move(connected);
    return client.get();
  }

  // Pushes the events of a feed; false (after reporting) if the service
  // could not be reached or refused them.
  bool Send(FileResult& result, Feed<iv1::PushRequest>& feed) {
    IngestClient* client =
        Connected(ingest_, Service::kIngest, ingest_address_, result);
    if (client == nullptr) return false;
    FeedSource source(feed);
    progress_.Start(result.file, "pushing", "events", result.counts.items);
    PushStreamOptions options;
    options.streams = settings_.streams;
    options.max_in_flight = settings_.in_flight;
    options.on_progress = [this](const PushStats& s) {
      progress_.Update(s.events);
    };
    const PushOutcome pushed = client->PushStream(source, options);
    progress_.Finish();
    result.accepted = pushed.acknowledged.accepted;
    result.duplicates = pushed.acknowledged.duplicates;
    if (pushed.status.ok()) return true;
    if (const std::vector<int64_t>* lines = feed.LinesOf(pushed.failed_batch)) {
      ReportRefused(result, pushed.status, *lines, "ingest");
    }
    Done(result, ExitCodeForServerStatus(pushed.status),
         absl::StrCat(
             DescribeServerError(Service::kIngest, ingest_address_,
                                 pushed.status),
             "; ", WithThousands(pushed.acknowledged.events), " of ",
             WithThousands(result.counts.items),
             " events were stored before (pushing the file again is safe)"));
    return false;
  }

  // Submits the responses of a feed (survey exports are small: gathered,
  // then sent in the client's batches).
  bool Send(FileResult& result, Feed<sv1::SubmitSurveyResponsesRequest>& feed) {
    InsightsClient* client =
        Connected(insights_, Service::kInsights, insights_address_, result);
    if (client == nullptr) return false;
    std::vector<sv1::SurveyResponse> responses;
    std::vector<int64_t> lines;
    sv1::SubmitSurveyResponsesRequest batch;
    for (int64_t i = 0; feed.Next(batch); ++i) {
      for (sv1::SurveyResponse& r : *batch.mutable_responses()) {
        responses.push_back(std::move(r));
      }
      lines.insert(lines.end(), feed.LinesOf(i)->begin(),
                   feed.LinesOf(i)->end());
    }
    const SubmitOutcome sent = client->Submit(responses);
    result.accepted = sent.acknowledged.accepted;
    result.duplicates = sent.acknowledged.duplicates;
    if (sent.status.ok()) return true;
    if (sent.failed_batch >= 0) {
      const size_t first =
          std::min(lines.size(), static_cast<size_t>(sent.failed_batch) *
                                     InsightsClient::kMaxResponsesPerRequest);
      const size_t last = std::min(
          lines.size(), first + InsightsClient::kMaxResponsesPerRequest);
      ReportRefused(
          result, sent.status,
          std::vector<int64_t>(lines.begin() + first, lines.begin() + last),
          "insights");
    }
    Done(result, ExitCodeForServerStatus(sent.status),
         absl::StrCat(DescribeServerError(Service::kInsights, insights_address_,
                                          sent.status),
                      "; ", WithThousands(sent.acknowledged.responses), " of ",
                      WithThousands(responses.size()),
                      " responses were stored before (pushing the file again "
                      "is safe)"));
    return false;
  }

  // IngestClient::PushStream's view of a feed.
  class FeedSource final : public PushBatchSource {
   public:
    explicit FeedSource(Feed<iv1::PushRequest>& feed) : feed_(feed) {}
    bool Next(iv1::PushRequest& batch) override { return feed_.Next(batch); }

   private:
    Feed<iv1::PushRequest>& feed_;
  };

  const ParsedArgs& args_;
  const Settings settings_;
  const CliContext& context_;
  ProgressReporter progress_;
  // The order of numeric dates in the file being imported.
  DateOrder date_order_ = DateOrder::kUnknown;
  std::unique_ptr<IngestClient> ingest_;
  std::string ingest_address_;
  std::unique_ptr<InsightsClient> insights_;
  std::string insights_address_;
};

std::string JsonSummary(const std::vector<FileResult>& results) {
  google::protobuf::Struct summary;
  auto& files = *(*summary.mutable_fields())["files"].mutable_list_value();
  for (const FileResult& r : results) {
    google::protobuf::Struct file;
    auto& f = *file.mutable_fields();
    f["file"].set_string_value(r.file);
    f["format"].set_string_value(FormatName(r.format));
    f["rows"].set_number_value(static_cast<double>(r.counts.rows));
    f["items"].set_number_value(static_cast<double>(r.counts.items));
    f["accepted"].set_number_value(static_cast<double>(r.accepted));
    f["duplicates"].set_number_value(static_cast<double>(r.duplicates));
    f["rejected"].set_number_value(static_cast<double>(r.counts.bad_rows));
    auto& skipped = *f["skipped"].mutable_struct_value()->mutable_fields();
    for (const auto& [why, n] : r.counts.skipped) {
      skipped[why].set_number_value(static_cast<double>(n));
    }
    f["outcome"].set_string_value(r.outcome);
    f["exit_code"].set_number_value(r.exit);
    *files.add_values()->mutable_struct_value() = std::move(file);
  }
  return ToJson(summary);
}

// The code of the most telling failure: usage, then service, then input.
int Worst(int a, int b) {
  for (int code : {kExitUsage, kExitServer, kExitInvalidInput, kExitFailure}) {
    if (a == code || b == code) return code;
  }
  return kExitOk;
}

}  // namespace

int RunPush(const std::vector<std::string>& args, const CliContext& context) {
  const CommandSpec& command = PushCommand();
  ParsedArgs parsed;
  if (std::optional<int> done = ParseCommand(command, args, context, parsed)) {
    return *done;
  }
  if (parsed.positionals().empty()) {
    return UsageError(command, context, "no file to push");
  }
  absl::StatusOr<Settings> settings =
      SettingsFromFlags(parsed, context.clock->Now());
  if (!settings.ok())
    return UsageError(command, context, settings.status().message());
  PushRun run(parsed, *std::move(settings), context);
  std::vector<FileResult> results;
  int exit = kExitOk;
  for (const std::string& path : parsed.positionals()) {
    FileResult& result = results.emplace_back();
    const bool go_on = run.File(path, result);
    exit = Worst(exit, result.exit);
    if (!go_on) break;
  }
  if (parsed.Flag("json")) *context.out << JsonSummary(results);
  return exit;
}

}  // namespace orgpulse::cli
