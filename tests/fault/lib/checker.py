"""The queue checker, in the style of Jepsen's Kafka workload: from what producers attempted and were told, what
consumers read while the faults ran and what one full read found after healing, it counts the anomalies.

    lost          acknowledged, and absent from the final read
    duplicated    one value at two or more (partition, offset) positions (reads, and the acknowledgement's own
                  when it names an offset);
                  an anomaly with idempotent producers. Without idempotence a client may legitimately send a batch
                  again (librdkafka re-sends a batch whose leader changed while it was in flight, even with
                  message.send.max.retries=0), so then duplicates are counted but allowed (duplicates_allowed).
    conflicting   one (partition, offset) holding two or more values across reads and acknowledgements
    backwards     a consumer session that read an offset of a partition at or below one it had read before
    unseen        attempted, never acknowledged, never read (informational: a write that may or may not have
                  happened; not an anomaly)
    recovered     not acknowledged (failed or indeterminate) yet read (informational, allowed)

A history is plain data so the logic can be tested on synthetic ones (selftest.py):
    writes:   {producer: [event]}  event = ("invoke", value) | ("ok", value, partition, offset) | ("fail", value, why)
              an "ok" offset that is None or below 0 is an acknowledgement without a known offset (librdkafka's
              idempotent producer acknowledges a message implicitly when a later one of its partition is acknowledged
              after the earlier one's request timed out: Confluent.Kafka reports offset -1001, confluent-kafka for
              Python None): acknowledged for "lost", but no position of the value
    sessions: {consumer session: [(partition, offset, value)]} in the order each session read them
    final:    [(partition, offset, value)]  the full read after healing
"""
import collections

ANOMALIES = ("lost", "duplicated", "conflicting", "backwards")
EXAMPLES = 5


def check(writes, sessions, final, final_complete=True, duplicates_allowed=False):
    attempted, acked, failed = set(), {}, set()
    per_producer = {}
    for producer, events in writes.items():
        per_producer[producer] = {"attempted": sum(1 for e in events if e[0] == "invoke"),
                                  "acknowledged": sum(1 for e in events if e[0] == "ok")}
        for event in events:
            kind, value = event[0], event[1]
            if kind == "invoke":
                attempted.add(value)
            elif kind == "ok":
                acked[value] = (event[2], -1 if event[3] is None else event[3])
            elif kind == "fail":
                failed.add(value)

    positions = collections.defaultdict(set)   # value -> {(p, o)} seen in reads
    at_offset = collections.defaultdict(set)   # (p, o) -> {value} across reads and acks
    read_any = set()
    reads_total = 0
    for reads in list(sessions.values()) + [final]:
        for p, o, v in reads:
            positions[v].add((p, o))
            at_offset[(p, o)].add(v)
            read_any.add(v)
            reads_total += 1
    for v, (p, o) in acked.items():
        if o >= 0:
            at_offset[(p, o)].add(v)

    final_values = {v for _, _, v in final}
    lost = sorted(v for v in acked if v not in final_values)
    duplicated = {}
    for v, where in positions.items():
        claimed = set(where)
        if v in acked and acked[v][1] >= 0:
            claimed.add(acked[v])
        if len(claimed) > 1:
            duplicated[v] = sorted(claimed)
    conflicting = {"%d@%d" % po: sorted(vs) for po, vs in at_offset.items() if len(vs) > 1}

    backwards = []
    for session, reads in sessions.items():
        last = {}
        for p, o, v in reads:
            if p in last and o <= last[p]:
                backwards.append({"session": session, "partition": p, "after": last[p], "read": o, "value": v})
            last[p] = o

    unseen = sorted(v for v in attempted if v not in acked and v not in read_any)
    recovered = sorted(v for v in attempted if v not in acked and v in read_any)
    never_attempted = sorted(v for v in read_any if v not in attempted and v not in acked)
    offset_unknown = sum(1 for _, o in acked.values() if o < 0)
    counts = {
        "operations": len(attempted) + reads_total,
        "attempted": len(attempted), "acknowledged": len(acked), "failed": len(failed - set(acked)),
        "indeterminate": len(attempted - set(acked) - failed), "reads": reads_total,
        "final_read": len(final), "lost": len(lost), "duplicated": len(duplicated),
        "conflicting": len(conflicting), "backwards": len(backwards), "unseen": len(unseen),
        "recovered": len(recovered), "phantom": len(never_attempted), "acknowledged_offset_unknown": offset_unknown,
    }
    judged = [k for k in ANOMALIES if not (k == "duplicated" and duplicates_allowed)]
    anomalies = sum(counts[k] for k in judged) + counts["phantom"] + (0 if final_complete else 1)
    return {
        "counts": counts,
        "valid": anomalies == 0,
        "final_read_complete": final_complete,
        "duplicates_allowed": duplicates_allowed,
        "producers": per_producer,
        "examples": {
            "lost": lost[:EXAMPLES],
            "duplicated": dict(list(sorted(duplicated.items()))[:EXAMPLES]),
            "conflicting": dict(list(sorted(conflicting.items()))[:EXAMPLES]),
            "backwards": backwards[:EXAMPLES],
            "unseen": unseen[:EXAMPLES],
            "phantom": never_attempted[:EXAMPLES],
        },
    }


def one_line(summary, label=""):
    c = summary["counts"]
    verdict = "ok" if summary["valid"] else "ANOMALIES"
    return ("%s%s: %d attempted, %d acknowledged, %d read (final %d%s); lost %d, duplicated %d%s, conflicting %d, "
            "backwards %d, phantom %d; unseen %d, recovered %d" % (
                label + " " if label else "", verdict, c["attempted"], c["acknowledged"], c["reads"],
                c["final_read"], "" if summary["final_read_complete"] else ", INCOMPLETE", c["lost"], c["duplicated"],
                " (allowed: producers not idempotent)" if summary.get("duplicates_allowed") else "",
                c["conflicting"], c["backwards"], c["phantom"], c["unseen"], c["recovered"]))
