/**
 * Which Node.js can run the library. The pool hands each accepted socket to a shard worker
 * (`worker.postMessage({ socket }, [socket])`, architecture.md §2); Node accepts a socket in a
 * transfer list only from 24.20 on the 24 line and from 26.6 on later lines. Older versions load
 * the library fine and then fail on the first connection with ERR_INVALID_TRANSFER_OBJECT, so
 * the entry point checks first (require-node-version.ts).
 */

const REQUIRED_NODE = '>= 24.20 (or >= 26.6)';

/** Whether `version` ("24.21.0", "v20.1.0") can transfer sockets to worker threads. */
export function supportsSocketTransfer(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 24 && minor >= 20) || (major === 26 && minor >= 6) || major > 26;
}

/** The error text for an unsupported Node, naming the version needed and why. */
export function unsupportedNodeMessage(version: string): string {
  return (
    `p2p-socket needs Node.js ${REQUIRED_NODE}; this is ${version}. ` +
    'It hands sockets to worker threads, which older versions refuse (ERR_INVALID_TRANSFER_OBJECT on the first connection).'
  );
}
