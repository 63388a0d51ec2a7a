#!/usr/bin/env python3
"""Reference renderer for RenderTests' golden image (an independent NumPy implementation).

Renders the procedural head (ProceduralHead.mesh(longitudes: 48, latitudes: 36)) with the
procedural checker albedo (ProceduralHead.checkerAlbedo(size: 128)) and the `studio` SH light
under the camera s = 400 px/m, t = (64, 64), R = rotation by 0.5 rad about +y, into a 128x128 RGB image over black,
and writes golden-head.png. Everything is re-derived here from the documented formulas, in
float64, so the Swift renderer is checked against a second implementation, not against itself:

  mesh      r = 1 + 0.18 exp(-(phi/0.22)^2 - ((theta - 0.55 pi)/0.16)^2)
            v = r (0.08 sin(theta) sin(phi), 0.11 cos(theta), 0.09 sin(theta) cos(phi))
            u = j/lon, v = 1 - i/lat (UV grid with a duplicated seam column)
  camera    camera-space positions R v (normals from them too), then x = s v_x + t_x, y = -s v_y + t_y; pixel centres at +0.5; back faces culled
            (signed area >= 0 in the y-down image); z-buffer keeps the largest z
  normals   area-weighted vertex normals, interpolated with barycentrics, normalised
  albedo    bilinear, texel coords x = u W - 0.5, y = (1 - v) H - 0.5, clamped to the edge
  lighting  DECA SH basis and constants, studio coefficients [1.8, 0, 0.2, 0.35, 0, 0, 0, 0, -0.1]

Run:  python3 make_golden.py   (needs numpy and Pillow; writes golden-head.png next to itself)
"""
import math
import os

import numpy as np
from PIL import Image

LON, LAT, SIZE, TEX = 48, 36, 128, 128
SCALE, TX, TY, YAW = 400.0, 64.0, 64.0, 0.5
STUDIO = [1.8, 0.0, 0.2, 0.35, 0, 0, 0, 0, -0.1]


def head_mesh():
    def point(i, j):
        theta = math.pi * i / LAT
        phi = -math.pi + 2 * math.pi * j / LON
        r = 1 + 0.18 * math.exp(-(phi / 0.22) ** 2 - ((theta - 0.55 * math.pi) / 0.16) ** 2)
        return [r * 0.08 * math.sin(theta) * math.sin(phi), r * 0.11 * math.cos(theta),
                r * 0.09 * math.sin(theta) * math.cos(phi)]

    pos = [point(0, 0)]
    for i in range(1, LAT):
        for j in range(LON):
            pos.append(point(i, j))
    pos.append(point(LAT, 0))
    south = len(pos) - 1

    def vid(i, j):
        return 1 + (i - 1) * LON + j % LON

    def uid(i, j):
        return i * (LON + 1) + j

    uvs = [[j / LON, 1 - i / LAT] for i in range(LAT + 1) for j in range(LON + 1)]
    tris, uvtris = [], []
    for j in range(LON):
        tris.append([0, vid(1, j), vid(1, j + 1)])
        uvtris.append([uid(0, j), uid(1, j), uid(1, j + 1)])
        tris.append([vid(LAT - 1, j), south, vid(LAT - 1, j + 1)])
        uvtris.append([uid(LAT - 1, j), uid(LAT, j), uid(LAT - 1, j + 1)])
    for i in range(1, LAT - 1):
        for j in range(LON):
            a, b, c, d = vid(i, j), vid(i, j + 1), vid(i + 1, j), vid(i + 1, j + 1)
            tris += [[a, c, d], [a, d, b]]
            uvtris += [[uid(i, j), uid(i + 1, j), uid(i + 1, j + 1)], [uid(i, j), uid(i + 1, j + 1), uid(i, j + 1)]]
    return np.array(pos), np.array(tris), np.array(uvs), np.array(uvtris)


def checker_albedo():
    tex = np.zeros((TEX, TEX, 3))
    base = np.array([0.82, 0.62, 0.52])
    for j in range(TEX):
        for i in range(TEX):
            u, v = (i + 0.5) / TEX, 1 - (j + 0.5) / TEX
            checker = 1.0 if (int(u * 8) + int(v * 8)) % 2 == 0 else 0.75
            grid = min(abs(u * 16 - round(u * 16)), abs(v * 16 - round(v * 16)))
            line = 0.6 if grid < 0.06 else 1.0
            tex[j, i] = base * checker * line
    return tex


def bilinear(tex, u, v):
    h, w, _ = tex.shape
    x, y = u * w - 0.5, (1 - v) * h - 0.5
    x0, y0 = math.floor(x), math.floor(y)
    fx, fy = x - x0, y - y0
    cx = lambda k: min(max(k, 0), w - 1)
    cy = lambda k: min(max(k, 0), h - 1)
    t00, t10 = tex[cy(y0), cx(x0)], tex[cy(y0), cx(x0 + 1)]
    t01, t11 = tex[cy(y0 + 1), cx(x0)], tex[cy(y0 + 1), cx(x0 + 1)]
    return (1 - fy) * ((1 - fx) * t00 + fx * t10) + fy * ((1 - fx) * t01 + fx * t11)


def sh_shading(n):
    pi = math.pi
    c = [1 / math.sqrt(4 * pi), (2 * pi / 3) * math.sqrt(3 / (4 * pi)), (2 * pi / 3) * math.sqrt(3 / (4 * pi)),
         (2 * pi / 3) * math.sqrt(3 / (4 * pi)), (pi / 4) * 3 * math.sqrt(5 / (12 * pi)),
         (pi / 4) * 3 * math.sqrt(5 / (12 * pi)), (pi / 4) * 3 * math.sqrt(5 / (12 * pi)),
         (pi / 4) * 1.5 * math.sqrt(5 / (12 * pi)), (pi / 4) * 0.5 * math.sqrt(5 / (4 * pi))]
    x, y, z = n
    basis = [1, x, y, z, x * y, x * z, y * z, x * x - y * y, 3 * z * z - 1]
    return sum(STUDIO[k] * c[k] * basis[k] for k in range(9))


def render():
    pos, tris, uvs, uvtris = head_mesh()
    c, s = math.cos(YAW), math.sin(YAW)
    pos = pos @ np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]).T
    tex = checker_albedo()
    fn = np.cross(pos[tris[:, 1]] - pos[tris[:, 0]], pos[tris[:, 2]] - pos[tris[:, 0]])
    vn = np.zeros_like(pos)
    for k in range(3):
        np.add.at(vn, tris[:, k], fn)
    vn /= np.linalg.norm(vn, axis=1, keepdims=True)
    screen = np.stack([SCALE * pos[:, 0] + TX, -SCALE * pos[:, 1] + TY], axis=1)
    zbuf = np.full((SIZE, SIZE), -np.inf)
    tri_id = np.full((SIZE, SIZE), -1)
    bary = np.zeros((SIZE, SIZE, 3))
    for t, (i0, i1, i2) in enumerate(tris):
        p0, p1, p2 = screen[i0], screen[i1], screen[i2]
        area = (p1[0] - p0[0]) * (p2[1] - p0[1]) - (p1[1] - p0[1]) * (p2[0] - p0[0])
        if area >= 0 or abs(area) < 1e-10:
            continue
        xs = np.arange(max(0, math.ceil(min(p0[0], p1[0], p2[0]) - 0.5)),
                       min(SIZE - 1, math.floor(max(p0[0], p1[0], p2[0]) - 0.5)) + 1)
        ys = np.arange(max(0, math.ceil(min(p0[1], p1[1], p2[1]) - 0.5)),
                       min(SIZE - 1, math.floor(max(p0[1], p1[1], p2[1]) - 0.5)) + 1)
        if len(xs) == 0 or len(ys) == 0:
            continue
        px, py = np.meshgrid(xs + 0.5, ys + 0.5)
        # Barycentrics as ratios of sub-triangle areas.
        w0 = ((p1[0] - px) * (p2[1] - py) - (p1[1] - py) * (p2[0] - px)) / area
        w1 = ((p2[0] - px) * (p0[1] - py) - (p2[1] - py) * (p0[0] - px)) / area
        w2 = 1 - w0 - w1
        inside = (w0 >= -1e-5) & (w1 >= -1e-5) & (w2 >= -1e-5)
        z = w0 * pos[i0, 2] + w1 * pos[i1, 2] + w2 * pos[i2, 2]
        for (yy, xx) in zip(*np.nonzero(inside)):
            X, Y = xs[xx], ys[yy]
            if z[yy, xx] > zbuf[Y, X]:
                zbuf[Y, X] = z[yy, xx]
                tri_id[Y, X] = t
                bary[Y, X] = (w0[yy, xx], w1[yy, xx], w2[yy, xx])
    image = np.zeros((SIZE, SIZE, 3))
    for Y, X in zip(*np.nonzero(tri_id >= 0)):
        t = tri_id[Y, X]
        b = bary[Y, X]
        uv = b @ uvs[uvtris[t]]
        n = b @ vn[tris[t]]
        n /= np.linalg.norm(n)
        image[Y, X] = bilinear(tex, uv[0], uv[1]) * sh_shading(n)
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8)


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden-head.png")
    Image.fromarray(render(), "RGB").save(out)
    print("wrote", out)
