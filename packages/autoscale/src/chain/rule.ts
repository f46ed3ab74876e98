/** A prometheus-adapter rule as the chain checks read it: its series selector and its namer. */
import type { AdapterRule } from '../adapter/rules.js';
import {
  compileRuleNamer,
  invalidMatchers,
  type LabelMatcher,
  parseSeriesSelector,
  type RuleNamer,
} from '../adapter/series.js';
import type { ChainLink } from './types.js';

/** A rule that parsed, or the broken `adapter-rule` link that says why it did not. */
export type ParsedRule =
  | {
      readonly ok: true;
      /** The matchers of its `seriesQuery`. */
      readonly matchers: readonly LabelMatcher[];
      /** Its `name` section, compiled. */
      readonly namer: RuleNamer;
      /** The series its selector names exactly (`__name__="..."`), in order. */
      readonly names: readonly string[];
    }
  | { readonly ok: false; readonly broken: ChainLink };

/**
 * Parses a rule's `seriesQuery` and compiles its namer; a selector that does not parse, an invalid
 * matcher or a bad `name` section makes it a broken `adapter-rule` link.
 *
 * @param rule - the rule, from `rules.custom` or `rules.external`
 * @param kind - what it is, in words, for the link's subject (`prometheus-adapter rule`)
 * @example
 * const parsed = parseRule(rule, 'prometheus-adapter rule');
 * if (!parsed.ok) out.add(parsed.broken);
 */
export function parseRule(rule: AdapterRule, kind: string): ParsedRule {
  const selector = parseSeriesSelector(rule.seriesQuery);
  const invalid = selector.ok ? invalidMatchers(selector.value) : [selector.error];
  const namer = compileRuleNamer(rule);
  if (!selector.ok || invalid.length > 0 || !namer.ok) {
    return {
      ok: false,
      broken: {
        link: 'adapter-rule',
        subject: `${rule.path} (${kind})`,
        status: 'broken',
        detail: !namer.ok ? namer.error : `${rule.path}: seriesQuery ${invalid.join('; ')}`,
      },
    };
  }
  const names = selector.value
    .filter((m) => m.label === '__name__' && m.op === '=')
    .map((m) => m.value);
  return { ok: true, matchers: selector.value, namer: namer.value, names };
}
