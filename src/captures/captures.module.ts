import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FindingEntity } from '../findings/finding.entity';
import { QueueModule } from '../queue/queue.module';
import { CaptureUploadService } from './capture-upload.service';
import { CaptureEntity } from './capture.entity';
import { CapturesController } from './captures.controller';
import { CapturesService } from './captures.service';
import { UploadByteBudget } from './upload-byte-budget';

/** The captures HTTP API: upload (POST /captures), status, list and delete. */
@Module({
  imports: [QueueModule, TypeOrmModule.forFeature([CaptureEntity, FindingEntity])],
  controllers: [CapturesController],
  providers: [CapturesService, CaptureUploadService, UploadByteBudget],
})
export class CapturesModule {}
