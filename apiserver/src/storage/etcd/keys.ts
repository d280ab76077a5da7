// Where the store's keys live in etcd: the apiserver's keys start with its registry root
// (/registry/...), which --etcd-prefix replaces, as kube-apiserver joins the prefix and the
// resource path. Keys are UTF-8 bytes in etcd; the store's range ends are computed on those bytes.
import { prefixEnd } from '../keys.js';

export class EtcdKeys {
  constructor(
    /** etcd-side prefix (--etcd-prefix). */
    readonly prefix: string,
    /** Store-side root every key starts with ('' for none). */
    readonly root = '',
  ) {}

  toEtcd(key: string): Buffer {
    if (!key.startsWith(this.root)) throw new TypeError(`storage key ${key} is outside ${this.root}`);
    return Buffer.from(this.prefix + key.slice(this.root.length), 'utf8');
  }

  fromEtcd(key: Buffer): string {
    return this.root + key.toString('utf8').slice(this.prefix.length);
  }

  /** [start, end) for keys starting with `storePrefix`, from `startKey` when given. */
  range(storePrefix: string, startKey?: string): { key: Buffer; rangeEnd: Buffer } {
    const p = this.prefix + storePrefix.slice(this.root.length);
    const end = prefixEnd(p);
    let key: Buffer = Buffer.from(p, 'utf8');
    if (startKey !== undefined && startKey > storePrefix) key = this.toEtcd(startKey);
    // No end exists only for an all-U+FFFF prefix; etcd's "\0" means "to the end of the keyspace".
    return { key, rangeEnd: end === null ? Buffer.from([0]) : Buffer.from(end, 'utf8') };
  }
}
