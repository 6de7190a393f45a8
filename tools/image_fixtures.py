#!/usr/bin/python3
"""Image fixtures for the CLI's decoder tests (packages/cli/test/images.test.ts).

Usage (Debian's /usr/bin/python3 with python3-pil):

  /usr/bin/python3 tools/image_fixtures.py    # -> packages/cli/test/fixtures/images/

Every fixture is a small picture in one of the layouts users meet: grayscale, gray +
alpha, palette with and without tRNS, RGBA, 16-bit RGB and gray PNG, CMYK JPEG, JPEGs
tagged with each EXIF orientation 1..8, an animated GIF and an animated WebP. Beside
each decodable one, `<name>.expected.png` is PIL's decode of it (EXIF orientation
applied, alpha composited onto white, first frame of an animation): the reference the
tests compare camanim's sharp decode with. The hostile ones have no reference:
bomb.png declares 20000x20000 pixels in 138 bytes, truncated.png / truncated.jpg are
valid files cut short. Output is deterministic.
"""
import os
import random
import struct
import zlib

from PIL import Image, ImageOps

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "cli", "test", "fixtures", "images")
W, H, BLOCK = 24, 16, 8
# Six distinct colours on 8x8 blocks (JPEG blocks, so JPEG keeps them nearly flat); no
# symmetry, so every EXIF orientation gives a different picture.
COLOURS = [(230, 30, 30), (30, 200, 40), (40, 60, 220), (250, 220, 30), (240, 240, 240), (20, 20, 20)]
ALPHAS = [255, 128, 0, 255, 64, 200]


def blocks(mode="RGB"):
    img = Image.new("RGB", (W, H))
    for k, c in enumerate(COLOURS):
        x, y = (k % 3) * BLOCK, (k // 3) * BLOCK
        img.paste(c, (x, y, x + BLOCK, y + BLOCK))
    if mode == "RGBA":
        img = img.convert("RGBA")
        alpha = Image.new("L", (W, H))
        for k, a in enumerate(ALPHAS):
            x, y = (k % 3) * BLOCK, (k // 3) * BLOCK
            alpha.paste(a, (x, y, x + BLOCK, y + BLOCK))
        img.putalpha(alpha)
    return img


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width, height, bit_depth, colour_type, rows):
    """A PNG written chunk by chunk (PIL cannot write 16-bit RGB, nor a lying IHDR)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")


def rgb16():
    """16-bit RGB: each 8-bit colour v as v*257 plus a low-byte ramp (which 8-bit output drops)."""
    rgb = blocks()
    rows = []
    for y in range(H):
        row = b""
        for x in range(W):
            row += b"".join(struct.pack(">H", v * 257 if v < 255 else 65535) for v in rgb.getpixel((x, y)))
        rows.append(row)
    return png_bytes(W, H, 16, 2, rows)


def reference(img):
    """PIL's decode as camanim should see it: oriented, first frame, on white, RGB."""
    img.seek(0)
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I"):
        img = img.point(lambda v: v / 257).convert("L")
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("LA", "RGBA", "PA"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return img.convert("RGB")


def noisy(size):
    rnd = random.Random(8)
    return Image.frombytes("RGB", (size, size), bytes(rnd.randrange(256) for _ in range(size * size * 3)))


def save(name, write):
    path = os.path.join(OUT, name)
    write(path)
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    decodable = []
    base = blocks()
    decodable.append(save("rgb.png", lambda p: base.save(p)))
    decodable.append(save("rgba.png", lambda p: blocks("RGBA").save(p)))
    decodable.append(save("gray.png", lambda p: base.convert("L").save(p)))
    decodable.append(save("gray-alpha.png", lambda p: blocks("RGBA").convert("LA").save(p)))
    palette = base.quantize(colors=8, method=Image.Quantize.MEDIANCUT)
    decodable.append(save("palette.png", lambda p: palette.save(p)))
    # tRNS: the palette entry of the top-left block is fully transparent.
    decodable.append(save("palette-trns.png", lambda p: palette.save(p, transparency=palette.getpixel((0, 0)))))
    decodable.append(save("rgb16.png", lambda p: open(p, "wb").write(rgb16())))
    gray16 = Image.frombytes("I;16", (W, H), b"".join(struct.pack("<H", v * 257) for v in base.convert("L").getdata()))
    decodable.append(save("gray16.png", lambda p: gray16.save(p)))
    decodable.append(save("cmyk.jpg", lambda p: base.convert("CMYK").save(p, quality=95, subsampling=0)))
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        decodable.append(save(f"orient-{orientation}.jpg", lambda p: base.save(p, quality=95, subsampling=0, exif=exif)))
    # Animations: the first frame is the picture, later ones differ (so using them shows).
    frames = [base, base.transpose(Image.Transpose.ROTATE_180), Image.new("RGB", (W, H), (0, 0, 255))]
    decodable.append(save("animated.gif", lambda p: frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)))
    decodable.append(save("animated.webp", lambda p: frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0, lossless=True)))
    for path in decodable:
        with Image.open(path) as img:
            reference(img).save(path.rsplit(".", 1)[0] + ".expected.png")
    # 20000 x 20000 RGB declared (1.2 GB decoded, 1.6 GB as RGBA in a browser) in a 138-byte
    # file: one zlib-compressed row. (Chromium refuses 60000 x 60000 at its own header check,
    # which would leave the viewer's limit untested.)
    save("bomb.png", lambda p: open(p, "wb").write(png_bytes(20000, 20000, 8, 2, [bytes(20000 * 3)])))
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg")):
        path = save(f"truncated.{ext}", lambda p: noisy(64).save(p, fmt))
        data = open(path, "rb").read()
        open(path, "wb").write(data[: len(data) * 6 // 10])


if __name__ == "__main__":
    main()
