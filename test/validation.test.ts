/**
 * Bad input gets a clear error naming the argument and what was expected, on every backend;
 * nothing crashes the process and no NaN escapes.
 */
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends } from './helpers/backends';

const W1 = [[0.5, -0.25], [1, 0.75], [-0.5, 0.125]];
const W2 = [[1, -1, 0.5]];
const net = { W1, W2, act: 'relu' as const };

describe.each(availableBackends())('argument errors on %s', (backend) => {
  const fit = (n: unknown, o: object = {}) => () => pa.ols(n as pa.MlpSpec, { backend, ...o } as pa.FitOptionsSpec);

  it('wrong shapes name the argument and the expected shape', () => {
    expect(fit({ ...net, W2: [[1, 2]] })).toThrow('invalid argument: W2 must have shape [out, hidden] = [out, 3], got [1, 2]');
    expect(fit({ ...net, b1: [1, 2] })).toThrow('invalid argument: b1 must have shape [hidden] = [3], got [2]');
    expect(fit({ ...net, b2: [1, 2] })).toThrow('invalid argument: b2 must have shape [out] = [1], got [2]');
    expect(fit({ ...net, W1: [1, 2, 3] })).toThrow('invalid argument: W1 must have shape [hidden, in], got [3]');
    expect(fit({ ...net, W1: { data: new Float64Array(5), shape: [3, 2] } })).toThrow('W1.data must be of length 6 to match shape [3, 2], got length 5');
    expect(fit({ ...net, W1: [[1, 2], [3]] })).toThrow(/W1\[1\] must be an array of length 2/);
    expect(() => pa.gluOls({ W: W1, V: [[1, 2]], act: 'relu' }, { backend })).toThrow('invalid argument: V must have shape [hidden, in] = [3, 2], got [1, 2]');
    expect(fit(net, { input: { type: 'gaussian', mean: [0, 0, 0] } })).toThrow('invalid argument: input.mean must have shape [in] = [2], got [3]');
    expect(fit(net, { input: { type: 'mixture', means: [[0, 0]], covs: { data: new Float64Array(8), shape: [2, 2, 2] } } })).toThrow(
      'invalid argument: input.covs must have shape [K, in, in] = [1, 2, 2], got [2, 2, 2]',
    );
    expect(fit(undefined)).toThrow(TypeError);
  });

  it('NaN and Inf are rejected with their position', () => {
    expect(fit({ ...net, W1: [[0.5, NaN], [1, 0.75], [-0.5, 0.125]] })).toThrow('invalid argument: W1 must be finite everywhere, got NaN at index [0, 1]');
    expect(fit(net, { input: { type: 'gaussian', mean: [0, Infinity] } })).toThrow('input.mean must be finite everywhere, got Infinity at index [1]');
  });

  it('covariances must be symmetric and positive semidefinite (with tolerance)', () => {
    expect(fit(net, { input: { type: 'gaussian', cov: [[1, 0.5], [0.4, 1]] } })).toThrow('invalid argument: input.cov must be symmetric, got [1, 0] = 0.4 but [0, 1] = 0.5');
    expect(fit(net, { input: { type: 'gaussian', cov: [[1, 2], [2, 1]] } })).toThrow(/invalid argument: input.cov must be positive semidefinite, got not positive semidefinite/);
    expect(fit(net, { input: { type: 'mixture', means: [[0, 0], [1, 1]], covs: [[[1, 0], [0, 1]], [[1, 3], [3, 1]]] } })).toThrow(/invalid argument: input.covs\[1\] must be positive semidefinite/);
    expect(fit(net, { input: { type: 'gaussian', cov: [[-1, 0], [0, 1]] } })).toThrow(/input.cov must be positive semidefinite \(a covariance\), got a negative variance/);
    // Rounding-level asymmetry and negative eigenvalues within tolerance are accepted.
    const f = pa.ols(net, { backend, input: { type: 'gaussian', cov: [[1, 1 + 1e-14], [1, 1]] } });
    expect([...f.beta.data].every(Number.isFinite)).toBe(true);
  });

  it('mixture weights must be non-negative with a positive sum', () => {
    const means = [[0, 0], [1, 1]];
    expect(fit(net, { input: { type: 'mixture', means, weights: [1, -1] } })).toThrow('invalid argument: input.weights[1] must be non-negative, got -1');
    expect(fit(net, { input: { type: 'mixture', means, weights: [0, 0] } })).toThrow('invalid argument: input.weights must be of positive sum, got sum 0');
    expect(fit(net, { input: { type: 'mixture', means, weights: [1, 2, 3] } })).toThrow('input.weights must have shape [K] = [2], got [3]');
    expect(fit(net, { input: { type: 'mixture' } })).toThrow('input.means must be a tensor of shape [K, in]');
    expect(fit(net, { input: { type: 'poisson' } })).toThrow(`invalid argument: input.type must be one of 'standard', 'gaussian', 'mixture', got "poisson"`);
  });

  it('unknown activations list the known ones; bad parameters are named', () => {
    expect(fit({ ...net, act: 'elu' })).toThrow(/invalid argument: net.act must be one of relu, gelu, identity, sigmoid, swish, tanh, jump_relu, leaky_relu, softplus, silu, got "elu"/);
    expect(fit({ ...net, act: { name: 'jump_relu', threshold: NaN } })).toThrow('invalid argument: net.act.threshold must be a finite number, got NaN');
    expect(() => pa.ev('elu' as 'relu', 0, 1, { backend })).toThrow(/act must be one of/);
  });

  it('degree and solver options are range-checked', () => {
    expect(fit(net, { degree: 9 })).toThrow('invalid argument: options.degree must be one of 1, 2, 3, 4, 5, 6, 7, 8, got 9');
    expect(fit(net, { degree: 1.5 })).toThrow(TypeError);
    expect(fit(net, { ridge: -1 })).toThrow('invalid argument: options.ridge must be ≥ 0, got -1');
    expect(fit(net, { backend: 'gpu' })).toThrow(/backend must be one of 'auto', 'native', 'js', 'cuda', got "gpu"/);
  });

  it('integrals: sigma ≥ 0, finite mu, order in range, arrays broadcast', () => {
    expect(() => pa.ev('relu', 0, -1, { backend })).toThrow('invalid argument: sigma must be finite and ≥ 0, got -1');
    expect(() => pa.ev('relu', NaN, 1, { backend })).toThrow('invalid argument: mu must be finite, got NaN');
    expect(() => pa.derivEv('relu', 9, 0, 1, { backend })).toThrow('invalid argument: k must be in 0..8, got 9');
    expect(() => pa.polyEv('relu', -1, 0, 1, { backend })).toThrow('invalid argument: n must be in 0..8, got -1');
    expect(() => pa.primeEv('relu', [0, 1], [1, 2, 3], { backend })).toThrow('invalid argument: sigma must be of length 2 to match mu, got length 3');
    const out = pa.primeEv('relu', new Float64Array([0, 1]), 1, { backend });
    expect(out).toBeInstanceOf(Float64Array);
    expect(typeof pa.ev('gelu', 0.3, 2, { backend })).toBe('number');
  });

  it('predict checks its input', () => {
    const f = pa.ols(net, { backend });
    expect(() => f.predict([[1, 2, 3]])).toThrow('invalid argument: x must have shape [rows, in] = [rows, 2], got [1, 3]');
    expect(() => f.predict([1, NaN])).toThrow('x must be finite everywhere, got NaN at index [1]');
  });
});
