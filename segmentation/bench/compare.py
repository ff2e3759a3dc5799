#!/usr/bin/env python3
"""burn against onnxruntime on the same 1024² input, in one run, on this machine's CPU cores.

    pip install onnxruntime numpy pillow     # once; never part of CI
    python3 segmentation/bench/compare.py MEDIUM_ONNX [--runs 3] [--stock] [--layers] [--kernels v3]

MEDIUM_ONNX is the rebuilt `/models/medium` file. Prints the CPU and its SIMD features, onnxruntime's
median latency (2 threads, one warm-up), then runs the optimised `imgigo-bench` on the same photo
(its first line names the kernel set it chose) and prints burn's median, the ratio, the smaller
sizes' drift, model load time and peak RSS. Flags it does not know go to `imgigo-bench`.
"""
import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "reference"))
from make_references import resize_bilinear  # noqa: E402  (same pre-processing as the references)

ROOT = pathlib.Path(__file__).resolve().parents[2]
PHOTO = ROOT / "segmentation/reference/inputs/astronaut.png"


def cpu_description() -> str:
    """The CPU's model name and the SIMD features that matter here, from /proc/cpuinfo (Linux)."""
    try:
        info = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU"
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", info, re.M)
    wanted = ["avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx2", "fma"]
    present = set(flags.group(1).split()) if flags else set()
    return f"{model.group(1) if model else 'unknown CPU'}, {os.cpu_count()} cores, " + " ".join(
        f for f in wanted if f in present
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("onnx")
    parser.add_argument("--runs", type=int, default=3)
    args, bench_flags = parser.parse_known_args()  # the rest (--stock, --layers, --sizes) go to imgigo-bench

    print(f"machine: {cpu_description()}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    rgb = np.asarray(Image.open(PHOTO).convert("RGB"))
    x = resize_bilinear((rgb.transpose(2, 0, 1).astype(np.float32) - 128.0) / 256.0, 1024, 1024)[None]
    x = x.astype(np.float32)
    session.run(["output"], {"input": x})  # warm-up
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        session.run(["output"], {"input": x})
        times.append(time.perf_counter() - started)
    ort_median = statistics.median(times)
    print(f"onnxruntime {ort.__version__} 1024: median {ort_median:.3f} s over {args.runs} runs")

    command = ["cargo", "run", "-q", "--locked", "--profile", "reference", "-p", "segmentation",
               "--bin", "imgigo-bench", "--", "--image", str(PHOTO), "--runs", str(args.runs), *bench_flags]
    result = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    print(result.stdout, end="")
    burn = re.search(r"\] 1024: median ([0-9.]+) ms per image \(image in, mask out\), network alone ([0-9.]+) ms",
                     result.stdout)
    if burn:
        request, network = (float(value) / 1e3 for value in burn.groups())
        print(f"ratio burn/onnxruntime at 1024: {network / ort_median:.2f}x (network alone, as onnxruntime is timed); "
              f"{request / ort_median:.2f}x (whole request: resize in, mask out)")
    else:
        sys.exit("compare.py: imgigo-bench printed no 1024 median")


if __name__ == "__main__":
    main()
