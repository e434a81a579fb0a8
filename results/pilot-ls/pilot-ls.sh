#!/bin/bash
# pilot 7 (results/ico-plan.md): for each seed given, the plain recipe and label smoothing 0.1
# side by side, one torch thread each, bfloat16 autocast; seeds one after another
cd /work/run49
export GCONV_DATA=/work/shared/data OMP_NUM_THREADS=1 PYTHONPATH=/work/run49/src
PY=/work/main/.venv/bin/python
for s in "$@"; do
  for arm in plain ls; do
    extra=""; [ $arm = ls ] && extra="label_smoothing=0.1"
    ( $PY -m gconv.cli train --model ico-cnn --data spherical-mnist --bandwidth 30 --epochs 10 --batch-size 32 --lr 0.005 --optim lr_decay=0.7 lr_decay_from=2 $extra --precision bf16-mixed --seed $s --limit-train 10000 --limit-val 2000 --limit-test 5000 --test-rotate NR R --rotate NR --augment rotate-100 --no-progress --out /work/main/results/pilot-ls/runs/$arm-s$s > /work/runs/pilot-ls-$arm-s$s.log 2>&1; echo "rc=$? $(date -u +%H:%M:%S)" >> /work/runs/pilot-ls-$arm-s$s.log ) &
  done
  wait
done
