/**
 * The parent's stand-in for a result an isolated runner could not encode as JSON.
 *
 * @module
 */

/**
 * What an isolated actor's call resolves with when its handler returned a value JSON cannot
 * hold (a `bigint`, a circular object): the attempt succeeds as it would without isolation,
 * and encoding this value fails with the runner's reason, so that the `Results` middleware
 * stores a `ResultEncodeError` in its place, as for a handler run in the worker itself.
 */
export class UnencodableResult {
  /**
   * @param errorName the name of the error the runner's `JSON.stringify` threw (`TypeError`)
   * @param reason its message (`Do not know how to serialize a BigInt`)
   */
  constructor(
    readonly errorName: string,
    readonly reason: string,
  ) {}

  /** Throws the runner's encode error again: this value cannot be encoded either. */
  toJSON(): never {
    const error = new TypeError(this.reason);
    error.name = this.errorName;
    throw error;
  }
}
