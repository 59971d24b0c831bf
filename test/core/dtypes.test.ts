import { describe, expect, it } from 'vitest'
import { promoteTypes, type DType } from '../../src/ir/dtypes'

const t = (dtype: DType, weakType = false) => ({ dtype, weakType })

describe("JAX's promotion lattice", () => {
  it('joins strong types', () => {
    expect(promoteTypes([t('float32'), t('float64')])).toEqual(t('float64'))
    expect(promoteTypes([t('int32'), t('float32')])).toEqual(t('float32'))
    expect(promoteTypes([t('bool'), t('int32')])).toEqual(t('int32'))
    expect(promoteTypes([t('bool'), t('bool')])).toEqual(t('bool'))
  })
  it('weak types do not promote strong ones of their kind or above', () => {
    expect(promoteTypes([t('float32'), t('float64', true)])).toEqual(t('float32'))
    expect(promoteTypes([t('float32'), t('int32', true)])).toEqual(t('float32'))
    expect(promoteTypes([t('int32'), t('int32', true)])).toEqual(t('int32'))
  })
  it('weak float with strong int gives the default float, weak', () => {
    expect(promoteTypes([t('int32'), t('float64', true)])).toEqual(t('float64', true))
    expect(promoteTypes([t('bool'), t('int32', true)])).toEqual(t('int32', true))
    expect(promoteTypes([t('int32', true), t('float64', true)])).toEqual(t('float64', true))
  })
})
