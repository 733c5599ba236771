/** Seeded random numbers for reproducible tests (mulberry32 + Box–Muller). */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  uniform(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  normals(n: number, scale = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = scale * this.normal();
    return out;
  }

  /** A random covariance A Aᵀ / r + diag·I of size n with rank ≤ r (+ n if diag > 0). */
  covariance(n: number, r: number, diag = 0): Float64Array {
    const A = this.normals(n * r);
    const C = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let q = 0; q < r; q++) v += A[i * r + q] * A[j * r + q];
        C[i * n + j] = v / r + (i === j ? diag : 0);
      }
    }
    return C;
  }
}
