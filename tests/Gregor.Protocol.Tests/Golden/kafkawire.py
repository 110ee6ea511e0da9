"""Kafka wire encoding for the golden-capture tool: primitives, a small schema notation with a
generic encoder/decoder, and RecordBatch v2 (CRC32C, the four codecs) for inspecting captures.

Python 3 standard library only. Written for this project as an independent check on Gregor's
own codecs, so it shares no code with them.
"""

import ctypes
import ctypes.util
import gzip
import struct
import uuid

# ---------------------------------------------------------------------------------------------
# Primitives


class MalformedError(ValueError):
    """The bytes do not follow the expected layout."""


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data = memoryview(data)
        self.pos = pos
        self.end = len(data) if end is None else end

    def remaining(self):
        return self.end - self.pos

    def take(self, n):
        if n < 0 or n > self.remaining():
            raise MalformedError(f"need {n} bytes at offset {self.pos}, {self.remaining()} left")
        chunk = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return chunk

    def _fixed(self, fmt, size):
        return struct.unpack(fmt, self.take(size))[0]

    def int8(self): return self._fixed(">b", 1)
    def int16(self): return self._fixed(">h", 2)
    def uint16(self): return self._fixed(">H", 2)
    def int32(self): return self._fixed(">i", 4)
    def uint32(self): return self._fixed(">I", 4)
    def int64(self): return self._fixed(">q", 8)
    def float64(self): return self._fixed(">d", 8)

    def bool(self):
        value = self.int8()
        if value not in (0, 1):
            raise MalformedError(f"bool byte {value} at offset {self.pos - 1}")
        return value == 1

    def uvarint(self, max_bytes=5):
        result = shift = 0
        for _ in range(max_bytes):
            byte = self.take(1)[0]
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7
        raise MalformedError(f"varint longer than {max_bytes} bytes at offset {self.pos}")

    def varint(self):
        raw = self.uvarint(5)
        return (raw >> 1) ^ -(raw & 1)

    def varlong(self):
        raw = self.uvarint(10)
        return (raw >> 1) ^ -(raw & 1)

    def uuid(self):
        return str(uuid.UUID(bytes=self.take(16)))


class Writer:
    def __init__(self):
        self.buf = bytearray()

    def raw(self, data): self.buf += data
    def int8(self, v): self.buf += struct.pack(">b", v)
    def int16(self, v): self.buf += struct.pack(">h", v)
    def uint16(self, v): self.buf += struct.pack(">H", v)
    def int32(self, v): self.buf += struct.pack(">i", v)
    def uint32(self, v): self.buf += struct.pack(">I", v)
    def int64(self, v): self.buf += struct.pack(">q", v)
    def float64(self, v): self.buf += struct.pack(">d", v)
    def bool(self, v): self.int8(1 if v else 0)

    def uvarint(self, v):
        while v >= 0x80:
            self.buf.append((v & 0x7F) | 0x80)
            v >>= 7
        self.buf.append(v)

    def varint(self, v): self.uvarint(((v << 1) ^ (v >> 31)) & 0xFFFFFFFF)
    def varlong(self, v): self.uvarint(((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF)

    def uuid(self, v): self.buf += uuid.UUID(v).bytes


# ---------------------------------------------------------------------------------------------
# Versions and the schema notation
#
# A message is a block of lines "Name type [v=R] [null=R] [tag=N] [default=X]", two spaces of
# indentation per nesting level; a struct or []struct field has its fields on the deeper lines
# under it. R is "3", "3+", "3-7" or "none"; without v= a field is in every version. Types:
# bool int8 int16 uint16 int32 uint32 int64 float64 string bytes records uuid, []<primitive>,
# or any other name for a struct.

PRIMITIVES = {"bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64",
              "string", "bytes", "records", "uuid"}


def parse_range(text):
    if text == "none":
        return (1, 0)
    if text.endswith("+"):
        return (int(text[:-1]), 0x7FFF)
    if "-" in text:
        low, high = text.split("-")
        return (int(low), int(high))
    return (int(text), int(text))


def in_range(version, bounds):
    return bounds is not None and bounds[0] <= version <= bounds[1]


class Field:
    def __init__(self, name, type_, versions, nullable, tag, default):
        self.name = name
        self.type = type_
        self.versions = versions
        self.nullable = nullable
        self.tag = tag
        self.default = default
        self.fields = []  # struct members

    @property
    def is_array(self): return self.type.startswith("[]")

    @property
    def element(self): return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self): return self.element not in PRIMITIVES


def parse_default(text):
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    return int(text, 0)


def parse_schema(text):
    root = []
    stack = [(-1, root)]
    for line in text.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        name, type_, *attributes = line.split()
        options = dict(a.split("=", 1) for a in attributes)
        field = Field(name, type_, parse_range(options.get("v", "0+")),
                      parse_range(options["null"]) if "null" in options else None,
                      int(options["tag"]) if "tag" in options else None,
                      parse_default(options["default"]) if "default" in options else 0)
        while stack[-1][0] >= indent:
            stack.pop()
        stack[-1][1].append(field)
        stack.append((indent, field.fields))
    return root


class Message:
    """One request or response body: its versions, first flexible version and fields."""

    def __init__(self, versions, flexible_from, schema_text):
        self.versions = parse_range(versions)
        self.flexible_from = flexible_from
        self.fields = parse_schema(schema_text)

    def is_flexible(self, version):
        return self.flexible_from is not None and version >= self.flexible_from

    def decode(self, reader, version):
        return decode_struct(reader, self.fields, version, self.is_flexible(version))

    def encode(self, value, version):
        writer = Writer()
        encode_struct(writer, self.fields, value, version, self.is_flexible(version))
        return bytes(writer.buf)


# ---------------------------------------------------------------------------------------------
# Generic decoding into plain dicts (bytes as hex strings, records kept as bytes)

MAX_ARRAY = 100_000


def decode_value(r, field, element_type, version, flexible, nullable):
    t = element_type
    if t in ("int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "bool"):
        return getattr(r, t)()
    if t == "uuid":
        return r.uuid()
    if t == "string":
        if flexible:
            n = r.uvarint() - 1
        else:
            n = r.int16()
        if n < 0:
            if not nullable:
                raise MalformedError(f"null {field.name} where not nullable")
            return None
        return r.take(n).decode("utf-8")
    if t in ("bytes", "records"):
        n = r.uvarint() - 1 if flexible else r.int32()
        if n < 0:
            if not nullable:
                raise MalformedError(f"null {field.name} where not nullable")
            return None
        data = r.take(n)
        return data if t == "records" else data.hex()
    return decode_struct(r, field.fields, version, flexible)


def decode_field(r, field, version, flexible):
    nullable = in_range(version, field.nullable)
    if field.is_array:
        count = r.uvarint() - 1 if flexible else r.int32()
        if count < 0:
            if not nullable:
                raise MalformedError(f"null array {field.name} where not nullable")
            return None
        if count > min(MAX_ARRAY, r.remaining()):
            raise MalformedError(f"array {field.name} claims {count} elements")
        return [decode_value(r, field, field.element, version, flexible, False) for _ in range(count)]
    if field.is_struct and nullable:
        if r.int8() < 0:
            return None
    return decode_value(r, field, field.element, version, flexible, nullable)


def decode_struct(r, fields, version, flexible):
    value = {}
    for field in fields:
        if field.tag is None and in_range(version, field.versions):
            value[field.name] = decode_field(r, field, version, flexible)
    if flexible:
        unknown = {}
        for _ in range(r.uvarint()):
            tag = r.uvarint()
            size = r.uvarint()
            if size > r.remaining():
                raise MalformedError(f"tagged field {tag} claims {size} bytes")
            sub = Reader(r.data, r.pos, r.pos + size)
            r.pos += size
            known = [f for f in fields if f.tag == tag and in_range(version, f.versions)]
            if known:
                value[known[0].name] = decode_field(sub, known[0], version, flexible)
                if sub.remaining():
                    raise MalformedError(f"tagged field {known[0].name} has {sub.remaining()} extra bytes")
            else:
                unknown[str(tag)] = sub.take(size).hex()
        if unknown:
            value["_unknownTaggedFields"] = unknown
    return value


# ---------------------------------------------------------------------------------------------
# Generic encoding from plain dicts (bytes given as bytes or hex, records as bytes)


def default_for(field, version):
    if in_range(version, field.nullable) and field.default is None:
        return None
    if field.is_array:
        return []
    if field.is_struct:
        return {}
    if field.type == "string":
        return "" if field.default in (0, None) else field.default
    if field.type in ("bytes", "records"):
        return b""
    if field.type == "uuid":
        return "00000000-0000-0000-0000-000000000000"
    return field.default


def encode_value(w, field, element_type, value, version, flexible):
    t = element_type
    if t in ("int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "bool"):
        getattr(w, t)(value)
    elif t == "uuid":
        w.uuid(value)
    elif t == "string":
        if value is None:
            w.uvarint(0) if flexible else w.int16(-1)
        else:
            data = value.encode("utf-8")
            w.uvarint(len(data) + 1) if flexible else w.int16(len(data))
            w.raw(data)
    elif t in ("bytes", "records"):
        if isinstance(value, str):  # bytes as the decoder gives them: hex
            value = bytes.fromhex(value)
        if value is None:
            w.uvarint(0) if flexible else w.int32(-1)
        else:
            w.uvarint(len(value) + 1) if flexible else w.int32(len(value))
            w.raw(value)
    else:
        encode_struct(w, field.fields, value, version, flexible)


def encode_field(w, field, value, version, flexible):
    if field.is_array:
        if value is None:
            w.uvarint(0) if flexible else w.int32(-1)
            return
        w.uvarint(len(value) + 1) if flexible else w.int32(len(value))
        for item in value:
            encode_value(w, field, field.element, item, version, flexible)
        return
    if field.is_struct and in_range(version, field.nullable):
        if value is None:
            w.int8(-1)
            return
        w.int8(1)
    encode_value(w, field, field.element, value, version, flexible)


def encode_struct(w, fields, value, version, flexible):
    for field in fields:
        if field.tag is None and in_range(version, field.versions):
            item = value.get(field.name, default_for(field, version))
            encode_field(w, field, item, version, flexible)
    if flexible:
        # Tagged fields are written only when the caller supplied them.
        tagged = sorted((f for f in fields if f.tag is not None and in_range(version, f.versions)
                         and value.get(f.name) is not None), key=lambda f: f.tag)
        w.uvarint(len(tagged))
        for field in tagged:
            sub = Writer()
            encode_field(sub, field, value[field.name], version, flexible)
            w.uvarint(field.tag)
            w.uvarint(len(sub.buf))
            w.raw(sub.buf)


# ---------------------------------------------------------------------------------------------
# CRC32C (Castagnoli, reflected polynomial 0x82F63B78)

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------
# Decompression: gzip from the standard library; snappy and LZ4 frames decoded here; zstd through
# the system's libzstd when present.

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
MAX_DECOMPRESSED = 16 * 1024 * 1024


def snappy_block_decompress(data):
    r = Reader(data)
    expected = r.uvarint()
    if expected > MAX_DECOMPRESSED:
        raise MalformedError(f"snappy block claims {expected} bytes")
    out = bytearray()
    while r.remaining():
        tag = r.take(1)[0]
        kind = tag & 3
        if kind == 0:  # literal
            length = tag >> 2
            if length >= 60:
                extra = length - 59
                length = int.from_bytes(r.take(extra), "little")
            out += r.take(length + 1)
            continue
        if kind == 1:
            length = 4 + ((tag >> 2) & 7)
            offset = ((tag >> 5) << 8) | r.take(1)[0]
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(r.take(2), "little")
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(r.take(4), "little")
        if offset == 0 or offset > len(out):
            raise MalformedError(f"snappy copy offset {offset} outside {len(out)} bytes")
        for _ in range(length):  # copies may overlap their own output
            out.append(out[-offset])
    if len(out) != expected:
        raise MalformedError(f"snappy produced {len(out)} bytes, header said {expected}")
    return bytes(out)


XERIAL_MAGIC = b"\x82SNAPPY\x00"


def snappy_decompress(data):
    # The Java client frames snappy in xerial blocks; librdkafka writes one raw block.
    if data.startswith(XERIAL_MAGIC):
        r = Reader(data, 16)
        out = bytearray()
        while r.remaining():
            out += snappy_block_decompress(r.take(r.int32()))
        return bytes(out)
    return snappy_block_decompress(data)


def lz4_block_decompress(data, out):
    r = Reader(data)
    start = len(out)
    while r.remaining():
        token = r.take(1)[0]
        literal = token >> 4
        if literal == 15:
            while True:
                extra = r.take(1)[0]
                literal += extra
                if extra != 255:
                    break
        out += r.take(literal)
        if not r.remaining():
            break  # the last sequence carries literals only
        offset = int.from_bytes(r.take(2), "little")
        length = (token & 15) + 4
        if token & 15 == 15:
            while True:
                extra = r.take(1)[0]
                length += extra
                if extra != 255:
                    break
        if offset == 0 or offset > len(out) - start + 65536 or offset > len(out):
            raise MalformedError(f"lz4 match offset {offset} outside output")
        if len(out) + length > MAX_DECOMPRESSED:
            raise MalformedError("lz4 output too large")
        for _ in range(length):
            out.append(out[-offset])


def lz4_frame_decompress(data):
    r = Reader(data)
    magic = int.from_bytes(r.take(4), "little")
    if magic != 0x184D2204:
        raise MalformedError(f"lz4 frame magic {magic:#x}")
    flags = r.take(1)[0]
    r.take(1)  # block descriptor (maximum block size)
    if (flags >> 6) != 1:
        raise MalformedError("lz4 frame version is not 01")
    block_checksum = bool(flags & 0x10)
    content_size = bool(flags & 0x08)
    content_checksum = bool(flags & 0x04)
    if flags & 0x01:
        r.take(4)  # dictionary id
    if content_size:
        r.take(8)
    r.take(1)  # header checksum
    out = bytearray()
    while True:
        size = int.from_bytes(r.take(4), "little")
        if size == 0:
            break
        uncompressed = bool(size & 0x80000000)
        block = r.take(size & 0x7FFFFFFF)
        if uncompressed:
            out += block
        else:
            lz4_block_decompress(block, out)
        if block_checksum:
            r.take(4)
    if content_checksum:
        r.take(4)
    return bytes(out)


def zstd_decompress(data):
    path = ctypes.util.find_library("zstd") or "libzstd.so.1"
    try:
        lib = ctypes.CDLL(path)
    except OSError as error:
        raise MalformedError(f"cannot load libzstd to decode zstd: {error}")
    lib.ZSTD_decompress.restype = ctypes.c_size_t
    lib.ZSTD_decompress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t]
    lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
    lib.ZSTD_isError.restype = ctypes.c_uint
    out = ctypes.create_string_buffer(MAX_DECOMPRESSED)
    size = lib.ZSTD_decompress(out, MAX_DECOMPRESSED, data, len(data))
    if lib.ZSTD_isError(size):
        raise MalformedError("zstd frame did not decode")
    return out.raw[:size]


def decompress(codec, data):
    if codec == 0:
        return data
    if codec == 1:
        return gzip.decompress(data)
    if codec == 2:
        return snappy_decompress(data)
    if codec == 3:
        return lz4_frame_decompress(data)
    if codec == 4:
        return zstd_decompress(data)
    raise MalformedError(f"unknown compression codec {codec}")


# ---------------------------------------------------------------------------------------------
# RecordBatch v2


def text_or_hex(data):
    """Printable UTF-8 as a string; anything else as {"hex": ...}, so JSON shows exact bytes."""
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return {"hex": data.hex()}


def decode_records(data, count):
    r = Reader(data)
    records = []
    for _ in range(count):
        length = r.varint()
        end = r.pos + length
        if length < 0 or end > r.end:
            raise MalformedError(f"record length {length} past the batch")
        attributes = r.int8()
        timestamp_delta = r.varlong()
        offset_delta = r.varint()
        key_length = r.varint()
        key = r.take(key_length) if key_length >= 0 else None
        value_length = r.varint()
        value = r.take(value_length) if value_length >= 0 else None
        headers = []
        for _ in range(r.varint()):
            header_key = r.take(r.varint()).decode("utf-8")
            header_value_length = r.varint()
            headers.append([header_key, text_or_hex(r.take(header_value_length))
                            if header_value_length >= 0 else None])
        if r.pos != end:
            raise MalformedError(f"record ended at {r.pos}, length said {end}")
        records.append({"attributes": attributes, "timestampDelta": timestamp_delta,
                        "offsetDelta": offset_delta, "key": text_or_hex(key),
                        "value": text_or_hex(value), "headers": headers})
    if r.remaining():
        raise MalformedError(f"{r.remaining()} bytes after the last record")
    return records


def decode_batches(data):
    """All RecordBatch v2 batches in a records field, each with its records decoded."""
    r = Reader(data)
    batches = []
    while r.remaining():
        start = r.pos
        base_offset = r.int64()
        batch_length = r.int32()
        if batch_length < 49 or batch_length > r.remaining():
            raise MalformedError(f"batch length {batch_length} with {r.remaining()} bytes left")
        end = r.pos + batch_length
        leader_epoch = r.int32()
        magic = r.int8()
        if magic != 2:
            raise MalformedError(f"record batch magic {magic}, expected 2")
        crc = r.uint32()
        computed = crc32c(bytes(r.data[r.pos:end]))
        attributes = r.int16()
        batch = {
            "baseOffset": base_offset, "batchLength": batch_length,
            "partitionLeaderEpoch": leader_epoch, "magic": magic,
            "crc": crc, "crcValid": crc == computed,
            "attributes": attributes, "codec": CODECS.get(attributes & 7, str(attributes & 7)),
            "timestampType": "LogAppendTime" if attributes & 8 else "CreateTime",
            "isTransactional": bool(attributes & 16), "isControl": bool(attributes & 32),
            "lastOffsetDelta": r.int32(), "baseTimestamp": r.int64(), "maxTimestamp": r.int64(),
            "producerId": r.int64(), "producerEpoch": r.int16(), "baseSequence": r.int32(),
        }
        count = r.int32()
        batch["recordCount"] = count
        payload = r.take(end - r.pos)
        batch["recordsSize"] = len(payload)
        plain = decompress(attributes & 7, payload)
        batch["uncompressedRecordsSize"] = len(plain)
        batch["records"] = decode_records(plain, count)
        batch["startInFrame"] = start
        batches.append(batch)
    return batches


def encode_batch(base_offset, base_timestamp, records, leader_epoch=0):
    """One uncompressed CreateTime batch holding (key, value, headers) records."""
    body = Writer()
    for index, (key, value, headers) in enumerate(records):
        record = Writer()
        record.int8(0)
        record.varlong(0)
        record.varint(index)
        for part in (key, value):
            if part is None:
                record.varint(-1)
            else:
                record.varint(len(part))
                record.raw(part)
        record.varint(len(headers))
        for header_key, header_value in headers:
            record.varint(len(header_key))
            record.raw(header_key)
            record.varint(len(header_value))
            record.raw(header_value)
        body.varint(len(record.buf))
        body.raw(record.buf)
    after_crc = Writer()
    after_crc.int16(0)                   # attributes: no codec, CreateTime
    after_crc.int32(len(records) - 1)    # last offset delta
    after_crc.int64(base_timestamp)
    after_crc.int64(base_timestamp)
    after_crc.int64(-1)                  # producer id
    after_crc.int16(-1)                  # producer epoch
    after_crc.int32(-1)                  # base sequence
    after_crc.int32(len(records))
    after_crc.raw(body.buf)
    batch = Writer()
    batch.int64(base_offset)
    batch.int32(4 + 1 + 4 + len(after_crc.buf))
    batch.int32(leader_epoch)
    batch.int8(2)
    batch.uint32(crc32c(after_crc.buf))
    batch.raw(after_crc.buf)
    return bytes(batch.buf)
