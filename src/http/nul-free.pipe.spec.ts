import { QueryParamError } from './query-params';
import { NulFreePipe } from './nul-free.pipe';

/** U+0000 anywhere in a request's query, path or body is refused naming where it was. */
describe('NulFreePipe', () => {
  const pipe = new NulFreePipe();
  const refusal = (value: unknown, type: 'query' | 'body' | 'param', data?: string): string => {
    try {
      pipe.transform(value, { type, data });
    } catch (err) {
      expect(err).toBeInstanceOf(QueryParamError);
      return (err as QueryParamError).message;
    }
    throw new Error('not refused');
  };

  it('passes values without NUL through unchanged', () => {
    const body = { name: 'a', tags: ['x', { y: 'é' }], n: 1, z: null };
    expect(pipe.transform(body, { type: 'body' })).toBe(body);
  });

  it('names the query parameter, path parameter or body field', () => {
    expect(refusal({ page: '1', type: 'a\u0000' }, 'query')).toBe('type: must not contain U+0000 (NUL)');
    expect(refusal('x\u0000', 'param', 'id')).toBe('id: must not contain U+0000 (NUL)');
    expect(refusal({ headers: { a: ['ok', '\u0000'] } }, 'body')).toBe('headers.a[1]: must not contain U+0000 (NUL)');
    expect(refusal({ 'k\u0000<': 1 }, 'body')).toBe('"k?<": must not contain U+0000 (NUL)');
    expect(refusal('\u0000', 'body')).toBe('body: must not contain U+0000 (NUL)');
  });

  it('walks deep nesting without recursion, and refuses more values than a body can hold', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(refusal(deep, 'body')).toMatch(/: must not contain U\+0000/);
    expect(refusal(new Array(200_000).fill(1), 'body')).toBe('body: more than 100000 values');
  });
});
