import { diskFullException, isDiskFull } from './disk-full';

describe('isDiskFull', () => {
  const coded = (code: string) => Object.assign(new Error(`${code}: write`), { code });

  it('recognises ENOSPC and EDQUOT, also as a cause', () => {
    expect(isDiskFull(coded('ENOSPC'))).toBe(true);
    expect(isDiskFull(coded('EDQUOT'))).toBe(true);
    expect(isDiskFull(new Error('ingest failed', { cause: coded('ENOSPC') }))).toBe(true);
  });

  it('leaves other file-system errors alone', () => {
    expect(isDiskFull(coded('EACCES'))).toBe(false);
    expect(isDiskFull(coded('ENOENT'))).toBe(false);
    expect(isDiskFull(new Error('no space left on device'))).toBe(false); // only the code counts
    expect(isDiskFull(undefined)).toBe(false);
  });

  it('answers 507 with a reason', () => {
    const e = diskFullException();
    expect(e.getStatus()).toBe(507);
    expect(e.getResponse()).toEqual({
      statusCode: 507,
      error: 'Insufficient Storage',
      message: expect.stringMatching(/^no space left on the data disk/) as string,
    });
  });
});
