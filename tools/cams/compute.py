"""Per-layer reference CAMs for one network/input, with the cross-checks."""
import numpy as np
import torch

from . import checks, formulas
from .nets import forward_with_grads

ALL_LAYER_METHODS = list(formulas.GRADIENT_METHODS)
LAST_LAYER_METHODS = ["scorecam", "ablationcam"]


def _np(t):
    return t.detach().cpu().numpy().astype(np.float64)


def compute(net, x, cls, log=print):
    """x: [1, 3, H, W] float64.  Returns (logits, layers) where each layer is a dict
    {onnx, shape, activationMaxAbs, gradientMaxAbs, methods: {id: {raw, up, ...}}}
    and a dict of check name -> list of relative errors."""
    H, W = x.shape[2:]
    logits, acts, grads = forward_with_grads(net, x, cls)
    y = logits[0, cls]
    errs = {}
    layers = []
    for k, layer in enumerate(net.layers):
        A, G = acts[layer][0], grads[layer][0]
        if A.dim() != 3:
            raise RuntimeError(f"{layer}: expected a 4-D activation, got {list(acts[layer].shape)}")
        methods = {}
        for mid, fn in formulas.GRADIENT_METHODS.items():
            raw, extra = fn(A, G)
            methods[mid] = {"raw": raw, **extra}
        if k == len(net.layers) - 1:
            raw, extra = formulas.scorecam(net, x, A, cls)
            methods["scorecam"] = {"raw": raw, **extra}
            raw, extra = formulas.ablationcam(net, layer, x, A, cls, y)
            methods["ablationcam"] = {"raw": raw, **extra}
        for m in methods.values():
            m["up"] = formulas.upsample(m["raw"], (H, W))
        _check_layer(layer, A, G, methods, net, x, cls, y, errs)
        layers.append({
            "onnx": layer, "shape": list(acts[layer].shape),
            "activationMaxAbs": float(A.abs().max()), "gradientMaxAbs": float(G.abs().max()),
            "methods": methods, "gradient": G,
        })
        log(f"  {layer:55s} {list(acts[layer].shape)}  |A|max {float(A.abs().max()):.3g}"
            f"  |G|max {float(G.abs().max()):.3g}  methods {len(methods)}")
    return logits, layers, errs


def _check_layer(layer, A, G, methods, net, x, cls, y, errs):
    An, Gn = _np(A), _np(G)
    H, W = x.shape[2:]
    # 1. gradient-weighted formulas, numpy/einsum
    for mid, ref in checks.gradient_methods_np(An, Gn).items():
        checks.expect(f"einsum:{layer}:{mid}", _np(methods[mid]["raw"]), ref, log=errs)
    # 2. eigen methods vs numpy.linalg.svd (|raw| and the sign rule)
    for mid, T in (("eigencam", An), ("eigengradcam", Gn * An)):
        ref, v = checks.first_component_np(T)
        raw = _np(methods[mid]["raw"])
        s = methods[mid]["singularValues"]
        if s[1] < s[0] * (1 - 1e-6):  # a unique first component
            checks.expect(f"svd-abs:{layer}:{mid}", np.abs(raw), np.abs(ref), tol=1e-7, log=errs)
            if abs(v.sum()) > 1e-6:
                checks.expect(f"svd-sign:{layer}:{mid}", raw, ref, tol=1e-7, log=errs)
    # 3. upsampling vs the numpy cv2-style bilinear, for every map
    for mid, m in methods.items():
        checks.expect(f"bilinear:{layer}:{mid}", _np(m["up"]), checks.bilinear(_np(m["raw"]), H, W), log=errs)
    # 4. where the gradient is spatially constant per channel (layer -> GAP -> linear):
    #    hirescam == gradcam, and ablation's y - y_c == sum_ij G_c A_c exactly
    spread = (G - G.mean(dim=(1, 2), keepdim=True)).abs().max()
    if spread <= 1e-12 * max(float(G.abs().max()), 1e-300):
        checks.expect(f"constant-grad:{layer}:hirescam=gradcam", _np(methods["hirescam"]["raw"]),
                      _np(methods["gradcam"]["raw"]), log=errs)
        if "ablationcam" in methods:
            drop = (G * A).sum(dim=(1, 2))
            checks.expect(f"linear-head:{layer}:ablation", _np(methods["ablationcam"]["weights"]),
                          _np(drop / y), tol=1e-8, log=errs)
    # 5. Score-CAM masks: torch align_corners=True vs numpy, and one masked forward redone alone
    if "scorecam" in methods:
        M = formulas.scorecam_masks(A, (H, W))
        c = int(torch.argmax(methods["scorecam"]["weights"]))
        ref = checks.bilinear(An[c], H, W, align_corners=True)
        ref = (ref - ref.min()) / (ref.max() - ref.min() + 1e-8)
        checks.expect(f"scorecam-mask:{layer}", _np(M[c]), ref, log=errs)
        with torch.no_grad():
            single = net.run(x * M[c][None, None])[0][0]
        checks.expect(f"scorecam-score:{layer}", float(methods["scorecam"]["scores"][c]),
                      float(single[cls]), tol=1e-10, log=errs)
    # 6. Ablation-CAM: one channel redone with an explicit single-image forward
    if "ablationcam" in methods:
        c = int(torch.argmax(methods["ablationcam"]["weights"].abs()))

        def zero(v):
            v = v.clone()
            v[:, c] = 0
            return v
        with torch.no_grad():
            yc = net.run(x, override=(layer, zero))[0][0, cls]
        checks.expect(f"ablation-single:{layer}", float(methods["ablationcam"]["weights"][c]),
                      float((y - yc) / y), tol=1e-9, log=errs)

