import { chunkFileName } from '../captures/capture-ingest';
import { writeChunkFile } from './chunk-file';
import type { CaptureCounters, CaptureJob, FromCapture, ToCapture } from './capture-process-protocol';
import { LiveCaptureError } from './live-capture-error';
import { LiveChunkCutter, type LiveChunk } from './live-chunk-cutter';
import { LivePacketSource } from './live-packet-source';

// Run by hand or by the bench (no IPC channel from the start): the messages go to stderr, one
// JSON line each, so the final counters ('ended') can be read. A channel that closed later
// (the API died) is not this case: nobody reads that stderr.
const standalone = process.send === undefined;

/**
 * A live session's capture process (forked by LiveSessionsService, one per session): libpcap →
 * chunk files in the capture's directory → a message per chunk to the API, which records it and
 * enqueues it for the workers. Everything here is synchronous inside the packet loop (file writes
 * included), so chunks are cut by age even while libpcap's loop never returns under load.
 */
function send(msg: FromCapture, then?: () => void): void {
  if (standalone) {
    process.stderr.write(`${JSON.stringify(msg)}\n`);
    then?.();
    return;
  }
  if (!process.send || !process.connected) {
    then?.();
    return;
  }
  process.send(msg, undefined, undefined, () => then?.());
}

function main(): void {
  const job = JSON.parse(process.argv[2] ?? '{}') as CaptureJob;
  let source: LivePacketSource;
  try {
    source = LivePacketSource.open({
      iface: job.iface,
      filter: job.filter,
      snaplen: job.snaplen,
      promiscuous: job.promiscuous,
      bufferBytes: job.bufferBytes,
    });
  } catch (err) {
    const e =
      err instanceof LiveCaptureError
        ? err
        : new LiveCaptureError('open-failed', (err as Error)?.message ?? String(err));
    send({ type: 'error', code: e.code, message: e.message }, () => process.exit(3));
    return;
  }

  let bytes = 0;
  let closingChunk = false;
  const writeChunk = (c: LiveChunk) => {
    const file = chunkFileName(c.seq, 'pcap');
    writeChunkFile(job.dir, file, c.parts);
    send({
      type: 'chunk',
      seq: c.seq,
      file,
      firstFrame: c.firstFrame,
      packets: c.packets,
      fileBytes: c.fileBytes,
      firstTime: c.firstTime,
      lastTime: c.lastTime,
      closing: closingChunk,
    });
  };
  const cutter = new LiveChunkCutter({
    linkType: source.linkType,
    snaplen: job.snaplen,
    maxPackets: job.chunkPackets,
    maxBytes: job.chunkBytes,
    maxMs: job.chunkMs,
    firstSeq: job.firstSeq,
    firstFrame: job.firstFrame,
    onChunk: writeChunk,
  });
  const counters = (): CaptureCounters => {
    const s = source.stats();
    return {
      packets: cutter.framesSeen - job.firstFrame + 1,
      bytes,
      received: s.received,
      dropped: s.dropped,
      ifDropped: s.ifDropped,
    };
  };

  let ending = false;
  const end = async (closing: boolean, exitCode: number, drain = true) => {
    if (ending) return;
    ending = true;
    // What the kernel still holds belongs in the last chunk (closeDrained says why it waits).
    if (drain) await source.closeDrained();
    else source.close();
    try {
      closingChunk = closing;
      cutter.flush(closing);
    } catch (err) {
      process.stderr.write(`capture: cannot write the last chunk: ${(err as Error).message}\n`);
      exitCode = 1;
    }
    send({ type: 'ended', closing, ...counters() }, () => process.exit(exitCode));
    // The API is gone: nobody to tell.
    setTimeout(() => process.exit(exitCode), 2000).unref();
  };

  let lastStats = 0;
  source.start({
    onPacket: (rec) => {
      bytes += rec.capLen;
      cutter.push(rec); // the chunk's age is read only when a packet opens one
    },
    onTick: (now) => {
      cutter.tick(now);
      if (now - lastStats >= job.statsMs) {
        lastStats = now;
        send({ type: 'stats', ...counters() });
      }
    },
    tickMs: Math.min(250, job.chunkMs),
    onError: (err) => {
      // A chunk file could not be written (disk full...): what was cut so far stays recorded.
      send({ type: 'error', code: 'capture-failed', message: (err as Error)?.message ?? String(err) });
      setImmediate(() => void end(false, 1, false)); // not inside libpcap's loop
    },
  });
  send({ type: 'ready', linkType: source.linkType });

  process.on('message', (m: ToCapture) => {
    if (m?.type === 'stop') void end(true, 0);
    else if (m?.type === 'pause') void end(false, 0);
  });
  // The API died or let go: keep what was captured (it resumes the session), then exit.
  process.on('disconnect', () => void end(false, 0));
  process.on('SIGTERM', () => void end(false, 0));
  process.on('SIGINT', () => void end(false, 0));
}

main();
