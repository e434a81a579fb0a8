# SPDX-License-Identifier: MIT
"""Speed and memory of registered models, and the conditions they were measured in.

Timing (:func:`time_interleaved`): every measured call ("arm") is a closure; after ``warmup``
untimed calls of each, the arms run in turn within every repeat, the first arm rotating from
repeat to repeat, so a load change on a shared machine hits every arm alike. Each arm gets the
sorted seconds per call (``time.perf_counter``; on CUDA the device is synchronised before and
after each call); reports give the median and the fastest.

:func:`bench_model` measures a model of the registry (:mod:`gconv.models`) on random inputs
of its registered shape, all three arms interleaved in one process:

- latency: one forward pass at batch 1, eval mode, under ``torch.inference_mode``;
- throughput: B / (time of such a forward pass at batch B), images per second;
- training step: forward, loss, backward and an Adam step (lr 1e-3) at batch B, train mode;
  the loss is cross-entropy against fixed random labels for logits, mean square otherwise.

Peak memory (:func:`peak_memory`), of a training step or of a forward pass at batch B: on CPU,
the peak resident set size (``VmHWM`` in ``/proc/self/status``, Linux) of a fresh Python
process that builds the model and its inputs, resets its peak to its current size (writing 5
to ``/proc/self/clear_refs``) and runs the call twice; "above baseline" is that peak minus the
resident size before the first call, so it counts activations, gradients, optimizer state and
one-time initialisation, not the model, the inputs or the imported libraries. On CUDA, the same
with ``torch.cuda.max_memory_allocated`` (live tensors, not the caching allocator's reserve).

:func:`environment` records commit, versions, threads, CPU and load; :func:`record` writes a
benchmark's raw output under it to ``<directory>/<name>-<YYYY-MM-DD>-<commit>.txt``.
"""

from ._bench import BenchResult, add_cli, bench_model
from ._memory import PeakMemory, peak_memory
from ._record import Environment, environment, record
from ._timing import time_interleaved

add_commands = add_cli  # the CLI's hook: ``gconv bench``

__all__ = [
    "BenchResult",
    "Environment",
    "PeakMemory",
    "add_cli",
    "add_commands",
    "bench_model",
    "environment",
    "peak_memory",
    "record",
    "time_interleaved",
]
