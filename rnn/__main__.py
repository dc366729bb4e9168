"""``python -m rnn``: the command line of :mod:`rnn.cli`."""

from rnn.cli import main

raise SystemExit(main())
