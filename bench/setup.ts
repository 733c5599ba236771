/** Seeded random layers and inputs shared by the benchmarks (never timed). */
import * as pa from '../lib/index';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296 - 0.5;
  };
}

export function randomArray(n: number, scale: number, r: () => number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * r();
  return a;
}

export function randomMlp(n: number, h: number, out: number, seed: number) {
  const r = rng(seed);
  return {
    W1: { data: randomArray(h * n, 2 / Math.sqrt(n), r), shape: [h, n] },
    b1: randomArray(h, 0.2, r),
    W2: { data: randomArray(out * h, 2 / Math.sqrt(h), r), shape: [out, h] },
    b2: randomArray(out, 0.2, r),
    act: 'relu' as const,
  };
}

/** A full-rank covariance A Aᵀ/n + 0.01 I (built with the native gemm). */
export function randomCovariance(n: number, r: () => number): Float64Array {
  const A = { data: randomArray(n * n, 1, r), shape: [n, n] };
  const C = pa.linalg.gemm(A, A, { transB: true, alpha: 1 / n, backend: 'native' }).data;
  for (let i = 0; i < n; i++) C[i * n + i] += 0.01;
  return C;
}

export function gaussianInput(n: number, seed: number) {
  const r = rng(seed);
  return { type: 'gaussian' as const, mean: randomArray(n, 0.5, r), cov: { data: randomCovariance(n, r), shape: [n, n] } };
}

export function mixtureInput(n: number, K: number, seed: number) {
  const r = rng(seed);
  const covs = new Float64Array(K * n * n);
  for (let k = 0; k < K; k++) covs.set(randomCovariance(n, r), k * n * n);
  return {
    type: 'mixture' as const,
    weights: Float64Array.from({ length: K }, (_, k) => 1 + (k % 3)),
    means: { data: randomArray(K * n, 0.5, r), shape: [K, n] },
    covs: { data: covs, shape: [K, n, n] },
  };
}
