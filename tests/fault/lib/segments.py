"""What a node's partition logs hold on disk, read from the files the way Gregor writes them (src/Gregor.Storage):
a partition directory <topic>-<partition> with <20-digit base offset>.log segments of record batches stored as
received (Kafka's v2 batch: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32,
attributes int16, lastOffsetDelta int32, ...), and log-state-checkpoint, a text file with "recovery-point N" (every
offset below N was fsynced) and "high-watermark N".

lose_unflushed(): what a machine crash does to a log whose tail was only in the page cache. After kill -9 the
active segment (the one with the highest base offset) is cut back to a random byte position at or after the
recovery point's: the position of the first batch whose base offset is at or above the checkpointed recovery point
(0 when the recovery point is below the segment's base offset). The cut may land inside a batch (a torn write),
which recovery must detect and trim. Only the active segment is cut: an older one was fsynced when it was rolled.
The checkpoint's recovery point can lag the real fsynced position (it is written after the flush), so the cut may
remove data that had reached the disk: a harsher loss than a real crash, never a milder one.

batch_digests(): (base offset, last offset, crc) of every batch, for comparing replicas' logs byte for byte (the
CRC covers everything after the leader epoch field, which a follower copies anyway)."""
import os
import struct

HEADER = struct.Struct(">qiibIhi")  # baseOffset, batchLength, leaderEpoch, magic, crc, attributes, lastOffsetDelta
LOG_OVERHEAD = 12


def partition_dirs(data_dir, topic):
    """{partition: directory} of topic's partitions under a node's log dir."""
    found = {}
    prefix = topic + "-"
    for name in os.listdir(data_dir) if os.path.isdir(data_dir) else ():
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            found[int(name[len(prefix):])] = os.path.join(data_dir, name)
    return found


def segments(directory):
    return sorted((int(n[:-4]), os.path.join(directory, n)) for n in os.listdir(directory)
                  if n.endswith(".log") and n[:-4].isdigit())


def read_state(directory):
    """{name: value} of log-state-checkpoint ({} when missing or unreadable)."""
    try:
        with open(os.path.join(directory, "log-state-checkpoint")) as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    state = {}
    for line in lines[2:]:
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            state[parts[0]] = int(parts[1])
    return state


def batches(path):
    """[(byte position, base offset, last offset, crc, size)] of the whole batches in a segment file; stops at a torn
    or zero tail."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + HEADER.size <= len(data):
        base, length, _, magic, crc, _, last_delta = HEADER.unpack_from(data, pos)
        size = LOG_OVERHEAD + length
        if length <= 0 or magic != 2 or pos + size > len(data):
            break
        out.append((pos, base, base + last_delta, crc, size))
        pos += size
    return out


def lose_unflushed(data_dir, topic, rng):
    """Cuts each partition's active segment back to a random point at or after its recovery point. Returns
    {partition: {"segment", "size", "floor", "cut", "lost_bytes", "recovery_point"}}."""
    report = {}
    for partition, directory in sorted(partition_dirs(data_dir, topic).items()):
        segs = segments(directory)
        if not segs:
            continue
        base, path = segs[-1]
        recovery_point = read_state(directory).get("recovery-point", 0)
        size = os.path.getsize(path)
        floor = size
        if recovery_point <= base:
            floor = 0
        else:
            for pos, first, _, _, _ in batches(path):
                if first >= recovery_point:
                    floor = pos
                    break
        cut = rng.randint(floor, size)
        if cut < size:
            with open(path, "r+b") as f:
                f.truncate(cut)
        report[partition] = {"segment": os.path.basename(path), "size": size, "floor": floor, "cut": cut,
                             "lost_bytes": size - cut, "recovery_point": recovery_point}
    return report


def batch_digests(directory, below):
    """[(base, last, crc)] of the partition's batches whose last offset is below `below` (e.g. the high watermark)."""
    out = []
    for _, path in segments(directory):
        for _, base, last, crc, _ in batches(path):
            if last < below:
                out.append((base, last, crc))
    return out


def compare_replicas(digests):
    """{replica: [(base, last, crc)]} of one partition below its high watermark -> (diverged, behind): diverged is
    None or {"replica", "batch", "has", "other"} for the first replica whose batches differ from the longest log's at
    some index; behind lists the replicas whose logs are a strict prefix of it (not caught up yet, not diverged)."""
    if not digests:
        return None, []
    longest = max(digests.values(), key=len)
    diverged, behind = None, []
    for replica, batches_of in sorted(digests.items()):
        if batches_of != longest[:len(batches_of)]:
            first = next(i for i, (a, b) in enumerate(zip(batches_of, longest)) if a != b)
            diverged = diverged or {"replica": replica, "batch": first, "has": batches_of[first],
                                    "other": longest[first]}
        elif len(batches_of) < len(longest):
            behind.append(replica)
    return diverged, behind
