/**
 * Semantic validation of everything the public API accepts, done once in TypeScript before a
 * backend is chosen, so every backend sees the same checked, normalized arguments.
 */
import { parseActivation } from './activation';
import { invalidArgument } from './errors';
import type { FitOptions, GluData, InputData, MlpData } from './js/fit';
import { expectShape, F64Tensor, TensorLike, toTensor } from './tensor';
import type { ActivationSpec } from './activation';

/** An MLP f(x) = W2 φ(W1 x + b1) + b2, in PyTorch nn.Linear orientation (see `io.loadMlp` for files). */
export interface MlpSpec {
  /** [hidden, in] */
  W1: TensorLike;
  /** [hidden] (default zeros). */
  b1?: TensorLike | null;
  /** [out, hidden] */
  W2: TensorLike;
  /** [out] (default zeros). */
  b2?: TensorLike | null;
  /** The activation φ. */
  act: ActivationSpec;
}

/** A gated linear unit f(x) = W2 (φ(W x + b1) ⊙ (V x + b2)) (see `io.loadGlu` for files). */
export interface GluSpec {
  /** Gate weight [hidden, in]: the activated branch (LLaMA's gate_proj). */
  W: TensorLike;
  /** Value weight [hidden, in] (LLaMA's up_proj). */
  V: TensorLike;
  /** Gate bias [hidden] (default zeros). */
  b1?: TensorLike | null;
  /** Value bias [hidden] (default zeros). */
  b2?: TensorLike | null;
  /** Output projection [out, hidden] (LLaMA's down_proj); without it the outputs are the hidden units. */
  W2?: TensorLike | null;
  /** The gate's activation φ. */
  act: ActivationSpec;
}

/** The input law x follows: the standard normal, one Gaussian, or a Gaussian mixture. */
export type InputSpec =
  | {
      /** N(0, I). */
      type: 'standard';
    }
  | {
      /** N(mean, cov). */
      type: 'gaussian';
      /** [in] (default zeros). */
      mean?: TensorLike | null;
      /** [in, in], symmetric positive semidefinite, singular allowed (default I). */
      cov?: TensorLike | null;
    }
  | {
      /** Σ_k weights_k N(means_k, covs_k). */
      type: 'mixture';
      /** [K], normalized to sum 1 (default equal). */
      weights?: TensorLike | null;
      /** [K, in] */
      means: TensorLike;
      /** [K, in, in] (default identities). */
      covs?: TensorLike | null;
    };

/** Relative tolerance of the covariance symmetry check. */
export const SYMMETRY_TOL = 1e-10;

function requireObject(v: unknown, name: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(name, 'an object', v, TypeError);
  return v as Record<string, unknown>;
}

function optionalTensor(v: unknown, name: string): F64Tensor | null {
  return v === undefined || v === null ? null : toTensor(v, name);
}

function dims2(t: F64Tensor, name: string, labels: [string, string]): [number, number] {
  expectShape(t, name, labels, [null, null]);
  return [t.shape[0], t.shape[1]];
}

export function parseMlp(spec: unknown): MlpData {
  const s = requireObject(spec, 'net');
  const W1 = toTensor(s.W1, 'W1');
  const [hidden, n] = dims2(W1, 'W1', ['hidden', 'in']);
  const W2 = toTensor(s.W2, 'W2');
  expectShape(W2, 'W2', ['out', 'hidden'], [null, hidden]);
  const out = W2.shape[0];
  const b1 = optionalTensor(s.b1, 'b1');
  if (b1) expectShape(b1, 'b1', ['hidden'], [hidden]);
  const b2 = optionalTensor(s.b2, 'b2');
  if (b2) expectShape(b2, 'b2', ['out'], [out]);
  if (n < 1 || hidden < 1 || out < 1) {
    throw invalidArgument('net', 'a layer with in, hidden, out ≥ 1', `[in, hidden, out] = [${n}, ${hidden}, ${out}]`, RangeError, true);
  }
  return { in: n, hidden, out, W1: W1.data, b1: b1?.data ?? null, W2: W2.data, b2: b2?.data ?? null, act: parseActivation(s.act, 'net.act') };
}

export function parseGlu(spec: unknown): GluData {
  const s = requireObject(spec, 'net');
  const W = toTensor(s.W, 'W');
  const [hidden, n] = dims2(W, 'W', ['hidden', 'in']);
  const V = toTensor(s.V, 'V');
  expectShape(V, 'V', ['hidden', 'in'], [hidden, n]);
  const b1 = optionalTensor(s.b1, 'b1');
  if (b1) expectShape(b1, 'b1', ['hidden'], [hidden]);
  const b2 = optionalTensor(s.b2, 'b2');
  if (b2) expectShape(b2, 'b2', ['hidden'], [hidden]);
  const W2 = optionalTensor(s.W2, 'W2');
  if (W2) expectShape(W2, 'W2', ['out', 'hidden'], [null, hidden]);
  const out = W2 ? W2.shape[0] : hidden;
  if (n < 1 || hidden < 1 || out < 1) {
    throw invalidArgument('net', 'a layer with in, hidden, out ≥ 1', `[in, hidden, out] = [${n}, ${hidden}, ${out}]`, RangeError, true);
  }
  return {
    in: n,
    hidden,
    out,
    W: W.data,
    V: V.data,
    b1: b1?.data ?? null,
    b2: b2?.data ?? null,
    W2: W2?.data ?? null,
    act: parseActivation(s.act, 'net.act'),
  };
}

function checkSymmetric(data: Float64Array, n: number, offset: number, name: string): void {
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(data[offset + i]));
  for (let i = 0; i < n; i++) {
    const dii = data[offset + i * n + i];
    if (dii < -SYMMETRY_TOL * scale) {
      throw invalidArgument(name, 'positive semidefinite (a covariance)', `a negative variance ${dii} at [${i}, ${i}]`, RangeError, true);
    }
    for (let j = 0; j < i; j++) {
      const a = data[offset + i * n + j];
      const b = data[offset + j * n + i];
      if (Math.abs(a - b) > SYMMETRY_TOL * scale) {
        throw invalidArgument(name, 'symmetric', `[${i}, ${j}] = ${a} but [${j}, ${i}] = ${b}`, RangeError, true);
      }
    }
  }
}

/** Normalizes the input distribution; `n` is the layer's input size. */
export function parseInput(spec: unknown, n: number): InputData {
  if (spec === undefined || spec === null) return { in: n, K: 1, weights: null, means: null, covs: null };
  const s = requireObject(spec, 'input');
  const type = s.type ?? 'standard';
  if (type === 'standard') return { in: n, K: 1, weights: null, means: null, covs: null };
  if (type === 'gaussian') {
    const mean = optionalTensor(s.mean, 'input.mean');
    if (mean) expectShape(mean, 'input.mean', ['in'], [n]);
    const cov = optionalTensor(s.cov, 'input.cov');
    if (cov) {
      expectShape(cov, 'input.cov', ['in', 'in'], [n, n]);
      checkSymmetric(cov.data, n, 0, 'input.cov');
    }
    return { in: n, K: 1, weights: null, means: mean?.data ?? null, covs: cov?.data ?? null };
  }
  if (type === 'mixture') {
    if (s.means === undefined || s.means === null) throw invalidArgument('input.means', 'a tensor of shape [K, in]', s.means, TypeError);
    const means = toTensor(s.means, 'input.means');
    expectShape(means, 'input.means', ['K', 'in'], [null, n]);
    const K = means.shape[0];
    if (K < 1) throw invalidArgument('input.means', 'non-empty (K ≥ 1 components)', 'K = 0', RangeError, true);
    const weights = optionalTensor(s.weights, 'input.weights');
    if (weights) {
      expectShape(weights, 'input.weights', ['K'], [K]);
      let total = 0;
      for (let k = 0; k < K; k++) {
        if (weights.data[k] < 0) throw invalidArgument(`input.weights[${k}]`, 'non-negative', weights.data[k]);
        total += weights.data[k];
      }
      if (!(total > 0)) throw invalidArgument('input.weights', 'of positive sum', `sum ${total}`, RangeError, true);
    }
    const covs = optionalTensor(s.covs, 'input.covs');
    if (covs) {
      expectShape(covs, 'input.covs', ['K', 'in', 'in'], [K, n, n]);
      for (let k = 0; k < K; k++) checkSymmetric(covs.data, n, k * n * n, `input.covs[${k}]`);
    }
    return { in: n, K, weights: weights?.data ?? null, means: means.data, covs: covs?.data ?? null };
  }
  throw invalidArgument('input.type', "one of 'standard', 'gaussian', 'mixture'", type, RangeError);
}

/** Options every fit takes. */
export interface CommonOptions {
  /** Polynomial degree, 1..8 (GLU 1..7; default 1). */
  degree?: number;
  /** The input law (default the standard normal). */
  input?: InputSpec;
  /** 'auto' (default), 'cuda', 'native' or 'js'. */
  backend?: 'auto' | 'cuda' | 'native' | 'js';
  /** Relative eigenvalue cutoff of the minimum-norm mixture solve (default 1e-10). */
  rcond?: number;
  /** Ridge λ ≥ 0 added to Cov(x) in the solve (default 0: minimum-norm solution). */
  ridge?: number;
  /** Relative tolerance of the covariance PSD check (default 1e-8). */
  psdTol?: number;
  /**
   * Arithmetic of the large products (covariance projections, quadratic forms): 'float64'
   * (default) or 'float32' (native sgemm/ssyrk path, about twice as fast, ~1e-6 relative
   * accuracy; the JS fallback computes in float64 either way). Inputs may be Float32Array or
   * Float64Array regardless.
   */
  dtype?: 'float64' | 'float32';
}

export const SUPPORTED_DEGREES = [1, 2, 3, 4, 5, 6, 7, 8] as const;

function nonNegative(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(name, 'a finite number', v, TypeError);
  if (v < 0) throw invalidArgument(name, '≥ 0', v);
  return v;
}

function parseDtype(v: unknown): 'float64' | 'float32' {
  if (v === undefined || v === 'float64' || v === 'float32') return v ?? 'float64';
  throw invalidArgument('options.dtype', "'float64' or 'float32'", v, RangeError);
}

export function parseOptions(opts: unknown): { degree: number; fit: FitOptions } {
  const o = opts === undefined ? {} : requireObject(opts, 'options');
  const degree = o.degree ?? 1;
  if (typeof degree !== 'number' || !Number.isInteger(degree)) throw invalidArgument('options.degree', 'an integer', degree, TypeError);
  if (!(SUPPORTED_DEGREES as readonly number[]).includes(degree)) {
    throw invalidArgument('options.degree', `one of ${SUPPORTED_DEGREES.join(', ')}`, degree, RangeError);
  }
  return {
    degree,
    fit: {
      rcond: nonNegative(o.rcond, 'options.rcond', 1e-10),
      ridge: nonNegative(o.ridge, 'options.ridge', 0),
      psdTol: nonNegative(o.psdTol, 'options.psdTol', 1e-8),
      single: parseDtype(o.dtype) === 'float32',
    },
  };
}
