/**
 * Fits to safetensors and back. A result file holds the approximant's tensors (alpha, beta, the
 * quadratic part packed or dense, the compact form the backends compute from), optionally the
 * network and input law it was fitted to (so a report can compute variance explained from the
 * file alone), and string metadata: format, degree, kind, activation, input kind, backend,
 * dtype, solve info as JSON, sizes.
 *
 * Tensor names:
 * - `alpha` [out], `beta` [in, out] (degrees 1 and 2);
 * - degree 2: `gamma` [out, in(in+1)/2] (packed as QuadraticApproximant.gamma) or `G`
 *   [out, in, in] (dense quadratic forms); `compact.W` [hidden, in], `compact.V`, `compact.a`
 *   [out, hidden], `compact.b` (exact mixture fits keep G dense instead: `G`);
 * - degree ≥ 3: `compact.W`, `compact.b1`, `compact.V`, `compact.b2`, `compact.W2`,
 *   `compact.biasOut`, `compact.m`, `compact.s2`, `compact.coef` [hidden, degree+1],
 *   `compact.mz`, `compact.kappa`, `compact.coefR` [hidden, degree] (null fields omitted);
 * - `net.W1`, `net.b1`, `net.W2`, `net.b2` (MLP) or `net.W`, `net.V`, `net.b1`, `net.b2`,
 *   `net.W2` (GLU); `input.mean`, `input.cov` or `input.weights`, `input.means`, `input.covs`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActivationSpec, parseActivation } from '../activation';
import { BackendRequest, resolveBackend } from '../backend';
import { argumentError, invalidArgument } from '../errors';
import { Approximant, CompactApproximant, LinearApproximant, QuadraticApproximant } from '../fit';
import type { SolveInfo } from '../js/fit';
import type { CompactFitData } from '../js/hermite';
import type { QuadraticFitData } from '../js/quadratic';
import { shapeText, toTensor } from '../tensor';
import type { GluSpec, InputSpec, MlpSpec } from '../validate';
import { readSafetensors, writeSafetensors } from './safetensors';
import { TensorSet } from './tensors';
import type { LoadedTensor } from './layers';

/** The metadata `format` value that marks a result file. */
export const RESULT_FORMAT = 'polyapprox-approximant';
/** The version of the layout described above. */
export const RESULT_FORMAT_VERSION = '1';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return String(pkg.version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** Options of {@link approximantTensors} and {@link writeApproximant}. */
export interface ApproximantWriteOptions {
  /** Element type of every tensor: 'F64' (default, exact) or 'F32'. */
  dtype?: 'F64' | 'F32';
  /**
   * Degree 2, the quadratic part: 'packed' (`gamma`), 'dense' (`G`, out·in² numbers), 'none',
   * or 'auto' (default): 'packed' when the fit materialized gamma (within its memoryBudget), else 'none'.
   */
  gamma?: 'auto' | 'packed' | 'dense' | 'none';
  /** Degree 2: also write the compact form (default true; it is what readApproximant rebuilds from). Degree ≥ 3 always has it. */
  compact?: boolean;
  /** The network the fit came from (stored as `net.*`, its activation in the metadata). */
  net?: MlpSpec | GluSpec;
  /** The input law the fit used (stored as `input.*`). */
  input?: InputSpec;
  /** Extra metadata (string values); the library's own keys win. */
  metadata?: Record<string, string>;
}

/** Tensors and metadata of a fit, ready for {@link writeSafetensors}. */
export interface ApproximantTensors {
  /** Tensor name → float64 `{ data, shape }`, in file order. */
  tensors: Map<string, LoadedTensor>;
  /** String metadata (`__metadata__`). */
  metadata: Record<string, string>;
}

function isGluSpec(net: MlpSpec | GluSpec): net is GluSpec {
  return 'W' in net && 'V' in net;
}

/** Canonical text of an activation: its name, or JSON for parametrized ones. */
function activationText(spec: ActivationSpec): string {
  const a = parseActivation(spec, 'options.net.act');
  if (a.name === 'jump_relu') return JSON.stringify({ name: a.name, threshold: a.threshold });
  if (a.name === 'leaky_relu') return JSON.stringify({ name: a.name, slope: a.slope });
  return a.name;
}

function parseActivationText(text: string, source: string): ActivationSpec {
  let spec: unknown = text;
  if (text.startsWith('{')) {
    try {
      spec = JSON.parse(text);
    } catch {
      throw invalidArgument(`${source} metadata activation`, 'an activation name or JSON object', text, TypeError);
    }
  }
  parseActivation(spec, `${source} metadata activation`);
  return spec as ActivationSpec;
}

function put(map: Map<string, LoadedTensor>, name: string, value: unknown, label: string): void {
  if (value === undefined || value === null) return;
  const t = toTensor(value, label);
  map.set(name, { data: t.data, shape: t.shape });
}

/**
 * The tensors and metadata that represent a fit (see the module comment for the names).
 * @param fit an approximant from {@link ols} / {@link gluOls} (any degree).
 * @param opts `{ gamma = 'auto', compact = true, net, input, metadata }` (dtype is ignored here).
 * @returns `{ tensors: Map<name, { data, shape }>, metadata }`.
 * @throws TypeError when fit is not an approximant; the tensor errors of the fits for a bad net / input.
 * @example
 * const { tensors, metadata } = pa.io.approximantTensors(q, { gamma: 'dense' });
 */
export function approximantTensors(fit: Approximant, opts: ApproximantWriteOptions = {}): ApproximantTensors {
  if (!(fit instanceof LinearApproximant || fit instanceof QuadraticApproximant || fit instanceof CompactApproximant)) {
    throw invalidArgument('fit', 'an approximant from ols() or gluOls()', fit, TypeError);
  }
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an object', opts, TypeError);
  const gammaOpt = opts.gamma ?? 'auto';
  if (!['auto', 'packed', 'dense', 'none'].includes(gammaOpt)) throw invalidArgument('options.gamma', "one of 'auto', 'packed', 'dense', 'none'", gammaOpt);
  const tensors = new Map<string, LoadedTensor>();
  let kind: 'mlp' | 'glu' | null = null;
  let hidden: number | null = null;
  let gammaWritten = 'none';
  if (!(fit instanceof CompactApproximant)) {
    tensors.set('alpha', fit.alpha);
    tensors.set('beta', fit.beta);
  }
  if (fit instanceof QuadraticApproximant) {
    const c = fit.compact;
    const n = fit.in;
    const mode = gammaOpt === 'auto' ? (fit.gamma ? 'packed' : 'none') : gammaOpt;
    if (mode === 'packed') {
      const len = (n * (n + 1)) / 2;
      let g = fit.gamma?.data;
      if (!g) {
        g = new Float64Array(fit.out * len);
        for (let o = 0; o < fit.out; o++) g.set(fit.gammaRow(o), o * len);
      }
      tensors.set('gamma', { data: g, shape: [fit.out, len] });
    } else if (mode === 'dense') {
      const G = new Float64Array(fit.out * n * n);
      for (let o = 0; o < fit.out; o++) G.set(fit.quadraticForm(o).data, o * n * n);
      tensors.set('G', { data: G, shape: [fit.out, n, n] });
    }
    gammaWritten = mode;
    if (opts.compact ?? true) {
      if (c.dense) {
        if (!tensors.has('G')) tensors.set('G', { data: c.dense, shape: [c.out, n, n] });
      } else {
        hidden = c.hidden;
        kind = c.V ? 'glu' : 'mlp';
        tensors.set('compact.W', { data: c.W, shape: [c.hidden, n] });
        if (c.V) tensors.set('compact.V', { data: c.V, shape: [c.hidden, n] });
        tensors.set('compact.a', { data: c.a, shape: [c.out, c.hidden] });
        if (c.b) tensors.set('compact.b', { data: c.b, shape: [c.out, c.hidden] });
      }
    } else if (!c.dense) {
      hidden = c.hidden;
      kind = c.V ? 'glu' : 'mlp';
    }
  }
  if (fit instanceof CompactApproximant) {
    const c = fit.compact;
    const h = c.hidden;
    kind = c.glu ? 'glu' : 'mlp';
    hidden = h;
    const fields: [keyof CompactFitData, number[]][] = [
      ['W', [h, c.in]],
      ['b1', [h]],
      ['V', [h, c.in]],
      ['b2', [h]],
      ['W2', [c.out, h]],
      ['biasOut', [c.out]],
      ['m', [h]],
      ['s2', [h]],
      ['coef', [h, c.degree + 1]],
      ['mz', [h]],
      ['kappa', [h]],
      ['coefR', [h, c.degree]],
    ];
    for (const [f, shape] of fields) {
      const data = c[f] as Float64Array | null;
      if (data) tensors.set(`compact.${f}`, { data, shape });
    }
  }
  const metadata: Record<string, string> = { ...(opts.metadata ?? {}) };
  if (opts.net !== undefined) {
    const net = opts.net;
    if (net === null || typeof net !== 'object') throw invalidArgument('options.net', 'an MlpSpec or a GluSpec', net, TypeError);
    if (isGluSpec(net)) {
      kind = 'glu';
      put(tensors, 'net.W', net.W, 'options.net.W');
      put(tensors, 'net.V', net.V, 'options.net.V');
      put(tensors, 'net.b1', net.b1, 'options.net.b1');
      put(tensors, 'net.b2', net.b2, 'options.net.b2');
      put(tensors, 'net.W2', net.W2, 'options.net.W2');
      hidden = tensors.get('net.W')!.shape[0];
    } else {
      kind = 'mlp';
      put(tensors, 'net.W1', net.W1, 'options.net.W1');
      put(tensors, 'net.b1', net.b1, 'options.net.b1');
      put(tensors, 'net.W2', net.W2, 'options.net.W2');
      put(tensors, 'net.b2', net.b2, 'options.net.b2');
      hidden = tensors.get('net.W1')!.shape[0];
    }
    metadata.activation = activationText(net.act);
  }
  if (opts.input !== undefined && opts.input !== null) {
    const inp = opts.input as Record<string, unknown>;
    if (typeof inp !== 'object') throw invalidArgument('options.input', 'an InputSpec', inp, TypeError);
    const type = inp.type ?? 'standard';
    const keys = type === 'gaussian' ? ['mean', 'cov'] : type === 'mixture' ? ['weights', 'means', 'covs'] : [];
    for (const key of keys) put(tensors, `input.${key}`, inp[key], `options.input.${key}`);
    metadata.input_stored = String(type);
  }
  Object.assign(metadata, {
    format: RESULT_FORMAT,
    format_version: RESULT_FORMAT_VERSION,
    library: `polyapprox ${packageVersion()}`,
    degree: String(fit.degree),
    input: fit.input,
    backend: fit.backend,
    dtype: fit.dtype,
    solve: JSON.stringify(fit.solve),
    in: String(fit.in),
    out: String(fit.out),
    gamma: gammaWritten,
  });
  if (kind) metadata.kind = kind;
  if (hidden !== null) metadata.hidden = String(hidden);
  return { tensors, metadata };
}

/**
 * Serializes a fit as safetensors (see {@link approximantTensors} for what is stored).
 * @param fit an approximant from {@link ols} / {@link gluOls}.
 * @param opts `{ dtype = 'F64' | 'F32', gamma = 'auto', compact = true, net, input, metadata }`.
 * @returns the file's bytes.
 * @throws as {@link approximantTensors}.
 * @example
 * const q = pa.ols(net, { degree: 2, input });
 * fs.writeFileSync('q.safetensors', pa.io.writeApproximant(q, { net, input }));
 */
export function writeApproximant(fit: Approximant, opts: ApproximantWriteOptions = {}): Uint8Array {
  const dtype = opts?.dtype ?? 'F64';
  if (dtype !== 'F64' && dtype !== 'F32') throw invalidArgument('options.dtype', "'F64' or 'F32'", dtype);
  const { tensors, metadata } = approximantTensors(fit, opts);
  metadata.storage_dtype = dtype;
  return writeSafetensors(tensors, { dtype, metadata });
}

/** Options of {@link readApproximant}. */
export interface ApproximantReadOptions {
  /** Backend of the rebuilt approximant's predict / quadraticForm / eigen (default 'auto'). */
  backend?: BackendRequest;
  /** How errors name the file when given bytes (default 'result'). */
  name?: string;
}

/** A fit read back from a result file. */
export interface LoadedApproximant {
  /** The approximant, rebuilt on the requested backend (predict, quadraticForm, gammaRow work). */
  fit: Approximant;
  /** 'mlp', 'glu', or null when the file does not say (a linear fit written without its net). */
  kind: 'mlp' | 'glu' | null;
  /** The network, when the file stores it (`net.*` tensors). */
  net: MlpSpec | GluSpec | null;
  /** The input law, when the file stores it (`input.*` tensors). */
  input: InputSpec | null;
  /** The file's metadata (format, degree, backend, solve…). */
  metadata: Readonly<Record<string, string>>;
  /** How the normal equations were solved (from the metadata). */
  solve: SolveInfo;
}

/**
 * Reads a result file back into an approximant (and the network / input when stored).
 * @param source the file's bytes, or a {@link TensorSet} from {@link readTensorFile}.
 * @param opts `{ backend = 'auto', name }`.
 * @returns `{ fit, kind, net, input, metadata, solve }`.
 * @throws TypeError / RangeError `invalid argument: …` when the file is not a polyapprox result,
 *   lacks a tensor its degree needs (e.g. degree 2 written with gamma 'none' and compact false),
 *   or has inconsistent shapes.
 * @example
 * const { fit, net, input } = pa.io.readApproximant(fs.readFileSync('q.safetensors'));
 * fit.predict(x);
 */
export function readApproximant(source: Uint8Array | TensorSet, opts: ApproximantReadOptions = {}): LoadedApproximant {
  const set = source instanceof TensorSet ? source : readSafetensors(source, { name: opts.name ?? 'result' });
  const src = set.source;
  const md = set.metadata;
  if (md.format !== RESULT_FORMAT) {
    throw argumentError(src, `be a polyapprox result (metadata format "${RESULT_FORMAT}", written by writeApproximant or polyapprox fit)`, md.format === undefined ? 'no format in its metadata' : JSON.stringify(md.format), TypeError);
  }
  const intMeta = (key: string): number => {
    const v = Number(md[key]);
    if (!Number.isInteger(v) || v < 0) throw invalidArgument(`${src} metadata ${key}`, 'a non-negative integer', md[key]);
    return v;
  };
  const degree = intMeta('degree');
  const n = intMeta('in');
  const out = intMeta('out');
  let solve: SolveInfo;
  try {
    solve = JSON.parse(md.solve ?? '') as SolveInfo;
  } catch {
    throw invalidArgument(`${src} metadata solve`, 'JSON', md.solve);
  }
  const get = (name: string, shape: (number | null)[], labels: string[]): Float64Array => {
    const t = set.get(name, name);
    const ok = t.shape.length === shape.length && shape.every((s, i) => s === null || s === t.shape[i]);
    if (!ok) throw argumentError(`${src}[${JSON.stringify(name)}]`, `have shape ${shapeText(labels)} = ${shapeText(shape.map((s, i) => s ?? labels[i]))}`, shapeText(t.shape), RangeError);
    return t.data;
  };
  const opt = (name: string, shape: (number | null)[], labels: string[]): Float64Array | null => (set.has(name) ? get(name, shape, labels) : null);
  const inputKind = md.input === 'gaussian' || md.input === 'mixture' ? md.input : 'standard';
  const backend = resolveBackend(opts.backend);
  const meta = { backend, input: inputKind as 'standard' | 'gaussian' | 'mixture', dtype: 'float64' as const };
  let fit: Approximant;
  if (degree === 1 || degree === 2) {
    const alpha = get('alpha', [out], ['out']);
    const beta = get('beta', [n, out], ['in', 'out']);
    if (degree === 1) fit = new LinearApproximant({ in: n, out, alpha, beta, solve }, meta);
    else {
      let data: QuadraticFitData;
      if (set.has('compact.W') && set.has('compact.a')) {
        const W = get('compact.W', [null, n], ['hidden', 'in']);
        const h = W.length / n;
        data = {
          in: n,
          hidden: h,
          out,
          alpha,
          beta,
          W,
          V: opt('compact.V', [h, n], ['hidden', 'in']),
          a: get('compact.a', [out, h], ['out', 'hidden']),
          b: opt('compact.b', [out, h], ['out', 'hidden']),
          solve,
        };
      } else if (set.has('G') || set.has('gamma')) {
        let G: Float64Array;
        if (set.has('G')) G = get('G', [out, n, n], ['out', 'in', 'in']);
        else {
          const len = (n * (n + 1)) / 2;
          const g = get('gamma', [out, len], ['out', 'in(in+1)/2']);
          G = new Float64Array(out * n * n);
          for (let o = 0; o < out; o++) {
            for (let i = 0; i < n; i++) {
              const base = o * len + (i * (i + 1)) / 2;
              for (let j = 0; j < i; j++) G[o * n * n + i * n + j] = G[o * n * n + j * n + i] = g[base + j] / 2;
              G[o * n * n + i * n + i] = g[base + i];
            }
          }
        }
        data = { in: n, hidden: 0, out, alpha, beta, W: new Float64Array(0), V: null, a: new Float64Array(0), b: null, dense: G, solve };
      } else {
        throw argumentError(src, 'hold the quadratic part of its degree-2 fit (compact.W and compact.a, G, or gamma)', `tensors ${set.names.join(', ')}`, RangeError);
      }
      fit = new QuadraticApproximant(data, meta, set.has('gamma') || set.has('G'));
    }
  } else if (degree >= 3) {
    const W = get('compact.W', [null, n], ['hidden', 'in']);
    const h = W.length / n;
    const data: CompactFitData = {
      in: n,
      hidden: h,
      out,
      degree,
      glu: set.has('compact.V'),
      W,
      b1: get('compact.b1', [h], ['hidden']),
      V: opt('compact.V', [h, n], ['hidden', 'in']),
      b2: opt('compact.b2', [h], ['hidden']),
      W2: opt('compact.W2', [out, h], ['out', 'hidden']),
      biasOut: get('compact.biasOut', [out], ['out']),
      m: get('compact.m', [h], ['hidden']),
      s2: get('compact.s2', [h], ['hidden']),
      coef: get('compact.coef', [h, degree + 1], ['hidden', 'degree+1']),
      mz: opt('compact.mz', [h], ['hidden']),
      kappa: opt('compact.kappa', [h], ['hidden']),
      coefR: opt('compact.coefR', [h, degree], ['hidden', 'degree']),
      solve,
    };
    fit = new CompactApproximant(data, meta);
  } else {
    throw invalidArgument(`${src} metadata degree`, 'in 1..8', md.degree);
  }
  const kind = md.kind === 'mlp' || md.kind === 'glu' ? md.kind : null;
  const tensor = (name: string): LoadedTensor | null => {
    if (!set.has(name)) return null;
    const t = set.get(name);
    return { data: t.data, shape: t.shape };
  };
  let net: MlpSpec | GluSpec | null = null;
  if (md.activation !== undefined) {
    const act = parseActivationText(md.activation, src);
    if (set.has('net.W1')) net = { W1: tensor('net.W1')!, b1: tensor('net.b1'), W2: tensor('net.W2')!, b2: tensor('net.b2'), act };
    else if (set.has('net.W')) net = { W: tensor('net.W')!, V: tensor('net.V')!, b1: tensor('net.b1'), b2: tensor('net.b2'), W2: tensor('net.W2'), act };
  }
  // The input law when the writer was given it (input_stored), or when the fit's own input kind
  // says it all (standard normal).
  let input: InputSpec | null = null;
  const stored = md.input_stored;
  if (stored === 'mixture' && set.has('input.means')) input = { type: 'mixture', means: tensor('input.means')!, weights: tensor('input.weights'), covs: tensor('input.covs') };
  else if (stored === 'gaussian') input = { type: 'gaussian', mean: tensor('input.mean'), cov: tensor('input.cov') };
  else if (stored === 'standard' || inputKind === 'standard') input = { type: 'standard' };
  return { fit, kind, net, input, metadata: md, solve };
}
