/**
 * The complete rule table. Its type is a mapped type over every primitive name, so adding a
 * primitive to `ParamsMap` without rules — or a linear primitive without a transpose — is a
 * compile error. Importing this module installs the rules.
 */
import { type RuleTable, registerRules } from './core/rules'
import { checkpointRules } from './higher/checkpoint'
import { condRules } from './higher/cond'
import { scanRules } from './higher/scan'
import { solveRules } from './higher/solve'
import { rootRules } from './higher/root'
import { whileRules } from './higher/while'
import { customRules } from './higher/custom'
import { jitRules } from './higher/jit'
import { binaryRules } from './primitives/binary'
import { bitwiseRules } from './primitives/bitwise'
import { callbackRules } from './primitives/callback'
import { convRules } from './primitives/conv'
import { cumsumRules } from './primitives/cumsum'
import { decompRules } from './primitives/decomp'
import { dotRules } from './primitives/dot'
import { gatherRules } from './primitives/gather'
import { integerPowRules } from './primitives/integer_pow'
import { linalgRules } from './primitives/linalg'
import { reduceRulesTable } from './primitives/reduce'
import { reduceWindowRules } from './primitives/reduce_window'
import { shapeRules } from './primitives/shape'
import { slicingRules } from './primitives/slicing'
import { sortRules } from './primitives/sort'
import { unaryRules } from './primitives/unary'

export const RULES: RuleTable = {
  ...unaryRules,
  ...binaryRules,
  ...bitwiseRules,
  ...integerPowRules,
  ...shapeRules,
  ...reduceRulesTable,
  ...reduceWindowRules,
  ...slicingRules,
  ...gatherRules,
  ...sortRules,
  ...dotRules,
  ...convRules,
  ...cumsumRules,
  ...linalgRules,
  ...decompRules,
  ...jitRules,
  ...customRules,
  ...checkpointRules,
  ...condRules,
  ...whileRules,
  ...scanRules,
  ...solveRules,
  ...rootRules,
  ...callbackRules,
}

registerRules(RULES)
