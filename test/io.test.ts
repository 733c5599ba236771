/**
 * Weights IO (lib/io): the readers against files written by an independent writer
 * (scripts/gen_io_fixtures.py: safetensors by hand with struct + json, .npy/.npz by numpy,
 * F16 by numpy.float16, BF16 by truncating float32 bits), the writers by round trips and
 * against numpy's bytes, malformed files (always the argument error, never a crash), the
 * PyTorch layer loaders, and fits to result files and back on every backend.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as pa from '../lib/index';
import { availableBackends, maxRelDiff } from './helpers/backends';

const DIR = path.join(__dirname, 'fixtures', 'io');
const fixture = (name: string): string => path.join(DIR, name);
interface JsonTensor {
  shape: number[];
  data: number[];
}
const expected = JSON.parse(fs.readFileSync(fixture('expected.json'), 'utf8')) as Record<string, Record<string, JsonTensor>> & {
  float16_rounding: { input: number[]; bits: number[] };
};

/** Element-wise identity, -0 and all (Object.is), and the same shape. */
function expectExactly(got: { data: ArrayLike<number>; shape: readonly number[] }, want: JsonTensor): void {
  expect([...got.shape]).toEqual(want.shape);
  expect(got.data.length).toBe(want.data.length);
  for (let i = 0; i < want.data.length; i++) {
    if (!Object.is(got.data[i], want.data[i])) throw new Error(`element ${i}: got ${got.data[i]}, want ${want.data[i]}`);
  }
}

function expectArgumentError(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeDefined();
  const e = err as Error & { code?: string };
  expect(e.code, e.stack).toBe('ERR_POLYAPPROX_INVALID_ARGUMENT');
  expect(e.message).toMatch(/^invalid argument: .+ must .+, got .+/);
  expect(e.message).toMatch(pattern);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

function randomNormal(r: () => number, n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}

describe('readers: files from an independent writer', () => {
  const fileFixtures = Object.keys(expected).filter((k) => k !== 'float16_rounding' && k !== 'i8.npy');

  it.each(fileFixtures)('%s decodes exactly to float64', (file) => {
    const set = pa.io.readTensorFile(fixture(file));
    for (const [name, want] of Object.entries(expected[file])) {
      const key = file.endsWith('.npy') ? file.slice(0, -4) : name;
      expect(set.has(key)).toBe(true);
      expectExactly(set.get(key), want);
    }
  });

  it('safetensors: every float dtype, metadata, in-memory and on-disk readers agree', () => {
    const bytes = fs.readFileSync(fixture('dtypes.safetensors'));
    // A view at a non-zero, odd offset of a bigger buffer (Buffers from the pool are such views).
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const mem = pa.io.readSafetensors(shifted.subarray(3), { name: 'dtypes' });
    const disk = pa.io.openSafetensors(fixture('dtypes.safetensors'));
    expect(mem.format).toBe('safetensors');
    expect(mem.names).toEqual(['f64', 'f32', 'f16', 'bf16', 'f32_3d', 'scalar']);
    expect(mem.metadata).toEqual({ format: 'pt', source: 'gen_io_fixtures.py' });
    expect(mem.info('bf16')).toEqual({ name: 'bf16', dtype: 'BF16', shape: [2, 6] });
    for (const name of mem.names) {
      expectExactly(mem.get(name), expected['dtypes.safetensors'][name]);
      expect(disk.get(name)).toEqual(mem.get(name));
    }
    expect(mem.get('scalar').shape).toEqual([]);
    expect(mem.get('f16').dtype).toBe('F16');
    const all = mem.toObject();
    expect(Object.keys(all)).toEqual(mem.names);
  });

  it('npy: both byte orders and C / Fortran order give the same row-major array', () => {
    const c = pa.io.readNpy(fs.readFileSync(fixture('f8_le_c.npy')));
    for (const f of ['f8_be_c.npy', 'f8_le_fortran.npy']) expect(pa.io.readNpy(fs.readFileSync(fixture(f))).data).toEqual(c.data);
    const c3 = pa.io.readNpy(fs.readFileSync(fixture('f8_3d_fortran.npy')));
    expect(c3.shape).toEqual([2, 3, 4]);
    expect(pa.io.readNpy(fs.readFileSync(fixture('f4_3d_be_c.npy'))).data).toEqual(Float64Array.from(Float32Array.from(c3.data)));
    expect(pa.io.readNpy(fs.readFileSync(fixture('f2_be_fortran.npy'))).dtype).toBe('F16');
    expect(pa.io.readTensorFile(fixture('f8_vector.npy')).names).toEqual(['f8_vector']);
  });

  it('npz: stored (savez) and deflated (savez_compressed) archives hold the same arrays', () => {
    const stored = pa.io.readNpz(fs.readFileSync(fixture('stored.npz')));
    const deflated = pa.io.readNpz(fs.readFileSync(fixture('deflated.npz')));
    // Compression method of the first local header: 0 stored, 8 deflated.
    expect(fs.readFileSync(fixture('stored.npz')).readUInt16LE(8)).toBe(0);
    expect(fs.readFileSync(fixture('deflated.npz')).readUInt16LE(8)).toBe(8);
    expect(stored.names.sort()).toEqual(['W1', 'b1', 'big', 'half']);
    for (const n of stored.names) expect(deflated.get(n)).toEqual(stored.get(n));
    expect(stored.info('W1')).toEqual({ name: 'W1', dtype: 'F32', shape: [4, 3] });
  });

  it('F16 and BF16 bit patterns decode exactly', () => {
    expect(pa.io.halfToNumber(0x7bff)).toBe(65504);
    expect(pa.io.halfToNumber(0x0001)).toBe(2 ** -24);
    expect(pa.io.halfToNumber(0x3c00)).toBe(1);
    expect(pa.io.halfToNumber(0xfc00)).toBe(-Infinity);
    expect(Object.is(pa.io.halfToNumber(0x8000), -0)).toBe(true);
    expect(pa.io.halfToNumber(0x7e00)).toBeNaN();
    expect(pa.io.bfloat16ToNumber(0x3f80)).toBe(1);
    expect(pa.io.bfloat16ToNumber(0x0001)).toBe(2 ** -133);
    expect(pa.io.bfloat16ToNumber(0x7f7f)).toBe(3.3895313892515355e38);
    for (let h = 0; h < 0x10000; h++) {
      // Every finite half and bfloat16 survives decode → encode unchanged.
      const x = pa.io.halfToNumber(h);
      if (!Number.isNaN(x)) expect(pa.io.numberToHalf(x)).toBe(h);
      const y = pa.io.bfloat16ToNumber(h);
      if (!Number.isNaN(y)) expect(pa.io.numberToBfloat16(y)).toBe(h);
    }
  });
});

describe('writers', () => {
  it('float64 → float16 rounds as numpy does (nearest even, overflow to inf, subnormals)', () => {
    const { input, bits } = expected.float16_rounding;
    expect(input.map((x) => pa.io.numberToHalf(x))).toEqual(bits);
  });

  it('float64 → bfloat16 rounds to nearest even directly from float64 (no double rounding)', () => {
    expect(pa.io.numberToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie → even (1)
    expect(pa.io.numberToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (1 + 2^-6)
    // Through float32 this would round to the tie 1 + 2^-8, then to 1; directly it is above the tie.
    expect(pa.io.numberToBfloat16(1 + 2 ** -8 + 2 ** -30)).toBe(0x3f81);
    expect(pa.io.numberToBfloat16(1e39)).toBe(0x7f80);
    expect(pa.io.numberToBfloat16(-1e39)).toBe(0xff80);
    expect(pa.io.numberToBfloat16(-0)).toBe(0x8000);
    expect(pa.io.numberToBfloat16(NaN)).toBe(0x7fc0);
    expect(pa.io.numberToBfloat16(2 ** -134)).toBe(0); // half the smallest subnormal: tie → 0
    expect(pa.io.numberToBfloat16(2 ** -134 * 1.5)).toBe(1);
  });

  const values = Float64Array.from([0, -0, 1, -2.5, 1 / 3, 1e-6, -7e4, 123.456, 2 ** -20, 6.1e-5, 1e30, -3e-40]);
  const rounders: Record<string, (x: number) => number> = {
    F64: (x) => x,
    F32: Math.fround,
    F16: (x) => pa.io.halfToNumber(pa.io.numberToHalf(x)),
    BF16: (x) => pa.io.bfloat16ToNumber(pa.io.numberToBfloat16(x)),
  };

  it.each(['F64', 'F32', 'F16', 'BF16'] as const)('safetensors round trip in %s', (dtype) => {
    const bytes = pa.io.writeSafetensors(
      { v: { data: values, shape: [3, 4] }, one: [5], f32: Float32Array.of(0.5, 0.25) },
      { dtype, metadata: { note: 'round trip' } },
    );
    // Header padded to 8 bytes with spaces.
    expect(Number(Buffer.from(bytes).readBigUInt64LE(0)) % 8).toBe(0);
    const set = pa.io.readSafetensors(bytes);
    expect(set.metadata).toEqual({ note: 'round trip' });
    expect(set.info('v')).toEqual({ name: 'v', dtype, shape: [3, 4] });
    const want = { shape: [3, 4], data: Array.from(values, rounders[dtype]) };
    expectExactly(set.get('v'), want);
    expectExactly(set.get('one'), { shape: [1], data: [5] });
    expectExactly(set.get('f32'), { shape: [2], data: [0.5, 0.25] });
  });

  it.each(['f8', 'f4', 'f2'] as const)('npy and npz (stored, deflated) round trips in %s', (dtype) => {
    const round = rounders[{ f8: 'F64', f4: 'F32', f2: 'F16' }[dtype]];
    const want = { shape: [2, 6], data: Array.from(values, round) };
    expectExactly(pa.io.readNpy(pa.io.writeNpy({ data: values, shape: [2, 6] }, { dtype })), want);
    for (const compress of [false, true]) {
      const zip = pa.io.writeNpz({ a: { data: values, shape: [2, 6] }, b: [1, 2] }, { dtype, compress });
      expect(Buffer.from(zip).readUInt16LE(8)).toBe(compress ? 8 : 0);
      const set = pa.io.readNpz(zip);
      expectExactly(set.get('a'), want);
      expectExactly(set.get('b'), { shape: [2], data: [1, 2] });
    }
  });

  it('writeNpy produces the bytes numpy.save wrote', () => {
    for (const [file, dtype] of [
      ['f8_le_c.npy', 'f8'],
      ['f4_le_c.npy', 'f4'],
      ['f2_le_c.npy', 'f2'],
      ['f8_vector.npy', 'f8'],
      ['f8_scalar.npy', 'f8'],
    ] as const) {
      const numpyBytes = fs.readFileSync(fixture(file));
      const t = pa.io.readNpy(numpyBytes);
      expect(Buffer.from(pa.io.writeNpy(t, { dtype })).equals(numpyBytes), file).toBe(true);
    }
  });

  it('bad writer arguments give the argument error', () => {
    expectArgumentError(() => pa.io.writeSafetensors({ w: { data: [1, 2, 3], shape: [2, 2] } }), /tensors\["w"\]\.data must be of length 4/);
    expectArgumentError(() => pa.io.writeSafetensors({ w: [1] }, { dtype: 'I64' as never }), /options\.dtype must be one of 'F64', 'F32', 'F16', 'BF16'/);
    expectArgumentError(() => pa.io.writeSafetensors({ w: [1] }, { metadata: { n: 1 as never } }), /options\.metadata\["n"\] must be a string/);
    expectArgumentError(() => pa.io.writeSafetensors([['a', [1]], ['a', [2]]]), /free of duplicate names/);
    expectArgumentError(() => pa.io.writeSafetensors({ __metadata__: [1] }), /reserved name/);
    expectArgumentError(() => pa.io.writeNpy({ data: [1], shape: [2] }), /tensor\["tensor"\]\.data must be of length 2/);
  });
});

describe('malformed files give the argument error, never a crash', () => {
  const cases: [string, RegExp][] = [
    ['short.safetensors', /must be a safetensors file .*got 5 bytes/],
    ['truncated_header.safetensors', /must hold its 64-byte header, got 12 bytes after the length \(truncated file\?\)/],
    ['truncated.safetensors', /\["w"\]\.data_offsets must lie within the 13-byte data buffer .*got \[0, 16\] \(truncated file\?\)/],
    ['bad_json.safetensors', /header must be valid JSON, got /],
    ['bad_offsets.safetensors', /\["w"\]\.data_offsets must lie within the 16-byte data buffer .*got \[8, 24\]/],
    ['bad_size.safetensors', /\["w"\]\.data_offsets must span 24 bytes \(F32 \[2, 3\]\), got \[0, 16\]/],
    ['huge_header.safetensors', /header length must be at most 100000000 bytes, got 1099511627776/],
  ];

  it.each(cases)('%s', (file, pattern) => {
    expectArgumentError(() => pa.io.readTensorFile(fixture(file)), pattern);
    expectArgumentError(() => pa.io.readSafetensors(fs.readFileSync(fixture(file)), { name: file }), new RegExp(`^invalid argument: ${file.replace('.', '\\.')}`));
  });

  it('unsupported dtypes are listed but rejected on decode, naming the tensor', () => {
    const set = pa.io.readTensorFile(fixture('int64.safetensors'));
    expect(set.info('ids')).toEqual({ name: 'ids', dtype: 'I64', shape: [2, 3] });
    expect(set.get('w').shape).toEqual([2, 6]); // the float tensor beside it still reads
    expectArgumentError(() => set.get('ids'), /int64\.safetensors\["ids"\]\.dtype must be a float dtype \(F64, F32, F16 or BF16\), got "I64"/);
    expectArgumentError(() => pa.io.readTensorFile(fixture('i8.npy')), /i8\.npy dtype must be a float dtype .*got "<i8"/);
    const header = JSON.stringify({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } });
    const bytes = Buffer.concat([Buffer.from(new BigUint64Array([BigInt(header.length)]).buffer), Buffer.from(header), Buffer.alloc(16)]);
    expectArgumentError(() => pa.io.readSafetensors(bytes), /\["w"\]\.dtype must be a safetensors dtype .*got "F128"/);
  });

  it('every truncation and random byte flips of every fixture: either a good read or the argument error', () => {
    const r = rng(7);
    let errors = 0;
    let reads = 0;
    const files = fs.readdirSync(DIR).filter((f) => /\.(safetensors|npy|npz)$/.test(f));
    const attempt = (bytes: Uint8Array, file: string): void => {
      try {
        let set: pa.io.TensorSet;
        if (file.endsWith('.npy')) {
          pa.io.readNpy(bytes);
          reads++;
          return;
        }
        if (file.endsWith('.npz')) set = pa.io.readNpz(bytes);
        else set = pa.io.readSafetensors(bytes);
        for (const n of set.names) set.get(n);
        reads++;
      } catch (e) {
        const err = e as Error & { code?: string };
        if (err.code !== 'ERR_POLYAPPROX_INVALID_ARGUMENT') throw new Error(`${file}: ${err.stack}`);
        expect(err.message).toMatch(/^invalid argument: .+ must .+, got /);
        errors++;
      }
    };
    for (const file of files) {
      const bytes = new Uint8Array(fs.readFileSync(fixture(file)));
      for (let len = 0; len < bytes.length; len++) attempt(bytes.subarray(0, len), file);
      for (let trial = 0; trial < 200; trial++) {
        const copy = bytes.slice();
        const flips = 1 + Math.floor(r() * 3);
        for (let f = 0; f < flips; f++) copy[Math.floor(r() * copy.length)] ^= 1 << Math.floor(r() * 8);
        attempt(copy, file);
      }
    }
    expect(errors).toBeGreaterThan(1000);
    expect(reads).toBeGreaterThan(100);
  });

  it('not a weights file, a missing file', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pa-io-'));
    try {
      fs.writeFileSync(path.join(tmp, 'notes.txt'), 'hello, this is not a tensor file at all');
      expectArgumentError(() => pa.io.readTensorFile(path.join(tmp, 'notes.txt')), /notes\.txt header length must be at most/);
      expect(() => pa.io.readTensorFile(path.join(tmp, 'missing.safetensors'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      expectArgumentError(() => pa.io.readNpz(Buffer.from('PK\x03\x04 broken')), /must be a zip archive of \.npy files/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('loading PyTorch layers', () => {
  const seq = expected['sequential.safetensors'];
  const gpt2 = expected['gpt2_mlp.safetensors'];
  const llama = expected['llama_mlp.safetensors'];

  function transposed(t: JsonTensor): JsonTensor {
    const [r, c] = t.shape;
    const data = new Array<number>(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j];
    return { shape: [c, r], data };
  }

  it('nn.Sequential by explicit names: nn.Linear weights are used as stored ([out, in])', () => {
    const set = pa.io.readTensorFile(fixture('sequential.safetensors'));
    const net = pa.io.loadMlp(set, { w1: '0.weight', b1: '0.bias', w2: '2.weight', b2: '2.bias', activation: 'relu' });
    expectExactly(net.W1, seq['0.weight']);
    expectExactly(net.b1!, seq['0.bias']);
    expectExactly(net.W2, seq['2.weight']);
    expectExactly(net.b2!, seq['2.bias']);
    expect(net.act).toBe('relu');
    const viaPreset = pa.io.loadPreset(set, 'sequential', { activation: 'relu' });
    expect(viaPreset.kind).toBe('mlp');
    expect(viaPreset.net).toEqual(net);
    // Also from a plain object of tensors and a Map.
    const obj = set.toObject();
    expect(pa.io.loadPreset(obj, 'sequential', { activation: 'relu' }).net).toEqual(net);
    expect(pa.io.loadPreset(new Map(Object.entries(obj)), 'sequential', { activation: 'relu' }).net).toEqual(net);
  });

  it('nn.Sequential under a prefix: found when unique, or given explicitly', () => {
    const set = pa.io.readTensorFile(fixture('sequential_prefixed.safetensors'));
    const found = pa.io.loadPreset(set, 'sequential', { activation: 'gelu' });
    expect((found.names as pa.io.MlpNames).w1).toBe('model.mlp.0.weight');
    expectExactly((found.net as pa.io.LoadedMlp).W1, seq['0.weight']);
    expect((pa.io.loadPreset(set, 'sequential', { activation: 'gelu', prefix: 'model.mlp' }).names as pa.io.MlpNames).b2).toBe('model.mlp.2.bias');
    // Two layers that both fit: the error lists them.
    const two = { ...set.toObject() } as Record<string, unknown>;
    for (const n of ['0.weight', '0.bias', '2.weight', '2.bias']) two[`other.${n}`] = two[`model.mlp.${n}`];
    expectArgumentError(() => pa.io.loadPreset(two, 'sequential', { activation: 'relu' }), /options\.prefix must pick one of the layers .*"model\.mlp\.", "other\."/);
  });

  it('GPT-2 (Conv1D [in, out]) is transposed to [hidden, in] / [out, hidden]', () => {
    const set = pa.io.readTensorFile(fixture('gpt2_mlp.safetensors'));
    const l = pa.io.loadPreset(set, 'gpt2', { layer: 1 });
    expect(l.kind).toBe('mlp');
    expect(l.names).toMatchObject({ w1: 'h.1.mlp.c_fc.weight', w2: 'h.1.mlp.c_proj.weight', layout: 'conv1d', activation: 'gelu' });
    const net = l.net as pa.io.LoadedMlp;
    expectExactly(net.W1, transposed(gpt2['h.1.mlp.c_fc.weight']));
    expectExactly(net.W2, transposed(gpt2['h.1.mlp.c_proj.weight']));
    expectExactly(net.b1!, gpt2['h.1.mlp.c_fc.bias']);
    // Under GPT2LMHeadModel's 'transformer.' prefix.
    const prefixed = Object.fromEntries(Object.entries(set.toObject()).map(([k, v]) => [`transformer.${k}`, v]));
    expect(pa.io.loadPreset(prefixed, 'gpt2', { layer: 1 }).net).toEqual(net);
    expect(pa.io.presetNames('gpt2', { layer: 3, prefix: 'transformer.' }).names).toMatchObject({ w1: 'transformer.h.3.mlp.c_fc.weight', b2: 'transformer.h.3.mlp.c_proj.bias' });
  });

  it('LLaMA: a GLU with W = gate_proj (activated, silu), V = up_proj, W2 = down_proj, no biases', () => {
    const set = pa.io.readTensorFile(fixture('llama_mlp.safetensors'));
    const l = pa.io.loadPreset(set, 'llama');
    expect(l.kind).toBe('glu');
    const net = l.net as pa.io.LoadedGlu;
    expectExactly(net.W, llama['model.layers.0.mlp.gate_proj.weight']);
    expectExactly(net.V, llama['model.layers.0.mlp.up_proj.weight']);
    expectExactly(net.W2!, llama['model.layers.0.mlp.down_proj.weight']);
    expect(net.b1).toBeNull();
    expect(net.b2).toBeNull();
    expect(net.act).toBe('silu');
    // The loaded GLU is what the fit takes; its predictions match the layer's own forward pass.
    const fit = pa.gluOls(net, { degree: 1 });
    expect(fit.out).toBe(4);
    expect(fit.in).toBe(4);
  });

  it('missing tensors, wrong shapes and bad names give the argument error with close names', () => {
    const set = pa.io.readTensorFile(fixture('sequential_prefixed.safetensors'));
    expectArgumentError(
      () => pa.io.loadMlp(set, { w1: '0.weight', w2: '2.weight', activation: 'relu' }),
      /^invalid argument: w1 must name a tensor of .*sequential_prefixed\.safetensors, got "0\.weight" \(no such tensor; close names: "model\.mlp\.0\.weight"\)$/,
    );
    expectArgumentError(() => pa.io.loadPreset(pa.io.readTensorFile(fixture('gpt2_mlp.safetensors')), 'gpt2', { layer: 7 }), /got "h\.7\.mlp\.c_fc\.weight" \(no such tensor; close names: "h\.0\.mlp\.c_fc\.weight", "h\.1\.mlp\.c_fc\.weight"/);
    const plain = pa.io.readTensorFile(fixture('sequential.safetensors'));
    expectArgumentError(
      () => pa.io.loadMlp(plain, { w1: '0.weight', w2: '0.weight', activation: 'relu' }),
      /\["0\.weight"\] \(w2\) must have shape \[out, hidden\] = \[out, 10\], got \[10, 6\]/,
    );
    expectArgumentError(() => pa.io.loadMlp(plain, { w1: '0.weight', b1: '2.bias', w2: '2.weight', activation: 'relu' }), /\["2\.bias"\] \(b1\) must have shape \[hidden\] = \[10\], got \[3\]/);
    expectArgumentError(() => pa.io.loadMlp(plain, { w1: '0.weight', w2: '2.weight', activation: 'elu' as never }), /names\.activation must be one of relu/);
    expectArgumentError(() => pa.io.loadPreset(plain, 'sequential'), /options\.activation must be given for preset sequential/);
    expectArgumentError(() => pa.io.loadPreset(plain, 'bert' as never, {}), /preset must be one of sequential, gpt2, llama, got "bert"/);
    expectArgumentError(() => pa.io.loadMlp(plain, { w1: '0.weight', w2: '2.weight', activation: 'relu', layout: 'conv' as never }), /names\.layout must be 'linear' or 'conv1d'/);
    expectArgumentError(() => pa.io.loadMlp({}, { w1: 'x', w2: 'y', activation: 'relu' }), /w1 must name a tensor of tensors, got "x" \(no such tensor; the file holds no tensors\)/);
  });

  it('loadInput: a Gaussian or a mixture stored as tensors', () => {
    const g = pa.io.loadInput(pa.io.readTensorFile(fixture('input_gaussian.safetensors')));
    expect(g.type).toBe('gaussian');
    expectExactly((g as unknown as { mean: pa.io.LoadedTensor }).mean, expected['input_gaussian.safetensors'].mean);
    const m = pa.io.loadInput(pa.io.readTensorFile(fixture('input_mixture.npz')));
    expect(m.type).toBe('mixture');
    expectArgumentError(() => pa.io.loadInput({ W: { data: [1], shape: [1] } }), /must hold an input law/);
  });
});

describe.each(availableBackends().filter((b) => b !== 'cuda'))('result files on %s', (backend) => {
  const set = pa.io.readTensorFile(fixture('sequential.safetensors'));
  const net = pa.io.loadPreset(set, 'sequential', { activation: 'relu' }).net as pa.io.LoadedMlp;
  const inputSet = pa.io.readTensorFile(fixture('input_gaussian.safetensors'));
  const input = pa.io.loadInput(inputSet);
  const x = { data: randomNormal(rng(3), 5 * 6), shape: [5, 6] };

  it('degree 1: alpha, beta and metadata; read back predicts the same', () => {
    const fit = pa.ols(net, { degree: 1, input, backend });
    const bytes = pa.io.writeApproximant(fit, { net, input });
    const file = pa.io.readSafetensors(bytes);
    expect(file.metadata).toMatchObject({ format: 'polyapprox-approximant', degree: '1', kind: 'mlp', activation: 'relu', input: 'gaussian', backend, dtype: 'float64', in: '6', out: '3', hidden: '10' });
    expect(JSON.parse(file.metadata.solve)).toEqual(fit.solve);
    expect(file.get('alpha').data).toEqual(fit.alpha.data);
    expect(file.get('beta').data).toEqual(fit.beta.data);
    const back = pa.io.readApproximant(bytes, { backend });
    expect(back.fit).toBeInstanceOf(pa.LinearApproximant);
    expect(back.fit.predict(x).data).toEqual(fit.predict(x).data);
    expect(back.kind).toBe('mlp');
    expect((back.net as pa.MlpSpec).W1).toEqual(net.W1);
    expect(back.input).toEqual({ type: 'gaussian', mean: (input as { mean: unknown }).mean, cov: (input as { cov: unknown }).cov });
  });

  it('degree 2: gamma packed / dense / none with the compact form; read back gives the same quadratic', () => {
    const fit = pa.ols(net, { degree: 2, input, backend });
    const n = 6;
    const packed = pa.io.readSafetensors(pa.io.writeApproximant(fit));
    expect(packed.metadata.gamma).toBe('packed');
    expect(packed.get('gamma').data).toEqual(fit.gamma!.data);
    expect(packed.info('compact.W')!.shape).toEqual([10, 6]);
    const dense = pa.io.readSafetensors(pa.io.writeApproximant(fit, { gamma: 'dense', compact: false }));
    expect(dense.names).toEqual(['alpha', 'beta', 'G']);
    expect(dense.get('G').data.subarray(n * n, 2 * n * n)).toEqual(fit.quadraticForm(1).data);
    for (const opts of [{}, { gamma: 'dense' as const, compact: false }, { gamma: 'packed' as const, compact: false }, { gamma: 'none' as const }]) {
      const back = pa.io.readApproximant(pa.io.writeApproximant(fit, opts), { backend }).fit as pa.QuadraticApproximant;
      expect(back).toBeInstanceOf(pa.QuadraticApproximant);
      expect(maxRelDiff(back.predict(x).data, fit.predict(x).data)).toBeLessThan(1e-13);
      expect(maxRelDiff(back.quadraticForm(2).data, fit.quadraticForm(2).data)).toBeLessThan(1e-14);
      const e1 = pa.interactionEigen(back, 0, { k: 3 });
      const e0 = pa.interactionEigen(fit, 0, { k: 3 });
      expect(maxRelDiff(e1.values, e0.values)).toBeLessThan(1e-12);
    }
    expectArgumentError(() => pa.io.readApproximant(pa.io.writeApproximant(fit, { gamma: 'none', compact: false })), /must hold the quadratic part of its degree-2 fit/);
  });

  it('degree 2 of a GLU and under a mixture (dense G); degree 4 compact form', () => {
    const glu = pa.io.loadPreset(pa.io.readTensorFile(fixture('llama_mlp.safetensors')), 'llama').net as pa.io.LoadedGlu;
    const xg = { data: randomNormal(rng(5), 3 * 4), shape: [3, 4] };
    const q = pa.gluOls(glu, { degree: 2, backend });
    const qb = pa.io.readApproximant(pa.io.writeApproximant(q, { net: glu }), { backend });
    expect(qb.kind).toBe('glu');
    expect(qb.metadata.activation).toBe('swish');
    expect(maxRelDiff(qb.fit.predict(xg).data, q.predict(xg).data)).toBeLessThan(1e-13);
    const mixture = pa.io.loadInput(pa.io.readTensorFile(fixture('input_mixture.npz')));
    const qm = pa.ols(net, { degree: 2, input: mixture, backend });
    const mb = pa.io.readApproximant(pa.io.writeApproximant(qm, { net, input: mixture }), { backend });
    expect(mb.input?.type).toBe('mixture');
    expect(maxRelDiff(mb.fit.predict(x).data, qm.predict(x).data)).toBeLessThan(1e-13);
    const c = pa.ols(net, { degree: 4, input, backend });
    const cb = pa.io.readApproximant(pa.io.writeApproximant(c), { backend });
    expect(cb.fit).toBeInstanceOf(pa.CompactApproximant);
    expect(cb.fit.predict(x).data).toEqual(c.predict(x).data);
    const cg = pa.gluOls(glu, { degree: 3, input: { type: 'gaussian', mean: [0.1, 0, 0, -0.2] }, backend });
    expect(maxRelDiff(pa.io.readApproximant(pa.io.writeApproximant(cg), { backend }).fit.predict(xg).data, cg.predict(xg).data)).toBeLessThan(1e-13);
  });

  it('F32 storage rounds every value to float32', () => {
    const fit = pa.ols(net, { degree: 2, input, backend });
    const file = pa.io.readSafetensors(pa.io.writeApproximant(fit, { dtype: 'F32' }));
    expect(file.info('beta')!.dtype).toBe('F32');
    expect(file.metadata.storage_dtype).toBe('F32');
    expect(file.get('beta').data).toEqual(Float64Array.from(Float32Array.from(fit.beta.data)));
  });

  it('files that are not results are refused', () => {
    expectArgumentError(() => pa.io.readApproximant(fs.readFileSync(fixture('sequential.safetensors')), { name: 'weights' }), /^invalid argument: weights must be a polyapprox result .*got "pt"$/);
    expectArgumentError(() => pa.io.writeApproximant({} as never), /fit must be an approximant/);
  });
});
