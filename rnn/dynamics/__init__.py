"""The recurrent step as a dynamical system: s_t = F(s_{t-1}, x_t).

Vanishing and exploding gradients are statements about products of the step Jacobians
J_t = ∂s_t/∂s_{t-1}: backpropagation through time multiplies ∂L/∂s_T by
J_Tᵀ J_{T-1}ᵀ ⋯, so the singular values of J_T ⋯ J_{T-k+1} bound how much of the gradient
survives k steps, and the Lyapunov exponents are their growth rates per step. Because
every cell is written from minigrad ops, each J_t here is exact, for any cell kind.

- :func:`step_jacobians`: J_t for every step (for the LSTM over the joint state [h; c]);
- :func:`jacobian_product_spectrum`: singular values of products of J_t against their
  length, QR-stabilised;
- :func:`lyapunov_spectrum`: the full or top-k Lyapunov spectrum (Benettin's QR method);
- :func:`fixed_points`: points with F(s*, x) = s* under a constant input, their
  Jacobian's eigenvalues and stability.

A model is a cell (``rnn.RNNCell``, ``LSTMCell``, ``GRUCell``, or any registered kind's)
or a one-layer, one-direction layer (``rnn.RNN``, ``LSTM``, ``GRU``). Results are NumPy
arrays in float64.
"""

from .fixed import FixedPoints, fixed_points
from .maps import StepMap, step_jacobians, step_map, trajectory
from .spectra import ProductSpectrum, jacobian_product_spectrum, lyapunov_spectrum

__all__ = [
    "FixedPoints",
    "ProductSpectrum",
    "StepMap",
    "fixed_points",
    "jacobian_product_spectrum",
    "lyapunov_spectrum",
    "step_jacobians",
    "step_map",
    "trajectory",
]
