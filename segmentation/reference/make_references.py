#!/usr/bin/env python3
"""Reference masks from onnxruntime for the burn model's tests. Run by hand, never in CI:

    pip install onnxruntime scikit-image numpy pillow
    python3 segmentation/reference/make_references.py MEDIUM_ONNX

MEDIUM_ONNX is the rebuilt `/models/medium` file (sha256 b6e8497b…; `make weights` rebuilds it under
the model cache as a by-product, or see ../shared/MODEL.md). For each sample photo from scikit-image
(public domain / CC0, see README.md here) this writes:

  inputs/NAME.png        the photo, RGB (PNG, so Rust and Python decode the same pixels)
  NAME.mask1024.png      the model output at 1024x1024, 16-bit grayscale (0..65535 = 0..1)
  NAME.mask.png          the 8-bit alpha mask at the photo's size (the product's output)

Pre- and post-processing are IMG.LY's, with the bilinear resizes written out (half-pixel centres, no
antialiasing) exactly as the Rust pipeline does them.
"""
import hashlib
import pathlib
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

SHA256 = "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb"
SAMPLES = ("astronaut", "coffee", "chelsea")  # scikit-image sample photos
HERE = pathlib.Path(__file__).resolve().parent


def resize_bilinear(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """[C, H, W] -> [C, height, width]; PyTorch's bilinear with align_corners=False, no antialias."""
    _, in_h, in_w = planes.shape

    def axis(out_size, in_size):
        scale = in_size / out_size
        src = (np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5
        src = np.clip(src, 0, None)
        lo = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        hi = np.minimum(lo + 1, in_size - 1)
        frac = (src - lo).astype(np.float32)
        return lo, hi, frac

    y0, y1, fy = axis(height, in_h)
    x0, x1, fx = axis(width, in_w)
    top = planes[:, y0, :] * (1 - fy)[None, :, None] + planes[:, y1, :] * fy[None, :, None]
    return top[:, :, x0] * (1 - fx)[None, None, :] + top[:, :, x1] * fx[None, None, :]


def main() -> None:
    model_path = pathlib.Path(sys.argv[1])
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    if digest != SHA256:
        sys.exit(f"{model_path}: sha256 {digest}, expected {SHA256}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    (HERE / "inputs").mkdir(exist_ok=True)
    # Imported here so that bench/compare.py can import resize_bilinear without scikit-image.
    from skimage import data

    for name in SAMPLES:
        load = getattr(data, name)
        rgb = np.asarray(load())[:, :, :3]
        Image.fromarray(rgb).save(HERE / "inputs" / f"{name}.png")
        planes = (rgb.transpose(2, 0, 1).astype(np.float32) - 128.0) / 256.0
        x = resize_bilinear(planes, 1024, 1024)[None].astype(np.float32)
        out = session.run(["output"], {"input": x})[0][0]  # [1, 1024, 1024], 0..1
        mask1024 = np.round(np.clip(out[0], 0, 1) * 65535).astype(np.uint16)
        Image.fromarray(mask1024).save(HERE / f"{name}.mask1024.png")
        h, w = rgb.shape[:2]
        small = resize_bilinear(out.astype(np.float32), h, w)[0]
        Image.fromarray(np.clip(np.round(small * 255), 0, 255).astype(np.uint8)).save(HERE / f"{name}.mask.png")
        print(f"{name}: {w}x{h}, foreground {float((out > 0.5).mean()):.3f} of the 1024² mask")


if __name__ == "__main__":
    main()
