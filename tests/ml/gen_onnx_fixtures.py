#!/usr/bin/env python3
"""Generates the committed ONNX test fixtures in tests/data/onnx/ (needs python3-torch and
python3-onnx; CI machines do not have torch, so the outputs are committed):

  mlp8_sigmoid.onnx     8-16-1, relu, sigmoid output (Gemm), binary classifier
  mlp4_softmax.onnx     4-32-16-3, relu then tanh, softmax output (Gemm), iris
  mlp6_matmul.onnx      Flatten, 6-12-1 with explicit MatMul + Add, sigmoid hidden, regression
  gemm_float_data.onnx  hand-made: Gemm with transB=0, alpha, beta, weights in float_data
  conv.onnx             hand-made: Conv + MaxPool + Gemm (unsupported operators)
  tanh_out.onnx         hand-made: MatMul, Add with the bias first, final Tanh (the importer
                        appends an identity layer), 3-4-2

and for each model NAME.inputs.csv (header x0..) and NAME.outputs.csv (header p0..): the
reference outputs computed by PyTorch (numpy for the hand-made one) on those inputs.
Run: /usr/bin/python3 tests/ml/gen_onnx_fixtures.py [outdir]"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch
from torch import nn

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "onnx")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(7)
rng = np.random.default_rng(7)


def write_csv(path, arr, prefix):
    with open(path, "w") as f:
        f.write(",".join(f"{prefix}{i}" for i in range(arr.shape[1])) + "\n")
        for row in arr:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


def train(model, x, y, loss_fn, epochs=300, lr=0.01):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()


def export(model, name, n_in, x_eval):
    model.eval()
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(model, torch.zeros(1, n_in), path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=13)
    with torch.no_grad():
        y = model(torch.tensor(x_eval, dtype=torch.float32)).numpy().astype(np.float64)
    # Inputs are written at float32 precision so that PyTorch saw exactly these numbers.
    write_csv(os.path.join(OUT, name + ".inputs.csv"), x_eval.astype(np.float32), "x")
    write_csv(os.path.join(OUT, name + ".outputs.csv"), y, "p")


# 1. Binary classifier, 8 inputs on different scales.
scales = np.array([1, 2, 0.5, 3, 1, 10, 0.1, 1])
x = rng.normal(size=(600, 8)) * scales
lab = ((x[:, 0] * x[:, 1] > 0) ^ (x[:, 5] > 5)).astype(np.float32)
m1 = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())
train(m1, torch.tensor(x, dtype=torch.float32), torch.tensor(lab).reshape(-1, 1), nn.BCELoss())
export(m1, "mlp8_sigmoid", 8, x[:200])

# 2. Iris-like three-class softmax (sklearn's iris, raw features).
from sklearn.datasets import load_iris
xi, yi = load_iris(return_X_y=True)
m2 = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 3),
                   nn.Softmax(dim=1))
train(m2, torch.tensor(xi, dtype=torch.float32), torch.tensor(yi),
      lambda p, t: nn.functional.nll_loss(torch.log(p + 1e-9), t))
export(m2, "mlp4_softmax", 4, xi)


# 3. Regression with explicit MatMul + Add and a Flatten in front.
class MatMulNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.flat = nn.Flatten()
        self.w1 = nn.Parameter(torch.randn(6, 12) * 0.4)
        self.b1 = nn.Parameter(torch.zeros(12))
        self.w2 = nn.Parameter(torch.randn(12, 1) * 0.4)
        self.b2 = nn.Parameter(torch.zeros(1))

    def forward(self, v):
        h = torch.sigmoid(torch.matmul(self.flat(v), self.w1) + self.b1)
        return torch.matmul(h, self.w2) + self.b2


x3 = rng.uniform(-3, 3, size=(400, 6))
t3 = np.sin(x3[:, 0]) + 0.5 * x3[:, 1] * x3[:, 2] - x3[:, 3] + 3.0
m3 = MatMulNet()
train(m3, torch.tensor(x3, dtype=torch.float32), torch.tensor(t3, dtype=torch.float32).reshape(-1, 1),
      nn.MSELoss(), epochs=500, lr=0.02)
export(m3, "mlp6_matmul", 6, x3[:150])

# 4. Hand-made Gemm: Y = alpha * X @ B + beta * C with transB = 0, weights in float_data.
B = rng.normal(size=(5, 3)).astype(np.float32)
C = rng.normal(size=(3,)).astype(np.float32)
alpha, beta = 0.5, 2.0
bt = helper.make_tensor("B", TensorProto.FLOAT, [5, 3], B.flatten().tolist())
ct = helper.make_tensor("C", TensorProto.FLOAT, [3], C.tolist())
g = helper.make_graph(
    [helper.make_node("Identity", ["x"], ["xi"]),
     helper.make_node("Gemm", ["xi", "B", "C"], ["g"], alpha=alpha, beta=beta, transB=0),
     helper.make_node("Softmax", ["g"], ["y"], axis=1)],
    "gemm_float_data",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 5])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])],
    [bt, ct])
mod = helper.make_model(g, producer_name="ml2chain-tests", opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(mod)
onnx.save(mod, os.path.join(OUT, "gemm_float_data.onnx"))
x4 = rng.normal(size=(50, 5)).astype(np.float32)
z = alpha * (x4.astype(np.float64) @ B.astype(np.float64)) + beta * C.astype(np.float64)
z = np.exp(z - z.max(axis=1, keepdims=True))
write_csv(os.path.join(OUT, "gemm_float_data.inputs.csv"), x4, "x")
write_csv(os.path.join(OUT, "gemm_float_data.outputs.csv"), z / z.sum(axis=1, keepdims=True), "p")

# 5. Unsupported operators: Conv and MaxPool in front of a Gemm.
w = numpy_helper.from_array(rng.normal(size=(2, 1, 3, 3)).astype(np.float32), "W")
gw = numpy_helper.from_array(rng.normal(size=(2, 8)).astype(np.float32), "G")
g = helper.make_graph(
    [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
     helper.make_node("MaxPool", ["c"], ["m"], kernel_shape=[2, 2], strides=[2, 2]),
     helper.make_node("Flatten", ["m"], ["f"]),
     helper.make_node("Gemm", ["f", "G"], ["y"], transB=1)],
    "conv",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 4, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
    [w, gw])
mod = helper.make_model(g, producer_name="ml2chain-tests", opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(mod)
onnx.save(mod, os.path.join(OUT, "conv.onnx"))
# 6. A final hidden activation: MatMul, Add(bias, value) in that order, Tanh as the output.
W = rng.normal(size=(3, 4)).astype(np.float32)
bb = rng.normal(size=(4,)).astype(np.float32)
W2 = rng.normal(size=(4, 2)).astype(np.float32)
g = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["m"]),
     helper.make_node("Add", ["bb", "m"], ["a"]),
     helper.make_node("Relu", ["a"], ["r"]),
     helper.make_node("MatMul", ["r", "W2"], ["m2"]),
     helper.make_node("Tanh", ["m2"], ["y"])],
    "tanh_out",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(bb, "bb"),
     numpy_helper.from_array(W2, "W2")])
mod = helper.make_model(g, producer_name="ml2chain-tests", opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(mod)
onnx.save(mod, os.path.join(OUT, "tanh_out.onnx"))
x6 = rng.normal(size=(40, 3)).astype(np.float32)
h = np.maximum(x6.astype(np.float64) @ W.astype(np.float64) + bb, 0)
write_csv(os.path.join(OUT, "tanh_out.inputs.csv"), x6, "x")
write_csv(os.path.join(OUT, "tanh_out.outputs.csv"), np.tanh(h @ W2.astype(np.float64)), "p")
print("fixtures written to", OUT)
