// How the demo talks to the person running it: short numbered steps, each with what happened
// and one line on why it matters. Plain text; bold/dim/green/red only on a terminal (and never
// with NO_COLOR set), so logs and the CI test see the same words.

export interface NarratorOptions {
  readonly write: (text: string) => void;
  readonly color: boolean;
}

const STYLES = { bold: [1, 22], dim: [2, 22], green: [32, 39], red: [31, 39] } as const;
type Style = keyof typeof STYLES;

export class Narrator {
  private stepNumber = 0;
  private stepTitle = '';

  constructor(private readonly options: NarratorOptions) {}

  /** Whether stdout is a terminal that wants colours. */
  static forStdout(): Narrator {
    const color = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined && process.env['TERM'] !== 'dumb';
    return new Narrator({ write: (text) => process.stdout.write(text), color });
  }

  /** The step now running, for the failure message ("step 4 (…)"). */
  get current(): string {
    return this.stepNumber === 0 ? 'before the first step' : `step ${this.stepNumber} (${this.stepTitle})`;
  }

  banner(lines: readonly string[]): void {
    const [first, ...rest] = lines;
    this.print(this.style('bold', first ?? ''));
    for (const line of rest) this.print(line);
  }

  step(title: string): void {
    this.stepNumber++;
    this.stepTitle = title;
    this.print('');
    this.print(this.style('bold', `${this.stepNumber}. ${title}`));
  }

  /** What happened, indented under the step. */
  say(text: string): void {
    this.print(`   ${text}`);
  }

  /** A detail of the line above. */
  detail(text: string): void {
    this.print(`       ${text}`);
  }

  why(text: string): void {
    this.print(this.style('dim', `   Why it matters: ${text}`));
  }

  success(text: string): void {
    this.print('');
    this.print(this.style('green', text));
  }

  failure(text: string, context: readonly string[] = []): void {
    this.print('');
    this.print(this.style('red', text));
    for (const line of context) this.print(`   ${line}`);
  }

  private print(line: string): void {
    this.options.write(`${line}\n`);
  }

  private style(style: Style, text: string): string {
    if (!this.options.color || text === '') return text;
    const [on, off] = STYLES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  }
}
