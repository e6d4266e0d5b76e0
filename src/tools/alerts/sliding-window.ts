// Timestamps (or values with timestamps) within a trailing window, by key, with bounded memory:
// old entries fall out as time moves, and at most `maxKeys` keys are tracked (the least recently
// seen are forgotten first), so a flood of peer ids cannot grow it without limit.
export class SlidingWindow<V = number> {
  private readonly byKey = new Map<string | number, { t: number; v: V }[]>();

  constructor(
    private readonly windowUs: number,
    private readonly maxKeys = 10_000,
    private readonly maxPerKey = 100_000,
  ) {}

  add(key: string | number, t: number, v: V): void {
    let list = this.byKey.get(key);
    if (list) this.byKey.delete(key); // re-insert: most recent last
    else list = [];
    list.push({ t, v });
    this.trim(list, t);
    if (list.length > this.maxPerKey) list.splice(0, list.length - this.maxPerKey);
    this.byKey.set(key, list);
    if (this.byKey.size > this.maxKeys) this.byKey.delete(this.byKey.keys().next().value as string | number);
  }

  values(key: string | number, now: number): V[] {
    const list = this.byKey.get(key);
    if (!list) return [];
    this.trim(list, now);
    return list.map((x) => x.v);
  }

  count(key: string | number, now: number): number {
    return this.values(key, now).length;
  }

  private trim(list: { t: number }[], now: number): void {
    let i = 0;
    while (i < list.length && (list[i] as { t: number }).t <= now - this.windowUs) i++;
    if (i) list.splice(0, i);
  }
}
