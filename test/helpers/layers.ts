/** Seeded random layers and input laws shared by the fitting tests. */
import type { Glu, Mlp } from './networks';
import { Rng } from './random';

export function randomMlp(rng: Rng, n: number, h: number, out: number, act: string, scale = 1): Mlp {
  return {
    in: n,
    hidden: h,
    out,
    act,
    W1: rng.normals(h * n, scale / Math.sqrt(n)),
    b1: rng.normals(h, 0.5),
    W2: rng.normals(out * h, 1 / Math.sqrt(h)),
    b2: rng.normals(out, 0.1),
  };
}

export function randomGlu(rng: Rng, n: number, h: number, out: number | null, act: string): Glu {
  return {
    in: n,
    hidden: h,
    out: out ?? h,
    act,
    W: rng.normals(h * n, 1 / Math.sqrt(n)),
    V: rng.normals(h * n, 1 / Math.sqrt(n)),
    b1: rng.normals(h, 0.5),
    b2: rng.normals(h, 0.5),
    W2: out === null ? null : rng.normals(out * h, 1 / Math.sqrt(h)),
  };
}

export function mlpSpec(net: Mlp) {
  return {
    W1: { data: net.W1, shape: [net.hidden, net.in] },
    b1: net.b1,
    W2: { data: net.W2, shape: [net.out, net.hidden] },
    b2: net.b2,
    act: net.act as 'relu',
  };
}

export function gluSpec(net: Glu) {
  return {
    W: { data: net.W, shape: [net.hidden, net.in] },
    V: { data: net.V, shape: [net.hidden, net.in] },
    b1: net.b1,
    b2: net.b2,
    W2: net.W2 ? { data: net.W2, shape: [net.out, net.hidden] } : undefined,
    act: net.act as 'relu',
  };
}

/** A K-component mixture with unequal weights; component `singular` (if any) has rank 1. */
export function randomMixture(rng: Rng, n: number, K: number, singular = -1) {
  const weights = Float64Array.from({ length: K }, (_, k) => 1 + k);
  const means = rng.normals(K * n, 0.7);
  const covs = new Float64Array(K * n * n);
  for (let k = 0; k < K; k++) covs.set(k === singular ? rng.covariance(n, 1) : rng.covariance(n, n + 2, 0.05), k * n * n);
  return { weights, means, covs };
}
