/**
 * @peculiar/x509 resolves its algorithm providers through tsyringe, which refuses to load unless a
 * Reflect metadata API exists (normally the `reflect-metadata` package, not a dependency of tetcd).
 * tsyringe only stores and reads constructor parameter metadata, so a WeakMap-backed implementation of
 * the three functions it calls is enough. Installed only when absent; import this before @peculiar/x509.
 */
type MetadataMap = Map<unknown, unknown>;
const store = new WeakMap<object, MetadataMap>();

interface ReflectMetadataApi {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
}

const api = Reflect as unknown as ReflectMetadataApi;
if (api.getMetadata === undefined) {
  const own = (key: unknown, target: object): unknown => store.get(target)?.get(key);
  api.getOwnMetadata = own;
  api.getMetadata = (key, target) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const value = own(key, t);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  api.defineMetadata = (key, value, target) => {
    const map = store.get(target) ?? new Map<unknown, unknown>();
    map.set(key, value);
    store.set(target, map);
  };
}

export {};
