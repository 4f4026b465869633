/**
 * Names: the one rule for a function's name (a DNS label, so that it can name
 * a certificate and, later, a Kubernetes Service), and those of environment
 * variables and secrets.
 *
 * @module
 */

/** A valid function name: a DNS label (lowercase letters, digits and inner "-", at most 63). */
export const FUNCTION_NAME: RegExp = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `FUNCTION_NAME` in words, for messages. */
export const NAME_RULE: string =
  'lowercase letters, digits and "-" (not first or last), at most 63 characters';

/** A valid environment variable name. */
export const ENV_KEY: RegExp = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A valid secret name (a file in `.secrets/`): letters, digits, ".", "_", "-"; not "." or "..". */
export const SECRET_NAME: RegExp = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;
