/**
 * Public univariate Gaussian integrals: E[φ(y)], E[φ^(k)(y)] (Stein-consistent, DESIGN §2) and
 * E[yⁿ φ(y)] for y ~ N(mu, sigma²), on numbers or arrays (broadcast).
 */
import { ActivationSpec, actKindIndex, MAX_DERIV_ORDER, MAX_POLY_ORDER, parseActivation } from './activation';
import { addonFor, resolveBackend } from './backend';
import { invalidArgument } from './errors';
import * as js from './js/integrals';

/** Options of the Gaussian integrals ({@link ev}, {@link primeEv}, {@link derivEv}, {@link polyEv}). */
export interface IntegralOptions {
  /** 'auto' (default), 'cuda', 'native' or 'js'. */
  backend?: 'auto' | 'cuda' | 'native' | 'js';
}

type Scalars = number | ArrayLike<number>;

function toArray(v: unknown, name: string): Float64Array | number {
  if (typeof v === 'number') return v;
  if (v instanceof Float64Array || v instanceof Float32Array || Array.isArray(v)) {
    const a = Float64Array.from(v as ArrayLike<number>);
    return a;
  }
  throw invalidArgument(name, 'a number, an array of numbers or a Float64Array/Float32Array', v, TypeError);
}

function broadcast(mu: unknown, sigma: unknown): { m: Float64Array; s: Float64Array; scalar: boolean } {
  const a = toArray(mu, 'mu');
  const b = toArray(sigma, 'sigma');
  const scalar = typeof a === 'number' && typeof b === 'number';
  const n = typeof a === 'number' ? (typeof b === 'number' ? 1 : b.length) : a.length;
  if (typeof a !== 'number' && typeof b !== 'number' && a.length !== b.length) {
    throw invalidArgument('sigma', `of length ${a.length} to match mu`, `length ${b.length}`, RangeError, true);
  }
  const m = typeof a === 'number' ? new Float64Array(n).fill(a) : a;
  const s = typeof b === 'number' ? new Float64Array(n).fill(b) : b;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(m[i])) throw invalidArgument(scalar ? 'mu' : `mu[${i}]`, 'finite', m[i]);
    if (!Number.isFinite(s[i]) || s[i] < 0) throw invalidArgument(scalar ? 'sigma' : `sigma[${i}]`, 'finite and ≥ 0', s[i]);
  }
  return { m, s, scalar };
}

function order(v: unknown, name: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidArgument(name, 'an integer', v, TypeError);
  if (v < 0 || v > max) throw invalidArgument(name, `in 0..${max}`, v);
  return v;
}

function evaluate(which: 0 | 1, actSpec: unknown, k: number, mu: unknown, sigma: unknown, opts?: IntegralOptions): number | Float64Array {
  const act = parseActivation(actSpec, 'act');
  const { m, s, scalar } = broadcast(mu, sigma);
  const backend = resolveBackend(opts?.backend);
  let out: Float64Array;
  if (backend !== 'js') {
    // The CUDA addon runs the core's CPU integrals too (they are cheap; DESIGN §3.1).
    out = addonFor(backend).integrals(actKindIndex(act), act.threshold, act.slope, which, k, m, s) as Float64Array;
  } else {
    out = new Float64Array(m.length);
    for (let i = 0; i < m.length; i++) out[i] = which === 0 ? js.derivEv(act, k, m[i], s[i]) : js.polyEv(act, k, m[i], s[i]);
  }
  return scalar ? out[0] : out;
}

/**
 * E[φ(y)] for y ~ N(mu, sigma²).
 * @param act activation name or `{ name, ...params }`.
 * @param mu mean(s); @param sigma standard deviation(s) ≥ 0 (0 gives the point value).
 * @returns a number for scalar inputs, else a Float64Array (scalars broadcast).
 * @throws TypeError/RangeError for unknown activations, non-finite mu, negative sigma.
 * @example ev('gelu', 0.3, 2.0)
 */
export function ev(act: ActivationSpec, mu: number, sigma: number, opts?: IntegralOptions): number;
export function ev(act: ActivationSpec, mu: Scalars, sigma: Scalars, opts?: IntegralOptions): number | Float64Array;
export function ev(act: ActivationSpec, mu: Scalars, sigma: Scalars, opts?: IntegralOptions): number | Float64Array {
  return evaluate(0, act, 0, mu, sigma, opts);
}

/**
 * E[φ'(y)] (Stein-consistent: includes Dirac terms of kinked activations).
 * @example primeEv('relu', new Float64Array([0, 1]), new Float64Array([1, 2]))
 */
export function primeEv(act: ActivationSpec, mu: number, sigma: number, opts?: IntegralOptions): number;
export function primeEv(act: ActivationSpec, mu: Scalars, sigma: Scalars, opts?: IntegralOptions): number | Float64Array;
export function primeEv(act: ActivationSpec, mu: Scalars, sigma: Scalars, opts?: IntegralOptions): number | Float64Array {
  return evaluate(0, act, 1, mu, sigma, opts);
}

/**
 * E[φ^(k)(y)] := E[φ(y) He_k((y−mu)/sigma)]/sigma^k, k = 0..8.
 * @example derivEv('sigmoid', 2, 0.5, 1.5)
 */
export function derivEv(act: ActivationSpec, k: number, mu: number, sigma: number, opts?: IntegralOptions): number;
export function derivEv(act: ActivationSpec, k: number, mu: Scalars, sigma: Scalars, opts?: IntegralOptions): number | Float64Array;
export function derivEv(act: ActivationSpec, k: number, mu: Scalars, sigma: Scalars, opts?: IntegralOptions): number | Float64Array {
  return evaluate(0, act, order(k, 'k', MAX_DERIV_ORDER), mu, sigma, opts);
}

/**
 * E[yⁿ φ(y)], n = 0..8.
 * @example polyEv({ name: 'jump_relu', threshold: 1 }, 3, 0.2, 1.1)
 */
export function polyEv(act: ActivationSpec, n: number, mu: number, sigma: number, opts?: IntegralOptions): number;
export function polyEv(act: ActivationSpec, n: number, mu: Scalars, sigma: Scalars, opts?: IntegralOptions): number | Float64Array;
export function polyEv(act: ActivationSpec, n: number, mu: Scalars, sigma: Scalars, opts?: IntegralOptions): number | Float64Array {
  return evaluate(1, act, order(n, 'n', MAX_POLY_ORDER), mu, sigma, opts);
}
