"""Streaming building blocks: one code path for whole files and for 10 ms chunks.

Every streaming module implements::

    init_state(batch: int) -> list[Tensor]          # zeros: the state before the first sample
    forward(x, state) -> (y, new_state)             # same maths for a whole file or a chunk

Processing a whole file is ``forward(x, init_state(B))``; processing it in chunks threads the
returned state into the next call. Because both go through the same ops, chunked output equals
whole-file output up to float rounding (the tests prove it for every module).

At the export boundary the state of a whole module tree is one flat ``(B, S)`` float32 buffer
(``flatten_state`` / ``unflatten_state``): a runtime only has to keep one array, start it at
zeros and feed each output back in. Its layout is described by ``state_shapes``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

State = list[torch.Tensor]


def state_shapes(state: State) -> list[tuple[int, ...]]:
    """Per-batch-item shapes of each tensor in ``state`` (the leading batch axis dropped)."""
    return [tuple(s.shape[1:]) for s in state]


def state_size(shapes: list[tuple[int, ...]]) -> int:
    """Number of floats one batch item's flat state takes."""
    return sum(math.prod(s) for s in shapes)


def flatten_state(state: State) -> torch.Tensor:
    """Concatenate state tensors ``[(B, ...), ...]`` into one ``(B, S)`` float32 buffer."""
    batch = state[0].shape[0]
    return torch.cat([s.reshape(batch, -1).to(torch.float32) for s in state], dim=1)


def unflatten_state(flat: torch.Tensor, shapes: list[tuple[int, ...]]) -> State:
    """Inverse of ``flatten_state``: ``(B, S)`` -> list of ``(B, *shape)`` tensors."""
    out, pos = [], 0
    for shape in shapes:
        n = math.prod(shape)
        out.append(flat[:, pos:pos + n].reshape((flat.shape[0],) + tuple(shape)))
        pos += n
    return out


def split_state(state: State, modules) -> list[State]:
    """Split a concatenated state list into one list per module (in order).

    ``modules`` is a sequence of streaming modules; each consumes ``len(m.init_state(1))`` items.
    """
    parts, pos = [], 0
    for m in modules:
        n = m.n_states
        parts.append(list(state[pos:pos + n]))
        pos += n
    return parts


def gelu(x: torch.Tensor) -> torch.Tensor:
    """Exact (erf) GELU. In an exported graph it is written as ``x * (1 + erf(x / sqrt 2)) * 0.5``,
    the order onnxruntime fuses into one ``Gelu`` kernel (the exporter's own order stays five
    nodes); training uses torch's fused kernel."""
    if torch.compiler.is_exporting():
        return (x * (1.0 + torch.erf(x / math.sqrt(2.0)))) * 0.5
    return nn.functional.gelu(x)


class CausalConv1d(nn.Module):
    """Causal 1-D convolution ``(B, C_in, T) -> (B, C_out, T // stride)`` with the left context in state.

    Output ``j`` sees input samples up to ``(j + 1) * stride - 1`` and nothing later. For strided
    convolutions every chunk must hold a multiple of ``stride`` samples. State: the last
    ``(kernel - 1) * dilation + 1 - stride`` input samples, shape ``(B, C_in, context)``.

    ``channels_last``: frames ``(B, T, C_in) -> (B, T // stride, C_out)``, state
    ``(B, context, C_in)``. The weights are the same ``nn.Conv1d``; training runs it as that
    convolution, an exported graph as a gather of the taps followed by one MatMul (dense) or a
    multiply and a sum over taps (depthwise). At one 10 ms frame per call onnxruntime's Conv costs
    ~30 us of set-up, as much as a 256x768 MatMul, and a MatMul's weights can be stored in 8 bits
    (``soundry.export.onnx.quantize_weights``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 dilation: int = 1, groups: int = 1, bias: bool = True, channels_last: bool = False):
        super().__init__()
        span = (kernel_size - 1) * dilation + 1
        if span < stride:
            raise ValueError(f"kernel span {span} is shorter than stride {stride}: samples would be skipped")
        if channels_last and groups not in (1, in_channels):
            raise ValueError("channels_last convolutions are dense (groups=1) or depthwise (groups=in_channels)")
        if channels_last and groups > 1 and out_channels != in_channels:
            raise ValueError("a channels_last depthwise convolution keeps the number of channels")
        self.context = span - stride
        self.in_channels, self.stride, self.dilation = in_channels, stride, dilation
        self.channels_last = channels_last
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride, dilation=dilation,
                              groups=groups, bias=bias)
        self.n_states = 1 if self.context > 0 else 0

    def init_state(self, batch: int) -> State:
        if self.context == 0:
            return []
        shape = (batch, self.context, self.in_channels) if self.channels_last else (batch, self.in_channels, self.context)
        return [torch.zeros(*shape, device=self.conv.weight.device)]

    def forward(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        if not self.channels_last:
            if self.context == 0:
                return self.conv(x), []
            full = torch.cat([state[0], x], dim=-1)
            return self.conv(full), [full[..., full.shape[-1] - self.context:]]
        full = torch.cat([state[0], x], dim=1) if self.context else x
        new = [full[:, full.shape[1] - self.context:]] if self.context else []
        if torch.compiler.is_exporting():
            return self.gathered(full), new
        return self.conv(full.transpose(1, 2)).transpose(1, 2), new

    def gathered(self, full: torch.Tensor) -> torch.Tensor:
        """The export formulation of a channels-last step: ``full (B, context + T * stride, C_in)``
        (state and input joined) -> ``(B, T, C_out)``."""
        k = self.conv.kernel_size[0]
        frames = (full.shape[1] - self.context) // self.stride
        idx = (torch.arange(frames, device=full.device).unsqueeze(1) * self.stride
               + torch.arange(0, (k - 1) * self.dilation + 1, self.dilation, device=full.device))
        # one Gather on the time axis (indexing ``full[:, idx]`` exports as GatherND between transposes)
        taps = full.index_select(1, idx.reshape(-1))                         # (B, T * k, C_in)
        w, bias = self.conv.weight, self.conv.bias
        if self.conv.groups > 1:                                             # depthwise
            y = (taps.reshape(full.shape[0], frames, k, self.in_channels) * w[:, 0, :].t()).sum(2)
        else:
            y = taps.reshape(full.shape[0], frames, k * self.in_channels) @ w.permute(2, 1, 0).reshape(k * self.in_channels, -1)
        return y + bias if bias is not None else y


class CausalConvNeXtBlock(nn.Module):
    """ConvNeXt block with a causal depthwise conv on channels-last frames: ``(B, T, C) -> (B, T, C)``.

    depthwise causal conv (k=7) -> LayerNorm over channels -> Linear(C, mult*C) -> GELU ->
    Linear(mult*C, C) -> layer scale -> residual. State: the depthwise conv's ``(B, k-1, C)``.
    Channels-last keeps the block free of transposes (two per block cost ~5% of a 10 ms step).
    """

    def __init__(self, channels: int, mult: int = 3, kernel_size: int = 7, dilation: int = 1,
                 layer_scale: float = 0.1):
        super().__init__()
        self.dwconv = CausalConv1d(channels, channels, kernel_size, dilation=dilation, groups=channels,
                                   channels_last=True)
        self.norm = nn.LayerNorm(channels)
        self.pw1 = nn.Linear(channels, channels * mult)
        self.pw2 = nn.Linear(channels * mult, channels)
        self.scale = nn.Parameter(torch.full((channels,), float(layer_scale)))
        self.n_states = self.dwconv.n_states

    def init_state(self, batch: int) -> State:
        return self.dwconv.init_state(batch)

    def forward(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        h, state = self.dwconv(x, state)
        h = gelu(self.pw1(self.norm(h)))
        # layer scale folded into the projection: one node fewer per block once the graph's
        # constant folding has run (the same maths)
        h = nn.functional.linear(h, self.pw2.weight * self.scale.unsqueeze(1), self.pw2.bias * self.scale)
        return x + h, state


class StreamingStack(nn.Module):
    """A sequence of streaming modules applied in order; state = their states concatenated."""

    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.n_states = sum(m.n_states for m in self.layers)

    def init_state(self, batch: int) -> State:
        return [s for m in self.layers for s in m.init_state(batch)]

    def forward(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        new: State = []
        for m, st in zip(self.layers, split_state(state, self.layers)):
            x, st = m(x, st)
            new.extend(st)
        return x, new


class FrameDelay(nn.Module):
    """Delay a frame sequence ``(B, C, T)`` by ``frames`` steps; state: the last ``frames`` frames."""

    def __init__(self, channels: int, frames: int):
        super().__init__()
        self.channels, self.frames = channels, frames
        self.n_states = 1 if frames > 0 else 0

    def init_state(self, batch: int) -> State:
        return [torch.zeros(batch, self.channels, self.frames)] if self.frames else []

    def forward(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        if not self.frames:
            return x, []
        full = torch.cat([state[0], x], dim=-1)
        n = full.shape[-1]
        return full[..., :n - self.frames], [full[..., n - self.frames:]]
