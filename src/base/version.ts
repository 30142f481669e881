/** Versions tetcd reports. The etcd API level it implements is reported where etcd reports its version. */
export const TETCD_VERSION = '0.1.0';
/** Reported in Status.version and /version: the etcd release whose API tetcd matches. */
export const ETCD_SERVER_VERSION = '3.5.0';
export const ETCD_CLUSTER_VERSION = '3.5.0';
