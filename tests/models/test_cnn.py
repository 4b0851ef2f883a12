import pytest
import torch

from soundry.models.cnn import AudioCNN, cnn_preset


def _model():
    torch.manual_seed(0)
    return AudioCNN(3, **cnn_preset("tiny")).eval()


def test_shapes():
    logits, emb = _model()(torch.randn(2, 16000))
    assert logits.shape == (2, 3) and emb.shape == (2, cnn_preset("tiny")["embed_dim"])


def test_embedding_does_not_depend_on_batch_padding():
    model = _model()
    short = torch.randn(1, 9137)
    long = torch.randn(1, 20000)
    batch = torch.zeros(2, 20000)
    batch[0, :9137] = short[0]
    batch[1] = long[0]
    _, emb_batch = model(batch, torch.tensor([9137, 20000]))
    _, emb_alone = model(short, torch.tensor([9137]))
    assert torch.allclose(emb_batch[0], emb_alone[0], atol=1e-5)


def test_unknown_size():
    with pytest.raises(KeyError, match="tiny"):
        cnn_preset("huge")
