"""JSON on the request path: request bodies out, answers in.

The standard library's codec always; orjson as well when it is importable (the
``hubcrm[speed]`` extra), for the values where it gives exactly what the standard
library gives. The bytes sent and the values read are the same either way:

- **encoding**: orjson takes a body only when it holds nothing but ``dict`` (with ``str``
  keys), ``list``, ``tuple``, ``str``, ``int``, ``bool`` and ``None``, of those exact
  types. It writes floats differently (``1e-05`` as ``0.00001``), NaN as ``null``, and
  UUIDs, enums and subclasses by rules of its own, so any other value goes to the
  standard library. A body orjson refuses (an int beyond 64 bits, a lone surrogate)
  goes to the standard library too, which then sends it or fails as it always did.
- **decoding**: orjson reads an answer first, unless it holds a run of 19 digits (orjson
  would read an int beyond 64 bits as a float); whatever it refuses (``NaN``, an
  escaped lone surrogate, invalid UTF-8, a body that is not JSON) is read again by the
  standard library, which decides, so that the value or the error is the standard
  library's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["CODEC", "decode_json", "encode_json"]

# Made once: json.dumps() with any non-default argument builds a new encoder per call,
# and json.loads() on bytes sniffs the encoding first. Both show up per request.
_std_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_std_decoder = json.JSONDecoder()
# The C encoder and the decoder's scanner, used directly below; getattr: they are not
# typed in typeshed, and another Python implementation may lack them.
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_scan_once: Any = getattr(_std_decoder, "scan_once", None)
_whitespace: Any = getattr(getattr(json.decoder, "WHITESPACE", None), "match", None)


def _std_encode_json(value: Any) -> bytes:
    if _make_encoder is None:  # no C accelerator (another Python implementation)
        return _std_encoder.encode(value).encode()
    # What _std_encoder.encode(value) does, two Python calls shorter: the C encoder
    # with the same settings, a fresh circular-reference memo per call.
    encoder = _std_encoder
    chunks = _make_encoder(
        {},
        encoder.default,
        json.encoder.encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        False,
        False,
        True,
    )(value, 0)
    return "".join(chunks).encode()


def _std_decode_json(body: bytes) -> Any:
    # What _std_decoder.decode(text) does, two Python calls shorter (and its errors).
    text = body.decode("utf-8")
    if _scan_once is None or _whitespace is None:
        return _std_decoder.decode(text)
    try:
        value, end = _scan_once(text, _whitespace(text, 0).end())
    except StopIteration as exc:
        raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    end = _whitespace(text, end).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _plain(value: object, depth: int = 0) -> bool:
    """Whether ``value`` holds only the types orjson writes as the standard library does.

    Scalars inside a container are checked in place: one call per container, not per
    value. Past orjson's own nesting limit the answer is no, so that a circular body
    reaches the standard library, which says so.
    """
    if depth > _MAX_DEPTH:
        return False
    depth += 1
    kind = type(value)
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str:
                return False
            if type(item) not in _SCALARS and not _plain(item, depth):
                return False
        return True
    if kind is list or kind is tuple:
        # A loop, not all(): a generator would cost a call per item.
        for item in value:  # type: ignore[attr-defined]  # noqa: SIM110
            if type(item) not in _SCALARS and not _plain(item, depth):
                return False
        return True
    return kind in _SCALARS


# orjson reads an integer beyond 64 bits as a float, where the standard library keeps
# it whole: an answer with a run of 19 digits or more (in a number or, harmlessly, in a
# string) is read by the standard library.
# (Every digit mapped to 0, then a search for 19 zeros: both in C, several times faster
# than a regular expression.)
_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19
# The types orjson writes as the standard library does (exact types: not subclasses).
_SCALARS = frozenset({str, int, bool, type(None)})
# orjson refuses deeper bodies; _plain says no before that.
_MAX_DEPTH = 250


def _with_orjson(orjson: ModuleType) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    dumps = orjson.dumps
    loads = orjson.loads
    error = orjson.JSONDecodeError  # a ValueError
    refused = orjson.JSONEncodeError  # a TypeError

    def encode(value: Any) -> bytes:
        if _plain(value):
            try:
                return dumps(value)  # type: ignore[no-any-return]
            except refused:
                pass  # an int beyond 64 bits, a lone surrogate: the standard library's call
        return _std_encode_json(value)

    def decode(body: bytes) -> Any:
        if _LONG_RUN not in body.translate(_TO_ZERO):
            try:
                return loads(body)
            except error:
                pass  # the standard library reads it, or says why not
        return _std_decode_json(body)

    return encode, decode


def _load() -> tuple[str, Callable[[Any], bytes], Callable[[bytes], Any]]:
    try:
        import orjson
    except ImportError:
        return "json", _std_encode_json, _std_decode_json
    return ("orjson", *_with_orjson(orjson))


#: The codec in use: ``"orjson"`` (the ``speed`` extra is installed) or ``"json"``.
CODEC: str
#: A JSON-ready value as the compact UTF-8 bytes of a request body (non-ASCII kept, keys
#: in their order). Raises ``TypeError`` for a value JSON cannot represent,
#: ``ValueError`` for a circular reference, ``UnicodeEncodeError`` for a lone surrogate.
encode_json: Callable[[Any], bytes]
#: The value of a UTF-8 JSON body. Raises ``ValueError`` when the body is not UTF-8 or
#: not JSON.
decode_json: Callable[[bytes], Any]
CODEC, encode_json, decode_json = _load()
