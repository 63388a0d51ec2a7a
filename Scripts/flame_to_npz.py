#!/usr/bin/env python3
"""Convert a user's own FLAME files into the one .npz that `likeness` reads (numpy only).

    Scripts/flame_to_npz.py generic_model.pkl out.npz \
        [--landmarks landmark_embedding.npy] [--masks FLAME_masks.pkl] [--uv head_template.obj] \
        [--shape-count 300]

FLAME's pickles hold chumpy objects and a scipy sparse J_regressor. Neither chumpy nor scipy is
needed: a restricted unpickler maps their classes to small stubs and takes the arrays out of the
pickled state (chumpy `Ch.x`; CSC `data/indices/indptr/_shape`, made dense).

Output keys: v_template (N,3) f4, f (F,3) i8, shapedirs (N,3,K) f4, posedirs (N,3,P) f4,
J_regressor (J,N) f4 dense, weights (N,J) f4, kintree_table (2,J) i8, shape_count () i8;
optionally the DECA embedding keys (static_lmk_faces_idx, static_lmk_bary_coords,
dynamic_lmk_faces_idx, dynamic_lmk_bary_coords, full_lmk_faces_idx, full_lmk_bary_coords),
mask_<region> vertex index arrays from FLAME_masks.pkl, and vt (U,2) / ft (F,3) from the OBJ.
Never commit the result: FLAME's licence forbids redistribution.
"""
import argparse
import pickle
import sys

import numpy as np


class _Stub:
    """Stands in for any chumpy or scipy.sparse class while unpickling; keeps the pickled state."""

    def __init__(self, *args, **kwargs):
        self._args = args

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            state = state[1]
        self.__dict__.update(state if isinstance(state, dict) else {"_state": state})

    def __call__(self, *args, **kwargs):  # some pickles call reconstructors
        return _Stub(*args)


class _ShimUnpickler(pickle.Unpickler):
    stubs = {}

    def find_class(self, module, name):
        if module.startswith("chumpy") or module.startswith("scipy"):
            # One stub subclass per pickled class, so the sparse format stays known (csc/csr).
            return self.stubs.setdefault(name, type(name, (_Stub,), {}))
        return super().find_class(module, name)


def load_pickle(path):
    with open(path, "rb") as f:
        return _ShimUnpickler(f, encoding="latin1").load()


def to_array(value, name):
    """A numpy array from a plain array, a chumpy Ch stub or a scipy CSC/CSR stub."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, _Stub):
        d = value.__dict__
        if "x" in d:
            return np.asarray(d["x"])
        if {"data", "indices", "indptr"} <= d.keys():
            shape = tuple(d.get("_shape", d.get("shape")))
            data, indices, indptr = (np.asarray(d[k]) for k in ("data", "indices", "indptr"))
            dense = np.zeros(shape, dtype=np.float64)
            csc = not type(value).__name__.startswith("csr")
            for outer in range(len(indptr) - 1):
                for k in range(indptr[outer], indptr[outer + 1]):
                    if csc:
                        dense[indices[k], outer] += data[k]
                    else:
                        dense[outer, indices[k]] += data[k]
            return dense
        raise SystemExit(f"{name}: a chumpy expression that is not a plain array; load it with chumpy once and save .r")
    return np.asarray(value)


def read_obj_uvs(path):
    vt, ft = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "vt":
                vt.append([float(parts[1]), float(parts[2])])
            elif parts[0] == "f":
                corners = [int(p.split("/")[1]) - 1 for p in parts[1:]]
                for k in range(1, len(corners) - 1):
                    ft.append([corners[0], corners[k], corners[k + 1]])
    return np.array(vt, np.float32), np.array(ft, np.int64)


def convert(args):
    model = load_pickle(args.model)
    out = {}
    for key in ("v_template", "shapedirs", "posedirs", "weights"):
        out[key] = to_array(model[key], key).astype(np.float32)
    out["J_regressor"] = to_array(model["J_regressor"], "J_regressor").astype(np.float32)
    out["f"] = to_array(model["f"], "f").astype(np.int64)
    kintree = to_array(model["kintree_table"], "kintree_table").astype(np.int64)
    kintree[kintree > 2**31] = -1  # FLAME stores the root's parent as uint32 max
    out["kintree_table"] = kintree
    total = out["shapedirs"].shape[2]
    shape_count = args.shape_count if args.shape_count is not None else (300 if total == 400 else None)
    if shape_count is None:
        raise SystemExit(f"shapedirs has {total} modes: pass --shape-count (identity modes; the rest are expression)")
    out["shape_count"] = np.array(shape_count, np.int64)
    if args.landmarks:
        emb = np.load(args.landmarks, allow_pickle=True, encoding="latin1")
        emb = emb.item() if emb.dtype == object else emb
        for key in ("static_lmk_faces_idx", "static_lmk_bary_coords", "dynamic_lmk_faces_idx",
                    "dynamic_lmk_bary_coords", "full_lmk_faces_idx", "full_lmk_bary_coords"):
            if key in emb:
                value = np.asarray(emb[key])
                out[key] = value.astype(np.int64 if "idx" in key else np.float32)
    if args.masks:
        masks = load_pickle(args.masks)
        for region, indices in masks.items():
            out["mask_" + region] = np.asarray(indices).astype(np.int64)
    if args.uv:
        out["vt"], out["ft"] = read_obj_uvs(args.uv)
    np.savez_compressed(args.output, **out)
    print(f"wrote {args.output}: " + ", ".join(f"{k}{tuple(v.shape)}" for k, v in out.items()))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("output")
    p.add_argument("--landmarks")
    p.add_argument("--masks")
    p.add_argument("--uv")
    p.add_argument("--shape-count", type=int)
    convert(p.parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
