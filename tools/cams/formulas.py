"""CAM formulas, written from docs/cam-conventions.md (torch, float64).

A, G: one image's activation and gradient, [C, h, w].  Every function returns
(raw [h, w], extras) where extras may hold per-channel `weights` [C] and, for
the eigen methods, the leading singular values.
"""
import torch
import torch.nn.functional as F

EPS = 1e-7


def weighted(w, A):
    return (w[:, None, None] * A).sum(0)


def gradcam(A, G):
    w = G.mean(dim=(1, 2))
    return weighted(w, A), {"weights": w}


def hirescam(A, G):
    return (G * A).sum(0), {}


def gradcamelementwise(A, G):
    return (G * A).clamp(min=0).sum(0), {}


def gradcam_pp(A, G):
    g2 = G * G
    g3 = g2 * G
    s = A.sum(dim=(1, 2))
    alpha = g2 / (2 * g2 + s[:, None, None] * g3 + EPS)
    alpha = torch.where(G != 0, alpha, torch.zeros_like(alpha))
    w = (alpha * G.clamp(min=0)).sum(dim=(1, 2))
    return weighted(w, A), {"weights": w}


def xgradcam(A, G):
    w = (G * A).sum(dim=(1, 2)) / (A.sum(dim=(1, 2)) + EPS)
    return weighted(w, A), {"weights": w}


def layercam(A, G):
    return (G.clamp(min=0) * A).sum(0), {}


def first_component(T):
    """X = T as [h*w, C], channel-centred; raw = X v (v: first right singular
    vector, sign so that sum(v) >= 0)."""
    C, h, w = T.shape
    X = T.reshape(C, h * w).t()
    X = X - X.mean(dim=0, keepdim=True)
    _, S, Vh = torch.linalg.svd(X, full_matrices=False)
    v = Vh[0]
    if v.sum() < 0:
        v = -v
    sv = [float(S[i]) if i < S.numel() else 0.0 for i in range(2)]
    return (X @ v).reshape(h, w), {"singularValues": sv, "vSum": float(v.sum())}


def eigencam(A, G):
    return first_component(A)


def eigengradcam(A, G):
    return first_component(G * A)


GRADIENT_METHODS = {
    "gradcam": gradcam,
    "hirescam": hirescam,
    "gradcamelementwise": gradcamelementwise,
    "gradcam++": gradcam_pp,
    "xgradcam": xgradcam,
    "layercam": layercam,
    "eigencam": eigencam,
    "eigengradcam": eigengradcam,
}


def scorecam_masks(A, size):
    """[C, H, W]: channels upsampled with align_corners=True, min-max normalised."""
    M = F.interpolate(A[None], size=size, mode="bilinear", align_corners=True)[0]
    lo = M.flatten(1).min(dim=1).values[:, None, None]
    hi = M.flatten(1).max(dim=1).values[:, None, None]
    return (M - lo) / (hi - lo + 1e-8)


def scorecam(net, x, A, cls):
    """x [1, 3, H, W]; A [C, h, w] of net's layer for x."""
    M = scorecam_masks(A, tuple(x.shape[2:]))
    scores = net.logits(x * M[:, None])[:, cls]  # [C] target logit of x * M_c
    w = torch.softmax(scores, dim=0)
    return weighted(w, A), {"weights": w, "scores": scores}


def ablationcam(net, layer, x, A, cls, y):
    """y: target logit of the unablated forward. Channel c is zeroed in batch item c."""
    C = A.shape[0]

    def zero_channel(v, start):
        v = v.clone()
        for i in range(v.shape[0]):
            v[i, start + i] = 0
        return v
    yc = net.logits(x.expand(C, -1, -1, -1), override=(layer, zero_channel))[:, cls]
    w = (y - yc) / y
    return weighted(w, A), {"weights": w, "scores": yc}


def upsample(raw, size):
    """Half-pixel bilinear with clamped edges (cv2 INTER_LINEAR), no antialias."""
    return F.interpolate(raw[None, None], size=size, mode="bilinear", align_corners=False,
                         antialias=False)[0, 0]
