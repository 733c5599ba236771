/**
 * Analysis helpers around the fits: seeded sampling from the input laws, forward passes of the
 * layers, and the fraction of variance unexplained. Heavy products go through pa.linalg.gemm
 * (BLAS on the native backend).
 */
import { parseActivation } from './activation';
import { invalidArgument } from './errors';
import type { ResultTensor } from './fit';
import { activate } from './js/integrals';
import { factorCovariance } from './js/linalg';
import { gemm } from './linalg';
import { SeededRandom } from './js/random';

export { SeededRandom };
import { expectShape, TensorLike, toTensor } from './tensor';
import { GluSpec, InputSpec, MlpSpec, parseGlu, parseInput, parseMlp } from './validate';

/**
 * Draws `count` samples from an input law (standard, Gaussian or mixture; mixtures stratified:
 * round(count·π_k) rows per component, in component order).
 * @param input the same `input` object the fits take; `inDim` is its dimension.
 * @returns `{ data, shape: [rows, in] }` (rows = count up to the mixture's rounding).
 * @throws RangeError for invalid laws (as the fits).
 * @example sample({ type: 'gaussian', mean, cov }, 784, 20000, { seed: 1 })
 */
export function sample(input: InputSpec | undefined, inDim: number, count: number, opts: { seed?: number } = {}): ResultTensor {
  if (!Number.isInteger(count) || count < 0) throw invalidArgument('count', 'a non-negative integer', count);
  const dist = parseInput(input, inDim);
  const rng = new SeededRandom(opts.seed ?? 0);
  const K = dist.K;
  const w = dist.weights ? Array.from(dist.weights) : new Array<number>(K).fill(1);
  const total = w.reduce((a, b) => a + b, 0);
  const counts = w.map((x) => Math.round((count * x) / total));
  const rows = counts.reduce((a, b) => a + b, 0);
  const n = dist.in;
  const out = new Float64Array(rows * n);
  let r0 = 0;
  for (let k = 0; k < K; k++) {
    const c = counts[k];
    if (c === 0) continue;
    if (!dist.covs) {
      for (let i = 0; i < c * n; i++) out[r0 * n + i] = rng.normal();
    } else {
      const f = factorCovariance(n, dist.covs.subarray(k * n * n, (k + 1) * n * n), 1e-8);
      // x = μ + F z with F = P L: Z [c, rank] times Lᵀ, then un-permute the columns.
      const Z = new Float64Array(c * f.rank);
      for (let i = 0; i < Z.length; i++) Z[i] = rng.normal();
      const Y = f.rank > 0 ? gemm({ data: Z, shape: [c, f.rank] }, { data: f.L, shape: [n, f.rank] }, { transB: true }).data : new Float64Array(c * n);
      for (let i = 0; i < c; i++) for (let p = 0; p < n; p++) out[(r0 + i) * n + f.perm[p]] = Y[i * n + p];
    }
    if (dist.means) {
      for (let i = 0; i < c; i++) for (let j = 0; j < n; j++) out[(r0 + i) * n + j] += dist.means[k * n + j];
    }
    r0 += c;
  }
  return { data: out, shape: [rows, n] };
}

function rowsOf(x: TensorLike, n: number): { data: Float64Array; rows: number } {
  const t = toTensor(x, 'x');
  expectShape(t, 'x', ['rows', 'in'], [null, n]);
  return { data: t.data, rows: t.shape[0] };
}

/**
 * f(x) = W2 φ(W1 x + b1) + b2 for each row of x [rows, in].
 * @param opts.backend which backend's gemm to use (default 'auto').
 * @returns [rows, out].
 * @example mlpForward(net, sample(undefined, 784, 100))
 */
export function mlpForward(net: MlpSpec, x: TensorLike, opts: { backend?: 'auto' | 'cuda' | 'native' | 'js' } = {}): ResultTensor {
  const m = parseMlp(net);
  const { data, rows } = rowsOf(x, m.in);
  const pre = gemm({ data, shape: [rows, m.in] }, { data: m.W1, shape: [m.hidden, m.in] }, { transB: true, backend: opts.backend }).data;
  const act = parseActivation(m.act);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < m.hidden; i++) pre[r * m.hidden + i] = activate(act, pre[r * m.hidden + i] + (m.b1 ? m.b1[i] : 0));
  }
  const y = gemm({ data: pre, shape: [rows, m.hidden] }, { data: m.W2, shape: [m.out, m.hidden] }, { transB: true, backend: opts.backend }).data;
  if (m.b2) for (let r = 0; r < rows; r++) for (let o = 0; o < m.out; o++) y[r * m.out + o] += m.b2[o];
  return { data: y, shape: [rows, m.out] };
}

/**
 * f(x) = W2 (φ(W x + b1) ⊙ (V x + b2)) for each row of x (without W2: the hidden units).
 * @returns [rows, out].
 */
export function gluForward(net: GluSpec, x: TensorLike, opts: { backend?: 'auto' | 'cuda' | 'native' | 'js' } = {}): ResultTensor {
  const g = parseGlu(net);
  const { data, rows } = rowsOf(x, g.in);
  const X = { data, shape: [rows, g.in] };
  const a = gemm(X, { data: g.W, shape: [g.hidden, g.in] }, { transB: true, backend: opts.backend }).data;
  const z = gemm(X, { data: g.V, shape: [g.hidden, g.in] }, { transB: true, backend: opts.backend }).data;
  const act = parseActivation(g.act);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < g.hidden; i++) {
      const q = r * g.hidden + i;
      a[q] = activate(act, a[q] + (g.b1 ? g.b1[i] : 0)) * (z[q] + (g.b2 ? g.b2[i] : 0));
    }
  }
  if (!g.W2) return { data: a, shape: [rows, g.hidden] };
  return gemm({ data: a, shape: [rows, g.hidden] }, { data: g.W2, shape: [g.out, g.hidden] }, { transB: true, backend: opts.backend });
}

/**
 * Fraction of variance unexplained per output column: Σ(y − ŷ)² / Σ(y − ȳ)².
 * @param y targets [rows, out]; @param yHat predictions [rows, out].
 * @returns Float64Array [out] (R² = 1 − FVU).
 */
export function fvu(y: TensorLike, yHat: TensorLike): Float64Array {
  const a = toTensor(y, 'y');
  const b = toTensor(yHat, 'yHat');
  if (a.shape.length !== 2) throw invalidArgument('y', 'a 2-D tensor [rows, out]', `shape [${a.shape}]`, RangeError, true);
  expectShape(b, 'yHat', ['rows', 'out'], [a.shape[0], a.shape[1]]);
  const [rows, out] = a.shape;
  const res = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += a.data[r * out + o] / rows;
    let ss = 0;
    let se = 0;
    for (let r = 0; r < rows; r++) {
      ss += (a.data[r * out + o] - mean) ** 2;
      se += (a.data[r * out + o] - b.data[r * out + o]) ** 2;
    }
    res[o] = ss > 0 ? se / ss : se > 0 ? Infinity : 0;
  }
  return res;
}
