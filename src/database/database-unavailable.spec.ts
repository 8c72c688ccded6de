import { QueryFailedError } from 'typeorm';
import { databaseUnavailableReason } from './database-unavailable';

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('databaseUnavailableReason', () => {
  it.each([
    ['a refused connection', coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'ECONNREFUSED'],
    ['a reset mid-query', coded('read ECONNRESET', 'ECONNRESET'), 'ECONNRESET'],
    ['node-postgres losing the server', new Error('Connection terminated unexpectedly'), 'connection lost'],
    ['the pool giving up', new Error('timeout exceeded when trying to connect'), 'connection lost'],
    ['SQLSTATE 08006 (connection failure)', coded('connection failure', '08006'), '08006'],
    ['SQLSTATE 57P01 (admin shutdown)', coded('terminating connection due to administrator command', '57P01'), '57P01'],
    [
      'TypeORM wrapping the driver error',
      new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly')),
      'connection lost',
    ],
    ['a cause chain', new Error('outer', { cause: coded('connect ECONNREFUSED', 'ECONNREFUSED') }), 'ECONNREFUSED'],
  ])('%s → unavailable', (_what, err, reason) => {
    expect(databaseUnavailableReason(err)).toBe(reason);
  });

  it.each([
    ['a syntax error', coded('syntax error at or near "x"', '42601')],
    ['a value PostgreSQL refuses', coded('time zone displacement out of range', '22009')],
    ['a unique violation', new QueryFailedError('INSERT', [], coded('duplicate key', '23505'))],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['not an error at all', 'ECONNREFUSED'],
    ['null', null],
  ])('%s → not an outage (stays an error)', (_what, err) => {
    expect(databaseUnavailableReason(err)).toBeNull();
  });
});
