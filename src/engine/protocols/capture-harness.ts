import { readCapture } from '../capture/read-capture';
import { DecodedPacket } from '../decode/decoded-packet';
import { PacketDecoder } from '../decode/packet.decoder';
import { TcpReassembler, type ReassemblyOptions } from '../reassembly/tcp-reassembler';
import { PROTOCOL_NAMES, ProtocolDispatcher, type ProtocolHandlers, type ProtocolName } from './protocol-dispatcher';

/**
 * Test/bench helper: read a capture, decode, reassemble and dispatch with every protocol
 * enabled, recording each parser event as [kind, event]. Not used by the pipeline.
 */
export const ALL_PROTOCOLS: ReadonlySet<ProtocolName> = new Set(PROTOCOL_NAMES);

export type RecordedEvent = [string, unknown];

export function recordingHandlers(out: RecordedEvent[]): ProtocolHandlers {
  return {
    onDns: (e) => out.push(['dns', e]),
    onTlsClientHello: (e) => out.push(['clientHello', e]),
    onTlsServerHello: (e) => out.push(['serverHello', e]),
    onTlsCertificate: (e) => out.push(['certificate', e]),
    onHttpRequest: (e) => out.push(['httpRequest', e]),
    onHttpResponse: (e) => out.push(['httpResponse', e]),
    onLineCommand: (e) => out.push(['command', e]),
    onLineReply: (e) => out.push(['reply', e]),
    onTelnetText: (e) => out.push(['telnet', e]),
    onSnmp: (e) => out.push(['snmp', e]),
    onLdapBindRequest: (e) => out.push(['ldapBindRequest', e]),
    onLdapBindResponse: (e) => out.push(['ldapBindResponse', e]),
    onLdapStartTls: (e) => out.push(['ldapStartTls', e]),
    onTftpRequest: (e) => out.push(['tftp', e]),
    onTftpReply: (e) => out.push(['tftpReply', e]),
    onSmbMessage: (e) => out.push(['smb', e]),
    onVncHandshake: (e) => out.push(['vnc', e]),
    onRemoteShell: (e) => out.push(['rshell', e]),
  };
}

export async function parseCapture(
  file: string,
  opts: { reassembly?: Partial<ReassemblyOptions>; protocols?: ReadonlySet<ProtocolName> } = {},
): Promise<{ events: RecordedEvent[]; reassembler: TcpReassembler; dispatcher: ProtocolDispatcher }> {
  const events: RecordedEvent[] = [];
  const dispatcher = new ProtocolDispatcher(recordingHandlers(events), opts.protocols ?? ALL_PROTOCOLS);
  const reassembler = new TcpReassembler(dispatcher, opts.reassembly);
  const decoder = new PacketDecoder();
  const p = new DecodedPacket();
  let last = 0;
  let frame = 0;
  await readCapture(file, {
    onPacket: (rec) => {
      decoder.decode(rec, p);
      frame = p.frame;
      last = p.time;
      if (p.ipProto === 6) reassembler.onSegment(p);
      else if (p.ipProto === 17) dispatcher.onUdp(p);
    },
  });
  reassembler.flush(last, frame);
  return { events, reassembler, dispatcher };
}
