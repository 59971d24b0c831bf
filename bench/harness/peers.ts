/**
 * Loading the peers (each child process loads only the one it measures). Facts observed
 * in Node 20: jax-js 0.1.25 probes `navigator` in `init()` with no argument, so ask for
 * 'wasm' explicitly; it tests `instanceof Float16Array`, which Node 20 lacks, so an inert
 * stand-in class goes on globalThis first. tfjs-core's Node build does not register
 * gradients: the `@tensorflow/tfjs` union package does. Dynamic imports, so a peer that
 * fails to load is reported, not fatal (and esbuild cannot drop a side-effect import).
 */
import type { JaxModule, TfModule } from './types'

export const loadJax = async (): Promise<JaxModule> => {
  const g = globalThis as Record<string, unknown>
  if (typeof g.Float16Array === 'undefined') {
    // never instantiated: jax-js only needs `x instanceof Float16Array` not to throw
    g.Float16Array = class Float16ArrayStandIn {}
  }
  // @ts-ignore: missing until `npm run bench` installs the peers (see ./types.ts)
  const jax: JaxModule = await import('@jax-js/jax')
  const devices = await jax.init('wasm')
  if (!devices.includes('wasm')) throw new Error(`init('wasm') returned [${devices.join(', ')}]`)
  jax.defaultDevice('wasm')
  return jax
}

export const loadTf = async (backend: 'wasm' | 'cpu'): Promise<TfModule> => {
  // @ts-ignore: missing until `npm run bench` installs the peers (see ./types.ts)
  const tf: TfModule = await import('@tensorflow/tfjs-core')
  // @ts-ignore
  await import('@tensorflow/tfjs') // registers the gradients
  // @ts-ignore
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm')
  // @ts-ignore
  else await import('@tensorflow/tfjs-backend-cpu')
  // the cpu backend prints an advert for tfjs-node on its first use; keep stdout clean
  const log = console.log
  const warn = console.warn
  console.log = () => {}
  console.warn = () => {}
  try {
    const ok = await tf.setBackend(backend)
    if (!ok || tf.getBackend() !== backend) throw new Error(`setBackend('${backend}') failed`)
    await tf.ready()
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync())
  } finally {
    console.log = log
    console.warn = warn
  }
  return tf
}

/** A call of an eager `tf.grad` function at `xt`, reading the gradient back and freeing it
 *  (the shape every tfjs gradient workload shares). */
export const tfGradCall = (tf: TfModule, g: (x: any) => any, xt: unknown, note: string) => ({
  call: () => {
    const out = tf.tidy(() => g(xt))
    const grad = out.dataSync()
    out.dispose()
    return { grad }
  },
  note,
})
