#!/usr/bin/env python3
"""Captures the exact request bytes real Kafka clients send, as golden files for Gregor's codecs.

  capture.py all [--out DIR]          run every scenario below against a fresh capture broker,
                                      save <client>-<Api>-v<version>[-<variant>].bin files and
                                      write golden.json (the index the protocol tests read)
  capture.py serve --client NAME      run the capture broker on 127.0.0.1:PORT for a client of
        [--port 9092] [--out DIR]     your own; on Ctrl-C save the first request of each API
        [--variant V]                 and version seen
        [--apiversions-max N]
  capture.py check [--out DIR]        re-verify the saved files against golden.json
  capture.py inspect FILE...          decode saved request files and print them as JSON

A saved file is one request frame without its 4-byte size prefix: request header, then body.
Python 3 standard library only; the clients come from scripts/install-clients.sh.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the golden folder (it is copied to test output)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import broker as capture_broker  # noqa: E402
import kafkawire  # noqa: E402
import schemas  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_CAPTURE_BYTES = 64 * 1024
CLIENT_TIMEOUT_SECONDS = 60

KCAT_RECORDS_INPUT = "key-1:value-1\nkey-2:value-2\nkey-3:value-3\n"
KCAT_RECORDS = [{"key": f"key-{i}", "value": f"value-{i}", "headers": [["a", "b"]]} for i in (1, 2, 3)]
KAFKAJS_RECORDS = KCAT_RECORDS
CONFLUENT_EDGE_RECORDS = [
    {"key": None, "value": "value-only", "headers": [], "timestamp": 1_700_000_000_001},
    {"key": "key-only", "value": None, "headers": [], "timestamp": 1_700_000_000_002},
    {"key": "", "value": "", "headers": [["empty", ""], ["null", None]], "timestamp": 1_700_000_000_003},
    {"key": {"hex": "00fffe"}, "value": "h\u00e9llo \u2713", "headers": [["bin", {"hex": "0001"}], ["a", "b"]],
     "timestamp": 1_700_000_000_004},
]


def save(api, variant="", version=None, nth=0, required=True):
    """Which request of a scenario to keep: the nth distinct request body of an API (and version)."""
    return {"api": api, "variant": variant, "version": version, "nth": nth, "required": required}


def kcat_produce(codec, *extra):
    return ["kcat", "-P", "-b", "{broker}", "-t", "golden", "-p", "0", "-K", ":", "-H", "a=b",
            "-z", codec, "-X", "linger.ms=100", *extra]


KCAT_GROUP = ["kcat", "-G", "golden-group", "-b", "{broker}", "-X", "auto.offset.reset=earliest",
              "-c", "1", "-f", "%k=%s %h\\n", "golden"]
KAFKAJS = ["node", os.path.join(HERE, "kafkajs-client.js"), "{broker}"]
CONFLUENT = ["/usr/bin/python3", os.path.join(HERE, "confluent-client.py"), "{broker}"]

# Each scenario: a client run against a fresh broker, and the requests to keep from it.
SCENARIOS = [
    {"name": "kcat-produce-none", "client": "kcat", "command": kcat_produce("none"), "stdin": KCAT_RECORDS_INPUT,
     "records": KCAT_RECORDS, "save": [save("ApiVersions"), save("Metadata"), save("Produce", "none")]},
    *[{"name": f"kcat-produce-{codec}", "client": "kcat", "command": kcat_produce(codec),
       "stdin": KCAT_RECORDS_INPUT, "records": KCAT_RECORDS, "save": [save("Produce", codec)]}
      for codec in ("gzip", "snappy", "lz4", "zstd")],
    {"name": "kcat-produce-idempotent", "client": "kcat",
     "command": kcat_produce("none", "-X", "enable.idempotence=true"), "stdin": KCAT_RECORDS_INPUT,
     "records": KCAT_RECORDS, "save": [save("InitProducerId"), save("Produce", "idempotent")]},
    {"name": "kcat-list", "client": "kcat", "command": ["kcat", "-L", "-b", "{broker}"],
     "save": [save("Metadata", "brokers-only", nth=0), save("Metadata", "all-topics", nth=1)]},
    {"name": "kcat-apiversions-fallback", "client": "kcat", "command": ["kcat", "-L", "-b", "{broker}"],
     "apiversions_max": 0, "save": [save("ApiVersions", version=0)]},
    {"name": "kcat-consume", "client": "kcat",
     "command": ["kcat", "-C", "-b", "{broker}", "-t", "golden", "-p", "0", "-o", "0", "-c", "1",
                 "-f", "%k=%s %h\\n"],
     "save": [save("Fetch")]},
    {"name": "kcat-group-consume", "client": "kcat", "command": KCAT_GROUP,
     "save": [save("FindCoordinator"), save("JoinGroup"), save("SyncGroup"), save("Heartbeat", required=False),
              save("OffsetFetch"), save("ListOffsets"), save("OffsetCommit"), save("LeaveGroup")]},
    {"name": "kafkajs-produce-none", "client": "kafkajs", "command": [*KAFKAJS, "produce-none"],
     "records": KAFKAJS_RECORDS, "save": [save("ApiVersions"), save("Metadata"), save("Produce", "none")]},
    {"name": "kafkajs-produce-gzip", "client": "kafkajs", "command": [*KAFKAJS, "produce-gzip"],
     "records": KAFKAJS_RECORDS, "save": [save("Produce", "gzip")]},
    {"name": "kafkajs-produce-idempotent", "client": "kafkajs", "command": [*KAFKAJS, "produce-idempotent"],
     "records": KAFKAJS_RECORDS,
     "save": [save("Metadata", "all-topics"), save("InitProducerId"), save("Produce", "idempotent")]},
    {"name": "kafkajs-consume", "client": "kafkajs", "command": [*KAFKAJS, "consume"],
     "save": [save("FindCoordinator"), save("JoinGroup"), save("SyncGroup"), save("Heartbeat", required=False),
              save("OffsetFetch"), save("ListOffsets"), save("Fetch"), save("OffsetCommit"), save("LeaveGroup")]},
    {"name": "confluent-python-create-topics", "client": "confluent-python",
     "command": [*CONFLUENT, "create-topics"], "save": [save("ApiVersions"), save("CreateTopics")]},
    {"name": "confluent-python-produce-edge-cases", "client": "confluent-python",
     "command": [*CONFLUENT, "produce-edge-cases"], "records": CONFLUENT_EDGE_RECORDS,
     "save": [save("Produce", "edge-cases")]},
]


# ---------------------------------------------------------------------------------------------
# Decoding a saved request for the index and for `inspect`


def jsonable(value):
    """Replace records (bytes) by their decoded batches so the whole body is plain JSON."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        batches = kafkawire.decode_batches(value)
        for batch in batches:
            batch["offsetInRecords"] = batch.pop("startInFrame")
        return {"sizeInBytes": len(value), "batches": batches}
    return value


def describe(payload):
    request = capture_broker.Request(payload, "file")
    entry = {"apiKey": request.api_key, "api": request.api_name, "apiVersion": request.api_version,
             "requestHeaderVersion": request.header_version, "correlationId": request.correlation_id,
             "clientId": request.client_id, "bodyOffset": request.body_offset, "size": len(payload)}
    if request.header_tagged_fields:
        entry["headerTaggedFields"] = request.header_tagged_fields
    api = schemas.ANSWERED.get(request.api_key)
    if api is not None:
        reader = kafkawire.Reader(payload, request.body_offset)
        entry["request"] = jsonable(api.request.decode(reader, request.api_version))
        if reader.remaining():
            raise kafkawire.MalformedError(f"{reader.remaining()} bytes left after the body")
    return entry


def flat_records(body):
    records = []
    for topic in body.get("TopicData", []):
        for partition in topic["PartitionData"]:
            for batch in (partition["Records"] or {"batches": []})["batches"]:
                for record in batch["records"]:
                    records.append((batch, record))
    return records


def check_records(entry, expected):
    """The decoded Produce records must be exactly what the client was told to send."""
    actual = flat_records(entry["request"])
    problems = []
    if len(actual) != len(expected):
        problems.append(f"{len(actual)} records, expected {len(expected)}")
    for index, ((batch, record), want) in enumerate(zip(actual, expected)):
        if not batch["crcValid"]:
            problems.append(f"record {index}: batch CRC32C does not match")
        for field in ("key", "value", "headers"):
            if record[field] != want[field]:
                problems.append(f"record {index}: {field} {record[field]!r}, expected {want[field]!r}")
        if "timestamp" in want and batch["baseTimestamp"] + record["timestampDelta"] != want["timestamp"]:
            problems.append(f"record {index}: timestamp differs")
    if problems:
        raise SystemExit(f"{entry['file']}: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# Running scenarios


def client_versions():
    kcat = subprocess.run(["kcat", "-V"], capture_output=True, text=True).stdout
    kcat_line = next((line for line in kcat.splitlines() if line.startswith("Version")), "").strip()
    kafkajs = subprocess.run(["node", "-e", "console.log(require(require.resolve('kafkajs/package.json',"
                              "{paths:[process.argv[1]]})).version, process.version)",
                              os.path.join(HERE, "../../interop/node")],
                             capture_output=True, text=True).stdout.split()
    confluent = subprocess.run(["/usr/bin/python3", "-c", "import confluent_kafka as c;"
                                "print(c.version()[0], c.libversion()[0])"],
                               capture_output=True, text=True).stdout.split()
    return {
        "kcat": f"kcat {kcat_line.split()[1]} (librdkafka {kcat_line.split('librdkafka ')[1].split()[0]})",
        "kafkajs": f"kafkajs {kafkajs[0]} on node {kafkajs[1]}",
        "confluent-python": f"confluent-kafka-python {confluent[0]} (librdkafka {confluent[1]}) on /usr/bin/python3",
    }


def body_key(request):
    # Identical requests that differ only in correlation id count as one.
    return (request.api_version, request.payload[:4] + request.payload[8:])


def run_scenario(scenario, out_dir):
    server = capture_broker.CaptureServer("127.0.0.1", 0, scenario.get("apiversions_max")).start()
    address = f"127.0.0.1:{server.broker.port}"
    command = [part.replace("{broker}", address) for part in scenario["command"]]
    capture_broker.log(f"scenario {scenario['name']}: {' '.join(command)}")
    try:
        result = subprocess.run(command, input=scenario.get("stdin"), text=True, capture_output=True,
                                timeout=CLIENT_TIMEOUT_SECONDS)
    finally:
        server.stop()
    if result.returncode != 0:
        raise SystemExit(f"{scenario['name']}: client exited {result.returncode}:\n{result.stderr}")
    time.sleep(0.1)  # let connection threads finish recording

    entries = []
    for rule in scenario["save"]:
        distinct = []
        for request in server.broker.requests:
            if request.api_name != rule["api"]:
                continue
            if rule["version"] is not None and request.api_version != rule["version"]:
                continue
            if body_key(request) not in [body_key(r) for r in distinct]:
                distinct.append(request)
        if len(distinct) <= rule["nth"]:
            if rule["required"]:
                raise SystemExit(f"{scenario['name']}: no request #{rule['nth']} of {rule['api']}")
            capture_broker.log(f"{scenario['name']}: optional {rule['api']} not sent; skipped")
            continue
        request = distinct[rule["nth"]]
        suffix = f"-{rule['variant']}" if rule["variant"] else ""
        name = f"{scenario['client']}-{request.api_name}-v{request.api_version}{suffix}.bin"
        if len(request.payload) > MAX_CAPTURE_BYTES:
            raise SystemExit(f"{name}: {len(request.payload)} bytes, over the {MAX_CAPTURE_BYTES} limit")
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(request.payload)
        entry = {"file": name, "client": scenario["client"], "scenario": scenario["name"],
                 "command": " ".join(scenario["command"]).replace(HERE + "/", ""),
                 "variant": rule["variant"] or None,
                 "sha256": hashlib.sha256(request.payload).hexdigest()}
        entry.update(describe(request.payload))
        if request.api_name == "Produce":
            entry["expectedRecords"] = scenario["records"]
            check_records(entry, scenario["records"])
        entries.append(entry)
        capture_broker.log(f"saved {name} ({len(request.payload)} bytes)")
    return entries


def capture_all(out_dir):
    for tool in ("kcat", "node", "/usr/bin/python3"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: run scripts/install-clients.sh")
    for old in os.listdir(out_dir):
        if old.endswith(".bin"):
            os.remove(os.path.join(out_dir, old))
    entries = []
    for scenario in SCENARIOS:
        entries.extend(run_scenario(scenario, out_dir))
    index = {
        "about": "Request frames captured from real Kafka clients by capture.py (see README.md). "
                 "Each .bin file is one request without its 4-byte size prefix. 'request' is the "
                 "body decoded by capture.py's own decoder (bytes fields as hex, records as decoded "
                 "batches); 'expectedRecords' is what the client was told to send.",
        "clients": client_versions(),
        "broker": {"nodeId": capture_broker.NODE_ID, "topic": capture_broker.GOLDEN_TOPIC,
                   "partitions": 1, "clusterId": capture_broker.CLUSTER_ID},
        "captures": entries,
    }
    with open(os.path.join(out_dir, "golden.json"), "w") as f:
        json.dump(index, f, indent=1, ensure_ascii=False)
        f.write("\n")
    capture_broker.log(f"{len(entries)} captures written to {out_dir}")


# ---------------------------------------------------------------------------------------------
# Manual capture and inspection


def serve(args):
    server = capture_broker.CaptureServer("127.0.0.1", args.port, args.apiversions_max)
    capture_broker.log(f"listening on 127.0.0.1:{server.broker.port}; Ctrl-C to save and stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    seen = set()
    suffix = f"-{args.variant}" if args.variant else ""
    for request in server.broker.requests:
        key = (request.api_key, request.api_version)
        if key in seen:
            continue
        seen.add(key)
        name = f"{args.client}-{request.api_name}-v{request.api_version}{suffix}.bin"
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(request.payload)
        capture_broker.log(f"saved {name} ({len(request.payload)} bytes)")


def check(out_dir):
    """Re-verify the saved files against golden.json: hash, decoded header and body, records, and
    that re-encoding the decoded body reproduces the captured bytes exactly."""
    with open(os.path.join(out_dir, "golden.json")) as f:
        index = json.load(f)
    for entry in index["captures"]:
        with open(os.path.join(out_dir, entry["file"]), "rb") as f:
            payload = f.read()
        if hashlib.sha256(payload).hexdigest() != entry["sha256"]:
            raise SystemExit(f"{entry['file']}: sha256 differs from golden.json")
        fresh = describe(payload)
        for key, value in fresh.items():
            if entry.get(key) != value:
                raise SystemExit(f"{entry['file']}: {key} differs from golden.json")
        request = capture_broker.Request(payload, "file")
        api = schemas.ANSWERED[request.api_key]
        body = api.request.decode(kafkawire.Reader(payload, request.body_offset), request.api_version)
        if api.request.encode(body, request.api_version) != payload[request.body_offset:]:
            raise SystemExit(f"{entry['file']}: re-encoding the decoded body gives other bytes")
        if "expectedRecords" in entry:
            check_records(entry, entry["expectedRecords"])
    print(f"{len(index['captures'])} captures match golden.json")


def inspect(files):
    for path in files:
        with open(path, "rb") as f:
            entry = {"file": path}
            entry.update(describe(f.read()))
        print(json.dumps(entry, indent=1, ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    all_parser = commands.add_parser("all")
    all_parser.add_argument("--out", default=HERE)
    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--client", required=True)
    serve_parser.add_argument("--port", type=int, default=9092)
    serve_parser.add_argument("--out", default=".")
    serve_parser.add_argument("--variant", default="")
    serve_parser.add_argument("--apiversions-max", type=int, default=None)
    check_parser = commands.add_parser("check")
    check_parser.add_argument("--out", default=HERE)
    inspect_parser = commands.add_parser("inspect")
    inspect_parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    if args.command == "all":
        capture_all(args.out)
    elif args.command == "check":
        check(args.out)
    elif args.command == "serve":
        serve(args)
    else:
        inspect(args.files)


if __name__ == "__main__":
    main()
