/** A mistake in how `ple` was called (exit code 2), as opposed to a failed operation (PleError, exit 1). */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    /** The command whose help to point at, e.g. "import companies". */
    readonly command?: string,
  ) {
    super(message);
  }
}
