import { ApiKeyEntity } from '../auth/api-key.entity';
import { CaptureChunkEntity } from '../captures/capture-chunk.entity';
import { CaptureEntity } from '../captures/capture.entity';
import { FindingEntity } from '../findings/finding.entity';

/** Every entity, listed once: the API, the workers, `analyze --db` and the migrations check use it. */
export const ENTITIES = [CaptureEntity, CaptureChunkEntity, FindingEntity, ApiKeyEntity];
