"""Fashion-MNIST loading (IDX parsing) and the synthetic "canvas" dataset.

Each canvas is an RGB HxW image in [0, 1] (quantised to 1/255 steps so it is
exactly what a PNG of it holds): a dark, low-contrast noisy background, a few
low-intensity clutter elements (fragments of other Fashion-MNIST items, strokes,
small patches) and one Fashion-MNIST item at a random position and scale,
tinted with a random bright colour. The item's bounding box is recorded from
its rendered alpha mask.

Generation is vectorised in torch (affine_grid + grid_sample) and fully
deterministic given a seed.
"""
import gzip
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    """Parse a (gzipped) IDX file into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise ValueError(f"{path}: bad IDX magic")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
              0x0D: ">f4", 0x0E: ">f8"}
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=dtypes[dtype_code], offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_fashion(split, root=FASHION_DIR):
    """Return (images uint8 [N,28,28], labels int64 [N]) for 'train' or 't10k'."""
    imgs = read_idx(os.path.join(root, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(root, f"{split}-labels-idx1-ubyte.gz"))
    return imgs, labels.astype(np.int64)


def _place(items, size, x0, y0, H, W, flip=None):
    """Render items [B,1,28,28] as squares of side `size` with top-left
    (x0, y0) on an HxW canvas (bilinear, zero outside). Returns [B,1,H,W]."""
    B = items.shape[0]
    sx = W / size
    sy = H / size
    theta = torch.zeros(B, 2, 3)
    fx = torch.ones(B) if flip is None else flip
    theta[:, 0, 0] = sx * fx
    theta[:, 0, 2] = (sx - 2 * x0 / size - 1) * fx
    theta[:, 1, 1] = sy
    theta[:, 1, 2] = sy - 2 * y0 / size - 1
    grid = F.affine_grid(theta, (B, 1, H, W), align_corners=False)
    return F.grid_sample(items, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def _rand_colour(B, g, vmin, vmax):
    """Random RGB colours whose brightest channel lies in [vmin, vmax]."""
    c = torch.rand(B, 3, generator=g)
    # make colours fairly saturated: push the smallest channel down a bit
    c = c / c.max(dim=1, keepdim=True).values.clamp_min(1e-3)
    v = vmin + (vmax - vmin) * torch.rand(B, 1, generator=g)
    return (c * v).view(B, 3, 1, 1)


class CanvasConfig:
    def __init__(self, size=96, min_scale=32, max_scale=60, n_fragments=3,
                 n_strokes=3, n_patches=3, fragment_strength=(0.1, 0.25),
                 alpha_gain=5.0, shade_offset=0.3, shade_gamma=0.8, shade_norm=True):
        self.size = size
        # item pixel v in [0,1] (after resampling): opacity clamp(alpha_gain * v),
        # colour * (o + (1 - o) * (v / max_v) ** shade_gamma), o = shade_offset,
        # max_v = the item's max if shade_norm else 1
        self.alpha_gain = alpha_gain
        self.shade_offset = shade_offset
        self.shade_gamma = shade_gamma
        self.shade_norm = shade_norm
        self.fragment_strength = list(fragment_strength)
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.n_fragments = n_fragments
        self.n_strokes = n_strokes
        self.n_patches = n_patches

    def as_dict(self):
        return dict(self.__dict__)


def make_canvases(items, labels, idx, seed, cfg, augment=False, pool=None):
    """Build canvases for items[idx].

    items: float tensor [N,1,28,28] in [0,1]; labels: int64 tensor [N].
    idx: int64 tensor [B] of item indices. pool: tensor of items used for
    clutter fragments (defaults to `items`).
    Returns (x [B,3,H,W] float in [0,1], y [B], boxes [B,4] int (x0,y0,x1,y1
    inclusive pixel coords)).
    """
    g = torch.Generator().manual_seed(int(seed))
    H = W = cfg.size
    B = idx.shape[0]
    pool = items if pool is None else pool

    # --- background: dark base colour + smooth low-contrast noise + grain
    base = _rand_colour(B, g, 0.05, 0.35)
    smooth = torch.rand(B, 3, H // 8, W // 8, generator=g) - 0.5
    smooth = F.interpolate(smooth, size=(H, W), mode="bilinear", align_corners=False)
    grain = torch.rand(B, 3, H, W, generator=g) - 0.5
    canvas = base + 0.16 * smooth + 0.06 * grain

    def blend(canvas, alpha, colour):
        return canvas * (1 - alpha) + alpha * colour

    # --- clutter 1: fragments of other items at low intensity
    for _ in range(cfg.n_fragments):
        other = pool[torch.randint(0, pool.shape[0], (B,), generator=g)]
        s = 16 + 28 * torch.rand(B, generator=g)
        x0 = -s / 2 + (W) * torch.rand(B, generator=g)
        y0 = -s / 2 + (H) * torch.rand(B, generator=g)
        frag = _place(other, s, x0, y0, H, W)
        # keep only a random rectangular window of the fragment
        wx = torch.rand(B, 2, generator=g).sort(dim=1).values * W
        wy = torch.rand(B, 2, generator=g).sort(dim=1).values * H
        xs = torch.arange(W).view(1, 1, 1, W).float()
        ys = torch.arange(H).view(1, 1, H, 1).float()
        win = ((xs >= wx[:, 0].view(B, 1, 1, 1) - 12) & (xs <= wx[:, 1].view(B, 1, 1, 1) + 12)
               & (ys >= wy[:, 0].view(B, 1, 1, 1) - 12) & (ys <= wy[:, 1].view(B, 1, 1, 1) + 12))
        f0, f1 = cfg.fragment_strength
        strength = (f0 + (f1 - f0) * torch.rand(B, generator=g)).view(B, 1, 1, 1)
        alpha = (frag * 2).clamp(0, 1) * win.float() * strength
        canvas = blend(canvas, alpha, _rand_colour(B, g, 0.5, 1.0))

    xs = torch.arange(W).view(1, 1, 1, W).float() + 0.5
    ys = torch.arange(H).view(1, 1, H, 1).float() + 0.5
    # --- clutter 2: strokes (line segments)
    for _ in range(cfg.n_strokes):
        p = torch.rand(B, 2, generator=g) * torch.tensor([W, H])
        ang = torch.rand(B, generator=g) * 2 * np.pi
        ln = 10 + 30 * torch.rand(B, generator=g)
        q = p + ln.view(B, 1) * torch.stack([ang.cos(), ang.sin()], 1)
        d = q - p
        px = xs - p[:, 0].view(B, 1, 1, 1)
        py = ys - p[:, 1].view(B, 1, 1, 1)
        t = ((px * d[:, 0].view(B, 1, 1, 1) + py * d[:, 1].view(B, 1, 1, 1))
             / (d ** 2).sum(1).view(B, 1, 1, 1)).clamp(0, 1)
        dist = ((px - t * d[:, 0].view(B, 1, 1, 1)) ** 2 + (py - t * d[:, 1].view(B, 1, 1, 1)) ** 2).sqrt()
        width = (0.7 + 1.3 * torch.rand(B, generator=g)).view(B, 1, 1, 1)
        strength = (0.2 + 0.25 * torch.rand(B, generator=g)).view(B, 1, 1, 1)
        alpha = (width + 0.5 - dist).clamp(0, 1) * strength
        canvas = blend(canvas, alpha, _rand_colour(B, g, 0.5, 1.0))

    # --- clutter 3: small rectangular patches
    for _ in range(cfg.n_patches):
        c = torch.rand(B, 2, generator=g) * torch.tensor([W, H])
        hw = 2 + 5 * torch.rand(B, 2, generator=g)
        m = (((xs - c[:, 0].view(B, 1, 1, 1)).abs() <= hw[:, 0].view(B, 1, 1, 1))
             & ((ys - c[:, 1].view(B, 1, 1, 1)).abs() <= hw[:, 1].view(B, 1, 1, 1))).float()
        strength = (0.15 + 0.2 * torch.rand(B, generator=g)).view(B, 1, 1, 1)
        canvas = blend(canvas, m * strength, _rand_colour(B, g, 0.4, 1.0))

    # --- the item
    s = cfg.min_scale + (cfg.max_scale - cfg.min_scale) * torch.rand(B, generator=g)
    x0 = (W - s) * torch.rand(B, generator=g)
    y0 = (H - s) * torch.rand(B, generator=g)
    flip = None
    if augment:
        flip = torch.where(torch.rand(B, generator=g) < 0.5, -1.0, 1.0)
    it = _place(items[idx], s, x0, y0, H, W, flip)
    alpha = (it * cfg.alpha_gain).clamp(0, 1)
    colour = _rand_colour(B, g, 0.7, 1.0)
    vmax = it.flatten(1).max(1).values.clamp_min(1e-3).view(B, 1, 1, 1) if cfg.shade_norm else 1.0
    shade = cfg.shade_offset + (1 - cfg.shade_offset) * (it / vmax).clamp(0, 1) ** cfg.shade_gamma
    canvas = canvas * (1 - alpha) + alpha * colour * shade

    canvas = (canvas.clamp(0, 1) * 255).round() / 255

    mask = alpha[:, 0] > 0.2
    rows = mask.any(dim=2)
    cols = mask.any(dim=1)
    ar = torch.arange(H)
    big = H + W
    y_min = torch.where(rows, ar, big).min(1).values
    y_max = torch.where(rows, ar, -1).max(1).values
    x_min = torch.where(cols, ar, big).min(1).values
    x_max = torch.where(cols, ar, -1).max(1).values
    boxes = torch.stack([x_min, y_min, x_max, y_max], 1)
    return canvas, labels[idx], boxes


def to_uint8_hwc(x):
    """[3,H,W] float in [0,1] -> numpy uint8 [H,W,3]."""
    return (x.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
