#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by the repository's
# .clang-format (clang-format-14, as scripts/install-deps.sh installs it).
#   scripts/check-format.sh        check; lists the files that differ
#   scripts/check-format.sh --fix  format them in place
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format-14}
if [[ -d .git || -f .git ]]; then
  mapfile -t files < <(git ls-files -- '*.cc' '*.h')
else  # an exported tree without git
  mapfile -t files < <(find . -path ./build -prune -o \( -name '*.cc' -o -name '*.h' \) -print | sort)
fi
if [[ ${1:-} == --fix ]]; then
  "$CLANG_FORMAT" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$CLANG_FORMAT" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "not formatted by $CLANG_FORMAT (fix: scripts/check-format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "${#files[@]} C++ files formatted"
