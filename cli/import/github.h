// Ingest events from GitHub issues as JSON: the array that
// `gh issue list --state all --json number,state,stateReason,createdAt,
// closedAt,labels,milestone,url` prints, or the REST API's
// (GET /repos/{owner}/{repo}/issues?state=all, whose pages
// `gh api --paginate` writes one after the other). Items may also be one
// object per line (`--jq '.[]'`). docs/cli.md has the mapping.
//
// Each issue gives:
//   task_created   (id OWNER/REPO#N:created) at its creation, due at the end
//                  of its milestone's due day;
//   task_completed (…:completed) at its closing, when it was closed as
//                  completed (or before GitHub kept a reason), or
//                  task_cancelled (…:cancelled) when closed as not planned
//                  or as a duplicate.
// Pull requests (the REST API lists them among the issues) are skipped, as
// are issues without a milestone due date unless a default due period is
// given. The team is the value of a label `team:NAME` (the prefix is an
// option), else the option's team, else the repository's name.
//
// Example:
//   GithubOptions options;
//   options.teams = &teams;
//   GithubIssueReader issues(in, options);
//   while (issues.Next(row, events)) ...  // row.line is the item's number
#ifndef ORGPULSE_CLI_IMPORT_GITHUB_H_
#define ORGPULSE_CLI_IMPORT_GITHUB_H_

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/import/row_reader.h"
#include "cli/import/team_names.h"
#include "google/protobuf/struct.pb.h"
#include "orgpulse/ingest/v1/ingest.pb.h"

namespace orgpulse::cli {

struct GithubOptions {
  std::string source = "github";
  // The run's team names. REQUIRES: not null; outlives the reader.
  TeamNames* teams = nullptr;
  // A label that starts with this (ignoring case) names the issue's team.
  std::string team_label_prefix = "team:";
  // The team of issues without such a label; empty: the repository's name.
  std::string team;
  // Issues without a milestone due date are due this many days after
  // creation; 0: they are skipped.
  int default_due_days = 0;
  // The zone whose end of day a milestone's due date means.
  absl::TimeZone zone = absl::UTCTimeZone();
};

// Maps one issue object (of gh or of the REST API) to its events, or sets
// row.error (naming the issue, its line and the field) or row.skipped.
// `line` is where the item starts in the file.
void MapGithubIssue(const google::protobuf::Struct& issue, int64_t line,
                    const GithubOptions& options, Row& row,
                    Items<ingest::v1::Event>& out);

// Splits JSON text into the items of its top-level arrays (several arrays
// one after the other are fine) or its top-level objects, without parsing
// them; tracks lines.
class JsonItemSplitter {
 public:
  // A larger item stops the splitter: most likely not an issue list.
  static constexpr size_t kMaxItemBytes = 16 << 20;

  explicit JsonItemSplitter(std::istream& in) : in_(in) {}

  // The next item's text and the line it starts on; false at the end or
  // on an error (status()).
  bool Next(std::string& text, int64_t& line);
  const absl::Status& status() const { return status_; }
  int64_t bytes_consumed() const { return consumed_; }

 private:
  // The next byte, or -1 at the end of the input.
  int Get();
  int Peek();
  bool Fail(absl::string_view why);
  // Appends the rest of the value that starts with `first` to `text`.
  bool ReadValue(char first, std::string& text);

  std::istream& in_;
  std::string buffer_;
  size_t pos_ = 0;
  int64_t consumed_ = 0;
  int64_t line_ = 1;
  bool in_array_ = false;
  // In an array: an item may come next (after `[` or `,`), and a `,`
  // came last.
  bool expect_item_ = false;
  bool after_comma_ = false;
  int64_t items_ = 0;
  absl::Status status_;
};

class GithubIssueReader final : public RowReader<ingest::v1::Event> {
 public:
  GithubIssueReader(std::istream& in, GithubOptions options)
      : splitter_(in), options_(std::move(options)) {}

  // row.line is the item's number (1-based) in the file.
  bool Next(Row& row, Items<ingest::v1::Event>& out) override;
  absl::Status status() const override { return splitter_.status(); }
  int64_t bytes_consumed() const override { return splitter_.bytes_consumed(); }

 private:
  JsonItemSplitter splitter_;
  const GithubOptions options_;
  int64_t items_ = 0;
  std::string text_;
  google::protobuf::Struct issue_;
};

}  // namespace orgpulse::cli

#endif  // ORGPULSE_CLI_IMPORT_GITHUB_H_
