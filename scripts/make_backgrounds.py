"""Writes the editor's preset backgrounds (run by hand: numpy, Pillow, scikit-image).

Two are scikit-image sample photos (public domain / CC0, see LICENSES.md), tinted or resized here;
three are rendered by this script and are the project's own work, dedicated to the public domain
(CC0 1.0). Output: JPEG files and 240-pixel thumbnails in public/backgrounds/.
"""
import os

import numpy as np
import skimage
from PIL import Image, ImageFilter

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "public", "backgrounds")
DATA = os.path.join(os.path.dirname(skimage.__file__), "data")
W, H = 1600, 1200


def save(name, image):
    image = image.convert("RGB")
    image.save(os.path.join(HERE, f"{name}.jpg"), quality=82, optimize=True, progressive=True)
    thumb = image.copy()
    thumb.thumbnail((240, 180))
    thumb.save(os.path.join(HERE, f"{name}.thumb.jpg"), quality=80, optimize=True)


def grid():
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    return x / W, y / H


def studio():
    # A photographer's paper backdrop: light centre falling off to grey, floor a touch darker.
    x, y = grid()
    glow = np.exp(-(((x - 0.5) / 0.55) ** 2 + ((y - 0.42) / 0.6) ** 2))
    base = 150 + 95 * glow - 18 * np.clip((y - 0.7) / 0.3, 0, 1)
    rgb = np.stack([base, base * 0.985, base * 0.96], axis=-1)
    noise = np.random.default_rng(7).normal(0, 1.2, rgb.shape)
    return Image.fromarray(np.clip(rgb + noise, 0, 255).astype(np.uint8))


def sunset():
    # Evening sky: violet above, orange at the horizon, a low sun glow, dark sea below.
    x, y = grid()
    top, mid, low = np.array([58, 44, 110]), np.array([236, 120, 90]), np.array([255, 196, 120])
    t = np.clip(y / 0.72, 0, 1)[..., None]
    sky = np.where(t < 0.6, top + (mid - top) * (t / 0.6), mid + (low - mid) * ((t - 0.6) / 0.4))
    sun = np.exp(-(((x - 0.62) / 0.09) ** 2 + ((y - 0.7) / 0.09) ** 2))[..., None]
    sky = sky + sun * (np.array([255, 240, 200]) - sky) * 0.9
    sea = np.array([30, 34, 70]) + (1 - np.clip((y - 0.72) / 0.28, 0, 1))[..., None] * np.array([60, 40, 40])
    rgb = np.where((y >= 0.72)[..., None], sea, sky)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(2))


def bokeh():
    # Out-of-focus city lights: soft discs of warm and cool light on a dark blue ground.
    rng = np.random.default_rng(11)
    image = Image.new("RGB", (W, H), (18, 22, 40))
    layer = np.zeros((H, W, 3), np.float32)
    y, x = np.mgrid[0:H, 0:W]
    for _ in range(70):
        cx, cy, r = rng.uniform(0, W), rng.uniform(0, H * 0.85), rng.uniform(30, 110)
        colour = np.array([[255, 190, 90], [255, 120, 80], [120, 180, 255], [255, 230, 170]][rng.integers(4)])
        disc = np.clip((r - np.hypot(x - cx, y - cy)) / 6, 0, 1) * rng.uniform(0.15, 0.45)
        layer += disc[..., None] * colour
    rgb = np.asarray(image, np.float32) + layer
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(3))


def space():
    return Image.open(os.path.join(DATA, "hubble_deep_field.jpg"))


def brick():
    gray = np.asarray(Image.open(os.path.join(DATA, "brick.png")).convert("L"), np.float32) / 255
    warm = np.stack([70 + 150 * gray, 45 + 110 * gray, 35 + 80 * gray], axis=-1)
    return Image.fromarray(warm.astype(np.uint8)).transpose(Image.ROTATE_90).resize((1024, 1024), Image.LANCZOS)


if __name__ == "__main__":
    for name, make in [("studio", studio), ("sunset", sunset), ("bokeh", bokeh), ("space", space), ("brick", brick)]:
        save(name, make())
        print(name)
