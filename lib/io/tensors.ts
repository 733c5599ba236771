/**
 * The container every reader returns: named tensors with their stored dtype and shape, decoded
 * to float64 only when asked for (a checkpoint shard can hold gigabytes of tensors of which a
 * fit needs three), plus the helpers the readers share: name suggestions for missing tensors and
 * the writers' argument checks.
 */
import { argumentError, invalidArgument } from '../errors';
import { shapeText } from '../tensor';

/** A tensor read from a file: float64 data (row-major) and the dtype it was stored in. */
export interface WeightTensor {
  /** Row-major float64 values (exact conversions of the stored ones). */
  data: Float64Array;
  /** Dimensions as stored ([] for a scalar). */
  shape: number[];
  /** The stored element type: 'F64', 'F32', 'F16' or 'BF16' (npy: f8, f4, f2 map to these). */
  dtype: string;
}

/** Name, stored dtype and shape of a tensor, known without decoding it. */
export interface TensorInfo {
  /** The tensor's name in the file (npz: the entry without '.npy'). */
  readonly name: string;
  /** Stored dtype: 'F64', 'F32', 'F16', 'BF16', or what the file says for others ('I64', '<i8'…). */
  readonly dtype: string;
  /** Dimensions. */
  readonly shape: readonly number[];
}

/** One stored tensor: its description and how to decode it. */
export interface TensorEntry extends TensorInfo {
  /** Decodes to float64 (row-major); throws the argument error for an unsupported dtype. */
  decode(): Float64Array;
}

/** Where the tensors came from. */
export type TensorFormat = 'safetensors' | 'npy' | 'npz';

/**
 * Named tensors from a weights file, decoded on request. Returned by
 * {@link readSafetensors}, {@link readNpz}, {@link readTensorFile}.
 */
export class TensorSet {
  /** The file format. */
  readonly format: TensorFormat;
  /** How errors name the file (its path, or what the caller said). */
  readonly source: string;
  /** safetensors `__metadata__` (string → string); empty for npy/npz. */
  readonly metadata: Readonly<Record<string, string>>;
  private readonly entries: Map<string, TensorEntry>;

  /**
   * @param format the file format.
   * @param source how errors name the file.
   * @param entries the stored tensors, in file order.
   * @param metadata string metadata (safetensors `__metadata__`).
   */
  constructor(format: TensorFormat, source: string, entries: TensorEntry[], metadata: Record<string, string> = {}) {
    this.format = format;
    this.source = source;
    this.metadata = metadata;
    this.entries = new Map(entries.map((e) => [e.name, e]));
  }

  /** The tensor names, in file order. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  /** Number of tensors. */
  get size(): number {
    return this.entries.size;
  }

  /** Whether a tensor of this name exists. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Dtype and shape of a tensor without decoding it (undefined when absent). */
  info(name: string): TensorInfo | undefined {
    const e = this.entries.get(name);
    return e && { name: e.name, dtype: e.dtype, shape: e.shape };
  }

  /**
   * Decodes one tensor to float64.
   * @param name the tensor's name.
   * @param role how errors should call the tensor (e.g. `w1`); defaults to `tensors`.
   * @returns `{ data: Float64Array, shape, dtype }` (a fresh copy on every call).
   * @throws RangeError when there is no such tensor (the message lists close names), TypeError
   *   when its dtype is not a float type.
   * @example
   * const w = io.readTensorFile('model.safetensors').get('0.weight');
   */
  get(name: string, role = 'tensors'): WeightTensor {
    const e = this.entries.get(name);
    if (!e) throw missingTensor(role, name, this.source, this.names);
    return { data: e.decode(), shape: [...e.shape], dtype: e.dtype };
  }

  /**
   * Every tensor decoded, as a plain object (no prototype, so any name is a safe key).
   * @throws as {@link TensorSet.get} when a tensor has an unsupported dtype.
   */
  toObject(): Record<string, WeightTensor> {
    const out: Record<string, WeightTensor> = Object.create(null);
    for (const name of this.entries.keys()) out[name] = this.get(name);
    return out;
  }
}

/** Levenshtein distance, for "close names" in error messages. */
function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * Up to `max` names close to `name`: names that end with it or it ends with (a prefix added or
 * missing), then by edit distance within 40% of the name's length.
 * @param name the name looked for.
 * @param names the names there are.
 * @param max how many to return (default 5).
 * @returns the close names, closest first.
 * @example pa.io.closeNames('0.weight', ['mlp.0.weight', 'mlp.2.weight', 'embed'])   // ['mlp.0.weight']
 */
export function closeNames(name: string, names: readonly string[], max = 5): string[] {
  const scored: [number, string][] = [];
  for (const n of names) {
    if (n === name) continue;
    if (n.endsWith('.' + name) || name.endsWith('.' + n)) {
      scored.push([0, n]);
      continue;
    }
    const d = editDistance(name, n);
    if (d <= Math.max(2, Math.floor(0.4 * name.length))) scored.push([d, n]);
  }
  scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1));
  return scored.slice(0, max).map((s) => s[1]);
}

/** "invalid argument: ROLE must name a tensor of SOURCE, got "NAME" (no such tensor; close names: …)". */
export function missingTensor(role: string, name: string, source: string, names: readonly string[]): Error {
  const close = closeNames(name, names);
  let hint: string;
  if (close.length > 0) hint = `close names: ${close.map((n) => JSON.stringify(n)).join(', ')}`;
  else if (names.length === 0) hint = 'the file holds no tensors';
  else {
    const some = names.slice(0, 5).map((n) => JSON.stringify(n)).join(', ');
    hint = `no similar names among its ${names.length} tensors: ${some}${names.length > 5 ? ', …' : ''}`;
  }
  return argumentError(role, `name a tensor of ${source}`, `${JSON.stringify(name)} (no such tensor; ${hint})`, RangeError);
}

/** The error for a stored dtype the readers do not decode; `label` names the dtype (e.g. `FILE["w"].dtype`). */
export function unsupportedDtype(label: string, dtype: string, supported: string): Error {
  return invalidArgument(label, `a float dtype (${supported})`, dtype, TypeError);
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A tensor to write: `{ data, shape }` or a 1-D typed array / array of numbers. */
export type WritableTensor =
  | {
      /** Row-major values (NaN and ±Infinity are written as they are). */
      data: ArrayLike<number>;
      /** Dimensions; their product must equal data.length. */
      shape: readonly number[];
    }
  | Float64Array
  | Float32Array
  | readonly number[];

/** Named tensors to write: an object, a Map or [name, tensor] pairs (file order = this order). */
export type WritableTensors = Record<string, WritableTensor> | Map<string, WritableTensor> | readonly (readonly [string, WritableTensor])[];

/** Normalizes what writers accept to [name, data, shape] in order, checking shapes (NaN/Inf allowed). */
export function writableEntries(tensors: unknown, argName: string): { name: string; data: ArrayLike<number>; shape: number[] }[] {
  let pairs: [string, unknown][];
  if (tensors instanceof Map) pairs = [...tensors.entries()];
  else if (Array.isArray(tensors)) pairs = tensors.map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string') throw invalidArgument(`${argName}[${i}]`, 'a [name, tensor] pair', p, TypeError);
    return [p[0], p[1]];
  });
  else if (tensors !== null && typeof tensors === 'object') pairs = Object.entries(tensors);
  else throw invalidArgument(argName, 'an object, a Map or [name, tensor] pairs', tensors, TypeError);
  const seen = new Set<string>();
  return pairs.map(([name, t]) => {
    const label = `${argName}[${JSON.stringify(name)}]`;
    if (seen.has(name)) throw invalidArgument(argName, 'free of duplicate names', JSON.stringify(name), RangeError, true);
    seen.add(name);
    if (t instanceof Float64Array || t instanceof Float32Array) return { name, data: t, shape: [t.length] };
    if (Array.isArray(t)) {
      if (!t.every((x) => typeof x === 'number')) throw invalidArgument(label, 'an array of numbers (1-D) or { data, shape }', t, TypeError);
      return { name, data: t as number[], shape: [t.length] };
    }
    if (t !== null && typeof t === 'object' && 'data' in t && 'shape' in t) {
      const { data, shape } = t as { data: unknown; shape: unknown };
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw invalidArgument(`${label}.shape`, 'an array of non-negative integers', shape, TypeError);
      }
      const ok = data instanceof Float64Array || data instanceof Float32Array || (Array.isArray(data) && data.every((x) => typeof x === 'number'));
      if (!ok) throw invalidArgument(`${label}.data`, 'a Float64Array, a Float32Array or an array of numbers', data, TypeError);
      const n = numel(shape);
      const len = (data as ArrayLike<number>).length;
      if (len !== n) throw invalidArgument(`${label}.data`, `of length ${n} to match shape ${shapeText(shape)}`, `length ${len}`, RangeError, true);
      return { name, data: data as ArrayLike<number>, shape: [...shape] };
    }
    throw invalidArgument(label, 'a tensor ({ data, shape } or a typed array)', t, TypeError);
  });
}

/** Checks a writer's dtype option against the allowed list. */
export function parseWriteDtype<T extends string>(v: unknown, allowed: readonly T[], dflt: T, argName = 'options.dtype'): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalidArgument(argName, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v, typeof v === 'string' ? RangeError : TypeError);
  }
  return v as T;
}
