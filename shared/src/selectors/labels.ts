// Label selectors as apimachinery pkg/labels parses and evaluates them: `a=b`, `a==b`, `a!=b`,
// `a in (x,y)`, `a notin (x)`, `a`, `!a` (plus `a>1`, `a<1`), comma meaning AND. Errors carry
// apimachinery's wording, so a client sees the same text as from kube-apiserver.

import type { LabelSelector as LabelSelectorObject } from '../api/meta.js';
import { StatusError } from '../apierrors/errors.js';
import { aggregateMessages as aggregate } from '../apierrors/field.js';
import { type ScannedItem, scan, type Token } from './lexer.js';
import { isQualifiedName, isValidLabelValue } from './validation.js';

/** selection.Operator spellings. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted and de-duplicated when parsed from a string. */
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>> | undefined;

const VALID_OPERATORS: readonly LabelOperator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt', 'exists', '!'];
const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

/** Go's `%#v` of a []string, used in the Invalid value part of requirement errors. */
const goStrings = (vs: readonly string[]): string => `[]string{${vs.map((v) => JSON.stringify(v)).join(', ')}}`;
const invalid = (path: string, value: string, detail: string): string => `${path}: Invalid value: ${value}: ${detail}`;
const badRequest = (message: string): StatusError => new StatusError('BadRequest', message);

/** `<nil>` is how Go prints the absent field path the string parser validates keys with. */
function validateLabelKey(key: string, path: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? invalid(path, JSON.stringify(key), errs.join('; ')) : undefined;
}

/** labels.NewRequirement: validates and builds one requirement; throws BadRequest with the aggregated errors. */
export function newLabelRequirement(key: string, operator: LabelOperator, values: readonly string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErr = validateLabelKey(key, 'key');
  if (keyErr) errs.push(keyErr);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) {
        errs.push(invalid('values', goStrings(values), "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) {
        errs.push(invalid('values', goStrings(values), 'exact-match compatibility requires one single value'));
      }
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        errs.push(invalid('values', goStrings(values), 'values set must be empty for exists and does not exist'));
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        errs.push(invalid('values', goStrings(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) {
          errs.push(
            invalid(`values[${i}]`, JSON.stringify(v), "for 'Gt', 'Lt' operators, the value must be an integer"),
          );
        }
      });
      break;
    default:
      errs.push(
        `operator: Unsupported value: ${JSON.stringify(operator)}: supported values: ${VALID_OPERATORS.map((o) => JSON.stringify(o)).join(', ')}`,
      );
  }
  values.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length) errs.push(invalid(`values[${i}][${key}]`, JSON.stringify(v), msgs.join('; ')));
  });
  if (errs.length) throw badRequest(aggregate(errs));
  return { key, operator, values: [...values] };
}

function requirementMatches(r: LabelRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : '';
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      if (!/^[+-]?\d+$/.test(value) || !/^[+-]?\d+$/.test(r.values[0]!)) return false;
      const l = BigInt(value);
      const v = BigInt(r.values[0]!);
      return r.operator === 'gt' ? l > v : l < v;
    }
  }
}

const OPERATOR_TEXT: Record<LabelOperator, string> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  in: ' in ',
  notin: ' notin ',
  gt: '>',
  lt: '<',
  exists: '',
  '!': '',
};

export function requirementString(r: LabelRequirement): string {
  const head = `${r.operator === '!' ? '!' : ''}${r.key}${OPERATOR_TEXT[r.operator]}`;
  if (r.operator === 'exists' || r.operator === '!') return head;
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${head}(${vals})` : `${head}${vals}`;
}

/** labels.Selector: requirements ANDed together, kept sorted by key. */
export class LabelsSelector {
  readonly requirements: readonly LabelRequirement[];

  private constructor(
    requirements: readonly LabelRequirement[],
    private readonly nothing = false,
  ) {
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  static everything(): LabelsSelector {
    return new LabelsSelector([]);
  }

  /** Matches no object (what a null metav1.LabelSelector means). */
  static nothing(): LabelsSelector {
    return new LabelsSelector([], true);
  }

  static of(requirements: readonly LabelRequirement[]): LabelsSelector {
    return new LabelsSelector(requirements);
  }

  matches(labels: Labels): boolean {
    if (this.nothing) return false;
    return this.requirements.every((r) => requirementMatches(r, labels));
  }

  /** True when the selector does not restrict anything. */
  empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  /** The value a selector pins `key` to (`key=v`, `key==v`, `key in (v)`), for index lookups. */
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key);
    if (!r || !['=', '==', 'in'].includes(r.operator) || r.values.length !== 1) return undefined;
    return r.values[0];
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

class Parser {
  private position = 0;
  constructor(private readonly items: readonly ScannedItem[]) {}

  /** In value position `in`/`notin` are plain identifiers (`x in (in)`). */
  private static valueTok(item: ScannedItem, values: boolean): Token {
    return values && (item.tok === 'in' || item.tok === 'notIn') ? 'identifier' : item.tok;
  }

  lookahead(values = true): [Token, string] {
    const item = this.items[Math.min(this.position, this.items.length - 1)]!;
    return [Parser.valueTok(item, values), item.literal];
  }

  consume(values = true): [Token, string] {
    const item = this.items[Math.min(this.position, this.items.length - 1)]!;
    this.position++;
    return [Parser.valueTok(item, values), item.literal];
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    // Each round consumes at least one token; the token list is finite.
    for (;;) {
      const [tok, lit] = this.lookahead();
      if (tok === 'end') return reqs;
      if (tok !== 'identifier' && tok !== 'doesNotExist') {
        throw badRequest(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.parseRequirement());
      } catch (e) {
        if (e instanceof StatusError) throw badRequest(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const [t, l] = this.consume();
      if (t === 'end') return reqs;
      if (t !== 'comma') throw badRequest(`found '${l}', expected: ',' or 'end of string'`);
      const [t2, l2] = this.lookahead();
      if (t2 !== 'identifier' && t2 !== 'doesNotExist') {
        throw badRequest(`found '${l2}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    let operator: LabelOperator | undefined;
    let [tok, literal] = this.consume();
    if (tok === 'doesNotExist') {
      operator = '!';
      [tok, literal] = this.consume();
    }
    if (tok !== 'identifier') throw badRequest(`found '${literal}', expected: identifier`);
    const keyErr = validateLabelKey(literal, '<nil>');
    if (keyErr) throw badRequest(keyErr);
    const key = literal;
    const [next] = this.lookahead();
    if (next === 'end' || next === 'comma') operator ??= 'exists';
    if (operator === 'exists' || operator === '!') return newLabelRequirement(key, operator, []);
    operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return newLabelRequirement(key, operator, [...values].sort());
  }

  private parseOperator(): LabelOperator {
    const [tok, lit] = this.consume(false);
    const ops: Partial<Record<Token, LabelOperator>> = {
      in: 'in',
      equals: '=',
      doubleEquals: '==',
      greaterThan: 'gt',
      lessThan: 'lt',
      notIn: 'notin',
      notEquals: '!=',
    };
    const op = ops[tok];
    if (!op) throw badRequest(`found '${lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    return op;
  }

  private parseValues(): Set<string> {
    const [tok, lit] = this.consume();
    if (tok !== 'openPar') throw badRequest(`found '${lit}' expected: '('`);
    const [t, l] = this.lookahead();
    if (t === 'closedPar') {
      this.consume();
      return new Set(['']);
    }
    if (t !== 'identifier' && t !== 'comma') throw badRequest(`found '${l}', expected: ',', ')' or identifier`);
    const s = this.parseIdentifiersList();
    if (this.consume()[0] !== 'closedPar') throw badRequest(`found '${l}', expected: ')'`);
    return s;
  }

  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const [tok, lit] = this.consume();
      if (tok === 'identifier') {
        s.add(lit);
        const [t2, l2] = this.lookahead();
        if (t2 === 'comma') continue;
        if (t2 === 'closedPar') return s;
        throw badRequest(`found '${l2}', expected: ',' or ')'`);
      }
      if (tok !== 'comma') throw badRequest(`found '${lit}', expected: ',', or identifier`);
      // `(,`, `,)` and `,,` all stand for an empty value.
      if (s.size === 0) s.add('');
      const [t2] = this.lookahead();
      if (t2 === 'closedPar') {
        s.add('');
        return s;
      }
      if (t2 === 'comma') {
        this.consume();
        s.add('');
      }
    }
  }

  private parseExactValue(): Set<string> {
    const [t] = this.lookahead();
    if (t === 'end' || t === 'comma') return new Set(['']);
    const [tok, lit] = this.consume();
    if (tok === 'identifier') return new Set([lit]);
    throw badRequest(`found '${lit}', expected: identifier`);
  }
}

/** labels.Parse: throws StatusError BadRequest with apimachinery's message on a bad selector. */
export function parseLabelSelector(selector: string): LabelsSelector {
  return LabelsSelector.of(new Parser(scan(selector)).parse());
}

/** labels.SelectorFromSet: `k=v` for every entry (an empty set selects everything). */
export function labelSelectorFromSet(set: Labels): LabelsSelector {
  return LabelsSelector.of(Object.entries(set ?? {}).map(([k, v]) => ({ key: k, operator: '=', values: [v] })));
}

const EXPRESSION_OPERATORS: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/** metav1.LabelSelectorAsSelector: null matches nothing, `{}` everything. */
export function labelSelectorFromObject(ps: LabelSelectorObject | null | undefined): LabelsSelector {
  if (ps === null || ps === undefined) return LabelsSelector.nothing();
  const matchLabels = Object.entries(ps.matchLabels ?? {});
  const exprs = ps.matchExpressions ?? [];
  if (matchLabels.length + exprs.length === 0) return LabelsSelector.everything();
  const reqs = matchLabels.map(([k, v]) => newLabelRequirement(k, '=', [v]));
  for (const e of exprs) {
    const op = EXPRESSION_OPERATORS[e.operator];
    if (!op) throw badRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push(newLabelRequirement(e.key, op, e.values ?? []));
  }
  return LabelsSelector.of(reqs);
}
