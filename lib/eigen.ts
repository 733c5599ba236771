/**
 * Interaction eigendecomposition of quadratic approximants: the top-k eigenpairs, by |λ|, of an
 * output's symmetric interaction matrix G_o (xᵀ G_o x is its quadratic part), i.e. the input
 * directions whose pairwise interactions drive that output most, with their signed strengths.
 * Runs on the backend the fit was computed with, dense (form G_o, full symmetric
 * eigendecomposition) or matrix-free (thick-restart Lanczos on v ↦ G_o v over the compact form).
 */
import { addonFor, BackendName } from './backend';
import { describeValue, invalidArgument } from './errors';
import { QuadraticApproximant, ResultTensor } from './fit';
import * as js from './js/eigen';

/** How {@link interactionEigen} computes: form G_o ('dense'), matrix-free ('lanczos'), or choose ('auto'). */
export type EigenMethod = 'auto' | 'dense' | 'lanczos';

/** Options of {@link interactionEigen}. */
export interface InteractionEigenOptions {
  /** Number of eigenpairs, 1..in (default 10, or in when in < 10). */
  k?: number;
  /**
   * 'dense' forms G_o (in² memory, O(in²·hidden + in³) time); 'lanczos' never does (O(in·basis)
   * memory, O(in·hidden) per product with G_o); 'auto' (default) picks dense when
   * in ≤ 4096 (cuda), 1024 (native) or 256 (js) or k ≥ in/4, else lanczos.
   */
  method?: EigenMethod;
  /** Lanczos: stop when every wanted residual ‖G v − λ v‖ ≤ tol·|λ_max| (default 1e-10). */
  tol?: number;
  /**
   * Lanczos: the most products with G_o before returning unconverged pairs (default
   * max(1000, 20·basis), basis = min(in, max(2k + 20, 3k))). Checked after each restart cycle.
   */
  maxIter?: number;
}

/** Top-k eigenpairs of an output's interaction matrix, as {@link interactionEigen} returns them. */
export interface InteractionEigenResult {
  /** [k] eigenvalues, |λ| descending (ties: positive first). */
  values: Float64Array;
  /** [k, in]: row j is the unit eigenvector of values[j], its largest-|component| entry positive. */
  vectors: ResultTensor;
  /** The route taken. */
  method: 'dense' | 'lanczos';
  /** Products with G_o (0 for dense). */
  iterations: number;
  /** Dense: always true. Lanczos: every residual within tol (false when maxIter stopped it). */
  converged: boolean;
}

/**
 * 'auto' takes the dense route up to this many inputs (per backend), Lanczos beyond, unless
 * k ≥ in/4 (a Krylov basis of 3k would be most of the space: dense then). Measured on the
 * 2-core reference machine, relu MLP with random weights, top 10 (bench/eigen.ts):
 * - native: 784→1024 dense 0.11–0.19 s, Lanczos 0.01–0.05 s; 1024→4096 dense 0.33–0.6 s,
 *   Lanczos 0.2–0.86 s (145–175 products, each streaming W twice; memory-bound, so it suffers
 *   most when the machine is shared); 2048→8192 dense 1.8 s, Lanczos 1.2 s. Up to 1024 both are
 *   sub-second and dense is exact with no convergence question, whatever k or the spectrum
 *   (k = 50 at 1024→4096: dense 0.42 s, Lanczos 1.0 s); beyond, dense grows as in³ and holds
 *   three in² buffers while Lanczos grows as in·hidden.
 * - cuda: G_o by dsyrkx and cusolverDnDsyevd on the device (Lanczos runs the CPU code): see
 *   bench/cuda.ts for the H200 timings behind 4096.
 * - js: dense is O(in³) in plain loops: 256→1024 dense 0.30 s vs Lanczos 0.21 s, 512→2048
 *   2.5 s vs 0.9 s, 784→1024 5.4 s vs 0.9 s, 1024→4096 22 s vs 5.2 s; so 256.
 */
export const DENSE_MAX_IN: Readonly<Record<BackendName, number>> = { cuda: 4096, native: 1024, js: 256 };

interface Request {
  q: QuadraticApproximant;
  o: number;
  k: number;
  method: 'dense' | 'lanczos';
  tol: number;
  maxIter: number;
}

type RawResult = Omit<js.EigenResultData, 'n' | 'k' | 'vectors'> & { vectors: Float64Array };

function integer(v: unknown, name: string, lo: number, hi: number, what = 'an integer'): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidArgument(name, what, v, TypeError);
  if (v < lo || v > hi) throw invalidArgument(name, `in ${lo}..${hi}`, v);
  return v;
}

function prepare(q: unknown, o: unknown, opts: unknown): Request {
  if (!(q instanceof QuadraticApproximant)) {
    const got =
      q !== null && typeof q === 'object' && !ArrayBuffer.isView(q) && !Array.isArray(q)
        ? `a ${(q as object).constructor?.name ?? 'object'}`
        : describeValue(q);
    throw invalidArgument('q', 'a QuadraticApproximant (a fit with degree: 2)', got, TypeError, true);
  }
  const n = q.in;
  const out = integer(o, 'o', 0, q.out - 1, 'an integer output index');
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw invalidArgument('options', 'an object', opts, TypeError);
  }
  const s = (opts ?? {}) as Record<string, unknown>;
  const k = s.k === undefined ? Math.min(10, n) : integer(s.k, 'options.k', 1, n);
  const m = s.method === undefined ? 'auto' : s.method;
  const methods = ['auto', 'dense', 'lanczos'];
  if (typeof m !== 'string') throw invalidArgument('options.method', "one of 'auto', 'dense', 'lanczos'", m, TypeError);
  if (!methods.includes(m)) throw invalidArgument('options.method', "one of 'auto', 'dense', 'lanczos'", m);
  const tol = s.tol === undefined ? 1e-10 : s.tol;
  if (typeof tol !== 'number') throw invalidArgument('options.tol', 'a number', tol, TypeError);
  if (!(tol > 0 && tol < 1)) throw invalidArgument('options.tol', 'in (0, 1)', tol);
  const maxIter = s.maxIter === undefined ? 0 : integer(s.maxIter, 'options.maxIter', 1, 2 ** 31 - 1);
  const dense = n <= DENSE_MAX_IN[q.backend] || 4 * k >= n;
  const method = m === 'auto' ? (dense ? 'dense' : 'lanczos') : (m as 'dense' | 'lanczos');
  return { q, o: out, k, method, tol, maxIter };
}

function wrap(r: Request, raw: RawResult): InteractionEigenResult {
  return {
    values: raw.values,
    vectors: { data: raw.vectors, shape: [r.k, r.q.in] },
    method: raw.method,
    iterations: raw.iterations,
    converged: raw.converged,
  };
}

function nativeOptions(r: Request): object {
  return { k: r.k, method: r.method, tol: r.tol, maxIter: r.maxIter };
}

function runJs(r: Request): RawResult {
  const fit = r.q.compact;
  return r.method === 'dense'
    ? js.interactionEigenDense(fit, r.o, r.k)
    : js.interactionEigenLanczos(fit, r.o, { k: r.k, tol: r.tol, maxIter: r.maxIter });
}

/**
 * Top-k eigenpairs (by |λ|) of output o's interaction matrix G_o = ½ E[∇²f_o], the symmetric
 * matrix of the approximant's quadratic part xᵀ G_o x, on the backend the fit was computed with.
 * @param q a degree-2 fit (`ols` / `gluOls` with `degree: 2`).
 * @param o the output index, 0..out−1.
 * @param opts `{ k = 10, method = 'auto' | 'dense' | 'lanczos', tol = 1e-10, maxIter }` (see
 *   {@link InteractionEigenOptions}).
 * @returns `{ values [k], vectors { data, shape: [k, in] }, method, iterations, converged }`,
 *   values ordered by |λ| descending, vectors unit rows with their largest-|component| entry positive.
 * @throws TypeError when q is not a QuadraticApproximant or an option has the wrong type;
 *   RangeError when o, k, method, tol or maxIter is out of range.
 * @example
 * const q = pa.ols(net, { degree: 2, input: { type: 'gaussian', mean, cov } });
 * const { values, vectors } = pa.interactionEigen(q, 3, { k: 5 });
 * // vectors.data.subarray(0, q.in): the strongest interaction direction of output 3
 */
export function interactionEigen(q: QuadraticApproximant, o: number, opts?: InteractionEigenOptions): InteractionEigenResult {
  const r = prepare(q, o, opts);
  if (r.q.backend !== 'js' && !r.q.compact.dense) {
    return wrap(r, addonFor(r.q.backend).interactionEigen(r.q.compact, r.o, nativeOptions(r)) as RawResult);
  }
  return wrap(r, runJs(r));
}

/**
 * As {@link interactionEigen}, off the event loop (native AsyncWorker; the JS fallback yields
 * once, then runs on the main thread).
 * @param q a degree-2 fit.
 * @param o the output index.
 * @param opts as for {@link interactionEigen}.
 * @returns a promise of the same result.
 * @throws never synchronously: argument errors reject the promise.
 * @example
 * const { values } = await pa.interactionEigenAsync(q, 0, { method: 'lanczos' });
 */
export async function interactionEigenAsync(
  q: QuadraticApproximant,
  o: number,
  opts?: InteractionEigenOptions,
): Promise<InteractionEigenResult> {
  const r = prepare(q, o, opts);
  if (r.q.backend !== 'js' && !r.q.compact.dense) {
    return wrap(r, (await addonFor(r.q.backend).interactionEigenAsync(r.q.compact, r.o, nativeOptions(r))) as RawResult);
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
  return wrap(r, runJs(r));
}
