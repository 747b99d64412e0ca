#!/usr/bin/env bash
# Writes the hand-made seeds of fuzz/corpus/ that are serialized requests,
# from the text protos below, so that they can be read and changed here.
# (The other seeds are short byte strings found by fuzzing; see
# docs/fuzzing.md.) Needs protoc. Run from anywhere; rewrites only the files
# named below.
#
# A seed is the fuzz target's mode byte followed by the request: 0x00 is a
# serialized request with the default team cap; 0x02 the same with a cap of
# one team (fuzz_ingest_push); 0x06 with k = 5 (fuzz_insights_submit).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus

# seed FILE MODE_BYTE_OCTAL PROTO_FILE MESSAGE < text proto
seed() {
  local file=$1 mode=$2 proto=$3 message=$4
  mkdir -p "$(dirname "$file")"
  {
    printf "\\$mode"
    protoc --proto_path=proto --proto_path=/usr/include --encode="$message" "$proto"
  } >"$file"
}

ingest() { seed "$corpus/fuzz_ingest_push/$1" "$2" orgpulse/ingest/v1/ingest.proto orgpulse.ingest.v1.PushRequest; }
insights() { seed "$corpus/fuzz_insights_submit/$1" "$2" orgpulse/insights/v1/insights.proto orgpulse.insights.v1.SubmitSurveyResponsesRequest; }

# Now is 2026-03-15T12:00:00Z (1773576000) in fuzz_ingest_push.
ingest every_payload.bin 000 <<'EOF'
events { event_id: "1" source: "jira" team: "eng/a" occurred_at { seconds: 1773133200 }
  task_created { task_id: "t1" due_at { seconds: 1773964800 } estimate_hours: 8 } }
events { event_id: "2" source: "jira" team: "eng/a" occurred_at { seconds: 1773133300 }
  task_started { task_id: "t1" } }
events { event_id: "3" source: "jira" team: "eng/a" occurred_at { seconds: 1773500000 nanos: 500 }
  task_completed { task_id: "t1" } }
events { event_id: "4" source: "jira" team: "eng/b" occurred_at { seconds: 1773133200 }
  task_cancelled { task_id: "t2" } }
events { event_id: "5" source: "jira" team: "eng/b" occurred_at { seconds: 1773133200 }
  task_due_date_changed { task_id: "t2" due_at { seconds: 1773964800 } } }
events { event_id: "6" source: "finance-erp" team: "eng" occurred_at { seconds: 1772323200 }
  project_budget_plan { project: "p1" budget_at_completion: 100000
    planned_start { seconds: 1772323200 } planned_end { seconds: 1782777600 } } }
events { event_id: "7" source: "finance-erp" team: "eng" occurred_at { seconds: 1773133200 }
  cost_actual { project: "p1" amount: 12500.5 } }
events { event_id: "8" source: "finance-erp" team: "eng" occurred_at { seconds: 1773133200 }
  project_progress { project: "p1" percent_complete: 20 } }
events { event_id: "9" source: "jira" team: "ops/sre" occurred_at { seconds: 1772323200 }
  milestone_due { project: "p1" milestone: "m1" due_at { seconds: 1773133200 } } }
events { event_id: "10" source: "jira" team: "ops/sre" occurred_at { seconds: 1773500000 }
  milestone_reached { project: "p1" milestone: "m1" } }
events { event_id: "11" source: "git" team: "ops/sre" occurred_at { seconds: 1773133200 }
  procedure_check { procedure: "code-review" passed: true } }
events { event_id: "12" source: "bi" team: "ops" occurred_at { seconds: 1772323200 }
  kpi_monthly_target { kpi: "revenue" year: 2026 month: 3 target: 50000 aggregation: KPI_AGGREGATION_SUM } }
events { event_id: "13" source: "bi" team: "ops" occurred_at { seconds: 1773133200 }
  kpi_actual { kpi: "revenue" value: 20000 } }
EOF

# The same (source, event_id) twice in one batch, with different payloads.
ingest duplicate_in_batch.bin 000 <<'EOF'
events { event_id: "1" source: "jira" team: "eng" occurred_at { seconds: 1773133200 }
  task_started { task_id: "t1" } }
events { event_id: "1" source: "jira" team: "ops" occurred_at { seconds: 1773133200 }
  task_completed { task_id: "t1" } }
EOF

# Two new teams with a cap of one: RESOURCE_EXHAUSTED.
ingest over_team_cap.bin 002 <<'EOF'
events { event_id: "1" source: "jira" team: "eng" occurred_at { seconds: 1773133200 }
  task_started { task_id: "t1" } }
events { event_id: "2" source: "jira" team: "ops" occurred_at { seconds: 1773133200 }
  task_started { task_id: "t1" } }
EOF

# Every field wrong at once: INVALID_ARGUMENT with one violation each.
ingest invalid_fields.bin 000 <<'EOF'
events { event_id: "" source: "Jira!" team: "Eng//a" occurred_at { seconds: 1773133200 nanos: -1 }
  cost_actual { project: "p1" amount: nan } }
events { event_id: "2" source: "jira" team: "eng/a/b/c/d"
  project_budget_plan { project: "p1" budget_at_completion: -inf
    planned_start { seconds: 1782777600 } planned_end { seconds: 1772323200 } } }
events { event_id: "3" source: "jira" team: "eng" occurred_at { seconds: 946684799 }
  kpi_monthly_target { kpi: "k" year: 1999 month: 13 target: 0 aggregation: 7 } }
events { event_id: "4" source: "jira" team: "eng" occurred_at { seconds: 1773662401 } }
EOF

ingest empty.bin 000 </dev/null

# Raw mode also decodes the bytes as a stored group (event_codec.h): format
# byte 1, the count, then per event its payload index, strings, times
# (zigzag Unix microseconds) and doubles. Three events: task_created,
# procedure_check, kpi_monthly_target.
python3 - "$corpus/fuzz_ingest_push/stored_group.bin" <<'PY'
import struct, sys
def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([v & 0x7F | 0x80]); v >>= 7
    return out + bytes([v])
def zigzag(v): return varint(((v << 1) ^ (v >> 63)) & (2**64 - 1))
def string(s): return varint(len(s)) + s.encode()
def head(index, event_id, team, micros):
    return varint(index) + string(event_id) + string("jira") + string(team) + zigzag(micros)
now = 1773576000 * 10**6
blob = bytes([1]) + varint(3)
blob += head(1, "1", "eng/a", now - 86400 * 10**6) + string("t1") + zigzag(now) + struct.pack("<d", 8)
blob += head(11, "2", "eng", now) + string("code-review") + varint(1)
blob += head(12, "3", "ops", now) + string("revenue") + zigzag(2026) + zigzag(3) + struct.pack("<d", 5e4) + zigzag(1)
open(sys.argv[1], "wb").write(bytes([0]) + blob)
PY

# The same group compressed (format 2, as the SQLite log stores it): byte 2,
# then a zstd frame that records its size and a checksum. Needs zstd(1).
stored=$(mktemp)
tail -c +2 "$corpus/fuzz_ingest_push/stored_group.bin" >"$stored"
{ printf '\000\002'; zstd -1 -q -c --content-size --check "$stored"; } \
  >"$corpus/fuzz_ingest_push/stored_group_compressed.bin"
rm -f "$stored"

# Now is 2026-06-01T12:00:00Z (1780315200) in fuzz_insights_submit.
answers='answers { dimension: DIMENSION_PSYCHOLOGICAL_SAFETY value: 4 }
  answers { dimension: DIMENSION_FEEDBACK value: 3 }
  answers { dimension: DIMENSION_RECOGNITION value: 2 reverse_scored: true }
  answers { dimension: DIMENSION_GROWTH value: 5 }
  answers { dimension: DIMENSION_WELLBEING value: 1 }
  answers { dimension: DIMENSION_TRUST_IN_LEADERSHIP value: 4 }
  answers { dimension: DIMENSION_VISION value: 3 }
  answers { dimension: DIMENSION_AUTONOMY value: 4 }
  answers { dimension: DIMENSION_COLLABORATION value: 5 }'

# response ID TEAM ROUND RESPONDENT SECONDS
response() {
  printf 'responses { response_id: "%s" team: "%s" round: "%s" respondent_id: "%s"\n  submitted_at { seconds: %s } enps: 9 intent_to_stay: 4\n  %s }\n' \
    "$1" "$2" "$3" "$4" "$5" "$answers"
}

# Six in eng/a, two in eng/b, five in ops (k = 5): eng/b is suppressed, and
# eng/a with it (eng minus eng/a would give eng/b away).
{
  for i in 1 2 3 4 5 6; do response "a$i" eng/a 2026-q2 "pa$i" 1780311600; done
  for i in 1 2; do response "b$i" eng/b 2026-q2 "pb$i" 1780311600; done
  for i in 1 2 3 4 5; do response "o$i" ops 2026-q2 "po$i" 1780311600; done
} | insights complementary_suppression.bin 006

# One respondent answering twice in a round, the later answer in force; a
# tie in time is broken by the response id.
{
  response r1 eng 2026-q1 alice 1780311600
  response r2 eng 2026-q1 alice 1780311660
  response r3 eng 2026-q1 bob 1780311600
  response r4 eng 2026-q1 bob 1780311600
} | insights replaced_response.bin 006

# Missing and malformed fields: INVALID_ARGUMENT.
insights invalid_fields.bin 006 <<'EOF'
responses { response_id: "" team: "Eng" round: "Q1 2026" submitted_at { seconds: 1780315200 nanos: 1000000000 }
  answers { dimension: DIMENSION_UNSPECIFIED value: 0 } answers { dimension: 12 value: 6 }
  enps: 11 intent_to_stay: 0 }
EOF

insights empty.bin 006 </dev/null

# fuzz_privacy_differential reads its input with FuzzedDataProvider, which
# takes small integers from the end, one byte each: k - 3, then the number
# of teams - 1, then per team its depth - 1, a segment index (0 = "a") per
# level and its own count. Each seed below is that sequence, written
# backwards.
python3 - "$corpus/fuzz_privacy_differential" <<'PY'
import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def org(name, k, teams):
    seq = [k - 3, len(teams) - 1]
    for path, count in teams:
        segs = path.split("/")
        seq += [len(segs) - 1] + ["abc".index(s) for s in segs] + [count]
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes(reversed(seq)))
# privacy.h's example: a/b is too small, and a/a goes with it.
org("header_example.bin", 5, [("a/a", 6), ("a/b", 2), ("a/c", 7)])
org("all_large.bin", 3, [("a", 5), ("a/b", 4), ("c", 3)])
org("parent_own_respondents.bin", 5, [("a", 2), ("a/a", 6), ("a/b", 7)])
org("single_chain.bin", 4, [("a/b/c", 4)])
org("zero_counts.bin", 7, [("a", 0), ("b", 15), ("b/a", 0)])
org("eight_small_teams.bin", 6, [("a/a", 3), ("a/b", 4), ("a/c", 5),
    ("b/a/a", 2), ("b/a/b", 9), ("b/b", 1), ("c", 6), ("c/a/c", 7)])
PY

# fuzz_csv: two header bytes (delimiter and buffer position; record limit),
# then the text.
csv() { mkdir -p "$corpus/fuzz_csv"; printf "$2" >"$corpus/fuzz_csv/$1"; }
csv plain.csv '\000\377a,b,c\r\n1,2,3\n'
csv quoted.csv '\000\377"say ""hi""","a,b","two\nlines"\r\n"",x\r\n'
csv bom_and_blank_lines.csv '\000\377\357\273\277id,name\n\n\r\n1,eve\rno,newline'
csv malformed.csv '\000\377a"b,c\n"open,"x"y\nok,1\n"never closed'
csv semicolon.csv '\001\377a;"b;c";d\n'
csv tab.csv '\002\377a\t"b\tc"\n'
# The text straddles the reader's 64 KiB buffer, between a record's "\r" and "\n".
csv buffer_boundary.csv '\134\377ab,"c\r\n",d\r\ne\r\n'
# A record limit of 9 bytes: the second record stops the reader.
csv record_limit.csv '\000\002short\nthis record is too long\n'
