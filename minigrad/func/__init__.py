"""Function transforms: vjp, jvp, grad, jacrev, jacfwd, hessian, hvp (torch.func's names).

Each takes a Python function of tensors and returns derivatives of it, following
torch.func's conventions: ``argnums`` picks the positional arguments to differentiate
(an int gives that argument's derivative, a tuple gives a tuple), ``has_aux=True``
means the function returns ``(output, aux)`` and ``aux`` is passed through untouched,
and arguments and outputs may be tensors nested in tuples, lists and dicts.

For f: R^n -> R^m with Jacobian J (m x n) at x:

- ``vjp``: u -> J^T u, one reverse pass per cotangent u (on the tape);
- ``jvp``: v -> J v, one forward pass carrying the tangent v (no tape);
- ``jacrev``: J row by row, m reverse passes over one recorded forward;
- ``jacfwd``: J in one forward pass with n tangents at once (batched tangents);
- ``hessian``: ``jacfwd(jacrev(f))``;
- ``hvp``: H v by forward-over-reverse, ``jvp(grad(f))``: about the cost of a few
  gradients, never forming H.

Results are tensors. A result stays differentiable by an enclosing transform: inside
``jacfwd`` every op of a reverse pass carries tangents (so ``jacfwd(jacrev(f))`` is
the Hessian), and when an argument already requires grad the reverse pass records
itself (``create_graph``), so ``jacrev(jacrev(f))`` works too. Forward mode does not
nest (``jvp`` inside ``jvp``), and tangents are not recorded on the tape, so the
forward transform goes outermost: a reverse pass that reaches a tangent
(``jacrev(jacfwd(f))``) raises instead of returning a gradient that misses it.

Jacobians have shape ``output.shape + input.shape``. ``functional_call`` runs a
module with other parameters, so a model can be differentiated with respect to them.
"""

from .forward_mode import hessian, hvp, jacfwd, jvp
from .functional_call import functional_call
from .reverse_mode import grad, grad_and_value, jacrev, vjp

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "hvp",
    "jacfwd",
    "jacrev",
    "jvp",
    "vjp",
]
