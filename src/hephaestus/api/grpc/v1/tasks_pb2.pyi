from hephaestus.api.grpc.v1 import call_pb2 as _call_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class TaskRef(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("id", "after_seq")
    ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    id: str
    after_seq: int
    def __init__(self, id: _Optional[str] = ..., after_seq: _Optional[int] = ...) -> None: ...

class TaskEventMessage(_message.Message):
    __slots__ = ("seq", "kind", "data_json", "time")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    seq: int
    kind: str
    data_json: bytes
    time: str
    def __init__(self, seq: _Optional[int] = ..., kind: _Optional[str] = ..., data_json: _Optional[bytes] = ..., time: _Optional[str] = ...) -> None: ...
