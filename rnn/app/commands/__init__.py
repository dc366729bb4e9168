"""The subcommands of ``rnn``, one module each: its arguments and its runner."""
