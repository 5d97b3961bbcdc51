#!/usr/bin/env bash
# The short sweep behind the default normalisation, init and theta: 3 epochs
# of the paper's 3x500 network on MNIST per configuration, one JSON summary
# line each in results/sweep-3ep.jsonl. Run from the repository root after
# `cargo build --release`.
set -euo pipefail
out=results/sweep-3ep.jsonl
: > "$out"
run() {
  echo "== $*" >&2
  ./target/release/ffgpu train --backend cpu --epochs 3 --train-eval 0 --json "$@" 2>/dev/null \
    | tail -n 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); d["args"]=sys.argv[1:]; print(json.dumps(d))' "$@" >> "$out"
}
for theta in 125 250 500 1000; do run --objective ff --theta "$theta"; done
run --objective ff --theta 500 --init uniform
run --objective ff --theta 1 --norm l2
run --objective ff --theta 2 --norm l2
for theta in 250 500; do run --objective cff --theta "$theta"; done
run --objective cff --theta 1 --norm l2
run --objective cff-lt --theta 500
run --objective cff-lt --theta 500 --theta-scaling none
run --objective entropy
run --objective entropy-collab
