import struct

import numpy as np
import pytest

from graders.wire import Named, Unsupported, WireError, decode_frame, encode_frame


def test_arrays_numbers_and_structures_round_trip():
    body = {"a": np.arange(6.0).reshape(2, 3), "b": (1, 2.5, True, None, "x"), "c": [np.int64(3)],
            "n": Named("feature_map", {"name": "elu_plus_one"})}
    back = decode_frame(encode_frame(body))
    assert type(back["a"]) is np.ndarray and back["a"].shape == (2, 3) and (back["a"] == body["a"]).all()
    assert back["b"] == (1, 2.5, True, None, "x") and back["c"] == [3]
    assert back["n"] == Named("feature_map", {"name": "elu_plus_one"})


def test_ndarray_subclass_arrives_as_plain_ndarray():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True
    value = np.zeros(3).view(Liar)
    back = decode_frame(encode_frame(value))
    assert type(back) is np.ndarray


def test_objects_are_named_not_sent():
    class Sneaky:
        def __reduce__(self):
            raise AssertionError("must never be pickled")
    assert decode_frame(encode_frame([Sneaky()])) == [Unsupported("Sneaky")]


def _frame(header: dict, *blobs: bytes) -> bytes:
    import json
    text = json.dumps(header).encode()
    return struct.pack(">I", len(text)) + text + b"".join(blobs)


@pytest.mark.parametrize("header, blobs, message", [
    ({"body": {"$array": 0, "dtype": "object", "shape": [1]}, "blobs": [8]}, [b"\0" * 8], "numeric dtype"),
    ({"body": {"$array": 0, "dtype": "float64", "shape": [3]}, "blobs": [8]}, [b"\0" * 8], "do not match"),
    ({"body": {"$array": 5, "dtype": "float64", "shape": [1]}, "blobs": [8]}, [b"\0" * 8], "missing blob"),
    ({"body": 1, "blobs": [4]}, [b"\0" * 8], "length"),
])
def test_malformed_frames_are_rejected(header, blobs, message):
    with pytest.raises(WireError, match=message):
        decode_frame(_frame(header, *blobs))


def test_deep_nesting_is_rejected():
    import json
    nested = {"body": json.loads("[" * 40 + "]" * 40), "blobs": []}
    with pytest.raises(WireError, match="nested"):
        decode_frame(_frame(nested))


@pytest.mark.parametrize("body, message", [
    ({"$tuple": 5}, "tuple"),
    ({"$tuple": "abc"}, "tuple"),
    ({"$named": 3}, "named"),
    ({"$named": "x", "params": [1]}, "named"),
    ({"$unsupported": ["x"]}, "type name"),
    ({"$array": 0, "dtype": "float64", "shape": [2**62, 2**62, 2**62]}, "do not match"),
    ({"$array": 0, "dtype": "float64", "shape": [1] * 40}, "shape"),
    ({"$array": 0, "dtype": ["float64"], "shape": [1]}, "dtype"),
    ({"$array": 0, "dtype": "float64", "shape": [1], "extra": 1}, "unexpected keys"),
    ({"$tuple": [], "$named": "x"}, "tagged"),
    ({"$eval": "x"}, "tagged"),
])
def test_crafted_tagged_forms_are_wire_errors(body, message):
    with pytest.raises(WireError, match=message):
        decode_frame(_frame({"body": body, "blobs": [8]}, b"\0" * 8))


@pytest.mark.parametrize("frame", [
    b"", b"\0\0\0\x05{", b"\0\0\0\x02[]", b"\xff\xff\xff\xff{}",
    struct.pack(">I", 6000) + b"[" * 3000 + b"]" * 3000,
    struct.pack(">I", 5020) + b'{"body": ' + b"9" * 5000 + b', "blobs": []}'[:11],
    struct.pack(">I", 13) + b'{"blobs": [1]',
    struct.pack(">I", 2) + b'\xff\xfe',
])
def test_any_bytes_decode_or_raise_wire_error(frame):
    with pytest.raises(WireError):
        decode_frame(frame)


def test_deeply_nested_header_is_a_wire_error_not_a_recursion_error():
    text = ('{"body": ' + "[" * 100_000 + "]" * 100_000 + ', "blobs": []}').encode()
    with pytest.raises(WireError):
        decode_frame(struct.pack(">I", len(text)) + text)
