"""Reference values of test/numpy/edge_values.test.ts and test/nn/loss_edges.test.ts, at 40 digits.

Run: python3 test/numpy/edge_values_constants.py (needs mpmath). The test suite does not run it;
its printed values are written into the tests.
"""
import mpmath as m

m.mp.dps = 40
x = lambda v: m.mpf(v)  # the exact value of the float64 v
print('arcsinh(1e300)', m.asinh(x(1e300)))
print('arccosh(1e300)', m.acosh(x(1e300)))
print('arcsinh(0.5)', m.asinh(x(0.5)))
print('arcsinh(-3)', m.asinh(x(-3)))
print('arcsinh(3e8)', m.asinh(x(3e8)))
print('arccosh(3)', m.acosh(x(3)))
print('bce(40, 1) = log1p(e^-40)', m.log1p(m.exp(-40)))
print('dbce/dz(40, 1) = sigmoid(40) - 1', 1 / (1 + m.exp(-40)) - 1)
