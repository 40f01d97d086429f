import { cpus } from 'node:os';

// What every bench returns: named figures, each with the floor it should approach (measured in
// the same run) or the target it is held to. run-all prints them as one table and writes JSON.

export interface Figure {
  /** Stable key, e.g. `cached.existing.p99` (the JSON and the smoke test use it). */
  readonly id: string;
  readonly group: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** A floor measured in the same run; the table shows value / floor. */
  readonly floor?: { readonly label: string; readonly value: number };
  readonly target?: { readonly text: string; readonly met: boolean };
}

export interface BenchResults {
  readonly mode: 'full' | 'quick';
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: { readonly nproc: number; readonly cpuModel: string; readonly node: string; readonly platform: string };
  readonly figures: readonly Figure[];
}

export function machineFacts(): BenchResults['machine'] {
  return { nproc: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}

export function formatTable(results: BenchResults): string {
  const header = ['figure', 'value', 'floor (same run)', 'ratio', 'target'];
  const rows: string[][] = [];
  let group = '';
  for (const f of results.figures) {
    if (f.group !== group) {
      group = f.group;
      rows.push([`[${group}]`, '', '', '', '']);
    }
    rows.push([
      `  ${f.label}`,
      `${formatNumber(f.value)} ${f.unit}`,
      f.floor ? `${formatNumber(f.floor.value)} ${f.unit} (${f.floor.label})` : '',
      f.floor && f.floor.value > 0 ? `${(f.value / f.floor.value).toFixed(2)}x` : '',
      f.target ? `${f.target.met ? 'met' : 'MISSED'}: ${f.target.text}` : '',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
  const { machine } = results;
  return [
    `conjur-spiffe-agent bench (${results.mode}) ${results.startedAt}, ${(results.durationMs / 1000).toFixed(0)} s`,
    `machine: ${machine.nproc} cpus, ${machine.cpuModel}, node ${machine.node}, ${machine.platform}`,
    '',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map(line),
  ].join('\n');
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toFixed(3);
}
