#!/usr/bin/env bash
# Regenerates the compressed fixtures in this directory with independent implementations:
# the gzip, lz4 and zstd command-line tools and Google's snappy library through python3-snappy
# (Debian packages: gzip lz4 zstd python3-snappy). Tests never run this; they read the committed
# outputs. The plaintexts are rebuilt in the tests by CompressionFixtures.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# text: 2200 short lines (about 70 KB, so several 64 KB lz4 blocks and 32 KB snappy chunks).
/usr/bin/python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
text = "".join(f"record {i:06d} key=k{i % 97} value=v{(i * 31) % 1000}\n" for i in range(2200))
open(f"{work}/text", "w").write(text)
open(f"{work}/small", "w").write("Hello, Kafka!\n")
PY

gzip -c -n -9 "$work/text" > text.gz
gzip -c -n "$work/small" > small.gz
cat text.gz small.gz > text-then-small.gz

lz4 -q -c "$work/text" > text.lz4                                  # 4 MB blocks, content checksum
lz4 -q -c -B4 -BD --no-frame-crc "$work/text" > text-b4-linked.lz4  # 64 KB linked blocks, no checksum
lz4 -q -c -B5 -BX --content-size "$work/text" > text-b5-blockchecksum-size.lz4
lz4 -q -c "$work/small" > small.lz4
cat text.lz4 small.lz4 > text-then-small.lz4

zstd -q -c -19 "$work/text" > text.zst                        # content size and checksum
zstd -q -c --no-check < "$work/text" > text-stream.zst         # from a pipe: no content size
zstd -q -c "$work/small" > small.zst
cat text.zst small.zst > text-then-small.zst

/usr/bin/python3 - "$work" <<'PY'
import struct, sys, snappy
work = sys.argv[1]
def xerial(data, block=32 * 1024):
    out = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
    for i in range(0, len(data), block):
        chunk = snappy.compress(data[i:i + block])
        out += struct.pack(">i", len(chunk)) + chunk
    return out
for name in ("text", "small"):
    data = open(f"{work}/{name}", "rb").read()
    open(f"{name}.snappy-raw", "wb").write(snappy.compress(data))
    open(f"{name}.snappy-xerial", "wb").write(xerial(data))
PY
