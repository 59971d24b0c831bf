/**
 * Backend: the scalar-expression vocabulary of fused kernels. It is IR data (primitives' lowering
 * rules build it), so it lives in src/ir/scalar.ts; re-exported here for the backend's modules.
 */
export * from '../ir/scalar'
