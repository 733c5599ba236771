#!/usr/bin/env node
'use strict';
// npm "install" script. Same first step as node-gyp-build: if a prebuild or an existing build loads,
// stop there. Otherwise compile with node-gyp. A failed compile is not a failed install: the
// package runs on its TypeScript backend, so print ONE warning naming the cause and the command
// that enables the native path, and exit 0. POLYAPPROX_REQUIRE_NATIVE=1 (CI) turns that into exit 1.
//
// Environment:
//   POLYAPPROX_REQUIRE_NATIVE=1          fail the install when the addon cannot be built/loaded
//   npm_config_build_from_source=true    compile even if a prebuild/build loads (npm --build-from-source)
//   POLYAPPROX_OPENBLAS_DIR=<prefix>     OpenBLAS location (see scripts/find-openblas.js)
//   POLYAPPROX_CUDA=0|1                  never / always build the CUDA addon too (default: when
//                                        scripts/find-cuda.js finds a toolkit; a failed CUDA build
//                                        is then retried without it, so the CPU addon still builds)
//   npm_config_nodedir=<prefix>          Node headers; defaults to the running node's own prefix
//                                        when it ships include/node, so no headers are downloaded

const fs = require('fs');
const path = require('path');
const childProcess = require('child_process');
const { findOpenBLAS, installHint } = require('./find-openblas.js');
const { findCuda } = require('./find-cuda.js');

const root = path.join(__dirname, '..');
const requireNative = process.env.POLYAPPROX_REQUIRE_NATIVE === '1';

function log(msg) {
  process.stderr.write(`polyapprox: ${msg}\n`);
}

/** Tries to load the addon in a child process (a broken binary must not crash npm). */
function tryLoad() {
  const script =
    `const p = require('node-gyp-build').resolve(${JSON.stringify(root)});` +
    `require(p); process.stdout.write(p);`;
  const r = childProcess.spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  if (r.status === 0) return { ok: true, path: r.stdout.trim() };
  const err = (r.stderr || '').trim().split('\n').find((l) => /Error/.test(l)) || (r.stderr || '').trim();
  return { ok: false, error: err };
}

function which(cmd, args = ['--version']) {
  const r = childProcess.spawnSync(cmd, args, { stdio: 'ignore', shell: process.platform === 'win32' });
  return !r.error && r.status === 0;
}

/** Returns the cause that will certainly make the compile fail, or null. */
function missingPrerequisite() {
  if (process.platform !== 'win32') {
    const cxx = process.env.CXX || 'c++';
    if (!which(cxx.split(' ')[0])) return `no C++ compiler (${cxx}) on PATH`;
    if (!which('make')) return 'make is not installed';
    const python = process.env.npm_config_python || process.env.PYTHON || 'python3';
    if (!which(python)) return `${python} (needed by node-gyp) is not installed`;
  }
  const blas = findOpenBLAS();
  if (!blas.found) return blas.reason;
  return null;
}

function nodeGypCommand() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) {
    return [process.execPath, process.env.npm_config_node_gyp];
  }
  // The node-gyp npm bundles: <prefix>/lib/node_modules/npm/node_modules/node-gyp.
  const prefix = path.dirname(path.dirname(process.execPath));
  const npmDirs = [
    path.join(prefix, 'lib', 'node_modules', 'npm'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm'), // Windows layout
  ];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [root, ...npmDirs] })];
  } catch (_) {
    return [process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp'];
  }
}

/** Node's own prefix when it ships the headers node-gyp needs, so nothing is downloaded. */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return null; // npm/user already chose
  const prefix = path.dirname(path.dirname(process.execPath));
  const inc = path.join(prefix, 'include', 'node');
  const needed = ['node_api.h', 'common.gypi', 'config.gypi'];
  return needed.every((f) => fs.existsSync(path.join(inc, f))) ? prefix : null;
}

function fail(cause, fix = `To enable the native backend: ${installHint()}`) {
  const lines = [
    '',
    `polyapprox: WARNING: the native addon was not built: ${cause}.`,
    '  polyapprox still works, on its pure-TypeScript backend (slower).',
    `  ${fix}`,
    '',
  ];
  process.stderr.write(lines.join('\n') + '\n');
  if (requireNative) {
    log('POLYAPPROX_REQUIRE_NATIVE=1 is set, so this install fails.');
    process.exit(1);
  }
  process.exit(0);
}

function main() {
  const fromSource = process.env.npm_config_build_from_source === 'true';
  if (!fromSource) {
    const loaded = tryLoad();
    if (loaded.ok) {
      log(`native addon loads from ${path.relative(root, loaded.path)}; nothing to build.`);
      return;
    }
  }

  const missing = missingPrerequisite();
  if (missing) fail(missing);

  const [cmd, ...pre] = nodeGypCommand();
  const args = [...pre, 'rebuild'];
  const nodedir = localNodeDir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const cuda = findCuda();
  log(cuda.enabled ? `CUDA toolkit found (${cuda.via}): building the CUDA addon too` : `no CUDA addon: ${cuda.reason}`);
  log(`building the native addon: ${[cmd, ...args].join(' ')}`);
  let r = childProcess.spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.error) fail(`could not run node-gyp (${r.error.message})`);
  if (r.status !== 0 && cuda.enabled && !cuda.required) {
    // A broken CUDA toolchain must not cost users the CPU addon.
    log('the build with CUDA failed (output above); building the CPU addon alone (POLYAPPROX_CUDA=0)');
    r = childProcess.spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', env: { ...process.env, POLYAPPROX_CUDA: '0' } });
    if (r.error) fail(`could not run node-gyp (${r.error.message})`);
  }
  const retry = 'The compiler and OpenBLAS were found, so this is a build bug: see the output above, ' +
    'and retry with: npm rebuild polyapprox --foreground-scripts';
  if (r.status !== 0) fail(`node-gyp rebuild exited with status ${r.status} (compiler output above)`, retry);

  const loaded = tryLoad();
  if (!loaded.ok) fail(`the addon was built but does not load: ${loaded.error}`, retry);
  log(`native addon built: ${path.relative(root, loaded.path)}`);
}

main();
