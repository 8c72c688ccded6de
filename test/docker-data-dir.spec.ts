import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths';

/**
 * Docker cannot run on the machines these tests run on, so this reads the Dockerfile and
 * docker-compose.yml and checks the lines that make the data directory private to the image's
 * user — it checks what the files say, not what a built container does:
 * - the runtime stage sets NETWARDEN_DATA_DIR and creates that directory owned by the user it
 *   then switches to, mode 0700 (a named volume copies owner and mode on first mount);
 * - every compose service built from this image mounts a named volume (not a host path, which
 *   would keep the host's owner and mode) at that directory, gets the same NETWARDEN_DATA_DIR,
 *   and does not override the user.
 */
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');

/** Dockerfile instructions of the last stage, continuation lines joined, comments dropped. */
function runtimeStage(text: string): string[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const from = lines.map((l) => /^FROM\b/i.test(l)).lastIndexOf(true);
  return lines.slice(from);
}

/** The lines of each top-level service in docker-compose.yml (two-space indented keys under services:). */
function composeServices(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let inServices = false;
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      inServices = line.startsWith('services:');
      current = null;
      continue;
    }
    const name = /^ {2}([\w-]+):\s*$/.exec(line);
    if (inServices && name) out.set(name[1], (current = []));
    else if (current) current.push(line.trim());
  }
  return out;
}

describe('Docker: the image user owns a 0700 data directory', () => {
  const stage = runtimeStage(dockerfile);
  const dataDir = /^ENV\s+NETWARDEN_DATA_DIR[= ](\S+)$/m.exec(stage.join('\n'))?.[1];
  const user = [...stage]
    .reverse()
    .find((l) => /^USER\s/i.test(l))
    ?.split(/\s+/)[1];

  it('the runtime stage names the data directory and runs as a non-root user', () => {
    expect(dataDir).toMatch(/^\/\w/);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)$/);
  });

  it('it creates the data directory owned by that user, 0700, before switching to the user', () => {
    const creates = stage.findIndex((l) =>
      new RegExp(`^RUN\\b.*\\binstall -d -o ${user} -g ${user} -m 0?700 ${dataDir}(\\s|$)`).test(l),
    );
    expect(creates).toBeGreaterThan(0);
    expect(stage.findIndex((l) => l === `USER ${user}`)).toBeGreaterThan(creates);
  });

  it('every compose service of this image mounts a named volume at the data directory, as the image user', () => {
    const services = [...composeServices(compose)].filter(([, lines]) => lines.includes('build: .'));
    expect(services.map(([name]) => name).sort()).toEqual(['api', 'worker']);
    const named = new Set(
      (/^volumes:\n((?: {2}\S.*\n?)*)/m.exec(compose)?.[1] ?? '').split('\n').map((l) => l.trim().replace(/:$/, '')),
    );
    // The services share one environment block (YAML anchor &env, merged with <<: *env).
    expect(compose).toMatch(new RegExp(`environment: &env[\\s\\S]*?\\n\\s+NETWARDEN_DATA_DIR: ${dataDir}\\n`));
    for (const [name, lines] of services) {
      const volumes = lines.find((l) => l.startsWith('volumes:')) ?? '';
      const mount = new RegExp(`(?:^|[[\\s,])([\\w-]+):${dataDir}\\b`).exec(volumes)?.[1];
      expect([name, mount !== undefined && named.has(mount)]).toEqual([name, true]);
      expect([name, lines.some((l) => l.startsWith('environment: &env') || l === '<<: *env')]).toEqual([name, true]);
      expect([name, lines.filter((l) => /^user:/.test(l))]).toEqual([name, []]);
    }
  });
});
