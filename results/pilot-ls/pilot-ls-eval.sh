#!/bin/bash
# pilot 7's readout: each run's last epoch, batch-norm statistics recomputed over 80 training
# batches, tested in float32 on 5,000 NR and 5,000 R digits; arguments: seeds
cd /work/run49
export GCONV_DATA=/work/shared/data OMP_NUM_THREADS=2 PYTHONPATH=/work/run49/src
PY=/work/main/.venv/bin/python
R=/work/main/results/pilot-ls
for s in "$@"; do
  for arm in plain ls; do
    $PY -m gconv.cli evaluate $R/runs/$arm-s$s/checkpoints/last.ckpt --data spherical-mnist --test-rotate NR R --limit-test 5000 --bn-recompute 80 --bn-batch-size 32 --limit-train 10000 --no-progress --json $R/$arm-s$s-bn80.json
    $PY /work/run49/scripts/val_curve.py $R/runs/$arm-s$s --metrics val_error train_loss_epoch lr > $R/$arm-seed$s-val-curve.csv
  done
done
