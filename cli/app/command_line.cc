#include "cli/app/command_line.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace orgpulse::cli {
namespace {

std::optional<bool> ParseBoolText(absl::string_view text) {
  const std::string s = absl::AsciiStrToLower(text);
  if (s == "1" || s == "true" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "no" || s.empty()) return false;
  return std::nullopt;
}

}  // namespace

const std::string& ParsedArgs::Get(const std::string& name) const {
  static const std::string kEmpty;
  const auto it = values_.find(name);
  return it == values_.end() ? kEmpty : it->second;
}

bool ParsedArgs::Flag(const std::string& name) const {
  return ParseBoolText(Get(name)).value_or(false);
}

bool ParsedArgs::IsSet(const std::string& name) const {
  const auto it = set_.find(name);
  return it != set_.end() && it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     const std::vector<FlagSpec>& specs,
                                     const Environment& env) {
  ParsedArgs parsed;
  auto find = [&](absl::string_view name) -> const FlagSpec* {
    const std::string canonical = absl::StrReplaceAll(name, {{"_", "-"}});
    for (const FlagSpec& spec : specs) {
      if (spec.name == canonical) return &spec;
    }
    return nullptr;
  };
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg == "-" || !absl::StartsWith(arg, "-")) {
      parsed.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help_ = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", arg, " (flags start with --)"));
    }
    absl::string_view body = absl::string_view(arg).substr(2);
    const size_t eq = body.find('=');
    const absl::string_view name = body.substr(0, eq);
    const FlagSpec* spec = find(name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    std::string value;
    if (spec->value_name.empty()) {
      const std::optional<bool> b = eq == absl::string_view::npos
                                        ? true
                                        : ParseBoolText(body.substr(eq + 1));
      if (!b) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", spec->name, " takes true or false"));
      }
      value = *b ? "true" : "false";
    } else if (eq != absl::string_view::npos) {
      value = std::string(body.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", spec->name, " needs a value (", spec->value_name, ")"));
    }
    parsed.values_[spec->name] = std::move(value);
    parsed.set_[spec->name] = true;
  }
  for (const FlagSpec& spec : specs) {
    if (parsed.values_.contains(spec.name)) continue;
    std::optional<std::string> from_env;
    if (!spec.env.empty() && env) from_env = env(spec.env);
    if (from_env && !from_env->empty()) {
      if (spec.value_name.empty() && !ParseBoolText(*from_env)) {
        return absl::InvalidArgumentError(
            absl::StrCat(spec.env, " takes true or false"));
      }
      parsed.values_[spec.name] = *from_env;
      parsed.set_[spec.name] = true;
    } else {
      parsed.values_[spec.name] = spec.default_value;
    }
  }
  return parsed;
}

std::string FlagsHelp(const std::vector<FlagSpec>& specs) {
  std::string out;
  for (const FlagSpec& spec : specs) {
    absl::StrAppend(&out, "  --", spec.name,
                    spec.value_name.empty() ? "" : "=" + spec.value_name,
                    "\n      ", spec.help);
    if (!spec.default_value.empty()) {
      absl::StrAppend(&out, " (default ", spec.default_value, ")");
    }
    if (!spec.env.empty()) absl::StrAppend(&out, " [$", spec.env, "]");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace orgpulse::cli
