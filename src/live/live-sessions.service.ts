import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { In, type DataSource } from 'typeorm';
import { captureDir } from '../captures/capture-dir';
import { chunkFileName } from '../captures/capture-ingest';
import { insertLiveCapture } from '../captures/capture-records';
import { SETTINGS } from '../config/settings.module';
import { returningRows } from '../database/returning-rows';
import type { Settings } from '../config/settings';
import { encodePcapHeader } from '../engine/capture/pcap.writer';
import { readCapture } from '../engine/capture/read-capture';
import { AnalysisQueue } from '../queue/analysis-queue.service';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../storage/private-modes';
import type { CaptureCounters, CaptureJob, ChunkMessage, FromCapture } from './capture-process-protocol';
import { LiveCaptureError } from './live-capture-error';
import { LiveChunkRecorder } from './live-chunk-recorder';
import { LiveSessionEntity } from './live-session.entity';

export interface StartLiveSession {
  interface: string;
  filter?: string;
  snaplen?: number;
  promiscuous?: boolean;
  chunkMs?: number;
  chunkPackets?: number;
  chunkBytes?: number;
  detectors?: string[] | null;
  name?: string;
}

/** Where a session taken over continues (LiveSessionsService.continuation). */
type Continuation = Pick<LiveSessionEntity, 'chunksCut' | 'packets' | 'pcapReceived'>;

/** How long a capture process may take to open its interface. */
const OPEN_TIMEOUT_MS = 15_000;
/** How long stop/pause waits for the capture process to write its last chunk and exit. */
const END_TIMEOUT_MS = 10_000;
const STATS_MS = 1000;
const PRUNE_EVERY_MS = 10_000;

/** A session this process runs: its capture process and the chunk messages not yet recorded. */
interface Running {
  session: LiveSessionEntity;
  child: ChildProcess;
  /** Counters of earlier runs (resumes), to which this run's are added. */
  base: Pick<LiveSessionEntity, 'packets' | 'bytes' | 'pcapReceived' | 'pcapDropped' | 'ifDropped'>;
  last: CaptureCounters;
  /** Chunk messages recorded one after the other, in order. */
  recording: Promise<void>;
  chunksCut: number;
  lastPacketAt: Date | null;
  ended: Promise<{ closing: boolean; code: number | null; signal: string | null }>;
  /** onExit has saved the outcome (session row, closing chunk): the session is no longer in `running`. */
  settled: Promise<void>;
  /** What the API asked for: the exit then is not a failure. */
  ending: 'stop' | 'pause' | null;
  lastPrune: number;
}

/**
 * Live sessions (DESIGN §1: "live (cap, libpcap) → chunks → BullMQ → workers"): each runs in its own
 * capture process (capture-process.ts) that writes chunk files; this service records them and
 * queues them for the workers exactly like an upload's, keeps the session row's counters and
 * heartbeat, stops sessions (a closing chunk, so the capture is analysed to its end), and takes
 * up sessions an API on this host left running (LIVE_RESUME).
 */
@Injectable()
export class LiveSessionsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('LiveSessions');
  private readonly host = hostname();
  private readonly me = `${hostname()}:${process.pid}`;
  private readonly running = new Map<string, Running>();
  private readonly recorder: LiveChunkRecorder;
  private claimTimer: NodeJS.Timeout | null = null;
  private shuttingDown = false;

  /**
   * Its own producer, closed after the sessions are paused: the shared AnalysisQueueService closes
   * in onModuleDestroy, before beforeApplicationShutdown, and the last chunks would miss it.
   */
  private readonly queue: AnalysisQueue;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    this.queue = new AnalysisQueue(settings);
    this.queue.queue.on('error', () => undefined); // ioredis reconnects by itself
    this.recorder = new LiveChunkRecorder(db, this.queue, (l) => this.log.warn(l));
  }

  onApplicationBootstrap(): void {
    if (!this.settings.live.enabled) return;
    const sweep = () => {
      void this.takeOverOrphans().catch((err: unknown) =>
        this.log.warn(`live: orphan check: ${(err as Error).message}`),
      );
      void this.pruneEnded().catch((err: unknown) =>
        this.log.warn(`live: retention of ended sessions: ${(err as Error).message}`),
      );
    };
    sweep();
    this.claimTimer = setInterval(sweep, Math.max(500, Math.floor(this.settings.live.orphanMs / 2)));
    this.claimTimer.unref();
  }

  /** SIGTERM: with LIVE_RESUME the sessions are paused (taken up by the next API), else stopped. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.claimTimer) clearInterval(this.claimTimer);
    await Promise.all(
      [...this.running.values()].map((r) =>
        this.settings.live.resume ? this.pause(r) : this.stopRunning(r, 'the API shut down'),
      ),
    );
    await this.queue.close().catch(() => undefined);
  }

  private assertEnabled(): void {
    if (!this.settings.live.enabled) {
      throw new LiveCaptureError('disabled', 'live capture is disabled on this server (LIVE_ENABLED=false)');
    }
  }

  async start(req: StartLiveSession): Promise<LiveSessionEntity> {
    this.assertEnabled();
    const live = this.settings.live;
    const busy = await this.db.getRepository(LiveSessionEntity).find({
      select: ['id', 'interface'],
      where: { host: this.host, status: In(['running', 'stopping']) },
    });
    if (busy.length >= live.maxSessions) {
      throw new LiveCaptureError('busy', `${busy.length} live sessions are running on this host (LIVE_MAX_SESSIONS)`);
    }
    const same = busy.find((s) => s.interface === req.interface);
    if (same)
      throw new LiveCaptureError('busy', `interface "${req.interface}" is already captured by session ${same.id}`);

    const captureId = randomUUID();
    const session = this.db.getRepository(LiveSessionEntity).create({
      id: randomUUID(),
      captureId,
      interface: req.interface,
      filter: req.filter ?? '',
      snaplen: req.snaplen ?? live.snaplen,
      promiscuous: req.promiscuous ?? live.promiscuous,
      bufferBytes: live.bufferBytes,
      chunkMs: req.chunkMs ?? live.chunkMs,
      chunkPackets: req.chunkPackets ?? live.chunkPackets,
      chunkBytes: req.chunkBytes ?? live.chunkBytes,
      linkType: null,
      host: this.host,
      owner: this.me,
      status: 'running',
      stopRequested: false,
      reason: null,
      heartbeatAt: new Date(),
      stoppedAt: null,
      packets: 0,
      bytes: 0,
      pcapReceived: 0,
      pcapDropped: 0,
      ifDropped: 0,
      chunksCut: 0,
      lastPacketAt: null,
      resumes: 0,
    });
    const dir = captureDir(this.settings, captureId);
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    let spawned: { child: ChildProcess; linkType: number; early: FromCapture[] };
    try {
      spawned = await this.spawnCapture(session, dir, 0, 1);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    session.linkType = spawned.linkType;
    try {
      await this.db.transaction(async (tx) => {
        await insertLiveCapture(tx, {
          id: captureId,
          name: req.name ?? `live ${req.interface}${session.filter ? ` (${session.filter})` : ''}`,
          detectors: req.detectors,
        });
        // A copy: TypeORM merges the INSERT's RETURNING values (the defaulted bigint counters
        // among them) into the object it is given untransformed — PostgreSQL's strings, so
        // base.packets + this run's packets became "0" + 2004 = "02004" in GET /live/:id, and a
        // closing chunk's firstFrame "02004" + 1 = frame 20041.
        const inserted = await tx.insert(LiveSessionEntity, { ...session });
        const createdAt = (inserted.generatedMaps[0] as Partial<LiveSessionEntity> | undefined)?.createdAt;
        if (createdAt instanceof Date) session.createdAt = createdAt;
      });
    } catch (err) {
      spawned.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    this.supervise(session, spawned.child, spawned.early);
    this.log.log(`live session ${session.id} started on ${session.interface} (capture ${captureId})`);
    return session;
  }

  /**
   * Forks the capture process and waits for it to open the interface. Messages that arrive
   * before the session is recorded (a fast first chunk) are kept for supervise().
   */
  private spawnCapture(
    session: LiveSessionEntity,
    dir: string,
    firstSeq: number,
    firstFrame: number,
  ): Promise<{ child: ChildProcess; linkType: number; early: FromCapture[] }> {
    const job: CaptureJob = {
      iface: session.interface,
      filter: session.filter,
      snaplen: session.snaplen,
      promiscuous: session.promiscuous,
      bufferBytes: session.bufferBytes,
      chunkMs: session.chunkMs,
      chunkPackets: session.chunkPackets,
      chunkBytes: session.chunkBytes,
      dir,
      firstSeq,
      firstFrame,
      statsMs: STATS_MS,
    };
    // No shell: the interface name and filter travel as one JSON argument.
    const child = fork(join(__dirname, 'capture-process.js'), [JSON.stringify(job)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString('utf8');
    });
    return new Promise((resolve, reject) => {
      const early: FromCapture[] = [];
      let settled = false;
      const fail = (e: LiveCaptureError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(e);
      };
      const timer = setTimeout(
        () =>
          fail(new LiveCaptureError('open-failed', `the capture process did not open ${session.interface} in time`)),
        OPEN_TIMEOUT_MS,
      );
      child.on('message', (m: FromCapture) => {
        if (settled) {
          early.push(m);
          return;
        }
        if (m.type === 'error') fail(new LiveCaptureError(m.code, m.message));
        else if (m.type === 'ready') {
          settled = true;
          clearTimeout(timer);
          resolve({ child, linkType: m.linkType, early });
        }
      });
      child.on('exit', (code, signal) =>
        fail(
          new LiveCaptureError(
            'open-failed',
            `the capture process exited (${signal ?? code})${stderr ? `: ${stderr.trim().slice(0, 500)}` : ''}`,
          ),
        ),
      );
    });
  }

  /** From here on the child's messages go to the recorder and the session row. */
  private supervise(session: LiveSessionEntity, child: ChildProcess, early: FromCapture[]): void {
    child.removeAllListeners('message');
    child.removeAllListeners('exit');
    const r: Running = {
      session,
      child,
      base: {
        packets: session.packets,
        bytes: session.bytes,
        pcapReceived: session.pcapReceived,
        pcapDropped: session.pcapDropped,
        ifDropped: session.ifDropped,
      },
      last: { packets: 0, bytes: 0, received: 0, dropped: 0, ifDropped: 0 },
      recording: Promise.resolve(),
      chunksCut: session.chunksCut,
      lastPacketAt: session.lastPacketAt,
      ending: null,
      lastPrune: 0,
      settled: Promise.resolve(),
      ended: new Promise((resolve) => {
        let closing = false;
        child.on('message', (m: FromCapture) => {
          if (m.type === 'ended') closing = m.closing;
        });
        child.on('exit', (code, signal) => resolve({ closing, code, signal }));
      }),
    };
    this.running.set(session.id, r);
    const onMessage = (m: FromCapture) => this.onMessage(r, m);
    for (const m of early) onMessage(m);
    child.on('message', onMessage);
    // A send to a process that has just exited emits 'error': logged, not an uncaught exception.
    child.on('error', (err) => this.log.warn(`live session ${session.id}: capture process: ${err.message}`));
    r.settled = r.ended.then((e) => this.onExit(r, e));
  }

  private onMessage(r: Running, m: FromCapture): void {
    switch (m.type) {
      case 'chunk':
        r.chunksCut = Math.max(r.chunksCut, m.seq + 1);
        if (m.lastTime !== null) r.lastPacketAt = new Date(m.lastTime * 1000);
        r.recording = r.recording.then(() => this.recordChunk(r, m));
        return;
      case 'stats':
      case 'ended':
        r.last = m;
        r.recording = r.recording.then(() => this.heartbeat(r));
        return;
      case 'error':
        r.session.reason = m.message;
        this.log.warn(`live session ${r.session.id}: ${m.message}`);
        return;
      default:
    }
  }

  private async recordChunk(r: Running, m: ChunkMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await this.recorder.record(r.session.captureId, m))) {
          // The capture was deleted: nothing to capture for.
          r.ending = 'stop';
          r.child.kill('SIGKILL');
        }
        return;
      } catch (err) {
        // The database is away: the chunk file is on disk; keep trying, in order.
        if (attempt % 10 === 1) this.log.warn(`live: recording chunk ${m.seq}: ${(err as Error).message}; retrying`);
        await new Promise((res) => setTimeout(res, Math.min(5000, 200 * attempt)));
      }
    }
  }

  private counters(r: Running) {
    return {
      packets: r.base.packets + r.last.packets,
      bytes: r.base.bytes + r.last.bytes,
      pcapReceived: r.base.pcapReceived + r.last.received,
      pcapDropped: r.base.pcapDropped + r.last.dropped,
      ifDropped: r.base.ifDropped + r.last.ifDropped,
      chunksCut: r.chunksCut,
      lastPacketAt: r.lastPacketAt,
    };
  }

  /** Saves the counters; a stop asked through another API process is seen here. */
  private async heartbeat(r: Running): Promise<void> {
    try {
      const c = this.counters(r);
      const list = returningRows<{ stopRequested: boolean }>(
        await this.db.query(
          `UPDATE live_sessions SET packets = $2, bytes = $3, "pcapReceived" = $4, "pcapDropped" = $5, "ifDropped" = $6,
             "chunksCut" = $7, "lastPacketAt" = $8, "heartbeatAt" = now()
           WHERE id = $1 AND owner = $9 RETURNING "stopRequested"`,
          [
            r.session.id,
            c.packets,
            c.bytes,
            c.pcapReceived,
            c.pcapDropped,
            c.ifDropped,
            c.chunksCut,
            c.lastPacketAt?.toISOString() ?? null,
            this.me,
          ],
        ),
      );
      if (r.ending === null && list.length === 0) {
        // Deleted, or taken over by another process: this copy must not write on.
        this.log.warn(`live session ${r.session.id} is no longer ours; its capture process stops`);
        r.ending = 'pause';
        r.child.kill('SIGKILL');
      } else if (r.ending === null && list[0]?.stopRequested) {
        void this.stopRunning(r, 'stopped on request');
      }
      if (Date.now() - r.lastPrune >= PRUNE_EVERY_MS) {
        r.lastPrune = Date.now();
        await this.prune(r.session.captureId);
      }
    } catch (err) {
      this.log.warn(`live session ${r.session.id}: saving counters: ${(err as Error).message}`);
    }
  }

  private async prune(captureId: string): Promise<void> {
    const n = await this.recorder.prune(captureId, captureDir(this.settings, captureId), {
      bytes: this.settings.live.retainBytes,
      seconds: this.settings.live.retainSeconds,
    });
    if (n > 0) this.log.debug(`live capture ${captureId}: ${n} analysed chunk file(s) pruned`);
  }

  /**
   * Retention for sessions that have ended on this host. A running session prunes at its
   * heartbeat and once more when it ends; but the chunks still queued at that moment (the
   * closing chunk at least, many when the workers lag) are analysed afterwards, and nothing
   * deleted them: with LIVE_RETAIN_BYTES=0 a stopped session's last files stayed forever, and
   * LIVE_RETAIN_SECONDS never aged out anything of an ended session. Only captures over a limit
   * are visited, so ended sessions within their limits cost this one query.
   */
  private async pruneEnded(): Promise<void> {
    if (this.shuttingDown) return;
    const { retainBytes, retainSeconds } = this.settings.live;
    const over = await this.db.query<Array<{ captureId: string }>>(
      `SELECT k."captureId" FROM capture_chunks k
         JOIN live_sessions s ON s."captureId" = k."captureId"
        WHERE s.host = $1 AND s.status IN ('stopped', 'failed') AND k.status = 'done' AND k."prunedAt" IS NULL
        GROUP BY k."captureId"
       HAVING sum(k."fileBytes") > $2
           OR ($3 > 0 AND min(k."finishedAt") < now() - make_interval(secs => $3::double precision))`,
      [this.host, retainBytes, retainSeconds],
    );
    for (const { captureId } of over) {
      if (this.shuttingDown) return;
      await this.prune(captureId);
    }
  }

  /** The capture process exited: as asked (stop/pause), or not (crash, interface gone). */
  private async onExit(r: Running, e: { closing: boolean; code: number | null; signal: string | null }): Promise<void> {
    try {
      await this.saveExit(r, e);
    } finally {
      // Only now: until the row says stopped, GET /live/:id shows this process's counters.
      this.running.delete(r.session.id);
    }
  }

  private async saveExit(
    r: Running,
    e: { closing: boolean; code: number | null; signal: string | null },
  ): Promise<void> {
    await r.recording;
    if (r.ending === 'pause') {
      // heartbeatAt: when it paused, where the resume note's "interrupted from" starts.
      await this.db
        .getRepository(LiveSessionEntity)
        .update({ id: r.session.id, owner: this.me }, { ...this.counters(r), owner: null, heartbeatAt: new Date() })
        .catch(() => undefined);
      return;
    }
    const asked = r.ending === 'stop';
    const reason = asked
      ? (r.session.reason ?? 'stopped')
      : `the capture process exited unexpectedly (${e.signal ?? `code ${e.code}`})${r.session.reason ? `: ${r.session.reason}` : ''}`;
    if (!e.closing) {
      await this.closeCapture({ ...r.session, packets: this.counters(r).packets }, r.chunksCut);
      r.chunksCut += 1; // the closing chunk counts, as the capture process's own does
    }
    await this.db
      .getRepository(LiveSessionEntity)
      .update(
        { id: r.session.id },
        {
          ...this.counters(r),
          status: asked ? 'stopped' : 'failed',
          reason,
          owner: null,
          stoppedAt: new Date(),
        },
      )
      .catch((err: unknown) => this.log.warn(`live session ${r.session.id}: ${(err as Error).message}`));
    await this.prune(r.session.captureId).catch(() => undefined);
    this.log.log(`live session ${r.session.id} ${asked ? 'stopped' : 'failed'}: ${reason}`);
  }

  /**
   * Writes and records an empty closing chunk for a session whose capture process did not:
   * the workers then finish the capture (detectors flush what is pending).
   */
  private async closeCapture(session: LiveSessionEntity, seq: number): Promise<void> {
    const file = chunkFileName(seq, 'pcap');
    const dir = captureDir(this.settings, session.captureId);
    const header = encodePcapHeader({ linkType: session.linkType ?? 1, snaplen: session.snaplen });
    try {
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      await writeFile(join(dir, file), header, { mode: PRIVATE_FILE_MODE });
      await this.recorder.record(session.captureId, {
        type: 'chunk',
        seq,
        file,
        firstFrame: session.packets + 1,
        packets: 0,
        fileBytes: header.length,
        firstTime: null,
        lastTime: null,
        closing: true,
      });
    } catch (err) {
      this.log.warn(`live session ${session.id}: closing its capture: ${(err as Error).message}`);
    }
  }

  private async endChild(r: Running, how: 'stop' | 'pause'): Promise<void> {
    if (r.ending === null) r.ending = how;
    if (r.child.connected) r.child.send({ type: how }); // else it is already on its way out
    const timer = setTimeout(() => r.child.kill('SIGKILL'), END_TIMEOUT_MS);
    await r.ended;
    clearTimeout(timer);
    // What onExit saves (stopped + closing chunk, or owner released for the next API) is written
    // before a stop answers and before shutdown goes on to close the database.
    await r.settled;
  }

  private pause(r: Running): Promise<void> {
    return this.endChild(r, 'pause');
  }

  private async stopRunning(r: Running, reason: string): Promise<void> {
    r.session.reason = reason;
    await this.endChild(r, 'stop');
  }

  /**
   * Stops a session: here if this process runs it, by asking its owner otherwise (it stops at its
   * next report, within about a second), or directly when nobody runs it.
   */
  async stop(id: string): Promise<LiveSessionEntity | null> {
    const r = this.running.get(id);
    if (r) {
      await this.stopRunning(r, 'stopped on request');
      return this.get(id);
    }
    const repo = this.db.getRepository(LiveSessionEntity);
    const s = await repo.findOneBy({ id });
    if (!s) return null;
    if (s.status === 'stopped' || s.status === 'failed') return s;
    if (s.owner !== null && !this.isStale(s)) {
      await repo.update({ id }, { stopRequested: true, status: 'stopping' });
      return repo.findOneBy({ id });
    }
    // Nobody runs it (paused, or its API died): close it from here.
    const claimed = await this.claim(id);
    if (!claimed) return repo.findOneBy({ id });
    await this.closeTakenOver(claimed, 'stopped on request');
    return repo.findOneBy({ id });
  }

  private isStale(s: LiveSessionEntity): boolean {
    return s.heartbeatAt === null || Date.now() - s.heartbeatAt.getTime() > this.settings.live.orphanMs;
  }

  /** Takes a session nobody runs (owner gone or released) for this process; null if another got it. */
  private async claim(id: string): Promise<LiveSessionEntity | null> {
    const list = returningRows<{ id: string }>(
      await this.db.query(
        `UPDATE live_sessions SET owner = $2, "heartbeatAt" = now()
       WHERE id = $1 AND status IN ('running', 'stopping')
         AND (owner IS NULL OR "heartbeatAt" IS NULL OR "heartbeatAt" < now() - make_interval(secs => $3::double precision / 1000))
       RETURNING id`,
        [id, this.me, this.settings.live.orphanMs],
      ),
    );
    if (list.length === 0) return null;
    return this.db.getRepository(LiveSessionEntity).findOneBy({ id });
  }

  /** Sessions on this host that nobody runs: resumed (LIVE_RESUME) or closed. */
  private async takeOverOrphans(): Promise<void> {
    if (this.shuttingDown) return;
    const candidates = await this.db.getRepository(LiveSessionEntity).find({
      where: { host: this.host, status: In(['running', 'stopping']) },
    });
    for (const c of candidates) {
      if (this.running.has(c.id) || (c.owner !== null && !this.isStale(c))) continue;
      const s = await this.claim(c.id);
      if (!s || this.shuttingDown) continue;
      if (!this.settings.live.resume || s.status === 'stopping' || s.stopRequested) {
        await this.closeTakenOver(
          s,
          s.stopRequested ? 'stopped on request' : 'the API that ran it stopped (LIVE_RESUME=false)',
        );
        continue;
      }
      // The claim set heartbeatAt: the last report of the run that ended is the candidate's.
      await this.resume(s, c.heartbeatAt ?? c.createdAt);
    }
  }

  /**
   * Where a session taken over from another API continues: after the chunks recorded in the
   * database and the chunk files its capture process wrote after losing its API (it writes the
   * open chunk when the API dies: capture-process.ts), which are recorded here. The session row's
   * chunksCut and packets are only as fresh as its last heartbeat — after a kill -9 a chunk or two
   * behind the recorded chunks — and continuing from them reused a recorded chunk's number: the
   * new process overwrote that file under the old row (ignored as already recorded), frame numbers
   * overlapped, and the capture's packets no longer matched the session's. A dead run's libpcap
   * counters end at its last report: received is raised to at least what was recorded.
   */
  private async continuation(s: LiveSessionEntity, dir: string): Promise<Continuation> {
    const [last] = await this.db.query<Array<{ seq: number; firstFrame: string; packets: number }>>(
      `SELECT seq, "firstFrame", packets FROM capture_chunks WHERE "captureId" = $1 ORDER BY seq DESC LIMIT 1`,
      [s.captureId],
    );
    let seq = last ? last.seq + 1 : 0;
    let frame = last ? Number(last.firstFrame) + last.packets : 1;
    for (;;) {
      const file = chunkFileName(seq, 'pcap');
      const path = join(dir, file);
      let packets: number;
      let fileBytes: number;
      try {
        fileBytes = (await stat(path)).size;
        packets = (await readCapture(path, { source: file, onPacket: () => undefined })).packets;
      } catch (err) {
        // None (the usual case), or cut short: nothing from here on can be trusted.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.log.warn(
            `live session ${s.id}: unrecorded chunk ${file} is unreadable, dropped: ${(err as Error).message}`,
          );
          await rm(path, { force: true });
        }
        break;
      }
      await this.recorder.record(s.captureId, {
        type: 'chunk',
        seq,
        file,
        firstFrame: frame,
        packets,
        fileBytes,
        firstTime: null,
        lastTime: null,
        closing: false,
      });
      this.log.log(`live session ${s.id}: recorded chunk ${file} (${packets} packets) its capture process left`);
      seq += 1;
      frame += packets;
    }
    return {
      chunksCut: seq,
      packets: frame - 1,
      pcapReceived: Math.max(s.pcapReceived, frame - 1 + s.pcapDropped),
    };
  }

  /**
   * Ends a session taken over rather than resumed: its capture gets a closing chunk (after what
   * its last capture process left, see continuation) and the row its final counters and status.
   */
  private async closeTakenOver(s: LiveSessionEntity, reason: string, status: 'stopped' | 'failed' = 'stopped') {
    let next: Continuation = { chunksCut: s.chunksCut, packets: s.packets, pcapReceived: s.pcapReceived };
    try {
      next = await this.continuation(s, captureDir(this.settings, s.captureId));
    } catch (err) {
      this.log.warn(`live session ${s.id}: reading its recorded chunks: ${(err as Error).message}`);
    }
    await this.closeCapture({ ...s, ...next }, next.chunksCut);
    await this.db.getRepository(LiveSessionEntity).update(
      { id: s.id },
      {
        ...next,
        chunksCut: next.chunksCut + 1,
        status,
        reason,
        owner: null,
        stoppedAt: new Date(),
        stopRequested: false,
      },
    );
  }

  private async resume(s: LiveSessionEntity, pausedSince: Date): Promise<void> {
    const dir = captureDir(this.settings, s.captureId);
    try {
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      Object.assign(s, await this.continuation(s, dir));
      const spawned = await this.spawnCapture(s, dir, s.chunksCut, s.packets + 1);
      const note = `live capture on ${s.interface} was interrupted from ${pausedSince.toISOString()} to ${new Date().toISOString()} (API restart): packets in between were not captured`;
      await this.db.query(`UPDATE captures SET errors = errors || $2::jsonb WHERE id = $1`, [
        s.captureId,
        JSON.stringify([{ offset: -1, message: note }]),
      ]);
      s.resumes += 1;
      await this.db.getRepository(LiveSessionEntity).update(
        { id: s.id },
        {
          resumes: s.resumes,
          heartbeatAt: new Date(),
          chunksCut: s.chunksCut,
          packets: s.packets,
          pcapReceived: s.pcapReceived,
        },
      );
      this.supervise(s, spawned.child, spawned.early);
      this.log.log(`live session ${s.id} on ${s.interface} resumed`);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.log.warn(`live session ${s.id} could not be resumed: ${why}`);
      await this.closeTakenOver(s, `could not resume: ${why}`, 'failed');
    }
  }

  get(id: string): Promise<LiveSessionEntity | null> {
    return this.db.getRepository(LiveSessionEntity).findOneBy({ id });
  }

  /** Fresh counters for a session this process runs (the row lags by up to a second). */
  liveCounters(id: string): ReturnType<LiveSessionsService['counters']> | null {
    const r = this.running.get(id);
    return r ? this.counters(r) : null;
  }
}
