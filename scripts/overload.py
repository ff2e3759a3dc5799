#!/usr/bin/env python3
"""Overload check (issue 13): a simultaneous burst of 3x the queue size of 12-megapixel JPEG uploads.

Every upload must end as either 200 with a valid image of the photo's size, or 503 with a
Retry-After header; any other answer, or a 200 that is not a readable image, fails the run. At the
end the server's peak resident memory (VmHWM) is reported.

By default it starts imgigo-fake itself (the real server with the deterministic fake engine) on a
free loopback port with IMGIGO_QUEUE and IMGIGO_FAKE_DELAY_MS set; --url targets a server that is
already running instead (loopback only; --pid names its process for the RSS figure).

Not a timed test and not in `make test`: `make overload` runs it. Plain python3; Pillow (in the test
venv, `make proof-venv`) makes the photo, and checks the results when it is importable.
"""

import argparse
import http.client
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

BOUNDARY = "imgigo-overload-boundary"


def make_photo(width, height):
    """A 4000x3000 JPEG with a pattern (gradients, a grid and a disc): compresses like a photo
    would not, so the upload is megabytes, and the decoder does real work."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        sys.exit("overload: Pillow is needed to make the photo (make proof-venv installs it in the venv)")
    image = Image.linear_gradient("L").resize((width, height))
    red = image
    green = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    blue = Image.effect_noise((width, height), 64)
    photo = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(photo)
    for x in range(0, width, 50):
        draw.line([(x, 0), (x, height)], fill=(255, 255, 255), width=3)
    for y in range(0, height, 50):
        draw.line([(0, y), (width, y)], fill=(0, 0, 0), width=3)
    draw.ellipse([width // 4, height // 4, 3 * width // 4, 3 * height // 4], fill=(200, 40, 90))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92)
    return out.getvalue()


def image_size(body):
    """(width, height) of a PNG/WebP/JPEG result, or None when it is not a readable image."""
    try:
        from PIL import Image
    except ImportError:
        if body.startswith(b"\x89PNG\r\n\x1a\n") and body[12:16] == b"IHDR":
            return int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
        return None
    try:
        with Image.open(io.BytesIO(body)) as image:
            image.load()
            return image.size
    except Exception:  # noqa: BLE001 - any decoding failure means "not a valid image"
        return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"overload: the server exited early with status {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if json.load(response)["checks"]["model"] == "ready":
                    return
        except Exception:  # noqa: BLE001 - not answering yet
            pass
        time.sleep(0.2)
    sys.exit(f"overload: {base} never reported the model ready")


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def upload(host, port, photo, start, results, index, timeout):
    body = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode() + photo + f"\r\n--{BOUNDARY}--\r\n".encode()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    began = None
    try:
        start.wait()
        began = time.monotonic()
        connection.request(
            "POST",
            "/api/v1/cutouts",
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        response = connection.getresponse()
        data = response.read()
        results[index] = {
            "status": response.status,
            "retry_after": response.getheader("Retry-After"),
            "body": data,
            "seconds": time.monotonic() - began,
        }
    except Exception as err:  # noqa: BLE001 - a reset or timeout is a failure to report
        results[index] = {"status": None, "error": repr(err), "seconds": time.monotonic() - (began or time.monotonic())}
    finally:
        connection.close()


def cpu_features():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = set(re.findall(r"\b(avx512f|avx2)\b", cpuinfo.read()))
        return ", ".join(sorted(flags)) or "neither avx2 nor avx512f"
    except OSError:
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="target/debug/imgigo-fake", help="imgigo-fake binary to start")
    parser.add_argument("--url", help="a running server (loopback) instead of starting one")
    parser.add_argument("--pid", type=int, help="the running server's process id, for its peak RSS")
    parser.add_argument("--queue", type=int, default=4, help="IMGIGO_QUEUE of the started server")
    parser.add_argument("--delay-ms", type=int, default=500, help="IMGIGO_FAKE_DELAY_MS of the started server")
    parser.add_argument("--burst", type=int, help="uploads sent at once (default 3x the queue)")
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per request")
    args = parser.parse_args()
    burst = args.burst or 3 * args.queue

    photo = make_photo(args.width, args.height)
    print(f"overload: photo {args.width}x{args.height} JPEG, {len(photo) / 1e6:.1f} MB; burst of {burst}")

    process = None
    work = None
    pid = args.pid
    if args.url:
        base = args.url.rstrip("/")
        host = urllib.parse.urlsplit(base).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("overload: only a server on this machine's loopback may be targeted")
    else:
        work = tempfile.mkdtemp(prefix="imgigo-overload-")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            IMGIGO_ADDR=f"127.0.0.1:{port}",
            IMGIGO_DATA_DIR=os.path.join(work, "data"),
            DATABASE_URL=f"sqlite://{work}/data/imgigo.db?mode=rwc",
            IMGIGO_QUEUE=str(args.queue),
            IMGIGO_FAKE_DELAY_MS=str(args.delay_ms),
            IMGIGO_ANON_BURST="100000",
            IMGIGO_ANON_PER_MINUTE="100000",
            IMGIGO_LOG=os.environ.get("IMGIGO_LOG", "warn"),
        )
        log = open(os.path.join(work, "server.log"), "wb")
        process = subprocess.Popen([args.server, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        pid = process.pid
        print(f"overload: started {args.server} (pid {pid}) at {base}, queue {args.queue}, fake delay {args.delay_ms} ms")
    parsed = urllib.parse.urlsplit(base)
    failures = []
    try:
        wait_ready(base, process)
        baseline = peak_rss_kib(pid) if pid else None
        start = threading.Event()
        results = [None] * burst
        threads = [
            threading.Thread(
                target=upload,
                args=(parsed.hostname, parsed.port or 80, photo, start, results, i, args.timeout),
            )
            for i in range(burst)
        ]
        for thread in threads:
            thread.start()
        began = time.monotonic()
        start.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began

        accepted = [r for r in results if r["status"] == 200]
        refused = [r for r in results if r["status"] == 503]
        other = [r for r in results if r["status"] not in (200, 503)]
        for r in refused:
            if not r["retry_after"]:
                failures.append("a 503 without Retry-After")
        for r in other:
            detail = r.get("error") or r.get("body", b"")[:200]
            failures.append(f"status {r['status']}: {detail!r}")
        for r in accepted:
            size = image_size(r["body"])
            if size != (args.width, args.height):
                failures.append(f"a 200 whose body is not a {args.width}x{args.height} image (got {size})")
        peak = peak_rss_kib(pid) if pid else None

        print(f"overload: {burst} uploads in {elapsed:.1f} s: accepted {len(accepted)} (200), "
              f"refused {len(refused)} (503, Retry-After on {sum(1 for r in refused if r['retry_after'])}), "
              f"other {len(other)}")
        if accepted:
            times = sorted(r["seconds"] for r in accepted)
            print(f"overload: accepted ones took {times[0]:.1f} to {times[-1]:.1f} s; "
                  f"every one a valid {args.width}x{args.height} image: {'yes' if not any('200' in f for f in failures) else 'no'}")
        if refused:
            print(f"overload: Retry-After values: {sorted(set(r['retry_after'] for r in refused))}")
        if peak is not None:
            print(f"overload: server peak RSS (VmHWM) {peak / 1024:.0f} MiB (before the burst {baseline / 1024:.0f} MiB)")
        print(f"overload: CPU features: {cpu_features()}; {os.cpu_count()} CPUs")
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    if not accepted:
        failures.append("no upload was accepted")
    if failures:
        for failure in failures:
            print(f"overload: FAIL {failure}")
        sys.exit(1)
    print("overload: OK")


if __name__ == "__main__":
    main()
