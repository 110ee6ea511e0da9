"""Self-test of the checker on synthetic histories (run by `run.py --self-test`): each case states the counts the
checker must give; a clean history must pass and each kind of anomaly must be caught, so the checker is shown able to
fail. Returns the number of failed cases."""
from checker import check


def _w(*events):
    return {"p1": list(events)}


CASES = [
    ("clean history",
     _w(("invoke", "a"), ("ok", "a", 0, 0), ("invoke", "b"), ("ok", "b", 0, 1)),
     {"c1": [(0, 0, "a"), (0, 1, "b")]}, [(0, 0, "a"), (0, 1, "b")], True,
     {"lost": 0, "duplicated": 0, "conflicting": 0, "backwards": 0, "unseen": 0}, True),
    ("acknowledged write missing from the final read is lost",
     _w(("invoke", "a"), ("ok", "a", 0, 0), ("invoke", "b"), ("ok", "b", 0, 1)),
     {"c1": [(0, 0, "a"), (0, 1, "b")]}, [(0, 0, "a")], True,
     {"lost": 1}, False),
    ("read during the run but truncated later is still lost",
     _w(("invoke", "a"), ("ok", "a", 1, 0)),
     {"c1": [(1, 0, "a")]}, [], True,
     {"lost": 1}, False),
    ("one value at two offsets is duplicated",
     _w(("invoke", "a"), ("ok", "a", 0, 0)),
     {}, [(0, 0, "a"), (0, 1, "a")], True,
     {"duplicated": 1, "lost": 0}, False),
    ("duplicates are counted but allowed for producers without idempotence",
     _w(("invoke", "a"), ("ok", "a", 0, 1)),
     {}, [(0, 0, "a"), (0, 1, "a")], True,
     {"duplicated": 1, "lost": 0}, True, True),
    ("allowing duplicates does not hide a loss",
     _w(("invoke", "a"), ("ok", "a", 0, 1), ("invoke", "b"), ("ok", "b", 0, 2)),
     {}, [(0, 0, "a"), (0, 1, "a")], True,
     {"duplicated": 1, "lost": 1}, False, True),
    ("a value read somewhere other than its acknowledged offset is duplicated",
     _w(("invoke", "a"), ("ok", "a", 0, 3)),
     {}, [(0, 0, "a")], True,
     {"duplicated": 1, "lost": 0}, False),
    ("an acknowledgement without a known offset (-1001) is no second position of its value",
     _w(("invoke", "a"), ("ok", "a", 0, -1001), ("invoke", "b"), ("ok", "b", 0, 1)),
     {"c1": [(0, 0, "a"), (0, 1, "b")]}, [(0, 0, "a"), (0, 1, "b")], True,
     {"duplicated": 0, "conflicting": 0, "lost": 0, "acknowledged_offset_unknown": 1}, True),
    ("an acknowledgement with offset None (confluent-kafka for Python) is no position either",
     _w(("invoke", "a"), ("ok", "a", 0, None), ("invoke", "b"), ("ok", "b", 0, 1)),
     {"c1": [(0, 0, "a"), (0, 1, "b")]}, [(0, 0, "a"), (0, 1, "b")], True,
     {"duplicated": 0, "conflicting": 0, "lost": 0, "acknowledged_offset_unknown": 1}, True),
    ("an acknowledgement without a known offset still counts as lost when the value is never read",
     _w(("invoke", "a"), ("ok", "a", 0, -1001)),
     {}, [], True,
     {"lost": 1, "duplicated": 0}, False),
    ("a value read at two offsets is duplicated even when its acknowledgement has no offset",
     _w(("invoke", "a"), ("ok", "a", 0, -1001)),
     {"c1": [(0, 0, "a"), (0, 1, "a")]}, [(0, 0, "a"), (0, 1, "a")], True,
     {"duplicated": 1, "lost": 0}, False),
    ("another value at an acknowledged offset conflicts; a value nobody wrote is a phantom",
     _w(("invoke", "a"), ("ok", "a", 0, 3), ("invoke", "b"), ("ok", "b", 0, 0)),
     {}, [(0, 0, "b"), (0, 3, "x")], True,
     {"duplicated": 0, "conflicting": 1, "lost": 1, "phantom": 1}, False),
    ("two values at one offset across reads are conflicting",
     _w(("invoke", "a"), ("invoke", "b"), ("ok", "b", 0, 0)),
     {"c1": [(0, 0, "a")]}, [(0, 0, "b")], True,
     {"conflicting": 1, "lost": 0, "recovered": 1}, False),
    ("an offset read again by one consumer session went backwards",
     _w(("invoke", "a"), ("ok", "a", 0, 0), ("invoke", "b"), ("ok", "b", 0, 1)),
     {"c1": [(0, 0, "a"), (0, 1, "b"), (0, 0, "a")]}, [(0, 0, "a"), (0, 1, "b")], True,
     {"backwards": 1, "duplicated": 0}, False),
    ("separate sessions reading the same offsets is not backwards",
     _w(("invoke", "a"), ("ok", "a", 0, 0)),
     {"c1": [(0, 0, "a")], "c2": [(0, 0, "a")]}, [(0, 0, "a")], True,
     {"backwards": 0}, True),
    ("unacknowledged never-read writes are unseen, not anomalies",
     _w(("invoke", "a"), ("ok", "a", 0, 0), ("invoke", "b"), ("fail", "b", "timeout"), ("invoke", "c")),
     {}, [(0, 0, "a")], True,
     {"unseen": 2, "lost": 0, "failed": 1, "indeterminate": 1}, True),
    ("an incomplete final read is never a pass",
     _w(("invoke", "a"), ("ok", "a", 0, 0)),
     {}, [(0, 0, "a")], False,
     {"lost": 0}, False),
    ("offsets going backwards across partitions are independent",
     _w(("invoke", "a"), ("ok", "a", 0, 5), ("invoke", "b"), ("ok", "b", 1, 0)),
     {"c1": [(0, 5, "a"), (1, 0, "b")]}, [(0, 5, "a"), (1, 0, "b")], True,
     {"backwards": 0}, True),
]


def run(out):
    failed = 0
    for name, writes, sessions, final, complete, want, valid, *allowed in CASES:
        got = check(writes, sessions, final, complete, duplicates_allowed=bool(allowed and allowed[0]))
        wrong = {k: (got["counts"][k], v) for k, v in want.items() if got["counts"][k] != v}
        if got["valid"] != valid:
            wrong["valid"] = (got["valid"], valid)
        if wrong:
            failed += 1
            out("FAIL self-test %s: {count: (got, wanted)} %s" % (name, wrong))
        else:
            out("ok   self-test %s" % name)
    return failed + _segment_case(out) + _replica_case(out)


def _segment_case(out):
    """segments.lose_unflushed never cuts below the recovery point's batch, and batch_digests reads what was written."""
    import os
    import random
    import struct
    import tempfile
    import shutil
    import sys
    import segments
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop", "lib"))
    from kafka_wire import record_batch

    root = tempfile.mkdtemp(prefix="gregor-fault-selftest.")
    try:
        directory = os.path.join(root, "t-0")
        os.makedirs(directory)
        data = b""
        for base in range(4):  # four one-record batches at offsets 0..3
            batch = bytearray(record_batch([(None, b"v%d" % base, [])], 1000 + base))
            struct.pack_into(">q", batch, 0, base)
            data += bytes(batch)
        path = os.path.join(directory, "%020d.log" % 0)
        with open(path, "wb") as f:
            f.write(data)
        positions = [pos for pos, _, _, _, _ in segments.batches(path)]
        with open(os.path.join(directory, "log-state-checkpoint"), "w") as f:
            f.write("0\n4\nlog-start-offset 0\nrecovery-point 2\nhigh-watermark 4\ncleaner-offset 0\n")
        problems = []
        if len(positions) != 4:
            problems.append("read %d batches of 4" % len(positions))
        rng = random.Random(5)
        cuts = set()
        for _ in range(40):
            with open(path, "wb") as f:
                f.write(data)
            report = segments.lose_unflushed(root, "t", rng)[0]
            size = os.path.getsize(path)
            cuts.add(size)
            if report["floor"] != positions[2] or size < positions[2] or size != report["cut"]:
                problems.append("cut %s to %d bytes, floor %d" % (report, size, positions[2]))
                break
        if len(cuts) < 5:
            problems.append("only %d distinct cut points in 40 draws" % len(cuts))
        with open(path, "wb") as f:
            f.write(data)
        digests = segments.batch_digests(directory, 3)
        if [d[0] for d in digests] != [0, 1, 2]:
            problems.append("digests below 3: %s" % digests)
    finally:
        shutil.rmtree(root)
    out(("FAIL" if problems else "ok  ") + " self-test page-cache cut stays at or above the recovery point"
        + (": %s" % problems if problems else ""))
    return 1 if problems else 0


def _replica_case(out):
    """segments.compare_replicas: identical logs pass, a replica behind is not divergence, one differing batch is."""
    import segments
    a = [(0, 4, 11), (5, 9, 22), (10, 14, 33)]
    problems = []
    cases = [
        ({1: a, 2: list(a), 3: list(a)}, False, []),
        ({1: a, 2: a[:2], 3: a[:1]}, False, [2, 3]),
        ({1: a, 2: [a[0], (5, 9, 99), a[2]], 3: a}, True, []),
        ({1: a, 2: [a[0], (5, 8, 22)]}, True, []),
    ]
    for digests, want_diverged, want_behind in cases:
        diverged, behind = segments.compare_replicas(digests)
        if bool(diverged) != want_diverged or behind != want_behind:
            problems.append("%s -> diverged %s, behind %s" % (digests, diverged, behind))
    out(("FAIL" if problems else "ok  ") + " self-test replica logs compared below the high watermark"
        + (": %s" % problems if problems else ""))
    return 1 if problems else 0
