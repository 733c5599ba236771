/**
 * Accuracy of the univariate Gaussian integrals against the 40-digit mpmath table
 * (test/fixtures/integrals.json), per activation and backend: the worst relative error where the
 * relative criterion governs, and the worst error as a fraction of the allowance
 * max(1e-12·|ref|, 1e-15·scale) (DESIGN §3.1). The test suite asserts the allowance; this prints
 * the numbers. Run: node --import tsx bench/integral-accuracy.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pa from '../lib/index';

interface Entry { k?: number; n?: number; exact: string }
interface Case { act: { name: pa.ActKind; threshold?: number; slope?: number }; m: number; s: number; deriv: Entry[]; poly: Entry[] }

const table = JSON.parse(fs.readFileSync(path.join(__dirname, '../test/fixtures/integrals.json'), 'utf8')) as { cases: Case[] };
const growth = (name: string) => (name === 'sigmoid' || name === 'tanh' ? 0 : 1);

const rows: string[] = [];
for (const backend of pa.backends()) {
  const worst = new Map<string, { rel: number; ratio: number; count: number }>();
  for (const c of table.cases) {
    const key = c.act.name + (c.act.threshold !== undefined ? ` θ=${c.act.threshold}` : '') + (c.act.slope !== undefined ? ` α=${c.act.slope}` : '');
    const w = worst.get(key) ?? { rel: 0, ratio: 0, count: 0 };
    const check = (got: number, exact: string, e: number) => {
      const ref = Number(exact);
      const err = Math.abs(got - ref);
      const allow = Math.max(1e-12 * Math.abs(ref), 1e-15 * (Math.abs(c.m) + c.s) ** e);
      w.ratio = Math.max(w.ratio, err / allow);
      if (1e-12 * Math.abs(ref) >= 1e-15 * (Math.abs(c.m) + c.s) ** e && ref !== 0) w.rel = Math.max(w.rel, err / Math.abs(ref));
      w.count++;
    };
    for (const d of c.deriv) check(pa.derivEv(c.act, d.k!, c.m, c.s, { backend }), d.exact, growth(c.act.name) - d.k!);
    for (const p of c.poly) check(pa.polyEv(c.act, p.n!, c.m, c.s, { backend }), p.exact, growth(c.act.name) + p.n!);
    worst.set(key, w);
  }
  for (const [key, w] of worst) rows.push(`| ${backend} | ${key} | ${w.count} | ${w.rel.toExponential(1)} | ${w.ratio.toFixed(3)} |`);
}
console.log(`${table.cases.length} (m, s) cases × activations from the mpmath table; allowance max(1e-12·|ref|, 1e-15·(|m|+s)^p)\n`);
console.log('| backend | activation | values | worst relative error | worst error / allowance |\n|---|---|---|---|---|');
for (const r of rows) console.log(r);
