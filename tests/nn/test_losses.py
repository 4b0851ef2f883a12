import torch

from soundry.nn.losses import (MultiResolutionMelLoss, MultiResolutionSTFTLoss, discriminator_loss,
                               feature_matching_loss, generator_adversarial_loss, loudness_loss)


def _pair():
    torch.manual_seed(0)
    return torch.randn(2, 4800) * 0.1, torch.randn(2, 4800) * 0.1


def test_spectral_losses_zero_for_identical_and_positive_otherwise():
    a, b = _pair()
    for loss in (MultiResolutionMelLoss(24000, (256, 512), (20, 40)), MultiResolutionSTFTLoss((256, 512))):
        assert float(loss(a, a)) == 0.0
        assert float(loss(a, b)) > 0.0


def test_loudness_loss_measures_level_difference():
    a, _ = _pair()
    assert float(loudness_loss(a, a)) == 0.0
    # 6.02 dB quieter everywhere -> 0.602 after the /10 scaling
    assert abs(float(loudness_loss(a * 0.5, a)) - 0.602) < 1e-2


def test_gradients_flow_through_losses():
    a, b = _pair()
    a.requires_grad_(True)
    total = MultiResolutionMelLoss(24000, (256,), (20,))(a, b) + MultiResolutionSTFTLoss((256,))(a, b) \
        + loudness_loss(a, b)
    total.backward()
    assert a.grad is not None and torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0


def test_adversarial_losses():
    ones, zeros = [torch.ones(2, 5)], [torch.zeros(2, 5)]
    assert float(generator_adversarial_loss(ones)) == 0.0
    assert float(generator_adversarial_loss(zeros)) == 1.0
    assert float(discriminator_loss(ones, zeros)) == 0.0
    assert float(discriminator_loss(zeros, ones)) == 2.0
    feats = [[torch.randn(2, 3, 4)]]
    assert float(feature_matching_loss(feats, feats)) == 0.0
    assert float(feature_matching_loss(feats, [[f[0] + 1 for f in feats]])) == 1.0
