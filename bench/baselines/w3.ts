/**
 * W3 plain JS: a 2-layer MLP, value and gradient by hand, matrix products as i-k-j loops.
 *   H = tanh(X W1 + b1), Z = H W2 + b2, loss = −(1/B) Σᵢ Σ_c Y_ic log softmax(Z)_ic
 *   dZ = (softmax(Z) · Σ_c Y_ic − Y) / B, dW2 = Hᵀ dZ, db2 = Σᵢ dZ,
 *   dA = (dZ W2ᵀ) ⊙ (1 − H²), dW1 = Xᵀ dA, db1 = Σᵢ dA.
 * Inputs are float32; intermediates and accumulators are double (the reference answer).
 */
export interface MlpParams {
  readonly W1: ArrayLike<number> // [nIn, nHid]
  readonly b1: ArrayLike<number> // [nHid]
  readonly W2: ArrayLike<number> // [nHid, nOut]
  readonly b2: ArrayLike<number> // [nOut]
}

export interface MlpDims {
  readonly batch: number
  readonly nIn: number
  readonly nHid: number
  readonly nOut: number
}

export interface MlpResult {
  readonly loss: number
  readonly dW1: Float32Array
  readonly db1: Float32Array
  readonly dW2: Float32Array
  readonly db2: Float32Array
}

/** C[m×n] = A[m×k] B[k×n] (+ bias per column), i-k-j order. */
const matmulBias = (A: ArrayLike<number>, B: ArrayLike<number>, bias: ArrayLike<number>, m: number, k: number, n: number): Float64Array => {
  const C = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    const ci = i * n
    for (let j = 0; j < n; j++) C[ci + j] = bias[j]
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p]
      const bp = p * n
      for (let j = 0; j < n; j++) C[ci + j] += a * B[bp + j]
    }
  }
  return C
}

/** C[k×n] = Aᵀ B for A[m×k], B[m×n] (loop over the shared row index outermost). */
const matmulTN = (A: ArrayLike<number>, B: ArrayLike<number>, m: number, k: number, n: number): Float64Array => {
  const C = new Float64Array(k * n)
  for (let r = 0; r < m; r++) {
    const br = r * n
    for (let i = 0; i < k; i++) {
      const a = A[r * k + i]
      const ci = i * n
      for (let j = 0; j < n; j++) C[ci + j] += a * B[br + j]
    }
  }
  return C
}

export const mlpValueAndGrad = (p: MlpParams, X: ArrayLike<number>, Y: ArrayLike<number>, d: MlpDims): MlpResult => {
  const { batch: B, nIn, nHid, nOut } = d
  const H = matmulBias(X, p.W1, p.b1, B, nIn, nHid)
  for (let i = 0; i < H.length; i++) H[i] = Math.tanh(H[i])
  const Z = matmulBias(H, p.W2, p.b2, B, nHid, nOut)
  let loss = 0
  const dZ = new Float64Array(B * nOut)
  for (let i = 0; i < B; i++) {
    const zi = i * nOut
    let m = -Infinity
    for (let c = 0; c < nOut; c++) m = Math.max(m, Z[zi + c])
    let se = 0
    for (let c = 0; c < nOut; c++) se += Math.exp(Z[zi + c] - m)
    const lse = m + Math.log(se)
    let ysum = 0
    for (let c = 0; c < nOut; c++) {
      const y = Y[zi + c]
      loss -= y * (Z[zi + c] - lse)
      ysum += y
    }
    for (let c = 0; c < nOut; c++) dZ[zi + c] = (Math.exp(Z[zi + c] - lse) * ysum - Y[zi + c]) / B
  }
  loss /= B
  const dW2 = matmulTN(H, dZ, B, nHid, nOut)
  const db2 = new Float64Array(nOut)
  for (let i = 0; i < B; i++) for (let c = 0; c < nOut; c++) db2[c] += dZ[i * nOut + c]
  // dA = (dZ W2ᵀ) ⊙ (1 − H²)
  const dA = new Float64Array(B * nHid)
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < nHid; j++) {
      let s = 0
      for (let c = 0; c < nOut; c++) s += dZ[i * nOut + c] * p.W2[j * nOut + c]
      const h = H[i * nHid + j]
      dA[i * nHid + j] = s * (1 - h * h)
    }
  }
  const dW1 = matmulTN(X, dA, B, nIn, nHid)
  const db1 = new Float64Array(nHid)
  for (let i = 0; i < B; i++) for (let j = 0; j < nHid; j++) db1[j] += dA[i * nHid + j]
  return {
    loss,
    dW1: Float32Array.from(dW1),
    db1: Float32Array.from(db1),
    dW2: Float32Array.from(dW2),
    db2: Float32Array.from(db2),
  }
}

/** The loss alone (for finite-difference checks of the gradient). */
export const mlpLoss = (p: MlpParams, X: ArrayLike<number>, Y: ArrayLike<number>, d: MlpDims): number => {
  const { batch: B, nIn, nHid, nOut } = d
  const H = matmulBias(X, p.W1, p.b1, B, nIn, nHid)
  for (let i = 0; i < H.length; i++) H[i] = Math.tanh(H[i])
  const Z = matmulBias(H, p.W2, p.b2, B, nHid, nOut)
  let loss = 0
  for (let i = 0; i < B; i++) {
    let m = -Infinity
    for (let c = 0; c < nOut; c++) m = Math.max(m, Z[i * nOut + c])
    let se = 0
    for (let c = 0; c < nOut; c++) se += Math.exp(Z[i * nOut + c] - m)
    const lse = m + Math.log(se)
    for (let c = 0; c < nOut; c++) loss -= Y[i * nOut + c] * (Z[i * nOut + c] - lse)
  }
  return loss / B
}
