import { FeedConfigError, publicFeed, restoreRedacted, validateFeed } from './feed-config';
import { FeedSecretError, redactText, redactUrl, resolveFeedRequest } from './feed-url';

describe('redactUrl', () => {
  it.each([
    ['https://reader:S3cr3t@feeds.example/list.txt', 'https://***@feeds.example/list.txt'],
    ['https://S3cr3t@feeds.example/list.txt', 'https://***@feeds.example/list.txt'],
    [
      'https://feeds.example/v1/list?apikey=S3cr3t&format=csv&API_KEY=S3cr3t&Token=S3cr3t',
      'https://feeds.example/v1/list?apikey=***&format=csv&API_KEY=***&Token=***',
    ],
    [
      'https://h.example/l?X-Amz-Signature=S3cr3t&X-Amz-Credential=S3cr3t&otx_key=S3cr3t&sig=S3cr3t&page=2',
      'https://h.example/l?X-Amz-Signature=***&X-Amz-Credential=***&otx_key=***&sig=***&page=2',
    ],
    ['https://h.example/l?password=S3cr3t#access_token=S3cr3t', 'https://h.example/l?password=***#access_token=***'],
    ['https://h.example/l?key=', 'https://h.example/l?key='],
    // references are what we show
    [
      'https://h.example/l?key=${env:NETWARDEN_FEED_KEY}&auth=S3cr3t',
      'https://h.example/l?key=${env:NETWARDEN_FEED_KEY}&auth=***',
    ],
    [
      'https://${env:NETWARDEN_FEED_U}:${env:NETWARDEN_FEED_P}@h.example/',
      'https://${env:NETWARDEN_FEED_U}:${env:NETWARDEN_FEED_P}@h.example/',
    ],
    ['https://www.spamhaus.org/drop/drop.txt', 'https://www.spamhaus.org/drop/drop.txt'],
    ['not a url ?token=S3cr3t', 'not a url ?token=***'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});

describe('redactText', () => {
  it('redacts URLs in a message and scrubs known secret values, encoded ones too', () => {
    expect(
      redactText('Request cannot be constructed from a URL that includes credentials: http://u:S3cr3t@h.example/x', []),
    ).toBe('Request cannot be constructed from a URL that includes credentials: http://***@h.example/x');
    expect(redactText('HTTP 403 bad key S3cr3t/x (S3cr3t%2Fx)', ['S3cr3t/x'])).toBe('HTTP 403 bad key *** (***)');
  });
});

describe('resolveFeedRequest', () => {
  const env = { NETWARDEN_FEED_KEY: 'k/ey S3cr3t', NETWARDEN_FEED_TOKEN: 'T0kenValue' };

  it('resolves references (percent-encoded in the url), turns userinfo into Basic auth, lists the secrets', () => {
    const r = resolveFeedRequest(
      'https://reader:Pa55w0rd@h.example/l?key=${env:NETWARDEN_FEED_KEY}&n=1',
      { 'Auth-Key': '${env:NETWARDEN_FEED_TOKEN}' },
      env,
    );
    expect(r.url).toBe('https://h.example/l?key=k%2Fey%20S3cr3t&n=1');
    expect(r.headers).toEqual({
      'Auth-Key': 'T0kenValue',
      authorization: `Basic ${Buffer.from('reader:Pa55w0rd').toString('base64')}`,
    });
    expect(r.secrets).toEqual(
      expect.arrayContaining([
        'k/ey S3cr3t',
        'T0kenValue',
        'Pa55w0rd',
        Buffer.from('reader:Pa55w0rd').toString('base64'),
      ]),
    );
  });

  it('an explicit Authorization header wins over userinfo; a missing variable is a FeedSecretError naming it', () => {
    const r = resolveFeedRequest(
      'https://u:p@h.example/',
      { Authorization: 'Bearer ${env:NETWARDEN_FEED_TOKEN}' },
      env,
    );
    expect(r.headers).toEqual({ Authorization: 'Bearer T0kenValue' });
    expect(() => resolveFeedRequest('https://h.example/?key=${env:NETWARDEN_FEED_NOPE}', undefined, env)).toThrow(
      new FeedSecretError('environment variable NETWARDEN_FEED_NOPE is not set'),
    );
  });
});

describe('feed validation, display and API round-trip', () => {
  it('references must name NETWARDEN_FEED_* variables (no API_KEY sent away); headers are checked', () => {
    expect(() => validateFeed({ name: 'a', type: 'ip', url: 'https://h.example/?k=${env:API_KEY}' })).toThrow(
      'feed a: url: ${env:API_KEY}: the variable name must match NETWARDEN_FEED_[A-Z0-9_]+',
    );
    expect(() =>
      validateFeed({ name: 'a', type: 'ip', url: 'https://h.example/', headers: { Host: 'x', 'X-K': '${oops}' } }),
    ).toThrow('feed a: headers: Host is set by netwarden');
    expect(() =>
      validateFeed({ name: 'a', type: 'ip', url: 'https://h.example/', headers: { 'X-K': 'a\nb' } }),
    ).toThrow('feed a: headers: the value of X-K must be one line of at most 4096 characters');
    expect(() => validateFeed({ name: 'a', type: 'ip', path: 'x.txt', headers: { 'X-K': 'v' } })).toThrow(
      'feed a: headers apply to http and https urls only',
    );
  });

  const stored = validateFeed({
    name: 'paid',
    type: 'ip',
    url: 'https://reader:Pa55w0rd@h.example/l?apikey=S3cr3t',
    headers: { 'Auth-Key': 'Literal5ecret', Authorization: 'Bearer ${env:NETWARDEN_FEED_TOKEN}' },
  });

  it('publicFeed shows no secret, references as written', () => {
    const shown = publicFeed(stored);
    expect(shown).toMatchObject({
      url: 'https://***@h.example/l?apikey=***',
      headers: { 'Auth-Key': '***', Authorization: 'Bearer ${env:NETWARDEN_FEED_TOKEN}' },
    });
    expect(JSON.stringify(shown)).not.toMatch(/S3cr3t|Pa55w0rd|Literal5ecret/);
  });

  it('what was shown comes back as the stored value; any other *** is refused', () => {
    const back = restoreRedacted(validateFeed({ ...publicFeed(stored), severity: 'critical' }), stored);
    expect(back).toEqual({ ...stored, severity: 'critical' });
    expect(() =>
      restoreRedacted(validateFeed({ ...publicFeed(stored), url: 'https://***@other.example/l?apikey=***' }), stored),
    ).toThrow(FeedConfigError);
    expect(() => restoreRedacted(validateFeed({ ...publicFeed(stored), name: 'new' }), undefined)).toThrow(
      'feed new: url is redacted (***): secrets cannot round-trip through the API; send the real value or a ${env:NETWARDEN_FEED_NAME} reference',
    );
  });
});
