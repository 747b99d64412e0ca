#!/bin/bash
# The fsyncs of an ingest server under open-loop Push: per file, count, total, max and mean
# duration (strace -f -T; strace slows the server, so compare runs of this script only).
#   bench/sync_trace.sh BUILD_DIR RATE SECONDS   (BUILD_DIR: a Release tree, e.g. build-bench/build)
B=$1; RATE=$2; SECS=$3
D=$(mktemp -d /tmp/orgpulse-strace.XXXXXX)
$B/services/ingest/orgpulse-ingest --grpc_address=127.0.0.1:0 --metrics_address=127.0.0.1:0 --plaintext --allow_unauthenticated \
  --data_dir=$D/data --port_file=$D/port --sync=full --max_teams=1000 > $D/log 2>&1 &
S=$!
for i in $(seq 100); do [[ -s $D/port ]] && break; sleep 0.1; done
strace -f -T -y -qq -e trace=fdatasync,fsync -p $S -o $D/strace 2>/dev/null &
T=$!
sleep 0.5
$B/bench/orgpulse-ingest-loadgen --mode=push --port_file=$D/port --batch=100 --concurrency=16 --rate=$RATE --events=$((RATE*SECS)) | grep RESULT | tr ' ' '\n' | grep -E 'p50|p99|max_ms|events_per_s='
kill $T; wait $T 2>/dev/null
kill $S; wait $S 2>/dev/null
# per file: count, total and max seconds of syncs
awk '{f=$0; sub(/.*<\//,"/",f); sub(/>.*/,"",f); n=split($0,a,"<"); d=a[n]; sub(/>.*/,"",d); if (d+0>0) {c[f]++; t[f]+=d; if (d>m[f]) m[f]=d}} END {for (f in c) printf "%s: %d syncs, total %.3f s, max %.1f ms, mean %.1f ms\n", f, c[f], t[f], 1000*m[f], 1000*t[f]/c[f]}' $D/strace | sed "s|$D|D|"
# threads: sync durations on events.db (the background checkpoint's)
rm -rf $D
