#!/usr/bin/env python3
"""Draw the Storelink POS app icons (a teal rounded square with a white till
receipt) as RGBA PNGs with the standard library only.

Run from this directory: `python3 make_icons.py` writes 32x32.png,
128x128.png and icon.png (512x512). Tauri needs RGBA PNGs on Linux.
"""
import struct
import zlib


def pixel(x: float, y: float) -> tuple:
    """Colour of the point (x, y) in the unit square."""
    r = 0.18  # corner radius
    cx = min(max(x, r), 1 - r)
    cy = min(max(y, r), 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    # A white receipt with three teal lines.
    if 0.3 <= x <= 0.7 and 0.18 <= y <= 0.82:
        for top in (0.32, 0.46, 0.60):
            if top <= y <= top + 0.05 and 0.36 <= x <= 0.64:
                return (15, 118, 110, 255)
        return (255, 255, 255, 255)
    return (15, 118, 110, 255)


def png(size: int) -> bytes:
    rows = bytearray()
    for j in range(size):
        rows.append(0)
        for i in range(size):
            # 2x2 supersampling for smooth edges.
            acc = [0, 0, 0, 0]
            for dx in (0.25, 0.75):
                for dy in (0.25, 0.75):
                    p = pixel((i + dx) / size, (j + dy) / size)
                    for k in range(4):
                        acc[k] += p[k]
            rows.extend(v // 4 for v in acc)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for name, size in (("32x32.png", 32), ("128x128.png", 128), ("icon.png", 512)):
        with open(name, "wb") as f:
            f.write(png(size))
