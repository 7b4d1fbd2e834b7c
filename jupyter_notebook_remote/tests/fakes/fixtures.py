"""pytest fixtures around the loopback fakes of the remote services."""
