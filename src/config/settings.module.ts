import { Global, Module } from '@nestjs/common';
import { loadSettings, type Settings } from './settings';

/** Injection token for the validated Settings (loaded once per process). */
export const SETTINGS = Symbol('SETTINGS');

@Global()
@Module({
  providers: [{ provide: SETTINGS, useFactory: (): Settings => loadSettings() }],
  exports: [SETTINGS],
})
export class SettingsModule {}
