/**
 * Public fitting API: ols (MLP) and gluOls (GLU), sync and async, dispatched to the native
 * core or the JS fallback after one round of validation.
 */
import { actKindIndex } from './activation';
import { BackendName, requireNative, resolveBackend } from './backend';
import { argumentError } from './errors';
import * as js from './js/fit';
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

/**
 * A least-squares linear approximant y = x·beta + alpha (DESIGN §2 layouts).
 */
export class LinearApproximant {
  readonly degree = 1;
  /** [out] */
  readonly alpha: ResultTensor;
  /** [in, out] */
  readonly beta: ResultTensor;
  /** How the normal equations were solved: 'stein' (single Gaussian), 'pinv' or 'ridge'. */
  readonly solve: SolveInfo;
  /** The backend that computed it (and that predict() uses). */
  readonly backend: BackendName;
  readonly input: InputKind;

  constructor(data: js.LinearFitData, backend: BackendName, input: InputKind) {
    this.alpha = { data: data.alpha, shape: [data.out] };
    this.beta = { data: data.beta, shape: [data.in, data.out] };
    this.solve = data.solve;
    this.backend = backend;
    this.input = input;
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
      this.backend === 'native'
        ? (requireNative().linearPredict(fit.alpha, fit.beta, fit.in, fit.out, t.data, rows) as Float64Array)
        : js.linearPredict(fit, rows, t.data);
    return { data, shape: single ? [this.out] : [rows, this.out] };
  }
}

export interface FitOptionsSpec extends CommonOptions {}

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
  net: js.MlpData | js.GluData;
  dist: js.InputData;
  fit: js.FitOptions;
  backend: BackendName;
  input: InputKind;
}

function prepare(kind: 'mlp' | 'glu', net: unknown, opts: unknown): Job {
  const parsedNet = kind === 'mlp' ? parseMlp(net) : parseGlu(net);
  const { fit } = parseOptions(opts);
  const o = (opts ?? {}) as CommonOptions;
  const dist = parseInput(o.input, parsedNet.in);
  const backend = resolveBackend(o.backend);
  return { kind, net: parsedNet, dist, fit, backend, input: inputKind(o.input) };
}

function nativeArgs(job: Job): [object, object, object] {
  const net = { ...job.net, act: actKindIndex(job.net.act), threshold: job.net.act.threshold, slope: job.net.act.slope };
  return [net, job.dist, job.fit];
}

function runSync(job: Job): LinearApproximant {
  try {
    let data: js.LinearFitData;
    if (job.backend === 'native') {
      const addon = requireNative();
      data = (job.kind === 'mlp' ? addon.mlpLinearFit : addon.gluLinearFit)(...nativeArgs(job)) as js.LinearFitData;
      data = { ...data, in: job.net.in, out: job.net.out };
    } else {
      data =
        job.kind === 'mlp'
          ? js.mlpLinearFit(job.net as js.MlpData, job.dist, job.fit)
          : js.gluLinearFit(job.net as js.GluData, job.dist, job.fit);
    }
    return new LinearApproximant(data, job.backend, job.input);
  } catch (e) {
    throw translateFitError(e, job.dist, job.input);
  }
}

async function runAsync(job: Job): Promise<LinearApproximant> {
  try {
    if (job.backend === 'native') {
      const addon = requireNative();
      const data = (await (job.kind === 'mlp' ? addon.mlpLinearFitAsync : addon.gluLinearFitAsync)(
        ...nativeArgs(job),
      )) as js.LinearFitData;
      return new LinearApproximant({ ...data, in: job.net.in, out: job.net.out }, job.backend, job.input);
    }
  } catch (e) {
    throw translateFitError(e, job.dist, job.input);
  }
  // The JS fallback has no thread of its own: yield once so the caller's code runs first.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return runSync(job);
}

/**
 * Least-squares polynomial approximant of an MLP f(x) = W2 φ(W1 x + b1) + b2.
 * @param net `{ W1 [hidden, in], b1? [hidden], W2 [out, hidden], b2? [out], act }`.
 * @param opts `{ degree: 1, input: { type: 'standard' | 'gaussian' | 'mixture', ... }, backend,
 *   rcond, ridge, psdTol }`.
 * @returns the approximant: `alpha` [out], `beta` [in, out], `predict(x)`.
 * @throws TypeError / RangeError naming the offending argument (shapes, NaN/Inf, covariance not
 *   symmetric or not PSD, weights, activation, degree).
 * @example
 * const fit = ols({ W1, b1, W2, b2, act: 'relu' }, { degree: 1, input: { type: 'gaussian', mean, cov } });
 */
export function ols(net: MlpSpec, opts?: FitOptionsSpec): LinearApproximant {
  return runSync(prepare('mlp', net, opts));
}

/** As {@link ols}, off the event loop (native AsyncWorker). */
export function olsAsync(net: MlpSpec, opts?: FitOptionsSpec): Promise<LinearApproximant> {
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
export function gluOls(net: GluSpec, opts?: FitOptionsSpec): LinearApproximant {
  return runSync(prepare('glu', net, opts));
}

/** As {@link gluOls}, off the event loop. */
export function gluOlsAsync(net: GluSpec, opts?: FitOptionsSpec): Promise<LinearApproximant> {
  try {
    return runAsync(prepare('glu', net, opts));
  } catch (e) {
    return Promise.reject(e);
  }
}
