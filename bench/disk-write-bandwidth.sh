#!/usr/bin/env bash
# Measures sequential write bandwidth of the disk under a directory with dd, so benchmark results
# of the log can be read against what the machine can do at all.
#
#   bench/disk-write-bandwidth.sh [DIR] [SIZE_MIB] [RUNS]      defaults: . 1024 3
#
# Three figures, each writing SIZE_MIB of zeros in 1 MiB blocks to a fresh file, RUNS times
# (virtual disks vary a lot from run to run, so the median and the range are printed):
#   fdatasync   data forced to the device before dd stops the clock (conv=fdatasync)
#   direct      O_DIRECT writes that bypass the page cache, then the same final flush
#               (skipped if the filesystem refuses O_DIRECT)
#   page cache  no sync: how fast the kernel absorbs writes into memory
# Zeros are fine on ext4/xfs; a compressing filesystem (btrfs, zfs) would flatter the figures.
set -euo pipefail

dir=${1:-.}
size_mib=${2:-1024}
runs=${3:-3}
[ -d "$dir" ] || { echo "disk-write-bandwidth: no directory $dir" >&2; exit 2; }
for number in "$size_mib" "$runs"; do
  [[ "$number" =~ ^[1-9][0-9]*$ ]] || { echo "disk-write-bandwidth: SIZE_MIB and RUNS must be positive integers" >&2; exit 2; }
done

free_mib=$(df -Pm "$dir" | awk 'NR == 2 {print $4}')
if [ "$free_mib" -lt $((size_mib + 256)) ]; then
  echo "disk-write-bandwidth: $dir has $free_mib MiB free, need $((size_mib + 256))" >&2
  exit 1
fi

file=$(mktemp "$dir/.disk-write-bandwidth.XXXXXX")
trap 'rm -f "$file"' EXIT

# One dd run with the given extra flags; prints MB/s (10^6 bytes per second) computed from the
# byte count and seconds dd reports, so the unit does not depend on dd's own choice.
measure_once() {
  rm -f "$file"
  local report
  report=$(LC_ALL=C dd if=/dev/zero of="$file" bs=1M count="$size_mib" "$@" 2>&1) || return 1
  awk '/bytes/ && /copied/ {
         for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) seconds = $(i - 1)
         printf "%.0f\n", $1 / seconds / 1e6
       }' <<<"$report"
}

# RUNS runs; prints "median min max".
measure() {
  local results=() run
  for ((run = 0; run < runs; run++)); do
    results+=("$(measure_once "$@")") || return 1
  done
  printf '%s\n' "${results[@]}" | sort -n | awk '{v[NR] = $1}
    END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f %d %d\n", m, v[1], v[NR]}'
}

report() {
  local label=$1 median min max
  read -r median min max <<<"$2"
  printf '  %-11s %6s MB/s median  (%s..%s over %s runs)\n' "$label:" "$median" "$min" "$max" "$runs"
}

device=$(df -P "$dir" | awk 'NR == 2 {print $1}')
echo "disk-write-bandwidth: $size_mib MiB x $runs to $(cd "$dir" && pwd) (device $device)"

fdatasync=$(measure conv=fdatasync)
report fdatasync "$fdatasync"
if direct=$(measure oflag=direct conv=fdatasync 2>/dev/null); then
  report direct "$direct"
else
  direct=unsupported
  echo "  direct:      unsupported by this filesystem"
fi
page_cache=$(measure)
report "page cache" "$page_cache"
echo "fdatasync_mb_s=${fdatasync%% *} direct_mb_s=${direct%% *} page_cache_mb_s=${page_cache%% *}"
