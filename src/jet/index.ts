/**
 * Taylor-mode rules: the complete table. Its type is a mapped type over every primitive name,
 * so a primitive without a jet rule does not compile. src/transforms/jet.ts installs it.
 *
 * A new primitive gets a rule in one line with `jetFromJvp('name')` (derived from its jvp
 * rule; right for any primitive, O(K²)–O(K³) in the order); write a recurrence when it is hot.
 */
import type { JetRuleTable } from '../interpret/jet'
import { controlJetRules } from './control'
import { binaryJetRules, integerPowJetRule, unaryJetRules } from './elementwise'
import { structuralJetRules } from './structural'

export { jetFromJvp } from '../interpret/jet'

export const JET_RULES: JetRuleTable = {
  ...unaryJetRules,
  ...binaryJetRules,
  ...integerPowJetRule,
  ...structuralJetRules,
  ...controlJetRules,
}
