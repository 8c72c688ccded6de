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

/**
 * Empty now. It held the empty-DN TypeError in tls-certificate.ts (issue 13's first defect) until
 * the lead's fix landed; its capture is fixtures/fuzz/tls-certificate-empty-issuer.pcap.
 */
export const KNOWN_DEFECTS: readonly KnownDefect[] = [];

export function knownDefect(e: unknown): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((d) => d.matches(e));
}
