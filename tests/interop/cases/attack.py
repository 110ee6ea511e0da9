"""One of issue 11's attacks against a broker of its own, while a normal confluent-kafka client
produces (capped at 5,000 1 KiB messages a second) and consumes: the broker must survive, the
normal client must see no error and keep at least half its throughput, the broker's RSS must not
rise by more than its memory budget (256 MiB here) and must come back near its baseline once the
attackers have gone. The attack's own outcome is checked too (connections over the limits closed,
idle and non-reading clients closed in time). See lib/siege.py and lib/attacks.py.

  attack.py prefixes|big-bodies|connections|idle|slow-readers|fetch-flood|fan-out
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from interop import check, env, log, scratch  # noqa: E402
from siege import MIB, Siege  # noqa: E402

BUDGET = 256 * MIB  # queued.max.request.bytes 128 MiB, max.connections 1024, receive blocks 32 MiB
IDLE_MS, WRITE_TIMEOUT_MS = 3000, 3000
FETCH_MAX_BYTES = 8 << 20  # below what the flood asks (2^31-1) and what the topic holds (40 MB)



def all_prefixes_held(s):
    check(s["open"] == s["connections"], "size-prefix connections were closed: %s", s)


def bodies_sent(s):
    check(s["sent_mb"] > 128, "the attackers sent only %d MB: the attack did not reach the budget", s["sent_mb"])


def connection_limits_held(s):
    for source, by in s["by_source"].items():
        check(by["open"] <= 600, "over max.connections.per.ip from %s: %s", source, by)
    check(sum(by["open"] for by in s["by_source"].values()) <= 1024, "over max.connections: %s", s)


def idle_closed_in_time(s):
    for kind in ("silent", "trickle"):
        check(s[kind]["closed_by_broker"] == s[kind]["connections"]
              and s[kind]["longest_open_s"] <= IDLE_MS / 1000 + 10, "%s connections not closed in time: %s", kind, s)


def slow_readers_closed_in_time(s):
    check(s["closed_by_broker"] >= s["connections"] and s["longest_open_s"] <= WRITE_TIMEOUT_MS / 1000 + 10,
          "clients that stop reading were not closed in time: %s", s)


def flood_served_within_fetch_max_bytes(s):
    check(s["responses"] >= s["connections"], "the flooding connections got only %d responses: %s", s["responses"], s)
    check(s["largest_response_mb"] <= FETCH_MAX_BYTES / 1e6 + 0.1, "a response of %.1f MB, over fetch.max.bytes %d",
          s["largest_response_mb"], FETCH_MAX_BYTES)


def fan_out_refused(s):
    check(s["closed_by_broker"] >= s["connections"] and s["answered"] == 0,
          "Produce requests naming more than max.request.partitions were not refused by closing: %s", s)


# attack -> (its parameters, extra broker settings, check of what it saw)
CASES = {
    "prefixes": ({"count": 900}, [], all_prefixes_held),
    "big-bodies": ({"count": 60, "rate_mb_s": 200}, [], bodies_sent),
    "connections": ({"per_address": 800}, ["max.connections.per.ip=600"], connection_limits_held),
    "idle": ({"silent": 50, "trickle": 50}, ["connections.max.idle.ms=%d" % IDLE_MS], idle_closed_in_time),
    "slow-readers": ({"count": 5, "fill_mb": 40}, ["socket.write.timeout.ms=%d" % WRITE_TIMEOUT_MS],
                     slow_readers_closed_in_time),
    "fetch-flood": ({"count": 10, "partitions": 10, "fill_mb": 4}, ["fetch.max.bytes=%d" % FETCH_MAX_BYTES],
                    flood_served_within_fetch_max_bytes),
    "fan-out": ({"count": 3, "partitions": 1_000_000}, [], fan_out_refused),
}

name = sys.argv[1]
params, settings, check_attack = CASES[name]
settings = ["memory.budget.bytes=%d" % BUDGET, "log.retention.check.interval.ms=1000"] + settings
figures = Siege(env("GREGOR_DLL"), scratch(name), name, params, settings, BUDGET, warmup=3, window=8,
                cap=5000).run()
log("%s", json.dumps(figures))
check(figures["broker_alive"], "the broker died")
check(figures["legit_errors"] == 0, "the normal client saw %d errors, the last: %s", figures["legit_errors"],
      figures["legit_last_error"])
for key in ("acked", "consumed"):
    check(figures["%s_per_s_during" % key] >= figures["%s_per_s_before" % key] / 2,
          "the normal client's %s rate fell from %d/s to %d/s", key, figures["%s_per_s_before" % key],
          figures["%s_per_s_during" % key])
check(figures["rss_over_baseline_mib"] <= figures["budget_mib"], "RSS rose %d MiB over its baseline, budget %d MiB",
      figures["rss_over_baseline_mib"], figures["budget_mib"])
check(figures["recovered_s"] is not None, "RSS stayed at %d MiB, baseline %d MiB", figures["rss_after_mib"],
      figures["rss_baseline_mib"])
check_attack(figures["attack_stats"])
log("%s: legit %d -> %d acked/s, RSS %d MiB + %d at peak (budget %d), back near baseline %.1f s after",
    name, figures["acked_per_s_before"], figures["acked_per_s_during"], figures["rss_baseline_mib"],
    figures["rss_over_baseline_mib"], figures["budget_mib"], figures["recovered_s"])
