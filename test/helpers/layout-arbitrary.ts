/**
 * fast-check arbitraries derived from a layout declaration (its `shape`), so every message kind
 * gets generated values without a second, hand-written description of its fields. Sizes are kept
 * small; a value over a size budget is the caller's to filter (the codec's `encode` says which).
 */
import fc from 'fast-check';
import { HashList, hashSize, type AnyLayout } from '../../src/messages/index.ts';

/** Levels of a recursive layout (operation-list paths: 3 fit their 100-byte budget). */
const MAX_DEPTH = 3;

function refersToLazy(layout: AnyLayout): boolean {
  const shape = layout.shape;
  switch (shape.type) {
    case 'lazy':
      return true;
    case 'obj':
      return Object.values(shape.fields).some(refersToLazy);
    case 'dynamic':
    case 'checkSize':
    case 'list':
    case 'option':
      return refersToLazy(shape.inner);
    default:
      return false;
  }
}

const pointTexts: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([host, port]) => `${host}:${port}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([host, port]) => `[${host}]:${port}`),
);

export function arbitraryOf(layout: AnyLayout, depth = 0, leavesOnly = false): fc.Arbitrary<unknown> {
  const shape = layout.shape;
  switch (shape.type) {
    case 'int':
      return fc.integer({ min: shape.min, max: shape.max });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'hash': {
      const size = hashSize(shape.kind);
      return fc.uint8Array({ minLength: size, maxLength: size });
    }
    case 'hashList':
      return fc
        .array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: Math.min(shape.maxLength ?? 12, 12) })
        .map((hashes) => HashList.from(hashes));
    case 'bytes':
      return fc.uint8Array({ maxLength: 40 });
    case 'point':
      return pointTexts;
    case 'dynamic':
    case 'checkSize':
      return arbitraryOf(shape.inner, depth, leavesOnly);
    case 'list':
      return fc.array(arbitraryOf(shape.inner, depth), { maxLength: Math.min(shape.maxLength ?? 4, 4) });
    case 'option':
      return fc.option(arbitraryOf(shape.inner, depth), { nil: undefined });
    case 'obj': {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, field] of Object.entries(shape.fields)) fields[name] = arbitraryOf(field, depth);
      return fc.record(fields);
    }
    case 'union': {
      const names = Object.keys(shape.cases).filter((name) => !leavesOnly || !refersToLazy(shape.cases[name]!.body));
      return fc.oneof(...names.map((name) => arbitraryOf(shape.cases[name]!.body, depth).map((fields) => ({ kind: name, ...(fields as object) }))));
    }
    case 'lazy':
      return fc.constant(null).chain(() => arbitraryOf(shape.get(), depth + 1, depth + 1 >= MAX_DEPTH));
  }
}
