#!/bin/bash
# pilot 6 reads (results/ico-plan.md): per seed, the average and the live weights at the last
# epoch with recomputed batch-norm statistics, and the average with its own averaged statistics
cd /work/run48
export GCONV_DATA=/work/shared/data OMP_NUM_THREADS=2 PYTHONPATH=/work/run48/src
PY=/work/main/.venv/bin/python
R=/work/main/results/pilot-ema
for s in "$@"; do
  C=$R/runs/ema-s$s/checkpoints/last.ckpt
  B="--data spherical-mnist --test-rotate NR R --limit-test 5000 --no-progress"
  $PY -m gconv.cli evaluate $C $B --bn-recompute 80 --bn-batch-size 32 --limit-train 10000 --json $R/ema-s$s-avg-bn80.json
  $PY -m gconv.cli evaluate $C $B --bn-recompute 80 --bn-batch-size 32 --limit-train 10000 --live --json $R/ema-s$s-live-bn80.json
  $PY -m gconv.cli evaluate $C $B --json $R/ema-s$s-avg-own.json
  $PY scripts/val_curve.py $R/runs/ema-s$s --metrics val_error train_loss_epoch lr > $R/ema-seed$s-val-curve.csv
done
echo "eval done $(date -u +%H:%M:%S)"
