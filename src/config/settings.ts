/**
 * Typed settings from the environment, validated once at start-up so a bad value fails fast with
 * a message that names the variable (never its value: some are secrets).
 */
export interface Settings {
  port: number;
  host: string;
}

export class SettingsError extends Error {}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SettingsError(`${name} must be an integer between ${min} and ${max}`);
  }
  return n;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    port: intFromEnv(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '127.0.0.1',
  };
}
