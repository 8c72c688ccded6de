/**
 * The command examples in README.md's fenced code blocks (`curl …`, `netwarden …`, `npx netwarden …`),
 * as a reader would copy them — so a test can run every one against a live service.
 */

export interface ReadmeExample {
  /** 1-based line in README.md. */
  line: number;
  tool: 'curl' | 'netwarden';
  /** The command as written, without its trailing comment or synopsis description column. */
  command: string;
}

/** A line that starts an example: an optional `sudo`/`npx` and the tool, or the tool after `&&`. */
const EXAMPLE = /(?:^\s*|&&\s*)((?:sudo\s+)?(?:npx\s+)?(curl|netwarden)\s)/;

/**
 * Every example in the fenced code blocks. A line ending in `\` continues on the next. A comment
 * (`# …` after whitespace) or a run of 3+ spaces (a synopsis's description column) ends the command.
 * Several commands joined by `&&` on one line: only the example's part is kept (`npm ci && npx
 * netwarden …` → `npx netwarden …`).
 */
export function readmeExamples(readme: string): ReadmeExample[] {
  const out: ReadmeExample[] = [];
  const fence = /^```[^\n]*\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(readme); m !== null; m = fence.exec(readme)) {
    const firstLine = readme.slice(0, m.index).split('\n').length + 1;
    const lines = m[1].split('\n');
    for (let i = 0; i < lines.length; i++) {
      const start = i;
      let text = lines[i];
      while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i].trim()}`;
      const hit = EXAMPLE.exec(text);
      if (!hit) continue;
      const command = text
        .slice(hit.index + hit[0].length - hit[1].length)
        .split(/\s+#\s|\s{3,}/)[0]
        .trim();
      out.push({ line: firstLine + start, tool: hit[2] as ReadmeExample['tool'], command });
    }
  }
  return out;
}

/**
 * A second, independent count of example lines: a line-by-line walk that toggles on fence lines and
 * counts lines mentioning `curl ` or `netwarden ` as a command word — so the parser above cannot
 * silently miss one.
 */
export function countExampleLines(readme: string): number {
  let inFence = false;
  let n = 0;
  let continued = false;
  for (const line of readme.split('\n')) {
    if (line.startsWith('```')) {
      inFence = !inFence;
      continue;
    }
    if (!inFence) continue;
    const words = line.trim().split(/\s+/);
    const isExample = words.some(
      (w, i) => (w === 'curl' || w === 'netwarden') && (i === 0 || ['sudo', 'npx', '&&'].includes(words[i - 1])),
    );
    if (isExample && !continued) n++;
    continued = line.endsWith('\\');
  }
  return n;
}

export class ShellWordsError extends Error {}

/**
 * Splits a command into words as sh would for the forms the README uses: '…' literal, "…" with
 * $VAR / ${VAR} expanded, bare $VAR, backslash escapes. Pipes, redirections, `;`, `&&` and
 * command substitution are refused (such an example must be listed as not runnable). A variable
 * missing from `vars` is an error, so a new placeholder cannot pass unnoticed.
 */
export function shellWords(command: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  let word: string | null = null;
  const add = (s: string) => (word = (word ?? '') + s);
  const variable = (i: number): [string, number] => {
    const m = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/.exec(command.slice(i));
    if (!m) throw new ShellWordsError(`unsupported $ at ${i} in: ${command}`);
    const name = m[1] ?? m[2];
    if (!(name in vars)) throw new ShellWordsError(`no value for $${name} in: ${command}`);
    return [vars[name], i + m[0].length];
  };
  for (let i = 0; i < command.length;) {
    const c = command[i];
    if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new ShellWordsError(`unclosed ' in: ${command}`);
      add(command.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      add('');
      i++;
      while (command[i] !== '"') {
        if (i >= command.length) throw new ShellWordsError(`unclosed " in: ${command}`);
        if (command[i] === '\\' && '"\\$`'.includes(command[i + 1])) {
          add(command[i + 1]);
          i += 2;
        } else if (command[i] === '$') {
          const [v, next] = variable(i);
          add(v);
          i = next;
        } else if (command[i] === '`') {
          throw new ShellWordsError(`command substitution in: ${command}`);
        } else add(command[i++]);
      }
      i++;
    } else if (c === '\\') {
      add(command[i + 1] ?? '');
      i += 2;
    } else if (c === '$') {
      if (command[i + 1] === '(') throw new ShellWordsError(`command substitution in: ${command}`);
      const [v, next] = variable(i);
      add(v);
      i = next;
    } else if ('|&;<>`'.includes(c)) {
      throw new ShellWordsError(`"${c}" (pipe, list or redirection) in: ${command}`);
    } else {
      add(c);
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
