/**
 * A small SQL script scanner: splits a script into statements and blanks out
 * comments, string literals and dollar-quoted bodies, so the runner can run a
 * non-transactional migration statement by statement and the linter can match
 * DDL keywords without tripping over function bodies or comments.
 */

export interface SqlStatement {
  /** The statement as written, from its first token, without its terminating semicolon. */
  text: string;
  /**
   * The same characters with comments, string literals and dollar-quoted
   * bodies replaced by spaces (newlines kept, same length as text), for keyword matching.
   */
  code: string;
  /** 1-based line of the statement's first token in the script. */
  line: number;
}

/** Splits a script at top-level semicolons; empty statements (only comments) are dropped. */
export function splitSqlStatements(script: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let text = "";
  let code = "";
  let line = 1;
  let startLine = 0;
  let i = 0;

  const push = (raw: string, masked: string) => {
    if (startLine === 0 && masked.trim() !== "") startLine = line;
    for (const ch of raw) if (ch === "\n") line++;
    text += raw;
    code += masked;
  };
  const flush = () => {
    // Leading comments and whitespace are not part of the statement.
    const start = code.search(/\S/);
    if (start !== -1) {
      const end = code.trimEnd().length;
      statements.push({
        text: text.slice(start, end),
        code: code.slice(start, end),
        line: startLine,
      });
    }
    text = "";
    code = "";
    startLine = 0;
  };
  const blank = (raw: string) => raw.replace(/[^\n]/g, " ");

  while (i < script.length) {
    const ch = script[i] ?? "";
    const next = script[i + 1] ?? "";
    if (ch === "-" && next === "-") {
      const end = script.indexOf("\n", i);
      const stop = end === -1 ? script.length : end;
      push(script.slice(i, stop), blank(script.slice(i, stop)));
      i = stop;
    } else if (ch === "/" && next === "*") {
      let depth = 0;
      let j = i;
      while (j < script.length) {
        if (script.startsWith("/*", j)) {
          depth++;
          j += 2;
        } else if (script.startsWith("*/", j)) {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      push(script.slice(i, j), blank(script.slice(i, j)));
      i = j;
    } else if (ch === "'") {
      // E'...' strings allow backslash escapes; plain strings only ''.
      const escapes = /[eE]/.test(script[i - 1] ?? "") && !/\w/.test(script[i - 2] ?? "");
      let j = i + 1;
      while (j < script.length) {
        const c = script[j];
        if (escapes && c === "\\") j += 2;
        else if (c === "'" && script[j + 1] === "'") j += 2;
        else if (c === "'") break;
        else j++;
      }
      const raw = script.slice(i, j + 1);
      push(raw, `'${blank(raw.slice(1, -1))}'`);
      i = j + 1;
    } else if (ch === '"') {
      const end = script.indexOf('"', i + 1);
      const stop = end === -1 ? script.length : end + 1;
      push(script.slice(i, stop), script.slice(i, stop));
      i = stop;
    } else if (ch === "$" && !/[\w$]/.test(script[i - 1] ?? "")) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i));
      if (tag) {
        const end = script.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? script.length : end + tag[0].length;
        const raw = script.slice(i, stop);
        push(raw, `$$${blank(raw.slice(2, -2))}$$`.slice(0, raw.length).padEnd(raw.length, " "));
        i = stop;
      } else {
        push(ch, ch);
        i++;
      }
    } else if (ch === ";") {
      flush();
      i++;
    } else {
      push(ch, ch);
      i++;
    }
  }
  flush();
  return statements;
}

/** 1-based line in a script of a 0-based character offset. */
export function lineAt(script: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < script.length; i++) if (script[i] === "\n") line++;
  return line;
}
