/** A mistake in the command line: one line on stderr, exit status 2. */
export class UsageError extends Error {}

/** A failure at run time (no permission, no process events, write error): exit status 1. */
export class RuntimeError extends Error {}
