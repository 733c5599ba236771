/**
 * Training the paper's MNIST model (§4.1) in TypeScript: a 784→256→10 ReLU MLP, softmax
 * cross-entropy, AdamW (β = 0.9, 0.999, ε = 1e-8, decoupled weight decay 0.1 on every parameter,
 * as PyTorch's AdamW) with a linear warmup over the first 1,000 steps, batch 64, reshuffled each
 * epoch. The paper uses the schedule-free variant of AdamW; plain AdamW with a constant rate after
 * warmup is the closest schedule without the extra averaging state. Every product is
 * pa.linalg.gemm (OpenBLAS dgemm on the native backend); everything else is O(batch·hidden).
 */
import * as pa from '../../lib/index';
import { permutation } from './data';

export interface Mlp {
  in: number;
  hidden: number;
  out: number;
  W1: Float64Array;
  b1: Float64Array;
  W2: Float64Array;
  b2: Float64Array;
}

export interface TrainOptions {
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  seed: number;
  /** Steps (0 = the initialization) at which to keep a copy of the weights. */
  checkpoints: number[];
  /** Called every `every` steps and at the end with the running training loss and accuracy. */
  onProgress?: (step: number, loss: number, acc: number) => void;
  every?: number;
}

export interface Checkpoint {
  step: number;
  net: Mlp;
}

/** PyTorch's nn.Linear initialization: weights and biases uniform in ±1/√fan_in. */
export function initMlp(n: number, hidden: number, out: number, rng: pa.SeededRandom): Mlp {
  const u = (len: number, fanIn: number) => Float64Array.from({ length: len }, () => (2 * rng.uniform() - 1) / Math.sqrt(fanIn));
  return { in: n, hidden, out, W1: u(hidden * n, n), b1: u(hidden, n), W2: u(out * hidden, hidden), b2: u(out, hidden) };
}

export function cloneMlp(m: Mlp): Mlp {
  return { ...m, W1: m.W1.slice(), b1: m.b1.slice(), W2: m.W2.slice(), b2: m.b2.slice() };
}

/** The library's MlpSpec for a network. */
export function spec(m: Mlp): pa.MlpSpec {
  return {
    W1: { data: m.W1, shape: [m.hidden, m.in] },
    b1: m.b1,
    W2: { data: m.W2, shape: [m.out, m.hidden] },
    b2: m.b2,
    act: 'relu',
  };
}

class AdamW {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  constructor(
    private readonly p: Float64Array,
    private readonly wd: number,
  ) {
    this.m = new Float64Array(p.length);
    this.v = new Float64Array(p.length);
  }

  step(g: Float64Array, lr: number, t: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    // lr·m̂/(√v̂ + ε) with the bias corrections folded into two scalars (one sqrt, one division
    // per parameter): m̂ = m/c1, √v̂ = √v/√c2.
    const c1 = 1 - b1 ** t;
    const rc2 = Math.sqrt(1 - b2 ** t);
    const stepSize = (lr * rc2) / c1;
    const eps = 1e-8 * rc2;
    const { p, m, v } = this;
    const decay = 1 - lr * this.wd;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
      const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
      p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) + eps);
    }
  }
}

/**
 * Trains `net` in place on (x, y) and returns copies of the weights at the requested steps.
 * Yields to the event loop at each progress report, so output reaches a pipe as it happens.
 * @param x training images [rows, in]; y their labels.
 */
export async function train(net: Mlp, x: Float64Array, y: Int32Array, rows: number, o: TrainOptions): Promise<Checkpoint[]> {
  const { in: n, hidden: h, out } = net;
  const B = o.batch;
  const rng = new pa.SeededRandom(o.seed);
  const params = [net.W1, net.b1, net.W2, net.b2];
  const opt = params.map((p) => new AdamW(p, o.weightDecay));
  const want = new Set(o.checkpoints);
  const saved: Checkpoint[] = [];
  if (want.has(0)) saved.push({ step: 0, net: cloneMlp(net) });
  const Xb = new Float64Array(B * n);
  const yb = new Int32Array(B);
  const db1 = new Float64Array(h);
  const db2 = new Float64Array(out);
  let order = permutation(rows, rng);
  let pos = 0;
  let lossSum = 0;
  let hitSum = 0;
  let seen = 0;
  const every = o.every ?? 250;
  for (let t = 1; t <= o.steps; t++) {
    for (let i = 0; i < B; i++) {
      if (pos === rows) {
        order = permutation(rows, rng);
        pos = 0;
      }
      const r = order[pos++];
      Xb.set(x.subarray(r * n, (r + 1) * n), i * n);
      yb[i] = y[r];
    }
    const X = { data: Xb, shape: [B, n] };
    // Forward: Z1 = X W1ᵀ + b1, H = relu(Z1), Z2 = H W2ᵀ + b2.
    const Z1 = pa.linalg.gemm(X, { data: net.W1, shape: [h, n] }, { transB: true }).data;
    for (let i = 0; i < B; i++) for (let j = 0; j < h; j++) Z1[i * h + j] = Math.max(Z1[i * h + j] + net.b1[j], 0);
    const H = { data: Z1, shape: [B, h] };
    const Z2 = pa.linalg.gemm(H, { data: net.W2, shape: [out, h] }, { transB: true }).data;
    // Softmax cross-entropy; G2 = (softmax − onehot) / B is dLoss/dZ2.
    for (let i = 0; i < B; i++) {
      const z = Z2.subarray(i * out, (i + 1) * out);
      let mx = -Infinity;
      let arg = 0;
      for (let j = 0; j < out; j++) {
        z[j] += net.b2[j];
        if (z[j] > mx) {
          mx = z[j];
          arg = j;
        }
      }
      let s = 0;
      for (let j = 0; j < out; j++) s += Math.exp(z[j] - mx);
      lossSum += Math.log(s) + mx - z[yb[i]];
      if (arg === yb[i]) hitSum++;
      for (let j = 0; j < out; j++) z[j] = (Math.exp(z[j] - mx) / s - (j === yb[i] ? 1 : 0)) / B;
    }
    seen += B;
    const G2 = { data: Z2, shape: [B, out] };
    const dW2 = pa.linalg.gemm(G2, H, { transA: true }).data;
    db2.fill(0);
    for (let i = 0; i < B; i++) for (let j = 0; j < out; j++) db2[j] += Z2[i * out + j];
    const dH = pa.linalg.gemm(G2, { data: net.W2, shape: [out, h] }).data;
    db1.fill(0);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < h; j++) {
        const q = i * h + j;
        if (Z1[q] <= 0) dH[q] = 0; // relu'(z) = 0 where the unit was off (H = 0 there)
        db1[j] += dH[q];
      }
    }
    const dW1 = pa.linalg.gemm({ data: dH, shape: [B, h] }, X, { transA: true }).data;
    const lr = o.lr * Math.min(1, t / o.warmup);
    const grads = [dW1, db1, dW2, db2];
    opt.forEach((a, i) => a.step(grads[i], lr, t));
    if (want.has(t)) saved.push({ step: t, net: cloneMlp(net) });
    if (o.onProgress && (t % every === 0 || t === o.steps)) {
      o.onProgress(t, lossSum / seen, hitSum / seen);
      lossSum = 0;
      hitSum = 0;
      seen = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return saved;
}
