import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { SettingsError, type Settings } from '../config/settings';

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code})`;
    throw new SettingsError(`${variable} ${why}: ${path}`);
  }
}

/**
 * The certificate and key for HTTPS (ENABLE_HTTPS=true), read and checked before Nest starts so
 * a wrong path or a file that is not PEM stops start-up with one line naming the variable. Paths
 * are not secrets; the key's contents never appear in a message.
 */
export function readHttpsOptions(s: Settings): { cert: Buffer; key: Buffer } {
  const { certPath, keyPath } = s.https;
  if (!certPath || !keyPath) throw new SettingsError('ENABLE_HTTPS=true needs SSL_CERT_PATH and SSL_KEY_PATH');
  const cert = readPem('SSL_CERT_PATH', certPath);
  const key = readPem('SSL_KEY_PATH', keyPath);
  try {
    createSecureContext({ cert });
  } catch {
    throw new SettingsError(`SSL_CERT_PATH is not a PEM certificate: ${certPath}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch {
    throw new SettingsError(`SSL_KEY_PATH is not a PEM private key matching SSL_CERT_PATH: ${keyPath}`);
  }
  return { cert, key };
}
