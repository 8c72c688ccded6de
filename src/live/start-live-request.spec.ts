import { BadRequestException } from '@nestjs/common';
import { linkTypeNumber } from './live-packet-source';
import { parseStartLiveRequest } from './start-live-request';

describe('parseStartLiveRequest', () => {
  it('takes the documented fields', () => {
    expect(
      parseStartLiveRequest({
        interface: 'veth0',
        filter: ' not port 22 ',
        snaplen: 1500,
        promiscuous: false,
        chunkMs: 500,
        chunkPackets: 1000,
        chunkBytes: 1 << 20,
        detectors: ['port-scan', 'port-scan'],
        name: 'office uplink',
      }),
    ).toEqual({
      interface: 'veth0',
      filter: 'not port 22',
      snaplen: 1500,
      promiscuous: false,
      chunkMs: 500,
      chunkPackets: 1000,
      chunkBytes: 1 << 20,
      detectors: ['port-scan'],
      name: 'office uplink',
    });
    expect(parseStartLiveRequest({ interface: 'eth0' })).toMatchObject({ interface: 'eth0', detectors: null });
  });

  it.each([
    [null, 'the body must be a JSON object'],
    [[], 'the body must be a JSON object'],
    ['eth0', 'the body must be a JSON object'],
    [{}, 'interface: required'],
    [{ interface: '' }, 'interface: required'],
    [{ interface: '../../etc' }, 'interface: required'],
    [{ interface: 'eth0; rm -rf /' }, 'interface: required'],
    [{ interface: 'x'.repeat(65) }, 'interface: required'],
    [{ interface: 'eth0', iface: 'x' }, 'unknown field "iface"'],
    [{ interface: 'eth0', filter: 3 }, 'filter: a BPF expression'],
    [{ interface: 'eth0', filter: 'tcp\0' }, 'filter: a BPF expression'],
    [{ interface: 'eth0', snaplen: 10 }, 'snaplen: must be an integer from 64 to 262144'],
    [{ interface: 'eth0', snaplen: 1.5 }, 'snaplen: must be an integer'],
    [{ interface: 'eth0', snaplen: '1500' }, 'snaplen: must be an integer'],
    [{ interface: 'eth0', chunkMs: 5 }, 'chunkMs: must be an integer from 100'],
    [{ interface: 'eth0', promiscuous: 'yes' }, 'promiscuous: must be true or false'],
    [{ interface: 'eth0', detectors: 'port-scan' }, 'detectors: a non-empty array'],
    [{ interface: 'eth0', detectors: ['nope'] }, 'detectors: '],
    [{ interface: 'eth0', name: '' }, 'name: 1 to 200 characters'],
  ])('refuses %j', (body, message) => {
    let err: unknown;
    try {
      parseStartLiveRequest(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadRequestException);
    expect((err as Error).message).toContain(message);
  });
});

describe('linkTypeNumber', () => {
  it("reads node_pcap's names and its 'Unknown linktype N'", () => {
    expect(linkTypeNumber('LINKTYPE_ETHERNET')).toBe(1);
    expect(linkTypeNumber('LINKTYPE_LINUX_SLL')).toBe(113);
    expect(linkTypeNumber('LINKTYPE_RAW')).toBe(101);
    expect(linkTypeNumber('Unknown linktype 276')).toBe(276);
    expect(() => linkTypeNumber('weird')).toThrow('unknown link type');
  });
});
