/**
 * Holds the event loop open until the returned function is called. A source waiting out its
 * reconnect backoff has no socket open, and the shared Clock's timers are unref'd, so without
 * this a script doing `await X509Source.create()` during an agent restart would silently exit
 * (code 13, unsettled await). An open source keeps the process alive, as go-spiffe's does.
 */
export function holdProcessOpen(): () => void {
  const handle = setInterval(() => undefined, 60_000);
  return () => clearInterval(handle);
}
