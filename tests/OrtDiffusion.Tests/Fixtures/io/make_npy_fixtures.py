#!/usr/bin/python3
"""Small .npy files written by numpy itself, for OrtDiffusion.IO.NpyFile tests.

Run with Debian's interpreter (it has numpy):  /usr/bin/python3 make_npy_fixtures.py

The arrays are spelled out so the C# tests can build the same values from literals:
the reader must return them, and the writer must produce these exact bytes.
"""
import io
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, arr, version=None):
    path = os.path.join(HERE, name)
    if version is None:
        np.save(path, arr)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)


def raw(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# --- Valid files: one per supported dtype, plus shapes that exercise the header format. ---
f32 = np.array([[0.1, -1.5, 2.0], [3.25, -0.0, 1e-8]], dtype=np.float32)
save("f32_2x3.npy", f32)
save("f16_4.npy", np.array([0.5, -2.0, 65504.0, 0.0001], dtype=np.float16))
save("f64_2x2x2.npy", np.array([0.1, 0.2, -0.3, 1e300, -1e-300, 2.5, 3.0, -4.0]).reshape(2, 2, 2))
save("i32_3.npy", np.array([-2147483648, 0, 2147483647], dtype=np.int32))
save("i64_2x3.npy", np.array([[-9223372036854775808, -1, 0], [1, 2, 9223372036854775807]], dtype=np.int64))
save("u8_5.npy", np.array([0, 1, 127, 128, 255], dtype=np.uint8))
save("bool_4.npy", np.array([True, False, False, True]))
save("f32_scalar.npy", np.array(3.5, dtype=np.float32))            # 0-d
save("f32_empty_0.npy", np.zeros((0,), dtype=np.float32))          # empty
save("f32_empty_2x0x3.npy", np.zeros((2, 0, 3), dtype=np.float32))
save("u8_1000.npy", (np.arange(1000) % 251).astype(np.uint8))      # longer first dimension
save("f32_1x4x8x8.npy", (np.arange(256, dtype=np.float32) / 64 - 2).reshape(1, 4, 8, 8))
save("f32_2x3_v2.npy", f32, version=(2, 0))                        # 4-byte header length
save("f32_2x3_v3.npy", f32, version=(3, 0))                        # UTF-8 header

# --- Files the reader must refuse with a clear message. ---
save("bad_fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save("bad_bigendian.npy", np.arange(3, dtype=">f4"))
buf = io.BytesIO()
np.lib.format.write_array(buf, np.array([1, "a", None], dtype=object), allow_pickle=True)
raw("bad_object.npy", buf.getvalue())
save("bad_structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
save("bad_uint16.npy", np.arange(3, dtype=np.uint16))
good = open(os.path.join(HERE, "f32_2x3.npy"), "rb").read()
raw("bad_truncated_data.npy", good[:-5])
raw("bad_truncated_header.npy", good[:40])
raw("bad_extra_data.npy", good + b"\0\0\0\0")
raw("bad_magic.npy", b"PK\x03\x04 this is a zip, not an npy file")
raw("bad_version.npy", b"\x93NUMPY\x04\x00" + good[8:])

for name in sorted(os.listdir(HERE)):
    if name.endswith(".npy"):
        print(f"{name}: {os.path.getsize(os.path.join(HERE, name))} bytes")
