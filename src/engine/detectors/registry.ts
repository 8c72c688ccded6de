import type { EngineConfig } from '../config';
import type { Detector } from './detector';
import type { DetectorResources } from './detector-resources';
import { DETECTOR_CATALOG, DetectorId } from './detector-catalog';
import { ArpSpoofDetector } from './arp-spoof.detector';
import { DnsSpoofDetector } from './dns-spoof.detector';
import { GatewayMacDetector } from './gateway-mac.detector';
import { PacketAnomalyDetector } from './packet-anomaly.detector';
import { TlsCertificateDetector } from './tls-certificate.detector';
import { PortScanDetector } from './port-scan.detector';
import { SynFloodDetector } from './syn-flood.detector';
import { TcpHijackDetector } from './tcp-hijack.detector';
import { ConnectionRateDetector } from './connection-rate.detector';
import { PlaintextCredentialsDetector } from './plaintext-credentials.detector';
import { createNetworkBaselineDetector } from './network-baseline.detector';
import { CleartextHttpDetector } from './cleartext-http.detector';
import { InsecureProtocolDetector } from './insecure-protocol.detector';
import { ThreatIntelDetector } from './threat-intel.detector';

/**
 * Every detector the engine knows, as one array (ghostfolio's rules-as-plugins idea): the CLI,
 * the workers and the tests all build their detector set from here, so adding a detector is
 * one file plus its entry in detector-catalog.ts and one factory line below.
 */
export interface DetectorDefinition {
  id: string;
  description: string;
  create(config: EngineConfig, resources: DetectorResources): Detector;
}

/** How each catalogued detector is built; keyed by id so the catalog and the factories cannot drift apart. */
const FACTORIES: Record<DetectorId, DetectorDefinition['create']> = {
  'packet-anomaly': (c) => new PacketAnomalyDetector(c.detectors['packet-anomaly']),
  'arp-spoof': (c) => new ArpSpoofDetector(c.detectors['arp-spoof']),
  'gateway-mac': (c) => new GatewayMacDetector(c.detectors['gateway-mac']),
  'tls-certificate': (c) => new TlsCertificateDetector(c.detectors['tls-certificate']),
  'dns-spoof': (c) => new DnsSpoofDetector(c.detectors['dns-spoof']),
  'port-scan': (c) => new PortScanDetector(c.detectors['port-scan']),
  'syn-flood': (c) => new SynFloodDetector(c.detectors['syn-flood']),
  'tcp-hijack': (c) => new TcpHijackDetector(c.detectors['tcp-hijack']),
  'connection-rate': (c) => new ConnectionRateDetector(c.detectors['connection-rate']),
  'plaintext-credentials': (c) => new PlaintextCredentialsDetector(c.detectors['plaintext-credentials']),
  'network-baseline': (c, r) => createNetworkBaselineDetector(c.detectors['network-baseline'], r),
  'cleartext-http': (c) => new CleartextHttpDetector(c.detectors['cleartext-http']),
  'insecure-protocol': (c) => new InsecureProtocolDetector(c.detectors['insecure-protocol']),
  'threat-intel': (c, r) => new ThreatIntelDetector(c.detectors['threat-intel'], r.intel),
};

export const DETECTORS: readonly DetectorDefinition[] = DETECTOR_CATALOG.map((d) => ({
  id: d.id,
  description: d.description,
  create: FACTORIES[d.id],
}));

export class UnknownDetectorError extends Error {}

/** Throws UnknownDetectorError naming the ids that are not registered. */
export function assertKnownDetectors(ids: readonly string[]): void {
  const known = new Set(DETECTORS.map((d) => d.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) {
    throw new UnknownDetectorError(
      `unknown detector ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${[...known].join(', ')})`,
    );
  }
}

/** Fresh detector instances (each capture needs its own state); `only` selects by id. */
export function createDetectors(
  config: EngineConfig,
  only?: readonly string[],
  resources: DetectorResources = {},
): Detector[] {
  if (only) assertKnownDetectors(only);
  return DETECTORS.filter((d) => !only || only.includes(d.id)).map((d) => d.create(config, resources));
}
