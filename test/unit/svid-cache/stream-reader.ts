/** Reads a stream in the background so a test can look at what arrived so far, and how it ended. */
export class StreamReader<T> {
  readonly values: T[] = [];
  error: unknown;
  done = false;
  private readonly controller = new AbortController();
  private readonly finished: Promise<void>;

  constructor(open: (signal: AbortSignal) => AsyncIterable<T>) {
    this.finished = this.read(open(this.controller.signal));
  }

  get last(): T | undefined {
    return this.values.at(-1);
  }

  /** The error's `code` (IssuanceError), or undefined while the stream is open or ended cleanly. */
  get errorCode(): string | undefined {
    return (this.error as { code?: string } | undefined)?.code;
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.finished;
  }

  private async read(stream: AsyncIterable<T>): Promise<void> {
    try {
      for await (const value of stream) this.values.push(value);
    } catch (error) {
      this.error = error;
    } finally {
      this.done = true;
    }
  }
}
