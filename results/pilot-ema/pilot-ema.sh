#!/bin/bash
# pilot 6 (results/ico-plan.md): seeds given as arguments, one torch thread each, side by side
cd /work/run48
export GCONV_DATA=/work/shared/data OMP_NUM_THREADS=1 PYTHONPATH=/work/run48/src
PY=/work/main/.venv/bin/python
for s in "$@"; do
  ( $PY -m gconv.cli train --model ico-cnn --data spherical-mnist --bandwidth 30 --epochs 10 --batch-size 32 --lr 0.005 --optim lr_decay=0.7 lr_decay_from=2 ema=0.999 --seed $s --limit-train 10000 --limit-val 2000 --limit-test 5000 --test-rotate NR R --rotate NR --augment rotate-100 --no-progress --out /work/main/results/pilot-ema/runs/ema-s$s > /work/runs/pilot-ema-s$s.log 2>&1; echo "rc=$? $(date -u +%H:%M:%S)" >> /work/runs/pilot-ema-s$s.log ) &
done
wait
