/** Seeded random numbers for reproducible tests: the library's stream plus test conveniences. */
import { SeededRandom } from '../../lib/js/random';

export class Rng extends SeededRandom {
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
