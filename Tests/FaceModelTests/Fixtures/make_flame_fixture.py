#!/usr/bin/env python3
"""Makes the tiny synthetic FLAME-layout fixture (run once; outputs are committed).

1. Writes a FLAME-style generic_model.pkl whose arrays are pickled as `chumpy.ch.Ch` objects and
   whose J_regressor is a `scipy.sparse.csc.csc_matrix` — with fake modules, so neither chumpy nor
   scipy is needed — plus a DECA-style landmark_embedding.npy, FLAME_masks.pkl, head_template.obj.
2. Runs Scripts/flame_to_npz.py on them → flame_tiny.npz (deflated entries).
3. Evaluates FLAME's lbs (a numpy port of FLAME-pytorch's lbs.py) for two codes and writes
   flame_tiny_golden.json: vertices and landmarks (static and DECA dynamic contour).
Nothing here is FLAME data: every number is random.
"""
import json
import os
import pickle
import subprocess
import sys
import tempfile
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
rng = np.random.default_rng(4)

# --- a small lat-long sphere: 4 rings × 6 segments ---
rings, segs = 4, 6
verts = [[0, 0.1, 0]]
for r in range(1, rings):
    lat = np.pi * r / rings
    for s in range(segs):
        lon = 2 * np.pi * s / segs
        verts.append([0.1 * np.sin(lat) * np.sin(lon), 0.1 * np.cos(lat), 0.1 * np.sin(lat) * np.cos(lon)])
verts.append([0, -0.1, 0])
V = np.array(verts)
N = len(V)


def vid(r, s):
    return 0 if r == 0 else (N - 1 if r == rings else 1 + (r - 1) * segs + s % segs)


faces = []
for r in range(rings):
    for s in range(segs):
        if r > 0:
            faces.append([vid(r, s), vid(r + 1, s), vid(r, s + 1)])
        if r < rings - 1:
            faces.append([vid(r, s + 1), vid(r + 1, s), vid(r + 1, s + 1)])
F = np.array(faces, np.uint32)
J, KS, KE = 5, 3, 2
shapedirs = rng.normal(0, 0.01, (N, 3, KS + KE))
posedirs = rng.normal(0, 0.01, (N, 3, 9 * (J - 1)))
weights = rng.random((N, J)) ** 3
weights /= weights.sum(1, keepdims=True)
Jreg = np.zeros((J, N))
for j in range(J):
    idx = rng.choice(N, 3, replace=False)
    Jreg[j, idx] = rng.random(3)
    Jreg[j] /= Jreg[j].sum()
kintree = np.array([[4294967295, 0, 1, 1, 1], [0, 1, 2, 3, 4]], np.uint32)

# --- fake chumpy / scipy modules so pickle records their module paths ---
for name in ("chumpy", "chumpy.ch", "scipy", "scipy.sparse", "scipy.sparse.csc"):
    sys.modules[name] = types.ModuleType(name)


class Ch:
    pass


class csc_matrix:
    pass


Ch.__module__, Ch.__qualname__ = "chumpy.ch", "Ch"
csc_matrix.__module__, csc_matrix.__qualname__ = "scipy.sparse.csc", "csc_matrix"
sys.modules["chumpy.ch"].Ch = Ch
sys.modules["scipy.sparse.csc"].csc_matrix = csc_matrix


def ch(a):
    c = Ch()
    c.__dict__.update({"x": np.asarray(a), "_dirty_vars": set()})
    return c


def csc(dense):
    m = csc_matrix()
    data, indices, indptr = [], [], [0]
    for col in range(dense.shape[1]):
        for row in range(dense.shape[0]):
            if dense[row, col] != 0:
                data.append(dense[row, col])
                indices.append(row)
        indptr.append(len(data))
    m.__dict__.update({"data": np.array(data), "indices": np.array(indices, np.int32),
                       "indptr": np.array(indptr, np.int32), "_shape": dense.shape, "maxprint": 50})
    return m


work = tempfile.mkdtemp()
pkl = {"v_template": ch(V), "f": F, "shapedirs": ch(shapedirs), "posedirs": posedirs, "weights": ch(weights),
       "J_regressor": csc(Jreg), "kintree_table": kintree, "bs_style": "lbs", "bs_type": "lrotmin"}
with open(os.path.join(work, "generic_model.pkl"), "wb") as f:
    pickle.dump(pkl, f, protocol=2)

nf = len(F)
static_faces = rng.integers(0, nf, 51)
static_bary = rng.dirichlet([1, 1, 1], 51)
dyn_faces = rng.integers(0, nf, (79, 17))
dyn_bary = rng.dirichlet([1, 1, 1], (79, 17))
emb = {"static_lmk_faces_idx": static_faces, "static_lmk_bary_coords": static_bary,
       "dynamic_lmk_faces_idx": dyn_faces, "dynamic_lmk_bary_coords": dyn_bary}
np.save(os.path.join(work, "landmark_embedding.npy"), emb, allow_pickle=True)
masks = {"nose": np.array([2, 3]), "left_ear": np.array([8]), "right_ear": np.array([11]), "face": np.arange(0, 14),
         "lips": np.array([13]), "neck": np.array([N - 1]), "scalp": np.array([0, 1])}
with open(os.path.join(work, "FLAME_masks.pkl"), "wb") as f:
    pickle.dump(masks, f, protocol=2)
with open(os.path.join(work, "head_template.obj"), "w") as f:
    for v in V:
        f.write("v %f %f %f\n" % tuple(v))
    uv = rng.random((N + 4, 2))
    for t in uv:
        f.write("vt %f %f\n" % tuple(t))
    for k, tri in enumerate(F):
        t = [int(x) for x in tri]
        u = [x if k % 5 else x + 4 for x in t]  # some corners use extra (seam) UVs
        f.write("f %d/%d %d/%d %d/%d\n" % (t[0] + 1, u[0] + 1, t[1] + 1, u[1] + 1, t[2] + 1, u[2] + 1))

npz = os.path.join(HERE, "flame_tiny.npz")
subprocess.check_call([sys.executable, os.path.join(ROOT, "Scripts", "flame_to_npz.py"),
                       os.path.join(work, "generic_model.pkl"), npz, "--shape-count", str(KS),
                       "--landmarks", os.path.join(work, "landmark_embedding.npy"),
                       "--masks", os.path.join(work, "FLAME_masks.pkl"), "--uv", os.path.join(work, "head_template.obj")])


# --- reference: FLAME-pytorch lbs in numpy ---
def rodrigues(v):
    angle = np.linalg.norm(v + 1e-8)
    k = v / angle
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K


def lbs(beta, psi, pose):
    coeffs = np.concatenate([beta, psi])
    v_shaped = V + np.einsum("ijk,k->ij", shapedirs, coeffs)
    joints = Jreg @ v_shaped
    rots = [rodrigues(pose[3 * j:3 * j + 3]) for j in range(J)]
    feature = np.concatenate([(r - np.eye(3)).ravel() for r in rots[1:]])
    v_posed = v_shaped + np.einsum("ijk,k->ij", posedirs, feature)
    parents = [-1, 0, 1, 1, 1]
    G = [None] * J
    for j in range(J):
        T = np.eye(4)
        T[:3, :3] = rots[j]
        T[:3, 3] = joints[j] - (joints[parents[j]] if parents[j] >= 0 else 0)
        G[j] = T if parents[j] < 0 else G[parents[j]] @ T
    A = []
    for j in range(J):
        rel = G[j].copy()
        rel[:3, 3] -= G[j][:3, :3] @ joints[j]
        A.append(rel)
    A = np.array(A)
    T = np.einsum("nj,jab->nab", weights, A)
    return np.einsum("nab,nb->na", T[:, :3, :3], v_posed) + T[:, :3, 3], rots


def landmarks(v, faces_idx, bary):
    return np.einsum("lk,lkc->lc", bary, v[F[faces_idx].astype(int)])


def dynamic_row(rots):
    rel = rots[0] @ rots[1]  # global · neck, as FLAME's neck_kin_chain [1, 0]
    yaw = np.arctan2(-rel[2, 0], np.sqrt(rel[0, 0] ** 2 + rel[1, 0] ** 2)) * 180 / np.pi
    y = int(np.round(min(yaw, 39)))
    if y < 0:
        y = 78 if y < -39 else 39 - y
    return y


cases = []
for k in range(2):
    beta, psi = rng.normal(0, 1, KS), rng.normal(0, 1, KE)
    pose = rng.normal(0, 0.3, 3 * J)
    if k == 1:
        pose[0:3] = [0.05, -0.45, 0.02]  # a clear yaw to the right
    v, rots = lbs(beta, psi, pose)
    row = dynamic_row(rots)
    cases.append({"identity": beta.tolist(), "expression": psi.tolist(), "pose": pose.tolist(),
                  "vertices": v.ravel().tolist(),
                  "static_landmarks": landmarks(v, static_faces, static_bary).ravel().tolist(),
                  "dynamic_row": row,
                  "contour_landmarks": landmarks(v, dyn_faces[row], dyn_bary[row]).ravel().tolist()})
with open(os.path.join(HERE, "flame_tiny_golden.json"), "w") as f:
    json.dump({"cases": cases, "vertex_count": N, "triangle_count": nf, "uv_count": N + 4}, f)
print("fixture written")
