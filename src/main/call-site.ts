/**
 * The frames of a public call, taken when it is made, for an error that call rejects with but
 * that was made elsewhere: on a shard and rebuilt on main from its record, or in a socket
 * callback. Such an error's own stack ends in the library's event handling; with the call
 * site's frames appended it shows where the user made the call, as an async stack trace would.
 */
export interface CallSite {
  readonly stack?: string;
}

/** Takes the stack here (V8 formats it only if it is ever read). */
export function callSite(): CallSite {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, callSite);
  return site;
}

const extended = new WeakSet<Error>();

/** `error` with the call site's frames after its own, once; anything else is returned as it is. */
export function withCallSite(error: unknown, site: CallSite): unknown {
  if (!(error instanceof Error) || extended.has(error)) return error;
  extended.add(error);
  const frames = site.stack?.slice(site.stack.indexOf('\n') + 1) ?? '';
  if (frames !== '' && error.stack !== undefined) error.stack = `${error.stack}\n${frames}`;
  return error;
}
