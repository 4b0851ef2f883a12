import torch

from soundry.nn.discriminators import MultiDiscriminator, PeriodDiscriminator, ResolutionDiscriminator
from soundry.nn.losses import discriminator_loss, feature_matching_loss, generator_adversarial_loss


def test_period_discriminator_shapes():
    d = PeriodDiscriminator(3, (4, 8))
    scores, feats = d(torch.randn(2, 1000))
    assert scores.shape[0] == 2 and len(feats) == 3
    assert feats[0].shape[-1] == 3


def test_resolution_discriminator_shapes():
    scores, feats = ResolutionDiscriminator(256, 4, 2)(torch.randn(2, 2400))
    assert scores.shape[0] == 2 and len(feats) == 3


def test_multi_discriminator_gradients_flow_to_generator_and_discriminator():
    torch.manual_seed(0)
    d = MultiDiscriminator(periods=(2, 3), n_ffts=(256,), period_channels=(4,), stft_channels=4)
    fake = (torch.randn(2, 2400) * 0.1).requires_grad_(True)
    real = torch.randn(2, 2400) * 0.1
    fs, ff = d(fake)
    rs, rf = d(real)
    assert len(fs) == 3 and len(ff) == 3
    g_loss = generator_adversarial_loss(fs) + feature_matching_loss(rf, ff)
    g_loss.backward()
    assert fake.grad.abs().sum() > 0
    d.zero_grad()
    d_loss = discriminator_loss([s for s in rs], [s.detach() for s in d(fake.detach())[0]])
    d_loss.backward()
    assert all(p.grad is not None for p in d.parameters())
