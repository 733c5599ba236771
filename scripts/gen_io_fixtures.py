#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""
Fixtures for the weights readers and writers (lib/io/) and the CLI, written by a writer that
shares no code with the library: safetensors by hand (struct + json, following the format's
spec: 8-byte little-endian header length, JSON header, raw little-endian bytes), .npy/.npz by
numpy itself (numpy.save, numpy.savez, numpy.savez_compressed), F16 by numpy.float16 and BF16 by
keeping the high 16 bits of float32 (what torch calls truncation; the values are therefore
exactly the bf16 numbers the file holds).

Run with Debian's interpreter (apt-get install -y python3-numpy):

    /usr/bin/python3 scripts/gen_io_fixtures.py      # writes test/fixtures/io/

Everything is seeded; rerunning gives the same tensors (the .npz files differ only in the zip
entries' timestamps). expected.json holds, for every fixture tensor, the float64 values a
reader must produce (exact: repr of a float64 round-trips through JSON).
"""
import json
import os
import struct
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'io')
rng = np.random.default_rng(20240607)
expected = {}


def bf16_bits(x):
    """float64 values -> uint16 bf16 bit patterns, by truncating their float32 bits."""
    return (np.asarray(x, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def encode(arr, dtype):
    """(raw little-endian bytes, the float64 values they hold) for a safetensors dtype."""
    arr = np.asarray(arr)
    if dtype == 'F64':
        a = arr.astype('<f8')
        return a.tobytes(), a.astype(np.float64)
    if dtype == 'F32':
        a = arr.astype('<f4')
        return a.tobytes(), a.astype(np.float64)
    if dtype == 'F16':
        a = arr.astype('<f2')
        return a.tobytes(), a.astype(np.float64)
    if dtype == 'BF16':
        bits = bf16_bits(arr).astype('<u2')
        return bits.tobytes(), bf16_values(bits)
    if dtype == 'I64':
        a = arr.astype('<i8')
        return a.tobytes(), a.astype(np.float64)
    if dtype == 'I32':
        a = arr.astype('<i4')
        return a.tobytes(), a.astype(np.float64)
    raise ValueError(dtype)


def safetensors_bytes(tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype, array). Returns the file's bytes and {name: float64 values}."""
    header = {}
    blobs = []
    values = {}
    offset = 0
    for name, dtype, arr in tensors:
        raw, vals = encode(arr, dtype)
        header[name] = {'dtype': dtype, 'shape': list(np.shape(arr)), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        values[name] = vals
        offset += len(raw)
    if metadata is not None:
        header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    if pad:
        text += b' ' * ((8 - len(text) % 8) % 8)  # the spec allows trailing spaces
    return struct.pack('<Q', len(text)) + text + b''.join(blobs), values


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def record(fixture, values):
    expected[fixture] = {k: {'shape': list(v.shape), 'data': [float(x) for x in np.ravel(v)]} for k, v in values.items()}


def dtype_values():
    """Values that exercise each format: signs, zero, tiny (F16 subnormal), large, fractions."""
    base = np.array([[0.0, -0.0, 1.0, -2.5, 3.140625, 65504.0], [6.0e-8, -1.0e-5, 0.1, 1.0 / 3.0, -1234.5678, 7.25]])
    return base


def main():
    os.makedirs(OUT, exist_ok=True)

    # --- every float dtype in one safetensors file, with metadata, unpadded header -------------
    v = dtype_values()
    data, values = safetensors_bytes(
        [('f64', 'F64', v), ('f32', 'F32', v), ('f16', 'F16', v), ('bf16', 'BF16', v), ('f32_3d', 'F32', rng.standard_normal((2, 3, 2))), ('scalar', 'F64', np.array(2.5))],
        metadata={'format': 'pt', 'source': 'gen_io_fixtures.py'},
        pad=False,
    )
    write('dtypes.safetensors', data)
    record('dtypes.safetensors', values)

    # --- unsupported and malformed files --------------------------------------------------------
    data, _ = safetensors_bytes([('ids', 'I64', np.arange(6).reshape(2, 3)), ('w', 'F32', v)])
    write('int64.safetensors', data)
    good, _ = safetensors_bytes([('w', 'F32', np.ones((2, 2)))])
    write('truncated.safetensors', good[:-3])  # the data buffer is 3 bytes short
    write('truncated_header.safetensors', good[:20])  # stops inside the JSON header
    write('short.safetensors', good[:5])  # not even the 8-byte length
    text = b'{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]'  # missing the closing braces
    write('bad_json.safetensors', struct.pack('<Q', len(text)) + text + b'\0' * 16)
    text = json.dumps({'w': {'dtype': 'F32', 'shape': [2, 2], 'data_offsets': [8, 24]}}).encode()
    write('bad_offsets.safetensors', struct.pack('<Q', len(text)) + text + b'\0' * 16)
    text = json.dumps({'w': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 16]}}).encode()
    write('bad_size.safetensors', struct.pack('<Q', len(text)) + text + b'\0' * 16)
    write('huge_header.safetensors', struct.pack('<Q', 2**40) + b'{}')

    # --- .npy: both byte orders, C and Fortran order, f8 / f4 / f2 ------------------------------
    m = rng.standard_normal((3, 4))
    t3 = rng.standard_normal((2, 3, 4))
    npy = {
        'f8_le_c.npy': np.ascontiguousarray(m, dtype='<f8'),
        'f8_be_c.npy': np.ascontiguousarray(m, dtype='>f8'),
        'f8_le_fortran.npy': np.asfortranarray(m, dtype='<f8'),
        'f4_le_c.npy': np.ascontiguousarray(m, dtype='<f4'),
        'f4_be_fortran.npy': np.asfortranarray(m, dtype='>f4'),
        'f2_le_c.npy': np.ascontiguousarray(v, dtype='<f2'),
        'f2_be_fortran.npy': np.asfortranarray(v, dtype='>f2'),
        'f8_3d_fortran.npy': np.asfortranarray(t3, dtype='<f8'),
        'f4_3d_be_c.npy': np.ascontiguousarray(t3, dtype='>f4'),
        'f8_scalar.npy': np.array(-3.5, dtype='<f8'),
        'f8_vector.npy': np.arange(5, dtype='<f8') / 4,
        'i8.npy': np.arange(4, dtype='<i8'),
    }
    for name, arr in npy.items():
        np.save(os.path.join(OUT, name), arr)
        assert arr.flags['F_CONTIGUOUS'] == ('fortran' in name) or arr.ndim < 2
        record(name, {'array': np.asarray(arr, dtype=np.float64)})

    # --- .npz: stored (savez) and deflated (savez_compressed) ----------------------------------
    arrays = {'W1': rng.standard_normal((4, 3)).astype('<f4'), 'b1': rng.standard_normal(4), 'half': v.astype('<f2'), 'big': np.asfortranarray(m, dtype='>f8')}
    np.savez(os.path.join(OUT, 'stored.npz'), **arrays)
    np.savez_compressed(os.path.join(OUT, 'deflated.npz'), **arrays)
    record('stored.npz', {k: a.astype(np.float64) for k, a in arrays.items()})
    record('deflated.npz', {k: a.astype(np.float64) for k, a in arrays.items()})

    # --- PyTorch-style layers --------------------------------------------------------------------
    # nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 3)) as torch's state_dict names and
    # orientations (weight [out_features, in_features]), float32 like torch's default.
    n_in, hidden, out = 6, 10, 3
    seq = [
        ('0.weight', 'F32', rng.standard_normal((hidden, n_in)) / np.sqrt(n_in)),
        ('0.bias', 'F32', 0.1 * rng.standard_normal(hidden)),
        ('2.weight', 'F32', rng.standard_normal((out, hidden)) / np.sqrt(hidden)),
        ('2.bias', 'F32', 0.1 * rng.standard_normal(out)),
    ]
    data, values = safetensors_bytes(seq, metadata={'format': 'pt'})
    write('sequential.safetensors', data)
    record('sequential.safetensors', values)
    # The same layer under a prefix, as inside a bigger module (model.mlp = nn.Sequential(...)).
    data, _ = safetensors_bytes([('model.mlp.' + n, d, a) for n, d, a in seq] + [('model.embed.weight', 'F32', rng.standard_normal((5, n_in)))])
    write('sequential_prefixed.safetensors', data)

    # Input law for the CLI: a Gaussian N(mean, cov) with a full-rank covariance, and a mixture.
    a = rng.standard_normal((n_in, n_in)) / np.sqrt(n_in)
    cov = a @ a.T + 0.5 * np.eye(n_in)
    mean = 0.2 * rng.standard_normal(n_in)
    data, values = safetensors_bytes([('mean', 'F64', mean), ('cov', 'F64', cov)])
    write('input_gaussian.safetensors', data)
    record('input_gaussian.safetensors', values)
    np.savez(os.path.join(OUT, 'input_mixture.npz'), weights=np.array([0.3, 0.7]), means=0.3 * rng.standard_normal((2, n_in)), covs=np.stack([cov, np.eye(n_in)]))

    # HF GPT-2 MLP: transformers' Conv1D stores weight as [in_features, out_features].
    d, dh = 4, 8
    gpt2 = []
    for layer in range(2):
        gpt2 += [
            (f'h.{layer}.ln_2.weight', 'F32', np.ones(d)),
            (f'h.{layer}.mlp.c_fc.weight', 'F32', rng.standard_normal((d, dh)) / 2),
            (f'h.{layer}.mlp.c_fc.bias', 'F32', 0.1 * rng.standard_normal(dh)),
            (f'h.{layer}.mlp.c_proj.weight', 'F32', rng.standard_normal((dh, d)) / 3),
            (f'h.{layer}.mlp.c_proj.bias', 'F32', 0.1 * rng.standard_normal(d)),
        ]
    data, values = safetensors_bytes(gpt2, metadata={'format': 'pt'})
    write('gpt2_mlp.safetensors', data)
    record('gpt2_mlp.safetensors', values)

    # HF LLaMA MLP: down_proj(silu(gate_proj(x)) * up_proj(x)), nn.Linear orientation, no biases,
    # stored in bf16.
    llama = [
        ('model.layers.0.mlp.gate_proj.weight', 'BF16', rng.standard_normal((dh, d)) / 2),
        ('model.layers.0.mlp.up_proj.weight', 'BF16', rng.standard_normal((dh, d)) / 2),
        ('model.layers.0.mlp.down_proj.weight', 'BF16', rng.standard_normal((d, dh)) / 3),
        ('model.layers.0.input_layernorm.weight', 'BF16', np.ones(d)),
    ]
    data, values = safetensors_bytes(llama, metadata={'format': 'pt'})
    write('llama_mlp.safetensors', data)
    record('llama_mlp.safetensors', values)

    # --- float64 -> float16 rounding as numpy does it (round to nearest even, from float64) ----
    x = np.concatenate([
        rng.standard_normal(40) * 10.0 ** rng.integers(-9, 5, 40),
        [65504.0, 65519.99, 65520.0, 1e6, -1e6, 2.0**-24, 2.0**-25, 2.0**-25 * 1.0000001, 2.0**-26, 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 0.1, -0.0],
    ])
    expected['float16_rounding'] = {'input': [float(t) for t in x], 'bits': [int(b) for b in x.astype('<f2').view('<u2')]}

    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=None, separators=(',', ':'))
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
