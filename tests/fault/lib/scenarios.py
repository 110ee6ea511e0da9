"""The named fault scenarios. Each runs `cycles` cycles against a running Harness (run.py): fault, hold, heal,
settle. What each cycle did goes into h.events (printed and kept in the summary). The checker then judges the whole
history; scenario-specific checks add their findings to h.findings (anomalies) or h.notes (information).

    isr-shrink-then-leader-cut  replication between a partition's leader and its followers is cut (data plane only:
                                every node keeps its session with the controller) until the ISR shrinks to the leader
                                alone (replica.lag.time.max.ms); then the leader is cut from every other node on both
                                planes while clients still reach it; held until the others show it deposed.
    double-failover             kill -9 of a partition's leader; once another leader is shown (or, with one replica,
                                the partition shows none) the old leader restarts and the new one is killed at once
                                (a second failover while the first node is still catching up); then it restarts too.
                                Afterwards the replicas' logs must be identical below the high watermark.
    last-isr-loses-unflushed    the ISR shrinks to the leader (replication cut as above); writes go on to it alone for
                                the hold; then it is killed and restarted having lost its unflushed tail
                                (segments.py), and the cut healed.
    paused-past-session         SIGSTOP of a partition's leader past broker.session.timeout.ms, SIGCONT; right after,
                                acks=all writes are sent straight to it: if another node leads the partition by then,
                                an acknowledgement from the old leader is a deposed leader acting (a finding), and
                                each acknowledged probe must also survive (the checker sees the probes as a producer).
    mixed                       a random fault per cycle (seeded): kill -9, pause, isolate a minority, cut replication
                                only between a random pair of nodes, cut a node from the clients, a page-cache-losing
                                restart, or one of the cycles above.
"""
import os
import struct
import time

from net import DATA, HOST

import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop", "lib"))
import kafka_wire  # noqa: E402

NOT_LEADER = 6


def _pick(h, rng):
    """A partition with a running leader: (partition, leader, replicas, isr)."""
    state = h.wait_state()
    p = rng.choice(sorted(state))
    leader, replicas, isr = state[p]
    return p, leader, replicas, isr


def _wait_isr(h, p, want, timeout):
    """Until some running node shows the partition's ISR as exactly `want`; returns seconds, or None on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        state = h.cluster.partitions(h.topic)
        if p in state and sorted(state[p][2]) == sorted(want):
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def _wait_leader_change(h, p, old, timeout, via):
    """Until a node in via shows p led by someone other than old (-1 included); returns the new leader or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        for n in via:
            state = h.cluster.partitions(h.topic, n)
            if p in state and state[p][0] != old:
                return state[p][0]
        time.sleep(0.1)
    return None


def _describe_cut(report):
    """{partition: "cut C of the U bytes past recovery point R"} for the partitions that lost something."""
    return {q: "cut %d of the %d bytes past recovery point %d" % (r["lost_bytes"], r["size"] - r["floor"],
                                                                  r["recovery_point"])
            for q, r in sorted(report.items())} or "no partition of the topic on it"


def isr_shrink_then_leader_cut(h, rng, cycle):
    p, leader, replicas, isr = _pick(h, rng)
    followers = [r for r in replicas if r != leader]
    h.event("partition %d: leader %d, replicas %s, ISR %s; replication cut between the leader and followers %s "
            "(data plane; sessions with the controller go on)", p, leader, replicas, isr, followers)
    if followers:
        h.net.cut([leader], followers, planes=(DATA,))
        took = _wait_isr(h, p, [leader], h.replica_lag_s + 20)
        # Not shrinking (e.g. held at min.insync.replicas, KIP-966) is not itself unsafe: the cut goes on regardless.
        h.event("ISR %s", "shrank to [%d] after %.1f s" % (leader, took) if took is not None
                else "did not shrink to [%d] within %.0f s" % (leader, h.replica_lag_s + 20))
    h.net.isolate([leader])
    cut_at = time.monotonic()
    h.event("leader %d cut from every other node (clients still reach it)", leader)
    others = [n for n in h.cluster.running() if n != leader]
    new = _wait_leader_change(h, p, leader, h.session_s + 20, others)
    changed = "after %.1f s" % (time.monotonic() - cut_at) if new is not None else "never"
    time.sleep(max(1.0, h.hold_s - (time.monotonic() - cut_at)))
    shown = {n: h.cluster.partitions(h.topic, n).get(p, (None,))[0] for n in others}
    h.event("the others first showed partition %d deposed (leader %s) %s; %.1f s after the cut they show it led by %s",
            p, new, changed, time.monotonic() - cut_at, shown)
    h.heal()


def double_failover(h, rng, cycle):
    p, first, replicas, isr = _pick(h, rng)
    h.event("partition %d: leader %d, replicas %s, ISR %s; kill -9 of %d", p, first, replicas, isr, first)
    h.cluster.nodes[first].kill()
    others = [n for n in h.cluster.running()]
    second = _wait_leader_change(h, p, first, h.session_s + 15, others)
    h.event("partition %d then shown led by %s", p, second)
    h.cluster.nodes[first].launch()
    if second is None or second < 0:
        # One replica: nobody took over. The second failover hits another partition's leader instead.
        state = h.cluster.partitions(h.topic)
        candidates = sorted((q, s[0]) for q, s in state.items() if s[0] >= 0 and s[0] != first)
        p, second = rng.choice(candidates) if candidates else (p, None)
    if second is not None:
        h.event("node %d restarting; kill -9 of %d (leader of partition %d) at once", first, second, p)
        h.cluster.nodes[second].kill()
        third = _wait_leader_change(h, p, second, h.session_s + 15,
                                    [n for n in h.cluster.running() if n != first] or h.cluster.running())
        h.event("partition %d then shown led by %s", p, third)
        time.sleep(min(h.hold_s, 2.0))
        h.cluster.nodes[second].launch()
    h.heal()
    h.divergence_check_wanted = True


def last_isr_loses_unflushed(h, rng, cycle):
    p, leader, replicas, isr = _pick(h, rng)
    followers = [r for r in replicas if r != leader]
    h.event("partition %d: leader %d, replicas %s, ISR %s; replication cut between the leader and followers %s "
            "(data plane; sessions with the controller go on)", p, leader, replicas, isr, followers)
    if followers:
        h.net.cut([leader], followers, planes=(DATA,))
        took = _wait_isr(h, p, [leader], h.replica_lag_s + 20)
        h.event("ISR %s", "shrank to [%d] after %.1f s" % (leader, took) if took is not None
                else "did not shrink to [%d] within %.0f s" % (leader, h.replica_lag_s + 20))
    h.event("writes go on to leader %d alone for %.1f s", leader, h.hold_s)
    time.sleep(h.hold_s)
    report = h.cluster.restart_losing_page_cache(leader, h.topic, rng)
    h.event("node %d killed and restarted without its unflushed tail: %s", leader, _describe_cut(report))
    h.page_cache_losses += 1
    h.heal()


def _probe_produce(h, node, p, tag, count):
    """acks=all Produce v3 straight to node for partition p, one record per request; each attempt goes into the probe
    producer's history. Returns [(value, error code or None, base offset)]."""
    results = []
    for i in range(count):
        value = "probe-%s-%d" % (tag, i)
        h.probe_history.write('{"f": "invoke", "v": "%s"}\n' % value)
        try:
            with kafka_wire.connect(h.cluster.nodes[node].bootstrap, 3.0) as sock:
                sock.settimeout(8.0)
                batch = kafka_wire.record_batch([(None, value.encode(), [])], int(time.time() * 1000))
                sock.sendall(kafka_wire.produce_v3(100 + i, h.topic, p, batch, acks=-1, timeout_ms=5000))
                _, answer = kafka_wire.parse_produce_v3(kafka_wire.read_response(sock))
            error, offset = answer[(h.topic, p)]
        except (OSError, ValueError, struct.error, KeyError) as e:
            h.probe_history.write('{"f": "fail", "v": "%s", "e": "%s"}\n' % (value, type(e).__name__))
            results.append((value, None, -1))
            continue
        if error == 0:
            h.probe_history.write('{"f": "ok", "v": "%s", "p": %d, "o": %d}\n' % (value, p, offset))
        else:
            h.probe_history.write('{"f": "fail", "v": "%s", "e": "error %d"}\n' % (value, error))
        results.append((value, error, offset))
    h.probe_history.flush()
    return results


def paused_past_session(h, rng, cycle):
    p, leader, replicas, isr = _pick(h, rng)
    h.event("partition %d: leader %d, replicas %s; SIGSTOP of %d until the others show it replaced (session timeout "
            "%.1f s)", p, leader, replicas, leader, h.session_s)
    paused_at = time.monotonic()
    h.cluster.nodes[leader].pause()
    others = [n for n in h.cluster.running() if n != leader]
    new = _wait_leader_change(h, p, leader, h.session_s + 20, others)
    # Past the session timeout in any case, and a second more once the change is visible.
    time.sleep(max(1.0, h.session_s + 1.0 - (time.monotonic() - paused_at)))
    h.event("partition %d shown led by %s after %.1f s; SIGCONT", p, new, time.monotonic() - paused_at)
    h.cluster.nodes[leader].resume()
    results = _probe_produce(h, leader, p, "c%d" % cycle, 5)
    acked = [v for v, e, _ in results if e == 0]
    errors = sorted({e for _, e, _ in results if e})
    h.event("5 acks=all probes straight to %d right after SIGCONT: %d acknowledged, errors %s", leader, len(acked),
            errors)
    if new is not None and new >= 0 and new != leader and acked:
        # Acknowledged by a node that another had replaced: acceptable only if it had become leader again already.
        now = h.cluster.partitions(h.topic).get(p, (None,))[0]
        if now != leader:
            h.finding("node %d acknowledged %d acks=all probe(s) for partition %d after SIGCONT while node %s leads it",
                      leader, len(acked), p, now)
    h.heal()


def _mixed_kill(h, rng, cycle):
    n = rng.choice(h.cluster.running())
    h.event("kill -9 of node %d; down %.1f s", n, h.hold_s)
    h.cluster.nodes[n].kill()
    time.sleep(h.hold_s)
    h.heal()


def _mixed_pause(h, rng, cycle):
    n = rng.choice(h.cluster.running())
    held = rng.uniform(0.5, h.session_s * 2)
    h.event("SIGSTOP of node %d for %.1f s", n, held)
    h.cluster.nodes[n].pause()
    time.sleep(held)
    h.heal()


def _mixed_minority(h, rng, cycle):
    size = len(h.cluster.nodes)
    group = rng.sample(sorted(h.cluster.nodes), rng.randint(1, (size - 1) // 2))
    h.event("nodes %s cut from the others for %.1f s", group, h.hold_s)
    h.net.isolate(group)
    time.sleep(h.hold_s)
    h.heal()


def _mixed_replication(h, rng, cycle):
    a, b = rng.sample(sorted(h.cluster.nodes), 2)
    h.event("replication (data plane) cut between nodes %d and %d for %.1f s", a, b, h.hold_s)
    h.net.cut([a], [b], planes=(DATA,))
    time.sleep(h.hold_s)
    h.heal()


def _mixed_clients(h, rng, cycle):
    n = rng.choice(sorted(h.cluster.nodes))
    h.event("node %d cut from the clients for %.1f s", n, h.hold_s)
    h.net.cut([n], [HOST])
    time.sleep(h.hold_s)
    h.heal()


def _mixed_page_cache(h, rng, cycle):
    n = rng.choice(h.cluster.running())
    report = h.cluster.restart_losing_page_cache(n, h.topic, rng)
    h.event("node %d restarted without its unflushed tail: %s", n, _describe_cut(report))
    h.page_cache_losses += 1
    h.heal()


MIXED = [_mixed_kill, _mixed_pause, _mixed_minority, _mixed_replication, _mixed_clients, _mixed_page_cache, isr_shrink_then_leader_cut,
         double_failover, paused_past_session, last_isr_loses_unflushed]


def mixed(h, rng, cycle):
    fault = rng.choice(MIXED)
    h.event("mixed: %s", fault.__name__.lstrip("_"))
    fault(h, rng, cycle)


SCENARIOS = {
    "isr-shrink-then-leader-cut": isr_shrink_then_leader_cut,
    "double-failover": double_failover,
    "last-isr-loses-unflushed": last_isr_loses_unflushed,
    "paused-past-session": paused_past_session,
    "mixed": mixed,
}
