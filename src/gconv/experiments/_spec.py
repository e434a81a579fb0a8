# SPDX-License-Identifier: MIT
"""Study specs and their registry. Standard library only: the CLI lists and plans studies
without the experiments extras.

A study is a :class:`StudySpec`: its task and data set, its arms (explicit ``(model, epochs at
the full budget)`` pairs, optionally with their own augmentation, training-set size or training
recipe — lr, batch size, lr schedule, weight decay: :data:`RECIPE_KEYS`),
multiplied by the axes augmentation × training-set size × seed; named budgets (at least the
full one and ``smoke``); the reference figures printed beside ours and the report's text.
Studies register themselves from files in ``gconv/experiments/studies/``.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from .._util import Registry, check_positive_int
from ._decision import DecisionRule

__all__ = [
    "recipe_digest",
    "OPTIM_KEYS",
    "RECIPE_KEYS",
    "PRECISIONS",
    "Precision",
    "Arm",
    "Budget",
    "StudySpec",
    "check_precision",
    "check_recipe",
    "get_study",
    "list_studies",
    "register_study",
]


def recipe_digest(text: str) -> str:
    """Short digest of a recipe cell as the CSV writes it (``str`` of the value): the run
    folder's ``-k<digest>`` for ``model_kwargs`` and the reports' recipe labels.

    >>> recipe_digest(str((("r", 3),)))
    '17244012'
    """
    return hashlib.sha256(text.encode()).hexdigest()[:8]


_BUILTIN = "gconv.experiments.studies"

#: what a training recipe may set: the run's ``lr`` and ``batch_size``, and the task module's
#: optimiser options — lr × ``lr_decay`` ^ max(0, epoch − ``lr_decay_from``) (epochs counted
#: from 0), the ``weight_decay`` (L2, or decoupled for "adamw"), the ``optimizer``
#: (:data:`OPTIMIZERS`: "adam", "adamw", or "sgd" with heavy-ball ``momentum``), and ``ema``,
#: the decay of a moving average of the weights that is validated, checkpointed and tested
#: (0: none; :class:`~gconv.experiments._callbacks.WeightEMA`), and ``label_smoothing`` ε of the
#: training loss (cross-entropy against (1 − ε)·one-hot + ε/K; 0: none), and ``accumulate``
#: K, the batches whose gradients one optimiser step sums (their mean: the step of a batch
#: ``batch_size`` × K, but batch norms see each batch of ``batch_size`` alone; 1: none)
RECIPE_KEYS = (
    "lr", "batch_size", "lr_decay", "lr_decay_from", "weight_decay", "optimizer", "momentum",
    "ema", "label_smoothing", "accumulate",
)  # fmt: skip
#: the task modules' optimiser options (``--optim``): the recipe keys but the run's lr and
#: batch size, which are run fields with their own flags
OPTIM_KEYS = tuple(k for k in RECIPE_KEYS if k not in ("lr", "batch_size"))
OPTIMIZERS = ("adam", "adamw", "sgd")
#: Lightning's precision settings a run may take: float32 (the default), float64, and mixed
#: precision (``torch.autocast`` in bfloat16 / float16; the spherical layers keep float32 there)
Precision = Literal["32-true", "64-true", "bf16-mixed", "16-mixed"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
#: the default: float32, what a run without a precision (an older recipe or CSV row) trained in
DEFAULT_PRECISION: Precision = "32-true"


def check_precision(owner: str, precision: object, accelerator: str | None = None) -> Precision:
    """``precision`` if it is one of :data:`PRECISIONS` and runs on ``accelerator`` (None: not
    known yet); else a ValueError (float16 autocast on the CPU, which Lightning would swap for
    bfloat16)."""
    if precision not in PRECISIONS:
        raise ValueError(f"{owner}: precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "16-mixed" and accelerator == "cpu":
        raise ValueError(
            f"{owner}: precision '16-mixed' (float16 autocast) does not run on the CPU, where "
            "Lightning would silently train in bfloat16 instead: ask for 'bf16-mixed'"
        )
    return precision


def check_recipe(owner: str, recipe: Mapping[str, Any]) -> None:
    """ValueError unless ``recipe`` holds only :data:`RECIPE_KEYS` with values in range:
    lr > 0, batch_size ≥ 1, 0 < lr_decay ≤ 1, lr_decay_from ≥ 0, weight_decay ≥ 0, optimizer
    in :data:`OPTIMIZERS`, 0 ≤ momentum < 1, 0 ≤ ema < 1, 0 ≤ label_smoothing < 1, accumulate
    an int ≥ 1."""
    if not isinstance(recipe, Mapping):
        raise TypeError(f"{owner}: recipe must be a mapping, got {type(recipe).__name__}")
    unknown = set(recipe) - set(RECIPE_KEYS)
    if unknown:
        raise ValueError(f"{owner}: recipe keys must be in {RECIPE_KEYS}, got {sorted(unknown)}")
    ints = {"batch_size": 1, "lr_decay_from": 0, "accumulate": 1}  # smallest allowed value
    for key, v in recipe.items():
        if key == "optimizer":
            ok, want = v in OPTIMIZERS, f"one of {OPTIMIZERS}"
        elif key in ints:
            ok = isinstance(v, int) and not isinstance(v, bool) and v >= ints[key]
            want = f"an int >= {ints[key]}"
        else:
            want, in_range = _RANGES[key]
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and in_range(v)
        if not ok:
            raise ValueError(f"{owner}: recipe {key} must be {want}, got {v!r}")


#: the float recipe keys: what the message says and the test of a value
_RANGES: dict[str, tuple[str, Callable[[float], bool]]] = {
    "lr": ("> 0", lambda v: v > 0),
    "lr_decay": ("in (0, 1]", lambda v: 0 < v <= 1),
    "weight_decay": (">= 0", lambda v: v >= 0),
    "momentum": ("in [0, 1)", lambda v: 0 <= v < 1),
    "ema": ("in [0, 1)", lambda v: 0 <= v < 1),
    "label_smoothing": ("in [0, 1)", lambda v: 0 <= v < 1),
}


@dataclass(frozen=True)
class Arm:
    """One model of a study at its full-budget epochs; ``augment``/``limit_train`` replace the
    study's axes for this arm (an explicit run) when set; ``recipe`` (:data:`RECIPE_KEYS`) sets
    its runs' lr, batch size and optimiser options (unset: the runs' defaults — Adam, lr 1e-3,
    batch 128, constant lr, no weight decay)."""

    model: str
    epochs: int
    augment: str | None = None
    limit_train: int | None = None
    recipe: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_positive_int(f"Arm {self.model!r}", "epochs", self.epochs)
        if self.limit_train is not None:
            check_positive_int(f"Arm {self.model!r}", "limit_train", self.limit_train)
        check_recipe(f"Arm {self.model!r}", self.recipe)


#: what ``Budget.per_model`` may replace for one model's runs
_PER_MODEL = ("epochs", "limit_train", "limit_test", "limit_val", "bandwidth", "bn_recompute")
#: the per_model entries that are data-module arguments
PER_MODEL_DATA = ("limit_val", "bandwidth")


@dataclass(frozen=True)
class Budget:
    """How far a study's runs go: epochs are ``max(1, round(full epochs × epochs_scale))``;
    ``limit_train``/``limit_test`` keep the first N samples (None: all).

    For data sets with their own data module: ``data_kwargs`` go to it (e.g. ``bandwidth``,
    ``test_rotate``, ``limit_val``); ``model_kwargs[model]`` to that model's builder;
    ``per_model[model]`` replaces ``epochs``, ``limit_train``, ``limit_test``, the
    data-module arguments ``limit_val`` and ``bandwidth``, ``bn_recompute`` (batch-norm
    statistics recomputed over that many training batches before each validation) and/or
    recipe entries (:data:`RECIPE_KEYS`: e.g. the lr schedule of a shortened run) of that
    model's runs;
    ``batch_size`` (None: the runs' default, 128) and ``models`` (None: every arm) as named;
    ``precision`` (None: float32) one of :data:`PRECISIONS` for every run."""

    epochs_scale: float = 1.0
    limit_train: int | None = None
    limit_test: int | None = None
    data_kwargs: Mapping[str, Any] = field(default_factory=dict)
    model_kwargs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    per_model: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    batch_size: int | None = None
    models: tuple[str, ...] | None = None
    precision: Precision | None = None

    def __post_init__(self) -> None:
        if self.precision is not None:
            check_precision("Budget", self.precision)
        if self.batch_size is not None:
            check_positive_int("Budget", "batch_size", self.batch_size)
        if not self.epochs_scale > 0:
            raise ValueError(f"Budget: epochs_scale must be positive, got {self.epochs_scale}")
        for model, over in self.per_model.items():
            if set(over) - set(_PER_MODEL) - set(RECIPE_KEYS):
                raise ValueError(
                    f"Budget: per_model[{model!r}] may set {', '.join(_PER_MODEL)} and "
                    f"{', '.join(RECIPE_KEYS)}, got {list(over)}"
                )
            for k in set(over) & set(_PER_MODEL):
                check_positive_int(f"Budget per_model[{model!r}]", k, over[k])
            check_recipe(
                f"Budget per_model[{model!r}]", {k: v for k, v in over.items() if k in RECIPE_KEYS}
            )


@dataclass(frozen=True)
class StudySpec:
    """A registered study (see the module docstring).

    Runs are ordered seed-major, then training-set size, augmentation and arm, and numbered
    0, 1, …: run i belongs to shard K/N when i mod N = K. ``budgets`` maps names to
    :class:`Budget`; the first is the default. ``reference`` maps model → reference figure (in
    the unit of the task's first report metric, percent), shown in the ``reference_label``
    column (a key ``"<model>|<augment>"`` gives a model's figure for one augmentation);
    ``metrics`` (``(CSV column, header)`` pairs) replaces the task's report metrics
    (e.g. one column per test set); ``nr_r`` names the ``(column, label)`` of the metric on the
    non-rotated and on the rotated test set, for the figures of ``_study_plots.py``; ``intro`` and
    ``notes`` frame the report's table (``{samples}`` in ``notes`` is replaced by the list of
    test-set sizes; a subclass's ``note_fields(rows)`` may supply more placeholders);
    ``decisions`` are the report's decision rules (``_decision.py``).
    ``angle_spread`` adds a section with the spread of each model's test error over the
    input-angle bins (max − min per run, mean ± std over seeds, beside the spread that binomial
    noise alone gives).
    """

    name: str
    task: str
    data: str
    arms: tuple[Arm, ...]
    seeds: tuple[int, ...] = (0,)
    augments: tuple[str, ...] = ("batch-angle",)
    train_sizes: tuple[int | None, ...] = (None,)
    budgets: Mapping[str, Budget] = field(default_factory=lambda: {"full": Budget()})
    reference: Mapping[str, float] = field(default_factory=dict)
    reference_label: str = "reference (%)"
    metrics: tuple[tuple[str, str], ...] = ()
    nr_r: tuple[tuple[str, str], tuple[str, str]] | None = None
    decisions: tuple[DecisionRule, ...] = ()
    intro: str = ""
    notes: str = "Test samples per run: {samples}."
    angle_spread: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        where = f"StudySpec {self.name!r}"
        if not self.arms:
            raise ValueError(f"{where}: needs at least one arm")
        if "smoke" not in self.budgets or len(self.budgets) < 2:
            raise ValueError(
                f"{where}: budgets need the full one and 'smoke', got {list(self.budgets)}"
            )
        for axis in ("seeds", "augments", "train_sizes"):
            if not getattr(self, axis):
                raise ValueError(f"{where}: {axis} must not be empty")

    @property
    def models(self) -> list[str]:
        """The arms' models, in order, without repeats."""
        return list(dict.fromkeys(a.model for a in self.arms))

    def budget(self, name: str | None = None) -> Budget:
        """The budget ``name`` (default: the first, the full one)."""
        if name is None:
            return next(iter(self.budgets.values()))
        if name not in self.budgets:
            raise ValueError(
                f"study {self.name!r}: budget must be one of {list(self.budgets)}, got {name!r}"
            )
        return self.budgets[name]


_REGISTRY: Registry[StudySpec] = Registry("study", StudySpec, "studies")


def register_study(spec: StudySpec) -> StudySpec:
    """Add ``spec`` (ValueError if its name is taken); returns it."""
    return _REGISTRY.register(spec)


def _builtin() -> None:
    importlib.import_module(_BUILTIN)  # registers the studies in studies/ (once)


def get_study(name: str) -> StudySpec:
    """The study registered as ``name``; ValueError listing known studies."""
    _builtin()
    return _REGISTRY.get(name)


def list_studies() -> list[str]:
    """Registered study names.

    >>> "rotmnist" in list_studies()
    True
    """
    _builtin()
    return _REGISTRY.names()
