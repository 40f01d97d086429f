// Small formatters that keep the demo's sentences readable: times in UTC without milliseconds,
// durations in the largest sensible unit, long container ids shortened the way kubectl users
// are used to seeing them.

/** `2025-06-01 10:00:00 UTC` */
export function utcTime(iso: string | Date): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `3 days`, `8 minutes`, `45 seconds`: rounded to the largest whole unit that fits. */
export function duration(ms: number): string {
  const units: [string, number][] = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1_000],
  ];
  for (const [name, size] of units) {
    if (Math.abs(ms) >= size) {
      const count = Math.round(ms / size);
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  return `${Math.round(ms)} ms`;
}

/** The first 12 characters of a container id, as `crictl ps` shows them. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 12)}…` : id;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Throws `message` unless `condition` holds: the demo checks what it prints. */
export function expectThat(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}
