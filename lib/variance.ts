/**
 * How much of an MLP's variance its least-squares polynomial approximants explain, per Hermite
 * degree, under one Gaussian input — analytically, with no sampling (DESIGN §3.2).
 */
import { actKindIndex, MAX_DERIV_ORDER } from './activation';
import { addonFor, BackendName, resolveBackend } from './backend';
import { argumentError, describeValue, invalidArgument } from './errors';
import { CompactApproximant, LinearApproximant, QuadraticApproximant } from './fit';
import type { Approximant } from './fit';
import type { InputData, MlpData } from './js/fit';
import { NotPsdError } from './js/linalg';
import * as js from './js/variance';
import { InputSpec, MlpSpec, parseInput, parseMlp } from './validate';

/** Options of {@link varianceExplained}. */
export interface VarianceExplainedOptions {
  /** 'auto' (default), 'native' or 'js'. */
  backend?: 'auto' | 'cuda' | 'native' | 'js';
  /** Relative tolerance of the covariance PSD check (default 1e-8). */
  psdTol?: number;
  /**
   * Smooth activations (sigmoid, tanh, swish, softplus): the error allowed per pair of units,
   * relative to √(Var φ_i · Var φ_j) (default 1e-12). It decides between the Mehler series and
   * quadrature; the closed-form activations (relu, leaky_relu, jump_relu, identity, gelu)
   * ignore it.
   */
  pairTol?: number;
}

/** Variance of a layer and of its approximant per degree, as {@link varianceExplained} returns it. */
export interface VarianceExplainedResult {
  /** The approximant's degree n. */
  degree: number;
  /** [out]: Var f_o under the input law. */
  varF: Float64Array;
  /** [out]: Var q_o of the degree-n approximant, Σ_k byDegree[k−1, o]. */
  varQ: Float64Array;
  /** [out]: 1 − varQ/varF, the fraction of variance unexplained (0 where varF = 0). */
  fvu: Float64Array;
  /** [degree, out] row-major: byDegree[(k−1)·out + o] is the variance of the degree-k Hermite term. */
  byDegree: Float64Array;
  /** How the pair covariances (i ≤ j) were computed: closed form, Mehler series, quadrature. */
  pairs: {
    /** Pairs in closed form. */
    closed: number;
    /** Pairs by the Mehler series. */
    series: number;
    /** Pairs by adaptive quadrature. */
    quadrature: number;
  };
  /** The backend that computed it. */
  backend: BackendName;
}

interface Request {
  net: MlpData;
  dist: InputData;
  degree: number;
  opt: js.VarianceOptions;
  backend: BackendName;
}

function degreeOf(q: unknown, net: MlpData): number {
  if (typeof q === 'number') {
    if (!Number.isInteger(q)) throw invalidArgument('q', `an approximant or an integer degree 1..${MAX_DERIV_ORDER}`, q, TypeError);
    if (q < 1 || q > MAX_DERIV_ORDER) throw invalidArgument('q', `a degree in 1..${MAX_DERIV_ORDER}`, q);
    return q;
  }
  if (!(q instanceof LinearApproximant || q instanceof QuadraticApproximant || q instanceof CompactApproximant)) {
    const got =
      q !== null && typeof q === 'object' && !ArrayBuffer.isView(q) && !Array.isArray(q)
        ? `a ${(q as object).constructor?.name ?? 'object'}`
        : describeValue(q);
    throw invalidArgument('q', `an approximant from ols() or an integer degree 1..${MAX_DERIV_ORDER}`, got, TypeError, true);
  }
  if (q.in !== net.in || q.out !== net.out) {
    throw invalidArgument('q', `an approximant of this network ([in, out] = [${net.in}, ${net.out}])`, `[${q.in}, ${q.out}]`, RangeError, true);
  }
  return q.degree;
}

function positiveBelowOne(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw invalidArgument(name, 'a number', v, TypeError);
  if (!(v > 0 && v < 1)) throw invalidArgument(name, 'in (0, 1)', v);
  return v;
}

function prepare(net: unknown, q: unknown, input: unknown, opts: unknown): Request {
  const parsed = parseMlp(net);
  const degree = degreeOf(q, parsed);
  const dist = parseInput(input, parsed.in);
  if (dist.K !== 1) {
    throw invalidArgument(
      'input',
      "a single Gaussian ({ type: 'standard' } or { type: 'gaussian', mean, cov }): the analytic variance under a mixture is not implemented",
      `a mixture of ${dist.K} components`,
      RangeError,
      true,
    );
  }
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw invalidArgument('options', 'an object', opts, TypeError);
  }
  const o = (opts ?? {}) as Record<string, unknown>;
  let psdTol = 1e-8;
  if (o.psdTol !== undefined) {
    if (typeof o.psdTol !== 'number' || !Number.isFinite(o.psdTol)) throw invalidArgument('options.psdTol', 'a finite number', o.psdTol, TypeError);
    if (o.psdTol < 0) throw invalidArgument('options.psdTol', '≥ 0', o.psdTol);
    psdTol = o.psdTol;
  }
  const pairTol = positiveBelowOne(o.pairTol, 'options.pairTol', 1e-12);
  const backend = resolveBackend(o.backend as VarianceExplainedOptions['backend']);
  return { net: parsed, dist, degree, opt: { psdTol, pairTol }, backend };
}

/** A covariance failure from either backend, as the argument error users expect. */
function translate(e: unknown): unknown {
  const err = e as { code?: string; message?: string };
  if (e instanceof NotPsdError || err?.code === 'ERR_POLYAPPROX_DOMAIN') {
    const detail = String(err.message).replace(/^covariance of component \d+ is /, '');
    return argumentError('input.cov', 'be positive semidefinite', detail, RangeError);
  }
  return e;
}

function nativeArgs(r: Request): [object, object, object] {
  const net = { ...r.net, act: actKindIndex(r.net.act), threshold: r.net.act.threshold, slope: r.net.act.slope };
  return [net, r.dist, { degree: r.degree, psdTol: r.opt.psdTol, pairTol: r.opt.pairTol }];
}

function wrap(r: Request, raw: Omit<js.VarianceExplainedData, 'out' | 'degree'>): VarianceExplainedResult {
  return {
    degree: r.degree,
    varF: raw.varF,
    varQ: raw.varQ,
    fvu: raw.fvu,
    byDegree: raw.byDegree,
    pairs: { closed: raw.pairsClosed, series: raw.pairsSeries, quadrature: raw.pairsQuadrature },
    backend: r.backend,
  };
}

function runSync(r: Request): VarianceExplainedResult {
  try {
    // 'cuda': the CUDA addon runs the same CPU code (no GPU route for the variance sums yet).
    if (r.backend !== 'js') return wrap(r, addonFor(r.backend).varianceExplained(...nativeArgs(r)));
    return wrap(r, js.mlpVarianceExplained(r.net, r.dist, r.degree, r.opt));
  } catch (e) {
    throw translate(e);
  }
}

/**
 * Variance of an MLP f(x) = W2 φ(W1 x + b1) + b2 and of its degree-n least-squares polynomial
 * approximant under one Gaussian input, per output and per Hermite degree, in closed form:
 * `byDegree[k−1, o] = (1/k!) Σ_ij W2[o,i] W2[o,j] E[φ^(k)(y_i)] E[φ^(k)(y_j)] (w_iᵀΣw_j)^k`,
 * `varQ = Σ_k byDegree`, `varF = Σ_ij W2[o,i] W2[o,j] Cov(φ(y_i), φ(y_j))` (bivariate normal
 * closed forms for relu, leaky_relu, jump_relu, identity and gelu; Mehler series or adaptive
 * quadrature for sigmoid, tanh, swish and softplus), and `fvu = 1 − varQ/varF`. As the degree
 * grows, varQ increases to varF (Parseval). Nothing is sampled; cost O(hidden²·(in + degree + out)).
 * @param net `{ W1 [hidden, in], b1? [hidden], W2 [out, hidden], b2? [out], act }`.
 * @param q the approximant (from `ols(net, { degree, input })`; only its degree is used, and it
 *   must have this network's in/out sizes) or the degree itself, 1..8.
 * @param input `{ type: 'standard' }` (default) or `{ type: 'gaussian', mean?, cov? }`; singular
 *   covariances are fine.
 * @param opts `{ backend, psdTol = 1e-8, pairTol = 1e-12 }` (see {@link VarianceExplainedOptions}).
 * @returns `{ degree, varF [out], varQ [out], fvu [out], byDegree [degree·out], pairs, backend }`.
 * @throws TypeError / RangeError naming the offending argument (shapes, NaN/Inf, an activation
 *   or degree out of range, a q of another network, a covariance that is not PSD), and a
 *   RangeError for a mixture input (`input must be a single Gaussian …`).
 * @example
 * const input = { type: 'gaussian', mean, cov };
 * const q = pa.ols(net, { degree: 2, input });
 * const { fvu, byDegree } = pa.varianceExplained(net, q, input);
 * // fvu[o]: the share of output o's variance that the quadratic misses
 */
export function varianceExplained(
  net: MlpSpec,
  q: Approximant | number,
  input?: InputSpec,
  opts?: VarianceExplainedOptions,
): VarianceExplainedResult {
  return runSync(prepare(net, q, input, opts));
}

/**
 * As {@link varianceExplained}, off the event loop (native AsyncWorker; the JS fallback yields
 * once, then runs on the main thread).
 * @param net the MLP.
 * @param q the approximant or its degree.
 * @param input the Gaussian input law.
 * @param opts as for {@link varianceExplained}.
 * @returns a promise of the same result.
 * @throws never synchronously: argument errors reject the promise.
 * @example
 * const { varF, varQ } = await pa.varianceExplainedAsync(net, 2, { type: 'standard' });
 */
export async function varianceExplainedAsync(
  net: MlpSpec,
  q: Approximant | number,
  input?: InputSpec,
  opts?: VarianceExplainedOptions,
): Promise<VarianceExplainedResult> {
  const r = prepare(net, q, input, opts);
  if (r.backend !== 'js') {
    try {
      return wrap(r, await addonFor(r.backend).varianceExplainedAsync(...nativeArgs(r)));
    } catch (e) {
      throw translate(e);
    }
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
  return runSync(r);
}
