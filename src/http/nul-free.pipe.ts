import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { QueryParamError, shownValue } from './query-params';

/**
 * Bounds the walk of a parsed body: JSON nests as deep as the client likes. A body within
 * express.json's 100 kB limit holds fewer values than this; more is refused rather than passed
 * unchecked.
 */
const MAX_VISITED = 100_000;
const TOO_MANY = Symbol('too many values');

/** A name from the request, shown as sent when it is plainly a name, else quoted and cut. */
function shownName(s: string): string {
  return /^[\w.[\]-]{1,64}$/.test(s) ? s : shownValue(s);
}

/**
 * PostgreSQL text cannot hold U+0000: a NUL that reaches a bound parameter is a database error
 * (a 500). No API input has a use for one, so every query value, path parameter and body string
 * (keys included) is checked here, once for all routes, and refused with a 400 naming where it
 * was. A global pipe runs after the guards, so the caller without credentials still gets the 401.
 */
@Injectable()
export class NulFreePipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if (meta.type === 'custom') return value;
    const where = firstNul(value, meta.data ?? '');
    if (where === TOO_MANY) throw new QueryParamError(`${meta.data ?? meta.type}: more than ${MAX_VISITED} values`);
    if (where !== null) throw new QueryParamError(`${shownName(where || meta.type)}: must not contain U+0000 (NUL)`);
    return value;
  }
}

/**
 * Where the first NUL is (`a.b[2]`, '' for the value itself), or null; TOO_MANY past MAX_VISITED
 * values. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function firstNul(root: unknown, rootName: string): string | typeof TOO_MANY | null {
  const todo: Array<[unknown, string]> = [[root, rootName]];
  for (let visited = 0; todo.length > 0; visited++) {
    if (visited === MAX_VISITED) return TOO_MANY;
    const [v, at] = todo.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) return at;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) todo.push([v[i], `${at}[${i}]`]);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v).reverse()) {
        const name = at === '' ? k : `${at}.${k}`;
        if (k.includes('\0')) return name;
        todo.push([child, name]);
      }
    }
  }
  return null;
}
