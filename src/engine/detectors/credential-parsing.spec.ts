import { randomBuffers } from '../../../test/support/random-bytes';
import { decodeBase64, multipartFields, parseAuthorization, urlencodedFields } from '../protocols/http-content';
import { formCredentials, imapStrings, saslPlain, saslXoauth2 } from './credential-parsing';

const USER = ['username', 'user', 'login', 'email'];
const PASS = ['password', 'passwd', 'pass', 'pwd'];

describe('credential parsing', () => {
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
    for (const buf of randomBuffers(2000, 200, 12345)) {
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
