"""Lightning Fabric set-up: devices, precision and strategy; wrapping a recipe's parts.

Launching: ``strategy: ddp`` with several processes started from a plain Python process (the
API, tests, a notebook) runs as Fabric's ``ddp_spawn`` (the engine re-imports the recipe
module by name in each child). Under ``torchrun``, SLURM or ``lightning run`` the processes
already exist and plain ``ddp`` is used. ``fsdp`` is handed to Fabric as is: it needs CUDA
and, with several processes, either an external launcher or a script Fabric can re-run
(the ``soundry train`` command); Fabric's refusal becomes a ConfigError.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from soundry.errors import ConfigError
from soundry.train.config import TrainConfig


def launched_externally() -> bool:
    """True when torchrun/SLURM/Lightning created this process as one rank of several."""
    from lightning_fabric.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

    return (TorchElasticEnvironment.detect() or SLURMEnvironment.detect()
            or "LOCAL_RANK" in os.environ or os.environ.get("LT_CLI_USED") == "1")


def make_fabric(tc: TrainConfig, strategy: str | None = None) -> Any:
    """A ``lightning_fabric.Fabric`` for ``tc`` (ConfigError when Fabric refuses the settings)."""
    from lightning_fabric import Fabric

    strategy = strategy or tc.strategy
    try:
        return Fabric(accelerator=tc.accelerator, devices=tc.devices, strategy=strategy,
                      num_nodes=tc.num_nodes, precision=tc.precision)
    except (ValueError, RuntimeError, TypeError, ImportError) as exc:
        raise ConfigError(
            f"cannot train with accelerator={tc.accelerator!r}, devices={tc.devices!r}, "
            f"strategy={tc.strategy!r}, precision={tc.precision!r}: {exc}. Change the train.* "
            "settings (FSDP needs CUDA GPUs; 16-mixed needs a GPU)") from None


def plan_fabric(tc: TrainConfig) -> tuple[Any, bool]:
    """``(fabric, spawn)``: spawn is True when the engine must start the DDP processes itself."""
    fabric = make_fabric(tc)
    if tc.strategy == "ddp" and fabric.world_size > 1 and not launched_externally():
        return make_fabric(tc, "ddp_spawn"), True
    return fabric, False


def is_fsdp(fabric: Any) -> bool:
    from lightning_fabric.strategies import FSDPStrategy

    return isinstance(fabric.strategy, FSDPStrategy)


def setup_parts(fabric: Any, parts: Any) -> set[str]:
    """Wrap ``parts.modules``/``parts.optimizers`` in place with Fabric; returns frozen names.

    Pairing: an optimizer named like a module is set up with it (``fabric.setup``). A module
    with trainable parameters but no optimizer of its name goes through ``setup_module``; a
    module with none is frozen: converted to the precision, moved to the device and put in
    eval mode (DDP refuses to wrap a module with nothing to synchronise). Optimizers named
    like no module go through ``setup_optimizers`` (fine for single device and DDP; FSDP
    needs the pairing by name).
    """
    modules, optimizers = parts.modules, parts.optimizers
    frozen: set[str] = set()
    for name, module in list(modules.items()):
        if name in optimizers:
            modules[name], optimizers[name] = fabric.setup(module, optimizers[name])
        elif any(p.requires_grad for p in module.parameters()):
            modules[name] = fabric.setup_module(module)
        else:
            frozen.add(name)
            if fabric.world_size == 1:
                modules[name] = fabric.setup_module(module)
            else:
                module = fabric.strategy.precision.convert_module(module)
                modules[name] = fabric.to_device(module)
            modules[name].eval()
    for name, opt in list(optimizers.items()):
        if name not in modules:
            optimizers[name] = fabric.setup_optimizers(opt)
    return frozen


def gather_objects(fabric: Any, obj: Any) -> list[Any]:
    """``obj`` from every rank, in rank order (a one-item list when not distributed)."""
    if fabric.world_size == 1:
        return [obj]
    out: list[Any] = [None] * fabric.world_size
    torch.distributed.all_gather_object(out, obj)
    return out


def full_weights(fabric: Any, module: Any) -> dict[str, torch.Tensor]:
    """A module's complete state dict on CPU (gathered from shards under FSDP; all ranks call)."""
    from soundry.train.checkpoint import module_weights

    if is_fsdp(fabric):
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
        sd = get_model_state_dict(module._forward_module, options=opts)
        return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in sd.items()}
    return module_weights(module)


def optimizer_state(fabric: Any, module: Any, optimizer: Any) -> dict[str, Any]:
    """An optimizer's state dict (full, not sharded, under FSDP; all ranks call)."""
    if is_fsdp(fabric) and module is not None:
        from torch.distributed.checkpoint.state_dict import (StateDictOptions,
                                                             get_optimizer_state_dict)

        opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
        return get_optimizer_state_dict(module._forward_module, optimizer.optimizer, options=opts)
    return optimizer.state_dict()


def load_optimizer_state(fabric: Any, module: Any, optimizer: Any, state: dict[str, Any]) -> None:
    """Inverse of ``optimizer_state``."""
    if is_fsdp(fabric) and module is not None:
        from torch.distributed.checkpoint.state_dict import (StateDictOptions,
                                                             set_optimizer_state_dict)

        opts = StateDictOptions(full_state_dict=True)
        set_optimizer_state_dict(module._forward_module, optimizer.optimizer, state, options=opts)
        return
    optimizer.load_state_dict(state)


def restore_weights(fabric: Any, ckpt_dir: Any, modules: dict[str, Any]) -> None:
    """Load a checkpoint's weights strictly into set-up modules (FSDP-aware; all ranks call)."""
    from soundry.train.checkpoint import load_weights

    if not is_fsdp(fabric):
        load_weights(ckpt_dir, modules, strict=True)
        return
    from safetensors.torch import load_file
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    opts = StateDictOptions(full_state_dict=True, strict=True)
    for name, module in modules.items():
        sd = load_file(str(ckpt_dir / f"model-{name}.safetensors"), device="cpu")
        target = getattr(module, "_forward_module", module)
        set_model_state_dict(target, sd, options=opts)
