/**
 * Public fitting API: ols (MLP) and gluOls (GLU), sync and async, dispatched to the native
 * core or the JS fallback after one round of validation.
 */
import { actKindIndex, MAX_DERIV_ORDER } from './activation';
import { addonFor, BackendName, cpuFallback, fitWork, isAutoRequest, requireNative, resolveBackend } from './backend';
import { argumentError, invalidArgument } from './errors';
import * as js from './js/fit';
import * as jsh from './js/hermite';
import * as jsq from './js/quadratic';
import * as jsm from './js/mixtureQuadratic';
import { NotPsdError } from './js/linalg';
import { expectShape, TensorLike, toTensor } from './tensor';
import { CommonOptions, GluSpec, InputSpec, MlpSpec, parseGlu, parseInput, parseMlp, parseOptions } from './validate';

export type { MlpSpec, GluSpec, InputSpec, CommonOptions };
export type SolveInfo = js.SolveInfo;

/** A float64 result tensor, row-major. */
export interface ResultTensor {
  data: Float64Array;
  shape: number[];
}

type InputKind = 'standard' | 'gaussian' | 'mixture';

/** Where and how a fit was computed. */
export interface FitMeta {
  backend: BackendName;
  input: InputKind;
  dtype: 'float64' | 'float32';
}

/**
 * A least-squares linear approximant y = x·beta + alpha (DESIGN §2 layouts).
 */
export class LinearApproximant {
  readonly degree = 1;
  /** Arithmetic of the large products: 'float32' only when asked for on the native backend. */
  readonly dtype: 'float64' | 'float32';
  /** [out] */
  readonly alpha: ResultTensor;
  /** [in, out] */
  readonly beta: ResultTensor;
  /** How the normal equations were solved: 'stein' (single Gaussian), 'pinv' or 'ridge'. */
  readonly solve: SolveInfo;
  /** The backend that computed it (and that predict() uses). */
  readonly backend: BackendName;
  readonly input: InputKind;

  constructor(data: js.LinearFitData, meta: FitMeta) {
    this.alpha = { data: data.alpha, shape: [data.out] };
    this.beta = { data: data.beta, shape: [data.in, data.out] };
    this.solve = data.solve;
    this.backend = meta.backend;
    this.input = meta.input;
    this.dtype = meta.dtype;
  }

  get in(): number {
    return this.beta.shape[0];
  }

  get out(): number {
    return this.beta.shape[1];
  }

  /**
   * Evaluates the approximant.
   * @param x inputs [rows, in] (or one input [in]).
   * @returns outputs [rows, out] (or [out] for one input).
   * @throws RangeError when x has the wrong shape or non-finite entries.
   * @example fit.predict([[0.1, 0.2, 0.3]]).data
   */
  predict(x: TensorLike): ResultTensor {
    const t = toTensor(x, 'x');
    const single = t.shape.length === 1;
    if (single) expectShape(t, 'x', ['in'], [this.in]);
    else expectShape(t, 'x', ['rows', 'in'], [null, this.in]);
    const rows = single ? 1 : t.shape[0];
    const fit: js.LinearFitData = { in: this.in, out: this.out, alpha: this.alpha.data, beta: this.beta.data, solve: this.solve };
    const data =
      this.backend !== 'js'
        ? (addonFor(this.backend).linearPredict(fit.alpha, fit.beta, fit.in, fit.out, t.data, rows) as Float64Array)
        : js.linearPredict(fit, rows, t.data);
    return { data, shape: single ? [this.out] : [rows, this.out] };
  }
}

/**
 * A least-squares quadratic approximant y_o = alpha_o + x·beta[:, o] + xᵀ G_o x under one
 * Gaussian, kept in compact form (per hidden unit and output two numbers), so predict() costs
 * O(in·hidden) per row and the [in, in] matrices are formed only when asked for.
 */
export class QuadraticApproximant {
  readonly degree = 2;
  /** Arithmetic of the large products: 'float32' only when asked for on the native backend. */
  readonly dtype: 'float64' | 'float32';
  /** [out] */
  readonly alpha: ResultTensor;
  /** [in, out] */
  readonly beta: ResultTensor;
  readonly solve: SolveInfo;
  readonly backend: BackendName;
  readonly input: InputKind;
  private readonly data: jsq.QuadraticFitData;
  private gammaCache: ResultTensor | null = null;
  private readonly gammaEager: boolean;

  constructor(data: jsq.QuadraticFitData, meta: FitMeta, gammaEager: boolean) {
    this.data = data;
    this.alpha = { data: data.alpha, shape: [data.out] };
    this.beta = { data: data.beta, shape: [data.in, data.out] };
    this.solve = data.solve;
    this.backend = meta.backend;
    this.input = meta.input;
    this.dtype = meta.dtype;
    this.gammaEager = gammaEager;
    if (gammaEager) this.gammaCache = this.materializeGamma();
  }

  get in(): number {
    return this.data.in;
  }

  get out(): number {
    return this.data.out;
  }

  /**
   * The compact form the backends compute from (W, V, and per output and hidden unit the
   * coefficients a, b of E[∇²f_o]); read-only: the arrays are shared, not copied.
   */
  get compact(): Readonly<jsq.QuadraticFitData> {
    return this.data;
  }

  /**
   * gamma [out, in(in+1)/2] in DESIGN §2's packing (coefficient of x_i x_j for i ≥ j, pairs in
   * row-major lower-triangle order), or null when it was not materialized because out·in²
   * doubles exceed the memory budget — then use quadraticForm(o) or gammaRow(o).
   */
  get gamma(): ResultTensor | null {
    return this.gammaEager ? this.gammaCache : null;
  }

  private materializeGamma(): ResultTensor {
    const n = this.in;
    const data =
      this.backend !== 'js' && !this.data.dense
        ? (addonFor(this.backend).quadraticGamma(this.data) as Float64Array)
        : jsq.quadraticGamma(this.data);
    return { data, shape: [this.out, (n * (n + 1)) / 2] };
  }

  private checkOutput(o: unknown): number {
    if (typeof o !== 'number' || !Number.isInteger(o)) throw invalidArgument('o', 'an integer output index', o, TypeError);
    if (o < 0 || o >= this.out) throw invalidArgument('o', `in 0..${this.out - 1}`, o);
    return o;
  }

  /**
   * The symmetric matrix G_o [in, in] of output o's quadratic part xᵀ G_o x (gamma on the
   * diagonal, gamma/2 off it).
   * @throws RangeError for an output index out of range.
   * @example q.quadraticForm(0).data
   */
  quadraticForm(o: number): ResultTensor {
    const k = this.checkOutput(o);
    const n = this.in;
    const data =
      this.backend !== 'js' && !this.data.dense ? (addonFor(this.backend).quadraticForm(this.data, k) as Float64Array) : jsq.quadraticForm(this.data, k);
    return { data, shape: [n, n] };
  }

  /** Output o's row of gamma [in(in+1)/2], computed on request. */
  gammaRow(o: number): Float64Array {
    const k = this.checkOutput(o);
    if (this.gammaCache) {
      const len = (this.in * (this.in + 1)) / 2;
      return this.gammaCache.data.slice(k * len, (k + 1) * len);
    }
    return jsq.packGamma(this.quadraticForm(k).data, this.in);
  }

  /**
   * Evaluates the approximant in O(in·hidden) per row.
   * @param x inputs [rows, in] (or one input [in]).
   * @returns outputs [rows, out] (or [out]).
   */
  predict(x: TensorLike): ResultTensor {
    const t = toTensor(x, 'x');
    const single = t.shape.length === 1;
    if (single) expectShape(t, 'x', ['in'], [this.in]);
    else expectShape(t, 'x', ['rows', 'in'], [null, this.in]);
    const rows = single ? 1 : t.shape[0];
    const data =
      this.backend !== 'js' && !this.data.dense
        ? (addonFor(this.backend).quadraticPredict(this.data, t.data, rows) as Float64Array)
        : jsq.quadraticPredict(this.data, rows, t.data);
    return { data, shape: single ? [this.out] : [rows, this.out] };
  }
}

/**
 * A degree-n (n ≥ 3) least-squares approximant under one Gaussian in compact neuron-wise
 * Hermite form (DESIGN §3.2): each unit's activation is replaced by its degree-n Hermite
 * truncation, so predict() costs O(in·hidden + hidden·n) per row and nothing of size in² exists.
 */
export class CompactApproximant {
  readonly degree: number;
  /** Arithmetic of the large products: 'float32' only when asked for on the native backend. */
  readonly dtype: 'float64' | 'float32';
  readonly solve: SolveInfo;
  readonly backend: BackendName;
  readonly input: InputKind;
  /** The compact form: per unit i, m_i, s_i² and coef[i, k] of H_k(y − m_i) (see hermite.hpp). */
  readonly compact: Readonly<jsh.CompactFitData>;

  constructor(data: jsh.CompactFitData, meta: FitMeta) {
    this.compact = data;
    this.degree = data.degree;
    this.solve = data.solve;
    this.backend = meta.backend;
    this.input = meta.input;
    this.dtype = meta.dtype;
  }

  get in(): number {
    return this.compact.in;
  }

  get out(): number {
    return this.compact.out;
  }

  /**
   * Evaluates the approximant.
   * @param x inputs [rows, in] (or one input [in]).
   * @returns outputs [rows, out] (or [out]).
   * @example pa.ols(net, { degree: 4, input }).predict(x)
   */
  predict(x: TensorLike): ResultTensor {
    const t = toTensor(x, 'x');
    const single = t.shape.length === 1;
    if (single) expectShape(t, 'x', ['in'], [this.in]);
    else expectShape(t, 'x', ['rows', 'in'], [null, this.in]);
    const rows = single ? 1 : t.shape[0];
    const data =
      this.backend !== 'js'
        ? (requireNative().compactPredict(this.compact, t.data, rows) as Float64Array)
        : jsh.compactPredict(this.compact, rows, t.data);
    return { data, shape: single ? [this.out] : [rows, this.out] };
  }
}

export type Approximant = LinearApproximant | QuadraticApproximant | CompactApproximant;

export interface FitOptionsSpec extends CommonOptions {
  /**
   * Degree 2: materialize gamma eagerly ('eager'), never ('lazy': use quadraticForm/gammaRow),
   * or when out·in(in+1)/2 doubles fit memoryBudget ('auto', the default).
   */
  gamma?: 'auto' | 'eager' | 'lazy';
  /** Bytes gamma may take under gamma: 'auto' (default 256 MiB). */
  memoryBudget?: number;
  /** Degree 2 under a mixture (exact iterative solve, block CR): relative residual to stop at (default 1e-8). */
  tol?: number;
  /** Degree 2 under a mixture: most solver iterations (default 500). */
  maxIter?: number;
  /** Degree 2 under a mixture: called after every solver iteration. */
  onProgress?: (p: { iter: number; residual: number }) => void;
  /** Degree 2 under a mixture: cancels the solve (rejects / throws an AbortError). */
  signal?: AbortSignal;
  /** Degree 2 under a mixture: bytes the solve may allocate (default 4 GiB), checked first. */
  memoryLimit?: number;
}

function inputKind(input: unknown): InputKind {
  const t = (input as { type?: unknown } | undefined)?.type;
  return t === 'gaussian' || t === 'mixture' ? t : 'standard';
}

/** Turns a covariance failure from either backend into the argument error users expect. */
function translateFitError(e: unknown, dist: js.InputData, kind: InputKind): unknown {
  const err = e as { code?: string; message?: string };
  if (e instanceof NotPsdError || err?.code === 'ERR_POLYAPPROX_DOMAIN') {
    const msg = String(err.message);
    const k = /component (\d+)/.exec(msg)?.[1];
    const name = kind === 'mixture' ? `input.covs[${k ?? '?'}]` : 'input.cov';
    const detail = msg.replace(/^covariance of component \d+ is /, '');
    return argumentError(name, 'be positive semidefinite', detail, RangeError);
  }
  void dist;
  return e;
}

interface Job {
  kind: 'mlp' | 'glu';
  degree: number;
  net: js.MlpData | js.GluData;
  dist: js.InputData;
  fit: js.FitOptions;
  backend: BackendName;
  input: InputKind;
  gammaEager: boolean;
  /** 'auto' chose 'cuda': a CUDA failure (device busy, out of memory…) reruns the fit on the CPU. */
  autoCuda: boolean;
  /** Degree 2 under a mixture: the exact iterative solve's options. */
  mixture: jsm.MixtureSolveOptions | null;
}

const DEFAULT_MEMORY_BUDGET = 256 * 2 ** 20;

function prepare(kind: 'mlp' | 'glu', net: unknown, opts: unknown): Job {
  const parsedNet = kind === 'mlp' ? parseMlp(net) : parseGlu(net);
  const { degree, fit } = parseOptions(opts);
  const o = (opts ?? {}) as FitOptionsSpec;
  const dist = parseInput(o.input, parsedNet.in);
  if (degree >= 3 && dist.K > 1) {
    throw invalidArgument('options.degree', '1 or 2 under a mixture input (fit higher degrees under the moment-matched Gaussian instead)', degree);
  }
  if (kind === 'glu' && degree > MAX_DERIV_ORDER - 1) {
    // A GLU's degree-n form needs E[φ^(n+1)], and the integrals go to order MAX_DERIV_ORDER.
    throw invalidArgument('options.degree', `at most ${MAX_DERIV_ORDER - 1} for a GLU`, degree);
  }
  const mode = o.gamma ?? 'auto';
  if (!['auto', 'eager', 'lazy'].includes(mode)) throw invalidArgument('options.gamma', "one of 'auto', 'eager', 'lazy'", mode);
  const budget = o.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  if (typeof budget !== 'number' || !(budget >= 0)) throw invalidArgument('options.memoryBudget', 'a number of bytes ≥ 0', budget);
  const gammaBytes = 8 * parsedNet.out * ((parsedNet.in * (parsedNet.in + 1)) / 2);
  const gammaEager = mode === 'eager' || (mode === 'auto' && gammaBytes <= budget);
  const work = fitWork({ in: parsedNet.in, hidden: parsedNet.hidden, out: parsedNet.out, glu: kind === 'glu', degree, K: dist.K, cov: dist.covs !== null, gamma: degree === 2 && gammaEager, solve: fit.ridge > 0 });
  const backend = resolveBackend(o.backend, work);
  const mixture = degree === 2 && dist.K > 1 ? mixtureOptions(o, fit) : null;
  return { kind, degree, net: parsedNet, dist, fit, backend, input: inputKind(o.input), gammaEager, autoCuda: backend === 'cuda' && isAutoRequest(o.backend), mixture };
}

function mixtureOptions(o: FitOptionsSpec, fit: js.FitOptions): jsm.MixtureSolveOptions {
  const num = (v: unknown, name: string, def: number, ok: (x: number) => boolean, what: string): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !ok(v)) throw invalidArgument(`options.${name}`, what, v, typeof v === 'number' ? RangeError : TypeError);
    return v;
  };
  const tol = num(o.tol, 'tol', jsm.MIXTURE_DEFAULTS.tol, (x) => x > 0 && x < 1, 'a number in (0, 1)');
  const maxIter = num(o.maxIter, 'maxIter', jsm.MIXTURE_DEFAULTS.maxIter, (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1');
  const memoryLimit = num(o.memoryLimit, 'memoryLimit', jsm.MIXTURE_DEFAULTS.memoryLimit, (x) => x > 0, 'a number of bytes > 0');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalidArgument('options.onProgress', 'a function', o.onProgress, TypeError);
  const sig = o.signal as unknown;
  if (sig !== undefined && (typeof sig !== 'object' || sig === null || typeof (sig as AbortSignal).aborted !== 'boolean')) {
    throw invalidArgument('options.signal', 'an AbortSignal', sig, TypeError);
  }
  return { ridge: fit.ridge, rcond: fit.rcond, tol, maxIter, memoryLimit, onProgress: o.onProgress ?? null, signal: o.signal ?? null };
}

/** Degree 2 under a mixture, on the JS fallback. */
function mixtureProblem(job: Job): jsm.MixtureProblem {
  return { kind: job.kind, net: job.net, dist: job.dist, fit: job.fit, opt: job.mixture! };
}

function wrapMixture(job: Job, data: jsq.QuadraticFitData): QuadraticApproximant {
  // dtype 'float32' (native): the solve's operator GEMMs run in float32 once the residual is below
  // min(1e-2, 1e5·tol); component fits, the right-hand side and the final residual stay float64.
  return new QuadraticApproximant(data, metaOf(job), job.gammaEager);
}

/** The native solve's arguments: (net, input, options, solve options, glu). */
function nativeMixtureArgs(job: Job): unknown[] {
  const m = job.mixture!;
  const progress = (iter: number, residual: number): boolean => {
    m.onProgress?.({ iter, residual });
    return m.signal?.aborted === true; // true cancels the synchronous solve
  };
  return [...nativeArgs(job), { tol: m.tol, maxIter: m.maxIter, memoryLimit: m.memoryLimit, progress }, job.kind === 'glu'];
}

/** The signal's reason (or the native AbortError) for an aborted solve. */
function mixtureAbortError(signal: AbortSignal | null | undefined, e?: unknown): unknown {
  const err = jsm.abortError(signal);
  return err !== (signal as { reason?: unknown } | null | undefined)?.reason && e ? e : err;
}

function fromNativeMixture(job: Job, raw: { alpha: Float64Array; beta: Float64Array; dense: Float64Array; solve: SolveInfo }): QuadraticApproximant {
  const { in: n, out } = job.net;
  const data: jsq.QuadraticFitData = { in: n, hidden: 0, out, alpha: raw.alpha, beta: raw.beta, W: new Float64Array(0), V: null, a: new Float64Array(0), b: null, dense: raw.dense, solve: { ...raw.solve, solution: jsm.mixtureSolution(raw.solve.ridge) } };
  return wrapMixture(job, data);
}

function runMixtureSync(job: Job): QuadraticApproximant {
  const signal = job.mixture!.signal;
  if (signal?.aborted) throw mixtureAbortError(signal);
  if (job.backend === 'js') return wrapMixture(job, jsm.mixtureQuadraticFit(mixtureProblem(job)));
  try {
    return fromNativeMixture(job, addonFor(job.backend).mixtureQuadraticFit(...nativeMixtureArgs(job)));
  } catch (e) {
    if ((e as { name?: unknown } | null)?.name === 'AbortError') throw mixtureAbortError(signal, e);
    throw e;
  }
}

async function runMixtureAsync(job: Job): Promise<QuadraticApproximant> {
  const signal = job.mixture!.signal;
  if (signal?.aborted) throw mixtureAbortError(signal);
  if (job.backend === 'js') return wrapMixture(job, await jsm.mixtureQuadraticFitAsync(mixtureProblem(job)));
  const { promise, cancel } = addonFor(job.backend).mixtureQuadraticFitAsync(...nativeMixtureArgs(job)) as {
    promise: Promise<{ alpha: Float64Array; beta: Float64Array; dense: Float64Array; solve: SolveInfo }>;
    cancel: () => void;
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const raw = await promise;
    // Aborted while the last iterations ran or their progress reports were delivered: honour it.
    if (signal?.aborted) throw mixtureAbortError(signal);
    return fromNativeMixture(job, raw);
  } catch (e) {
    if ((e as { name?: unknown } | null)?.name === 'AbortError') throw mixtureAbortError(signal, e);
    throw e;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

function nativeArgs(job: Job): [object, object, object] {
  const net = { ...job.net, act: actKindIndex(job.net.act), threshold: job.net.act.threshold, slope: job.net.act.slope };
  return [net, job.dist, { ...job.fit, degree: job.degree }];
}

/** What a backend returns: linear (alpha, beta), quadratic (+ a, b) or compact (m, s2, coef…). */
interface RawFit {
  alpha?: Float64Array;
  beta?: Float64Array;
  a?: Float64Array;
  b?: Float64Array | null;
  m?: Float64Array;
  s2?: Float64Array;
  coef?: Float64Array;
  mz?: Float64Array | null;
  kappa?: Float64Array | null;
  coefR?: Float64Array | null;
  solve: SolveInfo;
}

function wrap(job: Job, raw: RawFit): Approximant {
  const { in: n, hidden, out } = job.net;
  if (job.degree === 1) return new LinearApproximant({ alpha: raw.alpha!, beta: raw.beta!, solve: raw.solve, in: n, out }, metaOf(job));
  if (job.degree >= 3) return new CompactApproximant(compactData(job, raw), metaOf(job));
  const glu = job.kind === 'glu' ? (job.net as js.GluData) : null;
  const W = glu ? glu.W : (job.net as js.MlpData).W1;
  const data: jsq.QuadraticFitData = {
    in: n,
    hidden,
    out,
    alpha: raw.alpha!,
    beta: raw.beta!,
    // Copies: the fit must not change if the caller later reuses their weight buffers.
    W: W.slice(),
    V: glu ? glu.V.slice() : null,
    a: raw.a!,
    b: raw.b ?? null,
    single: job.backend === 'native' && job.fit.single,
    solve: raw.solve,
  };
  return new QuadraticApproximant(data, metaOf(job), job.gammaEager);
}

/** Rebuilds the compact form around the native result (the weights stay on the JS side). */
function compactData(job: Job, raw: RawFit): jsh.CompactFitData {
  if (raw.coef === undefined) return raw as unknown as jsh.CompactFitData; // already whole (JS backend)
  const { in: n, hidden, out } = job.net;
  const glu = job.kind === 'glu' ? (job.net as js.GluData) : null;
  const mlp = glu ? null : (job.net as js.MlpData);
  const zeros = (k: number) => new Float64Array(k);
  return {
    in: n,
    hidden,
    out,
    degree: job.degree,
    glu: !!glu,
    W: (glu ? glu.W : mlp!.W1).slice(),
    b1: (glu ? glu.b1 : mlp!.b1)?.slice() ?? zeros(hidden),
    V: glu ? glu.V.slice() : null,
    b2: glu ? (glu.b2?.slice() ?? zeros(hidden)) : null,
    W2: glu ? (glu.W2?.slice() ?? null) : mlp!.W2.slice(),
    biasOut: mlp?.b2?.slice() ?? zeros(out),
    m: raw.m!,
    s2: raw.s2!,
    coef: raw.coef,
    mz: raw.mz ?? null,
    kappa: raw.kappa ?? null,
    coefR: raw.coefR ?? null,
    solve: raw.solve,
  };
}

function runJs(job: Job): RawFit | jsh.CompactFitData {
  if (job.degree >= 3) {
    return job.kind === 'mlp'
      ? jsh.mlpCompactFit(job.net as js.MlpData, job.dist, job.degree, job.fit)
      : jsh.gluCompactFit(job.net as js.GluData, job.dist, job.degree, job.fit);
  }
  if (job.degree === 2) {
    return job.kind === 'mlp'
      ? jsq.mlpQuadraticFit(job.net as js.MlpData, job.dist, job.fit)
      : jsq.gluQuadraticFit(job.net as js.GluData, job.dist, job.fit);
  }
  return job.kind === 'mlp'
    ? js.mlpLinearFit(job.net as js.MlpData, job.dist, job.fit)
    : js.gluLinearFit(job.net as js.GluData, job.dist, job.fit);
}

function metaOf(job: Job): FitMeta {
  return { backend: job.backend, input: job.input, dtype: job.backend === 'native' && job.fit.single ? 'float32' : 'float64' };
}

function runSync(job: Job): Approximant {
  try {
    if (job.mixture) return runMixtureSync(job);
    if (job.backend !== 'js') {
      try {
        const addon = addonFor(job.backend);
        return wrap(job, (job.kind === 'mlp' ? addon.mlpFit : addon.gluFit)(...nativeArgs(job)) as RawFit);
      } catch (e) {
        if (!job.autoCuda) throw e;
        return runSync({ ...job, backend: cpuFallback(e), autoCuda: false });
      }
    }
    const raw = runJs(job);
    if (job.degree >= 3) return new CompactApproximant(raw as jsh.CompactFitData, metaOf(job));
    return wrap(job, raw as RawFit);
  } catch (e) {
    throw translateFitError(e, job.dist, job.input);
  }
}

async function runAsync(job: Job): Promise<Approximant> {
  if (job.mixture) {
    try {
      return await runMixtureAsync(job);
    } catch (e) {
      throw translateFitError(e, job.dist, job.input);
    }
  }
  if (job.backend !== 'js') {
    try {
      const addon = addonFor(job.backend);
      return wrap(job, (await (job.kind === 'mlp' ? addon.mlpFitAsync : addon.gluFitAsync)(...nativeArgs(job))) as RawFit);
    } catch (e) {
      if (job.autoCuda && (e as { code?: unknown } | null)?.code === 'ERR_POLYAPPROX_CUDA') {
        return runAsync({ ...job, backend: cpuFallback(e), autoCuda: false });
      }
      throw translateFitError(e, job.dist, job.input);
    }
  }
  // The JS fallback has no thread of its own: yield once so the caller's code runs first.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return runSync(job);
}

/**
 * Least-squares polynomial approximant of an MLP f(x) = W2 φ(W1 x + b1) + b2.
 * @param net `{ W1 [hidden, in], b1? [hidden], W2 [out, hidden], b2? [out], act }`.
 * @param opts `{ degree: 1..8 (GLU: 1..7), input: { type: 'standard' | 'gaussian' | 'mixture', ... }, backend,
 *   rcond, ridge, psdTol }`.
 * @returns the approximant: `alpha` [out], `beta` [in, out], `predict(x)`.
 * @throws TypeError / RangeError naming the offending argument (shapes, NaN/Inf, covariance not
 *   symmetric or not PSD, weights, activation, degree).
 * @example
 * const fit = ols({ W1, b1, W2, b2, act: 'relu' }, { degree: 1, input: { type: 'gaussian', mean, cov } });
 */
export function ols(net: MlpSpec, opts?: FitOptionsSpec & { degree?: 1 }): LinearApproximant;
export function ols(net: MlpSpec, opts: FitOptionsSpec & { degree: 2 }): QuadraticApproximant;
export function ols(net: MlpSpec, opts: FitOptionsSpec & { degree: 3 | 4 | 5 | 6 | 7 | 8 }): CompactApproximant;
export function ols(net: MlpSpec, opts?: FitOptionsSpec): Approximant;
export function ols(net: MlpSpec, opts?: FitOptionsSpec): Approximant {
  return runSync(prepare('mlp', net, opts));
}

/** As {@link ols}, off the event loop (native AsyncWorker). */
export function olsAsync(net: MlpSpec, opts?: FitOptionsSpec & { degree?: 1 }): Promise<LinearApproximant>;
export function olsAsync(net: MlpSpec, opts: FitOptionsSpec & { degree: 2 }): Promise<QuadraticApproximant>;
export function olsAsync(net: MlpSpec, opts: FitOptionsSpec & { degree: 3 | 4 | 5 | 6 | 7 | 8 }): Promise<CompactApproximant>;
export function olsAsync(net: MlpSpec, opts?: FitOptionsSpec): Promise<Approximant>;
export function olsAsync(net: MlpSpec, opts?: FitOptionsSpec): Promise<Approximant> {
  try {
    return runAsync(prepare('mlp', net, opts));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Least-squares approximant of a gated linear unit f(x) = W2 (φ(W x + b1) ⊙ (V x + b2)).
 * @param net `{ W [hidden, in], V [hidden, in], b1? [hidden], b2? [hidden], W2? [out, hidden], act }`
 *   (without W2 the outputs are the hidden units).
 * @param opts as for {@link ols}.
 * @returns the approximant.
 * @throws as {@link ols}.
 * @example
 * const fit = gluOls({ W, V, act: 'sigmoid' }, { input: { type: 'gaussian', mean, cov } });
 */
export function gluOls(net: GluSpec, opts?: FitOptionsSpec & { degree?: 1 }): LinearApproximant;
export function gluOls(net: GluSpec, opts: FitOptionsSpec & { degree: 2 }): QuadraticApproximant;
export function gluOls(net: GluSpec, opts: FitOptionsSpec & { degree: 3 | 4 | 5 | 6 | 7 | 8 }): CompactApproximant;
export function gluOls(net: GluSpec, opts?: FitOptionsSpec): Approximant;
export function gluOls(net: GluSpec, opts?: FitOptionsSpec): Approximant {
  return runSync(prepare('glu', net, opts));
}

/** As {@link gluOls}, off the event loop. */
export function gluOlsAsync(net: GluSpec, opts?: FitOptionsSpec & { degree?: 1 }): Promise<LinearApproximant>;
export function gluOlsAsync(net: GluSpec, opts: FitOptionsSpec & { degree: 2 }): Promise<QuadraticApproximant>;
export function gluOlsAsync(net: GluSpec, opts: FitOptionsSpec & { degree: 3 | 4 | 5 | 6 | 7 | 8 }): Promise<CompactApproximant>;
export function gluOlsAsync(net: GluSpec, opts?: FitOptionsSpec): Promise<Approximant>;
export function gluOlsAsync(net: GluSpec, opts?: FitOptionsSpec): Promise<Approximant> {
  try {
    return runAsync(prepare('glu', net, opts));
  } catch (e) {
    return Promise.reject(e);
  }
}
