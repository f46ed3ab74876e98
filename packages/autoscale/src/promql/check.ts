import type { parser } from '@prometheus-io/lezer-promql';
import { type PromqlType, parameterisedAggregations, promqlFunctions } from './functions.js';
import { parsePromql } from './names.js';

/** A node of the Lezer syntax tree (typed through the parser, so @lezer/common need not be a dependency). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** One problem found in a PromQL expression, with where it is. */
export interface PromqlIssue {
  /** What is wrong, in words. */
  readonly message: string;
  /** Zero-based character offset into the query. */
  readonly offset: number;
  /** One-based line of the offset. */
  readonly line: number;
  /** One-based column of the offset. */
  readonly column: number;
}

/** The outcome of {@link checkPromql}. */
export type PromqlCheckResult =
  | { readonly ok: true; readonly query: string; readonly type: PromqlType | 'unknown' }
  | { readonly ok: false; readonly query: string; readonly errors: readonly PromqlIssue[] };

const expressionNodes = new Set([
  'AggregateExpr',
  'AnchoredExpr',
  'BinaryExpr',
  'FunctionCall',
  'MatrixSelector',
  'NumberDurationLiteral',
  'OffsetExpr',
  'ParenExpr',
  'SmoothedExpr',
  'StepInvariantExpr',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'VectorSelector',
]);

const setOperators = new Set(['And', 'Or', 'Unless']);

function position(query: string, offset: number): { line: number; column: number } {
  const before = query.slice(0, offset);
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1) ?? '').length + 1 };
}

function issue(query: string, offset: number, message: string): PromqlIssue {
  return { message, offset, ...position(query, offset) };
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

function expressionChildren(node: SyntaxNode): SyntaxNode[] {
  return children(node).filter((child) => expressionNodes.has(child.name));
}

function describeUnexpected(query: string, offset: number): string {
  const rest = query.slice(offset);
  if (rest.trim() === '') return 'unexpected end of query';
  if (rest.startsWith('<<')) {
    return 'unexpected "<<": a prometheus-adapter template was not rendered (render it before checking)';
  }
  const token = /^\s*(\S{1,20})/.exec(rest)?.[1] ?? rest.slice(0, 1);
  return `unexpected "${token}"`;
}

function syntaxErrors(query: string, top: SyntaxNode): PromqlIssue[] {
  // Lezer recovers and reports every step after the first mistake; like Prometheus, keep the first.
  const cursor = top.cursor();
  do {
    if (cursor.type.isError)
      return [issue(query, cursor.from, describeUnexpected(query, cursor.from))];
  } while (cursor.next());
  return [];
}

class TypeChecker {
  readonly errors: PromqlIssue[] = [];
  constructor(private readonly query: string) {}

  private text(node: SyntaxNode): string {
    return this.query.slice(node.from, node.to);
  }

  private fail(node: SyntaxNode, message: string): 'unknown' {
    this.errors.push(issue(this.query, node.from, message));
    return 'unknown';
  }

  private expect(node: SyntaxNode, want: PromqlType, context: string): void {
    const got = this.typeOf(node);
    if (got !== 'unknown' && got !== want) {
      const hint = want === 'matrix' && got === 'vector' ? ' (add a range, e.g. [2m])' : '';
      this.fail(node, `${context} expects ${typeName(want)}, got ${typeName(got)}${hint}`);
    }
  }

  typeOf(node: SyntaxNode): PromqlType | 'unknown' {
    switch (node.name) {
      case 'PromQL': {
        const [expr] = expressionChildren(node);
        return expr ? this.typeOf(expr) : 'unknown';
      }
      case 'VectorSelector':
        return 'vector';
      case 'MatrixSelector': {
        const [inner] = expressionChildren(node);
        if (inner && inner.name !== 'VectorSelector') {
          return this.fail(
            node,
            'a range [..] applies to a plain series selector only; use a subquery [..:..]',
          );
        }
        return 'matrix';
      }
      case 'SubqueryExpr': {
        const [inner] = expressionChildren(node);
        if (inner) this.expect(inner, 'vector', 'a subquery');
        return 'matrix';
      }
      case 'NumberDurationLiteral':
        return 'scalar';
      case 'StringLiteral':
        return 'string';
      case 'ParenExpr':
      case 'OffsetExpr':
      case 'StepInvariantExpr':
      case 'AnchoredExpr':
      case 'SmoothedExpr': {
        const [inner] = expressionChildren(node);
        return inner ? this.typeOf(inner) : 'unknown';
      }
      case 'UnaryExpr': {
        const [inner] = expressionChildren(node);
        if (!inner) return 'unknown';
        const type = this.typeOf(inner);
        if (type === 'matrix' || type === 'string') {
          return this.fail(
            node,
            `unary minus/plus needs a number or an instant vector, got ${typeName(type)}`,
          );
        }
        return type;
      }
      case 'BinaryExpr':
        return this.binary(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'FunctionCall':
        return this.call(node);
      default:
        return 'unknown';
    }
  }

  private binary(node: SyntaxNode): PromqlType | 'unknown' {
    const [left, right] = expressionChildren(node);
    if (!left || !right) return 'unknown';
    const operator = children(node).find(
      (child) =>
        !expressionNodes.has(child.name) && child.from >= left.to && child.to <= right.from,
    );
    const leftType = this.typeOf(left);
    const rightType = this.typeOf(right);
    for (const [side, type] of [
      [left, leftType],
      [right, rightType],
    ] as const) {
      if (type === 'matrix' || type === 'string') {
        this.fail(
          side,
          `a binary operator needs numbers or instant vectors, got ${typeName(type)}`,
        );
      }
    }
    if (operator && setOperators.has(operator.name)) {
      for (const [side, type] of [
        [left, leftType],
        [right, rightType],
      ] as const) {
        if (type === 'scalar') {
          this.fail(
            side,
            `"${this.text(operator)}" works on instant vectors only; wrap a number in vector(...)`,
          );
        }
      }
      return 'vector';
    }
    if (leftType === 'unknown' || rightType === 'unknown') return 'unknown';
    return leftType === 'vector' || rightType === 'vector' ? 'vector' : 'scalar';
  }

  private aggregate(node: SyntaxNode): PromqlType | 'unknown' {
    const op = children(node).find((child) => child.name === 'AggregateOp');
    const name = op ? this.text(op) : '';
    const body = children(node).find((child) => child.name === 'FunctionCallBody');
    const args = body ? expressionChildren(body) : [];
    const wanted = parameterisedAggregations.has(name) ? 2 : 1;
    if (args.length !== wanted) {
      return this.fail(
        node,
        `${name}() takes ${wanted} argument${wanted === 1 ? '' : 's'}, got ${args.length}`,
      );
    }
    const vectorArg = args.at(-1);
    if (vectorArg) this.expect(vectorArg, 'vector', `${name}()`);
    return 'vector';
  }

  private call(node: SyntaxNode): PromqlType | 'unknown' {
    const identifier = children(node).find((child) => child.name === 'FunctionIdentifier');
    const name = identifier ? this.text(identifier) : '';
    const body = children(node).find((child) => child.name === 'FunctionCallBody');
    const args = body ? expressionChildren(body) : [];
    const signature = promqlFunctions[name];
    if (!signature) {
      for (const arg of args) this.typeOf(arg);
      return 'unknown';
    }
    const max = signature.variadic ? Number.POSITIVE_INFINITY : signature.args.length;
    const min = signature.args.length - (signature.optional ?? 0) - (signature.variadic ? 1 : 0);
    if (args.length < min || args.length > max) {
      const count =
        min === max ? `${min}` : Number.isFinite(max) ? `${min} to ${max}` : `at least ${min}`;
      return this.fail(
        node,
        `${name}() takes ${count} argument${max === 1 ? '' : 's'}, got ${args.length}`,
      );
    }
    args.forEach((arg, index) => {
      const want = signature.args[Math.min(index, signature.args.length - 1)];
      if (want) this.expect(arg, want, `argument ${index + 1} of ${name}()`);
    });
    return signature.returns;
  }
}

function typeName(type: PromqlType): string {
  switch (type) {
    case 'matrix':
      return 'a range vector';
    case 'vector':
      return 'an instant vector';
    case 'scalar':
      return 'a number';
    case 'string':
      return 'a string';
  }
}

/**
 * Checks that a PromQL expression parses (with Prometheus' own Lezer grammar) and that function and
 * operator arguments have the right types (`rate()` needs a range vector, `sum()` an instant vector).
 * Never throws: problems come back as values with their position.
 *
 * @param query - the PromQL text, with any prometheus-adapter template already rendered
 * @returns `{ ok: true, type }`, or `{ ok: false, errors }` with one entry per problem
 * @example
 * checkPromql('rate(x[2m]'); // { ok: false, errors: [{ message: 'unexpected end of query', offset: 10, line: 1, column: 11 }] }
 */
export function checkPromql(query: string): PromqlCheckResult {
  if (query.trim() === '') {
    return { ok: false, query, errors: [issue(query, 0, 'empty query')] };
  }
  const top = parsePromql(query).topNode;
  const errors = syntaxErrors(query, top);
  if (errors.length > 0) return { ok: false, query, errors };
  const checker = new TypeChecker(query);
  const type = checker.typeOf(top);
  if (checker.errors.length > 0) return { ok: false, query, errors: checker.errors };
  return { ok: true, query, type };
}

/**
 * Formats one issue for a person: the message, then the query line with a caret under the spot.
 *
 * @param query - the query the issue was found in
 * @param found - the issue from {@link checkPromql}
 * @example
 * formatPromqlIssue('rate(x[2m]', result.errors[0]);
 * // 1:11: unexpected end of query
 * //   rate(x[2m]
 * //             ^
 */
export function formatPromqlIssue(query: string, found: PromqlIssue): string {
  const line = query.split('\n')[found.line - 1] ?? '';
  return `${found.line}:${found.column}: ${found.message}\n  ${line}\n  ${' '.repeat(found.column - 1)}^`;
}
