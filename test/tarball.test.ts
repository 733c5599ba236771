/**
 * The npm tarball as a user gets it: `npm pack`, then `npm install <tarball>` into an empty
 * project on a machine with no compiler and no OpenBLAS (PATH holds only node and npm,
 * CC=CXX=/bin/false, no npm_config_build_from_source; where the test may use a private mount
 * namespace (root, `unshare -m`), libopenblas, libgfortran and libquadmath are covered by an empty
 * file too, so a dynamically linked addon could not load). The installed package must load the
 * prebuild from its own prebuilds/, map no OpenBLAS library, and fit like the JS backend.
 *
 * Needs prebuilds/ (npm run prebuild) and dist/ (npm run build:ts, or npm ci); without them it
 * skips, saying so, unless CI or POLYAPPROX_REQUIRE_PREBUILD is set, when it fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREBUILD, ROOT, prebuildStatus } from './helpers/prebuild';

const status = prebuildStatus('test/tarball.test.ts');
const distBuilt = fs.existsSync(path.join(ROOT, 'dist', 'index.js'));
let skipReason = status.skipReason;
if (!skipReason && !distBuilt && !status.required) {
  skipReason = 'dist/ is absent (npm run build:ts makes it)';
  console.warn(`test/tarball.test.ts skipped: ${skipReason}`);
}
const TIMEOUT = 300_000;

/** Runs a command; on failure the error carries its output. */
function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): string {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
}

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Real files of the shared OpenBLAS and Fortran runtime this machine has (ldconfig's cache). */
function sharedBlasFiles(): string[] {
  const ldconfig = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p));
  if (!ldconfig) return [];
  const out = execFileSync(ldconfig, ['-p'], { encoding: 'utf8' });
  const files = out
    .split('\n')
    .filter((l) => /lib(openblas|gfortran|quadmath)/.test(l) && l.includes('=>'))
    .map((l) => l.split('=>')[1].trim())
    .filter((p) => fs.existsSync(p))
    .map((p) => fs.realpathSync(p));
  return [...new Set(files)];
}

/** `unshare -m` and `mount --bind` work here (root with CAP_SYS_ADMIN), or null. */
function mountNamespace(): { unshare: string; mount: string } | null {
  const unshare = which('unshare');
  const mount = which('mount');
  if (!unshare || !mount) return null;
  const r = spawnSync(unshare, ['-m', '/bin/sh', '-c', `${mount} --bind /dev/null /dev/null`], { stdio: 'ignore' });
  return r.status === 0 ? { unshare, mount } : null;
}

describe.skipIf(skipReason !== '')(`npm tarball installed without a compiler or OpenBLAS${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let tmp = '';
  let project = '';
  let packed: { filename: string; files: { path: string }[] } | undefined;
  let installLog = '';
  let childEnv: NodeJS.ProcessEnv = {};

  beforeAll(() => {
    if (!status.present || !distBuilt) return; // the first test says what is missing
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'polyapprox-tarball-'));

    // --ignore-scripts: pack dist/ as built (prepare would rebuild it under the other test files).
    const json = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, env: process.env });
    packed = JSON.parse(json.slice(json.indexOf('['), json.lastIndexOf(']') + 1))[0];

    // PATH: node and npm only. No compiler (CC/CXX fail), no build-from-source, no inherited npm_config_*.
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync(fs.realpathSync(which('npm')!), path.join(bin, 'npm'));
    // npm runs scripts with `sh` from PATH unless told where it is.
    childEnv = {
      PATH: bin,
      HOME: process.env.HOME ?? os.homedir(),
      CC: '/bin/false',
      CXX: '/bin/false',
      npm_config_script_shell: '/bin/sh',
      POLYAPPROX_REQUIRE_NATIVE: '1',
    };
    for (const [k, v] of Object.entries(process.env)) {
      // Where the registry and the cache are (and proxies), nothing that changes the build.
      if (/^(npm_config_(registry|cache|userconfig|globalconfig)|NPM_CONFIG_(REGISTRY|CACHE|USERCONFIG)|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY|TMPDIR)$/.test(k)) childEnv[k] = v;
    }

    project = path.join(tmp, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'tarball-check', version: '1.0.0', private: true }, null, 2));
    installLog = run(
      path.join(bin, 'npm'),
      ['install', path.join(tmp, packed!.filename), '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'],
      { cwd: project, env: childEnv },
    );
  }, TIMEOUT);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has what it needs: prebuilds/ (npm run prebuild) and dist/', () => {
    expect(status.present, `${PREBUILD} is missing: run npm run prebuild`).toBe(true);
    expect(distBuilt, 'dist/ is missing: run npm run build:ts').toBe(true);
  });

  it.runIf(status.present && distBuilt)('npm pack ships the prebuild and no local build', () => {
    const files = packed!.files.map((f) => f.path);
    expect(files).toContain(`prebuilds/${process.platform}-${process.arch}/polyapprox.node`);
    expect(files).toContain('dist/index.js');
    expect(files.filter((f) => f.startsWith('build/') || f.startsWith('build-cmake/'))).toEqual([]);
  });

  it.runIf(status.present && distBuilt)('installs without compiling: the install script finds the prebuild', () => {
    const installed = path.join(project, 'node_modules', 'polyapprox');
    expect(fs.existsSync(path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`, 'polyapprox.node'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'build')), `something was compiled:\n${installLog}`).toBe(false);
    expect(installLog).not.toMatch(/WARNING: the native addon was not built/);
    expect(installLog).toMatch(/native addon loads from prebuilds[/\\]/);
  });

  it.runIf(status.present && distBuilt)(
    'require("polyapprox") loads the prebuild from its prebuilds/, maps no OpenBLAS, and fits like the JS backend (1e-10)',
    () => {
      const script = path.join(project, 'check.cjs');
      fs.copyFileSync(path.join(__dirname, 'helpers', 'prebuild-check.cjs'), script);
      const ns = mountNamespace();
      const hide = ns ? sharedBlasFiles() : [];
      let r;
      if (ns && hide.length > 0) {
        // Private mount namespace: an empty file over each shared OpenBLAS / Fortran runtime file.
        const empty = path.join(tmp, 'empty');
        fs.writeFileSync(empty, '');
        const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
        const mounts = hide.map((f) => `${q(ns.mount)} --bind ${q(empty)} ${q(f)}`).join(' && ');
        r = spawnSync(ns.unshare, ['-m', '/bin/sh', '-c', `${mounts} && exec node check.cjs polyapprox`], { cwd: project, env: childEnv, encoding: 'utf8' });
      } else {
        console.warn(
          `test/tarball.test.ts: ${ns ? 'no shared OpenBLAS here' : 'no private mount namespace here (needs root: unshare -m)'}; ` +
            'OpenBLAS stays loadable, so only /proc/self/maps shows that the addon does not use it',
        );
        r = spawnSync(process.execPath, ['check.cjs', 'polyapprox'], { cwd: project, env: childEnv, encoding: 'utf8' });
      }
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);

      const prebuilds = path.join(fs.realpathSync(project), 'node_modules', 'polyapprox', 'prebuilds') + path.sep;
      expect(out.native.loaded, out.native.error).toBe(true);
      expect(out.native.source).toBe('prebuild');
      expect(fs.realpathSync(out.native.path).startsWith(prebuilds), `${out.native.path} is not under ${prebuilds}`).toBe(true);
      expect(out.backends).toContain('native');
      for (const diff of [...Object.values(out.quadratic), ...Object.values(out.mixtureLinear)] as number[]) expect(diff).toBeLessThan(1e-10);
      expect(out.mixtureSolve).toBe('pinv');
      expect((out.mapped as string[]).filter((p) => /openblas|gfortran|quadmath/.test(p))).toEqual([]);
      expect((out.mapped as string[]).some((p) => p.startsWith(prebuilds))).toBe(true);
      if (ns && hide.length > 0) {
        // The hiding worked: neither library could have been loaded by anything in this process.
        expect(out.probe['libopenblas.so.0'].reachable, JSON.stringify(out.probe)).toBe(false);
        expect(out.probe['libgfortran.so.5'].reachable, JSON.stringify(out.probe)).toBe(false);
      }
    },
    TIMEOUT,
  );
});
