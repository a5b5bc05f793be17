/**
 * A bounded cache that keeps what was used recently (the two-generation scheme of quick-lru):
 * entries go into the young map; when it holds half the capacity it becomes the old map and the
 * previous old one is dropped whole; a hit in the old map moves the entry to the young one. At
 * most `capacity` entries are held, every operation is O(1), and a hit in the young map is one
 * Map lookup. (A Map used as an LRU by delete-and-reinsert is not O(1) in V8: dropping its first
 * key walks over the holes earlier deletions left, which made a miss cost ~20 µs at 10,000.)
 */
export class Lru<K, V> {
  private young = new Map<K, V>()
  private old = new Map<K, V>()
  private readonly half: number

  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2))
  }

  get size(): number {
    return this.young.size + this.old.size
  }

  get(key: K): V | undefined {
    const value = this.young.get(key)
    if (value !== undefined) return value
    const aging = this.old.get(key)
    if (aging !== undefined) {
      this.old.delete(key)
      this.add(key, aging)
    }
    return aging
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) this.young.set(key, value)
    else {
      this.old.delete(key)
      this.add(key, value)
    }
  }

  /** `set` for a key `get` has just not found: it skips looking for it again. */
  setMissing(key: K, value: V): void {
    this.add(key, value)
  }

  private add(key: K, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young
      this.young = new Map()
    }
    this.young.set(key, value)
  }
}
