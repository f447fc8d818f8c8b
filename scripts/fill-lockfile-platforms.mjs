#!/usr/bin/env node
// The npm registry this project is developed against serves only some platforms' binary
// packages, so `npm install` writes a package-lock.json without the others, and `npm ci` then
// refuses it as "out of sync". This adds the missing optional platform entries (version, os,
// cpu, libc, from the package name) so `npm ci` works everywhere; npm skips them on other
// platforms without fetching them. Run it after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'sunos', 'aix'];
const CPU = {
  arm64: 'arm64',
  x64: 'x64',
  ia32: 'ia32',
  arm: 'arm',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  wasm32: 'wasm32',
};

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;
let added = 0;

for (const [parentPath, parent] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(parent.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const tokens = name.split('/').pop().split('-');
    const os = OS.find((o) => tokens.includes(o));
    const cpu = tokens.map((t) => CPU[t]).find(Boolean);
    if (!os || !cpu) continue; // not a platform binary package
    const libc = os === 'linux' ? (tokens.some((t) => t.startsWith('musl')) ? ['musl'] : ['glibc']) : undefined;
    const base = name.split('/').pop();
    packages[key] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`,
      cpu: [cpu],
      ...(parent.dev ? { dev: true } : {}),
      ...(libc ? { libc } : {}),
      optional: true,
      os: [os === 'win32' ? 'win32' : os],
    };
    added += 1;
    console.log(`added ${key}@${version} (${os} ${cpu}${libc ? ` ${libc[0]}` : ''}) for ${parentPath || 'the root'}`);
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`${added} platform entries added`);
