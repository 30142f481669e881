/**
 * The backend's named buckets: one LMDB named database (DBI) each, with etcd's bucket names so a
 * snapshot writer can copy them to a bbolt file byte for byte.
 */
export const BUCKET_NAMES = [
  'key', 'meta', 'lease', 'alarm', 'auth', 'authUsers', 'authRoles', 'members', 'members_removed', 'cluster',
] as const;

/** One of etcd's bucket names. */
export type BucketName = (typeof BUCKET_NAMES)[number];

/** True when `name` is a bucket this backend knows. */
export function isBucketName(name: string): name is BucketName {
  return (BUCKET_NAMES as readonly string[]).includes(name);
}
