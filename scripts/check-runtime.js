// Fails early, with a clear message, when npm scripts do not run on the project's own Node
// (the `node` devDependency, architecture.md §7): Node >= 24.20 is needed for type stripping and for
// transferring sockets to worker threads.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 20)) {
  console.error(`p2p-socket needs Node >= 24.20, this is ${process.version}. Run 'npm install' first: it installs Node 24 as a devDependency that npm scripts use.`);
  process.exit(1);
}
