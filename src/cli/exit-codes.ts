/**
 * Exit codes and the usage errors every command throws, in a module of their own so the CLI entry
 * can catch them without loading a command (and the engine behind it) just to print help.
 */

/** Exit codes documented in the README. */
export const EXIT = { OK: 0, FINDINGS: 1, BAD_INPUT: 2 } as const;

/** Wrong options or unusable input: one line on stderr, exit 2, never a stack trace. */
export class UsageError extends Error {}

/** `netwarden intel …` usage errors (a UsageError: the same exit code and one-line message). */
export class IntelUsageError extends UsageError {}
