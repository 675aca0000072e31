"""The request path's JSON codec: orjson (the ``speed`` extra) gives exactly the standard
library's bytes and values, and without it the standard library is used."""

from __future__ import annotations

import enum
import json
import math
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubcrm._core.errors import ResponseParseError
from hubcrm._http import codec
from hubcrm._http import session as session_module
from hubcrm._http.session import Response


def _fast() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """The orjson encode and decode, whether or not the codec in use is orjson."""
    module = pytest.importorskip("orjson")
    return codec._with_orjson(module)


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """What a call gave: its value (NaN made comparable), or its exception's type."""
    try:
        value = call()
    except (ValueError, TypeError, RecursionError) as exc:
        return "raised", type(exc)
    if isinstance(value, bytes):
        return "value", value
    return "value", json.dumps(value, allow_nan=True)  # NaN == NaN, as text


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


# Each value where orjson alone would send other bytes than the standard library, or
# would send what the standard library refuses (or the reverse).
AWKWARD: list[Any] = [
    {"a": 1e-05},  # orjson: 0.00001
    {"a": 1.5e-07},  # orjson: 1.5e-7
    {"a": 0.1, "b": -0.0, "c": 1e16},
    {"a": math.nan},  # orjson: null; the standard library: NaN
    [math.inf, -math.inf],
    {"a": 2**64},  # beyond 64 bits: orjson refuses
    -(2**63) - 1,
    2**63,
    {"a": "\ud800"},  # a lone surrogate: orjson refuses, the standard library fails later
    {1: "x"},  # a non-str key: orjson refuses, the standard library writes "1"
    {None: "x", True: "y", 1.5: "z"},
    {"id": uuid.UUID(int=1)},  # orjson writes UUIDs; the standard library refuses
    {"c": Colour.RED},  # orjson writes plain enums; the standard library refuses
    {"l": Level.HIGH},
    Name("subclass"),
    {Name("k"): Name("v")},
    ("a", ("b", 1)),
    {"set": {1, 2}},
    {"bytes": b"x"},
    {"e": 'é ü 日本 \u2028 \x00 \x1f "quoted" back\\slash'},
    {"z": 1, "a": 2, "m": [True, False, None]},
    {},
    [],
    "",
    None,
]


@pytest.mark.parametrize("value", AWKWARD, ids=lambda v: type(v).__name__)
def test_orjson_encoding_gives_the_standard_librarys_bytes_or_error(value: Any) -> None:
    encode, _ = _fast()
    assert _outcome(lambda: encode(value)) == _outcome(lambda: codec._std_encode_json(value))
    try:
        expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError):
        return
    assert encode(value) == expected


def test_a_circular_body_fails_as_with_the_standard_library() -> None:
    encode, _ = _fast()
    body: dict[str, Any] = {}
    body["self"] = body
    with pytest.raises(ValueError, match="Circular reference"):
        encode(body)


# Answers where orjson alone would read another value than the standard library, or
# refuse what it reads (or the reverse).
BODIES = [
    b'{"id": "1", "properties": {"email": "a@b.io"}',  # truncated
    b"NaN",
    b'{"a": NaN, "b": Infinity, "c": -Infinity}',
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b'{"a": "\xff\xfe"}',  # invalid UTF-8
    b'{"a": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8
    b'{"a": "\\ud800"}',  # an escaped lone surrogate
    b'{"a": "\\ud83d\\ude00"}',  # an escaped pair
    b'{"a": 18446744073709551616}',  # beyond 64 bits
    b'{"a": -9223372036854775809}',
    b'{"a": 123456789012345678901234567890}',
    b'{"a": 1e400, "b": -1e400, "c": 1e-400}',
    b'{"a": 0.1, "b": 1E5, "c": -0, "d": 1.7976931348623157e308}',
    b'{"a": 1, "a": 2}',  # duplicate keys: the last wins
    b'{"a": "tab\there"}',  # a raw control character in a string
    b"\xef\xbb\xbf{}",  # a byte order mark
    b" \t\r\n{} \n",
    b"{} x",
    b"[1,]",
    b"01",
    b"",
    b"  ",
    b'"\\x41"',
    b'{"deep": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"e": "\xc3\xa9", "emoji": "\xf0\x9f\x98\x80"}',
    b"true",
    b"null",
]


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b[:24].decode("latin-1"))
def test_orjson_decoding_gives_the_standard_librarys_value_or_error(body: bytes) -> None:
    _, decode = _fast()
    assert _outcome(lambda: decode(body)) == _outcome(lambda: codec._std_decode_json(body))


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=40)
    | st.text(alphabet='{}[]",:0123456789.eE+-tnfalsuNIy\\ \x00é', max_size=40).map(str.encode)
)
def test_orjson_decoding_agrees_on_any_bytes(body: bytes) -> None:
    _, decode = _fast()
    assert _outcome(lambda: decode(body)) == _outcome(lambda: codec._std_decode_json(body))


def _json_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text()
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )


@settings(max_examples=300, deadline=None)
@given(_json_values())
def test_orjson_encoding_agrees_on_any_json_value(value: Any) -> None:
    encode, _ = _fast()
    assert _outcome(lambda: encode(value)) == _outcome(lambda: codec._std_encode_json(value))
    if _outcome(lambda: encode(value))[0] == "value":
        assert encode(value) == codec._std_encode_json(value)


@pytest.mark.parametrize(
    "body", [b'{"a": 1', b"NaN?", b"<html>502</html>", b'{"a": "\xff"}'], ids=repr
)
def test_an_answer_that_is_not_json_is_a_parse_error_with_either_codec(body: bytes) -> None:
    with pytest.raises(ResponseParseError, match=r"answered 200 \(success\) with a body"):
        Response(200, {}, body).json()


def test_nan_in_an_answer_reads_as_the_standard_library_reads_it() -> None:
    assert math.isnan(Response(200, {}, b'{"a": NaN}').json()["a"])
    assert Response(200, {}, b'{"a": 18446744073709551616}').json() == {"a": 2**64}


def test_the_codec_in_use_is_orjson_when_it_is_installed() -> None:
    pytest.importorskip("orjson")
    assert codec.CODEC == "orjson"
    # The session's own names are orjson's functions.
    assert codec.encode_json.__qualname__ == "_with_orjson.<locals>.encode"
    assert codec.decode_json.__qualname__ == "_with_orjson.<locals>.decode"
    assert session_module.encode_json is codec.encode_json


# Run in a fresh interpreter where `import orjson` fails, as on the core install.
_WITHOUT_ORJSON = r"""
import sys
sys.modules["orjson"] = None
from hubcrm._http import codec
from hubcrm._http import session as session_module
from hubcrm._http.session import Response, encode_json
assert codec.CODEC == "json", codec.CODEC
assert encode_json is codec._std_encode_json
body = {"properties": {"email": "a@b.io", "name": "é 日本"}, "n": [1, 1e-05, None, True]}
sys.stdout.buffer.write(encode_json(body))
sys.stdout.buffer.write(b"\n")
assert Response(200, {}, b'{"a": NaN}').json()["a"] != 0
assert codec.decode_json is codec._std_decode_json
try:
    Response(200, {}, b"{").json()
except Exception as exc:
    assert type(exc.__context__).__module__ == "json.decoder", exc.__context__
else:
    raise AssertionError("a truncated body was read")
"""


def test_without_orjson_the_standard_library_codec_is_used_with_the_same_bytes() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_ORJSON], capture_output=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
    expected = '{"properties":{"email":"a@b.io","name":"é 日本"},"n":[1,1e-05,null,true]}\n'
    assert proc.stdout == expected.encode()


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _json_loads(body: bytes) -> Any:
    # As hubcrm has always read answers: JSONDecoder.decode (json.loads would also
    # refuse a byte order mark with a message of its own).
    return json.JSONDecoder().decode(body.decode("utf-8"))


def _error(call: Callable[[], Any]) -> tuple[type[BaseException], str] | None:
    try:
        call()
    except (ValueError, TypeError, RecursionError) as exc:
        return type(exc), str(exc)
    return None


# The standard library's path calls the json module's C encoder and scanner directly:
# the same bytes, values and errors (messages included) as json.dumps and
# JSONDecoder.decode.
@pytest.mark.parametrize("value", [*AWKWARD, {"deep": [[[{"a": [1, 2.5]}]]]}], ids=repr)
def test_the_standard_library_path_encodes_as_json_dumps(value: Any) -> None:
    expected = _error(lambda: _json_dumps(value))
    assert _error(lambda: codec._std_encode_json(value)) == expected
    if expected is None:
        assert codec._std_encode_json(value) == _json_dumps(value)


def test_the_standard_library_path_reports_a_circular_body() -> None:
    body: list[Any] = []
    body.append(body)
    assert _error(lambda: codec._std_encode_json(body)) == _error(lambda: _json_dumps(body))
    assert codec._std_encode_json([1]) == b"[1]"  # the memo of a failed call is not reused


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b[:24].decode("latin-1"))
def test_the_standard_library_path_decodes_as_json_loads(body: bytes) -> None:
    assert _error(lambda: codec._std_decode_json(body)) == _error(lambda: _json_loads(body))
    assert _outcome(lambda: codec._std_decode_json(body)) == _outcome(lambda: _json_loads(body))


@settings(max_examples=300, deadline=None)
@given(_json_values())
def test_the_standard_library_path_agrees_with_json_on_any_value(value: Any) -> None:
    assert _error(lambda: codec._std_encode_json(value)) == _error(lambda: _json_dumps(value))
    if _error(lambda: _json_dumps(value)) is None:
        text = _json_dumps(value)
        assert codec._std_encode_json(value) == text
        assert _outcome(lambda: codec._std_decode_json(text)) == _outcome(lambda: _json_loads(text))
