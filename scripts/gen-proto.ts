// Generates src/proto/gen/<package>.ts from every .proto file under src/proto (see src/proto/README.md).
// Run: npx tsx scripts/gen-proto.ts   (add --check to fail instead of writing when output is stale)
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseProto, type ProtoFile } from '../src/proto/tools/parse-proto.js';
import { emitPackage } from '../src/proto/tools/emit-ts.js';
import { moduleName, Registry } from '../src/proto/tools/schema.js';

const root = resolve(new URL('..', import.meta.url).pathname);
const protoRoot = join(root, 'src', 'proto');
const genDir = join(protoRoot, 'gen');

function findProtoFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (path !== genDir) found.push(...findProtoFiles(path));
    } else if (name.endsWith('.proto')) found.push(path);
  }
  return found;
}

function main(): void {
  const check = process.argv.includes('--check');
  const files: ProtoFile[] = findProtoFiles(protoRoot).map((path) =>
    parseProto(readFileSync(path, 'utf8'), relative(protoRoot, path)));
  for (const file of files) {
    for (const imported of file.imports) {
      if (!existsSync(join(protoRoot, imported))) throw new Error(`${file.path}: import not found: ${imported}`);
    }
  }
  const registry = new Registry(files);
  mkdirSync(genDir, { recursive: true });
  let stale = 0;
  for (const pkg of [...registry.packages.values()].sort((a, b) => a.packageName.localeCompare(b.packageName))) {
    const out = join(genDir, `${moduleName(pkg.packageName)}.ts`);
    const text = emitPackage(registry, pkg);
    const current = existsSync(out) ? readFileSync(out, 'utf8') : '';
    if (current === text) continue;
    stale++;
    if (check) console.error(`stale: ${relative(root, out)}`);
    else {
      writeFileSync(out, text);
      console.log(`wrote ${relative(root, out)} (${pkg.messages.length} messages, ${pkg.enums.length} enums, ` +
        `${pkg.services.length} services)`);
    }
  }
  if (check && stale > 0) process.exit(1);
  if (stale === 0) console.log('gen-proto: up to date');
}

main();
