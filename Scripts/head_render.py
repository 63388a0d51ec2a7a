#!/usr/bin/env python3
"""Render sheets of the embedded head (and ICT-FaceKit for comparison) with a small numpy z-buffer.

Usage:
  .build/release/likeness head dump /tmp/head           # arrays of the embedded head
  python3 Scripts/head_render.py /tmp/head Docs/head      # writes the PNG sheets

Smooth-shaded (interpolated vertex normals), orthographic, Lambert + Blinn-Phong with a key, fill
and rim light; per-region albedo (skin, lips, sclera/iris/pupil, mouth interior, teeth, tongue). A development
aid for looking at the model, not part of the package.
"""
import json, os, sys
import numpy as np
from PIL import Image, ImageDraw

REGIONS = ["face", "nose", "ears", "eyes", "lips", "scalp", "neck", "eyeballs", "mouthInterior", "teeth", "tongue"]
SKIN = np.array([0.86, 0.66, 0.55])
ALBEDO = {
    "face": SKIN, "nose": SKIN * [1.0, 0.97, 0.97], "ears": SKIN * [1.0, 0.95, 0.95], "eyes": SKIN * [0.97, 0.93, 0.93],
    "lips": np.array([0.72, 0.40, 0.40]), "scalp": SKIN * 0.97, "neck": SKIN,
    "eyeballs": np.array([0.93, 0.92, 0.90]), "mouthInterior": np.array([0.35, 0.10, 0.10]),
    "teeth": np.array([0.90, 0.87, 0.78]), "tongue": np.array([0.70, 0.33, 0.34]),
}


def load_dump(d):
    h = json.load(open(os.path.join(d, "header.json")))
    n = h["vertexCount"]
    m = {"header": h}
    m["template"] = np.fromfile(os.path.join(d, "template.f32"), np.float32).reshape(n, 3).astype(np.float64)
    m["triangles"] = np.fromfile(os.path.join(d, "triangles.i32"), np.int32).reshape(-1, 3)
    m["regions"] = np.fromfile(os.path.join(d, "regions.u8"), np.uint8)
    k = h["identityCount"]
    ident = np.fromfile(os.path.join(d, "identity.f32"), np.float32)
    m["identity"] = ident.reshape(3 * n, k) if k else np.zeros((3 * n, 0))
    names = h["expressionNames"]
    expr = np.fromfile(os.path.join(d, "expression.f32"), np.float32)
    m["expression"] = expr.reshape(3 * n, len(names)) if names else np.zeros((3 * n, 0))
    m["names"] = names
    lm = np.fromfile(os.path.join(d, "landmarks.f32"), np.float32).reshape(-1, 4)
    m["landmarks"] = lm
    return m


def shape(m, beta=None, psi=None):
    v = m["template"].reshape(-1).copy()
    if beta:
        for k, b in beta.items():
            v += m["identity"][:, k] * b
    if psi:
        for name, w in psi.items():
            v += m["expression"][:, m["names"].index(name)] * w
    return v.reshape(-1, 3)


def landmark_points(m, verts):
    lm = m["landmarks"]
    if len(lm) == 0:
        return np.zeros((0, 3))
    tri = m["triangles"][lm[:, 0].astype(int)]
    return np.einsum("ij,ijk->ik", lm[:, 1:4], verts[tri])


def vertex_albedo(m, verts):
    regions = m["regions"]
    col = np.array([ALBEDO[REGIONS[r]] for r in regions], dtype=np.float64)
    eb = np.where(regions == REGIONS.index("eyeballs"))[0]
    for side in (1, -1):
        idx = eb[np.sign(verts[eb, 0]) == side]
        if len(idx) == 0:
            continue
        front = idx[np.argmax(m["template"][idx, 2])]
        center = m["template"][front] - [0, 0, 0.0132]
        d = m["template"][idx] - center
        alpha = np.arccos(np.clip(d[:, 2] / np.linalg.norm(d, axis=1), -1, 1))
        iris = alpha < 0.50
        pupil = alpha < 0.20
        col[idx[iris]] = [0.30, 0.22, 0.14]
        col[idx[pupil]] = [0.03, 0.03, 0.03]
    return soften_skin_borders(m, col)


def soften_skin_borders(m, col, rounds=2):
    """Blend albedo across the borders between skin regions (face, nose, lips, ...) by averaging
    with edge neighbours, as real vermilion borders fade over a millimetre or two; eyeballs, teeth,
    tongue and the mouth interior keep their colours."""
    skin = np.isin(m["regions"], [REGIONS.index(r) for r in ("face", "nose", "ears", "eyes", "lips", "scalp", "neck")])
    tris = m["triangles"]
    tris = tris[skin[tris].all(axis=1)]
    edges = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    for _ in range(rounds):
        acc = col.copy()
        cnt = np.ones(len(col))
        np.add.at(acc, edges[:, 0], col[edges[:, 1]])
        np.add.at(cnt, edges[:, 0], 1)
        col = np.where(skin[:, None], acc / cnt[:, None], col)
    return col


def normals(verts, tris):
    fn = np.cross(verts[tris[:, 1]] - verts[tris[:, 0]], verts[tris[:, 2]] - verts[tris[:, 0]])
    vn = np.zeros_like(verts)
    for k in range(3):
        np.add.at(vn, tris[:, k], fn)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def rot_y(deg):
    a = np.radians(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def render(verts, tris, albedo, yaw=0.0, size=360, center=None, scale=None, points=None, bg=0.93):
    """Orthographic smooth-shaded render; yaw turns the head to its left (positive) about +y."""
    R = rot_y(yaw)
    v = verts @ R.T
    n = normals(verts, tris) @ R.T
    if center is None:
        center = np.array([0.0, -0.02, 0.0])
    if scale is None:
        scale = size / 0.30
    px = (v[:, 0] - center[0]) * scale + size / 2
    py = -(v[:, 1] - center[1]) * scale + size / 2
    pz = v[:, 2]
    img = np.full((size, size, 3), bg)
    zbuf = np.full((size, size), -np.inf)
    # Lights (camera space, +z towards the viewer).
    key = np.array([-0.45, 0.55, 0.70]); key /= np.linalg.norm(key)
    fill = np.array([0.6, 0.1, 0.8]); fill /= np.linalg.norm(fill)
    view = np.array([0, 0, 1.0])
    hkey = key + view; hkey /= np.linalg.norm(hkey)
    for t in tris:
        x0, x1, x2 = px[t]; y0, y1, y2 = py[t]
        den = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2)
        if den >= 0:  # back-facing (screen y points down, so CCW-from-front gives den < 0)
            continue
        xmin = max(int(np.floor(min(x0, x1, x2))), 0); xmax = min(int(np.ceil(max(x0, x1, x2))), size - 1)
        ymin = max(int(np.floor(min(y0, y1, y2))), 0); ymax = min(int(np.ceil(max(y0, y1, y2))), size - 1)
        if xmin > xmax or ymin > ymax:
            continue
        gx, gy = np.meshgrid(np.arange(xmin, xmax + 1) + 0.5, np.arange(ymin, ymax + 1) + 0.5)
        l0 = ((y1 - y2) * (gx - x2) + (x2 - x1) * (gy - y2)) / den
        l1 = ((y2 - y0) * (gx - x2) + (x0 - x2) * (gy - y2)) / den
        l2 = 1 - l0 - l1
        inside = (l0 >= -1e-9) & (l1 >= -1e-9) & (l2 >= -1e-9)
        if not inside.any():
            continue
        z = l0 * pz[t[0]] + l1 * pz[t[1]] + l2 * pz[t[2]]
        sub = zbuf[ymin:ymax + 1, xmin:xmax + 1]
        upd = inside & (z > sub)
        if not upd.any():
            continue
        sub[upd] = z[upd]
        nn = (l0[upd, None] * n[t[0]] + l1[upd, None] * n[t[1]] + l2[upd, None] * n[t[2]])
        nn /= np.maximum(np.linalg.norm(nn, axis=1, keepdims=True), 1e-12)
        alb = l0[upd, None] * albedo[t[0]] + l1[upd, None] * albedo[t[1]] + l2[upd, None] * albedo[t[2]]
        dk = np.clip(nn @ key, 0, 1)
        df = np.clip(nn @ fill, 0, 1)
        rim = np.clip(1 - nn[:, 2], 0, 1) ** 3
        spec = np.clip(nn @ hkey, 0, 1) ** 40
        # Subsurface-ish wrap on the key light keeps skin from looking like plaster.
        wrap = np.clip((nn @ key + 0.35) / 1.35, 0, 1)
        col = alb * (0.18 + 0.62 * (0.6 * dk + 0.4 * wrap) + 0.22 * df)[:, None] + 0.10 * spec[:, None] + 0.10 * rim[:, None] * np.array([0.9, 0.95, 1.0])
        img[ymin:ymax + 1, xmin:xmax + 1][upd] = col
    img = np.clip(img, 0, 1) ** (1 / 1.15)
    out = Image.fromarray((img * 255).astype(np.uint8))
    if points is not None and len(points):
        d = ImageDraw.Draw(out)
        p = points @ R.T
        for (x, y, z) in p:
            sx = (x - center[0]) * scale + size / 2; sy = -(y - center[1]) * scale + size / 2
            d.ellipse([sx - 2, sy - 2, sx + 2, sy + 2], fill=(0, 160, 255))
    return out


def sheet(images, labels, cols, path, title=None):
    w, h = images[0].size
    rows = (len(images) + cols - 1) // cols
    top = 28 if title else 0
    out = Image.new("RGB", (w * cols, h * rows + top + 0), (255, 255, 255))
    d = ImageDraw.Draw(out)
    if title:
        d.text((8, 8), title, fill=(0, 0, 0))
    for i, (im, lab) in enumerate(zip(images, labels)):
        x, y = (i % cols) * w, (i // cols) * h + top
        out.paste(im, (x, y))
        d.text((x + 6, y + 4), lab, fill=(0, 0, 0))
    out.save(path)
    print("wrote", path)


def load_obj(path):
    vs, fs = [], []
    for line in open(path):
        if line.startswith("v "):
            vs.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("f "):
            idx = [int(tok.split("/")[0]) - 1 for tok in line.split()[1:]]
            for k in range(1, len(idx) - 1):
                fs.append([idx[0], idx[k], idx[k + 1]])
    return np.array(vs), np.array(fs, dtype=np.int64)


VIEWS = [("front", 0), ("three-quarter", 35), ("side", 90)]


def main():
    src, out = sys.argv[1], sys.argv[2]
    which = sys.argv[3] if len(sys.argv) > 3 else "all"
    os.makedirs(out, exist_ok=True)
    m = load_dump(src)
    tris = m["triangles"]
    base = m["template"]
    alb = vertex_albedo(m, base)
    if which in ("all", "neutral"):
        lm = landmark_points(m, base)
        ims = [render(base, tris, alb, yaw=y, size=420) for _, y in VIEWS]
        ims.append(render(base, tris, alb, yaw=0, size=420, center=np.array([0, -0.005, 0]), scale=420 / 0.17, points=lm))
        sheet(ims, [n for n, _ in VIEWS] + ["68 landmarks"], 4, os.path.join(out, "neutral.png"), "Embedded head, neutral")
    if which in ("all", "identity") and m["identity"].shape[1]:
        ims, labs = [], []
        for k in range(min(6, m["identity"].shape[1])):
            for s in (-2, 2):
                v = shape(m, beta={k: s})
                for name, y in [("front", 0), ("side", 90)]:
                    ims.append(render(v, tris, alb, yaw=y, size=240)); labs.append(f"mode {k} {s:+d}σ {name}")
        sheet(ims, labs, 4, os.path.join(out, "identity.png"), "Identity modes 0-5 at ±2σ")
    if which in ("all", "expressions") and m["names"]:
        picks = ["jawOpen", "mouthSmileLeft", "eyeBlinkLeft", "browInnerUp", "cheekPuff", "mouthFunnel",
                 "mouthPucker", "browDownLeft", "noseSneerLeft", "mouthFrownLeft", "eyeWideLeft", "mouthLeft",
                 "jawLeft", "mouthStretchLeft", "mouthRollLower", "eyeLookOutLeft", "tongueOut", "mouthClose"]
        picks = [p for p in picks if p in m["names"]]
        ims, labs = [], []
        for p in picks:
            v = shape(m, psi={p: 1.0})
            for name, y in [("front", 0), ("3/4", 35)]:
                ims.append(render(v, tris, alb, yaw=y, size=240, center=np.array([0, 0.0, 0]), scale=240 / 0.22))
                labs.append(f"{p} {name}")
        sheet(ims, labs, 6, os.path.join(out, "expressions.png"), "ARKit blendshapes at weight 1")
        combos = [("smile", {"mouthSmileLeft": 1, "mouthSmileRight": 1, "cheekSquintLeft": 0.6, "cheekSquintRight": 0.6, "eyeSquintLeft": 0.4, "eyeSquintRight": 0.4}),
                  ("surprise", {"jawOpen": 0.6, "browInnerUp": 1, "browOuterUpLeft": 1, "browOuterUpRight": 1, "eyeWideLeft": 1, "eyeWideRight": 1}),
                  ("anger", {"browDownLeft": 1, "browDownRight": 1, "noseSneerLeft": 0.6, "noseSneerRight": 0.6, "mouthPressLeft": 0.5, "mouthPressRight": 0.5}),
                  ("blink", {"eyeBlinkLeft": 1, "eyeBlinkRight": 1})]
        ims, labs = [], []
        for name, psi in combos:
            psi = {k: w for k, w in psi.items() if k in m["names"]}
            v = shape(m, psi=psi)
            for vn, y in VIEWS:
                ims.append(render(v, tris, alb, yaw=y, size=300)); labs.append(f"{name} {vn}")
        sheet(ims, labs, 3, os.path.join(out, "expression-combos.png"), "Combined expressions")
    if which in ("all", "mouth") and m["names"]:
        # Close-ups of the mouth, and the interior alone (teeth, gums, tongue, bag) front and side.
        def close(yaw, depth=0.085):   # centred on the mouth (≈ 8.5 cm in front of the head centre)
            return dict(size=300, center=np.array([depth * np.sin(np.radians(yaw)), -0.052, 0]), scale=300 / 0.075)
        looks = [("jawOpen", {"jawOpen": 1}), ("jawOpen 0.5 + smile", {"jawOpen": 0.5, "mouthSmileLeft": 1, "mouthSmileRight": 1}),
                 ("tongueOut", {"tongueOut": 1}), ("tongueOut + jawOpen 0.5", {"tongueOut": 1, "jawOpen": 0.5}),
                 ("mouthFunnel", {"mouthFunnel": 1}), ("mouthUpperUp + LowerDown", {"mouthUpperUpLeft": 1, "mouthUpperUpRight": 1, "mouthLowerDownLeft": 1, "mouthLowerDownRight": 1})]
        ims, labs = [], []
        for name, psi in looks:
            psi = {k: w for k, w in psi.items() if k in m["names"]}
            v = shape(m, psi=psi)
            for vn, y in [("front", 0), ("3/4", 30)]:
                ims.append(render(v, tris, alb, yaw=y, **close(y))); labs.append(f"{name} {vn}")
        inside = np.isin(m["regions"], [REGIONS.index(r) for r in ("mouthInterior", "teeth", "tongue")])
        itris = tris[inside[tris].all(1)]
        for name, psi in [("interior", {}), ("interior, jawOpen", {"jawOpen": 1})]:
            v = shape(m, psi={k: w for k, w in psi.items() if k in m["names"]})
            for vn, y in [("front", 0), ("3/4", 40), ("side", 90)]:  # the side view shows the tongue
                ims.append(render(v, itris, alb, yaw=y, **close(y, 0.055))); labs.append(f"{name} {vn}")
        sheet(ims, labs, 6, os.path.join(out, "mouth.png"), "Mouth close-ups and the mouth interior alone")
    ict = os.environ.get("ICT", os.path.join(os.path.dirname(__file__), "../../shared/models/ict-facekit"))
    if which in ("all", "ict") and os.path.exists(os.path.join(ict, "generic_neutral_mesh.obj")):
        iv, itr = load_obj(os.path.join(ict, "generic_neutral_mesh.obj"))
        iv = iv * 0.01
        # Keep the head surface (face + head/neck ranges of ICT's README): vertices 0-11247.
        keep = np.all(itr < 11248, axis=1)
        itr = itr[keep]
        # Align ICT to our frame: same eye-corner midpoint height and face front depth.
        ict_lm = [1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088, 3443, 268, 493, 1914, 2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140, 2075, 1147, 4269, 3360, 1507, 1542, 1537, 1528, 1518, 1511, 3742, 3751, 3756, 3721, 3725, 3732, 5708, 5695, 2081, 0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841, 5702, 5711, 5533, 6216, 6207, 6470, 5517, 5966]
        ours = landmark_points(m, base)
        if len(ours) == 68:
            shift = ours[[36, 45, 30, 8]].mean(0) - iv[[ict_lm[i] for i in (36, 45, 30, 8)]].mean(0)
        else:
            shift = np.array([0, 0.012, 0.07]) - iv[[ict_lm[36], ict_lm[45]]].mean(0)
        iv = iv + shift
        ialb = np.tile(SKIN, (len(iv), 1))
        ims, labs = [], []
        for vn, y in VIEWS:
            ims.append(render(base, tris, alb, yaw=y, size=360)); labs.append(f"Likeness embedded {vn}")
        for vn, y in VIEWS:
            ims.append(render(iv, itr, ialb, yaw=y, size=360)); labs.append(f"ICT-FaceKit neutral {vn}")
        sheet(ims, labs, 3, os.path.join(out, "vs-ict.png"), "Embedded head (top) beside the ICT-FaceKit neutral (bottom), same renderer")


if __name__ == "__main__" and not (len(sys.argv) > 3 and sys.argv[3] == "uv"):
    main()


def uv_sheet(src, path, size=768):
    """Draws the UV layout (256×256 texture space, shown at `size`) coloured by region."""
    m = load_dump(src)
    uv = np.fromfile(os.path.join(src, "uvs.f32"), np.float32).reshape(-1, 2)
    ut = np.fromfile(os.path.join(src, "uvTriangles.i32"), np.int32).reshape(-1, 3)
    colours = {0: (222, 170, 140), 1: (200, 120, 90), 2: (170, 120, 200), 3: (90, 150, 220), 4: (200, 60, 70),
               5: (150, 150, 150), 6: (120, 190, 120), 7: (240, 240, 240), 8: (110, 30, 30), 9: (235, 230, 200),
               10: (190, 90, 100)}
    im = Image.new("RGB", (size, size), (255, 255, 255))
    d = ImageDraw.Draw(im)
    for t, tri in zip(m["triangles"], ut):
        p = [(float(uv[i, 0]) * size, (1 - float(uv[i, 1])) * size) for i in tri]
        d.polygon(p, fill=colours[int(m["regions"][t[0]])], outline=(60, 60, 60))
    im.save(path)
    print("wrote", path)


if __name__ == "__main__" and len(sys.argv) > 3 and sys.argv[3] == "uv":
    uv_sheet(sys.argv[1], os.path.join(sys.argv[2], "uv-layout.png"))
