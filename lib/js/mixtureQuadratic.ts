/**
 * Exact least-squares quadratic approximants under a K-component Gaussian mixture, matrix-free
 * (DESIGN §3.3). Unknowns per output: c, β [in], symmetric Γ [in, in]; q(x) = c + βᵀx + xᵀΓx.
 * The normal equations Σ_k π_k A_k(q) = Σ_k π_k A_k(q_k), with A_k(q) = (E_k q, E_k[x q],
 * E_k[x xᵀ q]) and q_k component k's own degree-2 approximant (DESIGN §3.2), are solved by
 * preconditioned conjugate gradients, all outputs at once (their Γ's stack to [out·in, in], so
 * every product is one large GEMM).
 *
 * A_k by Isserlis, with u = x − μ, S = Σ_k and q rewritten as c̃ + β̃ᵀu + uᵀΓu
 * (c̃ = c + βᵀμ + μᵀΓμ, β̃ = β + 2Γμ):
 *   m0 = E q = c̃ + tr(ΓS),  m1 = E[u q] = S β̃,  m2 = E[u uᵀ q] = m0 S + 2 SΓS,
 * and back to raw moments E[x q] = m1 + μ m0, E[x xᵀ q] = m2 + m1μᵀ + μm1ᵀ + m0 μμᵀ.
 *
 * Preconditioner: the inverse of the moment-matched single Gaussian N(μ̄, Σ̄)'s own operator
 * A_0 = Bᵀ Cᵀ D C B, where B is the recentering (c, β, Γ) → (c̃, β̃, Γ) about μ̄ (its adjoint is
 * the centered → raw moment map above), C takes (c̃, β̃, Γ) to Hermite coordinates
 * (h0 = c̃ + tr(ΓΣ̄), β̃, Γ), and D = diag(1, Σ̄, 2 Σ̄ · Σ̄) is the Gram operator of the Hermite
 * basis. Hence A_0⁺ = B⁻¹ C⁻¹ D⁺ C⁻ᵀ B⁻ᵀ:
 *   centered moments m0, m1 = v − μ̄m0, m2 = T − m1μ̄ᵀ − μ̄m1ᵀ − m0μ̄μ̄ᵀ;
 *   β̃ = Σ̄⁺ m1, Γ = ½ Σ̄⁺ (m2 − m0 Σ̄) Σ̄⁺, c̃ = m0 − tr(ΓΣ̄);
 *   β = β̃ − 2Γμ̄, c = c̃ − βᵀμ̄ − μ̄ᵀΓμ̄,
 * with Σ̄⁺ the eigen-cutoff pseudo-inverse (eigenvalues ≤ rcond·λ_max dropped). It is symmetric
 * PSD, exact for K = 1 (one iteration), and its null space (quadratics vanishing on the affine
 * hull of the data) lies inside the mixture operator's, so PCG from zero converges on singular
 * mixtures to the least-squares solution of least E_N̄[q²]-norm ("minimum-norm on the reachable
 * span"); a ridge > 0 adds ridge·I instead.
 */
import { componentMoments, FitOptions, GluData, InputData, MlpData, SolveInfo } from './fit';
import { gemm as jsGemm, symmetricEigen } from './linalg';
import type { QuadraticFitData } from './quadratic';
import { gluQuadraticFit, mlpQuadraticFit } from './quadratic';

/** C [m, n] = alpha op(A) op(B) + beta C (row-major), as lib/js/linalg.ts's gemm. */
export type GemmFn = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  B: Float64Array,
  beta: number,
  C: Float64Array,
) => void;

/** A single-Gaussian degree-2 fit in compact form (alpha [out], beta [in, out], a, b [out, hidden]). */
export interface CompactQuadratic {
  alpha: Float64Array;
  beta: Float64Array;
  a: Float64Array;
  b: Float64Array | null;
}

export interface MixtureSolveOptions {
  ridge: number;
  rcond: number;
  /** Relative residual ‖b − Mz‖/‖b‖ (max over outputs) to stop at. */
  tol: number;
  maxIter: number;
  /** Bytes the solve may allocate (checked before allocating). */
  memoryLimit: number;
  onProgress?: ((p: { iter: number; residual: number }) => void) | null;
  signal?: AbortSignal | null;
  /** The large products (native BLAS through the addon, or the JS gemm). */
  gemm?: GemmFn;
  /** Component k's single-Gaussian fit (default: the JS fit). */
  componentFit?: (k: number, dist: InputData) => CompactQuadratic;
}

export interface MixtureSolveInfo extends SolveInfo {
  method: 'mixture-cg';
  iterations: number;
  residual: number;
  converged: boolean;
  seconds: number;
  preconditioner: 'moment-matched-gaussian';
}

export const MIXTURE_DEFAULTS = { tol: 1e-8, maxIter: 500, memoryLimit: 4 * 2 ** 30 };

/** Stacks of quadratics, one per output: c [out], b [out, in], G [out, in, in] (symmetric). */
interface Quad {
  c: Float64Array;
  b: Float64Array;
  G: Float64Array;
}

function newQuad(out: number, n: number): Quad {
  return { c: new Float64Array(out), b: new Float64Array(out * n), G: new Float64Array(out * n * n) };
}

/** Float64 stacks the solve holds at once (z, r, y, p, w, rhs, q_k, two GEMM scratch). */
const STACKS = 9;

/** Bytes the mixture solve allocates: STACKS quadratic stacks plus a few [in, in] matrices. */
export function mixtureMemoryEstimate(n: number, out: number, K: number): number {
  return 8 * (STACKS * out * (n * n + n + 1) + (K + 5) * n * n);
}

/** Per-output [in, in] blocks transposed in place of a copy: Q_o = P_oᵀ. */
function blockTranspose(out: number, n: number, P: Float64Array, Q: Float64Array): void {
  for (let o = 0; o < out; o++) {
    const off = o * n * n;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Q[off + j * n + i] = P[off + i * n + j];
  }
}

interface Component {
  w: number;
  mu: Float64Array;
  S: Float64Array;
}

/**
 * The mixture moment operator: Y = Σ_k π_k A_k(Z) (+ ridge·Z); `comps` may be a single
 * component (the right-hand side). Scratch P, Q are [out·in, in].
 */
class MomentOperator {
  constructor(
    readonly n: number,
    readonly out: number,
    readonly gemm: GemmFn,
    readonly P: Float64Array,
    readonly Q: Float64Array,
  ) {}

  /** Y += w · A(Z) under N(mu, S). */
  addComponent(Z: Quad, comp: Component, Y: Quad): void {
    const { n, out, P, Q } = this;
    const { w, mu, S } = comp;
    const nn = n * n;
    // P = Γ S (stacked), Q = S Γ S.
    this.gemm(false, false, out * n, n, n, 1, Z.G, S, 0, P);
    const m0 = new Float64Array(out);
    const bt = new Float64Array(out * n);
    for (let o = 0; o < out; o++) {
      const G = o * nn;
      let tr = 0;
      for (let i = 0; i < n; i++) tr += P[G + i * n + i];
      let muGmu = 0;
      let bmu = 0;
      for (let i = 0; i < n; i++) {
        let gm = 0;
        for (let j = 0; j < n; j++) gm += Z.G[G + i * n + j] * mu[j];
        muGmu += mu[i] * gm;
        bmu += Z.b[o * n + i] * mu[i];
        bt[o * n + i] = Z.b[o * n + i] + 2 * gm;
      }
      m0[o] = Z.c[o] + bmu + muGmu + tr;
    }
    const m1 = new Float64Array(out * n);
    this.gemm(false, false, out, n, n, 1, bt, S, 0, m1);
    blockTranspose(out, n, P, Q);
    this.gemm(false, false, out * n, n, n, 1, Q, S, 0, P); // P = SΓS
    for (let o = 0; o < out; o++) {
      const G = o * nn;
      const a0 = m0[o];
      Y.c[o] += w * a0;
      for (let i = 0; i < n; i++) {
        const m1i = m1[o * n + i];
        Y.b[o * n + i] += w * (m1i + mu[i] * a0);
        const row = G + i * n;
        const si = i * n;
        for (let j = 0; j < n; j++) {
          const m1j = m1[o * n + j];
          Y.G[row + j] += w * (a0 * S[si + j] + 2 * P[row + j] + m1i * mu[j] + mu[i] * m1j + a0 * mu[i] * mu[j]);
        }
      }
    }
  }
}

/** The moment-matched Gaussian's inverse operator (see the file comment). */
class Preconditioner {
  readonly Splus: Float64Array;
  readonly rank: number;
  readonly cutoff: number;

  constructor(
    readonly n: number,
    readonly out: number,
    readonly mu: Float64Array,
    readonly S: Float64Array,
    rcond: number,
    readonly op: MomentOperator,
  ) {
    const { vals, vecs } = symmetricEigen(n, S);
    let lmax = 0;
    for (let i = 0; i < n; i++) lmax = Math.max(lmax, vals[i]);
    this.cutoff = Math.max(rcond, 1e-14) * lmax;
    const Sp = new Float64Array(n * n);
    let rank = 0;
    for (let t = 0; t < n; t++) {
      if (!(vals[t] > this.cutoff)) continue;
      rank++;
      const inv = 1 / vals[t];
      const v = t * n; // vecs rows are eigenvectors
      for (let i = 0; i < n; i++) {
        const vi = inv * vecs[v + i];
        for (let j = 0; j < n; j++) Sp[i * n + j] += vi * vecs[v + j];
      }
    }
    this.Splus = Sp;
    this.rank = rank;
  }

  /** Z = A_0⁺ R. */
  apply(R: Quad, Z: Quad): void {
    const { n, out, mu, S, Splus } = this;
    const { P, Q, gemm } = this.op;
    const nn = n * n;
    const m1 = new Float64Array(out * n);
    for (let o = 0; o < out; o++) {
      const m0 = R.c[o];
      for (let i = 0; i < n; i++) m1[o * n + i] = R.b[o * n + i] - mu[i] * m0;
      // Q = m2 − m0 S (centered second moments minus the Hermite constant's share).
      for (let i = 0; i < n; i++) {
        const row = o * nn + i * n;
        const m1i = m1[o * n + i];
        for (let j = 0; j < n; j++) {
          const m1j = m1[o * n + j];
          Q[row + j] = R.G[row + j] - m1i * mu[j] - mu[i] * m1j - m0 * mu[i] * mu[j] - m0 * S[i * n + j];
        }
      }
    }
    const bt = new Float64Array(out * n);
    gemm(false, false, out, n, n, 1, m1, Splus, 0, bt);
    gemm(false, false, out * n, n, n, 1, Q, Splus, 0, P);
    blockTranspose(out, n, P, Q);
    gemm(false, false, out * n, n, n, 0.5, Q, Splus, 0, Z.G);
    // tr(ΓS) with P = Γ S.
    gemm(false, false, out * n, n, n, 1, Z.G, S, 0, P);
    for (let o = 0; o < out; o++) {
      const G = o * nn;
      let tr = 0;
      for (let i = 0; i < n; i++) tr += P[G + i * n + i];
      const ct = R.c[o] - tr;
      let bmu = 0;
      let muGmu = 0;
      for (let i = 0; i < n; i++) {
        let gm = 0;
        for (let j = 0; j < n; j++) gm += Z.G[G + i * n + j] * mu[j];
        muGmu += mu[i] * gm;
        const bi = bt[o * n + i] - 2 * gm;
        Z.b[o * n + i] = bi;
        bmu += bi * mu[i];
      }
      Z.c[o] = ct - bmu - muGmu;
    }
  }
}

function dots(out: number, n: number, X: Quad, Y: Quad): Float64Array {
  const d = new Float64Array(out);
  const nn = n * n;
  for (let o = 0; o < out; o++) {
    let s = X.c[o] * Y.c[o];
    for (let i = 0; i < n; i++) s += X.b[o * n + i] * Y.b[o * n + i];
    for (let i = o * nn; i < (o + 1) * nn; i++) s += X.G[i] * Y.G[i];
    d[o] = s;
  }
  return d;
}

/** Y_o += s_o X_o (per output scalars). */
function axpy(out: number, n: number, s: Float64Array, X: Quad, Y: Quad): void {
  const nn = n * n;
  for (let o = 0; o < out; o++) {
    const a = s[o];
    if (a === 0) continue;
    Y.c[o] += a * X.c[o];
    for (let i = 0; i < n; i++) Y.b[o * n + i] += a * X.b[o * n + i];
    for (let i = o * nn; i < (o + 1) * nn; i++) Y.G[i] += a * X.G[i];
  }
}

function zero(Q: Quad): void {
  Q.c.fill(0);
  Q.b.fill(0);
  Q.G.fill(0);
}

function abortError(signal: AbortSignal): Error {
  const reason = (signal as { reason?: unknown }).reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error('the mixture quadratic solve was aborted');
  e.name = 'AbortError';
  (e as Error & { code?: string }).code = 'ABORT_ERR';
  return e;
}

/** Materializes component fit q_k into Z: c = alpha, b = betaᵀ, G_o = ½ Σ_i a W_iW_iᵀ + b(W_iV_iᵀ + V_iW_iᵀ)/2. */
function loadCompact(
  n: number,
  h: number,
  out: number,
  W: Float64Array,
  V: Float64Array | null,
  q: CompactQuadratic,
  gemm: GemmFn,
  Z: Quad,
): void {
  for (let o = 0; o < out; o++) {
    Z.c[o] = q.alpha[o];
    for (let i = 0; i < n; i++) Z.b[o * n + i] = q.beta[i * out + o];
  }
  const Ws = new Float64Array(h * n);
  const G = new Float64Array(n * n);
  const glu = !!(V && q.b);
  for (let o = 0; o < out; o++) {
    // MLP: G = Wᵀ diag(a/2) W. GLU: G' = Wᵀ diag(a/4) W + Vᵀ diag(b/2) W, then G = G' + G'ᵀ.
    const sa = glu ? 0.25 : 0.5;
    for (let u = 0; u < h; u++) {
      const s = sa * q.a[o * h + u];
      for (let i = 0; i < n; i++) Ws[u * n + i] = s * W[u * n + i];
    }
    gemm(true, false, n, n, h, 1, W, Ws, 0, G);
    if (glu) {
      for (let u = 0; u < h; u++) {
        const s = 0.5 * q.b![o * h + u];
        for (let i = 0; i < n; i++) Ws[u * n + i] = s * W[u * n + i];
      }
      gemm(true, false, n, n, h, 1, V!, Ws, 1, G);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) {
          const s = G[i * n + j] + G[j * n + i];
          G[i * n + j] = s;
          G[j * n + i] = s;
        }
        G[i * n + i] *= 2;
      }
    }
    Z.G.set(G, o * n * n);
  }
}

export interface MixtureProblem {
  kind: 'mlp' | 'glu';
  net: MlpData | GluData;
  dist: InputData;
  fit: FitOptions;
  opt: MixtureSolveOptions;
}

/** The solver's state between iterations (sync and async drivers share it). */
class Solver {
  readonly n: number;
  readonly out: number;
  readonly comps: Component[];
  readonly op: MomentOperator;
  readonly pre: Preconditioner;
  readonly z: Quad;
  readonly r: Quad;
  readonly y: Quad;
  readonly p: Quad;
  readonly w: Quad;
  readonly rhs: Quad;
  readonly bnorm: Float64Array;
  rho: Float64Array;
  active: boolean[];
  iter = 0;
  residual = 1;
  readonly t0 = Date.now();
  readonly gemm: GemmFn;

  constructor(readonly prob: MixtureProblem) {
    const { net, dist, opt, fit } = prob;
    const n = net.in;
    const out = net.out;
    const K = dist.K;
    this.n = n;
    this.out = out;
    const est = mixtureMemoryEstimate(n, out, K);
    if (est > opt.memoryLimit) {
      const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
      throw new RangeError(
        `the exact mixture quadratic (in = ${n}, out = ${out}, K = ${K}) needs about ${gib(est)} ` +
          `(${STACKS} stacks of out·in² float64), above options.memoryLimit = ${gib(opt.memoryLimit)}; ` +
          'raise options.memoryLimit or fit fewer outputs at a time',
      );
    }
    const gemm = opt.gemm ?? (jsGemm as GemmFn);
    this.gemm = gemm;
    // Components and the moment-matched Gaussian.
    let wsum = 0;
    for (let k = 0; k < K; k++) wsum += dist.weights ? dist.weights[k] : 1;
    const comps: Component[] = [];
    const mubar = new Float64Array(n);
    for (let k = 0; k < K; k++) {
      const w = (dist.weights ? dist.weights[k] : 1) / wsum;
      const mu = dist.means ? dist.means.slice(k * n, (k + 1) * n) : new Float64Array(n);
      let S: Float64Array;
      if (dist.covs) S = dist.covs.slice(k * n * n, (k + 1) * n * n);
      else {
        S = new Float64Array(n * n);
        for (let i = 0; i < n; i++) S[i * n + i] = 1;
      }
      // The same PSD check as the single-Gaussian fits (throws NotPsdError naming component k).
      componentMoments({ in: n, K: 1, weights: null, means: mu, covs: S }, 0, fit.psdTol);
      comps.push({ w, mu, S });
      for (let i = 0; i < n; i++) mubar[i] += w * mu[i];
    }
    this.comps = comps;
    const Sbar = new Float64Array(n * n);
    for (const c of comps) {
      for (let i = 0; i < n; i++) {
        const di = c.mu[i] - mubar[i];
        for (let j = 0; j < n; j++) Sbar[i * n + j] += c.w * (c.S[i * n + j] + di * (c.mu[j] - mubar[j]));
      }
    }
    this.op = new MomentOperator(n, out, gemm, new Float64Array(out * n * n), new Float64Array(out * n * n));
    this.pre = new Preconditioner(n, out, mubar, Sbar, opt.rcond, this.op);
    this.z = newQuad(out, n);
    this.r = newQuad(out, n);
    this.y = newQuad(out, n);
    this.p = newQuad(out, n);
    this.w = newQuad(out, n);
    this.rhs = newQuad(out, n);
    // Right-hand side Σ_k π_k A_k(q_k), q_k loaded into w as scratch.
    const h = net.hidden;
    const W = prob.kind === 'glu' ? (net as GluData).W : (net as MlpData).W1;
    const V = prob.kind === 'glu' ? (net as GluData).V : null;
    const componentFit =
      opt.componentFit ??
      ((_k: number, d: InputData): CompactQuadratic =>
        prob.kind === 'glu' ? gluQuadraticFit(net as GluData, d, fit) : mlpQuadraticFit(net as MlpData, d, fit));
    for (let k = 0; k < K; k++) {
      const c = comps[k];
      const qk = componentFit(k, { in: n, K: 1, weights: null, means: c.mu, covs: c.S });
      loadCompact(n, h, out, W, V, qk, gemm, this.w);
      this.op.addComponent(this.w, c, this.rhs);
    }
    this.bnorm = dots(out, n, this.rhs, this.rhs).map(Math.sqrt);
    // z = 0, r = b, y = P r, p = y.
    this.r.c.set(this.rhs.c);
    this.r.b.set(this.rhs.b);
    this.r.G.set(this.rhs.G);
    this.pre.apply(this.r, this.y);
    this.p.c.set(this.y.c);
    this.p.b.set(this.y.b);
    this.p.G.set(this.y.G);
    this.rho = dots(out, n, this.r, this.y);
    this.active = Array.from(this.bnorm, (b) => b > 0);
    this.residual = this.active.some((a) => a) ? 1 : 0;
  }

  apply(Z: Quad, Y: Quad): void {
    zero(Y);
    for (const c of this.comps) this.op.addComponent(Z, c, Y);
    const ridge = this.prob.opt.ridge;
    if (ridge > 0) {
      const s = new Float64Array(this.out).fill(ridge);
      axpy(this.out, this.n, s, Z, Y);
    }
  }

  done(): boolean {
    return this.residual <= this.prob.opt.tol || this.iter >= this.prob.opt.maxIter || !this.active.some((a) => a);
  }

  /** One PCG iteration over all still-active outputs. */
  step(): void {
    const { out, n } = this;
    this.apply(this.p, this.w);
    const pw = dots(out, n, this.p, this.w);
    const alpha = new Float64Array(out);
    const malpha = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      if (!this.active[o] || !(pw[o] > 0)) {
        this.active[o] = false;
        continue;
      }
      alpha[o] = this.rho[o] / pw[o];
      malpha[o] = -alpha[o];
    }
    axpy(out, n, alpha, this.p, this.z);
    axpy(out, n, malpha, this.w, this.r);
    const rr = dots(out, n, this.r, this.r);
    let worst = 0;
    for (let o = 0; o < out; o++) {
      if (this.bnorm[o] === 0) continue;
      const res = Math.sqrt(rr[o]) / this.bnorm[o];
      if (res <= this.prob.opt.tol) this.active[o] = false;
      worst = Math.max(worst, res);
    }
    this.iter++;
    this.residual = worst;
    this.pre.apply(this.r, this.y);
    const rho = dots(out, n, this.r, this.y);
    const beta = new Float64Array(out);
    for (let o = 0; o < out; o++) beta[o] = this.active[o] && this.rho[o] > 0 ? rho[o] / this.rho[o] : 0;
    this.rho = rho;
    // p = y + beta p
    const nn = n * n;
    for (let o = 0; o < out; o++) {
      if (!this.active[o]) continue;
      const bo = beta[o];
      this.p.c[o] = this.y.c[o] + bo * this.p.c[o];
      for (let i = o * n; i < (o + 1) * n; i++) this.p.b[i] = this.y.b[i] + bo * this.p.b[i];
      for (let i = o * nn; i < (o + 1) * nn; i++) this.p.G[i] = this.y.G[i] + bo * this.p.G[i];
    }
  }

  /** The true residual (recomputed), and the result in QuadraticFitData form. */
  finish(): QuadraticFitData {
    const { out, n } = this;
    this.apply(this.z, this.w);
    let worst = 0;
    const nn = n * n;
    for (let o = 0; o < out; o++) {
      if (this.bnorm[o] === 0) continue;
      let s = (this.rhs.c[o] - this.w.c[o]) ** 2;
      for (let i = o * n; i < (o + 1) * n; i++) s += (this.rhs.b[i] - this.w.b[i]) ** 2;
      for (let i = o * nn; i < (o + 1) * nn; i++) s += (this.rhs.G[i] - this.w.G[i]) ** 2;
      worst = Math.max(worst, Math.sqrt(s) / this.bnorm[o]);
    }
    this.residual = worst;
    const beta = new Float64Array(n * out);
    for (let o = 0; o < out; o++) for (let i = 0; i < n; i++) beta[i * out + o] = this.z.b[o * n + i];
    const opt = this.prob.opt;
    const solve: MixtureSolveInfo = {
      method: 'mixture-cg',
      preconditioner: 'moment-matched-gaussian',
      iterations: this.iter,
      residual: worst,
      converged: worst <= opt.tol * 10,
      seconds: (Date.now() - this.t0) / 1000,
      ridge: opt.ridge,
      rank: this.pre.rank,
      cutoff: this.pre.cutoff,
      rcond: opt.rcond,
    };
    return {
      in: n,
      hidden: 0,
      out,
      alpha: this.z.c,
      beta,
      W: new Float64Array(0),
      V: null,
      a: new Float64Array(0),
      b: null,
      dense: this.z.G,
      solve,
    };
  }
}

function progress(s: Solver): void {
  s.prob.opt.onProgress?.({ iter: s.iter, residual: s.residual });
}

/** The exact mixture quadratic, synchronously (progress reported every iteration). */
export function mixtureQuadraticFit(prob: MixtureProblem): QuadraticFitData {
  const signal = prob.opt.signal;
  if (signal?.aborted) throw abortError(signal);
  const s = new Solver(prob);
  while (!s.done()) {
    if (signal?.aborted) throw abortError(signal);
    s.step();
    progress(s);
  }
  return s.finish();
}

/** As mixtureQuadraticFit, yielding to the event loop between iterations (abortable). */
export async function mixtureQuadraticFitAsync(prob: MixtureProblem): Promise<QuadraticFitData> {
  const signal = prob.opt.signal;
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  await tick();
  if (signal?.aborted) throw abortError(signal);
  const s = new Solver(prob);
  while (!s.done()) {
    await tick();
    if (signal?.aborted) throw abortError(signal);
    s.step();
    progress(s);
  }
  return s.finish();
}
