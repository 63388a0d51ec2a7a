"""Imports a retarget animation.glb into Blender and checks that it plays.

    blender -b --factory-startup --python Scripts/blender_check_animation.py -- out/animation.glb

Prints the imported actions (their frame range and F-curves: shape-key values, bone rotations),
then steps the scene through its frames and reports how much the shape keys and the posed
bones actually change — an animation that imports but does not move prints "STILL".
Exit status 1 when there is no animation or nothing moves.
"""
import sys

import numpy

numpy.bool = bool  # Blender 3.4's glTF importer uses the removed alias
import bpy

path = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=path)
scene = bpy.context.scene

actions = list(bpy.data.actions)
for action in actions:
    paths = {}
    for curve in action.fcurves:
        kind = "shape key" if curve.data_path.startswith("key_blocks") else curve.data_path.split(".")[-1]
        paths[kind] = paths.get(kind, 0) + 1
    start, end = action.frame_range
    print("ACTION %s frames %.0f-%.0f curves %s" % (action.name, start, end, paths))
if not actions:
    print("NO ANIMATION")
    sys.exit(1)

meshes = [o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys]
armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
start = int(min(a.frame_range[0] for a in actions))
end = int(max(a.frame_range[1] for a in actions))
print("SCENE fps %d, frames %d-%d" % (scene.render.fps, start, end))


def state():
    keys = [k.value for o in meshes for k in o.data.shape_keys.key_blocks[1:]]
    bones = [c for o in armatures for b in o.pose.bones for c in b.matrix_basis.to_quaternion()]
    return numpy.array(keys), numpy.array(bones)


frames = range(start, end + 1, max(1, (end - start) // 60))
keys, bones = zip(*[(scene.frame_set(f), state())[1] for f in frames])
keys, bones = numpy.array(keys), numpy.array(bones)
key_range = float((keys.max(0) - keys.min(0)).max()) if keys.size else 0.0
bone_range = float((bones.max(0) - bones.min(0)).max()) if bones.size else 0.0
moving = [o.data.shape_keys.key_blocks[1 + i].name for o in meshes
          for i in numpy.argsort(-(keys.max(0) - keys.min(0)))[:5]] if keys.size else []
print("PLAYED %d frames: shape keys vary by up to %.3f (most: %s); bone quaternions by up to %.3f"
      % (len(frames), key_range, ", ".join(moving), bone_range))
if key_range < 1e-3 and bone_range < 1e-3:
    print("STILL")
    sys.exit(1)
