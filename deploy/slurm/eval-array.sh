#!/usr/bin/env bash
# ortdiff eval as a Slurm job array: task i of the array runs shard i/N on one GPU, then a dependent job merges.
#
#   mkdir -p logs
#   jid=$(sbatch --parsable deploy/slurm/eval-array.sh)
#   sbatch --dependency=afterok:"$jid" deploy/slurm/eval-merge.sh
#
# N is the array's size (keep --array=0-(N-1)); override any setting below with the environment, e.g.
#   RUN_DIR=$SCRATCH/runs/coco MODEL=$SCRATCH/models/sd15 sbatch --array=0-31 deploy/slurm/eval-array.sh
# A task that dies (time limit, node failure, preemption with --requeue) resumes its shard when it runs again:
# finished items are kept in $RUN_DIR/shard-<i>/results.jsonl.
#SBATCH --job-name=ortdiff-eval
#SBATCH --array=0-7
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --mem=32G
#SBATCH --time=24:00:00
#SBATCH --requeue
#SBATCH --output=logs/%x-%A_%a.out
set -euo pipefail

: "${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is an array job (see the header)}"
SHARDS="${SHARDS:-${SLURM_ARRAY_TASK_COUNT:?SLURM_ARRAY_TASK_COUNT is not set; give SHARDS=N}}"
RUN_DIR="${RUN_DIR:-$PWD/runs/coco-date}"
MODEL="${MODEL:-$PWD/models/sd15}"
PROMPTS="${PROMPTS:-$PWD/prompts/coco30k.csv}"
REWARDS="${REWARDS:-$PWD/rewards}"
FID_MODEL="${FID_MODEL:-$PWD/models/fid-inception}"
FID_REFERENCE="${FID_REFERENCE:-$PWD/fid/coco-val.npz}"
ORTDIFF="${ORTDIFF:-ortdiff}"
# The CUDA build of ONNX Runtime (libonnxruntime.so with libonnxruntime_providers_cuda.so beside it).
export ORTDIFFUSION_ONNXRUNTIME_LIB="${ORTDIFFUSION_ONNXRUNTIME_LIB:-$HOME/onnxruntime-gpu/lib/libonnxruntime.so}"

mkdir -p "$RUN_DIR"
exec "$ORTDIFF" eval \
  --model "$MODEL" \
  --prompts "$PROMPTS" \
  --method fixed \
  --method "date:reward=$REWARDS/clip,every=10,rho=0.5,label=date-clip-10pct" \
  --seeds 0 \
  --metric "$REWARDS/clip" \
  --metric "$REWARDS/image_reward" \
  --metric fid --fid-model "$FID_MODEL" --fid-reference "$FID_REFERENCE" \
  --steps 50 --guidance 7.5 --scheduler ddim --width 512 --height 512 \
  --device cuda \
  --shard "$SLURM_ARRAY_TASK_ID/$SHARDS" \
  --out "$RUN_DIR/shard-$SLURM_ARRAY_TASK_ID"
