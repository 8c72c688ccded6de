import { DEFAULT_UPLOAD_NAME, sanitizeUploadName } from './upload-name';

describe('sanitizeUploadName', () => {
  it.each([
    ['capture.pcap', 'capture.pcap'],
    ['../../etc/passwd', 'passwd'],
    ['/var/lib/x.pcap', 'x.pcap'],
    ['C:\\x\\y', 'y'],
    ['..\\..\\windows\\win.ini', 'win.ini'],
    ['a/b\\c/d.pcapng', 'd.pcapng'],
    ['evil\u0000name\r\n.pcap', 'evilname.pcap'],
    ['\u202egnp.exe', 'gnp.exe'],
    ['  spaced.pcap  ', 'spaced.pcap'],
    ['', DEFAULT_UPLOAD_NAME],
    ['../', DEFAULT_UPLOAD_NAME],
    ['..', DEFAULT_UPLOAD_NAME],
    ['dir/.', DEFAULT_UPLOAD_NAME],
    ['\u0001\u0002', DEFAULT_UPLOAD_NAME],
    [undefined, DEFAULT_UPLOAD_NAME],
    ['<script>alert(1)</script>.pcap', 'script>.pcap'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeUploadName(raw)).toBe(expected);
  });

  it('keeps at most 200 characters without splitting a surrogate pair', () => {
    expect(sanitizeUploadName('a'.repeat(500))).toBe('a'.repeat(200));
    const emoji = '😀'.repeat(300);
    const out = sanitizeUploadName(emoji);
    expect(Array.from(out)).toHaveLength(200);
    expect(out).toBe('😀'.repeat(200));
  });
});
