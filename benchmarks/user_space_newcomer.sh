#!/bin/bash
# A newcomer ships and resumes a model of their own family: export, load from another folder,
# a changed source, a resume with run options, a narrowed knob, a family that cannot build.
# usage: benchmarks/user_space_newcomer.sh SRC_DIR WORK_DIR   (SRC_DIR: a source tree, e.g. src)
PY=${PYTHON:-$(pwd)/.venv/bin/python}; SRC=$(realpath $1); W=$2; rm -rf $W; mkdir -p $W/a $W/elsewhere; cd $W/a
N="env PYTHONPATH=$SRC $PY -m nasforge.cli.main"
cat > my_family.py <<'PY'
from torch import nn


def my_cnn(k, task):
    layers, c_in = [], task.input_shape[0]
    for i in k.range("blocks", 1, 2):
        c = k.choice(f"b{i}.channels", [8, 16])
        act = k.choice(f"b{i}.act", {"relu": nn.ReLU(), "silu": nn.SiLU()})
        layers += [nn.Conv2d(c_in, c, 3, padding=1), act]
        c_in = c
    drop = nn.Dropout(k.float("dropout", 0.0, 0.5, step=0.1))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), drop, nn.Linear(c_in, task.num_classes))


def broken(k, task):
    return [nn.Linear(k.choice("w", [4, 8]), task.num_classes)]
PY
echo "== 11: export, then load and serve --runtime onnx from another folder"
$N search --space my_family.py:my_cnn --data digits --epochs 3 --budget 8 --final-epochs 3 --ensemble 1 --study s.db --no-progress > /dev/null 2>&1; echo "search rc=$?"
$N export s.db --out $W/model --trust-code 2>&1 | tail -1
cd $W/elsewhere
env PYTHONPATH=$SRC $PY -c "
import nasforge, torch
m = nasforge.load('$W/model', trust_code=True); print('load from another folder:', tuple(m(torch.zeros(2,1,8,8)).shape))" 2>&1 | tail -1
cd $W/a
echo "== 12: the source changed ('silu' maps to nn.ReLU())"
sed -i 's/"silu": nn.SiLU()/"silu": nn.ReLU()/' my_family.py; [ -d $W/model/space ] && chmod u+w $W/model/space/my_family.py && sed -i 's/"silu": nn.SiLU()/"silu": nn.ReLU()/' $W/model/space/my_family.py
env PYTHONPATH=$SRC $PY -c "
import nasforge, torch
try:
    m = nasforge.load('$W/model', trust_code=True, check_integrity=False); print('loaded without a word')
except Exception as e: print(type(e).__name__, str(e)[:230])" 2>&1 | tail -1
sed -i 's/"silu": nn.ReLU()/"silu": nn.SiLU()/' my_family.py
echo "== 13: resume with --threads 1, then with the stored --epochs 3"
$N search --study s.db --threads 1 --budget 9 --final-epochs 0 --no-progress 2>&1 | tail -1
$N search --study s.db --epochs 3 --budget 10 --final-epochs 0 --no-progress 2>&1 | tail -1
echo "== 14: a narrowed knob (dropout 0..0.5 -> 0..0.3)"
cp my_family.py orig.py; sed -i 's/0.0, 0.5, step=0.1/0.0, 0.3, step=0.1/' my_family.py
$N search --study s.db --budget 12 --final-epochs 0 --no-progress 2>&1 | tail -1 | cut -c1-330
cp orig.py my_family.py
echo "== 15: a space that returns a list"
$N search --space my_family.py:broken --data digits --epochs 1 --budget 2 --study b.db --no-progress 2>&1 | tail -1 | cut -c1-250
ls b.db 2>/dev/null && echo "b.db left behind" || echo "no study file written"
