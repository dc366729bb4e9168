"""The jobs built on the :mod:`rnn` library: the command line (:mod:`rnn.app.cli`, one
module per subcommand in :mod:`rnn.app.commands`), training a character model
(:mod:`rnn.app.train`), sampling, the demo, the long-dependency tasks, the gradient-flow
study and the graph pictures, with the data, models, optimiser step and checkpoint
format they share.
"""
