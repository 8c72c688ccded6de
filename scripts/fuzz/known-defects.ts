/**
 * Crashes the fuzzer finds that are already reported and being fixed elsewhere (in files this
 * work may not touch): counted and printed, not failed on, so a run still covers everything
 * else. Each has a fixture under fixtures/fuzz/ whose regression test is marked failing until
 * the fix lands — then that test fails, and the entry here is to be deleted.
 */
export interface KnownDefect {
  id: string;
  /** Where the bug is and who fixes it. */
  where: string;
  matches(e: unknown): boolean;
}

export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    id: 'tls-certificate-empty-dn',
    where:
      "src/engine/protocols/tls-certificate.ts: X509Certificate.issuer/subject undefined for an empty DN → TypeError (issue 13's first defect; the lead's fix)",
    matches: (e) =>
      e instanceof TypeError && /reading 'split'/.test(e.message) && /tls-certificate\.[jt]s/.test(e.stack ?? ''),
  },
];

export function knownDefect(e: unknown): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((d) => d.matches(e));
}
