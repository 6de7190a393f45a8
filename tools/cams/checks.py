"""Second computations (numpy, written independently of formulas.py) that the
reference maps must agree with.  Each check returns its max relative error and
raises if it is over `tol`."""
import numpy as np

TOL = 1e-9  # both sides are float64


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.abs(b).max(), 1e-30)
    return float(np.abs(a - b).max() / scale)


def expect(label, a, b, tol=TOL, log=None):
    e = rel_err(a, b)
    if not e <= tol:
        raise RuntimeError(f"check failed: {label}: rel err {e:.3g} > {tol:g}")
    if log is not None:
        log.setdefault(label.split(":")[0], []).append(e)
    return e


def _axis_weights(n_in, n_out, align_corners):
    """Per output index: (i0, i1, frac) of the source sample, clamped like cv2/torch."""
    d = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = d * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((d + 0.5) * (n_in / n_out) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def bilinear(m, H, W, align_corners=False):
    """cv2.resize(INTER_LINEAR)-style resize of a 2-D map (align_corners=False),
    or torch UpsamplingBilinear2d-style (align_corners=True)."""
    m = np.asarray(m, np.float64)
    y0, y1, fy = _axis_weights(m.shape[0], H, align_corners)
    x0, x1, fx = _axis_weights(m.shape[1], W, align_corners)
    top = m[y0][:, x0] * (1 - fx) + m[y0][:, x1] * fx
    bot = m[y1][:, x0] * (1 - fx) + m[y1][:, x1] * fx
    return top * (1 - fy)[:, None] + bot * fy[:, None]


def gradient_methods_np(A, G):
    """numpy versions of the gradient-weighted formulas (einsum form)."""
    A, G = np.asarray(A, np.float64), np.asarray(G, np.float64)
    C, h, w = A.shape
    out = {}
    out["gradcam"] = np.einsum("c,chw->hw", G.reshape(C, -1).mean(1), A)
    out["hirescam"] = np.einsum("chw,chw->hw", G, A)
    out["gradcamelementwise"] = np.maximum(G * A, 0).sum(0)
    num = G ** 2
    den = 2 * G ** 2 + A.reshape(C, -1).sum(1)[:, None, None] * G ** 3 + 1e-7
    alpha = np.divide(num, den, out=np.zeros_like(num), where=(G != 0))
    out["gradcam++"] = np.einsum("c,chw->hw", (alpha * np.maximum(G, 0)).reshape(C, -1).sum(1), A)
    xw = np.einsum("chw,chw->c", G, A) / (A.reshape(C, -1).sum(1) + 1e-7)
    out["xgradcam"] = np.einsum("c,chw->hw", xw, A)
    out["layercam"] = np.einsum("chw,chw->hw", np.maximum(G, 0), A)
    return out


def first_component_np(T):
    """numpy.linalg.svd version; returns (projection with sign rule applied, v)."""
    T = np.asarray(T, np.float64)
    C, h, w = T.shape
    X = T.reshape(C, h * w).T
    X = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(X, full_matrices=True)
    v = vt[0] if vt[0].sum() >= 0 else -vt[0]
    return (X @ v).reshape(h, w), v
