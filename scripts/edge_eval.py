#!/usr/bin/env python3
"""Issue 17's edge evaluation: imgigo's edge steps against rembg, on composites whose alpha and
foreground are known.

The set: five photos, each cut out once on their own (the mask, solid inside: `alpha.png`), then
laid with that alpha over four new backgrounds: I = α·F + (1 − α)·B with F the photo. So every
composite's true alpha is α and its true foreground is F, exactly. The photos are scikit-image's
sample data: astronaut, chelsea and coffee (also in segmentation/reference/inputs), camera and
rocket (from the scikit-image wheel on PyPI); public domain or CC0 as scikit-image lists them. The
backgrounds: a saturated green (the worst fringe) and three of the editor's bundled presets
(`brick.jpg`, `bokeh.jpg`, `sunset.jpg`: CC0, public/backgrounds/LICENSES.md).

Each composite is cut out by imgigo's steps (`imgigo-edges-eval`: the network's upsampled mask,
then the solid inside, then the estimated edge colours, which is what the API sends; and the same
with the mask first refined by the photo with the fast guided filter, an option) and by rembg
with the same ISNet weights (`dis_custom` on the ONNX file imgigo's weights come from): as it is,
with `alpha_matting=True`, and with its mask plus pymatting's `estimate_foreground_ml` (what
rembg's alpha matting uses to clean the colours).

Scores, on the unknown band (pixels where 0.01 < α < 0.99, grown by 5 px): SAD (Σ|α̂ − α|, in
thousands), MSE (×10⁻³), gradient error (Σ(|∇α̂| − |∇α|)², σ 1.4, in thousands), the foreground
colour error weighted by α (mean |F̂ − F| per channel, 0–255, where α̂ > 0), and the error of the
result laid on white (what a person sees: 0–255). Seconds per image are wall time on this machine.

usage: edge_eval.py --eval-bin target/reference/imgigo-edges-eval --onnx isnet.onnx [--out DIR]
[--reuse] (`make bench-edges-eval` sets both up; `--reuse` keeps the network's masks and the peers'
results of an earlier run in DIR, to try a change to the edge steps in seconds).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ["astronaut", "chelsea", "coffee", "camera", "rocket"]
GREEN = (0, 177, 64)


def load(path, mode):
    return np.asarray(Image.open(path).convert(mode), dtype=np.float64) / 255.0


def save(array, path, mode):
    Image.fromarray(np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8), mode).save(path)


def cover(image, width, height):
    scale = max(width / image.width, height / image.height)
    size = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    scaled = image.resize(size, Image.Resampling.LANCZOS)
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return scaled.crop((left, top, left + width, top + height))


def photo_file(name):
    """A photo of the set: the reference inputs in the repository, else scikit-image's sample data
    (installed in the evaluation's environment)."""
    local = ROOT / "segmentation" / "reference" / "inputs" / f"{name}.png"
    if local.exists():
        return local
    import skimage

    data = Path(skimage.__file__).parent / "data"
    return next(data / f"{name}{ext}" for ext in (".png", ".jpg") if (data / f"{name}{ext}").exists())


def backgrounds(width, height):
    out = {"green": np.broadcast_to(np.array(GREEN, dtype=np.float64) / 255.0, (height, width, 3))}
    for name in ("brick", "bokeh", "sunset"):
        image = Image.open(ROOT / "public" / "backgrounds" / f"{name}.jpg").convert("RGB")
        out[name] = np.asarray(cover(image, width, height), dtype=np.float64) / 255.0
    return out


def score(alpha, fg, result):
    """The scores of an RGBA `result` (0–1) against the true `alpha` and `fg`."""
    est_alpha, est_fg = result[..., 3], result[..., :3]
    band = ndimage.binary_dilation((alpha > 0.01) & (alpha < 0.99), iterations=5)
    diff = est_alpha - alpha
    grad = ndimage.gaussian_gradient_magnitude(est_alpha, 1.4) - ndimage.gaussian_gradient_magnitude(alpha, 1.4)
    weight = alpha * (est_alpha > 0) * band
    colour = (np.abs(est_fg - fg).mean(axis=-1) * weight).sum() / max(weight.sum(), 1e-9)
    on_white = est_alpha[..., None] * est_fg + (1 - est_alpha[..., None])
    truth_white = alpha[..., None] * fg + (1 - alpha[..., None])
    return {
        "SAD": np.abs(diff)[band].sum() / 1000.0,
        "MSE": (diff**2)[band].mean() * 1000.0,
        "Grad": (grad**2)[band].sum() / 1000.0,
        "colour": colour * 255.0,
        "on white": np.abs(on_white - truth_white).mean(axis=-1)[band].mean() * 255.0,
    }


def assemble(package, out):
    """The ONNX file `name` of @imgly/background-removal-data (unpacked at `package`), from its
    chunks: the network imgigo's weights are converted from."""
    import json

    resources = json.loads((Path(package) / "dist" / "resources.json").read_text())
    chunks = resources["/models/medium"]["chunks"]
    partial = Path(str(out) + ".partial")
    with open(partial, "wb") as onnx:
        for chunk in chunks:
            onnx.write((Path(package) / "dist" / chunk["hash"]).read_bytes())
    partial.rename(out)


def crops(out, cases):
    """Before/after crops of two edges, on white, 3× (nearest): the network's mask with the photo's
    colours, imgigo's API result, rembg, and rembg + foreground_ml, side by side, saved under
    end2end/artifacts/ (`edges-<case>.png`)."""
    artifacts = ROOT / "end2end" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    files = ["imgigo-network.png", "imgigo.png", "rembg.png", "rembg-foreground.png"]
    for case, name in cases:
        if case.name not in ("chelsea-green", "astronaut-brick"):
            continue
        alpha = load(out / f"truth-{name}" / "alpha.png", "L")
        band = (alpha > 0.05) & (alpha < 0.95)
        # The 64×64 window with the most soft pixels.
        density = ndimage.uniform_filter(band.astype(np.float64), size=64)
        y, x = np.unravel_index(np.argmax(density), density.shape)
        top = int(np.clip(y - 32, 0, alpha.shape[0] - 64))
        left = int(np.clip(x - 32, 0, alpha.shape[1] - 64))
        tiles = []
        for file in files:
            rgba = load(case / file, "RGBA")[top : top + 64, left : left + 64]
            white = rgba[..., 3:] * rgba[..., :3] + (1 - rgba[..., 3:])
            tiles.append(np.kron(white, np.ones((3, 3, 1))))
        gap = np.ones((192, 6, 3))
        row = np.concatenate([part for tile in tiles for part in (tile, gap)][:-1], axis=1)
        save(row, artifacts / f"edges-{case.name}.png", "RGB")


def imgigo_times(case, seconds):
    """Adds imgigo's seconds for `case` (its evaluation binary's times file) to `seconds`."""
    times = dict(line.split() for line in (case / "imgigo-times.txt").read_text().split("\n") if line)
    inference = float(times["inference"])
    seconds.setdefault("imgigo network", []).append(inference)
    seconds.setdefault("imgigo + solid", []).append(inference + float(times["solid"]))
    seconds.setdefault("imgigo (API)", []).append(inference + float(times["solid"]) + float(times["compose"]))
    seconds.setdefault("imgigo + guided filter", []).append(
        inference + float(times["guided"]) + float(times["solid"]) + float(times["compose"])
    )


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "assemble":
        assemble(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-bin", required=True)
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--out", default=str(ROOT / "target" / "edge-eval"))
    parser.add_argument("--reuse", action="store_true", help="keep masks and peers' results of an earlier run")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # The true alpha of each photo (imgigo's mask of the clean photo, solid inside).
    for name in PHOTOS:
        truth = out / f"truth-{name}"
        truth.mkdir(exist_ok=True)
        Image.open(photo_file(name)).convert("RGB").save(truth / "photo.png")
    reuse = ["--reuse-masks"] if args.reuse else []
    subprocess.run([args.eval_bin, *reuse, str(out)], check=True)

    cases = []
    for name in PHOTOS:
        fg = load(out / f"truth-{name}" / "photo.png", "RGB")
        alpha = load(out / f"truth-{name}" / "alpha.png", "L")
        height, width = alpha.shape
        for bg_name, bg in backgrounds(width, height).items():
            case = out / f"{name}-{bg_name}"
            case.mkdir(exist_ok=True)
            save(alpha[..., None] * fg + (1 - alpha[..., None]) * bg, case / "composite.png", "RGB")
            cases.append((case, name))

    # imgigo's steps.
    subprocess.run([args.eval_bin, *reuse, str(out)], check=True)

    # rembg, the same weights.
    from rembg import new_session, remove
    from pymatting import estimate_foreground_ml

    session = new_session("dis_custom", model_path=args.onnx)
    seconds = {}
    for case, _ in cases:
        imgigo_times(case, seconds)
        if args.reuse and (case / "peer-times.txt").exists():
            for line in (case / "peer-times.txt").read_text().splitlines():
                method, value = line.rsplit(" ", 1)
                seconds.setdefault(method, []).append(float(value))
            continue
        image = Image.open(case / "composite.png").convert("RGB")
        started = time.perf_counter()
        plain = remove(image, session=session)
        seconds.setdefault("rembg", []).append(time.perf_counter() - started)
        plain.save(case / "rembg.png")
        started = time.perf_counter()
        remove(image, session=session, alpha_matting=True).save(case / "rembg-matting.png")
        seconds.setdefault("rembg alpha_matting", []).append(time.perf_counter() - started)
        started = time.perf_counter()
        mask = np.asarray(plain, dtype=np.float64)[..., 3] / 255.0
        colours = estimate_foreground_ml(np.asarray(image, dtype=np.float64) / 255.0, mask)
        save(np.dstack([colours, mask]), case / "rembg-foreground.png", "RGBA")
        seconds.setdefault("rembg + foreground_ml", []).append(
            seconds["rembg"][-1] + time.perf_counter() - started
        )
        peers = ("rembg", "rembg alpha_matting", "rembg + foreground_ml")
        (case / "peer-times.txt").write_text("".join(f"{m} {seconds[m][-1]}\n" for m in peers))

    methods = {
        "imgigo network": "imgigo-network.png",
        "imgigo + solid": "imgigo-solid.png",
        "imgigo (API)": "imgigo.png",
        "imgigo + guided filter": "imgigo-guided.png",
        "rembg": "rembg.png",
        "rembg alpha_matting": "rembg-matting.png",
        "rembg + foreground_ml": "rembg-foreground.png",
    }
    totals = {method: {} for method in methods}
    for case, name in cases:
        fg = load(out / f"truth-{name}" / "photo.png", "RGB")
        alpha = load(out / f"truth-{name}" / "alpha.png", "L")
        for method, file in methods.items():
            for key, value in score(alpha, fg, load(case / file, "RGBA")).items():
                totals[method].setdefault(key, []).append(value)

    crops(out, cases)

    cpu = subprocess.run(
        "grep -o 'avx512f\\|avx2' /proc/cpuinfo | sort -u | tr '\\n' ' '", shell=True, capture_output=True, text=True
    ).stdout.strip()
    print(f"\n{len(cases)} composites ({', '.join(c.name for c, _ in cases)}); CPU features: {cpu}; "
          f"{os.cpu_count()} cores")
    keys = ["SAD", "MSE", "Grad", "colour", "on white"]
    print("| method | " + " | ".join(keys) + " | s / image |")
    print("|---" * (len(keys) + 2) + "|")
    for method in methods:
        row = [f"{np.mean(totals[method][key]):.2f}" for key in keys]
        print(f"| {method} | " + " | ".join(row) + f" | {np.mean(seconds[method]):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
