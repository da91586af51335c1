from hephaestus.api.grpc.v1 import call_pb2 as _call_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class EventChunk(_message.Message):
    __slots__ = ("root", "idempotency_key", "ndjson")
    ROOT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    NDJSON_FIELD_NUMBER: _ClassVar[int]
    root: str
    idempotency_key: str
    ndjson: bytes
    def __init__(self, root: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., ndjson: _Optional[bytes] = ...) -> None: ...

class IngestReply(_message.Message):
    __slots__ = ("report_json", "request_id")
    REPORT_JSON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    report_json: bytes
    request_id: str
    def __init__(self, report_json: _Optional[bytes] = ..., request_id: _Optional[str] = ...) -> None: ...
