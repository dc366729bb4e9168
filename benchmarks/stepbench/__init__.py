"""The machinery of ``benchmarks/rnn_step.py``: one RNN training step, side by side.

``workloads`` builds the data and weights of W1..W4; ``numpy_steps``, ``minigrad_steps``,
``torch_steps`` and ``autograd_step`` build one step function each per implementation;
``implementations`` lists them with what each needs; ``threads`` pins BLAS threads;
``timing`` runs them interleaved and turns samples into ratios; ``memory`` and
``profiling`` measure peak memory and where an eager step spends its time; ``machine``
and ``report`` describe the run and print it.
"""
