"""Canonical JSON for ledger leaves and tree heads: the exact bytes that get hashed and signed.

The subset of RFC 8785 (JSON Canonicalization Scheme) that a log needs, with no Django import so
the standalone auditor can use it:

- object keys sorted by their UTF-16 code units (RFC 8785 §3.2.3; Python's default sort uses code
  points, which differs for keys mixing astral characters with U+E000-U+FFFF);
- no insignificant whitespace, UTF-8, strings escaped exactly as ECMAScript's JSON.stringify does
  (which is what ``json.dumps(..., ensure_ascii=False)`` produces);
- integers only, within ±(2**53 - 1), and no floats: RFC 8785 formats numbers as ECMAScript does,
  and refusing floats is simpler and safer than reproducing that (an amount goes in as a string or
  in fen, never as a binary fraction a verifier in another language might print differently).
"""

import json

try:
    import orjson
except ImportError:  # optional: the standalone auditor runs without it, and the json module writes the same bytes
    orjson = None

MAX_SAFE_INTEGER = 2**53 - 1


class CanonicalJsonError(ValueError):
    """The value cannot be written as canonical JSON exactly as given."""


# One encoder for every call: json.dumps with non-default options builds a new one each time.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_SORTING_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _c_sorting_encode():
    """The C encoder behind _SORTING_ENCODER.encode, made once rather than on every call.

    JSONEncoder.encode builds a new C encoder per call (a third of the time for a small dict).
    No circular-reference markers: _quick_check has walked the value first, and a cycle ends there
    in RecursionError as before. Falls back to _SORTING_ENCODER where the C encoder is missing.
    """
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:
        return _SORTING_ENCODER.encode
    encoder = make_encoder(None, None, json.encoder.encode_basestring, None, ":", ",", True, False, False)

    def encode(value) -> str:
        return "".join(encoder(value, 0))

    return encode


_sorting_encode = _c_sorting_encode()


def canonical_json(value) -> str:
    """The canonical JSON text of value (a dict, list, str, int, bool or None, nested)."""
    try:
        needs_slow_path = _quick_check(value)
    except _NotCanonical:
        _canonical(value, "value")  # walks again, slowly, to say exactly where and why
        raise
    if needs_slow_path:
        return _ENCODER.encode(_canonical(value, "value"))
    # No key holds a character at or above U+D800, so code-point order (sort_keys) is UTF-16 order.
    return _sorting_encode(value)


class _NotCanonical(CanonicalJsonError):
    pass


_SCALAR_TYPES = frozenset({str, bool, type(None)})


def _quick_check(value) -> bool:
    """Raise _NotCanonical unless value is canonical-JSON-able; True if it needs the slow path:
    a key that needs UTF-16 ordering, or a subclass of a JSON type anywhere (a str or int
    subclass, an OrderedDict...), which the slow path turns into plain values first.

    The ledger's hot path: exact types are tested first, scalars inside a dict or list without a
    call, and no paths or messages are built here (see _canonical for those). What passes with
    False is built of exact dict, list, str, int (within ±(2**53 - 1)), bool and None only, with
    keys below U+D800: the values orjson writes exactly as the json module does.
    """
    kind = type(value)
    if kind is dict:
        special = False
        for key, item in value.items():
            if type(key) is not str:
                if not isinstance(key, str):
                    raise _NotCanonical
                special = True
            if not key.isascii() and max(key) >= "\ud800":
                special = True
            kind = type(item)
            if kind in _SCALAR_TYPES:
                continue
            if kind is int:
                if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    continue
                raise _NotCanonical
            if kind is list:  # a list of scalars, the usual case, without another call
                for element in item:
                    kind = type(element)
                    if kind in _SCALAR_TYPES or (kind is int and -MAX_SAFE_INTEGER <= element <= MAX_SAFE_INTEGER):
                        continue
                    if _quick_check(element):
                        special = True
                continue
            if _quick_check(item):
                special = True
        return special
    if kind is list:
        special = False
        for item in value:
            kind = type(item)
            if kind in _SCALAR_TYPES:
                continue
            if kind is int:
                if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    continue
                raise _NotCanonical
            if _quick_check(item):
                special = True
        return special
    if kind in _SCALAR_TYPES:
        return False
    if kind is int or (isinstance(value, int) and not isinstance(value, bool)):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return kind is not int
        raise _NotCanonical
    if isinstance(value, (str, bool)):
        return True
    if isinstance(value, dict):
        _quick_check(dict(value))
        return True
    if isinstance(value, list):
        _quick_check(list(value))
        return True
    raise _NotCanonical


# orjson with sorted keys writes the values _quick_check passes with False byte for byte as
# canonical_json (tests/kernel/ledger/test_canonical_json.py checks it with hypothesis): UTF-8,
# no whitespace, keys in code-point order, and in strings only '"', '\\' and U+0000-U+001F
# escaped, with \b \f \n \r \t and otherwise lower-case \u00xx. It is about five times faster
# than the json module on a ledger payload.
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER if orjson is not None else 0


def is_plain(value) -> bool:
    """Whether value is canonical JSON material of exact JSON types with keys below U+D800 (what
    plain_json_bytes takes); False for anything else, including what is not JSON at all."""
    try:
        return not _quick_check(value)
    except _NotCanonical:
        return False


def plain_json_bytes(value) -> bytes | None:
    """canonical_json_bytes(value) for a value that passes is_plain (the ledger's hot path, which
    has just checked it), or None where orjson is missing or refuses (a lone surrogate, very deep
    nesting): then call canonical_json or canonical_json_bytes, which decide."""
    if orjson is None:
        return None
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return None


def plain_json_bytes_checked(value) -> bytes | None:
    """plain_json_bytes(value) if is_plain(value), else None: the ledger's hot path in one call
    (None also where orjson is missing or refuses; then canonical_json decides)."""
    try:
        if _quick_check(value):
            return None
    except _NotCanonical:
        return None
    if orjson is None:
        return None
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return None


def canonical_json_bytes(value) -> bytes:
    """The canonical JSON of value as UTF-8: what is hashed."""
    if orjson is not None:
        try:
            needs_slow_path = _quick_check(value)
        except _NotCanonical:
            needs_slow_path = True  # the slow path says exactly where and why
        if not needs_slow_path:
            try:
                return orjson.dumps(value, option=_ORJSON_OPTIONS)
            except orjson.JSONEncodeError:
                pass  # a lone surrogate, or nesting deeper than orjson goes: the slow path decides
    try:
        return canonical_json(value).encode("utf-8")
    except UnicodeEncodeError as error:
        # A lone surrogate (e.g. "\ud800") has no UTF-8 form; RFC 8785 refuses it too.
        raise CanonicalJsonError(f"the value holds a character UTF-8 cannot encode: {error.reason}") from error


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _canonical(value, path: str):
    """Check value and return it with every object's keys in canonical order."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalJsonError(
                f"{path} is {value}, beyond ±(2**53 - 1) where JSON numbers stay exact; send it as a string"
            )
        return value
    if isinstance(value, float):
        raise CanonicalJsonError(
            f"{path} is the float {value!r}; the ledger takes no floats (send a string or an integer in "
            "the smallest unit) so that every verifier prints the same digits"
        )
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalJsonError(f"{path} has the key {key!r}; JSON object keys must be strings")
        return {key: _canonical(value[key], f"{path}[{key!r}]") for key in sorted(value, key=_utf16_key)}
    if isinstance(value, list):
        return [_canonical(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise CanonicalJsonError(
        f"{path} is a {type(value).__name__} ({value!r:.80}), which is not JSON; send a string, integer, "
        "boolean, None, list or dict (e.g. str(uuid), date.isoformat())"
    )
