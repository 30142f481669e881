// Fact-check of our .proto files against an independent copy of etcd's own protos: the ones bundled
// with the `etcd3` npm client (a devDependency; etcd 3.4-era). Every message, field, enum value and
// RPC present there must exist in ours with the same number, type, label and name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { loadPbjsRoot } from './testing/pbjs.js';

function etcd3ProtoDir(): string | undefined {
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('etcd3/package.json')), 'proto');
    return existsSync(join(dir, 'rpc.proto')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

const dir = etcd3ProtoDir();

function walk(ns: protobuf.NamespaceBase, visit: (object: protobuf.ReflectionObject) => void): void {
  for (const nested of ns.nestedArray) {
    visit(nested);
    if (nested instanceof protobuf.Namespace) walk(nested, visit);
  }
}

test('our protos agree with etcd\'s own (as bundled by the etcd3 client)', { skip: dir === undefined }, () => {
  const theirs = new protobuf.Root();
  theirs.loadSync(['rpc.proto', 'kv.proto', 'auth.proto'].map((file) => join(dir!, file)), { keepCase: true });
  theirs.resolveAll();
  const ours = loadPbjsRoot();
  let checkedFields = 0;
  walk(theirs, (object) => {
    const name = object.fullName.slice(1);
    if (object instanceof protobuf.Type) {
      const mine = ours.lookupType(name);
      for (const field of object.fieldsArray) {
        const match = mine.fieldsById[field.id];
        assert.ok(match, `${name}.${field.name} (${field.id}) missing`);
        assert.equal(match.name, field.name, `${name} field ${field.id} name`);
        assert.equal(match.type.split('.').pop(), field.type.split('.').pop(), `${name}.${field.name} type`);
        assert.equal(match.repeated, field.repeated, `${name}.${field.name} repeated`);
        assert.equal(match.partOf?.name, field.partOf?.name, `${name}.${field.name} oneof`);
        checkedFields++;
      }
    } else if (object instanceof protobuf.Enum) {
      const mine = ours.lookupEnum(name);
      // The etcd3 package renamed some values (`None`, `NotEqual`); names are not on the wire, so compare
      // ignoring case and underscores.
      const squash = (key: string): string => key.replace(/_/g, '').toUpperCase();
      const byName = new Map(Object.entries(mine.values).map(([key, value]) => [squash(key), value]));
      for (const [key, value] of Object.entries(object.values)) {
        assert.equal(byName.get(squash(key)), value, `${name}.${key}`);
      }
    } else if (object instanceof protobuf.Service) {
      const mine = ours.lookupService(name);
      for (const method of object.methodsArray) {
        const match = mine.methods[method.name];
        assert.ok(match, `${name}/${method.name} missing`);
        assert.equal(match.requestType.split('.').pop(), method.requestType.split('.').pop());
        assert.equal(match.responseType.split('.').pop(), method.responseType.split('.').pop());
        assert.equal(Boolean(match.requestStream), Boolean(method.requestStream), `${name}/${method.name} stream`);
        assert.equal(Boolean(match.responseStream), Boolean(method.responseStream), `${name}/${method.name} stream`);
      }
    }
  });
  assert.ok(checkedFields > 150, `only ${checkedFields} fields checked`);
});
