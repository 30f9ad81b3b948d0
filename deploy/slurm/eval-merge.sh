#!/usr/bin/env bash
# Merges the shards of deploy/slurm/eval-array.sh (CPU only). Submit it to run after the whole array succeeded:
#   sbatch --dependency=afterok:"$jid" deploy/slurm/eval-merge.sh
#SBATCH --job-name=ortdiff-eval-merge
#SBATCH --cpus-per-task=4
#SBATCH --mem=16G
#SBATCH --time=01:00:00
#SBATCH --output=logs/%x-%j.out
set -euo pipefail

RUN_DIR="${RUN_DIR:-$PWD/runs/coco-date}"
ORTDIFF="${ORTDIFF:-ortdiff}"

shopt -s nullglob
shards=("$RUN_DIR"/shard-*)
if [ "${#shards[@]}" -eq 0 ]; then
  echo "no shard folders under $RUN_DIR" >&2
  exit 1
fi

exec "$ORTDIFF" eval merge "${shards[@]}" --out "$RUN_DIR/merged"
