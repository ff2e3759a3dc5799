#!/usr/bin/env bash
# The GPU check of issue 16, in one command, from the repository root:
#
#     segmentation/bench/gpu.sh
#
# Runs the network with deterministic random weights of the published shapes (the real weights are
# larger than what a GPU machine may be sent) on the GPU and on the CPU path, on a 1024×1024 photo
# at model sizes 1024² and 768², in f32 and f16. Prints the GPU, the latency medians, max |GPU − CPU|
# of the sigmoid output, and peak device memory. Exits non-zero when there is no real GPU (a
# software rasteriser such as llvmpipe or lavapipe does not count), or when GPU and CPU disagree
# beyond the tolerances: 1e-3 on the sigmoid output in f32, 2e-2 in f16 (5 levels of the 8-bit
# mask); 1e-4 between pre-processing on the device and on the host; one 8-bit level between
# post-processing on the device and on the host.
#
# It runs the prebuilt target/gpu-bench/imgigo-bench.gz (`make gpu-bench-build`; bring it and
# target/gpu-bench/vulkan along), unpacked into a temporary folder, or target/gpu-bench/imgigo-bench,
# or builds that with cargo where cargo and its registry are there.
# Knobs: IMGIGO_GPU_BENCH (the binary), SEED, RUNS, CPU_RUNS, SIZES, PRECISIONS, PHOTO, PHOTO_SIZE.
# See segmentation/bench/README.md.
set -euo pipefail

BIN=${IMGIGO_GPU_BENCH:-target/gpu-bench/imgigo-bench}
BUNDLE=$(dirname "$BIN")
SEED=${SEED:-16}
RUNS=${RUNS:-20}
CPU_RUNS=${CPU_RUNS:-1}
SIZES=${SIZES:-1024,768}
PRECISIONS=${PRECISIONS:-f32,f16}
PHOTO=${PHOTO:-segmentation/reference/inputs/astronaut.png}
PHOTO_SIZE=${PHOTO_SIZE:-1024x1024}

say() { printf 'gpu.sh: %s\n' "$*"; }

if [[ ! -f segmentation/bench/gpu.sh ]]; then
    say "run me from the repository root"
    exit 2
fi

scratch=$(mktemp -d)
sampler=""
trap '[[ -n $sampler ]] && kill "$sampler" 2>/dev/null; rm -rf "$scratch"' EXIT

if [[ -f $BIN.gz ]]; then
    gzip -dc "$BIN.gz" >"$scratch/imgigo-bench"
    chmod +x "$scratch/imgigo-bench"
    BIN=$scratch/imgigo-bench
elif [[ ! -x $BIN ]]; then
    if command -v cargo >/dev/null 2>&1; then
        say "no prebuilt $BIN(.gz): building it with cargo (needs the crates.io registry or its cache)"
        if ! cargo build --locked --profile gpu-bench -p segmentation --features wgpu --bin imgigo-bench; then
            say "cargo could not build it here: build it elsewhere with 'make gpu-bench-build' and bring $BIN.gz along"
            exit 2
        fi
        BIN=target/gpu-bench/imgigo-bench
    else
        say "no $BIN(.gz) and no cargo: build it elsewhere with 'make gpu-bench-build' and bring $BIN.gz and $BUNDLE/vulkan along"
        exit 2
    fi
fi

# wgpu opens the Vulkan loader (libvulkan.so.1) at run time. Where the system has none, the copy
# that `make gpu-bench-build` put beside the binary stands in; the driver's ICD must still be there.
if ! { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libvulkan\.so\.1 '; then
    if [[ -f $BUNDLE/vulkan/libvulkan.so.1 ]]; then
        say "no system Vulkan loader: using $BUNDLE/vulkan/libvulkan.so.1"
        export LD_LIBRARY_PATH=$(cd "$BUNDLE/vulkan" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    else
        say "no Vulkan loader (libvulkan.so.1) on this machine and none in $BUNDLE/vulkan"
    fi
fi

say "machine: $(nproc) CPU cores, $(uname -sr)"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader |
        sed 's/^/gpu.sh: nvidia-smi: /' || true
fi
icds=$(ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | grep '\.json$' | tr '\n' ' ' || true)
say "Vulkan ICDs: ${icds:-none found in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d}"

if ! "$BIN" --list-adapters; then
    say "no real GPU adapter: nothing measured, no GPU figures reported"
    exit 2
fi

# Peak device memory as the driver sees it: the largest memory.used while the benchmark runs, less
# what was used before it started (the machine is ours alone for the run).
samples=$scratch/memory.used
if command -v nvidia-smi >/dev/null 2>&1; then
    baseline=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1 | tr -d ' ')
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$samples" 2>/dev/null &
    sampler=$!
fi

status=0
"$BIN" --device gpu --random-weights "$SEED" --compare-cpu --image "$PHOTO" --resize-photo "$PHOTO_SIZE" \
    --sizes "$SIZES" --runs "$RUNS" --cpu-runs "$CPU_RUNS" --precision "$PRECISIONS" || status=$?

if [[ -n $sampler ]]; then
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    sampler=""
    peak=$(tr -d ' ' <"$samples" | grep -E '^[0-9]+$' | sort -n | tail -1 || true)
    if [[ -n $peak ]]; then
        say "peak device memory (nvidia-smi, sampled every 100 ms): $((peak - baseline)) MiB above the $baseline MiB in use before the run"
    fi
else
    say "peak device memory from the driver: not available (no nvidia-smi)"
fi

case $status in
    0) say "PASS: GPU and CPU agree within the tolerances" ;;
    3) say "FAIL: GPU and CPU disagree beyond the tolerances (lines marked FAIL above)" ;;
    *) say "FAIL: the benchmark stopped with status $status" ;;
esac
exit "$status"
