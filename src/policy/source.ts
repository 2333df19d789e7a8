import { isCollection, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { PolicyIssue } from '../errors.ts';

/** A path into the policy document: keys and list indexes. */
export type Path = Array<string | number>;

/** A 1-based line and column; absent when the position is unknown. */
export type Position = Pick<PolicyIssue, 'line' | 'column'>;

/** `levels[2].thresholds.match` style. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * A policy file's text, parsed once with the positions of its nodes kept so every problem can be
 * reported at its line and column. YAML; JSON is YAML too.
 */
export class PolicySource {
  /** The document as plain data (what the schemas validate). */
  readonly value: unknown;
  /** YAML syntax errors; when there are any, `value` is not to be trusted. */
  readonly syntaxIssues: PolicyIssue[];
  readonly #doc: Document;
  readonly #lines = new LineCounter();

  constructor(text: string) {
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
    this.syntaxIssues = this.#syntaxIssues(text);
    this.value = this.syntaxIssues.length > 0 ? undefined : this.#doc.toJS();
  }

  /**
   * Where the value at `path` is written; for a missing key, where its parent is. A map or list that is
   * the value of a key is located at that key (`thresholds:`), where an admin looks for it.
   */
  at(path: Path): Position {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.#doc.contents : this.#doc.getIn(path.slice(0, n), true);
      if (!isNode(node) || !node.range) continue;
      return isCollection(node) && typeof path[n - 1] === 'string' ? this.keyAt(path.slice(0, n)) : this.#position(node.range[0]);
    }
    return {};
  }

  /** Where the key that ends `path` is written (an unknown key is reported there, not at its value). */
  keyAt(path: Path): Position {
    const key = path[path.length - 1];
    const parent = path.length <= 1 ? this.#doc.contents : this.#doc.getIn(path.slice(0, -1), true);
    if (isCollection(parent)) {
      const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
      if (isPair(pair) && isNode(pair.key) && pair.key.range) return this.#position(pair.key.range[0]);
    }
    const node = this.#doc.getIn(path, true);
    return isNode(node) && node.range ? this.#position(node.range[0]) : this.at(path.slice(0, -1));
  }

  /** The plain value at `path`, or undefined when nothing is written there. */
  valueAt(path: Path): unknown {
    let current = this.value;
    for (const key of path) {
      if (current === null || typeof current !== 'object') return undefined;
      current = (current as Record<string | number, unknown>)[key];
    }
    return current;
  }

  /** True when the key that ends `path` is written in the file (rather than left to its default). */
  has(path: Path): boolean {
    return this.valueAt(path) !== undefined;
  }

  // One error a line: the parser's follow-on errors after a first mistake say nothing new. A reference
  // unquoted inside { } or [ ] is the likeliest mistake in a policy, so it gets a hint.
  #syntaxIssues(text: string): PolicyIssue[] {
    const issues: PolicyIssue[] = [];
    for (const e of this.#doc.errors) {
      const position = this.#position(e.pos[0]);
      if (issues.some((i) => i.line === position.line)) continue;
      const reference = text.slice(Math.max(0, e.pos[0] - 2), e.pos[0] + 2).includes('${');
      const hint = reference ? ' (inside { } or [ ], quote references: "${env:NAME}")' : '';
      issues.push({ path: '', message: `YAML syntax: ${e.message.split('\n')[0]}${hint}`, ...position });
    }
    return issues;
  }

  #position(offset: number): Position {
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }
}
