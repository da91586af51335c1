from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OperationRequest(_message.Message):
    __slots__ = ("root", "arguments_json", "as_task")
    ROOT_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    AS_TASK_FIELD_NUMBER: _ClassVar[int]
    root: str
    arguments_json: bytes
    as_task: bool
    def __init__(self, root: _Optional[str] = ..., arguments_json: _Optional[bytes] = ..., as_task: _Optional[bool] = ...) -> None: ...

class OperationReply(_message.Message):
    __slots__ = ("result_json", "task", "operation", "request_id")
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    result_json: bytes
    task: Task
    operation: str
    request_id: str
    def __init__(self, result_json: _Optional[bytes] = ..., task: _Optional[_Union[Task, _Mapping]] = ..., operation: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("id", "operation", "status", "view_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VIEW_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    operation: str
    status: str
    view_json: bytes
    def __init__(self, id: _Optional[str] = ..., operation: _Optional[str] = ..., status: _Optional[str] = ..., view_json: _Optional[bytes] = ...) -> None: ...

class NamedOperationRequest(_message.Message):
    __slots__ = ("operation", "request")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    operation: str
    request: OperationRequest
    def __init__(self, operation: _Optional[str] = ..., request: _Optional[_Union[OperationRequest, _Mapping]] = ...) -> None: ...
