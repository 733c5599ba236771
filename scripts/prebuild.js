#!/usr/bin/env node
'use strict';
// npm run prebuild: the Node-API prebuild shipped in the npm tarball,
// prebuilds/<platform>-<arch>/polyapprox.node, made by prebuildify (--napi --strip) with OpenBLAS
// linked statically (POLYAPPROX_STATIC_OPENBLAS=1; binding.gyp and scripts/find-openblas.js say
// how), so that it needs nothing beyond the C/C++ runtime. CPU addon only (POLYAPPROX_CUDA=0).
//
// The build runs in a temporary copy of what the tarball ships to compile from (package.json
// "files" minus dist/, lib/, prebuilds/), with node_modules linked in, so that ./build (the
// developer's dynamically linked addon, maybe a CUDA addon too) is left as it was: prebuildify
// always runs `node-gyp rebuild` and moves the .node out of build/Release.
//
// Afterwards it checks the binary (readelf/nm: no shared library beyond the C/C++ runtime, no
// undefined Fortran symbol, no exported OpenBLAS symbol) and prints `ldd`; test/prebuild.test.ts
// checks the same with its own allow-list.
//
// Linux only (the static route is; elsewhere it stops with the reason). Needs Debian's
// libopenblas-dev (libopenblas.a); libgfortran is not used (see native/static/fortran_runtime.c).

const fs = require('fs');
const os = require('os');
const path = require('path');
const childProcess = require('child_process');

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Shared libraries the prebuild may need: the C and C++ runtimes. */
const ALLOWED_NEEDED = [/^libc\.so\.\d+$/, /^libm\.so\.\d+$/, /^libstdc\+\+\.so\.\d+$/, /^libgcc_s\.so\.\d+$/, /^libpthread\.so\.\d+$/, /^libdl\.so\.\d+$/, /^ld-linux[-\w.]*\.so\.\d+$/];

function log(msg) {
  process.stderr.write(`prebuild: ${msg}\n`);
}

function die(msg) {
  log(`ERROR: ${msg}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = childProcess.spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}\n${r.stderr || ''}`);
  return r.stdout || '';
}

/** node-gyp: the one npm runs scripts with, else the one bundled with npm (as scripts/install.js). */
function nodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const prefix = path.dirname(path.dirname(process.execPath));
  for (const npmDir of [path.join(prefix, 'lib', 'node_modules', 'npm'), path.join(path.dirname(process.execPath), 'node_modules', 'npm')]) {
    candidates.push(path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch (_) {
    /* not a dependency */
  }
  return candidates.find((c) => fs.existsSync(c)) || 'node-gyp';
}

/** Node's own prefix when it ships the headers node-gyp needs, so nothing is downloaded. */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.dirname(path.dirname(process.execPath));
  const inc = path.join(prefix, 'include', 'node');
  return ['node_api.h', 'common.gypi', 'config.gypi'].every((f) => fs.existsSync(path.join(inc, f))) ? prefix : null;
}

/** Copies what the tarball ships to build from into a temporary directory. */
function stage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polyapprox-prebuild-'));
  const skip = new Set(['dist', 'lib', 'prebuilds']);
  for (const entry of pkg.files || []) {
    const rel = entry.replace(/\/+$/, '');
    if (skip.has(rel)) continue;
    const src = path.join(root, rel);
    if (!fs.existsSync(src)) continue;
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.cpSync(src, path.join(dir, rel), { recursive: true });
  }
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** What the binary needs and exposes, from readelf and nm (binutils). */
function inspect(file) {
  const needed = [...run('readelf', ['-d', '-W', file]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const undef = run('nm', ['-D', '--undefined-only', file]).split('\n').map((l) => l.trim().split(/\s+/).pop()).filter(Boolean);
  const defined = run('nm', ['-D', '--defined-only', file]).split('\n').map((l) => l.trim().split(/\s+/).pop()).filter(Boolean);
  return {
    needed,
    disallowed: needed.filter((n) => !ALLOWED_NEEDED.some((re) => re.test(n))),
    fortranUndefined: undef.filter((s) => /gfortran|quadmath/.test(s)),
    blasExported: defined.filter((s) => /^(cblas_|openblas_|goto_|gotoblas)|^[sdcz](gemm|gemv|syrk|trmm|potrf|syevr|scal)_?$/.test(s)),
  };
}

function main() {
  if (process.platform !== 'linux') die(`prebuilds with a static OpenBLAS are made on Linux only (this is ${process.platform})`);
  let prebuildify;
  try {
    prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
  } catch (_) {
    die('prebuildify is not installed: run npm ci (it is a devDependency)');
  }

  const env = { ...process.env, POLYAPPROX_STATIC_OPENBLAS: '1', POLYAPPROX_CUDA: '0' };
  delete env.npm_config_build_from_source;
  const nodedir = localNodeDir();
  if (nodedir) env.npm_config_nodedir = nodedir;
  env.PREBUILD_NODE_GYP = nodeGyp();

  const blas = run(process.execPath, [path.join(root, 'scripts', 'find-openblas.js'), '--json', '--static'], { env });
  const staticLink = JSON.parse(blas).static;
  if (!staticLink || !staticLink.ok) die(staticLink ? staticLink.reason : 'scripts/find-openblas.js found no OpenBLAS');
  log(`OpenBLAS archive: ${staticLink.archive}`);

  const dir = stage();
  const target = `node@${process.versions.node}`;
  const args = [prebuildify, '--napi', '--strip', `--target=${target}`, `--out=${root}`, `--cwd=${dir}`];
  log(`building in ${dir}: prebuildify ${args.slice(1).join(' ')} (node-gyp: ${env.PREBUILD_NODE_GYP})`);
  let status;
  try {
    const r = childProcess.spawnSync(process.execPath, args, { cwd: dir, env, stdio: 'inherit' });
    status = r.error ? r.error.message : r.status;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (status !== 0) die(`prebuildify failed (${status}); compiler output above`);

  const file = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, `${pkg.name}.node`);
  if (!fs.existsSync(file)) die(`prebuildify succeeded but ${path.relative(root, file)} is missing`);

  const info = inspect(file);
  const ldd = childProcess.spawnSync('ldd', [file], { encoding: 'utf8' });
  process.stdout.write(`\n${path.relative(root, file)} (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB)\n`);
  process.stdout.write(`NEEDED: ${info.needed.join(' ')}\n`);
  if (!ldd.error) process.stdout.write(`ldd:\n${ldd.stdout}`);
  const problems = [];
  if (info.disallowed.length > 0) problems.push(`needs shared libraries beyond the C/C++ runtime: ${info.disallowed.join(', ')}`);
  if (info.fortranUndefined.length > 0) {
    problems.push(
      `leaves Fortran runtime symbols undefined: ${info.fortranUndefined.join(', ')} ` +
        '(this libopenblas.a needs more of libgfortran than native/static/fortran_runtime.c provides)',
    );
  }
  if (info.blasExported.length > 0) problems.push(`exports OpenBLAS symbols: ${info.blasExported.slice(0, 5).join(', ')}…`);
  const load = childProcess.spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8' });
  if (load.status !== 0) problems.push(`does not load: ${(load.stderr || '').trim().split('\n')[0]}`);
  if (problems.length > 0) {
    fs.rmSync(file, { force: true });
    die(`the prebuild ${problems.join('; ')}. Removed it.`);
  }
  log(`OK: ${path.relative(root, file)} is self-contained (static OpenBLAS, symbols hidden) and loads`);
}

if (require.main === module) main();

module.exports = { ALLOWED_NEEDED, inspect };
