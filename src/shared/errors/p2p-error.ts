/**
 * The base of the library's typed errors (protocol.md §10) and what every error class shares: a
 * literal `code`, a `name` that is the class name, a registry-wide brand (`Symbol.for`) that makes
 * `instanceof` work across copies of the library, and the plain record an error travels as
 * between threads (`toRecord`; rebuilt by `errorFromRecord`).
 */

/**
 * Where an error class's prototype lists the `name` of every class its errors are instances of.
 * `instanceof` reads this list rather than the prototype chain, so it holds for an error made by
 * another copy of the library (two installed versions, or `dist` beside `src`).
 */
const BRAND = Symbol.for('p2p-socket.error');

/** A plain record an error travels as between threads or processes (JSON, structured clone). */
export interface ErrorRecord {
  readonly code: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** Gives an error class its `name` (what `err.name` and stack traces show), which is also its brand. */
export function named(errorClass: abstract new (...args: never[]) => P2pError, name: string): void {
  Object.defineProperty(errorClass.prototype, 'name', { value: name, writable: true, enumerable: false, configurable: true });
}

/**
 * The names of an error's classes, from its own class up to `P2pError`. A subclass that did not
 * name itself (the command line's, a user's) is named here after its constructor.
 */
function brandsOf(error: P2pError): readonly string[] {
  const brands: string[] = [];
  for (let proto: object | null = Object.getPrototypeOf(error); proto !== null && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if (!Object.hasOwn(proto, 'name') && Object.hasOwn(proto, 'constructor')) {
      named((proto as { constructor: abstract new () => P2pError }).constructor, (proto as { constructor: { name: string } }).constructor.name);
    }
    if (Object.hasOwn(proto, 'name')) brands.push(String((proto as { name: unknown }).name));
  }
  return Object.freeze(brands);
}

/** The base of every error the library throws: a literal `code`, and a `name` that is the class name. */
export abstract class P2pError extends Error {
  static {
    named(this, 'P2pError');
  }
  abstract readonly code: string;
  declare readonly [BRAND]: readonly string[];

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    // On the class's prototype, worked out at its first error: a property defined on every
    // instance cost more than the rest of the error (errors end every connection). Not
    // enumerable: logs and deep comparisons of errors show their fields, not the brand.
    const own: object = Object.getPrototypeOf(this);
    if (!Object.hasOwn(own, BRAND)) Object.defineProperty(own, BRAND, { value: brandsOf(this) });
  }

  /** True for an instance of this class made by any copy of the library (see `BRAND`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass never constructed yet has no name: checked the ordinary way.
    if (!Object.hasOwn(this.prototype, 'name')) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as { [BRAND]?: unknown })[BRAND];
    return Array.isArray(brands) && brands.includes(this.prototype.name);
  }

  /** The fields beyond `code` and `message`, for JSON output and thread crossing. */
  fields(): Record<string, unknown> {
    return {};
  }

  toRecord(): ErrorRecord {
    return { code: this.code, message: this.message, ...this.fields() };
  }
}
