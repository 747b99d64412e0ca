#include "cli/import/github.h"

#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/import/task_events.h"
#include "cli/import/values.h"
#include "common/proto/time_conversion.h"
#include "google/protobuf/util/json_util.h"

namespace orgpulse::cli {
namespace {

namespace v1 = ingest::v1;
using google::protobuf::Struct;
using google::protobuf::Value;

// The field names of the two shapes: gh's (GraphQL, camelCase) and the
// REST API's (snake_case).
struct Keys {
  const char* created;
  const char* closed;
  const char* state_reason;
  const char* url;
  const char* due;
};
constexpr Keys kGh = {"createdAt", "closedAt", "stateReason", "url", "dueOn"};
constexpr Keys kRest = {"created_at", "closed_at", "state_reason", "html_url",
                        "due_on"};

// The field, unless it is missing or null.
const Value* Field(const Struct& s, absl::string_view key) {
  const auto it = s.fields().find(std::string(key));
  if (it == s.fields().end() || it->second.has_null_value()) return nullptr;
  return &it->second;
}

// "OWNER/REPO" from an issue's web address
// (https://github.com/OWNER/REPO/issues/12, or a GitHub Enterprise host's).
std::string RepositoryOf(absl::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == absl::string_view::npos) return "";
  const std::vector<absl::string_view> parts =
      absl::StrSplit(url.substr(scheme + 3), '/', absl::SkipEmpty());
  for (size_t i = 3; i < parts.size(); ++i) {
    if (parts[i] == "issues" || parts[i] == "pull") {
      return absl::StrCat(parts[i - 2], "/", parts[i - 1]);
    }
  }
  return "";
}

// The issue's team name: the value of its team label, else the option's
// team, else the repository's name.
std::string TeamName(const Struct& issue, const GithubOptions& options,
                     absl::string_view repository,
                     std::vector<std::string>& problems) {
  std::string team_name;
  const Value* labels = Field(issue, "labels");
  if (labels != nullptr && !labels->has_list_value()) {
    problems.push_back("labels: not a list");
  } else if (labels != nullptr) {
    for (const Value& label : labels->list_value().values()) {
      // REST labels may be names alone.
      std::string name;
      if (label.has_string_value()) {
        name = label.string_value();
      } else if (const Value* n = label.has_struct_value()
                                      ? Field(label.struct_value(), "name")
                                      : nullptr;
                 n != nullptr && n->has_string_value()) {
        name = n->string_value();
      }
      if (options.team_label_prefix.empty() ||
          !absl::StartsWithIgnoreCase(name, options.team_label_prefix)) {
        continue;
      }
      const std::string value(absl::StripAsciiWhitespace(
          absl::string_view(name).substr(options.team_label_prefix.size())));
      if (!team_name.empty() && NameKey(team_name) != NameKey(value)) {
        problems.push_back(absl::StrCat("labels: two teams, \"",
                                        Excerpt(team_name), "\" and \"",
                                        Excerpt(value), "\""));
      }
      team_name = value;
    }
  }
  if (!team_name.empty()) return team_name;
  if (!options.team.empty()) return options.team;
  return std::string(repository.substr(repository.find('/') + 1));
}

// The end of the issue's milestone's due day in `zone`, if it has one.
std::optional<absl::Time> MilestoneDue(const Struct& issue, const Keys& keys,
                                       const absl::TimeZone& zone,
                                       std::vector<std::string>& problems) {
  const Value* milestone = Field(issue, "milestone");
  if (milestone == nullptr) return std::nullopt;
  if (!milestone->has_struct_value()) {
    problems.push_back("milestone: not an object");
    return std::nullopt;
  }
  const Value* on = Field(milestone->struct_value(), keys.due);
  if (on == nullptr) return std::nullopt;
  absl::StatusOr<ParsedTime> t =
      on->has_string_value()
          ? ParseTime(on->string_value(), absl::UTCTimeZone())
          : absl::InvalidArgumentError("not a string");
  if (!t.ok()) {
    problems.push_back(
        absl::StrCat("milestone.", keys.due, ": ", t.status().message()));
    return std::nullopt;
  }
  // GitHub keeps a milestone's due date as a day and writes it as a time of
  // that day (07:00 or 08:00 UTC): the day is what counts.
  const absl::CivilDay day = absl::ToCivilDay(t->time, absl::UTCTimeZone());
  return absl::FromCivil(day + 1, zone) - absl::Seconds(1);
}

}  // namespace

void MapGithubIssue(const Struct& issue, int64_t line,
                    const GithubOptions& options, Row& row,
                    Items<v1::Event>& out) {
  const Keys& keys = issue.fields().contains("created_at") ||
                             issue.fields().contains("html_url") ||
                             issue.fields().contains("repository_url")
                         ? kRest
                         : kGh;
  std::vector<std::string> problems;
  auto text = [&](const char* key) -> std::string {
    const Value* v = Field(issue, key);
    if (v == nullptr) return "";
    if (!v->has_string_value()) {
      problems.push_back(absl::StrCat(key, ": not a string"));
      return "";
    }
    return v->string_value();
  };

  std::string repository = RepositoryOf(text(keys.url));
  if (repository.empty()) {
    if (const Value* v = Field(issue, "repository_url");
        v != nullptr && v->has_string_value()) {
      const size_t at = v->string_value().find("/repos/");
      if (at != std::string::npos) {
        repository = v->string_value().substr(at + 7);
      }
    }
  }
  std::optional<int64_t> number;
  if (const Value* v = Field(issue, "number"); v == nullptr) {
    problems.push_back("number is missing (not an issue?)");
  } else if (!v->has_number_value() || v->number_value() < 1 ||
             v->number_value() != std::floor(v->number_value()) ||
             v->number_value() > 1e15) {
    problems.push_back("number: not an issue number");
  } else {
    number = static_cast<int64_t>(v->number_value());
  }
  const std::string ref =
      absl::StrCat(repository, number ? absl::StrCat("#", *number) : "an issue",
                   " (line ", line, "): ");
  auto fail = [&]() {
    row.error = absl::StrCat(ref, absl::StrJoin(problems, "; "));
  };
  if (repository.empty()) {
    problems.push_back(absl::StrCat(
        keys.url,
        " is missing or not an issue's address: it names the repository, "
        "which the event ids need (gh: add url to --json)"));
  }
  if (issue.fields().contains("pull_request")) {
    row.skipped = "pull request (the REST API lists them among issues)";
    return;
  }
  if (!problems.empty()) return fail();

  auto time = [&](const char* key) -> std::optional<absl::Time> {
    const std::string cell = text(key);
    if (cell.empty()) return std::nullopt;
    absl::StatusOr<ParsedTime> t = ParseTime(cell, absl::UTCTimeZone());
    if (!t.ok()) {
      problems.push_back(absl::StrCat(key, ": ", t.status().message()));
      return std::nullopt;
    }
    return t->time;
  };
  const std::optional<absl::Time> created = time(keys.created);
  if (!created && problems.empty()) {
    problems.push_back(absl::StrCat(keys.created, " is missing"));
  }
  const std::string state = absl::AsciiStrToLower(text("state"));
  const std::string reason = absl::AsciiStrToLower(text(keys.state_reason));
  const bool closed = state == "closed";
  if (!closed && state != "open") {
    problems.push_back(state.empty()
                           ? "state is missing"
                           : absl::StrCat("state: \"", Excerpt(state),
                                          "\" is not open or closed"));
  }
  const bool cancelled =
      closed && (reason == "not_planned" || reason == "duplicate");
  std::optional<absl::Time> closed_at;
  if (closed) {
    closed_at = time(keys.closed);
    if (!closed_at && problems.empty()) {
      problems.push_back(absl::StrCat("closed, but ", keys.closed,
                                      " is missing (gh: add closedAt to "
                                      "--json)"));
    }
  }

  const std::string team_name = TeamName(issue, options, repository, problems);
  absl::StatusOr<std::string> team = options.teams->Resolve(team_name);
  if (!team.ok()) {
    problems.push_back(absl::StrCat("team: ", team.status().message()));
  }

  std::optional<absl::Time> due =
      MilestoneDue(issue, keys, options.zone, problems);
  if (!problems.empty()) return fail();
  if (!due) {
    if (options.default_due_days <= 0) {
      row.skipped = "no due date (no milestone with one)";
      return;
    }
    due = *created + absl::Hours(24 * options.default_due_days);
  }

  const std::string task = absl::StrCat(repository, "#", *number);
  auto add = [&](absl::string_view what, absl::Time at) -> v1::Event& {
    return AddTaskEvent(out, task, what, options.source, *team, at);
  };
  auto& created_event = *add("created", *created).mutable_task_created();
  created_event.set_task_id(task);
  ToProtoTime(*due, *created_event.mutable_due_at());
  if (closed && cancelled) {
    add("cancelled", *closed_at).mutable_task_cancelled()->set_task_id(task);
  } else if (closed) {
    add("completed", *closed_at).mutable_task_completed()->set_task_id(task);
  }
}

int JsonItemSplitter::Get() {
  if (pos_ == buffer_.size()) {
    buffer_.resize(64 << 10);
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.resize(static_cast<size_t>(in_.gcount()));
    pos_ = 0;
    if (buffer_.empty()) return -1;
  }
  ++consumed_;
  const char c = buffer_[pos_++];
  if (c == '\n') ++line_;
  return static_cast<unsigned char>(c);
}

int JsonItemSplitter::Peek() {
  const int c = Get();
  if (c >= 0) {
    --pos_;
    --consumed_;
    if (c == '\n') --line_;
  }
  return c;
}

bool JsonItemSplitter::Fail(absl::string_view why) {
  if (status_.ok()) {
    status_ =
        absl::InvalidArgumentError(absl::StrCat("line ", line_, ": ", why));
  }
  return false;
}

bool JsonItemSplitter::ReadValue(char first, std::string& text) {
  text.push_back(first);
  if (first != '{' && first != '[' && first != '"') {
    // A number, true, false or null: up to the next delimiter.
    for (int c; (c = Peek()) >= 0 && !absl::ascii_isspace(c) && c != ',' &&
                c != ']' && c != '}';) {
      text.push_back(static_cast<char>(Get()));
    }
    return true;
  }
  int depth = first == '"' ? 0 : 1;
  bool in_string = first == '"';
  bool escaped = false;
  while (depth > 0 || in_string) {
    const int c = Get();
    if (c < 0) return Fail("the file ends inside an item (cut short?)");
    if (text.size() >= kMaxItemBytes) {
      return Fail(absl::StrCat("an item over ", kMaxItemBytes >> 20,
                               " MiB: not an issue list"));
    }
    text.push_back(static_cast<char>(c));
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

bool JsonItemSplitter::Next(std::string& text, int64_t& line) {
  text.clear();
  if (!status_.ok()) return false;
  for (;;) {
    const int c = Get();
    if (c < 0) {
      if (in_array_) return Fail("the file ends inside an array (cut short?)");
      return false;
    }
    // A UTF-8 byte order mark at the start.
    if (consumed_ == 1 && c == 0xEF) {
      if (Get() == 0xBB && Get() == 0xBF) continue;
      return Fail("not JSON");
    }
    if (absl::ascii_isspace(c)) continue;
    if (!in_array_) {
      if (c == '[') {
        in_array_ = true;
        expect_item_ = true;
        after_comma_ = false;
        continue;
      }
      if (c != '{') {
        return Fail(absl::StrCat(
            "expected a JSON array of issues (or one issue object per "
            "line), found '",
            std::string(1, static_cast<char>(c)), "'"));
      }
      line = line_;
      ++items_;
      return ReadValue(static_cast<char>(c), text);
    }
    if (c == ']') {
      if (after_comma_) return Fail("a comma before ']'");
      in_array_ = false;
      continue;
    }
    if (c == ',') {
      if (expect_item_) return Fail("a comma without an item before it");
      expect_item_ = true;
      after_comma_ = true;
      continue;
    }
    if (!expect_item_) {
      return Fail(absl::StrCat("expected ',' or ']' after item ", items_));
    }
    expect_item_ = false;
    after_comma_ = false;
    line = line_;
    ++items_;
    return ReadValue(static_cast<char>(c), text);
  }
}

bool GithubIssueReader::Next(Row& row, Items<v1::Event>& out) {
  int64_t line = 0;
  if (!splitter_.Next(text_, line)) return false;
  row.line = ++items_;
  row.error.clear();
  row.skipped.clear();
  issue_.Clear();
  const int before = out.size();
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(text_, &issue_);
  if (!parsed.ok()) {
    row.error = absl::StrCat("line ", line, ": not a JSON object (an issue): ",
                             parsed.message().ToString());
  } else {
    MapGithubIssue(issue_, line, options_, row, out);
  }
  if (!row.error.empty() || !row.skipped.empty()) {
    out.DeleteSubrange(before, out.size() - before);
  }
  return true;
}

}  // namespace orgpulse::cli
