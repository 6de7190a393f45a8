"""Reference CAMs for the method variants: KPCA-CAM, eigen smoothing and augmentation
smoothing (docs/cam-conventions.md), torch float64, each recomputed a second way in numpy.

A variant is a base method with options, as camanim's computeCams takes them:
  kpcacam           KPCA-CAM, sigmoid kernel, gamma 1/C (pytorch-grad-cam's defaults)
  kpcacam[rbf]      KPCA-CAM, rbf kernel, gamma 1/C
  <m>+eigen         eigen_smooth: first-component projection of <m>'s per-channel terms
  <m>+aug           aug_smooth: mean over flip x {0.9, 1, 1.1} of the de-augmented,
                    ReLU'd, min-max normalised maps (raw at layer resolution; upsampled
                    as pytorch-grad-cam's forward returns it)
"""
import numpy as np
import torch

from . import checks, formulas
from .nets import forward_with_grads

VARIANTS = {
    "kpcacam": {"method": "kpcacam"},
    "kpcacam[rbf]": {"method": "kpcacam", "options": {"kernel": "rbf"}},
    "gradcam+eigen": {"method": "gradcam", "eigenSmooth": True},
    "layercam+eigen": {"method": "layercam", "eigenSmooth": True},
    "scorecam+eigen": {"method": "scorecam", "eigenSmooth": True},
    "gradcam+aug": {"method": "gradcam", "augSmooth": True},
    "layercam+eigen+aug": {"method": "layercam", "eigenSmooth": True, "augSmooth": True},
    "kpcacam+aug": {"method": "kpcacam", "augSmooth": True},
}
LAST_LAYER_ONLY = {"scorecam+eigen"}
AUGMENTS = [(flip, factor) for flip in (False, True) for factor in (0.9, 1.0, 1.1)]  # ttach's order
EPS = 1e-7


def kpca(A, kernel="sigmoid", gamma=None):
    """sklearn KernelPCA(n_components=1).fit_transform of the channel-centred [hw, C] rows:
    sqrt(l) u for the top eigenpair of the double-centred kernel matrix, u's largest-|.|
    entry positive (svd_flip)."""
    C, h, w = A.shape
    X = A.reshape(C, -1).t()
    X = X - X.mean(dim=0, keepdim=True)
    gamma = 1.0 / C if gamma is None else gamma
    D = X @ X.t()
    if kernel == "sigmoid":
        K = torch.tanh(gamma * D + 1)
    elif kernel == "rbf":
        sq = (X * X).sum(1)
        K = torch.exp(-gamma * (sq[:, None] + sq[None, :] - 2 * D).clamp(min=0))
    else:
        raise ValueError(kernel)
    n = K.shape[0]
    one = torch.full((n, n), 1.0 / n, dtype=K.dtype)
    Kc = K - one @ K - K @ one + one @ K @ one
    L, U = torch.linalg.eigh(Kc)
    u = U[:, -1]
    u = u * torch.sign(u[torch.argmax(u.abs())])
    return (u * L[-1].clamp(min=0).sqrt()).reshape(h, w), {"eigenvalues": [float(L[-1]), float(L[-2]) if n > 1 else 0.0]}


def kpca_np(A, kernel, gamma=None):
    """numpy: H K H with H = I - 1/n, the top eigenpair by numpy.linalg.eigh."""
    A = np.asarray(A, np.float64)
    C = A.shape[0]
    X = A.reshape(C, -1).T
    X = X - X.mean(axis=0)
    g = 1.0 / C if gamma is None else gamma
    if kernel == "sigmoid":
        K = np.tanh(g * np.einsum("ic,jc->ij", X, X) + 1)
    else:
        d2 = np.maximum(np.einsum("ic,ic->i", X, X)[:, None] + np.einsum("jc,jc->j", X, X)[None, :]
                        - 2 * np.einsum("ic,jc->ij", X, X), 0)
        K = np.exp(-g * d2)
    n = K.shape[0]
    H = np.eye(n) - 1.0 / n
    vals, vecs = np.linalg.eigh(H @ K @ H)
    u = vecs[:, -1]
    if u[np.argmax(np.abs(u))] < 0:
        u = -u
    return u * np.sqrt(max(vals[-1], 0.0))


def terms(base, A, G, weights=None):
    """The per-channel terms a method sums (eigen smoothing projects them instead)."""
    if base == "gradcam":
        return G.mean(dim=(1, 2))[:, None, None] * A
    if base == "layercam":
        return G.clamp(min=0) * A
    if base == "scorecam":
        return weights[:, None, None] * A
    raise ValueError(base)


def norm_relu(m):
    m = m.clamp(min=0)
    return (m - m.min()) / (m.max() - m.min() + EPS)


def base_map(variant, A, G):
    """The variant's map before augmentation smoothing."""
    spec = VARIANTS[variant]
    if spec["method"] == "kpcacam":
        return kpca(A, **spec.get("options", {}))[0]
    if spec.get("eigenSmooth"):
        return formulas.first_component(terms(spec["method"], A, G))[0]
    return formulas.GRADIENT_METHODS[spec["method"]](A, G)[0]


def compute(net, x, cls, log=print):
    """Same shape of result as cams.compute.compute: (logits, layers, errs)."""
    H, W = x.shape[2:]
    logits, acts, grads = forward_with_grads(net, x, cls)
    augmented = []
    for flip, factor in AUGMENTS:
        xt = factor * (torch.flip(x, dims=[3]) if flip else x)
        augmented.append(forward_with_grads(net, xt, cls)[1:])
    errs, layers = {}, []
    for k, layer in enumerate(net.layers):
        A, G = acts[layer][0], grads[layer][0]
        last = k == len(net.layers) - 1
        methods = {}
        for vid, spec in VARIANTS.items():
            if vid in LAST_LAYER_ONLY and not last:
                continue
            if spec.get("augSmooth"):
                methods[vid] = aug_smooth(vid, layer, augmented, (H, W), errs)
                continue
            weights = formulas.scorecam(net, x, A, cls)[1]["weights"] if spec["method"] == "scorecam" else None
            if spec["method"] == "kpcacam":
                raw, extra = kpca(A, **spec.get("options", {}))
                ref = kpca_np(A.numpy(), **{"kernel": "sigmoid", **spec.get("options", {})})
                checks.expect(f"kpca-numpy:{layer}:{vid}", raw.numpy().ravel(), ref.ravel(), log=errs)
            else:
                T = terms(spec["method"], A, G, weights)
                raw, extra = formulas.first_component(T)
                ref, _ = checks.first_component_np(T.numpy())
                checks.expect(f"svd:{layer}:{vid}", raw.numpy(), ref, tol=1e-7, log=errs)
            methods[vid] = {"raw": raw, "up": formulas.upsample(raw, (H, W)), **extra}
        layers.append({"onnx": layer, "shape": list(acts[layer].shape),
                       "activationMaxAbs": float(A.abs().max()), "gradientMaxAbs": float(G.abs().max()),
                       "methods": methods, "gradient": G})
        log(f"  {layer:55s} {list(acts[layer].shape)}  variants {len(methods)}")
    return logits, layers, errs


def aug_smooth(vid, layer, augmented, size, errs):
    """Mean over the augmentations of flip_t(norm(ReLU(cam_t))) at layer resolution and of
    flip_t(norm(resize(norm(ReLU(cam_t))))) at input size (pytorch-grad-cam's forward output)."""
    raw = up = 0
    raw_np = up_np = 0
    for (flip, _), (acts, grads) in zip(AUGMENTS, augmented):
        m = norm_relu(base_map(vid, acts[layer][0], grads[layer][0]))
        u = norm_relu(formulas.upsample(m, size))
        undo = (lambda t: torch.flip(t, dims=[1])) if flip else (lambda t: t)
        raw, up = raw + undo(m) / len(AUGMENTS), up + undo(u) / len(AUGMENTS)
        # numpy: cv2-style bilinear, slicing for the flip
        mn = m.numpy()
        un = checks.bilinear(mn, *size)
        un = (un - un.min()) / (un.max() - un.min() + EPS)
        raw_np = raw_np + (mn[:, ::-1] if flip else mn) / len(AUGMENTS)
        up_np = up_np + (un[:, ::-1] if flip else un) / len(AUGMENTS)
    checks.expect(f"aug-numpy:{layer}:{vid}", raw.numpy(), raw_np, log=errs)
    checks.expect(f"aug-numpy:{layer}:{vid}", up.numpy(), up_np, log=errs)
    return {"raw": raw, "up": up}
