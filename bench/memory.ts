/**
 * Runs one fit in this (fresh) process and prints its extra peak memory: the peak resident set
 * (VmHWM) after the fit minus the peak before it, with inputs already built. Used by bench.ts
 * as `node --import tsx bench/memory.ts <in> <hidden> <out> <degree>`.
 */
import * as fs from 'node:fs';
import * as pa from '../lib/index';
import { gaussianInput, randomMlp } from './setup';

function peakKiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const [n, h, out, degree] = process.argv.slice(2).map(Number);
const net = randomMlp(n, h, out, 1);
const input = gaussianInput(n, 2);
global.gc?.();
const before = peakKiB();
const fit = pa.ols(net, { degree, input, backend: 'native' });
const after = peakKiB();
if (!Number.isFinite((fit as { alpha?: { data: Float64Array } }).alpha?.data[0] ?? 0)) process.exit(1);
console.log(JSON.stringify({ extraMiB: (after - before) / 1024 }));
