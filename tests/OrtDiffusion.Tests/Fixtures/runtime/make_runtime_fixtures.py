#!/usr/bin/python3
"""Writes the small ONNX models the Runtime tests run, and the values they expect.

Run with Debian's interpreter, which has onnx and numpy:

    /usr/bin/python3 tests/OrtDiffusion.Tests/Fixtures/runtime/make_runtime_fixtures.py

Every expected value in expected.json is computed here with numpy, independently of
ONNX Runtime and of our C# code. The outputs are committed; the tests never need Python.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_opsetid("", 17)]
rng = np.random.default_rng(20240611)


def save(model, name, external=False):
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name)
    if external:
        # Every initializer goes to "<name>.data" beside the model; ORT resolves it relative to the model path.
        # onnx appends to an existing data file, so start from none to keep reruns byte-identical.
        if os.path.exists(path + ".data"):
            os.remove(path + ".data")
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=name + ".data", size_threshold=0)
    else:
        onnx.save_model(model, path)


def mlp_graph(name, w, b):
    """y = Relu(x @ w + b) with a symbolic batch dimension named "batch"."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", w.shape[0]])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", w.shape[1]])
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["pre"]),
        helper.make_node("Relu", ["pre"], ["y"]),
    ]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
    return helper.make_model(helper.make_graph(nodes, name, [x], [y], inits), opset_imports=OPSET)


def relu_affine(x, w, b):
    return np.maximum(x @ w + b, 0.0).astype(np.float32)


expected = {}

# 1. MatMul + Add + Relu, symbolic batch.
w = rng.standard_normal((4, 3)).astype(np.float32)
b = rng.standard_normal(3).astype(np.float32)
x = rng.standard_normal((2, 4)).astype(np.float32)
save(mlp_graph("mlp", w, b), "mlp.onnx")
expected["mlp"] = {"w": w.ravel().tolist(), "b": b.tolist(), "x": x.ravel().tolist(),
                   "x_shape": list(x.shape), "y": relu_affine(x, w, b).ravel().tolist()}

# 2. The same graph with its weights in an external data file next to the model.
w2 = rng.standard_normal((4, 3)).astype(np.float32)
b2 = rng.standard_normal(3).astype(np.float32)
x2 = rng.standard_normal((3, 4)).astype(np.float32)
save(mlp_graph("mlp_external", w2, b2), "mlp_external.onnx", external=True)
expected["mlp_external"] = {"x": x2.ravel().tolist(), "x_shape": list(x2.shape),
                            "y": relu_affine(x2, w2, b2).ravel().tolist()}

# 3. float16: y = x * 0.5 + 1 (all in half precision), plus the float32 cast of y.
xh = rng.standard_normal((2, 3)).astype(np.float16)
half = np.array(0.5, dtype=np.float16)
one = np.array(1.0, dtype=np.float16)
nodes = [
    helper.make_node("Mul", ["x", "half"], ["xh"]),
    helper.make_node("Add", ["xh", "one"], ["y"]),
    helper.make_node("Cast", ["y"], ["y32"], to=TensorProto.FLOAT),
]
graph = helper.make_graph(
    nodes, "float16",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [2, 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [2, 3]),
     helper.make_tensor_value_info("y32", TensorProto.FLOAT, [2, 3])],
    [numpy_helper.from_array(half, "half"), numpy_helper.from_array(one, "one")])
save(helper.make_model(graph, opset_imports=OPSET), "float16.onnx")
yh = (xh * half + one).astype(np.float16)
expected["float16"] = {"x_bits": xh.view(np.uint16).ravel().tolist(),
                       "y_bits": yh.view(np.uint16).ravel().tolist(),
                       "y32": yh.astype(np.float32).ravel().tolist()}

# 4. Integer, bool, double and byte inputs: Cast, Equal, Where, Mul.
n = 6
a = np.array([1, -2, 3, 4, 0, 7], dtype=np.int32)
bl = np.array([1, 2, 3, 5, 0, -7], dtype=np.int64)
mask = np.array([True, False, True, False, False, True])
d = np.array([0.25, -1.5, 3.0, 1e-3, 2.5, -0.125], dtype=np.float64)
u = np.array([0, 1, 127, 128, 200, 255], dtype=np.uint8)
s = np.array([-128, -1, 0, 1, 64, 127], dtype=np.int8)
nodes = [
    helper.make_node("Cast", ["a"], ["a64"], to=TensorProto.INT64),
    helper.make_node("Equal", ["a64", "b"], ["eq"]),
    helper.make_node("Where", ["mask", "b", "a64"], ["sel"]),
    helper.make_node("Mul", ["d", "two"], ["d2"]),
    helper.make_node("Cast", ["u"], ["u32"], to=TensorProto.INT32),
    helper.make_node("Cast", ["s"], ["s32"], to=TensorProto.INT32),
    helper.make_node("Add", ["u32", "s32"], ["us"]),
]
graph = helper.make_graph(
    nodes, "ints",
    [helper.make_tensor_value_info("a", TensorProto.INT32, ["n"]),
     helper.make_tensor_value_info("b", TensorProto.INT64, ["n"]),
     helper.make_tensor_value_info("mask", TensorProto.BOOL, ["n"]),
     helper.make_tensor_value_info("d", TensorProto.DOUBLE, ["n"]),
     helper.make_tensor_value_info("u", TensorProto.UINT8, ["n"]),
     helper.make_tensor_value_info("s", TensorProto.INT8, ["n"])],
    [helper.make_tensor_value_info("eq", TensorProto.BOOL, ["n"]),
     helper.make_tensor_value_info("sel", TensorProto.INT64, ["n"]),
     helper.make_tensor_value_info("d2", TensorProto.DOUBLE, ["n"]),
     helper.make_tensor_value_info("us", TensorProto.INT32, ["n"])],
    [numpy_helper.from_array(np.array(2.0, dtype=np.float64), "two")])
save(helper.make_model(graph, opset_imports=OPSET), "ints.onnx")
expected["ints"] = {
    "a": a.tolist(), "b": bl.tolist(), "mask": mask.tolist(), "d": d.tolist(), "u": u.tolist(), "s": s.tolist(),
    "eq": (a.astype(np.int64) == bl).tolist(),
    "sel": np.where(mask, bl, a.astype(np.int64)).tolist(),
    "d2": (d * 2.0).tolist(),
    "us": (u.astype(np.int32) + s.astype(np.int32)).tolist(),
}

# 5. Two outputs from one input with fixed shape [2, 2].
x5 = np.array([[1.0, -2.0], [3.5, 0.25]], dtype=np.float32)
nodes = [helper.make_node("Add", ["x", "x"], ["sum"]), helper.make_node("Mul", ["x", "x"], ["square"])]
graph = helper.make_graph(
    nodes, "two_outputs",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
    [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [2, 2]),
     helper.make_tensor_value_info("square", TensorProto.FLOAT, [2, 2])])
save(helper.make_model(graph, opset_imports=OPSET), "two_outputs.onnx")
expected["two_outputs"] = {"x": x5.ravel().tolist(), "sum": (x5 + x5).ravel().tolist(),
                           "square": (x5 * x5).ravel().tolist()}

# 6. MatMul of two inputs whose inner dimensions are separate symbols, so only ORT can reject a mismatch.
graph = helper.make_graph(
    [helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul_dynamic",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["m", "k"]),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, ["k2", "n"])],
    [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["m", "n"])])
save(helper.make_model(graph, opset_imports=OPSET), "matmul_dynamic.onnx")

# 7. A long chain of square MatMuls of the input with itself (no weights, tiny file): slow enough at
#    n = 512 to be cancelled while running. Tanh keeps the values finite.
steps = 400
nodes, prev = [], "x"
for i in range(steps):
    nodes.append(helper.make_node("MatMul", [prev, "x"], [f"m{i}"]))
    out = "y" if i == steps - 1 else f"t{i}"
    nodes.append(helper.make_node("Tanh", [f"m{i}"], [out]))
    prev = out
graph = helper.make_graph(
    nodes, "slow_chain",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", "n"])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "n"])])
save(helper.make_model(graph, opset_imports=OPSET), "slow_chain.onnx")

# 8. An initializer no node uses: ONNX Runtime logs a warning when it drops it (exercises the log callback).
graph = helper.make_graph(
    [helper.make_node("Identity", ["x"], ["y"])], "unused_initializer",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    [numpy_helper.from_array(np.zeros(3, dtype=np.float32), "never_used_weight")])
save(helper.make_model(graph, opset_imports=OPSET), "unused_initializer.onnx")

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print("wrote fixtures to", HERE)
