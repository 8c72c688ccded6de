import { ApiKeyEntity } from '../auth/api-key.entity';
import { BaselineEntity } from '../baseline/baseline.entity';
import { CaptureChunkEntity } from '../captures/capture-chunk.entity';
import { CaptureEntity } from '../captures/capture.entity';
import { FindingEntity } from '../findings/finding.entity';
import { LiveSessionEntity } from '../live/live-session.entity';
import { CredentialEntity } from '../traffic/credential.entity';
import { FlowEntity } from '../traffic/flow.entity';
import { HostEntity } from '../traffic/host.entity';
import { TlsServerEntity } from '../traffic/tls-server.entity';
import { TrafficBucketEntity } from '../traffic/traffic-bucket.entity';

/** Every entity, listed once: the API, the workers, `analyze --db` and the migrations check use it. */
export const ENTITIES = [
  CaptureEntity,
  CaptureChunkEntity,
  FindingEntity,
  ApiKeyEntity,
  FlowEntity,
  HostEntity,
  TlsServerEntity,
  TrafficBucketEntity,
  CredentialEntity,
  BaselineEntity,
  LiveSessionEntity,
];
