/**
 * Interaction eigendecomposition of quadratic approximants: the JS fallback's version of
 * native/core/eigen.cpp, step by step under the same names. The top-k eigenpairs by |λ| of
 * output o's symmetric G_o, either from the formed matrix (dense: quadraticForm +
 * symmetricEigen) or by thick-restart Lanczos with full reorthogonalization on the matrix-free
 * product v ↦ G_o v (never forming G_o). The start sequence is the native one bit for bit, so
 * both backends walk the same Krylov spaces.
 */
import { SeededRandom } from './random';
import { symmetricEigen } from './linalg';
import { quadraticForm, QuadraticFitData } from './quadratic';

const EPS = 2.220446049250313e-16;

export interface EigenOptions {
  k: number;
  /** Stop when every wanted ‖G v − λ v‖ ≤ tol·|λ_max|. */
  tol: number;
  /** At most this many products with G (0: lanczosDefaultMaxIter). */
  maxIter: number;
}

export interface EigenResultData {
  n: number;
  k: number;
  /** [k], |λ| descending (ties: λ descending). */
  values: Float64Array;
  /** [k, n], unit rows; the first largest-|component| entry of each is positive. */
  vectors: Float64Array;
  method: 'dense' | 'lanczos';
  /** Products with G (0 for dense). */
  iterations: number;
  converged: boolean;
}

function checkRequest(fit: QuadraticFitData, o: number, k: number): void {
  if (!(o >= 0 && o < fit.out)) throw new RangeError('output index out of range');
  if (!(k >= 1 && k <= fit.in)) throw new RangeError(`k must be in 1..${fit.in}, got ${k}`);
}

/** mulberry32 mapped to (−½, ½): native StartSequence (the same stream as SeededRandom). */
export class StartSequence {
  private readonly rng: SeededRandom;

  constructor(seed = 0x9e3779b9) {
    this.rng = new SeededRandom(seed);
  }

  next(): number {
    return this.rng.uniform() - 0.5;
  }
}

/** Indices ordered by |λ| descending, then λ descending, then index. */
export function orderByMagnitude(count: number, values: ArrayLike<number>): number[] {
  const idx = Array.from({ length: count }, (_, i) => i);
  return idx.sort((x, y) => {
    const ax = Math.abs(values[x]);
    const ay = Math.abs(values[y]);
    if (ax !== ay) return ay - ax;
    if (values[x] !== values[y]) return values[y] - values[x];
    return x - y;
  });
}

/** Flips v so that its first entry of largest magnitude is positive. */
export function fixSign(n: number, v: Float64Array, off = 0): void {
  let best = 0;
  for (let i = 1; i < n; i++) if (Math.abs(v[off + i]) > Math.abs(v[off + best])) best = i;
  if (v[off + best] < 0) for (let i = 0; i < n; i++) v[off + i] = -v[off + i];
}

/** v ↦ G_o v on the compact form, with the units of output o that contribute (native FormOperator). */
class FormOperator {
  private readonly n: number;
  private readonly units: number[] = [];
  private readonly a: number[] = [];
  private readonly b: number[] = [];
  private readonly fit: QuadraticFitData;

  private readonly o: number;

  constructor(fit: QuadraticFitData, o: number) {
    this.fit = fit;
    this.o = o;
    this.n = fit.in;
    const h = fit.hidden;
    for (let i = 0; i < h; i++) {
      const a = fit.a[o * h + i];
      const b = fit.b ? fit.b[o * h + i] : 0;
      if (a === 0 && b === 0) continue;
      this.units.push(i);
      this.a.push(0.5 * a);
      this.b.push(0.5 * b);
    }
  }

  /** Y [m, n] = X G: with u = W x, z = V x, y = Wᵀ(a⊙u + b⊙z) + Vᵀ(b⊙u). */
  apply(m: number, X: ArrayLike<number>, Y: Float64Array, xOff = 0, yOff = 0): void {
    const { n, fit } = this;
    if (fit.dense) {
      // Exact mixture fits carry G_o densely (lib/js/mixtureQuadratic.ts).
      const G = this.o * n * n;
      for (let r = 0; r < m; r++) {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += fit.dense[G + i * n + j] * X[xOff + r * n + j];
          Y[yOff + r * n + i] = s;
        }
      }
      return;
    }
    const W = fit.W;
    const V = fit.b ? fit.V : null;
    for (let r = 0; r < m; r++) {
      const x = xOff + r * n;
      const y = yOff + r * n;
      for (let i = 0; i < n; i++) Y[y + i] = 0;
      for (let t = 0; t < this.units.length; t++) {
        const w = this.units[t] * n;
        let u = 0;
        let z = 0;
        for (let i = 0; i < n; i++) u += W[w + i] * X[x + i];
        if (V) for (let i = 0; i < n; i++) z += V[w + i] * X[x + i];
        const pw = this.a[t] * u + this.b[t] * z;
        const pv = this.b[t] * u;
        for (let i = 0; i < n; i++) Y[y + i] += pw * W[w + i];
        if (V && pv !== 0) for (let i = 0; i < n; i++) Y[y + i] += pv * V[w + i];
      }
    }
  }
}

/** Y [m, n] = X [m, n] G_o (rows of X are vectors), from the compact form only. */
export function quadraticFormApply(fit: QuadraticFitData, o: number, m: number, X: ArrayLike<number>): Float64Array {
  if (!(o >= 0 && o < fit.out)) throw new RangeError('output index out of range');
  const Y = new Float64Array(m * fit.in);
  new FormOperator(fit, o).apply(m, X, Y);
  return Y;
}

export function interactionEigenDense(fit: QuadraticFitData, o: number, k: number): EigenResultData {
  checkRequest(fit, o, k);
  const n = fit.in;
  const { vals, vecs } = symmetricEigen(n, quadraticForm(fit, o));
  const order = orderByMagnitude(n, vals);
  const values = new Float64Array(k);
  const vectors = new Float64Array(k * n);
  for (let j = 0; j < k; j++) {
    values[j] = vals[order[j]];
    vectors.set(vecs.subarray(order[j] * n, (order[j] + 1) * n), j * n);
    fixSign(n, vectors, j * n);
  }
  return { n, k, values, vectors, method: 'dense', iterations: 0, converged: true };
}

export function lanczosBasisSize(n: number, k: number): number {
  return Math.min(n, Math.max(2 * k + 20, 3 * k));
}

export function lanczosKeepCount(m: number, k: number): number {
  return Math.min(m - 1, k + Math.floor((m - k) / 2));
}

export function lanczosDefaultMaxIter(n: number, k: number): number {
  return Math.max(1000, 20 * lanczosBasisSize(n, k));
}

function norm2(n: number, x: Float64Array, off = 0): number {
  // Scaled like BLAS dnrm2, so tiny and huge vectors neither underflow nor overflow.
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(x[off + i]));
  if (scale === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = x[off + i] / scale;
    s += t * t;
  }
  return scale * Math.sqrt(s);
}

/**
 * w -= Qᵀ(Q w) twice over the first `rows` rows of Q (classical Gram–Schmidt with one
 * reorthogonalization, as the native dgemv pair); h receives the coefficients Q w of the
 * original w, h2 is scratch.
 */
function orthogonalize(rows: number, n: number, Q: Float64Array, w: Float64Array, h: Float64Array, h2: Float64Array, wOff = 0): void {
  h.fill(0, 0, rows);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < rows; j++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += Q[j * n + i] * w[wOff + i];
      h2[j] = d;
    }
    for (let j = 0; j < rows; j++) {
      const d = h2[j];
      h[j] += d;
      if (d !== 0) for (let i = 0; i < n; i++) w[wOff + i] -= d * Q[j * n + i];
    }
  }
}

/** Writes at dst[dOff..] a unit vector orthogonal to the first `rows` rows of Q, from the start sequence. */
function freshVector(
  rows: number,
  n: number,
  Q: Float64Array,
  seq: StartSequence,
  dst: Float64Array,
  dOff: number,
  h: Float64Array,
  h2: Float64Array,
): void {
  for (let attempt = 0; attempt < 8; attempt++) {
    for (let i = 0; i < n; i++) dst[dOff + i] = seq.next();
    const before = norm2(n, dst, dOff);
    orthogonalize(rows, n, Q, dst, h, h2, dOff);
    const after = norm2(n, dst, dOff);
    if (after > 1e-8 * before) {
      for (let i = 0; i < n; i++) dst[dOff + i] /= after;
      return;
    }
  }
  throw new Error('Lanczos: could not extend the basis (no direction left)');
}

export function interactionEigenLanczos(fit: QuadraticFitData, o: number, opt: EigenOptions): EigenResultData {
  checkRequest(fit, o, opt.k);
  if (!(opt.tol >= 0)) throw new RangeError('tol must be ≥ 0');
  const n = fit.in;
  const k = opt.k;
  const m = lanczosBasisSize(n, k);
  const maxIter = opt.maxIter > 0 ? opt.maxIter : lanczosDefaultMaxIter(n, k);
  const op = new FormOperator(fit, o);
  const seq = new StartSequence();
  // Q: rows 0..m-1 the orthonormal basis, row m the next (residual) direction. T = Qᵀ G Q.
  const Q = new Float64Array((m + 1) * n);
  const T = new Float64Array(m * m);
  const w = new Float64Array(n);
  const h = new Float64Array(m + 1);
  const h2 = new Float64Array(m + 1);
  freshVector(0, n, Q, seq, Q, 0, h, h2);
  let kept = 0;
  let iterations = 0;
  let gnorm = 0;
  let lamMax = 0;
  let converged = false;
  let theta: Float64Array = new Float64Array(0);
  let S: Float64Array = new Float64Array(0);
  let order: number[] = [];
  for (;;) {
    let beta = 0;
    for (let j = kept; j < m; j++) {
      op.apply(1, Q, w, j * n, 0);
      iterations++;
      gnorm = Math.max(gnorm, norm2(n, w));
      orthogonalize(j + 1, n, Q, w, h, h2);
      T[j * m + j] = h[j];
      beta = norm2(n, w);
      const next = (j + 1) * n;
      if (beta <= n * EPS * gnorm) {
        // Invariant subspace: continue from a fresh direction, decoupled (native comment).
        beta = 0;
        if (j + 1 < n) freshVector(j + 1, n, Q, seq, Q, next, h, h2);
        else Q.fill(0, next, next + n);
      } else {
        for (let i = 0; i < n; i++) Q[next + i] = w[i] / beta;
      }
      if (j + 1 < m) T[j * m + j + 1] = T[(j + 1) * m + j] = beta;
    }
    ({ vals: theta, vecs: S } = symmetricEigen(m, T));
    order = orderByMagnitude(m, theta);
    lamMax = Math.max(lamMax, Math.abs(theta[order[0]]));
    converged = true;
    for (let j = 0; j < k; j++) if (Math.abs(beta * S[order[j] * m + m - 1]) > opt.tol * lamMax) converged = false;
    if (m === n) converged = true;
    if (converged || iterations >= maxIter) break;
    // Thick restart: keep the `keep` Ritz vectors of largest |θ|, then q_m.
    const keep = lanczosKeepCount(m, k);
    const Qnew = new Float64Array(keep * n);
    for (let i = 0; i < keep; i++) {
      const s = order[i] * m;
      for (let p = 0; p < m; p++) {
        const c = S[s + p];
        if (c === 0) continue;
        for (let t = 0; t < n; t++) Qnew[i * n + t] += c * Q[p * n + t];
      }
    }
    Q.copyWithin(keep * n, m * n, (m + 1) * n);
    Q.set(Qnew, 0);
    T.fill(0);
    for (let i = 0; i < keep; i++) {
      T[i * m + i] = theta[order[i]];
      T[i * m + keep] = T[keep * m + i] = beta * S[order[i] * m + m - 1];
    }
    kept = keep;
  }
  const values = new Float64Array(k);
  const vectors = new Float64Array(k * n);
  for (let j = 0; j < k; j++) {
    values[j] = theta[order[j]];
    const s = order[j] * m;
    for (let p = 0; p < m; p++) {
      const c = S[s + p];
      if (c === 0) continue;
      for (let t = 0; t < n; t++) vectors[j * n + t] += c * Q[p * n + t];
    }
    const nv = norm2(n, vectors, j * n);
    if (nv > 0) for (let t = 0; t < n; t++) vectors[j * n + t] /= nv;
    fixSign(n, vectors, j * n);
  }
  return { n, k, values, vectors, method: 'lanczos', iterations, converged };
}
