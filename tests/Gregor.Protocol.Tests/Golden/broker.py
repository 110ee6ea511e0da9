"""A stand-in broker for capturing client requests: one node (id 1), topic `golden` with one
partition holding one record, and just enough of each API for a real client to carry on.

It answers at whatever version the client chose (within the advertised ranges) and records every
request it receives, byte for byte, for the capture runner to save.
"""

import socket
import socketserver
import struct
import sys
import threading
import time
import uuid

import kafkawire
import schemas

NODE_ID = 1
CLUSTER_ID = "golden-capture"
GOLDEN_TOPIC = "golden"
MAX_FRAME = 1024 * 1024

# Error codes used here.
NONE, OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION = 0, 1, 3
UNSUPPORTED_VERSION, TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_ID = 35, 36, 100

# The record every fetch of offset 0 returns (and its fixed timestamp: 2023-11-14T22:13:20Z).
FETCHED_RECORD = (b"fetched-key", b"fetched-value", [(b"a", b"b")])
FETCHED_TIMESTAMP = 1_700_000_000_000


def topic_id(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "gregor-golden/" + name))


class Request:
    """One request frame as received, with its header read and (when answered) its body decoded."""

    def __init__(self, payload, client_address):
        self.payload = payload
        self.client_address = client_address
        r = kafkawire.Reader(payload)
        self.api_key = r.int16()
        self.api_version = r.int16()
        self.correlation_id = r.int32()
        self.api_name = schemas.API_NAMES.get(self.api_key, f"Api{self.api_key}")
        self.header_version = schemas.request_header_version(self.api_key, self.api_version)
        self.client_id = None
        if self.header_version >= 1:
            length = r.int16()
            self.client_id = r.take(length).decode("utf-8") if length >= 0 else None
        self.header_tagged_fields = {}
        if self.header_version >= 2:
            for _ in range(r.uvarint()):
                tag = r.uvarint()
                self.header_tagged_fields[str(tag)] = r.take(r.uvarint()).hex()
        self.body_offset = r.pos
        self.body = None
        self.decode_error = None
        self.answered = False
        self.received_at = time.time()


class GoldenBroker:
    def __init__(self, host, port, apiversions_max=None):
        self.host = host
        self.port = port
        # Highest ApiVersions version accepted; above it the client gets UNSUPPORTED_VERSION
        # (used to make librdkafka fall back to ApiVersions v0).
        self.apiversions_max = apiversions_max
        self.topics = {GOLDEN_TOPIC: 1}
        self.next_offset = {}
        self.group_assignment = {}
        self.lock = threading.Lock()
        self.requests = []

    # --- the advertised API list ------------------------------------------------------------

    def advertised(self):
        keys = []
        for key in sorted(schemas.ANSWERED):
            api = schemas.ANSWERED[key]
            high = api.max_version
            if key == 18 and self.apiversions_max is not None:
                high = self.apiversions_max
            keys.append({"ApiKey": key, "MinVersion": api.min_version, "MaxVersion": high})
        return keys

    # --- dispatch -----------------------------------------------------------------------------

    def handle(self, request):
        """The response frame (header + body) for a request, or None to send nothing."""
        api = schemas.ANSWERED.get(request.api_key)
        if api is None:
            raise ConnectionAbortedError(f"{request.api_name} is not answered by the capture broker")
        if request.api_key == 18 and not self._apiversions_supported(request.api_version):
            # Answer in the v0 layout, which every client can read, with the supported range.
            body = api.response.encode({"ErrorCode": UNSUPPORTED_VERSION,
                                        "ApiKeys": self.advertised()}, 0)
            return struct.pack(">i", request.correlation_id) + body
        if not api.min_version <= request.api_version <= api.max_version:
            raise ConnectionAbortedError(f"{request.api_name} v{request.api_version} is outside "
                                         f"{api.min_version}-{api.max_version}")
        reader = kafkawire.Reader(request.payload, request.body_offset)
        request.body = api.request.decode(reader, request.api_version)
        if reader.remaining():
            raise kafkawire.MalformedError(f"{reader.remaining()} bytes after the {request.api_name} body")
        handler = getattr(self, "on_" + request.api_name)
        with self.lock:
            response = handler(request.body, request.api_version)
        if response is None:
            return None
        body = api.response.encode(response, request.api_version)
        header = struct.pack(">i", request.correlation_id)
        if schemas.response_header_version(request.api_key, request.api_version) == 1:
            header += b"\x00"  # no tagged fields
        return header + body

    def _apiversions_supported(self, version):
        high = schemas.ANSWERED[18].max_version if self.apiversions_max is None else self.apiversions_max
        return version <= high

    # --- handlers: each returns the response body as a dict ------------------------------------

    def on_ApiVersions(self, body, version):
        return {"ErrorCode": NONE, "ApiKeys": self.advertised(), "ThrottleTimeMs": 0}

    def _broker(self):
        return {"NodeId": NODE_ID, "Host": self.host, "Port": self.port, "Rack": None}

    def _topic_metadata(self, name, version):
        if name not in self.topics:
            return {"ErrorCode": UNKNOWN_TOPIC_OR_PARTITION, "Name": name, "TopicId": topic_id(name),
                    "Partitions": [], "TopicAuthorizedOperations": -2147483648}
        partitions = [{"ErrorCode": NONE, "PartitionIndex": p, "LeaderId": NODE_ID, "LeaderEpoch": 0,
                       "ReplicaNodes": [NODE_ID], "IsrNodes": [NODE_ID], "OfflineReplicas": []}
                      for p in range(self.topics[name])]
        return {"ErrorCode": NONE, "Name": name, "TopicId": topic_id(name), "IsInternal": False,
                "Partitions": partitions, "TopicAuthorizedOperations": -2147483648}

    def on_Metadata(self, body, version):
        requested = body["Topics"]
        if requested is None or (version == 0 and not requested):
            names = sorted(self.topics)
        else:
            by_id = {topic_id(n): n for n in self.topics}
            names = [t["Name"] if t.get("Name") is not None else by_id.get(t.get("TopicId"), "")
                     for t in requested]
        return {"ThrottleTimeMs": 0, "Brokers": [self._broker()], "ClusterId": CLUSTER_ID,
                "ControllerId": NODE_ID,
                "Topics": [self._topic_metadata(n, version) for n in names],
                "ClusterAuthorizedOperations": -2147483648}

    def on_Produce(self, body, version):
        responses = []
        for topic in body["TopicData"]:
            partitions = []
            for partition in topic["PartitionData"]:
                key = (topic["Name"], partition["Index"])
                if topic["Name"] not in self.topics or partition["Index"] >= self.topics[topic["Name"]]:
                    partitions.append({"Index": partition["Index"], "ErrorCode": UNKNOWN_TOPIC_OR_PARTITION,
                                       "BaseOffset": -1, "LogAppendTimeMs": -1, "LogStartOffset": -1})
                    continue
                base = self.next_offset.get(key, 0)
                count = sum(b["recordCount"] for b in kafkawire.decode_batches(partition["Records"] or b""))
                self.next_offset[key] = base + count
                partitions.append({"Index": partition["Index"], "ErrorCode": NONE, "BaseOffset": base,
                                   "LogAppendTimeMs": -1, "LogStartOffset": 0})
            responses.append({"Name": topic["Name"], "PartitionResponses": partitions})
        if body["Acks"] == 0:
            return None  # acks=0: the client expects no answer
        return {"Responses": responses, "ThrottleTimeMs": 0}

    def on_Fetch(self, body, version):
        by_id = {topic_id(n): n for n in self.topics}
        responses = []
        wait = False
        for topic in body["Topics"]:
            name = topic.get("Topic") if version <= 12 else by_id.get(topic["TopicId"])
            partitions = []
            for partition in topic["Partitions"]:
                offset = partition["FetchOffset"]
                data = {"PartitionIndex": partition["Partition"], "HighWatermark": 1,
                        "LastStableOffset": 1, "LogStartOffset": 0, "AbortedTransactions": None,
                        "PreferredReadReplica": -1, "Records": b""}
                if name is None:
                    data.update(ErrorCode=UNKNOWN_TOPIC_ID, HighWatermark=-1, LastStableOffset=-1,
                                LogStartOffset=-1)
                elif name != GOLDEN_TOPIC or partition["Partition"] != 0:
                    data.update(ErrorCode=UNKNOWN_TOPIC_OR_PARTITION, HighWatermark=-1,
                                LastStableOffset=-1, LogStartOffset=-1)
                elif offset == 0:
                    data.update(ErrorCode=NONE, Records=kafkawire.encode_batch(0, FETCHED_TIMESTAMP, [FETCHED_RECORD]))
                elif offset == 1:
                    data.update(ErrorCode=NONE)
                    wait = True
                else:
                    data.update(ErrorCode=OFFSET_OUT_OF_RANGE)
                partitions.append(data)
            entry = {"Topic": name or "", "Partitions": partitions}
            if version >= 13:
                entry["TopicId"] = topic["TopicId"]
            responses.append(entry)
        if wait and not any(p["Records"] for t in responses for p in t["Partitions"]):
            # Nothing new: hold the answer like a broker waiting for MinBytes (capped, so the
            # capture stays quick), instead of letting the client spin.
            self.lock.release()
            try:
                time.sleep(min(body["MaxWaitMs"], 500) / 1000)
            finally:
                self.lock.acquire()
        return {"ThrottleTimeMs": 0, "ErrorCode": NONE, "SessionId": 0, "Responses": responses}

    def on_ListOffsets(self, body, version):
        topics = []
        for topic in body["Topics"]:
            partitions = []
            for partition in topic["Partitions"]:
                known = topic["Name"] in self.topics and partition["PartitionIndex"] < self.topics[topic["Name"]]
                end = 1 if topic["Name"] == GOLDEN_TOPIC else 0
                offset = end if partition["Timestamp"] == -1 else 0
                partitions.append({"PartitionIndex": partition["PartitionIndex"],
                                   "ErrorCode": NONE if known else UNKNOWN_TOPIC_OR_PARTITION,
                                   "OldStyleOffsets": [offset], "Timestamp": -1, "Offset": offset,
                                   "LeaderEpoch": 0})
            topics.append({"Name": topic["Name"], "Partitions": partitions})
        return {"ThrottleTimeMs": 0, "Topics": topics}

    def on_OffsetForLeaderEpoch(self, body, version):
        topics = []
        for topic in body["Topics"]:
            partitions = [{"ErrorCode": NONE, "Partition": p["Partition"], "LeaderEpoch": 0,
                           "EndOffset": 1 if topic["Topic"] == GOLDEN_TOPIC else 0}
                          for p in topic["Partitions"]]
            topics.append({"Topic": topic["Topic"], "Partitions": partitions})
        return {"ThrottleTimeMs": 0, "Topics": topics}

    def on_FindCoordinator(self, body, version):
        keys = body.get("CoordinatorKeys") or [body.get("Key", "")]
        return {"ThrottleTimeMs": 0, "ErrorCode": NONE, "ErrorMessage": None, "NodeId": NODE_ID,
                "Host": self.host, "Port": self.port,
                "Coordinators": [{"Key": k, "NodeId": NODE_ID, "Host": self.host, "Port": self.port,
                                  "ErrorCode": NONE, "ErrorMessage": None} for k in keys]}

    def on_InitProducerId(self, body, version):
        return {"ThrottleTimeMs": 0, "ErrorCode": NONE, "ProducerId": 4000, "ProducerEpoch": 0}

    def on_CreateTopics(self, body, version):
        results = []
        for topic in body["Topics"]:
            exists = topic["Name"] in self.topics
            partitions = topic["NumPartitions"] if topic["NumPartitions"] > 0 else 1
            if not exists and not body.get("ValidateOnly"):
                self.topics[topic["Name"]] = partitions
            results.append({"Name": topic["Name"], "TopicId": topic_id(topic["Name"]),
                            "ErrorCode": TOPIC_ALREADY_EXISTS if exists else NONE,
                            "ErrorMessage": "topic exists" if exists else None,
                            "NumPartitions": partitions,
                            "ReplicationFactor": max(topic["ReplicationFactor"], 1), "Configs": []})
        return {"ThrottleTimeMs": 0, "Topics": results}

    # A group of one: the joining member is the leader and gets back what it assigns itself.

    def on_JoinGroup(self, body, version):
        member = body["MemberId"] or "golden-member-1"
        protocol = body["Protocols"][0]
        return {"ThrottleTimeMs": 0, "ErrorCode": NONE, "GenerationId": 1,
                "ProtocolType": body["ProtocolType"], "ProtocolName": protocol["Name"],
                "Leader": member, "SkipAssignment": False, "MemberId": member,
                "Members": [{"MemberId": member, "GroupInstanceId": body.get("GroupInstanceId"),
                             "Metadata": bytes.fromhex(protocol["Metadata"])}]}

    def on_SyncGroup(self, body, version):
        mine = [a for a in body["Assignments"] if a["MemberId"] == body["MemberId"]]
        if mine:
            self.group_assignment[body["GroupId"]] = bytes.fromhex(mine[0]["Assignment"])
        return {"ThrottleTimeMs": 0, "ErrorCode": NONE, "ProtocolType": body.get("ProtocolType"),
                "ProtocolName": body.get("ProtocolName"),
                "Assignment": self.group_assignment.get(body["GroupId"], b"")}

    def on_Heartbeat(self, body, version):
        return {"ThrottleTimeMs": 0, "ErrorCode": NONE}

    def on_LeaveGroup(self, body, version):
        members = [{"MemberId": m["MemberId"], "GroupInstanceId": m.get("GroupInstanceId"),
                    "ErrorCode": NONE} for m in body.get("Members", [])]
        return {"ThrottleTimeMs": 0, "ErrorCode": NONE, "Members": members}

    def on_OffsetFetch(self, body, version):
        def topics_of(requested):
            return [{"Name": t["Name"], "Partitions": [
                {"PartitionIndex": p, "CommittedOffset": -1, "CommittedLeaderEpoch": -1,
                 "Metadata": "", "ErrorCode": NONE} for p in t["PartitionIndexes"]]}
                for t in (requested or [])]
        if version >= 8:
            return {"ThrottleTimeMs": 0, "Groups": [
                {"GroupId": g["GroupId"], "Topics": topics_of(g["Topics"]), "ErrorCode": NONE}
                for g in body["Groups"]]}
        return {"ThrottleTimeMs": 0, "Topics": topics_of(body["Topics"]), "ErrorCode": NONE}

    def on_OffsetCommit(self, body, version):
        return {"ThrottleTimeMs": 0, "Topics": [
            {"Name": t["Name"], "Partitions": [{"PartitionIndex": p["PartitionIndex"], "ErrorCode": NONE}
                                               for p in t["Partitions"]]}
            for t in body["Topics"]]}


# ---------------------------------------------------------------------------------------------
# The TCP side


def read_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


class ConnectionHandler(socketserver.BaseRequestHandler):
    def handle(self):
        broker = self.server.broker
        sock = self.request
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        while True:
            size_bytes = read_exactly(sock, 4)
            if size_bytes is None:
                return
            size = struct.unpack(">i", size_bytes)[0]
            if size < 8 or size > MAX_FRAME:
                log(f"{peer}: frame size {size} outside 8..{MAX_FRAME}; closing")
                return
            payload = read_exactly(sock, size)
            if payload is None:
                return
            try:
                request = Request(payload, peer)
            except kafkawire.MalformedError as error:
                log(f"{peer}: unreadable request header ({error}); closing")
                return
            with broker.lock:
                broker.requests.append(request)
            try:
                response = broker.handle(request)
            except (ConnectionAbortedError, kafkawire.MalformedError) as error:
                request.decode_error = str(error)
                log(f"{peer}: {request.api_name} v{request.api_version}: {error}; closing")
                return
            request.answered = True
            log(f"{peer}: {request.client_id} {request.api_name} v{request.api_version} "
                f"corr={request.correlation_id} {size} bytes")
            if response is not None:
                sock.sendall(struct.pack(">i", len(response)) + response)


class CaptureServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host, port, apiversions_max=None):
        super().__init__((host, port), ConnectionHandler)
        self.broker = GoldenBroker(host, self.server_address[1], apiversions_max)

    def start(self):
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


def log(message):
    print(f"[capture] {message}", file=sys.stderr, flush=True)
