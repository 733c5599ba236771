'use strict';
/**
 * Run in a child process by test/prebuild.test.ts (on lib/ through tsx, PREBUILDS_ONLY=1) and
 * test/tarball.test.ts (on the installed package):
 *
 *   node prebuild-check.cjs <module to require> [<addon to load afterwards>]
 *
 * Prints one JSON line: where the native addon came from, how far the native fits are from the
 * JS backend's (degree 2 under a Gaussian; degree 1 under a mixture, whose pinv solve runs
 * LAPACK's dsyevr/dormtr and so the Fortran string helper the static build provides), which
 * OpenBLAS/Fortran runtime libraries the process has mapped (/proc/self/maps), and whether
 * libopenblas/libgfortran could be loaded at all here (dlopen probe, done after the maps
 * snapshot). With a second addon path it then loads that one too (a dynamically linked build:
 * its OpenBLAS next to the static one) and compares a dgemm from both.
 */
const fs = require('fs');

const [specifier, otherAddon] = process.argv.slice(2);
const pa = require(require.resolve(specifier, { paths: [process.cwd()] }));

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}
const rand = rng(7);
const tensor = (shape, scale = 1) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = scale * rand();
  return { data, shape };
};

function relDiff(a, b) {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

function compare(fit) {
  const [nat, js] = ['native', 'js'].map(fit);
  const diffs = { alpha: relDiff(nat.alpha.data, js.alpha.data), beta: relDiff(nat.beta.data, js.beta.data) };
  if (js.gamma) diffs.gamma = relDiff(nat.gamma.data, js.gamma.data);
  return diffs;
}

const inDim = 5;
const hidden = 8;
const outDim = 3;
const net = { W1: tensor([hidden, inDim], 1.2), b1: tensor([hidden], 0.5), W2: tensor([outDim, hidden]), b2: tensor([outDim]), act: 'gelu' };
const cov = tensor([inDim, inDim]);
const spd = new Float64Array(inDim * inDim); // cov·covᵀ + 0.1 I
for (let i = 0; i < inDim; i++) {
  for (let j = 0; j < inDim; j++) {
    let s = i === j ? 0.1 : 0;
    for (let k = 0; k < inDim; k++) s += cov.data[i * inDim + k] * cov.data[j * inDim + k];
    spd[i * inDim + j] = s;
  }
}
const gaussian = { type: 'gaussian', mean: tensor([inDim], 0.3), cov: { data: spd, shape: [inDim, inDim] } };
const mixture = { type: 'mixture', weights: [0.3, 0.7], means: tensor([2, inDim]) };

const info = pa.backendInfo();
const result = { native: info.native, backends: info.backends };
if (info.native.loaded) {
  result.quadratic = compare((backend) => pa.ols(net, { backend, degree: 2, input: gaussian }));
  result.mixtureLinear = compare((backend) => pa.ols(net, { backend, degree: 1, input: mixture }));
  result.mixtureSolve = pa.ols(net, { backend: 'native', degree: 1, input: mixture }).solve.method;
}

const maps = fs.readFileSync('/proc/self/maps', 'utf8');
result.mapped = [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5]).filter((p) => p && p.startsWith('/')))];

// Could this process have loaded them at all? (After the snapshot: a successful probe maps them.)
result.probe = {};
for (const lib of ['libopenblas.so.0', 'libgfortran.so.5']) {
  try {
    process.dlopen({ exports: {} }, lib);
    result.probe[lib] = { reachable: true };
  } catch (err) {
    const message = String(err && err.message);
    // A library that loads but is no addon throws "did not self-register": it was reachable.
    result.probe[lib] = { reachable: /self-register|napi_register_module/.test(message), message };
  }
}

if (otherAddon) {
  const a = tensor([4, 3]);
  const b = tensor([3, 2]);
  const mine = require(info.native.path);
  const other = require(require('path').resolve(otherAddon));
  const c1 = mine.gemm(false, false, 4, 2, 3, 1, a.data, b.data);
  const c2 = other.gemm(false, false, 4, 2, 3, 1, a.data, b.data);
  result.coexist = { other: otherAddon, gemmDiff: relDiff(c1, c2), afterMixture: compare((backend) => pa.ols(net, { backend, degree: 1, input: mixture })).beta };
}

process.stdout.write(JSON.stringify(result) + '\n');
