"""Write a torch module as ONNX and prove onnxruntime gives the same numbers."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from soundry.errors import MissingDependencyError


@contextmanager
def quiet_export():
    """Checks the exporter's dependency, then runs under no_grad without its noise: warnings and
    one log line per torchvision op it cannot register (none of ours use them)."""
    try:
        import onnxscript  # noqa: F401  (the dynamo exporter needs it)
    except ImportError:  # pragma: no cover - it is a declared dependency
        raise MissingDependencyError("ONNX export needs the 'onnxscript' package: pip install onnxscript") from None
    quiet = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            yield
    finally:
        quiet.setLevel(level)


def export_onnx(module: torch.nn.Module, args: tuple, path: str | Path, input_names: Sequence[str],
                output_names: Sequence[str], dynamic: dict[str, dict[int, str]] | None = None,
                opset: int = 18) -> Path:
    """Export ``module(*args)`` to ``path`` (written to a temp name, then renamed).

    ``dynamic`` maps an input name to ``{axis: dim_name}`` for axes that vary at run time.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dims: dict[str, torch.export.Dim] = {}
    shapes = []
    for name in input_names:
        axes = (dynamic or {}).get(name, {})
        shapes.append({ax: dims.setdefault(dim, torch.export.Dim(dim)) for ax, dim in axes.items()} or None)
    tmp = path.with_name(path.name + ".tmp")
    module.eval()
    with quiet_export():
        program = torch.onnx.export(module, args, dynamic_shapes=tuple(shapes), input_names=list(input_names),
                                    output_names=list(output_names), opset_version=opset, dynamo=True,
                                    verbose=False)
        program.save(str(tmp))
    os.replace(tmp, path)
    return path


def check_onnx_parity(module: torch.nn.Module, path: str | Path, inputs: dict[str, np.ndarray],
                      atol: float = 1e-4) -> float:
    """Run torch and onnxruntime on the same ``inputs``; return the max abs difference.

    Raises ``AssertionError`` if any output differs by more than ``atol``.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    got = sess.run(None, inputs)
    module.eval()
    with torch.no_grad():
        ref = module(*[torch.from_numpy(v) for v in inputs.values()])
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    worst = 0.0
    for r, g in zip(ref, got):
        worst = max(worst, float(np.max(np.abs(r.numpy() - g))) if g.size else 0.0)
    if worst > atol:
        raise AssertionError(f"ONNX output differs from torch by {worst:.2e} (> {atol:.0e})")
    return worst


def round_to_half_(module: torch.nn.Module) -> int:
    """Round every floating parameter of ``module`` to the nearest float16 value, in place.

    Done before export, so the torch reference, the ONNX graph (``store_half``) and the saved
    weights all hold the same numbers. Returns the number of values rounded.
    """
    n = 0
    with torch.no_grad():
        for p in module.parameters():
            if p.is_floating_point():
                p.copy_(p.half().to(p.dtype))
                n += p.numel()
    return n


def store_half(path: str | Path, min_elements: int = 256) -> int:
    """Store the float32 initializers of the ONNX file at ``path`` that float16 holds exactly
    (``round_to_half_`` made them so) as float16 followed by a ``Cast`` to float32.

    Lossless by construction: any other constant stays float32. onnxruntime folds the casts when
    it loads the graph, so the run-time arithmetic and speed are those of float32, and the file
    is about half the size. Rewritten through a temporary name. Returns the bytes saved.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    path = Path(path)
    model = onnx.load(str(path))
    graph = model.graph
    casts, saved = [], 0
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < min_elements:
            continue
        half = arr.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), arr):
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(half, f"{name}__fp16"))
        casts.append(helper.make_node("Cast", [f"{name}__fp16"], [name], to=TensorProto.FLOAT,
                                      name=f"{name}__cast"))
        saved += 2 * arr.size
    if casts:
        nodes = casts + list(graph.node)
        del graph.node[:]
        graph.node.extend(nodes)
        tmp = path.with_name(path.name + ".tmp")
        onnx.save(model, str(tmp))
        os.replace(tmp, path)
    return saved


def fold_constants(path: str | Path) -> int:
    """Fold every constant subgraph of the ONNX file at ``path`` into an initializer, however
    large (the exporter's own pass stops at 8k-element inputs), so weights computed from
    parameters (a layer scale folded into a projection, a transposed kernel) are plain
    initializers that ``quantize_weights`` can see. Rewritten in place; returns nodes removed."""
    import onnx
    import onnxscript.optimizer

    path = Path(path)
    model = onnx.load(str(path))
    before = len(model.graph.node)
    model = onnxscript.optimizer.optimize(model, input_size_limit=1 << 26, output_size_limit=1 << 26)
    tmp = path.with_name(path.name + ".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, path)
    return before - len(model.graph.node)


def quantize_weights(path: str | Path, min_elements: int = 65536, block_size: int = 32) -> int:
    """Store the large constant matrices of the ONNX file at ``path`` as 8-bit integers.

    Every ``MatMul`` whose weight is an initializer of at least ``min_elements`` becomes
    onnxruntime's ``com.microsoft.MatMulNBits`` (8 bits, symmetric, one float scale per
    ``block_size`` inputs, int8 arithmetic): a quarter of the bytes to read per call, which is
    what a one-frame matrix-vector product is limited by. Relative error about 2e-3. Smaller
    MatMuls stay float32. Rewritten in place; returns the number of MatMuls converted.
    """
    import onnx

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:    # importing the quantizer calls logging.basicConfig(level=INFO): undo that for our users
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    path = Path(path)
    model = onnx.load(str(path))
    dims = {i.name: list(i.dims) for i in model.graph.initializer}
    small, large = [], []
    for node in model.graph.node:
        if node.op_type == "MatMul":
            d = dims.get(node.input[1])
            fits = d is not None and len(d) == 2 and d[0] * d[1] >= min_elements and d[0] % block_size == 0
            (large if fits else small).append(node.name)
    if not large:
        return 0
    quantizer = MatMulNBitsQuantizer(model, bits=8, block_size=block_size, is_symmetric=True,
                                     accuracy_level=4, nodes_to_exclude=small)
    quiet = [logging.getLogger(n) for n in ("onnxruntime.quantization.matmul_nbits_quantizer", "onnx_ir")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.WARNING)       # one INFO line per MatMul and per pass otherwise
    try:
        quantizer.process()
    finally:
        for q, lv in zip(quiet, levels):
            q.setLevel(lv)
    tmp = path.with_name(path.name + ".tmp")
    quantizer.model.save_model_to_file(str(tmp))
    os.replace(tmp, path)
    return len(large)
