#!/usr/bin/python3
"""Prints the 256-entry colormap tables baked into packages/shaders/src/colormap.ts.

jet: OpenCV's COLORMAP_JET exactly as cv2.applyColorMap draws it (a linear interpolation of
its r/g/b control arrays, modules/imgproc/src/colormap.cpp). viridis, inferno: the published
tables of van der Walt & Smith (matplotlib _cm_listed.py). turbo: Google's published table
(Mikhailov 2019), also in matplotlib. Each float is quantized as round(255 * x); OpenCV's own
COLORMAP_VIRIDIS / INFERNO / TURBO give the same bytes (checked below).

Needs Debian's python3-matplotlib and python3-opencv:
    /usr/bin/python3 packages/cli/scripts/colormap-luts.py > /tmp/luts.ts
"""
import cv2
import matplotlib
import numpy as np

ramp = np.arange(256, dtype=np.uint8).reshape(1, 256)


def opencv(code):
    return cv2.applyColorMap(ramp, code)[0][:, ::-1].astype(int)  # BGR -> RGB


def mpl(name):
    return (np.array(matplotlib.colormaps[name].colors) * 255).round().astype(int)


tables = {
    "jet": opencv(cv2.COLORMAP_JET),
    "turbo": mpl("turbo"),
    "viridis": mpl("viridis"),
    "inferno": mpl("inferno"),
}
assert (tables["turbo"] == opencv(cv2.COLORMAP_TURBO)).all()
assert (tables["viridis"] == opencv(cv2.COLORMAP_VIRIDIS)).all()
assert (tables["inferno"] == opencv(cv2.COLORMAP_INFERNO)).all()

for name, t in tables.items():
    packed = [int(r) | int(g) << 8 | int(b) << 16 for r, g, b in t]
    print(f"  {name}: [")
    for k in range(0, 256, 8):
        print("    " + ", ".join(f"0x{v:06x}" for v in packed[k:k + 8]) + ",")
    print("  ],")
