/**
 * The analysis toolkit of the paper's experiments (§4): the class-conditional Gaussian mixture of
 * labelled data and its moment-matched Gaussian, accuracy and the KL divergence of softmax
 * outputs, the SVD of a linear approximant's coefficients and the ablation attack built on it
 * (P_k = I − Σ_{i≤k} u_i u_iᵀ, paper §4.4). Every large product goes through pa.linalg.gemm, so
 * it runs on BLAS where the native backend is loaded.
 */
import { argumentError, invalidArgument } from './errors';
import type { ResultTensor } from './fit';
import { symmetricEigen } from './js/linalg';
import { gemm, GemmOptions } from './linalg';
import { expectShape, F64Tensor, TensorLike, toTensor } from './tensor';
import { parseInput } from './validate';

/** Which backend's gemm the toolkit uses ('auto': native where it loads); as pa.linalg.gemm. */
export interface AnalysisOptions {
  /** Backend of the large products: 'auto' (default), 'cuda', 'native' or 'js'. */
  backend?: GemmOptions['backend'];
}

/** A Gaussian mixture input in the form the fits take, as {@link fitClassMixture} returns it. */
export interface ClassMixture {
  /** Always 'mixture' (an {@link InputSpec}). */
  type: 'mixture';
  /** [K] class frequencies n_k / n (they sum to 1). */
  weights: ResultTensor;
  /** [K, in] class means. */
  means: ResultTensor;
  /** [K, in, in] class covariances (maximum likelihood, divided by n_k; see fitClassMixture). */
  covs: ResultTensor;
  /** The label of each component, in component order. */
  classes: number[];
  /** Rows of each class that the fit used. */
  counts: number[];
  /** The shrinkage that was applied (0: none). */
  shrinkage: number;
}

/** A single Gaussian input in the form the fits take. */
export interface GaussianInput {
  /** Always 'gaussian' (an {@link InputSpec}). */
  type: 'gaussian';
  /** [in] */
  mean: ResultTensor;
  /** [in, in] */
  cov: ResultTensor;
}

function parseRows(x: unknown, name: string, n: number | null = null): F64Tensor {
  const t = toTensor(x, name);
  expectShape(t, name, ['rows', 'in'], [null, n]);
  return t;
}

function parseLabels(labels: unknown, rows: number, name = 'labels'): Int32Array {
  const ok = Array.isArray(labels) || (ArrayBuffer.isView(labels) && !(labels instanceof DataView));
  if (!ok) throw invalidArgument(name, 'an array or typed array of integer labels', labels, TypeError);
  const arr = labels as ArrayLike<unknown>;
  if (arr.length !== rows) throw invalidArgument(name, `of length ${rows} (one label per row)`, `length ${arr.length}`, RangeError, true);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidArgument(`${name}[${i}]`, 'an integer', v, TypeError);
    out[i] = v;
  }
  return out;
}

function optionsObject(v: unknown, name: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(name, 'an object', v, TypeError);
  return v as Record<string, unknown>;
}

/**
 * Fits the class-conditional Gaussian mixture of labelled data: one component per class, with
 * the class frequency as its weight and the class's mean and covariance as its moments
 * (the input model of the paper's MNIST experiments, §4.1).
 *
 * Covariances are the maximum-likelihood ones (divided by n_k, not n_k − 1), so the mixture's
 * overall mean and covariance equal the data's exactly (law of total covariance). On real
 * images they are singular — MNIST has border pixels that never vary, and a class covariance of
 * 784 pixels has rank 359–520 — and the library handles that without shrinkage: the linear
 * mixture fit solves by a pseudo-inverse (`rcond`) or an explicit `ridge`, degree ≥ 2 fits under
 * a single Gaussian need no solve, and `pa.sample` draws through a pivoted Cholesky factor.
 * `shrinkage: s` in [0, 1] replaces each Σ_k by (1 − s)·Σ_k + s·(tr Σ_k / in)·I when a
 * non-singular model is wanted (then the overall covariance no longer equals the data's).
 * @param x data [rows, in].
 * @param labels one integer label per row (number[] or any typed array).
 * @param opts.classes the labels to model, in component order: a count K (labels 0..K−1) or a list
 *   of labels; default the sorted distinct labels present. Rows with other labels are ignored.
 * @param opts.shrinkage s in [0, 1] (default 0).
 * @param opts.backend the gemm backend ('auto' default).
 * @returns `{ type: 'mixture', weights [K], means [K, in], covs [K, in, in], classes, counts,
 *   shrinkage }`, directly usable as a fit's `input`.
 * @throws TypeError for a wrong kind of argument; RangeError for mismatched lengths, non-finite
 *   data, shrinkage outside [0, 1], or a listed class with no rows.
 * @example
 * const mix = pa.fitClassMixture({ data: images, shape: [8000, 784] }, labels);
 * const fit = pa.ols(net, { degree: 1, input: mix, ridge: 1e-2 });
 */
export function fitClassMixture(
  x: TensorLike,
  labels: ArrayLike<number>,
  opts: { classes?: number | readonly number[]; shrinkage?: number } & AnalysisOptions = {},
): ClassMixture {
  const X = parseRows(x, 'x');
  const [rows, n] = X.shape;
  const lab = parseLabels(labels, rows);
  const o = optionsObject(opts, 'opts');
  const s = o.shrinkage ?? 0;
  if (typeof s !== 'number' || !Number.isFinite(s)) throw invalidArgument('opts.shrinkage', 'a finite number', s, TypeError);
  if (s < 0 || s > 1) throw invalidArgument('opts.shrinkage', 'in [0, 1]', s);
  let classes: number[];
  if (o.classes === undefined) {
    classes = [...new Set(lab)].sort((a, b) => a - b);
  } else if (typeof o.classes === 'number') {
    if (!Number.isInteger(o.classes) || o.classes < 1) throw invalidArgument('opts.classes', 'a positive integer count or a list of labels', o.classes);
    classes = Array.from({ length: o.classes }, (_, i) => i);
  } else if (Array.isArray(o.classes)) {
    classes = o.classes.map((c, i) => {
      if (typeof c !== 'number' || !Number.isInteger(c)) throw invalidArgument(`opts.classes[${i}]`, 'an integer label', c, TypeError);
      return c;
    });
    if (new Set(classes).size !== classes.length) throw invalidArgument('opts.classes', 'a list of distinct labels', `[${classes.join(', ')}]`, RangeError, true);
  } else {
    throw invalidArgument('opts.classes', 'a positive integer count or a list of labels', o.classes, TypeError);
  }
  const K = classes.length;
  if (K === 0) throw argumentError('labels', 'contain at least one row', 'no rows');
  const index = new Map(classes.map((c, k) => [c, k]));
  const counts = new Array<number>(K).fill(0);
  for (let r = 0; r < rows; r++) {
    const k = index.get(lab[r]);
    if (k !== undefined) counts[k]++;
  }
  counts.forEach((c, k) => {
    if (c === 0) throw argumentError('labels', `contain class ${classes[k]} at least once`, 'no rows of it');
  });
  const used = counts.reduce((a, b) => a + b, 0);
  const weights = new Float64Array(K);
  const means = new Float64Array(K * n);
  const covs = new Float64Array(K * n * n);
  // Gather each class's rows (in data order) once, then center and form X_cᵀX_c / n_k by gemm.
  const rowsOf: number[][] = classes.map(() => []);
  for (let r = 0; r < rows; r++) {
    const k = index.get(lab[r]);
    if (k !== undefined) rowsOf[k].push(r);
  }
  for (let k = 0; k < K; k++) {
    const nk = counts[k];
    weights[k] = nk / used;
    const mu = means.subarray(k * n, (k + 1) * n);
    for (const r of rowsOf[k]) for (let j = 0; j < n; j++) mu[j] += X.data[r * n + j];
    for (let j = 0; j < n; j++) mu[j] /= nk;
    const Xc = new Float64Array(nk * n);
    rowsOf[k].forEach((r, i) => {
      for (let j = 0; j < n; j++) Xc[i * n + j] = X.data[r * n + j] - mu[j];
    });
    const C = gemm({ data: Xc, shape: [nk, n] }, { data: Xc, shape: [nk, n] }, { transA: true, alpha: 1 / nk, backend: opts.backend }).data;
    const dst = covs.subarray(k * n * n, (k + 1) * n * n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += C[i * n + i];
    // Symmetrize exactly: BLAS need not return bitwise-symmetric XᵀX.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let v = 0.5 * (C[i * n + j] + C[j * n + i]) * (1 - s);
        if (i === j) v += (s * trace) / n;
        dst[i * n + j] = v;
        dst[j * n + i] = v;
      }
    }
  }
  return {
    type: 'mixture',
    weights: { data: weights, shape: [K] },
    means: { data: means, shape: [K, n] },
    covs: { data: covs, shape: [K, n, n] },
    classes,
    counts,
    shrinkage: s,
  };
}

/**
 * The single Gaussian with the same mean and covariance as a mixture (law of total
 * covariance): μ = Σ_k π_k μ_k, Σ = Σ_k π_k Σ_k + Σ_k π_k (μ_k − μ)(μ_k − μ)ᵀ.
 * Degree ≥ 2 approximants are fitted under a single Gaussian only (exact mixture quadratics are
 * not implemented yet); this is the Gaussian to use for them, and results computed under it
 * should be labelled as such.
 * @param mixture `{ type: 'mixture', weights?, means [K, in], covs? [K, in, in] }` as the fits
 *   take it (weights are normalized, default equal; omitted covariances are identities).
 * @param opts.backend the gemm backend.
 * @returns `{ type: 'gaussian', mean [in], cov [in, in] }`.
 * @throws TypeError / RangeError as the fits do for an invalid mixture.
 * @example
 * const g = pa.momentMatchedGaussian(pa.fitClassMixture(x, labels));
 * const q = pa.ols(net, { degree: 2, input: g });   // "quadratic under the moment-matched Gaussian"
 */
export function momentMatchedGaussian(
  mixture: { type: 'mixture'; weights?: TensorLike | null; means: TensorLike; covs?: TensorLike | null },
  opts: AnalysisOptions = {},
): GaussianInput {
  const spec = optionsObject(mixture, 'mixture');
  if (spec.type !== 'mixture') throw invalidArgument('mixture.type', "'mixture'", spec.type);
  if (spec.means === undefined || spec.means === null) throw invalidArgument('mixture.means', 'a tensor of shape [K, in]', spec.means, TypeError);
  const m0 = toTensor(spec.means, 'mixture.means');
  expectShape(m0, 'mixture.means', ['K', 'in'], [null, null]);
  const n = m0.shape[1];
  let dist;
  try {
    dist = parseInput(spec, n);
  } catch (e) {
    // parseInput names the fields input.*; here the argument is called mixture.
    if (e instanceof Error) e.message = e.message.replace('invalid argument: input', 'invalid argument: mixture');
    throw e;
  }
  const K = dist.K;
  const w = new Float64Array(K);
  let total = 0;
  for (let k = 0; k < K; k++) total += dist.weights ? dist.weights[k] : 1;
  for (let k = 0; k < K; k++) w[k] = (dist.weights ? dist.weights[k] : 1) / total;
  const means = dist.means!;
  const mean = new Float64Array(n);
  for (let k = 0; k < K; k++) for (let j = 0; j < n; j++) mean[j] += w[k] * means[k * n + j];
  // Between-class part D ᵀD with D[k] = √π_k (μ_k − μ).
  const D = new Float64Array(K * n);
  for (let k = 0; k < K; k++) {
    const r = Math.sqrt(w[k]);
    for (let j = 0; j < n; j++) D[k * n + j] = r * (means[k * n + j] - mean[j]);
  }
  const B = gemm({ data: D, shape: [K, n] }, { data: D, shape: [K, n] }, { transA: true, backend: opts.backend }).data;
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = 0.5 * (B[i * n + j] + B[j * n + i]);
      for (let k = 0; k < K; k++) v += w[k] * (dist.covs ? dist.covs[k * n * n + i * n + j] : i === j ? 1 : 0);
      cov[i * n + j] = v;
      cov[j * n + i] = v;
    }
  }
  return { type: 'gaussian', mean: { data: mean, shape: [n] }, cov: { data: cov, shape: [n, n] } };
}

function argmaxRows(t: F64Tensor): Int32Array {
  const [rows, c] = t.shape;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (t.data[r * c + j] > t.data[r * c + best]) best = j;
    out[r] = best;
  }
  return out;
}

/**
 * Classification accuracy: the fraction of rows whose largest logit (first one on ties) is at
 * the label's index.
 * @param logits [rows, classes] (any scores; softmax is not needed).
 * @param labels one integer label in 0..classes−1 per row.
 * @returns a number in [0, 1] (NaN for zero rows).
 * @throws TypeError / RangeError for a wrong shape, length or label.
 * @example pa.accuracy(pa.mlpForward(net, xTest), yTest)   // 0.96
 */
export function accuracy(logits: TensorLike, labels: ArrayLike<number>): number {
  const L = toTensor(logits, 'logits');
  expectShape(L, 'logits', ['rows', 'classes'], [null, null]);
  const [rows, c] = L.shape;
  const lab = parseLabels(labels, rows);
  lab.forEach((v, i) => {
    if (v < 0 || v >= c) throw invalidArgument(`labels[${i}]`, `in 0..${c - 1}`, v);
  });
  const pred = argmaxRows(L);
  let hit = 0;
  for (let r = 0; r < rows; r++) if (pred[r] === lab[r]) hit++;
  return rows === 0 ? NaN : hit / rows;
}

/**
 * Mean over rows of KL(softmax(p) ‖ softmax(q)), in nats: how much information is lost when the
 * approximant's class probabilities (q) stand in for the network's (p) (paper Figure 3).
 * Computed from log-sum-exp, so large logits neither overflow nor lose the result.
 * @param pLogits [rows, classes] reference logits (the network).
 * @param qLogits [rows, classes] approximating logits.
 * @returns a number ≥ 0 (0 exactly when every row's logits differ by a constant).
 * @throws RangeError when the shapes differ.
 * @example pa.softmaxKl(pa.mlpForward(net, x), fit.predict(x))
 */
export function softmaxKl(pLogits: TensorLike, qLogits: TensorLike): number {
  const P = toTensor(pLogits, 'pLogits');
  expectShape(P, 'pLogits', ['rows', 'classes'], [null, null]);
  const Q = toTensor(qLogits, 'qLogits');
  expectShape(Q, 'qLogits', ['rows', 'classes'], [P.shape[0], P.shape[1]]);
  const [rows, c] = P.shape;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const p = P.data.subarray(r * c, (r + 1) * c);
    const q = Q.data.subarray(r * c, (r + 1) * c);
    const lp = logSumExp(p);
    const lq = logSumExp(q);
    let kl = 0;
    for (let j = 0; j < c; j++) {
      const logP = p[j] - lp;
      const pj = Math.exp(logP);
      if (pj > 0) kl += pj * (logP - (q[j] - lq));
    }
    total += Math.max(kl, 0);
  }
  return rows === 0 ? NaN : total / rows;
}

function logSumExp(v: Float64Array): number {
  let m = -Infinity;
  for (const x of v) m = Math.max(m, x);
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** The thin SVD of a linear approximant's beta [in, out], as {@link betaSvd} returns it. */
export interface BetaSvd {
  /** [r, in]: row i is the left singular vector u_i (unit, input space), σ descending. */
  U: ResultTensor;
  /** [r] singular values, descending. */
  S: Float64Array;
  /** [r, out]: row i is the right singular vector v_i (output space). */
  V: ResultTensor;
}

/**
 * Thin SVD beta = Σ_i σ_i u_i v_iᵀ of linear coefficients beta [in, out] (out small, e.g. 10
 * classes), through the small symmetric eigenproblem betaᵀbeta = V Σ² Vᵀ: u_i = beta v_i / σ_i,
 * re-orthonormalized (modified Gram–Schmidt, twice) so that the ablation projector built from U
 * is an orthogonal projector to rounding. Directions with σ_i² ≤ max(in, out)·ε·σ_1² are
 * numerically null and left out, so r = rank ≤ min(in, out). Signs: each u_i has its
 * largest-|component| entry positive, and v_i follows it.
 * @param beta [in, out] (e.g. `fit.beta`).
 * @param opts.backend the gemm backend.
 * @returns `{ U [r, in], S [r], V [r, out] }`.
 * @throws TypeError / RangeError when beta is not a finite 2-D tensor.
 * @example
 * const { U, S } = pa.betaSvd(fit.beta);   // U.data.subarray(0, 784): the top direction as an image
 */
export function betaSvd(beta: TensorLike, opts: AnalysisOptions = {}): BetaSvd {
  const b = toTensor(beta, 'beta');
  expectShape(b, 'beta', ['in', 'out'], [null, null]);
  const [n, m] = b.shape;
  const G = gemm(b, b, { transA: true, backend: opts.backend }).data;
  const { vals, vecs } = symmetricEigen(m, G);
  const top = Math.max(vals[m - 1] ?? 0, 0);
  const keep: number[] = [];
  for (let j = m - 1; j >= 0; j--) if (vals[j] > Math.max(n, m) * Number.EPSILON * top && vals[j] > 0) keep.push(j);
  const r = keep.length;
  const V = new Float64Array(r * m);
  keep.forEach((j, i) => V.set(vecs.subarray(j * m, (j + 1) * m), i * m));
  // BV [in, r] = beta · Vᵀ; u_i = column i.
  const BV = gemm(b, { data: V, shape: [r, m] }, { transB: true, backend: opts.backend }).data;
  const U = new Float64Array(r * n);
  const S = new Float64Array(r);
  for (let i = 0; i < r; i++) {
    const u = U.subarray(i * n, (i + 1) * n);
    for (let p = 0; p < n; p++) u[p] = BV[p * r + i];
    S[i] = norm(u);
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < i; q++) {
        const w = U.subarray(q * n, (q + 1) * n);
        let d = 0;
        for (let p = 0; p < n; p++) d += u[p] * w[p];
        for (let p = 0; p < n; p++) u[p] -= d * w[p];
      }
      const len = norm(u);
      for (let p = 0; p < n; p++) u[p] /= len;
    }
    let big = 0;
    for (let p = 1; p < n; p++) if (Math.abs(u[p]) > Math.abs(u[big])) big = p;
    if (u[big] < 0) {
      for (let p = 0; p < n; p++) u[p] = -u[p];
      for (let q = 0; q < m; q++) V[i * m + q] = -V[i * m + q];
    }
  }
  return { U: { data: U, shape: [r, n] }, S, V: { data: V, shape: [r, m] } };
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function parseDirections(U: unknown, k: unknown): { Uk: F64Tensor; n: number; k: number } {
  const u = toTensor(U, 'U');
  expectShape(u, 'U', ['r', 'in'], [null, null]);
  const [r, n] = u.shape;
  if (typeof k !== 'number' || !Number.isInteger(k)) throw invalidArgument('k', 'an integer', k, TypeError);
  if (k < 0 || k > r) throw invalidArgument('k', `in 0..${r} (the rows of U)`, k);
  return { Uk: { data: u.data.subarray(0, k * n), shape: [k, n] }, n, k };
}

/**
 * The orthogonal projector P_k = I − U_kᵀU_k that removes the first k directions (rows) of U
 * (paper §4.4: with U from {@link betaSvd}, the top-k SVD components of beta).
 * @param U [r, in] orthonormal rows (e.g. `betaSvd(beta).U`).
 * @param k how many leading rows to remove, 0..r.
 * @param opts.backend the gemm backend.
 * @returns [in, in].
 * @throws RangeError when k is out of range or U is not 2-D.
 * @example const P4 = pa.ablationProjector(pa.betaSvd(fit.beta).U, 4);
 */
export function ablationProjector(U: TensorLike, k: number, opts: AnalysisOptions = {}): ResultTensor {
  const { Uk, n } = parseDirections(U, k);
  const P = k > 0 ? gemm(Uk, Uk, { transA: true, alpha: -1, backend: opts.backend }).data : new Float64Array(n * n);
  for (let i = 0; i < n; i++) P[i * n + i] += 1;
  return { data: P, shape: [n, n] };
}

/**
 * Ablates the first k directions of U from each row of x: x ↦ x − U_kᵀU_k x (= P_k x without
 * forming P_k: two [rows, in]×[in, k] products).
 * @param x [rows, in] (or one input [in]).
 * @param U [r, in] orthonormal rows.
 * @param k 0..r.
 * @param opts.backend the gemm backend.
 * @returns a new tensor of x's shape.
 * @throws RangeError when shapes disagree or k is out of range.
 * @example const attacked = pa.ablate(xTest, pa.betaSvd(fit.beta).U, 10);
 */
export function ablate(x: TensorLike, U: TensorLike, k: number, opts: AnalysisOptions = {}): ResultTensor {
  const { Uk, n } = parseDirections(U, k);
  const t = toTensor(x, 'x');
  const single = t.shape.length === 1;
  if (single) expectShape(t, 'x', ['in'], [n]);
  else expectShape(t, 'x', ['rows', 'in'], [null, n]);
  const rows = single ? 1 : t.shape[0];
  const out = Float64Array.from(t.data);
  if (k > 0 && rows > 0) {
    const X = { data: t.data, shape: [rows, n] };
    const C = gemm(X, Uk, { transB: true, backend: opts.backend });
    const R = gemm(C, Uk, { backend: opts.backend }).data;
    for (let i = 0; i < out.length; i++) out[i] -= R[i];
  }
  return { data: out, shape: single ? [n] : [rows, n] };
}

/** A model for {@link attackCurve}: a function of the inputs, or anything with `predict`. */
export type Predictor = ((x: ResultTensor) => TensorLike) | { predict(x: ResultTensor): TensorLike };

/** Accuracy after ablating k directions, per model, as {@link attackCurve} returns it. */
export interface AttackCurve {
  /** The k values, in the order evaluated. */
  ks: number[];
  /** model name → accuracy at each k. */
  accuracy: Record<string, number[]>;
}

/**
 * The SVD attack (paper §4.4, Figure 5): the accuracy of each model on x after ablating the top
 * k directions of U (x ↦ P_k x, the same transformation for every model), for each k.
 * @param models name → model; a model is `(x) => logits` or has `predict(x)` returning logits
 *   (fits do), e.g. `{ mlp: (x) => pa.mlpForward(net, x), linear: fit, quadratic: q }`.
 * @param x [rows, in] inputs (e.g. the real test images).
 * @param labels integer labels of the rows.
 * @param U [r, in] orthonormal directions, strongest first (`betaSvd(beta).U`).
 * @param opts.ks the k values (default 0..r); opts.backend the gemm backend.
 * @returns `{ ks, accuracy: { [name]: number[] } }`.
 * @throws TypeError for a model that is neither; RangeError for shapes, labels or ks.
 * @example
 * const curve = pa.attackCurve({ mlp: (x) => pa.mlpForward(net, x), linear: fit }, xTest, yTest, pa.betaSvd(fit.beta).U);
 * curve.accuracy.mlp[4];   // accuracy with 4 components ablated
 */
export function attackCurve(
  models: Record<string, Predictor>,
  x: TensorLike,
  labels: ArrayLike<number>,
  U: TensorLike,
  opts: { ks?: readonly number[] } & AnalysisOptions = {},
): AttackCurve {
  const m = optionsObject(models, 'models');
  const names = Object.keys(m);
  const run = names.map((name) => {
    const v = m[name] as Predictor;
    if (typeof v === 'function') return v;
    if (v !== null && typeof v === 'object' && typeof (v as { predict?: unknown }).predict === 'function') return (t: ResultTensor) => v.predict(t);
    throw invalidArgument(`models.${name}`, 'a function (x) => logits or an object with predict(x)', v, TypeError);
  });
  const u = toTensor(U, 'U');
  expectShape(u, 'U', ['r', 'in'], [null, null]);
  const X = parseRows(x, 'x', u.shape[1]);
  const lab = parseLabels(labels, X.shape[0]);
  const ks = opts.ks ? [...opts.ks] : Array.from({ length: u.shape[0] + 1 }, (_, i) => i);
  const accuracyOut: Record<string, number[]> = Object.fromEntries(names.map((nm) => [nm, [] as number[]]));
  for (const k of ks) {
    const xk = ablate(X, u, k, opts);
    names.forEach((nm, i) => accuracyOut[nm].push(accuracy(run[i](xk), lab)));
  }
  return { ks, accuracy: accuracyOut };
}
