# SPDX-License-Identifier: MIT
"""Checkpoint files of a run: loading with ``weights_only=True``, atomic writes that keep the
previous good copy, the choice of the file a resume starts from, and a test-only kill switch.

Every checkpoint is written to a temporary file beside its name, flushed and fsynced, then
renamed onto it (``os.replace``), so a crash never leaves a half-written ``last.ckpt``. Before
``last.ckpt`` is replaced, the copy it holds is kept as ``last.prev.ckpt`` (a hard link renamed
into place, also atomic). A run's settings are kept beside its checkpoints in ``recipe.json``
(:func:`check_recipe`): a resume with other settings is refused instead of silently continuing
another recipe's weights. A resume takes ``last.ckpt``; when that file is missing or does not
load (truncated by something outside gconv, e.g. a full disk or a partial copy), it warns and
takes ``last.prev.ckpt``.

Inside an epoch, :class:`MidEpochCheckpoint` also writes ``last.ckpt`` (every few minutes of
training, default 10): with the training loader's place in the epoch saved beside it
(``ResumableLoader``), a run killed in a long epoch loses minutes, not the epoch.

``GCONV_TEST_KILL_AT`` (tests only) kills the process with SIGKILL at a fixed point:
``batch:E:K`` at the start of training batch K of epoch E (0-based); ``ckpt-rename:NAME:E``
after the checkpoint ``NAME*.ckpt`` of epoch E is written to its temporary file, before the
rename (NAME e.g. ``last`` or ``best``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from .._util import _umask, atomic_write_text
from ._run_files import LAST, PREVIOUS, RECIPE, UNREADABLE

__all__ = [
    "AtomicCheckpointIO",
    "CheckpointError",
    "KillSwitch",
    "MidEpochCheckpoint",
    "MovableCheckpoint",
    "check_recipe",
    "kill_point",
    "load_checkpoint",
    "refuse_to_overwrite",
    "resume_path",
]

#: the environment variable of the test-only kill switch
KILL_ENV = "GCONV_TEST_KILL_AT"


class CheckpointError(ValueError):
    """A checkpoint that is truncated, unreadable with ``weights_only=True`` or not ours."""


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint written by :func:`train` with ``torch.load(weights_only=True)``.

    Raises ``FileNotFoundError`` if absent and :class:`CheckpointError` (a ``ValueError``) if it
    is truncated/unreadable, holds objects other than tensors and plain types, or is not a
    ``gconv.experiments`` checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e)
        if "Unsupported global" in msg:
            what = msg[msg.index("Unsupported global") :].split(" was not")[0]
            raise CheckpointError(
                f"{path}: refused by torch.load(weights_only=True): it holds objects other than "
                f"tensors and plain types ({what}); gconv checkpoints never do — not a gconv "
                "checkpoint, or not from a trusted source"
            ) from None
        detail = " ".join(msg.split("WeightsUnpickler error:")[-1].split())[:120]
        raise CheckpointError(
            f"{path}: unreadable checkpoint (truncated, corrupt or not a torch file): {detail}"
        ) from None
    except Exception as e:  # noqa: BLE001 - torch raises RuntimeError/EOFError/... for bad files
        raise CheckpointError(
            f"{path}: unreadable checkpoint (truncated, corrupt or not a torch file): "
            f"{type(e).__name__}: {str(e).strip()[:200]}"
        ) from None
    hp = ckpt.get("hyper_parameters") if isinstance(ckpt, dict) else None
    if not isinstance(hp, dict) or "model" not in hp or "state_dict" not in ckpt:
        keys = sorted(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(
            f"{path}: not a gconv.experiments checkpoint (expected 'state_dict' and "
            f"'hyper_parameters' with a 'model' name, as `gconv train` writes; found {keys})"
        )
    return ckpt


def resume_path(folder: str | os.PathLike) -> Path | None:
    """The checkpoint a resume starts from: ``folder/last.ckpt`` when it loads, else (with a
    warning) ``folder/last.prev.ckpt`` when that loads, the unreadable ``last.ckpt`` renamed to
    ``last.ckpt.unreadable`` (so that the next save keeps the good copy as its previous one);
    None when neither exists (a fresh start). Leftover temporary files of a killed write are
    removed. Raises
    :class:`CheckpointError` when files exist but none loads."""
    folder = Path(folder)
    for tmp in folder.glob(".*.ckpt.*.part"):  # a write killed before its rename
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    last, prev = folder / LAST, folder / PREVIOUS
    errors: list[str] = []
    for path in (last, prev):
        if not path.is_file():
            continue
        try:
            load_checkpoint(path)
        except CheckpointError as e:
            errors.append(str(e))
            continue
        if path == prev:
            why = errors[0] if errors else f"{last} is missing"
            if errors:  # set the unreadable file aside: the next save must not keep it as prev
                with contextlib.suppress(FileNotFoundError):
                    os.replace(last, last.with_name(UNREADABLE))
                why += f" (kept as {UNREADABLE})"
            warnings.warn(f"{why}; resuming from the previous good copy {prev}", stacklevel=2)
        return path
    if errors:
        raise CheckpointError("; ".join(errors) + " — no checkpoint to resume from")
    return None


def refuse_to_overwrite(folder: Path) -> None:
    """ValueError when ``folder`` holds an earlier run's checkpoints: a run without ``resume``
    would replace them one save at a time."""
    old = sorted(p.name for p in folder.glob("*.ckpt")) if folder.is_dir() else []
    if old:
        raise ValueError(
            f"{folder} holds the checkpoints of an earlier run ({', '.join(old[:4])}"
            f"{', …' if len(old) > 4 else ''}), which this run would overwrite: pass --resume "
            f"(resume=True) to continue it, or choose another --out"
        )


def check_recipe(
    folder: str | os.PathLike, recipe: dict[str, Any], resuming: bool, write: bool = True
) -> None:
    """Keep ``recipe`` (the run's settings, JSON values) in ``folder/recipe.json``. When
    ``resuming`` from a checkpoint of that folder and the file holds other settings, raise
    :class:`CheckpointError` naming each difference and write nothing; a folder without the
    file (a run older than it) gets it. A run's folder name need not encode every setting.
    ``write=False`` (the other ranks of a multi-process run) only checks."""
    path = Path(folder) / RECIPE
    here = json.loads(json.dumps(recipe, sort_keys=True, default=str))  # tuples → lists, …
    if resuming and path.is_file():
        try:
            there = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise CheckpointError(f"{path}: unreadable ({e}); expected a JSON object") from e
        if not isinstance(there, dict):
            raise CheckpointError(f"{path}: expected a JSON object, got {type(there).__name__}")
        diff = sorted(k for k in here.keys() | there.keys() if there.get(k) != here.get(k))
        if diff:
            raise CheckpointError(
                f"{folder}: its checkpoints were trained with other settings ("
                + "; ".join(f"{k}: {there.get(k)!r} there, {here.get(k)!r} here" for k in diff)
                + ") — resume with the same settings, move the folder away or use another --out"
            )
        return
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(here, indent=1, sort_keys=True) + "\n")


def kill_point() -> tuple[str, ...] | None:
    """The parsed ``GCONV_TEST_KILL_AT`` (None when unset); ValueError for a malformed one."""
    text = os.environ.get(KILL_ENV, "")
    if not text:
        return None
    parts = tuple(text.split(":"))
    ok = (parts[0] == "batch" and len(parts) == 3 and all(p.isdigit() for p in parts[1:])) or (
        parts[0] == "ckpt-rename" and len(parts) == 3 and parts[2].isdigit()
    )
    if not ok:
        raise ValueError(
            f"{KILL_ENV} must be 'batch:EPOCH:BATCH' or 'ckpt-rename:NAME:EPOCH', got {text!r}"
        )
    return parts


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillSwitch(Callback):
    """``batch:E:K`` of ``GCONV_TEST_KILL_AT``: SIGKILL at the start of batch K of epoch E."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def on_train_batch_start(self, trainer: L.Trainer, pl_module, batch, batch_idx: int) -> None:  # noqa: ANN001
        if (trainer.current_epoch, batch_idx) == (self.epoch, self.batch):
            _die()


class MidEpochCheckpoint(Callback):
    """Writes ``path`` (the run's ``last.ckpt``) at the end of the first training batch at least
    ``minutes`` after the previous checkpoint of either kind (0: after every batch), never after
    an epoch's last batch (the epoch's own checkpoint follows) and, under gradient accumulation
    over K batches, only after an optimiser step (batch index + 1 a multiple of K: the summed
    gradients are not in a checkpoint). Lightning saves the loop's
    progress and the training loader's place with it, so a resume continues with the next batch.
    Under DDP rank 0's clock decides for every rank (the save is collective). Off, with a
    warning, when the training loader cannot resume inside an epoch."""

    def __init__(self, path: str | os.PathLike, minutes: float) -> None:
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not minutes >= 0:
            raise ValueError(f"MidEpochCheckpoint: minutes must be >= 0, got {minutes!r}")
        self.path, self.seconds = Path(path), 60.0 * float(minutes)
        self._last, self.enabled = time.monotonic(), True

    def _reset(self) -> None:
        self._last = time.monotonic()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._reset()

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._reset()

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._reset()
        loaders = trainer.train_dataloader
        flat = list(loaders.values()) if isinstance(loaders, dict) else loaders
        flat = flat if isinstance(flat, (list, tuple)) else [flat]
        self.enabled = all(
            callable(getattr(dl, "state_dict", None))
            and callable(getattr(dl, "load_state_dict", None))
            for dl in flat
        )
        if not self.enabled:
            warnings.warn(
                "mid-epoch checkpoints are off: the training loader cannot resume inside an "
                "epoch (it needs state_dict/load_state_dict, as gconv's ResumableLoader has)",
                stacklevel=2,
            )

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:  # fmt: skip
        last = batch_idx + 1 >= trainer.num_training_batches
        if last or trainer.sanity_checking or not self.enabled:
            return
        if (batch_idx + 1) % trainer.accumulate_grad_batches:
            return  # inside an accumulation: a resume would lose the gradients summed so far
        due = time.monotonic() - self._last >= self.seconds
        if trainer.world_size > 1:
            due = bool(trainer.strategy.broadcast(due, src=0))
        if due:
            trainer.save_checkpoint(self.path)
            self._reset()


class MovableCheckpoint(ModelCheckpoint):
    """Lightning's ``ModelCheckpoint`` whose bookkeeping survives a moved run folder (another
    machine, a GPU node, a renamed scratch directory). Lightning keeps only ``best_model_path``
    (still pointing into the old folder) when the folder differs from the one saved in the
    checkpoint, so the best score is forgotten, any later epoch counts as the best, and a
    finished run tests a file that is not there. Here the paths saved under the old folder are
    mapped to the same file names in this one, when the best file is there, and everything is
    kept; otherwise Lightning's behaviour and warning. Its state key is ``ModelCheckpoint``'s,
    so checkpoints written before this class resume alike."""

    def _generate_state_key(self, **kwargs: Any) -> str:
        return f"ModelCheckpoint{kwargs!r}"  # the key the callback's state is saved under

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        old, new = state_dict.get("dirpath"), self.dirpath
        if old and new and old != new:
            moved = _moved_state(state_dict, str(old), str(new))
            best = moved.get("best_model_path")
            if not best or os.path.isfile(best):
                state_dict = moved
        super().load_state_dict(state_dict)


def _moved_state(state: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``state`` with ``dirpath`` = ``new`` and every saved path directly under ``old`` moved
    to the same file name under ``new`` (paths elsewhere are kept)."""

    def move(path: Any) -> Any:
        if isinstance(path, str) and path and os.path.dirname(path) == old:
            return os.path.join(new, os.path.basename(path))
        return path

    out = {k: move(v) for k, v in state.items()}
    out["dirpath"] = new
    if isinstance(state.get("best_k_models"), dict):
        out["best_k_models"] = {move(k): v for k, v in state["best_k_models"].items()}
    return out


class AtomicCheckpointIO(TorchCheckpointIO):
    """``torch.save`` to a temporary file, fsync, rename; ``last.ckpt``'s previous content is
    kept as ``last.prev.ckpt``. ``kill_at = (NAME, EPOCH)`` is the test-only kill point."""

    def __init__(self, kill_at: tuple[str, int] | None = None) -> None:
        super().__init__()
        self.kill_at = kill_at

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                torch.save(checkpoint, f)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
            if self.kill_at is not None and path.name.startswith(self.kill_at[0]):
                if checkpoint.get("epoch") == self.kill_at[1]:
                    _die()
            if path.name == LAST and path.is_file():
                _keep_previous(path, path.with_name(PREVIOUS))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(path.parent)


def _keep_previous(path: Path, prev: Path) -> None:
    """``prev`` becomes the file now at ``path`` (a hard link renamed into place: ``prev`` is
    at every moment either its old or its new complete content)."""
    tmp = prev.with_name(f".{prev.name}.{os.getpid()}.part")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        os.link(path, tmp)
    except OSError:  # no hard links on this file system: copy (also to a temporary name)
        import shutil

        shutil.copyfile(path, tmp)
    os.replace(tmp, prev)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
