/** At most one run of `fn` per key at a time; callers arriving meanwhile share its promise. */
export class SingleFlight<K, V> {
  private readonly inFlight = new Map<K, Promise<V>>();

  run(key: K, fn: () => Promise<V>): Promise<V> {
    const current = this.inFlight.get(key);
    if (current) return current;
    const started = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  has(key: K): boolean {
    return this.inFlight.has(key);
  }

  get size(): number {
    return this.inFlight.size;
  }
}
