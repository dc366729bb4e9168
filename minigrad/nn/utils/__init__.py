"""``torch.nn.utils`` counterparts: gradient clipping, and parametrizations
(``nn.utils.parametrize``, ``nn.utils.parametrizations``)."""

from . import parametrizations, parametrize
from .clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parametrizations", "parametrize"]
