/**
 * Linear approximants of MLPs and GLUs (DESIGN §3.2–3.3): the JS fallback's version of
 * native/core/fit.cpp, step by step under the same names.
 */
import type { Activation } from '../activation';
import { derivEvs } from './integrals';
import { CovFactor, factorCovariance, gemm, NotPsdError, projectOntoFactor, solveSymmetric } from './linalg';

export interface MlpData {
  in: number;
  hidden: number;
  out: number;
  W1: Float64Array;
  b1: Float64Array | null;
  W2: Float64Array;
  b2: Float64Array | null;
  act: Activation;
}

export interface GluData {
  in: number;
  hidden: number;
  out: number;
  W: Float64Array;
  V: Float64Array;
  b1: Float64Array | null;
  b2: Float64Array | null;
  W2: Float64Array | null;
  act: Activation;
}

/** Σ_k π_k N(means[k], covs[k]); null means = zeros, null covs = identities. */
export interface InputData {
  in: number;
  K: number;
  weights: Float64Array | null;
  means: Float64Array | null;
  covs: Float64Array | null;
}

export interface FitOptions {
  rcond: number;
  ridge: number;
  psdTol: number;
  /**
   * float32 for the large products (native only: the JS fallback always computes in float64,
   * which is at least as accurate).
   */
  single: boolean;
}

export interface SolveInfo {
  method: 'stein' | 'pinv' | 'ridge' | 'mixture-cg';
  rank: number;
  cutoff: number;
  rcond: number;
  ridge: number;
  /** 'mixture-cg' (exact mixture quadratics, lib/js/mixtureQuadratic.ts) only. */
  iterations?: number;
  residual?: number;
  converged?: boolean;
  seconds?: number;
  /** Restarts of the iteration from the recomputed true residual. */
  restarts?: number;
  /** Iterations whose operator ran in float32 (native with dtype 'float32'; JS: always 0). */
  float32Iterations?: number;
  /** 'minimum-norm' (no ridge) or 'ridge'. */
  solution?: 'minimum-norm' | 'ridge';
}

export interface LinearFitData {
  in: number;
  out: number;
  alpha: Float64Array;
  beta: Float64Array;
  solve: SolveInfo;
}

export interface ComponentMoments {
  mean: Float64Array;
  identityCov: boolean;
  factor: CovFactor | null;
  rank: number;
}

function dot(n: number, a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += a[ao + i] * b[bo + i];
  return acc;
}

export function componentMoments(dist: InputData, k: number, psdTol: number): ComponentMoments {
  const n = dist.in;
  const mean = dist.means ? dist.means.slice(k * n, (k + 1) * n) : new Float64Array(n);
  if (!dist.covs) return { mean, identityCov: true, factor: null, rank: n };
  try {
    const factor = factorCovariance(n, dist.covs.subarray(k * n * n, (k + 1) * n * n), psdTol);
    return { mean, identityCov: false, factor, rank: factor.rank };
  } catch (e) {
    if (e instanceof NotPsdError) throw new NotPsdError(`covariance of component ${k} is ${e.message}`);
    throw e;
  }
}

export interface Preactivations {
  m: Float64Array;
  s: Float64Array;
  proj: Float64Array | null;
}

/** m = W μ + b and s_i = ‖Fᵀ w_i‖ (a sum of squares: never negative). */
export function preactivationStats(
  rows: number,
  n: number,
  W: Float64Array,
  b: Float64Array | null,
  c: ComponentMoments,
): Preactivations {
  const m = new Float64Array(rows);
  const s = new Float64Array(rows);
  for (let i = 0; i < rows; i++) m[i] = dot(n, W, i * n, c.mean, 0) + (b ? b[i] : 0);
  if (c.identityCov || !c.factor) {
    for (let i = 0; i < rows; i++) s[i] = Math.sqrt(dot(n, W, i * n, W, i * n));
    return { m, s, proj: null };
  }
  const proj = projectOntoFactor(rows, W, c.factor);
  const r = c.factor.rank;
  for (let i = 0; i < rows; i++) s[i] = Math.sqrt(dot(r, proj, i * r, proj, i * r));
  return { m, s, proj };
}

/**
 * Per hidden unit under one Gaussian component: the gate preactivation's moments, the GLU value
 * preactivation's mean and its covariance with the gate (c_i = w_iᵀ Σ v_i), and
 * e[i*(kmax+1) + k] = E[φ^(k)(y_i)] (native UnitExpectations).
 */
export interface UnitExpectations {
  kmax: number;
  gate: Preactivations;
  value: Preactivations | null;
  cross: Float64Array | null;
  e: Float64Array;
}

function expectationsOf(act: Activation, kmax: number, pre: Preactivations, h: number): Float64Array {
  const e = new Float64Array(h * (kmax + 1));
  for (let i = 0; i < h; i++) e.set(derivEvs(act, kmax, pre.m[i], pre.s[i]), i * (kmax + 1));
  return e;
}

export function mlpUnits(net: MlpData, c: ComponentMoments, kmax: number): UnitExpectations {
  const gate = preactivationStats(net.hidden, net.in, net.W1, net.b1, c);
  return { kmax, gate, value: null, cross: null, e: expectationsOf(net.act, kmax, gate, net.hidden) };
}

export function gluUnits(net: GluData, c: ComponentMoments, kmax: number): UnitExpectations {
  const { in: n, hidden: h } = net;
  const gate = preactivationStats(h, n, net.W, net.b1, c);
  const value = preactivationStats(h, n, net.V, net.b2, c);
  const cross = new Float64Array(h);
  const r = c.factor ? c.factor.rank : 0;
  for (let i = 0; i < h; i++) {
    cross[i] = !gate.proj || !value.proj ? dot(n, net.W, i * n, net.V, i * n) : dot(r, gate.proj, i * r, value.proj, i * r);
  }
  return { kmax, gate, value, cross, e: expectationsOf(net.act, kmax, gate, h) };
}

export interface LinearTerms {
  meanOutput: Float64Array;
  meanGrad: Float64Array;
}

export function mlpLinearTermsFromUnits(net: MlpData, u: UnitExpectations): LinearTerms {
  const { in: n, hidden: h, out } = net;
  const w = u.kmax + 1;
  const meanOutput = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let acc = net.b2 ? net.b2[o] : 0;
    for (let i = 0; i < h; i++) acc += net.W2[o * h + i] * u.e[i * w];
    meanOutput[o] = acc;
  }
  const T = new Float64Array(h * out);
  for (let i = 0; i < h; i++) for (let o = 0; o < out; o++) T[i * out + o] = u.e[i * w + 1] * net.W2[o * h + i];
  const meanGrad = new Float64Array(n * out);
  gemm(true, false, n, out, h, 1, net.W1, T, 0, meanGrad);
  return { meanOutput, meanGrad };
}

export function gluLinearTermsFromUnits(net: GluData, u: UnitExpectations): LinearTerms {
  const { in: n, hidden: h, out } = net;
  const w = u.kmax + 1;
  const value = u.value!;
  const cross = u.cross!;
  const eg = new Float64Array(h);
  const a = new Float64Array(h);
  const bcoef = new Float64Array(h);
  for (let i = 0; i < h; i++) {
    const e0 = u.e[i * w];
    const e1 = u.e[i * w + 1];
    const e2 = u.e[i * w + 2];
    const mz = value.m[i];
    eg[i] = mz * e0 + cross[i] * e1;
    a[i] = mz * e1 + cross[i] * e2;
    bcoef[i] = e0;
  }
  const meanGrad = new Float64Array(n * out);
  if (!net.W2) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < n; j++) meanGrad[j * out + i] = a[i] * net.W[i * n + j] + bcoef[i] * net.V[i * n + j];
    }
    return { meanOutput: eg, meanGrad };
  }
  const W2 = net.W2;
  const meanOutput = new Float64Array(out);
  for (let o = 0; o < out; o++) meanOutput[o] = dot(h, W2, o * h, eg, 0);
  const T = new Float64Array(h * out);
  for (let i = 0; i < h; i++) for (let o = 0; o < out; o++) T[i * out + o] = a[i] * W2[o * h + i];
  gemm(true, false, n, out, h, 1, net.W, T, 0, meanGrad);
  for (let i = 0; i < h; i++) for (let o = 0; o < out; o++) T[i * out + o] = bcoef[i] * W2[o * h + i];
  gemm(true, false, n, out, h, 1, net.V, T, 1, meanGrad);
  return { meanOutput, meanGrad };
}

export function mlpLinearTerms(net: MlpData, c: ComponentMoments): LinearTerms {
  return mlpLinearTermsFromUnits(net, mlpUnits(net, c, 1));
}

export function gluLinearTerms(net: GluData, c: ComponentMoments): LinearTerms {
  return gluLinearTermsFromUnits(net, gluUnits(net, c, 2));
}

/** α = E f − βᵀ E x: the intercept that makes the linear fit's mean match the network's. */
function intercept(n: number, out: number, meanOutput: Float64Array, beta: Float64Array, mean: Float64Array): Float64Array {
  const alpha = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let acc = meanOutput[o];
    for (let j = 0; j < n; j++) acc -= beta[j * out + o] * mean[j];
    alpha[o] = acc;
  }
  return alpha;
}

export function linearFitFromTerms(
  dist: InputData,
  comps: ComponentMoments[],
  terms: LinearTerms[],
  opt: FitOptions,
): LinearFitData {
  const n = dist.in;
  const K = dist.K;
  const out = terms[0].meanOutput.length;
  if (K === 1 && opt.ridge === 0) {
    // Under one Gaussian Cov(x, f) = Σ E∇f (Stein): beta = E∇f, even for singular Σ.
    const beta = terms[0].meanGrad.slice();
    return {
      in: n,
      out,
      alpha: intercept(n, out, terms[0].meanOutput, beta, comps[0].mean),
      beta,
      solve: { method: 'stein', rank: comps[0].rank, cutoff: 0, rcond: opt.rcond, ridge: opt.ridge },
    };
  }
  const w = new Float64Array(K).fill(1 / K);
  if (dist.weights) {
    let total = 0;
    for (let k = 0; k < K; k++) total += dist.weights[k];
    for (let k = 0; k < K; k++) w[k] = dist.weights[k] / total;
  }
  // Law of total covariance (see fit.cpp).
  const mu = new Float64Array(n);
  const ef = new Float64Array(out);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < n; j++) mu[j] += w[k] * comps[k].mean[j];
    for (let o = 0; o < out; o++) ef[o] += w[k] * terms[k].meanOutput[o];
  }
  const C = new Float64Array(n * n);
  const R = new Float64Array(n * out);
  const d = new Float64Array(n);
  const de = new Float64Array(out);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < n; j++) d[j] = comps[k].mean[j] - mu[j];
    for (let o = 0; o < out; o++) de[o] = terms[k].meanOutput[o] - ef[o];
    if (comps[k].identityCov || !dist.covs) {
      for (let j = 0; j < n; j++) C[j * n + j] += w[k];
      for (let q = 0; q < R.length; q++) R[q] += w[k] * terms[k].meanGrad[q];
    } else {
      const S = dist.covs.subarray(k * n * n, (k + 1) * n * n);
      for (let q = 0; q < C.length; q++) C[q] += w[k] * S[q];
      gemm(false, false, n, out, n, w[k], S, terms[k].meanGrad, 1, R);
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) C[i * n + j] += w[k] * d[i] * d[j];
      for (let o = 0; o < out; o++) R[i * out + o] += w[k] * d[i] * de[o];
    }
  }
  const { X: beta, report } = solveSymmetric(n, out, C, R, opt.ridge, opt.rcond);
  return {
    in: n,
    out,
    alpha: intercept(n, out, ef, beta, mu),
    beta,
    solve: {
      method: opt.ridge > 0 ? 'ridge' : 'pinv',
      rank: report.rank,
      cutoff: report.cutoff,
      rcond: opt.rcond,
      ridge: opt.ridge,
    },
  };
}

function linearFit<Net>(
  net: Net,
  dist: InputData,
  opt: FitOptions,
  termsOf: (net: Net, c: ComponentMoments) => LinearTerms,
): LinearFitData {
  const comps: ComponentMoments[] = [];
  const terms: LinearTerms[] = [];
  for (let k = 0; k < dist.K; k++) {
    const c = componentMoments(dist, k, opt.psdTol);
    terms.push(termsOf(net, c));
    comps.push({ ...c, factor: null });
  }
  return linearFitFromTerms(dist, comps, terms, opt);
}

export function mlpLinearFit(net: MlpData, dist: InputData, opt: FitOptions): LinearFitData {
  return linearFit(net, dist, opt, mlpLinearTerms);
}

export function gluLinearFit(net: GluData, dist: InputData, opt: FitOptions): LinearFitData {
  return linearFit(net, dist, opt, gluLinearTerms);
}

/** Y [rows, out] = X [rows, in]·beta + alpha. */
export function linearPredict(fit: LinearFitData, rows: number, X: ArrayLike<number>): Float64Array {
  const Y = new Float64Array(rows * fit.out);
  for (let r = 0; r < rows; r++) Y.set(fit.alpha, r * fit.out);
  gemm(false, false, rows, fit.out, fit.in, 1, X, fit.beta, 1, Y);
  return Y;
}
