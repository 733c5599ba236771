/** The shared reference fixtures (../shared/fixtures/reference beside the checkout). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REFERENCE_DIR = path.resolve(__dirname, '../../../shared/fixtures/reference');

export interface JsonTensor {
  shape: number[];
  data: number[];
}

export interface ReferenceCase {
  name: string;
  kind: 'mlp' | 'glu';
  act: string;
  order: 'linear' | 'quadratic';
  input:
    | { type: 'standard' }
    | { type: 'gaussian'; mean: number[]; cov: JsonTensor }
    | { type: 'mixture'; weights: number[]; means: JsonTensor; covs: JsonTensor };
  params: Record<string, JsonTensor>;
  expected: { alpha: JsonTensor; beta: JsonTensor; gamma?: JsonTensor };
  independent_check: { max_abs_diff: number; max_rel_diff: number };
}

export function loadReferenceCases(): ReferenceCase[] {
  return fs
    .readdirSync(REFERENCE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, f), 'utf8')) as ReferenceCase);
}

export function f64(t: JsonTensor): { data: Float64Array; shape: number[] } {
  return { data: Float64Array.from(t.data), shape: t.shape };
}
