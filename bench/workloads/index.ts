/** All workloads (bench/README.md), in order. */
import type { AnyWorkload } from '../harness/types'
import { w1 } from './w1'
import { w2 } from './w2'
import { w3 } from './w3'
import { w4, w4v } from './w4'
import { w5 } from './w5'
import { w6 } from './w6'
import { w7 } from './w7'
import { w8 } from './w8'
import { w9 } from './w9'
import { w11, w11r } from './w11'
import { w12 } from './w12'
import { w13 } from './w13'
import { w14 } from './w14'

export const WORKLOADS: readonly AnyWorkload[] = [w1, w2, w3, w4, w4v, w5, w6, w7, w8, w9, w11, w11r, w12, w13, w14]

export const workloadById = (id: string): AnyWorkload | undefined => WORKLOADS.find((w) => w.id === id.toUpperCase())
