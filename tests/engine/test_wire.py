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
