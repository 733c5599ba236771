/**
 * The package as users load it: CommonJS require and ESM import of the built dist/ through
 * package.json "exports", with the same API surface; and the addon's own argument checks, so
 * that nothing reaching it (even bypassing the TypeScript layer) can crash the process.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../lib/backend';
import * as pa from '../lib/index';

const ROOT = path.resolve(__dirname, '..');
const built = fs.existsSync(path.join(ROOT, 'dist', 'index.js')) && fs.existsSync(path.join(ROOT, 'dist', 'index.mjs'));
// Under CI the build (npm ci → prepare) must have happened: never skip there.
const skipBuilt = !built && process.env.CI !== 'true';

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
}

describe('package entry points', () => {
  it.skipIf(skipBuilt)('require("polyapprox") and import * as pa from "polyapprox" expose the same functions', () => {
    const script = "console.log(JSON.stringify(Object.keys(pa).sort())); console.log(pa.ev('relu', 0, 1));";
    const cjs = node(['-e', `const pa = require('polyapprox'); ${script}`]).trim().split('\n');
    const esm = node(['--input-type=module', '-e', `import * as ns from 'polyapprox'; const { default: _d, ...pa } = ns; ${script}`]).trim().split('\n');
    const names = JSON.parse(cjs[0]) as string[];
    expect(JSON.parse(esm[0])).toEqual(names);
    for (const fn of ['ev', 'primeEv', 'derivEv', 'polyEv', 'ols', 'olsAsync', 'gluOls', 'gluOlsAsync', 'backends', 'backendInfo', 'linalg']) {
      expect(names).toContain(fn);
    }
    // E[relu(z)], z ~ N(0, 1) = 1/√(2π)
    expect(Number(cjs[1])).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
    expect(Number(esm[1])).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
  });

  it('the source API matches the documented surface', () => {
    expect(typeof pa.ols).toBe('function');
    expect(pa.backends()).toContain('js');
  });
});

describe.skipIf(!pa.backends().includes('native'))('native addon re-checks what reaches it', () => {
  const addon = loadNative()!;
  const net = { in: 2, hidden: 3, out: 1, act: 0, threshold: 1, slope: 0.01, W1: new Float64Array(6), W2: new Float64Array(3) };
  const dist = { in: 2, K: 1 };
  const opts = { degree: 1, rcond: 1e-10, ridge: 0, psdTol: 1e-8 };

  it('short buffers, wrong types and bad sizes throw instead of reading out of bounds', () => {
    expect(() => addon.mlpFit({ ...net, W1: new Float64Array(5) }, dist, opts)).toThrow(/W1 must have 6 elements, got 5/);
    expect(() => addon.mlpFit({ ...net, W2: new Float32Array(3) }, dist, opts)).toThrow(/W2 must be a Float64Array/);
    expect(() => addon.mlpFit({ ...net, hidden: -1 }, dist, opts)).toThrow(/hidden out of range/);
    expect(() => addon.mlpFit({ ...net, act: 99 }, dist, opts)).toThrow(/act out of range/);
    expect(() => addon.mlpFit(net, { in: 2, K: 2, covs: new Float64Array(4) }, opts)).toThrow(/covs must have 8 elements/);
    expect(() => addon.mlpFit(net, { in: 3, K: 1 }, opts)).toThrow(/input size does not match/);
    expect(() => addon.mlpFit()).toThrow(/expected \(net, input, options\)/);
    expect(() => addon.gluFit({ ...net, W: new Float64Array(6), V: new Float64Array(6), W2: undefined }, dist, opts)).toThrow(/GLU without W2 needs out == hidden/);
    expect(() => addon.integrals(0, 1, 0.01, 0, 99, new Float64Array(1), new Float64Array(1))).toThrow(/order out of range/);
    expect(() => addon.integrals(0, 1, 0.01, 0, 1, new Float64Array(2), new Float64Array(1))).toThrow(/s must have 2 elements/);
    expect(() => addon.linearPredict(new Float64Array(1), new Float64Array(2), 2, 1, new Float64Array(3), 2)).toThrow(/X must have 4 elements/);
    expect(() => addon.gemm(false, false, 2, 2, 2, 1, new Float64Array(4), new Float64Array(3))).toThrow(/B must have 4 elements/);
  });

  it('the async entry points reject with the same checks', async () => {
    expect(() => addon.mlpFitAsync({ ...net, W1: new Float64Array(1) }, dist, opts)).toThrow(/W1 must have 6 elements/);
    await expect(addon.mlpFitAsync(net, { in: 2, K: 1, covs: Float64Array.of(1, 2, 2, 1) }, opts)).rejects.toThrow(/not positive semidefinite/);
  });
});
