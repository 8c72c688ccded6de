import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { randomBuffers } from '../../../test/support/random-bytes';
import type { HttpHeader } from '../events';
import {
  authScheme,
  decodeBase64,
  decodeContent,
  formFields,
  hasPasswordInput,
  headerValue,
  jsonFields,
  multipartFields,
  parseAuthorization,
  servesPasswordForm,
  splitAuthorization,
  targetPath,
  targetQuery,
  urlencodedFields,
  type FormField,
} from './http-content';

/** Fields as [name, value] pairs: the shape the credential-parsing spec asserted before the move. */
const pairs = (f: FormField[]) => f.map((x) => [x.name, x.value]);
const hdrs = (...h: Array<[string, string]>): HttpHeader[] => h.map(([name, value]) => ({ name, value }));
const LOGIN = '<html><form method=post><input name=user><input type="password" name=pw></form></html>';

describe('http-content: headers and request targets', () => {
  it('headerValue: case-insensitive name, the first of repeated headers, undefined when absent', () => {
    const h = hdrs(['Content-Type', 'text/html'], ['X-A', '1'], ['x-a', '2']);
    expect([headerValue(h, 'content-type'), headerValue(h, 'x-a'), headerValue(h, 'location')]).toEqual([
      'text/html',
      '1',
      undefined,
    ]);
  });

  it('targetPath / targetQuery: origin and absolute form, query and fragment cut from the path, fragment cut from the query', () => {
    const t = ['/a/b?x=1#f', 'http://h.example:8080/p?q=2', 'http://h.example?q=3', '/login#top', '*'];
    expect(t.map(targetPath)).toEqual(['/a/b', '/p', '/', '/login', '*']);
    expect(t.map(targetQuery)).toEqual(['x=1', 'q=2', 'q=3', '', '']);
  });
});

describe('http-content: content coding', () => {
  const page = Buffer.from(LOGIN);
  it('gzip, x-gzip, deflate (zlib and raw), br decoded; identity and no coding give the body itself', () => {
    expect(decodeContent(gzipSync(page), 'gzip', 1 << 20)).toEqual(page);
    expect(decodeContent(gzipSync(page), ' X-GZIP ', 1 << 20)).toEqual(page);
    expect(decodeContent(deflateSync(page), 'deflate', 1 << 20)).toEqual(page);
    expect(decodeContent(deflateRawSync(page), 'deflate', 1 << 20)).toEqual(page);
    expect(decodeContent(brotliCompressSync(page), 'br', 1 << 20)).toEqual(page);
    expect(decodeContent(page, 'identity', 1)).toBe(page);
    expect(decodeContent(page, undefined, 1)).toBe(page);
  });

  it('a truncated stream gives its start; garbage, an unknown coding and an empty body give null', () => {
    const big = Buffer.from(`${LOGIN}${'<p>filler text</p>'.repeat(5000)}`);
    const gz = gzipSync(big);
    const out = decodeContent(gz.subarray(0, gz.length >> 1), 'gzip', 1 << 20);
    expect(out).not.toBeNull();
    expect((out as Buffer).length).toBeGreaterThan(LOGIN.length);
    expect(big.subarray(0, (out as Buffer).length)).toEqual(out);
    expect(decodeContent(page, 'gzip', 1 << 20)).toBeNull();
    expect(decodeContent(gzipSync(page), 'zstd', 1 << 20)).toBeNull();
    expect(decodeContent(Buffer.alloc(0), 'gzip', 1 << 20)).toBeNull();
  });

  it('a decompression bomb: output never past maxOutput, a shorter prefix retried so the page start is found', () => {
    const bomb = gzipSync(Buffer.concat([page, Buffer.alloc(32 << 20)]));
    for (const max of [64 * 1024, 256 * 1024]) {
      const out = decodeContent(bomb, 'gzip', max) as Buffer;
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.subarray(0, page.length)).toEqual(page);
    }
    // Too small a bound for the prefix that holds the page: at most the bound (or null), no exception.
    expect(decodeContent(bomb, 'gzip', 4096)?.length ?? 0).toBeLessThanOrEqual(4096);
    expect(decodeContent(gzipSync(Buffer.alloc(1 << 20)), 'gzip', 1)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('servesPasswordForm: an HTML page with a password input, through its content coding; not other types or no input', () => {
    const html = ['Content-Type', 'text/html; charset=utf-8'] as [string, string];
    expect(servesPasswordForm(hdrs(html), page, 1024)).toBe(true);
    expect(servesPasswordForm(hdrs(html, ['Content-Encoding', 'gzip']), gzipSync(page), 1024)).toBe(true);
    expect(servesPasswordForm(hdrs(html, ['Content-Encoding', 'gzip']), page, 1024)).toBe(false);
    expect(servesPasswordForm(hdrs(['Content-Type', 'text/plain']), page, 1024)).toBe(false);
    expect(servesPasswordForm(hdrs(), page, 1024)).toBe(false);
    expect(servesPasswordForm(hdrs(html), Buffer.from('<input type=text>'), 1024)).toBe(false);
    expect(servesPasswordForm(hdrs(html), Buffer.alloc(0), 1024)).toBe(false);
  });
});

describe('http-content: form fields', () => {
  it('urlencoded fields: + and %-escapes decoded, a malformed escape kept as sent', () => {
    expect(pairs(urlencodedFields('a=1&b=x+y%21&c&d=%E0%A4%A&'))).toEqual([
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
    expect(pairs(multipartFields(body, b))).toEqual([
      ['user', 'zoe'],
      ['pwd', 'multi\r\nline'],
    ]);
    expect(multipartFields(body, '')).toEqual([]);
  });

  it('urlencoded: a name is cut at 256 characters, at most 256 fields, empty parts skipped', () => {
    const f = urlencodedFields(`${'n'.repeat(300)}=v&&=x&${'a=1&'.repeat(400)}`);
    expect(f.length).toBe(256);
    expect(f[0]).toEqual({ name: 'n'.repeat(256), value: 'v' });
    expect(f[1]).toEqual({ name: '', value: 'x' });
  });

  it('JSON: string members at any depth and in a cut prefix, escapes decoded, other values and array strings skipped', () => {
    expect(
      pairs(
        jsonFields('{"user":{"email":"c@x.org","password":"p\\"w\\u00e9"},"otp":"","n":1,"a":["k"],"t":true,"cut":"ab'),
      ),
    ).toEqual([
      ['email', 'c@x.org'],
      ['password', 'p"wé'],
      ['otp', ''],
    ]);
    // A string value holding key-like text is one value; a bad escape is kept as sent.
    expect(pairs(jsonFields('{"note":"say \\"password\\":\\"x\\"","pw":"a\\qb"}'))).toEqual([
      ['note', 'say "password":"x"'],
      ['pw', 'a\\qb'],
    ]);
    expect(jsonFields(`{${'"k":"v",'.repeat(300)}}`).length).toBe(256);
  });

  it('formFields by Content-Type: urlencoded, multipart (boundary quoted or bare, required), +json types; others null', () => {
    const mp = '--b1\r\nContent-Disposition: form-data; name="pw"\r\n\r\nx\r\n--b1--\r\n';
    const f = (ct: string, body: string) => formFields(ct, Buffer.from(body));
    expect(f('Application/X-WWW-Form-Urlencoded; charset=UTF-8', 'a=1')).toEqual({
      encoding: 'urlencoded',
      fields: [{ name: 'a', value: '1' }],
    });
    expect(f('multipart/form-data; boundary="b1"', mp)).toEqual({
      encoding: 'multipart',
      fields: [{ name: 'pw', value: 'x' }],
    });
    expect(f('multipart/form-data; boundary=b1; charset=x', mp)?.fields).toEqual([{ name: 'pw', value: 'x' }]);
    expect(f('multipart/form-data', mp)).toBeNull();
    expect(f('application/ld+json', '{"a":"b"}')).toEqual({ encoding: 'json', fields: [{ name: 'a', value: 'b' }] });
    expect(f('text/plain', 'a=1')).toBeNull();
    expect(f('', 'a=1')).toBeNull();
  });
});

describe('http-content: Authorization and HTML', () => {
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

  it('authScheme: registered schemes named, unknown scheme words only before credentials, raw tokens never', () => {
    expect(
      [
        'Basic Ym9iOmh1bnRlcjI=',
        'bearer x',
        'AWS4-HMAC-SHA256 Credential=AKIA/x',
        'Negotiate',
        'Turbo customAuthDataHere',
        'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
        'abcdefghijklmnop',
        'tok3n xyz',
        '=weird',
        '',
      ].map(authScheme),
    ).toEqual([
      'Basic',
      'bearer',
      'AWS4-HMAC-SHA256',
      'Negotiate',
      'Turbo',
      'unrecognised',
      'unrecognised',
      'unrecognised',
      'unrecognised',
      'unrecognised',
    ]);
  });

  it('hasPasswordInput: attribute order, quoting, case; linear on hostile input', () => {
    expect(hasPasswordInput('<input name=a type=password>')).toBe(true);
    expect(hasPasswordInput("<INPUT TYPE = 'PASSWORD' name=x>")).toBe(true);
    expect(hasPasswordInput('<input type="passwordless">')).toBe(false);
    expect(hasPasswordInput('<input data-type=password>')).toBe(false);
    expect(hasPasswordInput('type=password <input name=x>')).toBe(false);
    const hostile = '<input '.repeat(200_000);
    const t0 = process.hrtime.bigint();
    expect(hasPasswordInput(hostile)).toBe(false);
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(2000);
  });

  it('splitAuthorization: scheme token (≤ 32 characters) and trimmed credentials, space or tab between', () => {
    expect(
      ['Basic  abc= ', 'Bearer\tt.k', 'Negotiate', '  x y z', `${'a'.repeat(33)} x`, '=weird', ''].map(
        splitAuthorization,
      ),
    ).toEqual([
      { scheme: 'Basic', credentials: 'abc=' },
      { scheme: 'Bearer', credentials: 't.k' },
      { scheme: 'Negotiate', credentials: '' },
      { scheme: 'x', credentials: 'y z' },
      null,
      null,
      null,
    ]);
  });
});

describe('http-content: hostile input', () => {
  it('never throws on arbitrary bytes', () => {
    for (const buf of randomBuffers(2000, 200, 777)) {
      const text = buf.toString('latin1');
      expect(() => {
        headerValue(hdrs([text, text]), text);
        targetPath(text);
        targetQuery(text);
        for (const c of ['gzip', 'deflate', 'br']) decodeContent(buf, c, 4096);
        servesPasswordForm(hdrs(['content-type', 'text/html']), buf, 4096);
        urlencodedFields(text);
        multipartFields(buf, 'b');
        jsonFields(text);
        for (const ct of ['application/json', 'multipart/form-data; boundary=b', 'application/x-www-form-urlencoded'])
          formFields(ct, buf);
        splitAuthorization(text);
        authScheme(text);
        parseAuthorization(text);
        decodeBase64(text);
        hasPasswordInput(text);
      }).not.toThrow();
    }
  });

  it('a JSON body of long escape runs and an unterminated string is read in linear time', () => {
    const hostile = `{"a":"${'\\"'.repeat(200_000)}`;
    const t0 = process.hrtime.bigint();
    expect(jsonFields(hostile)).toEqual([]);
    expect(jsonFields(`{"k":"${'x'.repeat(1 << 20)}"}`)[0].value.length).toBe(1 << 20);
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(2000);
  });
});
