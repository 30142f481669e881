// Enforces the one-way dependency graph between src/ folders (docs/design/0001-architecture.md).
// Each folder may import only the folders listed for it (plus itself). Type-only imports are held to the
// same rule except where noted in `typeOnly`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const allowed = {
  base: [],
  proto: ['base'],
  raft: ['base'],
  platform: ['base'],
  wal: ['base', 'raft', 'platform'],
  backend: ['base', 'platform'],
  mvcc: ['base', 'proto', 'backend'],
  lease: ['base', 'proto', 'backend', 'mvcc'],
  auth: ['base', 'proto', 'backend', 'mvcc'],
  metrics: ['base'],
  pki: ['base', 'platform'],
  snapshot: ['base', 'proto', 'raft', 'wal', 'backend', 'mvcc', 'platform'],
  server: ['base', 'proto', 'raft', 'wal', 'backend', 'mvcc', 'lease', 'auth', 'platform', 'metrics', 'snapshot'],
  transport: ['base', 'proto', 'raft', 'platform', 'metrics', 'server', 'pki'],
  // The web dashboard: static page + a JSON status endpoint built from the member's own view.
  dashboard: ['base', 'proto', 'server', 'metrics', 'platform'],
  api: ['base', 'proto', 'server', 'mvcc', 'metrics', 'platform', 'auth', 'snapshot', 'dashboard'],
  client: ['base', 'proto'],
  cli: ['base', 'proto', 'client', 'wal', 'backend', 'mvcc', 'platform', 'snapshot', 'pki', 'raft'],
  embed: ['base', 'proto', 'raft', 'wal', 'backend', 'mvcc', 'lease', 'auth', 'server', 'transport', 'api',
    'platform', 'metrics', 'client', 'pki', 'snapshot', 'ha', 'dashboard'],
  // K3s-style HA: snapshots on a schedule (local + S3), tokens, bootstrap material; talks to members as a client.
  ha: ['base', 'proto', 'client', 'pki', 'snapshot', 'platform'],
  sim: ['base', 'raft', 'wal', 'backend', 'mvcc', 'server', 'proto'],
  bin: ['*'],
};
// The network CLI (src/cli) must never reach server code; etcdutl's storage imports are allowed above.
// Test files may import anything from src.
const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) check(path);
  }
}
function check(file) {
  const from = relative(join(root, 'src'), file).split('/')[0];
  if (from === 'main.ts' || !(from in allowed)) return;
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
    const target = relative(join(root, 'src'), resolve(dirname(file), match[1])).split('/')[0];
    if (target === from || target.startsWith('..')) continue;
    if (allowed[from].includes('*') || allowed[from].includes(target)) continue;
    problems.push(`${relative(root, file)}: src/${from} may not import src/${target} (${match[1]})`);
  }
}
walk(join(root, 'src'));
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`boundaries: ${problems.length} forbidden import(s)`);
  process.exit(1);
}
console.log('boundaries: ok');
