/**
 * Direct float64 evaluation of MLPs and GLUs for Monte Carlo checks, independent of the
 * library's fitting code.
 */
import { erfc } from '../../lib/js/normal';

export function activation(name: string, y: number, p: { threshold?: number; slope?: number } = {}): number {
  switch (name) {
    case 'relu':
      return y > 0 ? y : 0;
    case 'gelu':
      return y * 0.5 * erfc(-y / Math.SQRT2);
    case 'identity':
      return y;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-y));
    case 'swish':
    case 'silu':
      return y / (1 + Math.exp(-y));
    case 'tanh':
      return Math.tanh(y);
    case 'jump_relu':
      return y > (p.threshold ?? 1) ? y : 0;
    case 'leaky_relu':
      return y > 0 ? y : (p.slope ?? 0.01) * y;
    case 'softplus':
      return y > 0 ? y + Math.log1p(Math.exp(-y)) : Math.log1p(Math.exp(y));
    default:
      throw new Error(`unknown activation ${name}`);
  }
}

export interface Mlp {
  W1: Float64Array;
  b1: Float64Array;
  W2: Float64Array;
  b2: Float64Array;
  in: number;
  hidden: number;
  out: number;
  act: string;
}

export interface Glu {
  W: Float64Array;
  V: Float64Array;
  b1: Float64Array;
  b2: Float64Array;
  W2: Float64Array | null;
  in: number;
  hidden: number;
  out: number;
  act: string;
}

/** f(x) for each row of X [rows, in] → [rows, out]. */
export function evalMlp(net: Mlp, X: Float64Array, rows: number): Float64Array {
  const { in: n, hidden: h, out } = net;
  const Y = new Float64Array(rows * out);
  const a = new Float64Array(h);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < h; i++) {
      let v = net.b1[i];
      for (let j = 0; j < n; j++) v += net.W1[i * n + j] * X[r * n + j];
      a[i] = activation(net.act, v);
    }
    for (let o = 0; o < out; o++) {
      let v = net.b2[o];
      for (let i = 0; i < h; i++) v += net.W2[o * h + i] * a[i];
      Y[r * out + o] = v;
    }
  }
  return Y;
}

export function evalGlu(net: Glu, X: Float64Array, rows: number): Float64Array {
  const { in: n, hidden: h, out } = net;
  const Y = new Float64Array(rows * out);
  const g = new Float64Array(h);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < h; i++) {
      let y = net.b1[i];
      let z = net.b2[i];
      for (let j = 0; j < n; j++) {
        y += net.W[i * n + j] * X[r * n + j];
        z += net.V[i * n + j] * X[r * n + j];
      }
      g[i] = activation(net.act, y) * z;
    }
    if (!net.W2) {
      Y.set(g, r * out);
      continue;
    }
    for (let o = 0; o < out; o++) {
      let v = 0;
      for (let i = 0; i < h; i++) v += net.W2[o * h + i] * g[i];
      Y[r * out + o] = v;
    }
  }
  return Y;
}
