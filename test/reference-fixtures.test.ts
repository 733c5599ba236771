/**
 * The shared reference cases (the paper's Python code, each admitted only after a Monte Carlo
 * check) at the tolerances their README gives: max(1e-9·max|expected|, 10·independent gap).
 * Quadratic cases are checked here through their degree-1 projection, which under N(0, I) is
 * the linear fit: same beta, and alpha + Σ_i gamma_ii (E[x_i²] = 1).
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends, maxRelDiff } from './helpers/backends';
import { f64, loadReferenceCases, ReferenceCase } from './helpers/fixtures';

const cases = loadReferenceCases();

function fitCase(c: ReferenceCase, backend: pa.BackendName) {
  const p = c.params;
  const input =
    c.input.type === 'standard'
      ? { type: 'standard' as const }
      : c.input.type === 'gaussian'
        ? { type: 'gaussian' as const, mean: Float64Array.from(c.input.mean), cov: f64(c.input.cov) }
        : { type: 'mixture' as const, weights: Float64Array.from(c.input.weights), means: f64(c.input.means), covs: f64(c.input.covs) };
  const opts = { degree: 1 as const, input, backend };
  return c.kind === 'mlp'
    ? pa.ols({ W1: f64(p.W1), b1: f64(p.b1), W2: f64(p.W2), b2: f64(p.b2), act: c.act as pa.ActKind }, opts)
    : pa.gluOls({ W: f64(p.W), V: f64(p.V), b1: f64(p.b1), b2: f64(p.b2), act: c.act as pa.ActKind }, opts);
}

function linearPart(c: ReferenceCase): { alpha: number[]; beta: number[] } {
  const alpha = [...c.expected.alpha.data];
  if (c.order === 'quadratic' && c.expected.gamma) {
    const n = c.expected.beta.shape[0];
    const cols = c.expected.gamma.shape[1];
    for (let o = 0; o < alpha.length; o++) {
      for (let i = 0; i < n; i++) alpha[o] += c.expected.gamma.data[o * cols + (i * (i + 1)) / 2 + i];
    }
  }
  return { alpha, beta: c.expected.beta.data };
}

describe.each(availableBackends())('reference fixtures on %s', (backend) => {
  it('has all 24 cases', () => {
    expect(cases.length).toBe(24);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const fit = fitCase(c, backend);
    const exp = linearPart(c);
    const scale = Math.max(...exp.alpha.map(Math.abs), ...exp.beta.map(Math.abs));
    const tol = Math.max(1e-9 * scale, 10 * c.independent_check.max_abs_diff);
    expect(fit.beta.shape).toEqual(c.expected.beta.shape);
    expect(fit.alpha.shape).toEqual(c.expected.alpha.shape);
    expect(maxRelDiff(fit.beta.data, exp.beta, scale) * scale).toBeLessThanOrEqual(tol);
    expect(maxRelDiff(fit.alpha.data, exp.alpha, scale) * scale).toBeLessThanOrEqual(tol);
  });
});
