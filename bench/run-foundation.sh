#!/usr/bin/env bash
# The foundation benchmarks in one run, so their figures can be read against each other:
#   1. the machine's sequential write bandwidth (dd) on the filesystem the benchmarks write to;
#   2. BenchmarkDotNet: record batch encode/decode, partition log append/read (100 B and 1 KiB
#      records, ~1 MiB per operation), and the compression codecs.
# Results: docs/benchmarks.md. Usage: bench/run-foundation.sh [--job short|medium|default]
set -euo pipefail
cd "$(dirname "$0")/.."
job=${2:-short}
[ "${1:-}" = "--job" ] || job=short
tmp=${TMPDIR:-/tmp}
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), filesystem of $tmp: $(df -PT "$tmp" | awk 'NR==2 {print $2}')"
echo "== sequential write bandwidth of $tmp"
bench/disk-write-bandwidth.sh "$tmp" 1024 3
echo "== BenchmarkDotNet ($job job)"
dotnet run -c Release --project bench/Gregor.Benchmarks -- \
  --filter '*RecordBatchBenchmarks*' '*PartitionLogBenchmarks*' '*CompressionBenchmarks*' \
  --job "$job" --artifacts "$tmp/gregor-bench-artifacts" 2>&1 | grep -E '^\||^BenchmarkDotNet v|^  \[Host\]|Run time'
echo "== sequential write bandwidth of $tmp, again (the disk drifts; both figures bracket the run)"
bench/disk-write-bandwidth.sh "$tmp" 1024 3
