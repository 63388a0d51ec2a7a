// Loads a retarget animation.glb with three.js's GLTFLoader and plays it with an AnimationMixer.
//
//   apt-get download libjs-three && dpkg-deb -x libjs-three_*.deb /tmp/three
//   node Scripts/threejs_check_animation.js out/animation.glb [/tmp/three]
//
// (the second argument is where the package was extracted; "/" when it is installed).
//
// Prints the clips (duration, tracks by kind), then samples the clip and reports how much the
// morph-target influences and the bones' quaternions change. Exit status 1 when nothing moves.
// Node has no DOM: `document` is stubbed just enough for the embedded PNG texture to "load"
// (three.js then holds the image object; nothing is drawn).
const fs = require("fs");
const path = require("path");
const file = process.argv[2];
const root = process.argv[3] || "/tmp/three";

global.document = {
  createElementNS: () => {
    const listeners = {};
    const image = { addEventListener: (type, f) => { listeners[type] = f; }, removeEventListener: () => {} };
    Object.defineProperty(image, "src", { set: () => setTimeout(() => listeners.load && listeners.load.call(image, {}), 0) });
    return image;
  },
};
global.window = global;
global.self = global;
global.THREE = require(path.join(root, "usr/share/nodejs/three/build/three.js"));
// In the global scope (no `module`), the loader's UMD wrapper attaches itself to global THREE.
require("vm").runInThisContext(fs.readFileSync(path.join(root, "usr/share/javascript/three/examples/js/loaders/GLTFLoader.js"), "utf8"));

const data = fs.readFileSync(file);
const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
new THREE.GLTFLoader().parse(buffer, "", (gltf) => {
  if (gltf.animations.length === 0) { console.log("NO ANIMATION"); process.exit(1); }
  const clip = gltf.animations[0];
  const kinds = {};
  for (const t of clip.tracks) { const k = t.name.split(".").pop(); kinds[k] = (kinds[k] || 0) + 1; }
  console.log(`CLIP ${clip.name}: ${clip.duration.toFixed(2)} s, tracks ${JSON.stringify(kinds)}`);
  let mesh = null;
  const bones = [];
  gltf.scene.traverse((o) => {
    if (o.morphTargetInfluences && o.morphTargetInfluences.length && !mesh) mesh = o;
    if (o.isBone) bones.push(o);
  });
  const mixer = new THREE.AnimationMixer(gltf.scene);
  mixer.clipAction(clip).play();
  const steps = 60, samples = [];
  for (let i = 0; i <= steps; i++) {
    mixer.setTime((clip.duration * i) / steps);
    const morphs = mesh ? Array.from(mesh.morphTargetInfluences) : [];
    const quaternions = bones.flatMap((b) => [b.quaternion.x, b.quaternion.y, b.quaternion.z, b.quaternion.w]);
    samples.push({ morphs, quaternions });
  }
  const range = (key) => {
    const n = samples[0][key].length;
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const v = samples.map((s) => s[key][j]);
      worst = Math.max(worst, Math.max(...v) - Math.min(...v));
    }
    return worst;
  };
  const morphRange = range("morphs"), boneRange = range("quaternions");
  console.log(`PLAYED ${steps + 1} samples: ${mesh ? mesh.morphTargetInfluences.length : 0} morph targets vary by up to ` +
              `${morphRange.toFixed(3)}; ${bones.length} bones' quaternions by up to ${boneRange.toFixed(3)}`);
  if (morphRange < 1e-3 && boneRange < 1e-3) { console.log("STILL"); process.exit(1); }
}, (error) => { console.log("LOAD ERROR", error); process.exit(1); });
