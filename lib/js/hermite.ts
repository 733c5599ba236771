/**
 * Compact degree-n approximants under one Gaussian: the JS fallback's version of
 * native/core/hermite.cpp (same steps, same names). See hermite.hpp for the derivation.
 */
import { MAX_DERIV_ORDER } from '../activation';
import { componentMoments, FitOptions, GluData, gluUnits, InputData, MlpData, mlpUnits, SolveInfo } from './fit';
import { gemm } from './linalg';

export interface CompactFitData {
  in: number;
  hidden: number;
  out: number;
  degree: number;
  glu: boolean;
  W: Float64Array;
  b1: Float64Array;
  V: Float64Array | null;
  b2: Float64Array | null;
  /** [out, hidden], or null when the GLU's outputs are its units. */
  W2: Float64Array | null;
  biasOut: Float64Array;
  m: Float64Array;
  s2: Float64Array;
  /** [hidden, degree + 1] */
  coef: Float64Array;
  mz: Float64Array | null;
  kappa: Float64Array | null;
  /** [hidden, degree] */
  coefR: Float64Array | null;
  solve: SolveInfo;
}

function checkDegree(dist: InputData, degree: number, maxDegree: number): void {
  if (dist.K !== 1) throw new RangeError('compact degree-n fits need a single Gaussian input (K = 1)');
  if (degree < 1 || degree > maxDegree) throw new RangeError('degree out of range');
}

function orZeros(a: Float64Array | null, n: number): Float64Array {
  return a ? a.slice() : new Float64Array(n);
}

export function mlpCompactFit(net: MlpData, dist: InputData, degree: number, opt: FitOptions): CompactFitData {
  checkDegree(dist, degree, MAX_DERIV_ORDER);
  const { in: n, hidden: h } = net;
  const c = componentMoments(dist, 0, opt.psdTol);
  const u = mlpUnits(net, c, degree);
  const s2 = new Float64Array(h);
  const coef = new Float64Array(h * (degree + 1));
  for (let i = 0; i < h; i++) {
    s2[i] = u.gate.s[i] * u.gate.s[i];
    let fact = 1;
    for (let k = 0; k <= degree; k++) {
      if (k > 0) fact *= k;
      coef[i * (degree + 1) + k] = u.e[i * (degree + 1) + k] / fact;
    }
  }
  return {
    in: n,
    hidden: h,
    out: net.out,
    degree,
    glu: false,
    W: net.W1.slice(),
    b1: orZeros(net.b1, h),
    V: null,
    b2: null,
    W2: net.W2.slice(),
    biasOut: orZeros(net.b2, net.out),
    m: u.gate.m,
    s2,
    coef,
    mz: null,
    kappa: null,
    coefR: null,
    solve: { method: 'stein', rank: c.rank, cutoff: 0, rcond: opt.rcond, ridge: opt.ridge },
  };
}

export function gluCompactFit(net: GluData, dist: InputData, degree: number, opt: FitOptions): CompactFitData {
  checkDegree(dist, degree, MAX_DERIV_ORDER - 1);
  const { in: n, hidden: h } = net;
  const w = degree + 2;
  const c = componentMoments(dist, 0, opt.psdTol);
  const u = gluUnits(net, c, degree + 1);
  const value = u.value!;
  const cross = u.cross!;
  const s2 = new Float64Array(h);
  const kappa = new Float64Array(h);
  const coef = new Float64Array(h * (degree + 1));
  const coefR = new Float64Array(h * degree);
  for (let i = 0; i < h; i++) {
    const v = u.gate.s[i] * u.gate.s[i];
    const ci = cross[i];
    const kap = v > 0 ? ci / v : 0;
    s2[i] = v;
    kappa[i] = kap;
    let fact = 1;
    for (let k = 0; k <= degree; k++) {
      if (k > 0) fact *= k;
      const e = (j: number) => u.e[i * w + j];
      const a = value.m[i] * e(k) + ci * e(k + 1) + (k > 0 ? k * kap * e(k - 1) : 0);
      coef[i * (degree + 1) + k] = a / fact;
      if (k < degree) coefR[i * degree + k] = e(k) / fact;
    }
  }
  return {
    in: n,
    hidden: h,
    out: net.out,
    degree,
    glu: true,
    W: net.W.slice(),
    b1: orZeros(net.b1, h),
    V: net.V.slice(),
    b2: orZeros(net.b2, h),
    W2: net.W2 ? net.W2.slice() : null,
    biasOut: new Float64Array(net.out),
    m: u.gate.m,
    s2,
    coef,
    mz: value.m,
    kappa,
    coefR,
    solve: { method: 'stein', rank: c.rank, cutoff: 0, rcond: opt.rcond, ridge: opt.ridge },
  };
}

export function compactPredict(f: CompactFitData, rows: number, X: ArrayLike<number>): Float64Array {
  const { in: n, hidden: h, out, degree: d } = f;
  const Y = new Float64Array(rows * h);
  gemm(false, true, rows, h, n, 1, X, f.W, 0, Y);
  let Zv: Float64Array | null = null;
  if (f.glu && f.V) {
    Zv = new Float64Array(rows * h);
    gemm(false, true, rows, h, n, 1, X, f.V, 0, Zv);
  }
  const H = new Float64Array(d + 1);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < h; i++) {
      const t = Y[r * h + i] + f.b1[i] - f.m[i];
      H[0] = 1;
      if (d >= 1) H[1] = t;
      for (let k = 1; k < d; k++) H[k + 1] = t * H[k] - k * f.s2[i] * H[k - 1];
      let p = 0;
      for (let k = 0; k <= d; k++) p += f.coef[i * (d + 1) + k] * H[k];
      if (Zv && f.b2 && f.mz && f.kappa && f.coefR) {
        const rr = Zv[r * h + i] + f.b2[i] - f.mz[i] - f.kappa[i] * t;
        let q = 0;
        for (let k = 0; k < d; k++) q += f.coefR[i * d + k] * H[k];
        p += rr * q;
      }
      Y[r * h + i] = p;
    }
  }
  if (!f.W2) return Y;
  const outY = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) outY.set(f.biasOut, r * out);
  gemm(false, true, rows, out, h, 1, Y, f.W2, 1, outY);
  return outY;
}
