/**
 * W14 plain JS: a small CNN training step by hand, in double from float32 inputs (NHWC, HWIO).
 *   a1 = relu(conv3x3(x, W1) + b1), p1 = maxpool2x2(a1)          [B,32,32,3] → [B,16,16,16]
 *   a2 = relu(conv3x3(p1, W2) + b2), p2 = maxpool2x2(a2)         → [B,8,8,32]
 *   z = flat(p2) W3 + b3, loss = −(1/B) Σᵢ Σ_c Y_ic log softmax(z)_ic
 * Backward: dz = (softmax(z) − Y)/B; dW3 = flatᵀ dz; the pool routes each gradient to the
 * first maximum of its window; relu' = [y > 0]; a conv's kernel gradient correlates its input
 * with dy, its input gradient convolves dy with the flipped kernel.
 */
export interface CnnDims {
  readonly batch: number
  readonly size: number // input height = width
  readonly c0: number
  readonly c1: number
  readonly c2: number
  readonly nOut: number
}

export interface CnnParams {
  readonly W1: ArrayLike<number> // [3,3,c0,c1]
  readonly b1: ArrayLike<number>
  readonly W2: ArrayLike<number> // [3,3,c1,c2]
  readonly b2: ArrayLike<number>
  readonly W3: ArrayLike<number> // [(size/4)²·c2, nOut]
  readonly b3: ArrayLike<number>
}

/** y[n,i,j,o] = b[o] + Σ x[n,i+di−1,j+dj−1,c] W[di,dj,c,o] (SAME, zero padding). */
const conv3 = (x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>, B: number, H: number, C: number, O: number): Float64Array => {
  const y = new Float64Array(B * H * H * O)
  for (let n = 0; n < B; n++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < H; j++) {
        const yo = ((n * H + i) * H + j) * O
        for (let o = 0; o < O; o++) y[yo + o] = b[o]
        for (let di = 0; di < 3; di++) {
          const ii = i + di - 1
          if (ii < 0 || ii >= H) continue
          for (let dj = 0; dj < 3; dj++) {
            const jj = j + dj - 1
            if (jj < 0 || jj >= H) continue
            const xo = ((n * H + ii) * H + jj) * C
            const wo = (di * 3 + dj) * C * O
            for (let c = 0; c < C; c++) {
              const v = x[xo + c]
              const wc = wo + c * O
              for (let o = 0; o < O; o++) y[yo + o] += v * W[wc + o]
            }
          }
        }
      }
    }
  }
  return y
}

/** dW[di,dj,c,o] = Σ x[n,i+di−1,j+dj−1,c] dy[n,i,j,o]; dx likewise with W (when wanted). */
const conv3Back = (x: ArrayLike<number>, W: ArrayLike<number>, dy: Float64Array, B: number, H: number, C: number, O: number, wantDx: boolean) => {
  const dW = new Float64Array(9 * C * O)
  const db = new Float64Array(O)
  const dx = wantDx ? new Float64Array(B * H * H * C) : null
  for (let n = 0; n < B; n++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < H; j++) {
        const yo = ((n * H + i) * H + j) * O
        for (let o = 0; o < O; o++) db[o] += dy[yo + o]
        for (let di = 0; di < 3; di++) {
          const ii = i + di - 1
          if (ii < 0 || ii >= H) continue
          for (let dj = 0; dj < 3; dj++) {
            const jj = j + dj - 1
            if (jj < 0 || jj >= H) continue
            const xo = ((n * H + ii) * H + jj) * C
            const wo = (di * 3 + dj) * C * O
            for (let c = 0; c < C; c++) {
              const v = x[xo + c]
              const wc = wo + c * O
              let s = 0
              for (let o = 0; o < O; o++) {
                const g = dy[yo + o]
                dW[wc + o] += v * g
                s += g * W[wc + o]
              }
              if (dx !== null) dx[xo + c] += s
            }
          }
        }
      }
    }
  }
  return { dW, db, dx }
}

/** relu then 2x2/2 max pool; `arg` holds the flat index of each window's first maximum. */
const reluPool = (y: Float64Array, B: number, H: number, C: number) => {
  const h = H / 2
  const p = new Float64Array(B * h * h * C)
  const arg = new Int32Array(p.length)
  for (let n = 0; n < B; n++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < h; j++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity
          let at = -1
          for (let u = 0; u < 2; u++) {
            for (let v = 0; v < 2; v++) {
              const k = ((n * H + 2 * i + u) * H + 2 * j + v) * C + c
              const a = Math.max(y[k], 0)
              if (a > best) (best = a), (at = k)
            }
          }
          const q = ((n * h + i) * h + j) * C + c
          p[q] = best
          arg[q] = at
        }
      }
    }
  }
  return { p, arg }
}

/** Gradient through the pool and the relu: dy[k] = dp at the window's maximum, where y > 0. */
const reluPoolBack = (dp: Float64Array, arg: Int32Array, y: Float64Array): Float64Array => {
  const dy = new Float64Array(y.length)
  for (let q = 0; q < dp.length; q++) if (y[arg[q]] > 0) dy[arg[q]] += dp[q]
  return dy
}

export const cnnValueAndGrad = (p: CnnParams, X: ArrayLike<number>, Y: ArrayLike<number>, d: CnnDims) => {
  const { batch: B, size: S, c0, c1, c2, nOut } = d
  const y1 = conv3(X, p.W1, p.b1, B, S, c0, c1)
  const { p: p1, arg: arg1 } = reluPool(y1, B, S, c1)
  const y2 = conv3(p1, p.W2, p.b2, B, S / 2, c1, c2)
  const { p: p2, arg: arg2 } = reluPool(y2, B, S / 2, c2)
  const F = (S / 4) * (S / 4) * c2
  const z = new Float64Array(B * nOut)
  for (let n = 0; n < B; n++) {
    for (let c = 0; c < nOut; c++) z[n * nOut + c] = p.b3[c]
    for (let f = 0; f < F; f++) {
      const v = p2[n * F + f]
      for (let c = 0; c < nOut; c++) z[n * nOut + c] += v * p.W3[f * nOut + c]
    }
  }
  let loss = 0
  const dz = new Float64Array(B * nOut)
  for (let n = 0; n < B; n++) {
    const o = n * nOut
    let m = -Infinity
    for (let c = 0; c < nOut; c++) m = Math.max(m, z[o + c])
    let se = 0
    for (let c = 0; c < nOut; c++) se += Math.exp(z[o + c] - m)
    const lse = m + Math.log(se)
    for (let c = 0; c < nOut; c++) {
      loss -= Y[o + c] * (z[o + c] - lse)
      dz[o + c] = (Math.exp(z[o + c] - lse) - Y[o + c]) / B
    }
  }
  loss /= B
  const dW3 = new Float64Array(F * nOut)
  const db3 = new Float64Array(nOut)
  const dp2 = new Float64Array(B * F)
  for (let n = 0; n < B; n++) {
    for (let c = 0; c < nOut; c++) db3[c] += dz[n * nOut + c]
    for (let f = 0; f < F; f++) {
      const v = p2[n * F + f]
      let s = 0
      for (let c = 0; c < nOut; c++) {
        dW3[f * nOut + c] += v * dz[n * nOut + c]
        s += dz[n * nOut + c] * p.W3[f * nOut + c]
      }
      dp2[n * F + f] = s
    }
  }
  const dy2 = reluPoolBack(dp2, arg2, y2)
  const g2 = conv3Back(p1, p.W2, dy2, B, S / 2, c1, c2, true)
  const dy1 = reluPoolBack(g2.dx as Float64Array, arg1, y1)
  const g1 = conv3Back(X, p.W1, dy1, B, S, c0, c1, false)
  const f32 = (a: Float64Array) => Float32Array.from(a)
  return { loss, dW1: f32(g1.dW), db1: f32(g1.db), dW2: f32(g2.dW), db2: f32(g2.db), dW3: f32(dW3), db3: f32(db3) }
}
