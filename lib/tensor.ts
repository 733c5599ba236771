/**
 * Tensor inputs: `{ data, shape }` row-major with Float64Array or Float32Array data, plain or
 * nested number arrays. Everything becomes a Float64Array the backends read and never write;
 * a caller's Float64Array is used in place (no copy), anything else is copied.
 */
import { argumentError, invalidArgument } from './errors';

export type NestedArray = number | readonly NestedArray[];

/** A row-major tensor. */
export interface Tensor {
  /** Row-major values. */
  data: Float64Array | Float32Array;
  /** Dimensions; their product is data.length. */
  shape: readonly number[];
}

/** What the API accepts as a tensor: `{ data, shape }`, a 1-D typed array, or nested arrays of numbers. */
export type TensorLike = Tensor | Float64Array | Float32Array | readonly NestedArray[];

/** A parsed tensor: float64 data in row-major order and its shape. */
export interface F64Tensor {
  data: Float64Array;
  shape: number[];
}

export function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

function nestedShape(v: unknown, name: string): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  if (shape.length === 0 || (typeof cur !== 'number' && shape[shape.length - 1] !== 0)) {
    throw invalidArgument(name, 'a tensor ({ data, shape }, a typed array, or nested arrays of numbers)', v, TypeError);
  }
  return shape;
}

function flattenNested(v: readonly NestedArray[], shape: number[], name: string): Float64Array {
  const total = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(total);
  let pos = 0;
  const walk = (node: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw invalidArgument(`${name}${path.map((i) => `[${i}]`).join('')}`, 'a number', node, TypeError);
      }
      out[pos++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw invalidArgument(
        `${name}${path.map((i) => `[${i}]`).join('')}`,
        `an array of length ${shape[depth]} (nested arrays must be rectangular)`,
        node,
        TypeError,
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, [...path, i]);
  };
  walk(v, 0, []);
  return out;
}

/** Parses any accepted tensor form; checks that every entry is finite. */
export function toTensor(value: unknown, name: string): F64Tensor {
  let data: Float64Array;
  let shape: number[];
  if (value instanceof Float64Array || value instanceof Float32Array) {
    data = value instanceof Float64Array ? value : Float64Array.from(value);
    shape = [value.length];
  } else if (Array.isArray(value)) {
    shape = nestedShape(value, name);
    data = flattenNested(value, shape, name);
  } else if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
    const t = value as { data: unknown; shape: unknown };
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw invalidArgument(`${name}.shape`, 'an array of non-negative integers', t.shape, TypeError);
    }
    shape = [...(t.shape as number[])];
    if (t.data instanceof Float64Array) data = t.data;
    else if (t.data instanceof Float32Array) data = Float64Array.from(t.data);
    else if (Array.isArray(t.data) && t.data.every((x) => typeof x === 'number')) data = Float64Array.from(t.data as number[]);
    else throw invalidArgument(`${name}.data`, 'a Float64Array, a Float32Array or an array of numbers', t.data, TypeError);
    const total = shape.reduce((a, b) => a * b, 1);
    if (data.length !== total) {
      throw invalidArgument(`${name}.data`, `of length ${total} to match shape ${shapeText(shape)}`, `length ${data.length}`, RangeError, true);
    }
  } else {
    throw invalidArgument(name, 'a tensor ({ data, shape }, a typed array, or nested arrays of numbers)', value, TypeError);
  }
  assertFinite(data, shape, name);
  return { data, shape };
}

function assertFinite(data: Float64Array, shape: number[], name: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const index: number[] = [];
      let rest = i;
      for (let d = shape.length - 1; d >= 0; d--) {
        index.unshift(rest % shape[d]);
        rest = Math.floor(rest / shape[d]);
      }
      throw invalidArgument(name, 'finite everywhere', `${data[i]} at index ${shapeText(index)}`, RangeError, true);
    }
  }
}

/**
 * Checks a parsed tensor's shape against named dimensions, e.g. expectShape(W2, 'W2',
 * ['out', 'hidden'], [10, 256]) → "W2 must have shape [out, hidden] = [10, 256], got [10, 255]".
 * A null expected size accepts any size for that dimension.
 */
export function expectShape(t: F64Tensor, name: string, labels: string[], sizes: (number | null)[]): void {
  const ok = t.shape.length === labels.length && sizes.every((s, i) => s === null || t.shape[i] === s);
  if (!ok) {
    const want = sizes.map((s, i) => (s === null ? labels[i] : String(s)));
    const eq = sizes.some((s) => s !== null) ? ` = ${shapeText(want)}` : '';
    throw argumentError(name, `have shape ${shapeText(labels)}${eq}`, shapeText(t.shape));
  }
}

/** Wraps float64 data as a tensor for results. */
export function tensor(data: Float64Array, shape: number[]): { data: Float64Array; shape: number[] } {
  return { data, shape };
}
