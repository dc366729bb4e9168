"""``python -m rnn``: the command line of :mod:`rnn.app.cli`."""

from rnn.app.cli import main

raise SystemExit(main())
