import { layoutOf, PCAPNG } from './capture-units';

/**
 * Shrinks a failing capture by dropping packet units (records, packet blocks) while it still
 * fails the same way — delta debugging over whole units, headers always kept — so a fixture
 * holds the few packets that matter. Gives up improving after `maxTries` runs.
 */
export function minimiseCapture(bytes: Buffer, stillFails: (b: Buffer) => boolean, maxTries = 400): Buffer {
  const layout = layoutOf(bytes);
  if (layout === null || layout.units.length < 3) return bytes;
  const isHeader = (t: number) => t === -1 || t === PCAPNG.SHB || t === PCAPNG.IDB;
  const last = layout.units[layout.units.length - 1];
  const tail = bytes.subarray(last.end);
  let units = layout.units.map((u) => ({ header: isHeader(u.type), data: bytes.subarray(u.start, u.end) }));
  const build = (list: typeof units) => Buffer.concat([...list.map((u) => u.data), tail]);
  let tries = 0;
  for (let size = Math.ceil(units.length / 2); size >= 1 && tries < maxTries; size = Math.floor(size / 2)) {
    for (let at = 0; at < units.length && tries < maxTries;) {
      const slice = units.slice(at, at + size);
      if (slice.every((u) => u.header)) {
        at += size;
        continue;
      }
      const candidate = [...units.slice(0, at), ...slice.filter((u) => u.header), ...units.slice(at + size)];
      tries++;
      if (stillFails(build(candidate))) units = candidate;
      else at += size;
    }
  }
  return build(units);
}
