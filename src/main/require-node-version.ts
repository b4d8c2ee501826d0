/**
 * Imported first by the package entry (index.ts), so an unsupported Node fails at import with a
 * message that says what to install, before any other module of the library runs.
 */
import { supportsSocketTransfer, unsupportedNodeMessage } from './node-version.ts';

if (!supportsSocketTransfer(process.versions.node)) {
  throw Object.assign(new Error(unsupportedNodeMessage(`v${process.versions.node}`)), { code: 'UNSUPPORTED_NODE_VERSION' });
}
