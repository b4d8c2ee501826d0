// An ES module and nothing else, for test/support/require-esm-probe.ts.
export const esm = true;
