import type { SharedCache } from '../contract/index.js';

/** In-process SharedCache for tests and single-process tools (the service uses the Redis-backed one). */
export class MemoryCache implements SharedCache {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return JSON.parse(e.value) as T;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    this.entries.set(key, { value: JSON.stringify(value), expires: this.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}
