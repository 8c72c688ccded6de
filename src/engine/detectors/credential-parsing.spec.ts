import {
  decodeBase64,
  formCredentials,
  imapStrings,
  multipartFields,
  parseAuthorization,
  saslPlain,
  saslXoauth2,
  urlencodedFields,
} from './credential-parsing';

const USER = ['username', 'user', 'login', 'email'];
const PASS = ['password', 'passwd', 'pass', 'pwd'];

describe('credential parsing', () => {
  it('base64 is decoded only when it is strict base64', () => {
    expect(decodeBase64('Ym9iOmh1bnRlcjI=')).toBe('bob:hunter2');
    expect(decodeBase64(' Ym9iOmh1bnRlcjI= ')).toBe('bob:hunter2');
    expect(decodeBase64('not base64!')).toBeNull();
    expect(decodeBase64('')).toBeNull();
    expect(decodeBase64('A')).toBeNull();
    expect(decodeBase64('A'.repeat(9000))).toBeNull();
  });

  it('Authorization: Basic split at the first colon, Bearer and unknown schemes kept whole, challenge-response schemes ignored', () => {
    expect(parseAuthorization('Basic Ym9iOmh1bnRlcjI=')).toEqual({
      scheme: 'Basic',
      kind: 'basic',
      user: 'bob',
      secret: 'hunter2',
    });
    expect(parseAuthorization(`basic ${Buffer.from('u:p:a:ss').toString('base64')}`)).toMatchObject({
      user: 'u',
      secret: 'p:a:ss',
    });
    expect(parseAuthorization('Basic %%%')).toEqual({ scheme: 'Basic', kind: 'basic', user: '', secret: '%%%' });
    expect(parseAuthorization('Bearer mF_9.B5f-4.1JqM')).toEqual({
      scheme: 'Bearer',
      kind: 'bearer',
      user: '',
      secret: 'mF_9.B5f-4.1JqM',
    });
    expect(parseAuthorization('Digest username="x", response="y"')).toBeNull();
    expect(parseAuthorization('NTLM TlRMTVNTUAAB')).toBeNull();
    expect(parseAuthorization('Negotiate YIIG')).toBeNull();
    expect(parseAuthorization('Bearer')).toBeNull();
    expect(parseAuthorization('<script> x')).toBeNull();
  });

  it('urlencoded fields: + and %-escapes decoded, a malformed escape kept as sent', () => {
    expect(urlencodedFields('a=1&b=x+y%21&c&d=%E0%A4%A&')).toEqual([
      ['a', '1'],
      ['b', 'x y!'],
      ['c', ''],
      ['d', '%E0%A4%A'],
    ]);
  });

  it('multipart fields: quoted and bare names, file parts skipped, the closing delimiter ends', () => {
    const b = 'XyZ';
    const body = Buffer.from(
      `preamble\r\n--${b}\r\nContent-Disposition: form-data; name="user"\r\n\r\nzoe\r\n` +
        `--${b}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nfile\r\n` +
        `--${b}\r\ncontent-disposition: form-data; name=pwd\r\n\r\nmulti\r\nline\r\n` +
        `--${b}--\r\n--${b}\r\nContent-Disposition: form-data; name="after"\r\n\r\nx\r\n`,
    );
    expect(multipartFields(body, b)).toEqual([
      ['user', 'zoe'],
      ['pwd', 'multi\r\nline'],
    ]);
    expect(multipartFields(body, '')).toEqual([]);
  });

  it('form credentials by content type: the first password field and the first user field, bracketed names by their last part', () => {
    const f = (ct: string, body: string) => formCredentials(ct, Buffer.from(body), USER, PASS);
    expect(
      f('application/x-www-form-urlencoded; charset=UTF-8', 'next=%2F&account[login]=ann&account[password]=s3cret'),
    ).toEqual({
      user: 'ann',
      secret: 's3cret',
      encoding: 'urlencoded',
    });
    expect(f('application/json', '{"email":"a@b.test","password":"pw","nested":{"password":"no"}}')).toEqual({
      user: 'a@b.test',
      secret: 'pw',
      encoding: 'json',
    });
    expect(f('application/vnd.api+json', '{"pass":"x"}')).toEqual({ user: '', secret: 'x', encoding: 'json' });
    expect(f('application/json', '{"password":')).toBeNull();
    expect(f('application/json', '["password"]')).toBeNull();
    expect(f('text/plain', 'password=x')).toBeNull();
    expect(f('multipart/form-data', '--x\r\n')).toBeNull(); // no boundary
    expect(f('application/x-www-form-urlencoded', 'q=password')).toBeNull();
  });

  it('IMAP astrings: atoms, quoted strings with escapes, literals taken from the kept contents', () => {
    expect(imapStrings('bob pw', 2)).toEqual(['bob', 'pw']);
    expect(imapStrings('"bob smith" "p\\"w\\\\"', 2)).toEqual(['bob smith', 'p"w\\']);
    expect(imapStrings('{3} {2+}', 2, ['bob', 'pw'])).toEqual(['bob', 'pw']);
    expect(imapStrings('bob {2}', 2, ['pw'])).toEqual(['bob', 'pw']);
    expect(imapStrings('{3} {2}', 2, ['bob'])).toBeNull();
    expect(imapStrings('"unterminated', 2)).toBeNull();
    expect(imapStrings('onlyone', 2)).toBeNull();
    expect(imapStrings('', 2)).toBeNull();
  });

  it('SASL PLAIN and XOAUTH2 messages', () => {
    expect(saslPlain('\0tim\0tanstaaftanstaaf')).toEqual({ user: 'tim', secret: 'tanstaaftanstaaf' });
    expect(saslPlain('admin\0\0pw')).toEqual({ user: 'admin', secret: 'pw' });
    expect(saslPlain('no nul')).toBeNull();
    expect(
      saslXoauth2('user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01'),
    ).toEqual({
      user: 'someuser@example.com',
      secret: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg',
    });
    expect(saslXoauth2('user=x\x01\x01')).toBeNull();
  });

  it('never throws on arbitrary bytes', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rnd() * 200);
      const buf = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      const text = buf.toString('latin1');
      expect(() => {
        decodeBase64(text);
        parseAuthorization(text);
        urlencodedFields(text);
        multipartFields(buf, 'b');
        formCredentials('application/json', buf, USER, PASS);
        formCredentials('multipart/form-data; boundary=b', buf, USER, PASS);
        imapStrings(text, 2, ['x']);
        saslPlain(text);
        saslXoauth2(text);
      }).not.toThrow();
    }
  });
});
