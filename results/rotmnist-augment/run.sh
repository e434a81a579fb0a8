#!/bin/bash
# rotated MNIST, the demo's budget (12 epochs, 10,000 training digits, first 10,000 test digits):
# batch-angle (full turn per batch) against gcnn-code (the released G-CNN code's ±3.14° per digit)
cd /work/main
export GCONV_DATA=/work/shared/data OMP_NUM_THREADS=1
for seed in 0 1; do
for model in z2cnn p4cnn; do
for aug in gcnn-code batch-angle; do
  out=/work/runs/aug/$model-$aug-s$seed
  [ -e $out/result.json ] && continue
  nice -n 5 .venv/bin/gconv train --model $model --data rotmnist --epochs 12 --limit-test 10000 \
    --augment $aug --seed $seed --out $out --no-progress > $out.log 2>&1
done; done; done
echo finished > /work/runs/aug/done
