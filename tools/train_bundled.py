#!/usr/bin/python3
"""Train and export camanim's bundled default model ("fashion-canvas").

Fashion-MNIST items are pasted at a random position/scale/colour onto a
cluttered 96x96 RGB canvas (see tools/bundled/canvas.py); a compact residual
CNN (tools/bundled/model.py) is trained on them, evaluated on canvases made
from the Fashion-MNIST *test* split, checked for GradCAM localisation, and
exported to ONNX plus metadata and a few sample PNGs under
packages/cli/assets/.

Run from anywhere with Debian's Python (torch 1.13, onnx 1.12):
    /usr/bin/python3 tools/train_bundled.py            # full run
    /usr/bin/python3 tools/train_bundled.py --skip-train   # re-export from checkpoint
"""
import argparse
import json
import math
import os
import sys
import time

# Large tensors are allocated/freed every step; keep glibc from mmap/munmap-ing
# them each time (that costs ~2x in system time). Must be set before start-up.
if __name__ == "__main__" and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(1 << 40)
    os.environ["MALLOC_TRIM_THRESHOLD_"] = str(1 << 40)
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bundled.canvas import (LABELS, CanvasConfig, load_fashion,  # noqa: E402
                            make_canvases, to_uint8_hwc)
from bundled.model import CanvasNet  # noqa: E402
from bundled import onnx_ref  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAL_SIZE = 5000
SPLIT_SEED = 0
NORM_SEED = 42
TRAIN_SEED = 1_000_000
VAL_SEED = 7_000_000
TEST_SEED = 9_000_000
CHUNK = 500
SAMPLE_CLASSES = [7, 8, 1, 9, 3, 0]  # Sneaker, Bag, Trouser, Ankle boot, Dress, T-shirt/top


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def slug(name):
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def to_items(imgs):
    return torch.from_numpy(np.array(imgs, dtype=np.uint8)).float().div(255).unsqueeze(1)


def chunks(items, labels, seed_base, cfg, n=None):
    """Deterministic evaluation canvases, CHUNK at a time."""
    n = items.shape[0] if n is None else n
    for k, start in enumerate(range(0, n, CHUNK)):
        idx = torch.arange(start, min(n, start + CHUNK))
        x, y, b = make_canvases(items, labels, idx, seed_base + k, cfg)
        yield start, x, y, b


def normalise(x, mean, std):
    return (x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)


@torch.no_grad()
def evaluate(model, items, labels, seed_base, cfg, mean, std):
    model.eval()
    correct = total = 0
    for _, x, y, _ in chunks(items, labels, seed_base, cfg):
        pred = model(normalise(x, mean, std)).argmax(1)
        correct += (pred == y).sum().item()
        total += y.numel()
    return correct / total


def gradcam(model, xn):
    """Final-stage GradCAM for the predicted class. Returns (cam [B,H,W]
    upsampled, logits)."""
    model.eval()
    xn = xn.clone().requires_grad_(False)
    feats = model.features(xn)
    feats.retain_grad()
    logits = model.head(feats)
    pred = logits.argmax(1)
    score = logits.gather(1, pred.view(-1, 1)).sum()
    (grad,) = torch.autograd.grad(score, feats)
    w = grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((w * feats).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=xn.shape[2:], mode="bilinear", align_corners=False)
    return cam[:, 0].detach(), logits.detach()


def peak_in_box(cam, boxes):
    B, H, W = cam.shape
    flat = cam.view(B, -1).argmax(1)
    py, px = flat // W, flat % W
    inside = (px >= boxes[:, 0]) & (px <= boxes[:, 2]) & (py >= boxes[:, 1]) & (py <= boxes[:, 3])
    return inside, px, py


def train(args, cfg, tr_items, tr_labels, va_items, va_labels, mean, std):
    torch.manual_seed(args.seed)
    model = CanvasNet(widths=args.widths, blocks=args.blocks, stem=args.stem)
    n = tr_items.shape[0]
    steps_per_epoch = n // args.batch
    total_steps = steps_per_epoch * args.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    history, first, prev_seconds, recipe = [], 0, 0.0, []
    if args.resume:
        # fine-tune a checkpoint: cosine decay from --lr, no warm-up
        ck = torch.load(args.resume)
        model = CanvasNet(**ck["config"])
        model.load_state_dict(ck["state_dict"])
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps, eta_min=args.lr / 50)
        history, first, prev_seconds = ck["history"], ck["epochs"], ck.get("trainSeconds", 0.0)
        recipe = list(ck.get("recipe", []))
        log(f"resuming {args.resume} after {first} epochs; {args.epochs} more at lr {args.lr}")
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=args.lr, total_steps=total_steps, pct_start=0.2,
            div_factor=20, final_div_factor=200)
    recipe.append({"epochs": args.epochs, "lr": args.lr, "schedule": "cosine" if args.resume else "onecycle",
                   "resumedAfterEpoch": first, "canvas": cfg.as_dict()})
    if args.stop_after:
        recipe[-1]["stoppedAfter"] = args.stop_after
    t0 = time.time() - prev_seconds
    last = first + (min(args.stop_after, args.epochs) if args.stop_after else args.epochs)
    for epoch in range(first, last):
        model.train()
        g = torch.Generator().manual_seed(TRAIN_SEED + epoch)
        perm = torch.randperm(n, generator=g)
        run_loss = run_acc = 0.0
        te = time.time()
        for k in range(steps_per_epoch):
            idx = perm[k * args.batch:(k + 1) * args.batch]
            x, y, _ = make_canvases(tr_items, tr_labels, idx,
                                    TRAIN_SEED + 10_000 * (epoch + 1) + k, cfg, augment=True)
            logits = model(normalise(x, mean, std))
            loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            run_loss = 0.98 * run_loss + 0.02 * loss.item() if k else loss.item()
            run_acc = 0.98 * run_acc + 0.02 * (logits.argmax(1) == y).float().mean().item() if k else 0.1
            if k % 100 == 0:
                el = time.time() - te
                log(f"epoch {epoch + 1}/{first + args.epochs} step {k}/{steps_per_epoch} loss {run_loss:.3f} "
                    f"acc {run_acc:.3f} lr {sched.get_last_lr()[0]:.2e} "
                    f"{(k + 1) * args.batch / max(el, 1e-6):.0f} img/s")
        val = evaluate(model, va_items, va_labels, VAL_SEED, cfg, mean, std)
        history.append({"epoch": epoch + 1, "trainLoss": round(run_loss, 4), "valAccuracy": round(val, 4),
                        "seconds": round(time.time() - te, 1)})
        log(f"epoch {epoch + 1} done in {time.time() - te:.0f}s; val acc {val:.4f}; total {time.time() - t0:.0f}s")
        torch.save({"state_dict": model.state_dict(), "config": model.config, "mean": mean, "std": std,
                    "canvas": cfg.as_dict(), "epochs": epoch + 1, "history": history, "recipe": recipe,
                    "trainSeconds": time.time() - t0}, args.ckpt)
    return model


def write_png(path, arr):
    try:
        from PIL import Image
        Image.fromarray(arr).save(path, optimize=True)
    except ImportError:  # minimal PNG writer
        import struct
        import zlib
        h, w, _ = arr.shape
        raw = b"".join(b"\x00" + arr[r].tobytes() for r in range(h))

        def chunk(t, d):
            c = struct.pack(">I", len(d)) + t + d
            return c + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--label-smoothing", type=float, default=0.05)
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--min-scale", type=int, default=40)
    ap.add_argument("--max-scale", type=int, default=64)
    ap.add_argument("--fragment-strength", type=float, nargs=2, default=[0.1, 0.25])
    ap.add_argument("--alpha-gain", type=float, default=5.0)
    ap.add_argument("--shade-offset", type=float, default=0.3)
    ap.add_argument("--shade-gamma", type=float, default=0.8)
    ap.add_argument("--no-shade-norm", action="store_true")
    ap.add_argument("--stem", type=int, default=16)
    ap.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64, 128])
    ap.add_argument("--blocks", type=int, nargs="+", default=[1, 1, 2, 1])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cam-samples", type=int, default=1000)
    ap.add_argument("--ckpt", default="/tmp/camanim-fashion-canvas.pt")
    ap.add_argument("--out", default=os.path.join(REPO, "packages", "cli", "assets"))
    ap.add_argument("--train-limit", type=int, default=0, help="use only N training items (smoke tests)")
    ap.add_argument("--stop-after", type=int, default=0,
                    help="stop after this many epochs of an --epochs schedule (to replay the shipped recipe)")
    ap.add_argument("--resume", default="", help="fine-tune this checkpoint for --epochs more epochs")
    ap.add_argument("--skip-train", action="store_true", help="load --ckpt instead of training")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    cfg = CanvasConfig(size=args.size, min_scale=args.min_scale, max_scale=args.max_scale,
                       fragment_strength=args.fragment_strength, alpha_gain=args.alpha_gain,
                       shade_offset=args.shade_offset, shade_gamma=args.shade_gamma,
                       shade_norm=not args.no_shade_norm)
    tr_imgs, tr_lab = load_fashion("train")
    te_imgs, te_lab = load_fashion("t10k")
    perm = np.random.RandomState(SPLIT_SEED).permutation(len(tr_lab))
    va_i, tr_i = perm[:VAL_SIZE], perm[VAL_SIZE:]
    if args.train_limit:
        tr_i, va_i = tr_i[:args.train_limit], va_i[:args.train_limit]
    tr_items, tr_labels = to_items(tr_imgs[tr_i]), torch.from_numpy(tr_lab[tr_i])
    va_items, va_labels = to_items(tr_imgs[va_i]), torch.from_numpy(tr_lab[va_i])
    te_items, te_labels = to_items(te_imgs), torch.from_numpy(np.array(te_lab))
    log(f"train {len(tr_labels)} val {len(va_labels)} test {len(te_labels)} canvas {cfg.as_dict()}")

    if args.skip_train:
        ck = torch.load(args.ckpt)
        model = CanvasNet(**ck["config"])
        model.load_state_dict(ck["state_dict"])
        mean, std = ck["mean"], ck["std"]
        cfg = CanvasConfig(**ck["canvas"])
    else:
        if args.resume:  # keep the checkpoint's normalisation; the canvas comes from the flags
            rk = torch.load(args.resume)
            mean, std = rk["mean"], rk["std"]
        else:
            x, _, _ = make_canvases(tr_items, tr_labels, torch.arange(min(2048, len(tr_labels))), NORM_SEED, cfg)
            mean = x.mean(dim=(0, 2, 3)).mul(1e4).round().div(1e4)
            std = x.std(dim=(0, 2, 3)).mul(1e4).round().div(1e4)
        log(f"normalisation mean {mean.tolist()} std {std.tolist()}")
        model = train(args, cfg, tr_items, tr_labels, va_items, va_labels, mean, std)
        ck = torch.load(args.ckpt)
    model.eval()
    params = sum(p.numel() for p in model.parameters())

    # ---- test accuracy on canvases of the Fashion-MNIST test split
    test_acc = evaluate(model, te_items, te_labels, TEST_SEED, cfg, mean, std)
    log(f"TEST accuracy (10000 canvases): {test_acc:.4f}")

    # ---- GradCAM peak-in-box on the first N test canvases; also pick samples
    hits = total = 0
    area_frac = 0.0
    chosen = {}
    for start, x, y, b in chunks(te_items, te_labels, TEST_SEED, cfg, n=max(args.cam_samples, 2000)):
        xn = normalise(x, mean, std)
        cam, logits = gradcam(model, xn)
        inside, px, py = peak_in_box(cam, b)
        pred = logits.argmax(1)
        prob = logits.softmax(1).max(1).values
        for j in range(x.shape[0]):
            gi = start + j
            if gi < args.cam_samples:
                hits += int(inside[j])
                total += 1
                bw = (b[j, 2] - b[j, 0] + 1).item()
                bh = (b[j, 3] - b[j, 1] + 1).item()
                area_frac += bw * bh / (cfg.size * cfg.size)
            c = int(y[j])
            # preference: correct + confident + CAM peak in box > correct > any
            rank = 3 if (int(pred[j]) == c and inside[j] and prob[j] > 0.9) else 2 if int(pred[j]) == c else 1
            if c in SAMPLE_CLASSES and rank > chosen.get(c, {}).get("rank", 0):
                chosen[c] = dict(rank=rank, testIndex=gi, x=x[j], box=b[j].tolist(), logits=logits[j].tolist(),
                                 prob=float(prob[j]), peak=[int(px[j]), int(py[j])])
    cam_rate = hits / total
    log(f"GradCAM peak in item box: {cam_rate:.4f} over {total} test canvases "
        f"(mean box area fraction / chance level {area_frac / total:.4f})")

    # ---- ONNX export
    os.makedirs(os.path.join(args.out, "samples"), exist_ok=True)
    onnx_path = os.path.join(args.out, "fashion-canvas.onnx")
    H = cfg.size
    dummy = torch.zeros(1, 3, H, H)
    torch.onnx.export(model, dummy, onnx_path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    import onnx
    om = onnx.load(onnx_path)
    onnx.checker.check_model(om)
    ops = sorted({n.op_type for n in om.graph.node})
    bad = set(ops) - onnx_ref.ALLOWED_OPS
    if bad:
        raise SystemExit(f"exported ONNX uses disallowed ops: {bad}")
    gap = [n for n in om.graph.node if n.op_type == "GlobalAveragePool"]
    cam_tensor = gap[-1].input[0]
    size_bytes = os.path.getsize(onnx_path)
    log(f"ONNX {onnx_path}: {size_bytes} bytes, ops {ops}, final-stage tensor {cam_tensor!r}")

    # ---- samples
    samples = []
    batch = []
    for c in SAMPLE_CLASSES:
        if c not in chosen:
            log(f"warning: no sample found for class {LABELS[c]}")
            continue
        s = chosen[c]
        fname = f"{slug(LABELS[c])}-0.png"
        arr = to_uint8_hwc(s["x"])
        write_png(os.path.join(args.out, "samples", fname), arr)
        batch.append(torch.from_numpy(arr).permute(2, 0, 1).float().div(255))
        samples.append({"file": fname, "label": c, "className": LABELS[c], "testIndex": s["testIndex"],
                        "box": s["box"], "gradcamPeak": s["peak"],
                        "expectedProbability": round(s["prob"], 4),
                        "expectedLogits": [round(v, 4) for v in s["logits"]]})

    # ---- verify the ONNX file with the numpy reference interpreter on the samples
    xb = normalise(torch.stack(batch), mean, std)
    with torch.no_grad():
        ref = model(xb).numpy()
    outs, env = onnx_ref.run(om, {"input": xb.numpy()})
    diff = float(np.abs(outs["logits"] - ref).max())
    log(f"ONNX (numpy reference) vs torch max |logit diff| on samples: {diff:.2e}")
    if diff > 1e-3:
        raise SystemExit("ONNX export mismatch")
    cam_shape = [1] + list(env[cam_tensor].shape[1:])

    with open(os.path.join(args.out, "samples", "boxes.json"), "w") as f:
        json.dump({"canvas": [H, H], "boxFormat": "[x0, y0, x1, y1] inclusive pixel coordinates",
                   "samples": samples}, f, indent=2)
        f.write("\n")

    meta = {
        "labels": LABELS,
        "input": {"name": "input", "shape": [1, 3, H, H]},
        "output": {"name": "logits", "shape": [1, len(LABELS)]},
        "preprocess": {"mean": [round(v, 4) for v in mean.tolist()],
                       "std": [round(v, 4) for v in std.tolist()], "resize": H,
                       "layout": "NCHW", "channels": "RGB", "scale": "pixel / 255, then (x - mean) / std"},
        "testAccuracy": round(test_acc, 4),
        "gradcamPeakInBox": round(cam_rate, 4),
        "gradcamSamples": total,
        "gradcamChanceLevel": round(area_frac / total, 4),
        "trainedEpochs": ck["epochs"],
        "camLayer": {"tensor": cam_tensor, "shape": cam_shape},
        "architecture": {"name": "CanvasNet", **ck["config"], "params": params, "onnxOps": ops},
        "canvas": cfg.as_dict(),
        "training": {"history": ck["history"], "recipe": ck.get("recipe", []),
                     "seconds": round(ck.get("trainSeconds", 0))},
        "dataset": "Fashion-MNIST (Debian /usr/share/datasets/fashion-mnist) on synthetic cluttered canvases",
        "generatedBy": "tools/train_bundled.py",
    }
    with open(os.path.join(args.out, "fashion-canvas.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    log(f"done: params {params}, onnx {size_bytes} bytes, test acc {test_acc:.4f}, "
        f"cam-in-box {cam_rate:.4f}, samples {[s['file'] for s in samples]}")


if __name__ == "__main__":
    main()
