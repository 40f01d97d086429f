// Request/response and events over a fork()ed child's IPC channel, so the bench's processes
// (agent, clients, attestation probe) can be driven step by step by run-all without sharing an
// event loop with it. Messages are plain JSON.

type Envelope =
  | { readonly t: 'req'; readonly id: number; readonly method: string; readonly params: unknown }
  | { readonly t: 'res'; readonly id: number; readonly result?: unknown; readonly error?: string }
  | { readonly t: 'evt'; readonly name: string; readonly data: unknown };

/** What ChildProcess and `process` (in a forked child) have in common. */
export interface IpcPort {
  send?(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

type Handler = (params: unknown) => unknown;

export class Ipc {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly handlers = new Map<string, Handler>();
  private readonly listeners = new Map<string, Set<(data: unknown) => void>>();

  constructor(private readonly port: IpcPort) {
    port.on('message', (message) => this.receive(message as Envelope));
  }

  /** Answers `method` calls from the other side; a thrown error is sent back as its message. */
  handle(method: string, handler: Handler): this {
    this.handlers.set(method, handler);
    return this;
  }

  call<T>(method: string, params: unknown = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`ipc call ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value as T)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.post({ t: 'req', id, method, params });
    });
  }

  emit(name: string, data: unknown): void {
    this.post({ t: 'evt', name, data });
  }

  on(name: string, listener: (data: unknown) => void): () => void {
    const set = this.listeners.get(name) ?? new Set();
    this.listeners.set(name, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Fails every call still waiting (the other side exited). */
  failPending(reason: string): void {
    for (const { reject } of this.pending.values()) reject(new Error(reason));
    this.pending.clear();
  }

  private post(envelope: Envelope): void {
    if (!this.port.send) throw new Error('this process has no ipc channel (start it with fork)');
    this.port.send(envelope);
  }

  private receive(message: Envelope): void {
    switch (message.t) {
      case 'req':
        return void this.answer(message.id, message.method, message.params);
      case 'res': {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
        return;
      }
      case 'evt':
        for (const listener of this.listeners.get(message.name) ?? []) listener(message.data);
    }
  }

  private async answer(id: number, method: string, params: unknown): Promise<void> {
    const handler = this.handlers.get(method);
    try {
      if (!handler) throw new Error(`no ipc handler for ${method}`);
      this.post({ t: 'res', id, result: (await handler(params)) ?? null });
    } catch (error) {
      this.post({ t: 'res', id, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
