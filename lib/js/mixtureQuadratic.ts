/**
 * Exact least-squares quadratic approximants under a K-component Gaussian mixture, matrix-free
 * (DESIGN §3.3): the TypeScript mirror of native/core/mixture_quadratic.cpp, step by step and by
 * name. The derivation is in native/core/mixture_quadratic.hpp; in short:
 *
 *  1. whitenMixture: coordinates y = Bᵀ(x − μ̄), B = U Λ^{-1/2} over the eigenvalues of the
 *     moment-matched covariance Σ̄ above rcond·λ_max (the data's affine hull, r ≤ in dimensions);
 *     components N(d_k, C_k) with C_k = (Bᵀ L_k)(Bᵀ L_k)ᵀ from Σ_k's pivoted Cholesky factor.
 *  2. componentRhs: rhs = Σ_k π_k A_k(q_k), q_k the single-Gaussian degree-2 fit of the network
 *     rewritten in y (W ↦ W U Λ^{1/2}, b ↦ b + W μ̄) under N(d_k, C_k).
 *  3. MomentMap: Y = Σ_k π_k A_k(Z) + ridge·Z by Isserlis on Γ's symmetric part (which keeps
 *     rounding-level asymmetry of the iterates away from a negative-definite map that would break
 *     CG): m0 = c̃ + tr(ΓC), m1 = Cβ̃, m2 = 2C(ΓC + ½m0 I), only its upper triangle, mirrored.
 *  4. hermitePreconditioner: the moment-matched Gaussian's inverse operator, N(0, I) in y:
 *     β = m1, Γ = ½(m2 − m0 I), c = m0 − tr Γ (exact for K = 1).
 *  5. blockCr: block preconditioned conjugate residuals over the outputs from zero (breakdown-free:
 *     each new search block re-orthonormalized, dependent directions dropped), the true residual
 *     recomputed at the end and the iteration restarted from it while above tol. The native
 *     solver's float32 operator (dtype 'float32') has no counterpart here: this one is float64.
 *  6. unwhitenQuadratic: Γ_x = B Γ_y Bᵀ, β_x = B β_y − 2Γ_x μ̄, c_x = c_y − β_yᵀBᵀμ̄ + μ̄ᵀΓ_xμ̄.
 *
 * Without ridge, singular mixtures get the solution of least moment-matched-Gaussian norm on the
 * range of the mixture operator, as a quadratic that does not vary off the data's affine hull;
 * ridge > 0 adds ridge·I in the whitened coordinates (penalty ridge·(c_y² + ‖β_y‖² + ‖Γ_y‖²_F)).
 */
import { componentMoments, FitOptions, GluData, InputData, MlpData, SolveInfo } from './fit';
import { gemm, projectOntoFactor, symmetricEigen, upperSandwich } from './linalg';
import type { QuadraticFitData } from './quadratic';
import { gluQuadraticFit, mlpQuadraticFit, quadraticForm } from './quadratic';

export interface MixtureSolveOptions {
  ridge: number;
  rcond: number;
  /** Relative residual ‖b − Mz‖/‖b‖ (max over outputs) to stop at. */
  tol: number;
  maxIter: number;
  /** Bytes the solve may allocate (checked before allocating). */
  memoryLimit: number;
  onProgress?: ((p: { iter: number; residual: number }) => void) | null;
  signal?: AbortSignal | null;
}

export interface MixtureSolveInfo extends SolveInfo {
  method: 'mixture-cg';
  iterations: number;
  /** Restarts of the iteration from the recomputed true residual. */
  restarts: number;
  /**
   * Iterations whose operator ran in float32: native with dtype 'float32', once the residual is
   * below min(1e-2, 1e5·tol) (the final residual is float64 either way). Always 0 here (JS
   * computes in float64).
   */
  float32Iterations: number;
  /** The true relative residual max_o ‖b_o − M z_o‖/‖b_o‖, recomputed at the end. */
  residual: number;
  converged: boolean;
  seconds: number;
  /**
   * 'minimum-norm': no ridge; on the data's affine hull, the solution of least
   * moment-matched-Gaussian norm among the least-squares ones. 'ridge': ridge > 0 in the whitened
   * coordinates.
   */
  solution: 'minimum-norm' | 'ridge';
}

/** Which solution a mixture solve with this ridge returns. */
export function mixtureSolution(ridge: number): 'minimum-norm' | 'ridge' {
  return ridge > 0 ? 'ridge' : 'minimum-norm';
}

export const MIXTURE_DEFAULTS = { tol: 1e-8, maxIter: 500, memoryLimit: 4 * 2 ** 30 };

/**
 * Float64 stacks the solve holds at once: rhs, z and blockCr's seven (res, Z, AZ, QZ, P, AP, Q), the
 * operator's Γ C scratch, the result, and one of margin (as native/core's kStacks).
 */
const STACKS = 12;

/**
 * Bytes the solve allocates for in, out, K (an upper bound: r ≤ in); single: the native float32
 * operator's buffers too (the stack of symmetric parts, one S C, one C S C, the K float copies of C_k).
 */
export function mixtureMemoryEstimate(n: number, out: number, K: number, single = false): number {
  const f32 = single ? 4 * (out + K + 2) * n * n : 0;
  return 8 * (STACKS * out * (n * n + n + 1) + (K + 6) * n * n) + f32;
}

/** Stacks of quadratics in the whitened coordinates: c [out], b [out, r], G [out, r, r]. */
interface Quad {
  c: Float64Array;
  b: Float64Array;
  G: Float64Array;
}

function newQuad(out: number, r: number): Quad {
  return { c: new Float64Array(out), b: new Float64Array(out * r), G: new Float64Array(out * r * r) };
}

function assign(dst: Quad, src: Quad): void {
  dst.c.set(src.c);
  dst.b.set(src.b);
  dst.G.set(src.G);
}

function dots(out: number, r: number, X: Quad, Y: Quad): Float64Array {
  const d = new Float64Array(out);
  const rr = r * r;
  for (let o = 0; o < out; o++) {
    let s = X.c[o] * Y.c[o];
    for (let i = o * r; i < (o + 1) * r; i++) s += X.b[i] * Y.b[i];
    for (let i = o * rr; i < (o + 1) * rr; i++) s += X.G[i] * Y.G[i];
    d[o] = s;
  }
  return d;
}

/** Y_o += s_o X_o. */
function axpy(out: number, r: number, s: Float64Array, X: Quad, Y: Quad): void {
  const rr = r * r;
  for (let o = 0; o < out; o++) {
    const a = s[o];
    if (a === 0) continue;
    Y.c[o] += a * X.c[o];
    for (let i = o * r; i < (o + 1) * r; i++) Y.b[i] += a * X.b[i];
    for (let i = o * rr; i < (o + 1) * rr; i++) Y.G[i] += a * X.G[i];
  }
}

interface WhitenedComponent {
  w: number;
  d: Float64Array;
  C: Float64Array;
}

interface WhitenedMixture {
  n: number;
  r: number;
  cutoff: number;
  mubar: Float64Array;
  /** [n, r]: y = Bᵀ(x − μ̄). */
  B: Float64Array;
  /** [n, r]: x = μ̄ + A y on the affine hull. */
  A: Float64Array;
  comps: WhitenedComponent[];
}

function whitenMixture(dist: InputData, rcond: number, psdTol: number): WhitenedMixture {
  const n = dist.in;
  const K = dist.K;
  let wsum = 0;
  for (let k = 0; k < K; k++) wsum += dist.weights ? dist.weights[k] : 1;
  const pi = new Float64Array(K);
  const cm = [];
  const mubar = new Float64Array(n);
  for (let k = 0; k < K; k++) {
    pi[k] = (dist.weights ? dist.weights[k] : 1) / wsum;
    cm.push(componentMoments(dist, k, psdTol)); // the PSD check and Σ_k's factor
    for (let i = 0; i < n; i++) mubar[i] += pi[k] * cm[k].mean[i];
  }
  const Sbar = new Float64Array(n * n);
  for (let k = 0; k < K; k++) {
    const S = dist.covs ? dist.covs.subarray(k * n * n, (k + 1) * n * n) : null;
    for (let i = 0; i < n; i++) {
      const di = cm[k].mean[i] - mubar[i];
      for (let j = 0; j < n; j++) Sbar[i * n + j] += pi[k] * ((S ? S[i * n + j] : i === j ? 1 : 0) + di * (cm[k].mean[j] - mubar[j]));
    }
  }
  const { vals, vecs } = symmetricEigen(n, Sbar);
  let lmax = 0;
  for (const v of vals) lmax = Math.max(lmax, v);
  const cutoff = Math.max(rcond, 1e-14) * lmax;
  const keep: number[] = [];
  for (let t = 0; t < n; t++) if (vals[t] > cutoff && vals[t] > 0) keep.push(t);
  const r = keep.length;
  const B = new Float64Array(n * r);
  const A = new Float64Array(n * r);
  const Bt = new Float64Array(r * n);
  keep.forEach((t, c) => {
    const s = Math.sqrt(vals[t]);
    for (let i = 0; i < n; i++) {
      const u = vecs[t * n + i];
      B[i * r + c] = u / s;
      A[i * r + c] = u * s;
      Bt[c * n + i] = u / s;
    }
  });
  const comps: WhitenedComponent[] = [];
  for (let k = 0; k < K; k++) {
    const delta = new Float64Array(n);
    for (let i = 0; i < n; i++) delta[i] = cm[k].mean[i] - mubar[i];
    const d = new Float64Array(r);
    gemm(false, false, r, 1, n, 1, Bt, delta, 0, d);
    // C_k = (Bᵀ L_k)(Bᵀ L_k)ᵀ: PSD by construction.
    const C = new Float64Array(r * r);
    const f = cm[k].factor;
    if (!f) gemm(false, true, r, r, n, 1, Bt, Bt, 0, C);
    else {
      const G = projectOntoFactor(r, Bt, f); // [r, rank]
      gemm(false, true, r, r, f.rank, 1, G, G, 0, C);
    }
    for (let i = 0; i < r; i++)
      for (let j = 0; j < i; j++) {
        const s = 0.5 * (C[i * r + j] + C[j * r + i]);
        C[i * r + j] = s;
        C[j * r + i] = s;
      }
    comps.push({ w: pi[k], d, C });
  }
  return { n, r, cutoff, mubar, B, A, comps };
}

/**
 * The mixture moment operator Σ_k π_k A_k (+ ridge·I) on stacks of whitened quadratics: per
 * output S = ½(Γ + Γᵀ) once, then per component P = S C (tr P = tr(SC)), P += ½m0 I, the upper
 * triangle of 2π_k C P, and the rank-2 terms e dᵀ + d eᵀ (e = ½m0 d + m1); lower triangle mirrored.
 */
class MomentMap {
  private readonly S: Float64Array;
  private readonly P: Float64Array;

  constructor(
    readonly wm: WhitenedMixture,
    readonly out: number,
  ) {
    this.S = new Float64Array(out * wm.r * wm.r);
    this.P = new Float64Array(wm.r * wm.r);
  }

  /** Y += π_k A_k(Z) (component k alone) on the first `rows` stacked quadratics (all by default). */
  addComponent(Z: Quad, k: number, Y: Quad, rows = this.out): void {
    this.symmetrize(Z, rows);
    this.addComponents(Z, k, k + 1, Y, rows);
    this.mirrorUpper(Y, rows);
  }

  apply(Z: Quad, Y: Quad, ridge: number, rows = this.out): void {
    Y.c.fill(0);
    Y.b.fill(0);
    Y.G.fill(0);
    this.symmetrize(Z, rows);
    this.addComponents(Z, 0, this.wm.comps.length, Y, rows);
    this.mirrorUpper(Y, rows);
    if (ridge > 0) axpy(rows, this.wm.r, new Float64Array(rows).fill(ridge), Z, Y);
  }

  private symmetrize(Z: Quad, out: number): void {
    const r = this.wm.r;
    const { S } = this;
    for (let g = 0; g < out * r * r; g += r * r)
      for (let i = 0; i < r; i++)
        for (let j = i; j < r; j++) S[g + i * r + j] = S[g + j * r + i] = 0.5 * (Z.G[g + i * r + j] + Z.G[g + j * r + i]);
  }

  private addComponents(Z: Quad, k0: number, k1: number, Y: Quad, out: number): void {
    const r = this.wm.r;
    const rr = r * r;
    const { S, P } = this;
    const sd = new Float64Array(r);
    const bt = new Float64Array(r);
    const m1 = new Float64Array(r);
    for (let o = 0; o < out; o++) {
      const g = o * rr;
      for (let k = k0; k < k1; k++) {
        const { w, d, C } = this.wm.comps[k];
        gemm(false, false, r, 1, r, 1, S.subarray(g, g + rr), d, 0, sd); // S d
        let m0 = Z.c[o];
        for (let i = 0; i < r; i++) {
          m0 += Z.b[o * r + i] * d[i] + d[i] * sd[i];
          bt[i] = Z.b[o * r + i] + 2 * sd[i]; // β̃
        }
        gemm(false, false, 1, r, r, 1, bt, C, 0, m1); // m1 = C β̃ (C symmetric)
        gemm(false, false, r, r, r, 1, S.subarray(g, g + rr), C, 0, P); // S C
        for (let i = 0; i < r; i++) m0 += P[i * r + i];
        for (let i = 0; i < r; i++) P[i * r + i] += 0.5 * m0;
        upperSandwich(r, 2 * w, C, P, Y.G, g);
        Y.c[o] += w * m0;
        for (let i = 0; i < r; i++) {
          Y.b[o * r + i] += w * (m1[i] + d[i] * m0);
          const ei = w * (0.5 * m0 * d[i] + m1[i]);
          for (let j = i; j < r; j++) Y.G[g + i * r + j] += ei * d[j] + d[i] * w * (0.5 * m0 * d[j] + m1[j]);
        }
      }
    }
  }

  private mirrorUpper(Y: Quad, out: number): void {
    const r = this.wm.r;
    for (let g = 0; g < out * r * r; g += r * r)
      for (let i = 0; i < r; i++) for (let j = i + 1; j < r; j++) Y.G[g + j * r + i] = Y.G[g + i * r + j];
  }
}

/** Z = P R, the moment-matched Gaussian's inverse operator: β = m1, Γ = ½(m2 − m0 I), c = m0 − tr Γ. */
function hermitePreconditioner(out: number, r: number, R: Quad, Z: Quad): void {
  const rr = r * r;
  for (let o = 0; o < out; o++) {
    const m0 = R.c[o];
    let tr = 0;
    for (let i = o * r; i < (o + 1) * r; i++) Z.b[i] = R.b[i];
    const g = o * rr;
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) Z.G[g + i * r + j] = 0.5 * R.G[g + i * r + j];
      Z.G[g + i * r + i] -= 0.5 * m0;
      tr += Z.G[g + i * r + i];
    }
    Z.c[o] = m0 - tr;
  }
}

/** Loads the single-Gaussian fit q (in whitened coordinates) as a dense stack. */
function loadQuadratic(q: QuadraticFitData, Z: Quad): void {
  const { out, in: r } = q;
  for (let o = 0; o < out; o++) {
    Z.c[o] = q.alpha[o];
    for (let i = 0; i < r; i++) Z.b[o * r + i] = q.beta[i * out + o];
    Z.G.set(quadraticForm(q, o), o * r * r);
  }
}

/** A layer rewritten in whitened coordinates: rows of W become W A. */
function whitenRows(rows: number, W: Float64Array, wm: WhitenedMixture): Float64Array {
  const Wy = new Float64Array(rows * wm.r);
  gemm(false, false, rows, wm.r, wm.n, 1, W, wm.A, 0, Wy);
  return Wy;
}

/** Biases absorb W μ̄. */
function shiftedBias(rows: number, W: Float64Array, b: Float64Array | null, wm: WhitenedMixture): Float64Array {
  const by = new Float64Array(rows);
  gemm(false, false, rows, 1, wm.n, 1, W, wm.mubar, 0, by);
  if (b) for (let i = 0; i < rows; i++) by[i] += b[i];
  return by;
}

/** rhs = Σ π_k A_k(q_k), q_k fitted by `fitComponent` under N(d_k, C_k). */
function componentRhs(wm: WhitenedMixture, fitComponent: (d: InputData) => QuadraticFitData, op: MomentMap, scratch: Quad, rhs: Quad): void {
  wm.comps.forEach((comp, k) => {
    const q = fitComponent({ in: wm.r, K: 1, weights: null, means: comp.d, covs: comp.C });
    loadQuadratic(q, scratch);
    op.addComponent(scratch, k, rhs);
  });
}

/** The signal's own AbortError reason if it has one, else a new AbortError (code ABORT_ERR). */
export function abortError(signal?: AbortSignal | null): Error {
  const reason = (signal as { reason?: unknown } | null | undefined)?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error('the mixture quadratic solve was aborted');
  e.name = 'AbortError';
  (e as Error & { code?: string }).code = 'ABORT_ERR';
  return e;
}

interface BlockSolveResult {
  iterations: number;
  restarts: number;
  residual: number;
}

/** The block inner products M [mx, my] = (⟨X_a, Y_b⟩) over the first mx and my stacked quadratics. */
function gram(mx: number, my: number, r: number, X: Quad, Y: Quad): Float64Array {
  const M = new Float64Array(mx * my);
  if (mx === 0 || my === 0) return M;
  gemm(false, true, mx, my, 1, 1, X.c, Y.c, 0, M);
  gemm(false, true, mx, my, r, 1, X.b, Y.b, 1, M);
  gemm(false, true, mx, my, r * r, 1, X.G, Y.G, 1, M);
  return M;
}

/** Y_b = Σ_a T[a, b] X_a + keep·Y_b for b < my (T [mx, my]); X and Y must be different stacks. */
function combine(mx: number, my: number, r: number, T: Float64Array, X: Quad, keep: number, Y: Quad): void {
  if (my === 0) return;
  gemm(true, false, my, 1, mx, 1, T, X.c, keep, Y.c.subarray(0, my));
  gemm(true, false, my, r, mx, 1, T, X.b, keep, Y.b.subarray(0, my * r));
  gemm(true, false, my, r * r, mx, 1, T, X.G, keep, Y.G.subarray(0, my * r * r));
}

/**
 * The coefficients T [m, k] that make a block X[:m] T orthonormal in the inner product whose Gram
 * matrix of X[:m] is `G`, from its eigendecomposition; directions with relative weight below 1e-12
 * (nearly dependent block columns, the breakdown of plain block methods) are dropped.
 */
function orthonormalizer(m: number, G: Float64Array): { T: Float64Array; k: number } {
  const { vals, vecs } = symmetricEigen(m, G);
  const lmax = Math.max(0, ...vals);
  const keep: number[] = [];
  for (let t = m - 1; t >= 0; t--) if (vals[t] > 1e-12 * lmax && vals[t] > 0) keep.push(t);
  const k = keep.length;
  const T = new Float64Array(m * k);
  for (let j = 0; j < k; j++) for (let a = 0; a < m; a++) T[a * k + j] = vecs[keep[j] * m + a] / Math.sqrt(vals[keep[j]]);
  return { T, k };
}

/**
 * Block preconditioned conjugate residuals over the outputs (native/core/block_cr.hpp): every
 * output's iterate minimizes its residual in the preconditioner's inverse norm over the sum of all
 * outputs' Krylov spaces. Search directions P with AP = M P and Q = H AP kept H-orthonormal, so
 * α = Qᵀ r and β = −Qᵀ M Z; breakdown-free (each new block re-orthonormalized, dependent
 * directions dropped). A generator: it yields after every iteration so that the async driver can
 * give the event loop a turn. At the end the true residual is recomputed and the iteration
 * restarted from it while above tol.
 */
function* blockCr(wm: WhitenedMixture, out: number, op: MomentMap, ridge: number, rhs: Quad, z: Quad, opt: MixtureSolveOptions): Generator<void, BlockSolveResult> {
  const r = wm.r;
  const [res, Z, AZ, QZ, P, AP, Q] = Array.from({ length: 7 }, () => newQuad(out, r));
  const bnorm = dots(out, r, rhs, rhs).map(Math.sqrt);
  const worstRelative = (): number => {
    const rr = dots(out, r, res, res);
    let worst = 0;
    for (let o = 0; o < out; o++) if (bnorm[o] > 0) worst = Math.max(worst, Math.sqrt(rr[o]) / bnorm[o]);
    return worst;
  };
  const nextBlock = (): void => {
    hermitePreconditioner(out, r, res, Z);
    op.apply(Z, AZ, ridge);
  };
  const result: BlockSolveResult = { iterations: 0, restarts: 0, residual: 0 };
  assign(res, rhs);
  let worst = worstRelative();
  for (;;) {
    nextBlock();
    while (result.iterations < opt.maxIter && worst > opt.tol) {
      if (opt.signal?.aborted) throw abortError(opt.signal);
      hermitePreconditioner(out, r, AZ, QZ);
      const { T, k } = orthonormalizer(out, gram(out, out, r, AZ, QZ));
      if (k === 0) break;
      combine(out, k, r, T, Z, 0, P);
      combine(out, k, r, T, AZ, 0, AP);
      combine(out, k, r, T, QZ, 0, Q);
      const alpha = gram(k, out, r, Q, res);
      combine(k, out, r, alpha, P, 1, z);
      combine(k, out, r, alpha.map((a) => -a), AP, 1, res);
      worst = worstRelative();
      result.iterations++;
      opt.onProgress?.({ iter: result.iterations, residual: worst });
      yield;
      if (worst <= opt.tol) break;
      nextBlock();
      const beta = gram(k, out, r, Q, AZ).map((b) => -b);
      combine(k, out, r, beta, P, 1, Z);
      combine(k, out, r, beta, AP, 1, AZ);
    }
    // The recurrence drifts from b − Mz: recompute, and restart from there if above tol.
    op.apply(z, AZ, ridge);
    for (let i = 0; i < res.c.length; i++) res.c[i] = rhs.c[i] - AZ.c[i];
    for (let i = 0; i < res.b.length; i++) res.b[i] = rhs.b[i] - AZ.b[i];
    for (let i = 0; i < res.G.length; i++) res.G[i] = rhs.G[i] - AZ.G[i];
    worst = worstRelative();
    result.residual = worst;
    if (worst <= opt.tol || result.iterations >= opt.maxIter || result.restarts >= 8) break;
    result.restarts++;
  }
  return result;
}

/** Back to input coordinates (alpha [out], beta [in, out], dense G [out, in, in]). */
function unwhitenQuadratic(wm: WhitenedMixture, out: number, z: Quad): { alpha: Float64Array; beta: Float64Array; G: Float64Array } {
  const { n, r, B, mubar } = wm;
  const alpha = new Float64Array(out);
  const beta = new Float64Array(n * out);
  const G = new Float64Array(out * n * n);
  const T = new Float64Array(n * r);
  const bx = new Float64Array(n);
  const gm = new Float64Array(n);
  const Btmu = new Float64Array(r);
  for (let c = 0; c < r; c++) for (let i = 0; i < n; i++) Btmu[c] += B[i * r + c] * mubar[i];
  for (let o = 0; o < out; o++) {
    const Gx = G.subarray(o * n * n, (o + 1) * n * n);
    gemm(false, false, n, r, r, 1, B, z.G.subarray(o * r * r, (o + 1) * r * r), 0, T);
    gemm(false, true, n, n, r, 1, T, B, 0, Gx);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < i; j++) {
        const s = 0.5 * (Gx[i * n + j] + Gx[j * n + i]);
        Gx[i * n + j] = s;
        Gx[j * n + i] = s;
      }
    gemm(false, false, n, 1, r, 1, B, z.b.subarray(o * r, (o + 1) * r), 0, bx);
    gemm(false, false, n, 1, n, 1, Gx, mubar, 0, gm);
    let c = z.c[o];
    let mgm = 0;
    for (let c2 = 0; c2 < r; c2++) c -= z.b[o * r + c2] * Btmu[c2];
    for (let i = 0; i < n; i++) {
      beta[i * out + o] = bx[i] - 2 * gm[i];
      mgm += mubar[i] * gm[i];
    }
    alpha[o] = c + mgm;
  }
  return { alpha, beta, G };
}

export interface MixtureProblem {
  kind: 'mlp' | 'glu';
  net: MlpData | GluData;
  dist: InputData;
  fit: FitOptions;
  opt: MixtureSolveOptions;
}

/** The component fit on the network rewritten in whitened coordinates. */
function componentFitter(prob: MixtureProblem, wm: WhitenedMixture): (d: InputData) => QuadraticFitData {
  const copt: FitOptions = { ...prob.fit, ridge: 0, single: false };
  if (prob.kind === 'glu') {
    const net = prob.net as GluData;
    const y: GluData = {
      ...net,
      in: wm.r,
      W: whitenRows(net.hidden, net.W, wm),
      V: whitenRows(net.hidden, net.V, wm),
      b1: shiftedBias(net.hidden, net.W, net.b1, wm),
      b2: shiftedBias(net.hidden, net.V, net.b2, wm),
    };
    return (d) => gluQuadraticFit(y, d, copt);
  }
  const net = prob.net as MlpData;
  const y: MlpData = { ...net, in: wm.r, W1: whitenRows(net.hidden, net.W1, wm), b1: shiftedBias(net.hidden, net.W1, net.b1, wm) };
  return (d) => mlpQuadraticFit(y, d, copt);
}

function* mixtureFit(prob: MixtureProblem): Generator<void, QuadraticFitData> {
  const t0 = Date.now();
  const { net, dist, opt, fit } = prob;
  const n = net.in;
  const out = net.out;
  const est = mixtureMemoryEstimate(n, out, dist.K);
  if (est > opt.memoryLimit) {
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
    throw new RangeError(
      `the exact mixture quadratic (in = ${n}, out = ${out}, K = ${dist.K}) needs about ${gib(est)} ` +
        `(${STACKS} stacks of out·in² float64), above options.memoryLimit = ${gib(opt.memoryLimit)}; ` +
        'raise options.memoryLimit or fit fewer outputs at a time',
    );
  }
  if (opt.signal?.aborted) throw abortError(opt.signal);
  const wm = whitenMixture(dist, fit.rcond, fit.psdTol);
  const op = new MomentMap(wm, out);
  const rhs = newQuad(out, wm.r);
  const z = newQuad(out, wm.r);
  componentRhs(wm, componentFitter(prob, wm), op, newQuad(out, wm.r), rhs);
  yield;
  const pr = yield* blockCr(wm, out, op, fit.ridge, rhs, z, opt);
  const { alpha, beta, G } = unwhitenQuadratic(wm, out, z);
  const solve: MixtureSolveInfo = {
    method: 'mixture-cg',
    iterations: pr.iterations,
    restarts: pr.restarts,
    float32Iterations: 0,
    residual: pr.residual,
    converged: pr.residual <= opt.tol,
    seconds: (Date.now() - t0) / 1000,
    solution: mixtureSolution(fit.ridge),
    ridge: fit.ridge,
    rank: wm.r,
    cutoff: wm.cutoff,
    rcond: fit.rcond,
  };
  return { in: n, hidden: 0, out, alpha, beta, W: new Float64Array(0), V: null, a: new Float64Array(0), b: null, dense: G, solve };
}

/** The exact mixture quadratic, synchronously (progress reported every iteration). */
export function mixtureQuadraticFit(prob: MixtureProblem): QuadraticFitData {
  const it = mixtureFit(prob);
  for (;;) {
    const s = it.next();
    if (s.done) return s.value;
  }
}

/** As mixtureQuadraticFit, yielding to the event loop between iterations (abortable). */
export async function mixtureQuadraticFitAsync(prob: MixtureProblem): Promise<QuadraticFitData> {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  await tick();
  const it = mixtureFit(prob);
  for (;;) {
    const s = it.next();
    if (s.done) return s.value;
    await tick();
  }
}
