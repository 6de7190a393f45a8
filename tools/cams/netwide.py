"""Reference maps for the methods that need more than a layer's A and G
(docs/cam-conventions.md), torch float64, each checked a second way:

  fullgrad    FullGrad (Srinivas & Fleuret 2019, as pytorch-grad-cam): bias layers are
              nn.Conv2d with a bias and nn.BatchNorm2d (effective bias beta - mu*gamma/sqrt(var+eps));
              for the bundled ONNX graph, Conv with a bias input.  Term of bias layer l:
              sum_c psi(|dy/dz_l,c * b_l,c|), psi = per-channel min-max (m - min)/(max - min + 1e-7).
              Frame of layer L: sum of the terms of the bias layers at L's resolution that L
              depends on (ancestry from autograd's graph), L included.  Also the whole
              saliency: sum_c psi(|dy/dx * x|_c) + sum_l upsample(term_l), at input size.
              Target: the class logit.
  shapleycam  ShapleyCAM (Cai et al. 2024, as pytorch-grad-cam): w_c = mean_ij (g - H A / 2),
              H A by torch's double backward (autograd.grad(g, A, grad_outputs=A)).
              Target: ReST, 2 z_c - logsumexp(z) (pytorch-grad-cam's ClassifierOutputReST),
              whose curvature makes H A non-zero in a ReLU network.
"""
import numpy as np
import torch

from . import checks, formulas
from .nets import FixtureNet, forward_with_grads

METHODS = ["fullgrad", "shapleycam"]
TARGETS = {"fullgrad": "logit", "shapleycam": "rest"}
EPS = 1e-7


def rest(z, cls):
    return 2 * z[:, cls] - torch.logsumexp(z, dim=1)


def bias_layers(net):
    """[(id, effective bias [C])] for the spatial bias layers, in module / node order."""
    if isinstance(net, FixtureNet):
        out = []
        for name, m in net.model.named_modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                out.append((name, m.bias - m.running_mean * m.weight / torch.sqrt(m.running_var + m.eps)))
            elif isinstance(m, torch.nn.Conv2d) and m.bias is not None:
                out.append((name, m.bias))
        return out
    out = []
    for n in net.proto.graph.node:
        if n.op_type == "Conv" and len(n.input) > 2 and n.input[2]:
            out.append((n.output[0], net.init[n.input[2]]))
        elif n.op_type == "BatchNormalization":
            scale, shift, mean, var = (net.init[i] for i in n.input[1:5])
            eps = next((a.f for a in n.attribute if a.name == "epsilon"), 1e-5)
            out.append((n.output[0], shift - mean * scale / torch.sqrt(var + eps)))
    return out


def forward_taps(net, x, ids):
    """One forward; returns logits, {layer: A}, {bias layer id: its output z}."""
    taps = {}
    if isinstance(net, FixtureNet):
        mods = dict(net.model.named_modules())

        def hook(name):
            def fn(_m, _i, out):
                taps[name] = out
                return out.clone()  # in-place ReLUs downstream must not overwrite z
            return fn
        handles = [mods[i].register_forward_hook(hook(i)) for i in ids]
        try:
            logits, acts = net.run(x)
        finally:
            for h in handles:
                h.remove()
        return logits, acts, taps
    layers = net.layers
    net.layers = list(layers) + list(ids)
    try:
        logits, acts = net.run(x)
    finally:
        net.layers = layers
    return logits, {l: acts[l] for l in layers}, {i: acts[i] for i in ids}


def channel_terms(M):
    """sum_c psi(M_c) for M [C, h, w] >= 0."""
    lo = M.flatten(1).min(dim=1).values[:, None, None]
    hi = M.flatten(1).max(dim=1).values[:, None, None]
    return ((M - lo) / (hi - lo + EPS)).sum(0)


def channel_terms_np(M):
    M = np.asarray(M, np.float64)
    out = np.zeros(M.shape[1:])
    for m in M:
        out += (m - m.min()) / (m.max() - m.min() + EPS)
    return out


def fullgrad(net, x, cls, errs):
    """Returns {layer: raw [h, w]} and the whole saliency [H, W]."""
    biases = bias_layers(net)
    xg = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits, acts, taps = forward_taps(net, xg, [i for i, _ in biases])
        y = logits[0, cls]
        grads = torch.autograd.grad(y, [xg] + [taps[i] for i, _ in biases], retain_graph=True)
        terms = {}
        for (i, b), g in zip(biases, grads[1:]):
            terms[i] = channel_terms((g[0] * b[:, None, None]).abs())
            checks.expect(f"fullgrad-term-numpy:{i}", terms[i].detach().numpy(),
                          channel_terms_np(np.abs(g[0].numpy() * b.detach().numpy()[:, None, None])), log=errs)
        frames = {}
        for layer in net.layers:
            h, w = acts[layer].shape[2:]
            same = [i for i, _ in biases if tuple(taps[i].shape[2:]) == (h, w)]
            feeds = torch.autograd.grad(acts[layer], [taps[i] for i in same], grad_outputs=torch.ones_like(acts[layer]),
                                        retain_graph=True, allow_unused=True) if same else []
            frames[layer] = sum((terms[i] for i, f in zip(same, feeds) if f is not None),
                                torch.zeros(h, w, dtype=x.dtype))
    size = tuple(x.shape[2:])
    inp = channel_terms((grads[0][0] * x[0]).abs())
    saliency = inp + sum(formulas.upsample(t.detach(), size) for t in terms.values())
    completeness(net, x, cls, y.detach(), grads, biases, errs)
    return {k: v.detach() for k, v in frames.items()}, saliency.detach()


def completeness(net, x, cls, y, grads, biases, errs):
    """FullGrad's identity for piecewise-linear networks: y = <dy/dx, x> + sum_l <dy/dz_l, b_l>
    + the classifier's bias b_fc[cls].  It checks the effective biases and the taps; ReLU6
    (Clip) saturation adds constants that it does not count, so those nets are skipped."""
    if isinstance(net, FixtureNet):
        if any(isinstance(m, torch.nn.ReLU6) for m in net.model.modules()):
            return
        fc = [m for m in net.model.modules() if isinstance(m, torch.nn.Linear)][-1].bias
    else:
        fc = net.init[[n for n in net.proto.graph.node if n.op_type == "Gemm"][-1].input[2]]
    total = (grads[0] * x).sum() + fc[cls] + sum((g[0] * b[:, None, None]).sum() for (_, b), g in zip(biases, grads[1:]))
    checks.expect("fullgrad-completeness", float(total), float(y), tol=1e-8, log=errs)


def shapleycam(net, x, layer, A, cls):
    """raw, {weights, hvp} at one layer; A [1, C, h, w] is the layer's activation."""
    Av = A.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        z = net.run(x, override=(layer, lambda v: Av))[0]
        g, = torch.autograd.grad(rest(z, cls).sum(), Av, create_graph=True)
        hvp = torch.autograd.grad(g, Av, grad_outputs=A.detach(), allow_unused=True)[0] if g.requires_grad else None
    hvp = torch.zeros_like(A) if hvp is None else hvp.detach()
    w = (g.detach() - 0.5 * hvp)[0].mean(dim=(1, 2))
    return formulas.weighted(w, A[0]), {"weights": w, "hvp": hvp[0], "gradient": g.detach()[0]}


def compute(net, x, cls, log=print):
    """(logits, layers, errs, images) with layers shaped as cams.compute.compute's and
    images = {"fullgradSaliency": [H, W]}."""
    size = tuple(x.shape[2:])
    logits, acts, grads = forward_with_grads(net, x, cls)
    errs = {}
    frames, saliency = fullgrad(net, x, cls, errs)
    layers = []
    for layer in net.layers:
        A, G = acts[layer], grads[layer][0]
        raw, extra = shapleycam(net, x, layer, A, cls)

        def y_of(a, layer=layer):
            return rest(net.run(x, override=(layer, lambda v: a))[0], cls).sum()
        _, hvp = torch.autograd.functional.hvp(y_of, A, A)
        checks.expect(f"shapley-hvp:{layer}", extra["hvp"].numpy(), hvp[0].numpy(), log=errs)
        methods = {"fullgrad": {"raw": frames[layer]}, "shapleycam": {"raw": raw, "weights": extra["weights"]}}
        for mid, m in methods.items():
            m["up"] = formulas.upsample(m["raw"], size)
            checks.expect(f"bilinear:{layer}:{mid}", m["up"].numpy(), checks.bilinear(m["raw"].numpy(), *size), log=errs)
        layers.append({"onnx": layer, "shape": list(A.shape), "activationMaxAbs": float(A.abs().max()),
                       "gradientMaxAbs": float(G.abs().max()), "methods": methods, "gradient": G})
        log(f"  {layer:55s} {list(A.shape)}  |HA|max {float(extra['hvp'].abs().max()):.3g}"
            f"  |g_rest|max {float(extra['gradient'].abs().max()):.3g}  fullgrad max {float(frames[layer].max()):.3g}")
    return logits, layers, errs, {"fullgradSaliency": saliency}
