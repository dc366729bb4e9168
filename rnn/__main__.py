"""``python -m rnn``: the command line (started by :mod:`rnn.app.launch`)."""

from rnn.app.launch import main

raise SystemExit(main())
