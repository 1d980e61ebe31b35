"""The runtime: the Tuning, apply() and what it installs (loop policy, Flujo's variables), verify(),
events. The only layer that changes the process."""
