import pytest
import torch

from soundry.nn.streaming import (CausalConv1d, CausalConvNeXtBlock, FrameDelay, StreamingStack, flatten_state,
                                  state_shapes, unflatten_state)


def _chunked(module, x, step):
    state, outs = module.init_state(x.shape[0]), []
    for i in range(0, x.shape[-1], step):
        y, state = module(x[..., i:i + step], state)
        outs.append(y)
    return torch.cat(outs, dim=-1)


@pytest.mark.parametrize("kwargs,step", [({"kernel_size": 3}, 1), ({"kernel_size": 3, "dilation": 4}, 5),
                                         ({"kernel_size": 8, "stride": 4}, 4), ({"kernel_size": 5, "groups": 2}, 3),
                                         ({"kernel_size": 4, "stride": 4}, 8)])
def test_causal_conv_chunks_equal_whole(kwargs, step):
    torch.manual_seed(0)
    conv = CausalConv1d(2, 4, **kwargs)
    x = torch.randn(2, 2, 40)
    whole, _ = conv(x, conv.init_state(2))
    assert whole.shape == (2, 4, 40 // conv.stride)
    assert torch.allclose(_chunked(conv, x, step), whole, atol=1e-6)


def test_causal_conv_sees_no_future():
    conv = CausalConv1d(1, 1, 5, stride=2)
    x = torch.zeros(1, 1, 20)
    x[..., 11] = 1.0
    y, _ = conv(x, conv.init_state(1))
    # output j sees samples < (j + 1) * stride: the impulse at 11 first reaches output 5
    assert torch.all(y[..., :5] == conv.conv.bias)
    assert not torch.allclose(y[..., 5], conv.conv.bias)


def test_causal_conv_rejects_skipping_kernel():
    with pytest.raises(ValueError):
        CausalConv1d(1, 1, 2, stride=4)


def _chunked_frames(module, x, step):
    """Channels-last ``(B, T, C)``: feed ``step`` frames per call."""
    state, outs = module.init_state(x.shape[0]), []
    for i in range(0, x.shape[1], step):
        y, state = module(x[:, i:i + step], state)
        outs.append(y)
    return torch.cat(outs, dim=1)


def test_convnext_stack_chunks_equal_whole():
    torch.manual_seed(0)
    stack = StreamingStack([CausalConvNeXtBlock(8, 2), CausalConvNeXtBlock(8, 2, dilation=2)])
    x = torch.randn(1, 30, 8)                                   # channels-last frames
    whole, state = stack(x, stack.init_state(1))
    assert len(state) == stack.n_states == 2 and state[0].shape == (1, 6, 8)
    assert torch.allclose(_chunked_frames(stack, x, 1), whole, atol=1e-5)


@pytest.mark.parametrize("kwargs,step", [({"kernel_size": 3}, 1), ({"kernel_size": 3, "dilation": 4}, 5),
                                         ({"kernel_size": 8, "stride": 4}, 4), ({"kernel_size": 20, "stride": 10}, 10),
                                         ({"kernel_size": 7, "groups": 4}, 1), ({"kernel_size": 3, "dilation": 2, "groups": 4}, 3)])
def test_channels_last_conv_matches_conv1d_and_its_export_form(kwargs, step):
    """Channels-last equals the channels-first convolution with the same weights, chunked or not,
    and so does the gather/MatMul formulation an exported graph uses."""
    torch.manual_seed(0)
    last = CausalConv1d(4, 4, channels_last=True, **kwargs)
    first = CausalConv1d(4, 4, **kwargs)
    first.load_state_dict(last.state_dict())
    x = torch.randn(2, 40, 4)
    ref, _ = first(x.transpose(1, 2), first.init_state(2))
    whole, _ = last(x, last.init_state(2))
    assert torch.allclose(whole, ref.transpose(1, 2), atol=1e-6)
    assert torch.allclose(_chunked_frames(last, x, step), whole, atol=1e-6)
    full = torch.cat([last.init_state(2)[0], x], dim=1) if last.context else x
    assert torch.allclose(last.gathered(full), whole, atol=1e-5)


def test_channels_last_conv_rejects_grouped():
    with pytest.raises(ValueError):
        CausalConv1d(4, 4, 3, groups=2, channels_last=True)


def test_frame_delay_shifts_and_chunks():
    delay = FrameDelay(2, 3)
    x = torch.arange(20.0).reshape(1, 2, 10)
    y, _ = delay(x, delay.init_state(1))
    assert torch.equal(y[..., 3:], x[..., :7]) and torch.all(y[..., :3] == 0)
    assert torch.equal(_chunked(delay, x, 1), y)


def test_flatten_unflatten_round_trip():
    state = [torch.randn(2, 3, 4), torch.randn(2, 1), torch.randn(2, 5)]
    shapes = state_shapes(state)
    flat = flatten_state(state)
    assert flat.shape == (2, 12 + 1 + 5)
    back = unflatten_state(flat, shapes)
    assert all(torch.equal(a, b) for a, b in zip(state, back))
